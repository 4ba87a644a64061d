"""Chatwoot during a store outage (session 8's review): a person's message got nothing — the webhook
answered 500 for Chatwoot to retry, and 「死にたい」 went unanswered. It is now answered as on every
platform (:func:`bot.adapters.common.outage_replies`): the crisis card first, then the apology with
110 and 119 — once, not at every retry; the 500 stays (Chatwoot retries, then opens the conversation
to the counsellors). In a conversation people have, crisis words get the card only. The real app
against the fake Chatwoot API, over a Redis store nothing answers."""

from __future__ import annotations

from typing import Any

import pytest

from bot.i18n import t
from tests.adapters.chatwoot.chatwoot_fake import incoming
from tests.adapters.chatwoot.chatwoot_kit import Clock, FakeChatwoot, hook, make_client

UNREACHABLE = "redis://127.0.0.1:9/0"  # nothing listens on the discard port: every store call fails
APOLOGY = t("adapters.error", "ja") + "\n\n" + t("adapters.error", "en")


@pytest.fixture
async def down(aiohttp_client: Any, fake: FakeChatwoot, clock: Clock) -> Any:
    return await make_client(aiohttp_client, fake, clock, store=UNREACHABLE)


@pytest.mark.parametrize(("typed", "first"), [("死にたい", "0120-279-338"), ("元彼が家の前にいる", "110")])
async def test_crisis_words_get_the_crisis_card_then_the_apology(down: Any, fake: FakeChatwoot, typed: str,
                                                                 first: str) -> None:
    body = incoming(61, typed)
    assert await hook(down, body) == 500  # Chatwoot retries the job
    assert await hook(down, body) == 500
    sent = [m["content"] for m in fake.public(61)]
    assert len(sent) == 1, sent  # one message: the card's windows, then the apology
    card, apology = sent[0][:-len(APOLOGY)], sent[0][-len(APOLOGY):]
    assert first in card and apology == APOLOGY  # よりそいホットライン (directory/support.yaml), or 110
    assert "110番" in APOLOGY and "119番" in APOLOGY


async def test_in_a_conversation_people_have_crisis_words_get_the_card_only(down: Any, fake: FakeChatwoot) -> None:
    # whether a hand-off still waits for a counsellor cannot be read: the card, never the bot's apology
    body = incoming(62, "死にたい", status="open")
    assert await hook(down, body) == 500
    assert await hook(down, body) == 500
    sent = [m["content"] for m in fake.public(62)]
    assert len(sent) == 1 and "0120-279-338" in sent[0] and APOLOGY not in sent[0]
    assert await hook(down, incoming(62, "ありがとうございます", status="open")) == 500
    assert len(fake.public(62)) == 1  # no crisis words: silent, as always while people have it
