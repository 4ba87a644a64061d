"""/soudan-forget in a server asks privately (ephemeral); the member types in the DM. A 「1」 typed there
answered the question shown in the DM, but the engine took it as 「消す」 for the deletion question
left pending from the server and deleted everything (breaker §6)."""

from __future__ import annotations

from bot.adapters.discord.client import SoudanClient
from bot.store.memory import MemoryStore
from tests.adapters.discord.conftest import Sent, make_interaction
from tests.adapters.discord.test_discord_callbacks import command, dm_message, first_button

USER = 4242


async def test_a_digit_typed_in_the_dm_answers_the_dm_question_not_the_servers_deletion_question(
        mock_client: SoudanClient, store: MemoryStore) -> None:
    m = dm_message("こんにちは", author_id=USER)
    await mock_client.on_message(m)
    assert m.channel.send.await_args_list[-1].kwargs["content"].endswith("あなたは？")  # 1. 学生 2. おとな
    i = make_interaction(mock_client, user_id=USER)  # in a server
    await command(mock_client, "soudan-forget", i)
    assert "すべて消しますか" in Sent(i).followups[-1]["content"] and Sent(i).followups[-1]["ephemeral"] is True

    m2 = dm_message("1", author_id=USER)  # the member answers the DM's question
    await mock_client.on_message(m2)

    assert await store.count() == 1
    shown = m2.channel.send.await_args_list[-1].kwargs["content"]
    assert shown == "何がありましたか？"  # 「学生」 taken; nothing said about deleting
    assert not any("削除しました" in c.kwargs.get("content", "") for c in m2.channel.send.await_args_list)


async def test_the_servers_deletion_question_is_still_answered_by_its_button_or_by_naming_it(
        mock_client: SoudanClient, store: MemoryStore) -> None:
    await mock_client.on_message(dm_message("こんにちは", author_id=USER))
    i = make_interaction(mock_client, user_id=USER)
    await command(mock_client, "soudan-forget", i)
    m = dm_message("消す", author_id=USER)  # words that name deleting answer it from anywhere
    await mock_client.on_message(m)
    assert await store.count() == 0
    assert m.channel.send.await_args_list[-1].kwargs["content"].startswith("この相談の記録をすべて削除しました。")

    await mock_client.on_message(dm_message("こんにちは", author_id=USER))
    i = make_interaction(mock_client, user_id=USER)
    await command(mock_client, "soudan-forget", i)
    i2 = make_interaction(mock_client, user_id=USER)
    await first_button(Sent(i), "消す").callback(i2)
    assert await store.count() == 0


async def test_asked_in_the_dm_a_typed_1_still_deletes(mock_client: SoudanClient, store: MemoryStore) -> None:
    await mock_client.on_message(dm_message("こんにちは", author_id=USER))
    i = make_interaction(mock_client, user_id=USER, guild=False)  # /soudan-forget in the DM: shown there
    await command(mock_client, "soudan-forget", i)
    await mock_client.on_message(dm_message("1", author_id=USER))
    assert await store.count() == 0
