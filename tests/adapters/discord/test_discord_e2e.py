"""End-to-end: real slash commands, button clicks and DMs dispatched through discord.py by simcord 3.2.1.

simcord runs the unmodified client against an in-memory Discord (no network, no token): commands
must be synced, interactions must be acknowledged, ephemeral flags are enforced on followups. We
assert what the member sees — text, embed fields, button labels and the ephemeral flag.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import discord
import pytest
import simcord
import simcord.interactions

from bot.adapters.discord import SoudanClient
from bot.service import Conversations
from bot.store.memory import MemoryStore
from tests.adapters.discord.conftest import LONG_LEAD


def shown(result: simcord.InteractionResult) -> list[simcord.ResponseMessage]:
    """Every message an interaction produced: the (deferred, then filled) response and the followups."""
    return [m for m in [result.response, *result.followups] if m is not None]


def buttons(message: Any) -> list[dict[str, Any]]:
    """The buttons of a message (raw component dicts), in order."""
    rows = message.components if isinstance(message, simcord.ResponseMessage) else \
        [r.to_dict() for r in message.components]
    return [c for row in rows for c in row.get("components", []) if c.get("type") == 2]


def labels(message: Any) -> list[str]:
    return [b["label"] for b in buttons(message)]


def acks(env: simcord.Env) -> list[Any]:
    """The JSON of every interaction callback (the acknowledgement), in order."""
    return [r.json for r in env.http_requests if r.path.endswith("/callback")]


def text(messages: list[simcord.ResponseMessage]) -> str:
    return "\n".join(m.content for m in messages)


@pytest.fixture
def japanese(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Members whose Discord client is in Japanese (simcord sends ``en-US`` otherwise)."""
    original = simcord.interactions.base_payload

    def patched(*args: Any, **kwargs: Any) -> Any:
        record, payload = original(*args, **kwargs)
        payload["locale"] = "ja"
        return record, payload

    monkeypatch.setattr(simcord.interactions, "base_payload", patched)
    yield


def guild_member(env: simcord.Env, name: str = "alice", *, manage: bool = False) -> tuple[Any, Any, Any]:
    guild = env.create_guild()
    channel = guild.create_text_channel("general")
    roles = [guild.create_role("Mods", permissions=discord.Permissions(manage_messages=True))] if manage else []
    member = guild.add_member(env.create_user(name), roles=roles)
    return guild, channel, member


# ------------------------------------------------------------------ guild consultation

async def test_whole_consultation_via_buttons_in_a_guild_is_ephemeral(simcord_env: simcord.Env,
                                                                      store: MemoryStore) -> None:
    env = simcord_env
    guild, channel, alice = guild_member(env)
    bob = guild.add_member(env.create_user("bob"))

    start = await alice.slash(channel, "soudan")
    assert start.acknowledged
    assert acks(env)[-1] == {"type": 5, "data": {"flags": 64}}  # deferred at once, ephemeral ("thinking")
    first = shown(start)
    assert first and all(m.ephemeral for m in first)
    assert "Hello." in first[0].content and first[0].content.endswith("Who are you?")  # en-US → English
    assert labels(first[-1]) == ["Student", "Adult"]
    assert buttons(first[-1])[0]["custom_id"].startswith("soudan:c:pupil:who:")

    step2 = await alice.click(first[-1], label="Student")
    msgs2 = shown(step2)
    assert all(m.ephemeral for m in msgs2)
    assert msgs2[-1].content == "What happened?"
    assert labels(msgs2[-1]) == ["Yes, insults", "No"]

    result = await alice.click(msgs2[-1], label="Yes, insults")
    msgs3 = shown(result)
    assert msgs3 and all(m.ephemeral for m in msgs3)
    assert msgs3[0].content.startswith("Lines for students.\n\nWhere students can call.")
    assert "**What you can do next**\n1. Save evidence." in msgs3[0].content
    card = msgs3[0].embeds[0]
    assert card.title == "Weekday line"
    fields = {f.name: f.value or "" for f in card.fields}
    assert fields["Phone"].startswith("**0570-003-110**")
    assert fields["Now"] == "Open (until 17:00)"
    assert fields["Hours"] == "Weekdays 9:00-17:00"
    assert msgs3[-1].content == "Is there anything else I can do?"
    assert labels(msgs3[-1]) == ["Go back", "Start again", "End"]

    # nobody else in the channel saw any of it
    assert [m for m in channel.history(viewer=bob) if m.author.bot] == []
    assert await store.count() == 1


async def test_japanese_locale_and_end_button(simcord_env: simcord.Env, japanese: None) -> None:
    _, channel, alice = guild_member(simcord_env)
    start = await alice.slash(channel, "soudan")
    msgs = shown(start)
    assert msgs[-1].content.endswith("あなたは？")
    assert labels(msgs[-1]) == ["学生", "おとな"]
    step = await alice.click(msgs[-1], label="おとな")
    result = await alice.click(shown(step)[-1], label="いいえ")
    end = await alice.click(shown(result)[-1], label="終了する")
    assert all(m.ephemeral for m in shown(end))
    assert "相談を終了しました" in text(shown(end))


# ------------------------------------------------------------------ DMs

async def test_dm_conversation_with_free_text(simcord_env: simcord.Env) -> None:
    env = simcord_env
    user = env.create_user("carol")
    await user.send_dm("こんにちは")
    dm = user.dm_channel
    bot_msgs = [m for m in dm.history() if m.author.bot]
    assert bot_msgs[-1].content.endswith("あなたは？")
    assert "こんにちは。ネットの誹謗中傷" in bot_msgs[-1].content
    assert labels(bot_msgs[-1]) == ["学生", "おとな"]
    assert not bot_msgs[-1].flags.ephemeral

    await user.send_dm("中学生です")  # a keyword of 学生
    assert dm.last_message is not None and dm.last_message.content == (
        "「学生」として進めます。違っていたら「戻る」と送ってください。\n\n何がありましたか？")

    await user.send_dm("悪口を書かれた")
    after = [m for m in dm.history() if m.author.bot][len(bot_msgs) + 1:]
    assert after[0].content.startswith(
        "「はい、悪口を書かれた」として進めます。違っていたら「戻る」と送ってください。\n\n学生向けの窓口です。\n\n学生の相談先です。")
    assert after[0].embeds[0].title == "平日の相談窓口"
    assert after[-1].content == "ほかにできることはありますか？"

    # a button in the DM works as well, and a typed command too
    back = await user.click(after[-1], label="ひとつ戻る")
    assert "ひとつ前の質問に戻ります" in text(shown(back))
    assert not any(m.ephemeral for m in shown(back))
    await user.send_dm("データ削除")  # asks first
    assert dm.last_message is not None and "すべて消しますか" in dm.last_message.content
    await user.click(dm.last_message, label="消す")
    assert "記録をすべて削除しました" in (dm.last_message.content if dm.last_message else "")


async def test_dm_slash_command_is_a_normal_message(simcord_env: simcord.Env) -> None:
    user = simcord_env.create_user("dave")
    result = await user.slash("soudan")
    msgs = shown(result)
    assert msgs and not any(m.ephemeral for m in msgs)
    assert labels(msgs[-1]) == ["Student", "Adult"]


async def test_dm_crisis_words_interrupt(simcord_env: simcord.Env) -> None:
    user = simcord_env.create_user("erin")
    await user.send_dm("もう死にたい")
    bot_msgs = [m for m in user.dm_channel.history() if m.author.bot]
    assert bot_msgs[0].content.startswith("あなたの安全が大切です。")
    assert [e.title for e in bot_msgs[0].embeds] == ["警察 110番", "24時間の窓口"]


# ------------------------------------------------------------------ persistence and staleness

async def test_button_pressed_after_a_restart_and_long_after(simcord_env: simcord.Env,
                                                            conversations: Conversations) -> None:
    env = simcord_env
    _, channel, alice = guild_member(env)
    start = await alice.slash(channel, "soudan")
    question = shown(start)[-1]

    await env.advance_time(3 * 180)  # well past discord.py's default view timeout
    await env.restart_bot(SoudanClient(conversations))  # a new process: same store, fresh client

    after = await alice.click(question, label="Adult")
    msgs = shown(after)
    assert after.acknowledged
    assert msgs[-1].content == "What happened?"
    assert all(m.ephemeral for m in msgs)


async def test_stale_button_reshows_the_current_question(simcord_env: simcord.Env) -> None:
    _, channel, alice = guild_member(simcord_env)
    old = shown(await alice.slash(channel, "soudan"))[-1]
    new = shown(await alice.slash(channel, "soudan"))[-1]
    assert buttons(old)[0]["custom_id"] != buttons(new)[0]["custom_id"]  # another conversation id

    stale = await alice.click(old, label="Student")
    msgs = shown(stale)
    assert msgs[0].content.startswith("That button belongs to an earlier question.")
    assert msgs[-1].content.endswith("Who are you?")
    assert labels(msgs[-1]) == ["Student", "Adult"]
    assert buttons(msgs[-1])[0]["custom_id"] == buttons(new)[0]["custom_id"]
    assert all(m.ephemeral for m in msgs)


# ------------------------------------------------------------------ moderator panel

async def test_panel_flow(simcord_env: simcord.Env, japanese: None) -> None:
    env = simcord_env
    guild, channel, mod = guild_member(env, "mod", manage=True)
    member = guild.add_member(env.create_user("member"))
    assert "soudan-panel" in mod.available_commands(channel)
    assert "soudan-panel" not in member.available_commands(channel)  # default permission: Manage Messages

    posted = await mod.slash(channel, "soudan-panel")
    assert posted.ephemeral
    assert shown(posted)[0].content == "パネルをこのチャンネルに置きました。"
    panel = channel.last_message
    assert panel is not None and not panel.flags.ephemeral
    assert panel.embeds[0].title == "相談をはじめる / Get help privately"
    assert labels(panel) == ["相談をはじめる / Get help privately"]

    pressed = await member.click(panel, label="相談をはじめる / Get help privately")
    msgs = shown(pressed)
    assert msgs and all(m.ephemeral for m in msgs)
    assert msgs[-1].content.endswith("あなたは？")
    nxt = await member.click(msgs[-1], label="学生")
    assert shown(nxt)[-1].content == "何がありましたか？"

    # the panel keeps working after a restart, for another member too
    await env.restart_bot(SoudanClient(env.bot.conversations))  # type: ignore[attr-defined]
    other = guild.add_member(env.create_user("other"))
    again = await other.click(panel, label="相談をはじめる / Get help privately")
    assert all(m.ephemeral for m in shown(again))
    assert shown(again)[-1].content.endswith("あなたは？")


async def test_panel_without_send_permission_explains(simcord_env: simcord.Env, japanese: None) -> None:
    env = simcord_env
    guild = env.create_guild()
    assert env.bot.user is not None
    channel = guild.create_text_channel(
        "locked", overwrites={env.bot.user: discord.PermissionOverwrite(send_messages=False)})
    mods = guild.create_role("Mods", permissions=discord.Permissions(manage_messages=True))
    mod = guild.add_member(env.create_user("mod"), roles=[mods])
    result = await mod.slash(channel, "soudan-panel")
    assert result.ephemeral
    assert "権限" in shown(result)[0].content


# ------------------------------------------------------------------ contacts lookup

async def test_contacts_lookup_is_ephemeral_with_status(simcord_env: simcord.Env, japanese: None) -> None:
    _, channel, mod = guild_member(simcord_env, "mod")
    result = await mod.slash(channel, "soudan-contacts", query="窓口")
    msgs = shown(result)
    assert msgs and all(m.ephemeral for m in msgs)
    assert msgs[0].content.startswith("「窓口」の相談窓口:")
    titles = [e.title for m in msgs for e in m.embeds]
    assert "平日の相談窓口" in titles and "24時間の窓口" in titles
    fields = {e.title: {f.name: f.value or "" for f in e.fields}
              for m in msgs for e in m.embeds if not (e.title or "").endswith("（続き）")}
    # the 24-hour line's hours already say 24時間: no second "24時間" status field (issue #12)
    assert "いまの状況" not in fields["24時間の窓口"] and "24時間" in fields["24時間の窓口"]["受付時間"]
    assert fields["平日の相談窓口"]["いまの状況"] == "受付中（17:00まで）"
    assert "DMで送る / Send me this list by DM" in labels(msgs[-1])


async def test_contacts_nothing_found_offers_a_24h_line(simcord_env: simcord.Env, japanese: None) -> None:
    _, channel, mod = guild_member(simcord_env, "mod")
    msgs = shown(await mod.slash(channel, "soudan-contacts", query="存在しない窓口名"))
    assert msgs[0].content.startswith("「存在しない窓口名」に合う窓口は見つかりませんでした。")
    assert [e.title for e in msgs[0].embeds] == ["24時間の窓口"]


async def test_contacts_sent_by_dm(simcord_env: simcord.Env, japanese: None) -> None:
    env = simcord_env
    _, channel, mod = guild_member(env, "mod")
    lookup = shown(await mod.slash(channel, "soudan-contacts", query="24時間"))
    sent = await mod.click(lookup[-1], label="DMで送る / Send me this list by DM")
    assert sent.ephemeral
    assert shown(sent)[0].content == "一覧をDMで送りました。"
    dm_msgs = [m for m in mod.user.dm_channel.history() if m.author.bot]
    assert dm_msgs and dm_msgs[0].content.startswith("「24時間」の相談窓口:")
    assert "24時間の窓口" in [e.title for e in dm_msgs[0].embeds]


async def test_contacts_dm_closed_falls_back_to_ephemeral(simcord_env: simcord.Env, japanese: None) -> None:
    env = simcord_env
    _, channel, mod = guild_member(env, "mod")
    lookup = shown(await mod.slash(channel, "soudan-contacts", query="24時間"))
    env.inject_error("POST", "/channels/*/messages", status=403, code=50007,
                     message="Cannot send messages to this user")
    result = await mod.click(lookup[-1], label="DMで送る / Send me this list by DM")
    msgs = shown(result)
    assert msgs and all(m.ephemeral for m in msgs)
    assert msgs[0].content.startswith("DMを送れませんでした")
    assert "24時間の窓口" in [e.title for m in msgs for e in m.embeds]
    assert not any(m.author.bot for m in mod.user.dm_channel.history())


# ------------------------------------------------------------------ forget

async def test_forget_deletes_the_session(simcord_env: simcord.Env, store: MemoryStore, japanese: None) -> None:
    _, channel, alice = guild_member(simcord_env)
    await alice.slash(channel, "soudan")
    assert await store.count() == 1
    result = await alice.slash(channel, "soudan-forget")
    assert result.ephemeral
    ask = shown(result)[-1]
    assert "この相談の記録（これまでの答え）をすべて消しますか？" in ask.content  # asked first
    assert labels(ask) == ["消す", "やめる"] and await store.count() == 1
    done = await alice.click(ask, label="消す")
    assert shown(done)[0].content.startswith("この相談の記録をすべて削除しました。")
    assert await store.count() == 0


# ------------------------------------------------------------------ over-long result, select menus

@pytest.fixture
def long_bot(long_conversations: Conversations) -> SoudanClient:
    return SoudanClient(long_conversations)


async def test_overlong_result_split_and_select_menu(long_bot: SoudanClient) -> None:
    async with simcord.run(long_bot) as env:
        _, channel, alice = guild_member(env)
        start = shown(await alice.slash(channel, "soudan"))
        question = start[-1]
        assert question.content.endswith("\n\nWhich fits?")
        selects = [c for row in question.components for c in row["components"] if c["type"] == 3]
        assert [len(s["options"]) for s in selects] == [25, 5]

        result = await alice.select(question, ["c30"], custom_id=selects[1]["custom_id"])
        msgs = shown(result)
        assert len(msgs) >= 4 and all(m.ephemeral for m in msgs)
        for m in msgs:
            assert len(m.content) <= 2000
            assert len(m.embeds) <= 10
            assert sum(len(e) for e in m.embeds) <= 6000
        # the 2,700-character lead was split between two whole lines
        assert msgs[0].content.endswith("相談の前に読んでください。")
        assert (msgs[0].content + "\n" + msgs[1].content).startswith(LONG_LEAD)
        titles = [e.title for m in msgs for e in m.embeds]
        assert titles.count("A window with long texts") == 1 and "A window with long texts (cont.)" in titles
        assert len([t for t in titles if t and not t.endswith("(cont.)")]) == 3  # three windows first (routing.md §0)
        link_labels = [b["label"] for m in msgs for b in buttons(m) if b.get("style") == 5]
        assert "ページ0" in link_labels

        # the other twelve behind 「Other windows (12)」, split within the limits too
        more = shown(await alice.click(msgs[-1], label="Other windows (12)"))
        for m in more:
            assert len(m.content) <= 2000
            assert len(m.embeds) <= 10
            assert sum(len(e) for e in m.embeds) <= 6000
        more_titles = [e.title for m in more for e in m.embeds]
        assert len(more_titles) == 12 and more_titles[-1] == "24-hour line"

        # the result's buttons carry a hashed state id (it is 97 characters long) and still work
        back = await alice.click(msgs[-1], label="Go back")
        assert "Going back to the previous question." in text(shown(back))
        assert shown(back)[-1].content.endswith("Which fits?")
        assert next(s["custom_id"] for row in shown(back)[-1].components for s in row["components"]).startswith(
            "soudan:s:0:pick:")


# ------------------------------------------------------------------ /soudan-open-now, /soudan-help-now

async def test_open_now_mid_consultation_lists_the_open_windows_then_the_question_again(
        simcord_env: simcord.Env, store: MemoryStore, japanese: None) -> None:
    """「窓口をさがす（いま受付中）」 as on the LINE rich menu: the windows open at 10:00 on a weekday,
    privately, then the question the member was at (its buttons still answer it)."""
    guild, channel, alice = guild_member(simcord_env)
    bob = guild.add_member(simcord_env.create_user("bob"))
    step = await alice.click(shown(await alice.slash(channel, "soudan"))[-1], label="おとな")
    assert shown(step)[-1].content == "何がありましたか？"

    result = await alice.slash(channel, "soudan-open-now")
    msgs = shown(result)
    assert msgs and all(m.ephemeral for m in msgs)
    assert re.match(r"いま受付中の窓口です（\d+件）。電話やチャットで、いま話せます。$", msgs[0].content)
    titles = [e.title for m in msgs for e in m.embeds]
    assert titles[0] == "24時間の窓口" and "平日の相談窓口" in titles  # 24 hours first, then the latest to close
    assert "警察 110番" not in titles  # 110: help-now
    assert msgs[-1].content.endswith("何がありましたか？")
    assert labels(msgs[-1]) == ["はい、悪口を書かれた", "いいえ"]
    answered = await alice.click(msgs[-1], label="いいえ")
    assert shown(answered)[0].content.startswith("相談先です。")
    assert [m for m in channel.history(viewer=bob) if m.author.bot] == []
    assert await store.count() == 1


async def test_help_now_for_someone_new_in_a_dm_is_110_first_then_the_first_question(
        simcord_env: simcord.Env, store: MemoryStore) -> None:
    """「いますぐ助けが必要」 in a DM, Discord in English: the danger reply with 110 first, then the
    consultation begins (never a dead end)."""
    user = simcord_env.create_user("dave")
    result = await user.slash("soudan-help-now")
    msgs = shown(result)
    assert msgs and not any(m.ephemeral for m in msgs)
    assert msgs[0].content.startswith("Your safety matters.")
    titles = [e.title for m in msgs for e in m.embeds]
    assert titles[0] == "Police 110" and "24-hour line" in titles
    assert msgs[-1].content.endswith("Who are you?") and labels(msgs[-1]) == ["Student", "Adult"]
    assert await store.count() == 1


def test_open_now_and_help_now_are_for_everyone_in_servers_and_dms(simcord_bot: SoudanClient) -> None:
    for name in ("soudan-open-now", "soudan-help-now"):
        cmd = simcord_bot.tree.get_command(name)
        assert isinstance(cmd, discord.app_commands.Command) and cmd.default_permissions is None
        assert not cmd.guild_only
