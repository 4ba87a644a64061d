"""Callback-level tests: every handler called directly with ``MagicMock(spec=discord.Interaction)``.

These pin the acknowledgement (defer before any store work), the ephemeral flag of each followup,
the fallbacks (store down, closed DMs, no permission) and the privacy rule (no text, no raw ids in
logs) without any Discord at all.
"""

from __future__ import annotations

import itertools
import logging
import re
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord
import pytest

from bot.adapters.discord import (
    ChoiceButton,
    ChoiceSelect,
    ContactsDMButton,
    PanelButton,
    SoudanClient,
    dm_list_custom_id,
    select_custom_id,
)
from bot.service import Conversations
from bot.store import StoreError
from bot.store.memory import MemoryStore
from tests.adapters.discord.conftest import Sent, make_interaction


def forbidden(code: int = 50007) -> discord.Forbidden:
    response = MagicMock(status=403, reason="Forbidden")
    return discord.Forbidden(response, {"code": code, "message": "Cannot send messages to this user"})


def views(sent: Sent) -> list[discord.ui.View]:
    return [f["view"] for f in sent.followups if "view" in f]


def item_labels(view: discord.ui.View) -> list[str]:
    out: list[str] = []
    for item in view.children:
        inner = getattr(item, "item", item)
        out.append(getattr(inner, "label", None) or getattr(inner, "placeholder", "") or "")
    return out


async def command(client: SoudanClient, name: str, interaction: Any, **kw: Any) -> None:
    cmd = client.tree.get_command(name)
    assert isinstance(cmd, discord.app_commands.Command)
    callback: Any = cmd.callback  # a test calls the handler as discord.py would, with a mocked interaction
    await callback(interaction, **kw)


async def start(client: SoudanClient, **kw: Any) -> tuple[Any, Sent]:
    i = make_interaction(client, **kw)
    await command(client, "soudan", i)
    return i, Sent(i)


def first_button(sent: Sent, label: str) -> ChoiceButton:
    for v in views(sent):
        for item in v.children:
            if isinstance(item, ChoiceButton) and item.item.label == label:
                return item
    raise AssertionError(f"no button {label!r}")


# ------------------------------------------------------------------ /soudan

async def test_soudan_in_a_guild_defers_ephemeral_and_every_followup_is_ephemeral(mock_client: SoudanClient) -> None:
    i, sent = await start(mock_client)
    i.response.defer.assert_awaited_once_with(ephemeral=True, thinking=True)
    assert sent.followups and all(f["ephemeral"] is True for f in sent.followups)
    assert sent.followups[-1]["content"].endswith("あなたは？")
    v = views(sent)[-1]
    assert v.timeout is None
    assert item_labels(v) == ["学生", "おとな"]
    assert str(next(getattr(c, "custom_id", None) for c in v.children)).startswith("soudan:c:pupil:who:")


async def test_soudan_in_a_dm_is_not_ephemeral_and_english_locale(mock_client: SoudanClient) -> None:
    i, sent = await start(mock_client, guild=False, locale=discord.Locale.british_english)
    i.response.defer.assert_awaited_once_with(ephemeral=False, thinking=True)
    assert all(f["ephemeral"] is False for f in sent.followups)
    assert sent.followups[-1]["content"].endswith("Who are you?")


@pytest.mark.parametrize(("locale", "expected"), [
    (discord.Locale.american_english, "Who are you?"), (discord.Locale.japanese, "あなたは？"),
    (discord.Locale.korean, "あなたは？"), (discord.Locale.french, "あなたは？"),
])
async def test_locale_follows_discord(mock_client: SoudanClient, locale: discord.Locale, expected: str) -> None:
    _, sent = await start(mock_client, locale=locale)
    assert sent.followups[-1]["content"].endswith(expected)


async def test_defer_happens_before_the_store_is_touched(conversations: Conversations) -> None:
    order: list[str] = []
    store = conversations.store
    real_step = store.step

    async def step(*args: Any, **kw: Any) -> Any:
        order.append("store")
        return await real_step(*args, **kw)

    store.step = step  # type: ignore[method-assign]
    client = SoudanClient(conversations, sync_commands=False)
    i = make_interaction(client)
    i.response.defer.side_effect = lambda **kw: order.append("defer")
    await command(client, "soudan", i)
    assert order == ["defer", "store"]


async def test_store_down_still_answers_with_emergency_numbers(conversations: Conversations) -> None:
    conversations.store.step = AsyncMock(side_effect=StoreError("down"))  # type: ignore[method-assign]
    client = SoudanClient(conversations, sync_commands=False)
    i, sent = await start(client)
    i.response.defer.assert_awaited_once()
    assert len(sent.followups) == 1
    assert "110" in sent.followups[0]["content"] and "119" in sent.followups[0]["content"]
    assert sent.followups[0]["ephemeral"] is True


# ------------------------------------------------------------------ buttons and selects

async def test_choice_button_callback_advances(mock_client: SoudanClient) -> None:
    _, sent = await start(mock_client)
    button = first_button(sent, "学生")
    i = make_interaction(mock_client)
    await button.callback(i)
    i.response.defer.assert_awaited_once_with(ephemeral=True, thinking=True)
    s = Sent(i)
    assert s.followups[-1]["content"] == "何がありましたか？"
    assert all(f["ephemeral"] is True for f in s.followups)


async def test_stale_button_callback(mock_client: SoudanClient) -> None:
    _, old = await start(mock_client)
    await start(mock_client)
    i = make_interaction(mock_client)
    await first_button(old, "学生").callback(i)
    s = Sent(i)
    assert s.followups[0]["content"].startswith("このボタンは前の質問のものです。")
    assert s.followups[-1]["content"].endswith("あなたは？")


async def test_button_rebuilt_from_custom_id_after_restart(conversations: Conversations) -> None:
    first = SoudanClient(conversations, sync_commands=False)
    _, sent = await start(first)
    cid = first_button(sent, "おとな").custom_id
    second = SoudanClient(conversations, sync_commands=False)  # a new process; same store
    match = re.fullmatch(ChoiceButton.__discord_ui_compiled_template__, cid)
    assert match is not None
    rebuilt = await ChoiceButton.from_custom_id(MagicMock(), discord.ui.Button(label="おとな", custom_id=cid), match)
    i = make_interaction(second)
    await rebuilt.callback(i)
    assert Sent(i).followups[-1]["content"] == "何がありましたか？"


async def test_select_callback_picks_the_value(long_conversations: Conversations) -> None:
    client = SoudanClient(long_conversations, sync_commands=False)
    _, sent = await start(client, locale=discord.Locale.american_english)
    selects = [c for v in views(sent) for c in v.children if isinstance(c, ChoiceSelect)]
    assert len(selects) == 2 and len(selects[0].item.options) == 25
    i = make_interaction(client, data={"values": ["c07"]}, locale=discord.Locale.american_english)
    await selects[0].callback(i)
    s = Sent(i)
    assert s.followups[0]["content"].startswith("00 ")
    assert s.followups[-1]["content"] == "Is there anything else I can do?"
    assert all(f["ephemeral"] is True for f in s.followups)


async def test_select_custom_id_for_long_state_fits() -> None:
    assert len(select_custom_id(4, "s" * 120, "abcd2345")) <= 100


# ------------------------------------------------------------------ panel

async def test_panel_command_posts_a_persistent_panel(mock_client: SoudanClient) -> None:
    i = make_interaction(mock_client)
    await command(mock_client, "soudan-panel", i)
    i.response.defer.assert_awaited_once_with(ephemeral=True, thinking=True)
    kwargs = i.channel.send.await_args.kwargs
    assert kwargs["embed"].title == "相談をはじめる / Get help privately"
    view = kwargs["view"]
    assert view.timeout is None
    assert [type(c) for c in view.children] == [PanelButton]
    assert view.children[0].custom_id == "soudan:panel"
    assert Sent(i).followups == [{"content": "パネルをこのチャンネルに置きました。", "ephemeral": True}]


async def test_panel_command_without_permission_explains(mock_client: SoudanClient) -> None:
    i = make_interaction(mock_client, locale=discord.Locale.american_english)
    i.channel.send.side_effect = forbidden(50013)
    await command(mock_client, "soudan-panel", i)
    [note] = Sent(i).followups
    assert note["ephemeral"] is True and "Send Messages" in note["content"]


def test_panel_command_needs_manage_messages(mock_client: SoudanClient) -> None:
    cmd = mock_client.tree.get_command("soudan-panel")
    assert isinstance(cmd, discord.app_commands.Command)
    assert cmd.default_permissions == discord.Permissions(manage_messages=True)
    assert cmd.guild_only


async def test_panel_button_starts_a_private_consultation(mock_client: SoudanClient) -> None:
    i = make_interaction(mock_client)
    await PanelButton().callback(i)
    i.response.defer.assert_awaited_once_with(ephemeral=True, thinking=True)
    s = Sent(i)
    assert all(f["ephemeral"] is True for f in s.followups)
    assert s.followups[-1]["content"].endswith("あなたは？")


# ------------------------------------------------------------------ contacts

async def test_contacts_command_is_ephemeral_with_dm_button(mock_client: SoudanClient) -> None:
    i = make_interaction(mock_client)
    await command(mock_client, "soudan-contacts", i, query="24時間", open_now=True)
    i.response.defer.assert_awaited_once_with(ephemeral=True, thinking=True)
    s = Sent(i)
    assert all(f["ephemeral"] is True for f in s.followups)
    assert s.followups[0]["content"].startswith("「24時間」の相談窓口:")
    assert "（いま受付中のみ）" in s.followups[0]["content"]
    embeds = [e for f in s.followups for e in f.get("embeds", [])]
    assert "24時間の窓口" in [e.title for e in embeds]
    dm = [c for c in views(s)[-1].children if isinstance(c, ContactsDMButton)]
    assert len(dm) == 1 and dm[0].custom_id == "soudan:dm:1:24時間"


async def test_contacts_in_a_dm_has_no_dm_button(mock_client: SoudanClient) -> None:
    i = make_interaction(mock_client, guild=False)
    await command(mock_client, "soudan-contacts", i, query="24時間")
    assert not any(isinstance(c, ContactsDMButton) for v in views(Sent(i)) for c in v.children)


async def test_contacts_query_is_escaped(mock_client: SoudanClient) -> None:
    i = make_interaction(mock_client)
    await command(mock_client, "soudan-contacts", i, query="@everyone **x**")
    content = Sent(i).followups[0]["content"]
    assert "@everyone" not in content and "**x**" not in content


async def test_dm_button_sends_the_list(mock_client: SoudanClient) -> None:
    i = make_interaction(mock_client)
    await ContactsDMButton(dm_list_custom_id("24時間", False)).callback(i)
    assert i.user.send.await_count >= 1
    dm_first = i.user.send.await_args_list[0].kwargs
    assert dm_first["content"].startswith("「24時間」の相談窓口:")
    assert "view" not in dm_first or not any(isinstance(c, ContactsDMButton) for c in dm_first["view"].children)
    assert Sent(i).followups == [{"content": "一覧をDMで送りました。", "ephemeral": True}]


async def test_dm_button_with_closed_dms_falls_back_to_ephemeral(mock_client: SoudanClient) -> None:
    i = make_interaction(mock_client, locale=discord.Locale.american_english)
    i.user.send.side_effect = forbidden(50007)
    await ContactsDMButton(dm_list_custom_id("24", False)).callback(i)
    s = Sent(i)
    assert s.followups and all(f["ephemeral"] is True for f in s.followups)
    assert s.followups[0]["content"].startswith("I could not DM you")
    assert "24-hour line" in [e.title for f in s.followups for e in f.get("embeds", [])]


# ------------------------------------------------------------------ forget

async def test_forget_command(mock_client: SoudanClient, store: MemoryStore) -> None:
    await start(mock_client)
    assert await store.count() == 1
    i = make_interaction(mock_client)
    await command(mock_client, "soudan-forget", i)
    # asked first (a person may mean leaked posts): nothing is deleted before 「消す」
    assert "この相談の記録（これまでの答え）をすべて消しますか？" in Sent(i).followups[-1]["content"]
    assert Sent(i).followups[-1]["ephemeral"] is True
    assert await store.count() == 1
    i2 = make_interaction(mock_client)
    await first_button(Sent(i), "消す").callback(i2)
    assert Sent(i2).followups[0]["content"].startswith("この相談の記録をすべて削除しました。")
    assert Sent(i2).followups[0]["ephemeral"] is True
    assert await store.count() == 0


async def test_forget_command_then_no_keeps_the_consultation(mock_client: SoudanClient, store: MemoryStore) -> None:
    await start(mock_client)
    i = make_interaction(mock_client)
    await command(mock_client, "soudan-forget", i)
    i2 = make_interaction(mock_client)
    await first_button(Sent(i), "やめる").callback(i2)
    assert Sent(i2).followups[0]["content"].startswith("記録は消していません。")
    assert await store.count() == 1


# ------------------------------------------------------------------ DMs (on_message)

_message_ids = itertools.count(900_000)


def dm_message(text: str, *, author_id: int = 555, bot: bool = False, guild: bool = False,
               attachments: int = 0) -> MagicMock:
    m = MagicMock(spec=discord.Message)
    m.id = next(_message_ids)
    m.content = text
    m.author = MagicMock()
    m.author.id = author_id
    m.author.bot = bot
    m.guild = MagicMock() if guild else None
    m.channel = MagicMock(spec=discord.DMChannel) if not guild else MagicMock(spec=discord.TextChannel)
    m.channel.send = AsyncMock()
    m.stickers = []
    m.attachments = [MagicMock()] * attachments
    return m


async def test_dm_free_text(mock_client: SoudanClient) -> None:
    m = dm_message("こんにちは")
    await mock_client.on_message(m)
    last = m.channel.send.await_args_list[-1].kwargs
    assert last["content"].endswith("あなたは？")
    assert item_labels(last["view"]) == ["学生", "おとな"]
    m2 = dm_message("おとな")
    await mock_client.on_message(m2)
    assert m2.channel.send.await_args_list[-1].kwargs["content"] == "何がありましたか？"


async def test_dm_attachment_is_unsupported(mock_client: SoudanClient) -> None:
    await mock_client.on_message(dm_message("hi"))
    m = dm_message("", attachments=1)
    await mock_client.on_message(m)
    assert "スタンプ・画像・ファイルなどは読み取れません" in m.channel.send.await_args_list[0].kwargs["content"]


async def test_messages_in_servers_and_from_bots_are_ignored(mock_client: SoudanClient, store: MemoryStore) -> None:
    for m in (dm_message("こんにちは", guild=True), dm_message("こんにちは", bot=True)):
        await mock_client.on_message(m)
        m.channel.send.assert_not_awaited()
    assert await store.count() == 0


# ------------------------------------------------------------------ errors and privacy

async def test_tree_error_answers_instead_of_failing(mock_client: SoudanClient) -> None:
    i = make_interaction(mock_client)
    err = discord.app_commands.CommandInvokeError(MagicMock(name="x"), RuntimeError("boom"))
    await mock_client._on_tree_error(i, err)
    i.response.send_message.assert_awaited_once()
    assert i.response.send_message.await_args.kwargs["ephemeral"] is True
    j = make_interaction(mock_client)
    await j.response.defer()
    await mock_client._on_tree_error(j, err)
    assert "110" in Sent(j).followups[0]["content"]


async def test_no_text_or_raw_ids_in_logs(conversations: Conversations, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client = SoudanClient(conversations, sync_commands=False)
    secret_text = "とても個人的な秘密の相談内容"
    await client.on_message(dm_message(secret_text, author_id=987654321))
    await client.on_message(dm_message("死にたい", author_id=987654321))
    i = make_interaction(client, user_id=123456789)
    await command(client, "soudan-contacts", i, query="ひみつの検索語")
    conversations.store.step = AsyncMock(side_effect=StoreError("down"))  # type: ignore[method-assign]
    await client.on_message(dm_message(secret_text, author_id=987654321))
    logs = caplog.text
    assert "failed in the store/engine: StoreError" in logs  # errors are logged …
    for forbidden_text in (secret_text, "死にたい", "ひみつの検索語", "987654321", "123456789"):
        assert forbidden_text not in logs  # … without text or raw ids


async def test_a_redelivered_interaction_sends_nothing_and_clears_thinking(mock_client: SoudanClient) -> None:
    i, sent = await start(mock_client)
    n = len(sent.followups)
    await command(mock_client, "soudan", i)  # the same interaction id again
    assert len(sent.followups) == n
    i.delete_original_response.assert_awaited_once()


async def test_a_bug_is_logged_without_its_message(conversations: Conversations,
                                                   caplog: pytest.LogCaptureFixture,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("user typed: とても個人的な内容")

    monkeypatch.setattr(conversations.engine, "step", broken)
    client = SoudanClient(conversations, sync_commands=False)
    m = dm_message("とても個人的な内容")
    await client.on_message(m)
    assert "ValueError at test_discord_callbacks.py:" in caplog.text
    assert "とても個人的な内容" not in caplog.text
    assert "119" in m.channel.send.await_args.kwargs["content"]
