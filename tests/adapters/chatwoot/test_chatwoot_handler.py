"""Chatwoot event handling (bot/adapters/chatwoot/handler.py): the store is read only for events
that need it, and the out-of-order memory is bounded."""

from __future__ import annotations

from typing import Any

import pytest

from bot.adapters.chatwoot import handler
from bot.app import DESK_KEY
from bot.i18n import t
from tests.adapters.chatwoot.chatwoot_fake import conversation_event, incoming
from tests.adapters.chatwoot.chatwoot_kit import Clock, FakeChatwoot, hook, make_client

UNREACHABLE = "redis://127.0.0.1:9/0"  # nothing listens on the discard port: every store call fails


async def test_events_that_need_no_store_are_answered_while_the_store_is_down(
        aiohttp_client: Any, fake: FakeChatwoot, clock: Clock) -> None:
    client = await make_client(aiohttp_client, fake, clock, store=UNREACHABLE)
    # an event soudan ignores, and a message of the bot itself: nothing to read, so 200 (was 500)
    assert await hook(client, conversation_event("conversation_opened", 31, "pending")) == 200
    own = incoming(31, "こんにちは")
    own.update(message_type="outgoing", sender={"id": 99, "name": "soudan", "type": "agent_bot"})
    assert await hook(client, own) == 200
    # a person's message needs the store: 500, so that Chatwoot retries — and the person is told at
    # once (try again; 110 and 119), once, not at every retry (it was silence)
    hello = incoming(31, "こんにちは")
    assert await hook(client, hello) == 500
    assert await hook(client, hello) == 500
    assert [m["content"] for m in fake.public(31)] == [t("adapters.error", "ja") + "\n\n" + t("adapters.error", "en")]


async def test_newest_message_ids_are_kept_for_a_bounded_number_of_conversations(
        aiohttp_client: Any, fake: FakeChatwoot, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handler, "NEWEST_KEPT", 2)
    client = await make_client(aiohttp_client, fake, clock)
    for conv in (41, 42, 43):
        assert await hook(client, incoming(conv, "こんにちは")) == 200
        assert fake.public(conv)  # each conversation got its welcome
    adapter = client.app[DESK_KEY].sinks["chatwoot"]
    assert isinstance(adapter, handler.ChatwootAdapter)
    assert len(adapter._newest) == 2
