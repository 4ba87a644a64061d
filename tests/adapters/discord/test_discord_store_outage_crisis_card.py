"""Discord during a store outage (session 8's review): a DM 「死にたい」 got the apology only — the crisis
card that LINE, the simulator and Chatwoot send then (it needs no stored session) was missing. Every
adapter now answers a failed step alike (:func:`bot.adapters.common.outage_replies`): the crisis card
first, then the apology with 110 and 119. The real discord.py client driven by simcord, over a Redis
store nothing answers (every store call fails)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import simcord

from bot.i18n import t
from bot.store import SessionStore, open_store

UNREACHABLE = "redis://127.0.0.1:9/0"  # nothing listens on the discard port: every store call fails


@pytest.fixture
async def store() -> AsyncIterator[SessionStore]:
    """A store that fails: the conversations of ``simcord_bot`` use it."""
    st = open_store(UNREACHABLE)
    yield st
    await st.close()


def _bot_messages(user: Any) -> list[Any]:
    return [m for m in user.dm_channel.history() if m.author.bot]


@pytest.mark.parametrize(("typed", "first_card"), [("もう死にたい", "24時間の窓口"), ("元彼が家の前にいる", "警察 110番")])
async def test_a_dm_with_crisis_words_gets_the_crisis_card_then_the_apology(simcord_env: simcord.Env, typed: str,
                                                                          first_card: str) -> None:
    user = simcord_env.create_user("erin")
    await user.send_dm(typed)
    sent = _bot_messages(user)
    titles = [e.title for m in sent for e in m.embeds]
    assert first_card in titles, titles  # the windows of the crisis reply (the test directory's)
    assert sent[0].content.startswith("あなたの安全が大切です。")
    assert sent[-1].content.endswith(t("adapters.error", "ja"))  # the apology last: 110 and 119
    assert "110番" in t("adapters.error", "ja") and "119番" in t("adapters.error", "ja")


async def test_a_dm_without_crisis_words_gets_the_apology_alone(simcord_env: simcord.Env) -> None:
    user = simcord_env.create_user("fred")
    await user.send_dm("悪口を書かれた")
    sent = _bot_messages(user)
    assert [(m.content, m.embeds) for m in sent] == [(t("adapters.error", "ja"), [])]


async def test_a_slash_command_during_the_outage_gets_the_apology(simcord_env: simcord.Env) -> None:
    guild = simcord_env.create_guild()
    channel = guild.create_text_channel("general")
    member = guild.add_member(simcord_env.create_user("gina"))
    result = await member.slash(channel, "soudan")
    shown = [m for m in [result.response, *result.followups] if m is not None]
    assert [m.content for m in shown] == [t("adapters.error", "en")]  # simcord's members use en-US
    assert all(m.ephemeral for m in shown)
