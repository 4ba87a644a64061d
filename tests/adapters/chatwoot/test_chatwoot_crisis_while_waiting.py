"""Crisis words typed while a Chatwoot hand-off waits for a counsellor (breaker8): soudan is silent while
people have the conversation, but nobody has taken it yet — 「死にたい」 got no answer at all until the
pick-up deadline. The crisis card (24-hour lines, 110 first for danger) is sent; the conversation, its
hand-off and the session stay as they were (the counsellors still get it)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import CONVERSATIONS_KEY
from tests.adapters.chatwoot.chatwoot_kit import Clock, FakeChatwoot, hook, make_client, make_fake
from tests.adapters.chatwoot.test_chatwoot_forget_ignored_while_people_hold_the_conversation import handed_off


@pytest.fixture
async def cw(aiohttp_server: Any, aiohttp_client: Any) -> tuple[Any, FakeChatwoot]:
    fake = await make_fake(aiohttp_server)
    return await make_client(aiohttp_client, fake, Clock()), fake


@pytest.mark.parametrize(("text", "first"), [("死にたい", "ひとりではありません"), ("元彼が家の前にいる", "110")])
async def test_crisis_words_get_the_crisis_card_while_the_hand_off_waits(
        cw: tuple[Any, FakeChatwoot], text: str, first: str) -> None:
    from tests.adapters.chatwoot.chatwoot_fake import ACCOUNT, incoming

    client, fake = cw
    conv = 951 if first == "110" else 952
    await handed_off(client, fake, conv)
    conversations = client.server.app[CONVERSATIONS_KEY]
    key = conversations.key("chatwoot", f"{ACCOUNT}:{conv}")
    before = await conversations.store.get(key)
    n = len(fake.public(conv))

    body = incoming(conv, text, status="open")
    assert await hook(client, body) == 200
    assert await hook(client, body) == 200  # Chatwoot retries the job: one card

    sent = [m["content"] for m in fake.public(conv)[n:]]
    assert len(sent) == 1 and first in sent[0], sent
    after = await conversations.store.get(key)
    assert after is not None and after.handoff == before.handoff and after.state == before.state
    assert fake.status[conv] == "open"  # still the counsellors' conversation


async def test_a_taken_conversation_stays_the_counsellors(cw: tuple[Any, FakeChatwoot]) -> None:
    """Once a counsellor answered, the person talks to them: the bot says nothing, crisis words included."""
    from tests.adapters.chatwoot.chatwoot_fake import agent_reply, incoming

    client, fake = cw
    conv = 953
    await handed_off(client, fake, conv)
    assert await hook(client, agent_reply(conv, "相談員です")) == 200
    n = len(fake.public(conv))
    assert await hook(client, incoming(conv, "死にたい", status="open")) == 200
    assert [m["content"] for m in fake.public(conv)[n:]] == []
