"""データ削除 typed in a Chatwoot conversation that counsellors hold (hand-off waiting or taken) was
swallowed: soudan stays silent while people have the conversation, so the answers, the slots and the
hand-off stayed in the store although the help text promises 「データ削除」 deletes every record."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import CONVERSATIONS_KEY
from tests.adapters.chatwoot.chatwoot_kit import (
    Clock,
    FakeChatwoot,
    hook,
    make_client,
    make_fake,
    press,
    selects,
)


@pytest.fixture
async def cw(aiohttp_server: Any, aiohttp_client: Any) -> tuple[Any, FakeChatwoot]:
    fake = await make_fake(aiohttp_server)
    return await make_client(aiohttp_client, fake, Clock()), fake


async def handed_off(client: Any, fake: FakeChatwoot, conv: int) -> None:
    from tests.adapters.chatwoot.chatwoot_fake import incoming

    assert await hook(client, incoming(conv, "こんにちは")) == 200
    for choice in ["none", "pupil", "def"]:
        await press(client, fake, conv, choice)
    await press(client, fake, conv, "skip" if "skip" in selects(fake, conv) else "other")
    await press(client, fake, conv, ":handoff")
    await press(client, fake, conv, ":handoff-yes")
    assert fake.status[conv] == "open"

async def asked_while_held(client: Any, fake: FakeChatwoot, conv: int) -> tuple[Any, str]:
    """Conversation ``conv`` taken by a counsellor, then 「データ削除」 asked: (conversations, its store key)."""
    from tests.adapters.chatwoot.chatwoot_fake import ACCOUNT, agent_reply, incoming

    await handed_off(client, fake, conv)
    assert await hook(client, agent_reply(conv, "相談員です")) == 200
    conversations = client.server.app[CONVERSATIONS_KEY]
    key = conversations.key("chatwoot", f"{ACCOUNT}:{conv}")
    assert await hook(client, incoming(conv, "データ削除", status="open")) == 200
    return conversations, key



@pytest.mark.parametrize("taken", [False, True], ids=["waiting", "taken"])
async def test_forget_deletes_the_session_while_counsellors_hold_the_conversation(
        cw: tuple[Any, FakeChatwoot], taken: bool) -> None:
    from tests.adapters.chatwoot.chatwoot_fake import ACCOUNT, agent_reply, incoming

    client, fake = cw
    conv = 901 if taken else 902
    await handed_off(client, fake, conv)
    if taken:
        assert await hook(client, agent_reply(conv, "相談員です")) == 200
    conversations = client.server.app[CONVERSATIONS_KEY]
    key = conversations.key("chatwoot", f"{ACCOUNT}:{conv}")
    assert (await conversations.store.get(key)).handoff is not None

    assert await hook(client, incoming(conv, "データ削除", status="open")) == 200
    assert "すべて消しますか" in fake.public(conv)[-1]["content"]  # asked first; the answer reaches the bot too
    assert await conversations.store.get(key) is not None
    assert await hook(client, incoming(conv, "消す", status="open")) == 200

    assert await conversations.store.get(key) is None
    assert "記録をすべて削除しました" in fake.public(conv)[-1]["content"]
    assert "取り消しました" in fake.notes(conv)[-1]       # the counsellors are told the hand-off ended


async def test_other_messages_stay_silent_while_people_hold_the_conversation(cw: tuple[Any, FakeChatwoot]) -> None:
    from tests.adapters.chatwoot.chatwoot_fake import incoming

    client, fake = cw
    conv = 903
    await handed_off(client, fake, conv)
    n = len(fake.calls)
    assert await hook(client, incoming(conv, "まだですか", status="open")) == 200
    assert len(fake.calls) == n


@pytest.mark.parametrize("answer", ["はい", "1", "ok", "yes", "うん", "いいえ", "2"])
async def test_a_bare_yes_said_to_the_counsellor_does_not_answer_the_bots_deletion_question(
        cw: tuple[Any, FakeChatwoot], answer: str) -> None:
    """breaker §5: 「データ削除」 asked 「消しますか？」 while a counsellor held the conversation; a later
    「はい」/「1」 said TO THE COUNSELLOR deleted the record and cancelled the hand-off (the bot posted
    「…引き継ぎも取り消しました…削除しました」 into the counsellor's conversation); 「いいえ」 made the bot
    re-ask its question there. Now the bot stays silent, the record and the hand-off stay, and the
    question left pending does not survive the conversation's return to the bot."""
    from tests.adapters.chatwoot.chatwoot_fake import agent_reply, conversation_event, incoming

    client, fake = cw
    conv = 950
    conversations, key = await asked_while_held(client, fake, conv)
    assert "すべて消しますか" in fake.public(conv)[-1]["content"]
    assert await hook(client, incoming(conv, "すみません、やっぱり相談を続けたいです", status="open")) == 200
    assert await hook(client, agent_reply(conv, "わかりました。いま話せますか？")) == 200
    n_public, n_notes = len(fake.public(conv)), len(fake.notes(conv))

    assert await hook(client, incoming(conv, answer, status="open")) == 200

    assert len(fake.public(conv)) == n_public and len(fake.notes(conv)) == n_notes  # the bot said nothing
    stored = await conversations.store.get(key)
    assert stored is not None and stored.handoff is not None and stored.handoff.status == "taken"

    # the counsellors resolve it: the bot holds the conversation again, its question now is the result's
    assert await hook(client, conversation_event("conversation_resolved", conv, "resolved")) == 200
    assert "すべて消しますか" not in fake.public(conv)[-1]["content"]
    assert await hook(client, incoming(conv, "1")) == 200
    assert await conversations.store.get(key) is not None
    assert not any("削除しました" in m["content"] for m in fake.public(conv))


async def test_the_deletion_buttons_still_answer_while_people_hold_the_conversation(
        cw: tuple[Any, FakeChatwoot]) -> None:
    """Its own 「消す」 button (and 「消す」 typed, as the first test shows) still deletes."""

    client, fake = cw
    conv = 951
    conversations, key = await asked_while_held(client, fake, conv)
    await press(client, fake, conv, ":forget-yes", status="open")
    assert await conversations.store.get(key) is None
    assert "記録をすべて削除しました" in fake.public(conv)[-1]["content"]
