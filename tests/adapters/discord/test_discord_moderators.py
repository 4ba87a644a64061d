"""Discord moderators end to end (simcord 3.2.1, real discord.py dispatch): an admin sets the private
channel and role with /soudan-moderators; a member consents to a hand-off; the anonymous card appears in
the moderators' channel only, visible to the role only; a moderator without the role cannot take it;
「対応します」 records who took it and tells the member by DM; a second member; the rate limit; a
withdrawal updates the card; nobody taking it gives the member the 24-hour lines by DM."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import discord
import pytest
import simcord

from bot.adapters.discord import SoudanClient
from bot.handoff.desk import Desk
from bot.handoff.guilds import GuildStore
from bot.handoff.team import Team
from bot.loading import build_engine
from bot.service import Conversations
from bot.store.memory import MemoryStore
from tests.conftest import TINY_DIRECTORY, TINY_FLOW, WEEKDAY_10, write

FLOW = TINY_FLOW.replace("  result-pupil:\n", "  result-pupil:\n    urgency: high\n    handoff: true\n").replace(
    "  result-adult:\n", "  result-adult:\n    urgency: normal\n    handoff: true\n")
TEAM = Team.model_validate({
    "id": "moderators", "kind": "moderator", "name": {"ja": "このサーバーのモデレーター", "en": "the moderators"},
    "platforms": ["discord"], "hours": "24/7", "hours_text": {"ja": "いつでも", "en": "any time"},
    "pickup_timeout": 600})
TYPED = "ひみつの相談 山田花子"


class Clock:
    def __init__(self) -> None:
        self.now = WEEKDAY_10

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def desk(tmp_path: Path, clock: Clock) -> Desk:
    d = write(tmp_path, "directory/test.yaml", TINY_DIRECTORY)
    f = write(tmp_path, "flows/tiny.yaml", FLOW)
    engine = build_engine([f], [d], teams={"moderators": TEAM})
    return Desk(Conversations(engine, MemoryStore(), "test-secret", clock=clock), engine.handoffs.teams)


@pytest.fixture
def simcord_bot(desk: Desk, clock: Clock, tmp_path: Path) -> SoudanClient:
    return SoudanClient(desk.conversations, clock=clock, desk=desk, guilds=GuildStore(tmp_path / "guilds.json"))


def shown(result: simcord.InteractionResult) -> list[simcord.ResponseMessage]:
    return [m for m in [result.response, *result.followups] if m is not None]


def labels(message: Any) -> list[str]:
    rows = message.components if isinstance(message, simcord.ResponseMessage) else \
        [r.to_dict() for r in message.components]
    return [c["label"] for row in rows for c in row.get("components", []) if c.get("type") == 2]


def server(env: simcord.Env, bot: SoudanClient) -> dict[str, Any]:
    guild = env.create_guild()
    general = guild.create_text_channel("general")
    mods = guild.create_role("Mods")
    admin_role = guild.create_role("Admin", permissions=discord.Permissions(administrator=True))
    assert bot.user is not None
    private = guild.create_text_channel("mods-only", overwrites={
        guild.default_role: discord.PermissionOverwrite(view_channel=False),
        mods: discord.PermissionOverwrite(view_channel=True),
        bot.user: discord.PermissionOverwrite(view_channel=True, send_messages=True, embed_links=True),
    })
    return {
        "guild": guild, "general": general, "private": private, "mods": mods,
        "admin": guild.add_member(env.create_user("admin"), roles=[admin_role]),
        "mod": guild.add_member(env.create_user("mod"), roles=[mods]),
        "fake_mod": guild.add_member(env.create_user("notmod")),
        "alice": guild.add_member(env.create_user("alice")),
        "bob": guild.add_member(env.create_user("bob")),
    }


async def consult_to_result(member: Any, channel: Any) -> list[simcord.ResponseMessage]:
    start = shown(await member.slash(channel, "soudan"))
    step = shown(await member.click(start[-1], label="Adult"))
    return shown(await member.click(step[-1], label="No"))


async def request_handoff(member: Any, channel: Any) -> list[simcord.ResponseMessage]:
    result = await consult_to_result(member, channel)
    assert labels(result[-1])[-1] == "Tell a moderator"
    consent = shown(await member.click(result[-1], label="Tell a moderator"))
    assert "Nothing you wrote is shared" in consent[-1].content
    assert labels(consent[-1]) == ["Share and connect", "Not now"]
    return shown(await member.click(consent[-1], label="Share and connect"))


def cards(s: dict[str, Any], viewer: Any = None) -> list[discord.Message]:
    history = s["private"].history(viewer=viewer) if viewer is not None else s["private"].history()
    return [m for m in history if m.author.bot and m.embeds]


async def test_the_whole_moderator_path(simcord_env: simcord.Env, simcord_bot: SoudanClient) -> None:
    env, s = simcord_env, server(simcord_env, simcord_bot)
    # before the server sets moderators up, nothing is offered
    result = await consult_to_result(s["alice"], s["general"])
    assert "Tell a moderator" not in labels(result[-1])

    # a channel everyone can read is refused; the private one is accepted
    refused = shown(await s["admin"].slash(s["general"], "soudan-moderators", channel=s["general"], role=s["mods"]))
    assert "is visible to people without" in refused[-1].content and refused[-1].ephemeral
    ok = shown(await s["admin"].slash(s["general"], "soudan-moderators", channel=s["private"], role=s["mods"]))
    assert "Hand-off cards now go to" in ok[-1].content and ok[-1].ephemeral
    assert simcord_bot.moderator_guilds.get(s["guild"].id) is not None

    # consent: the second tap posts an anonymous card in the private channel only
    done = await request_handoff(s["alice"], s["general"])
    assert all(m.ephemeral for m in done)
    assert "A moderator will send you a DM" in done[0].content
    [card] = cards(s)
    fields = {f.name: f.value or "" for f in card.embeds[0].fields}
    assert fields["緊急度"] == "normal" and fields["被害の種類"] == "いいえ"
    assert "平日の相談窓口" in fields["案内済みの窓口"]
    assert "alice" not in str(card.embeds[0].to_dict()) and str(s["alice"].id) not in str(card.embeds[0].to_dict())
    assert TYPED not in str(card.embeds[0].to_dict())
    assert [m for m in s["general"].history(viewer=s["bob"]) if m.author.bot] == []     # no public call-out
    assert len(cards(s, viewer=s["mod"])) == 1                                           # the role sees it
    with pytest.raises(simcord.SetupError):
        cards(s, viewer=s["bob"])                                                        # others cannot read it

    # a member without the role cannot even see the card; an admin who can see it but lacks the role
    # cannot take it
    with pytest.raises(simcord.SetupError):
        await s["fake_mod"].click(card, label="対応します / I'll take it")
    no = shown(await s["admin"].click(card, label="対応します / I'll take it"))
    assert "Only members with this server's moderator role" in no[-1].content and no[-1].ephemeral

    # the moderator takes it: who took it is recorded, the member is told privately
    took = shown(await s["mod"].click(card, label="対応します / I'll take it"))
    assert took[-1].ephemeral and f"<@{s['alice'].id}>" in took[-1].content
    assert "Never call them out" in took[-1].content and "Signpost first" in took[-1].content
    [card] = cards(s)
    state = {f.name: f.value or "" for f in card.embeds[0].fields}["状態"]
    assert state == f"対応: <@{s['mod'].id}>"
    dms = [m for m in s["alice"].user.dm_channel.history() if m.author.bot]
    assert dms and "will send you a DM" in dms[-1].content
    assert [getattr(c, "disabled", None) for row in card.components for c in getattr(row, "children", [])] == [True]   # nobody can take it twice
    with pytest.raises(simcord.SetupError, match="disabled"):
        await s["mod"].click(card, label="対応します / I'll take it")

    # a second member, who withdraws: the card says so
    await request_handoff(s["bob"], s["general"])
    bob_card = cards(s)[-1]
    assert len(cards(s)) == 2
    msgs = shown(await s["bob"].slash(s["general"], "soudan"))   # restart withdraws the hand-off
    assert "cancelled too" in "\n".join(m.content for m in msgs)
    updated = next(m for m in cards(s) if m.id == bob_card.id)
    assert {f.name: f.value or "" for f in updated.embeds[0].fields}["状態"] == "本人が取り消しました"
    assert env.errors == []


async def test_rate_limit_and_nobody_answering(simcord_env: simcord.Env, simcord_bot: SoudanClient,
                                               desk: Desk, clock: Clock) -> None:
    s = server(simcord_env, simcord_bot)
    await s["admin"].slash(s["general"], "soudan-moderators", channel=s["private"], role=s["mods"])
    await request_handoff(s["alice"], s["general"])
    # nobody takes it within the team's 600 s: the sweep tells alice by DM, with the 24-hour lines
    clock.now = WEEKDAY_10 + dt.timedelta(seconds=601)
    assert await desk.sweep(clock.now) == 1
    dms = [m for m in s["alice"].user.dm_channel.history() if m.author.bot]
    assert any("nobody of the moderators could take it" in m.content for m in dms)
    assert any(e.title == "24-hour line" for m in dms for e in m.embeds)
    state = {f.name: f.value or "" for f in cards(s)[-1].embeds[0].fields}["状態"]
    assert state.startswith("時間内に対応がなく")
    # a second request is fine, the third within the hour is refused (2 per hour)
    await request_handoff(s["alice"], s["general"])
    result = await consult_to_result(s["alice"], s["general"])
    consent = shown(await s["alice"].click(result[-1], label="Tell a moderator"))
    refused = shown(await s["alice"].click(consent[-1], label="Share and connect"))
    assert "2 times an hour" in refused[-1].content
    assert len(cards(s)) == 2
