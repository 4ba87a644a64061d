"""Regression: one event of a webhook body without ``webhookEventId``, ``deliveryContext``, ``mode``
or ``timestamp`` (an older or hand-made payload) made line-bot-sdk's parser reject the whole body:
400, and a 「死にたい」 in another event of the same body was never answered.

Each event is now read on its own: the malformed one is skipped (logged with its position and the
fields at fault, never its text or user id), every other event is answered and the answer is 200.
A body that is not JSON, has no ``events`` list, or whose every event is malformed stays 400 with
nothing processed, and a wrong signature stays 400. The real line-bot-sdk against the fake
Messaging API; LINE's own 28-event sample.
"""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

import pytest

from bot.devtools.line_fake import FakeLineApi
from bot.store import SessionStore
from tests.adapters.line.linekit import ALL_EVENTS, USER, Post, body_of, follow_event, sign, text_event

CRISIS = "あなたの安全がいちばん大切です。"  # the test flow's crisis card (fixtures/flows/line-test.yaml)
FIELDS = ["webhookEventId", "deliveryContext", "mode", "timestamp"]
OTHER_USER = "U" + "b" * 32


def _without(ev: dict[str, Any], key: str) -> dict[str, Any]:
    ev = copy.deepcopy(ev)
    del ev[key]
    return ev


def _sent_texts(fake: FakeLineApi, token: str) -> str:
    return json.dumps(fake.reply_to(token).json["messages"], ensure_ascii=False)


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("make", [
    lambda: follow_event(user=OTHER_USER, token="bad"),
    lambda: text_event("こんにちは", user=OTHER_USER, token="bad"),
    lambda: {**text_event("x", user=OTHER_USER, token="bad"), "type": "somethingNew"},
], ids=["follow", "text", "unknown-type"])
async def test_the_other_events_of_the_body_are_answered(post: Post, fake: FakeLineApi, field: str, make: Any,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    bad = _without(make(), field)
    resp = await post(bad, text_event("もう死にたい", token="crisis"))
    assert resp.status == 200
    assert CRISIS in _sent_texts(fake, "crisis")
    assert [c for c in fake.calls if c.json.get("replyToken") == "bad"] == []
    skipped = [r for r in caplog.records if r.name == "soudan.line" and "skipped" in r.getMessage()]
    assert len(skipped) == 1 and skipped[0].levelno == logging.WARNING
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert OTHER_USER not in logged and USER not in logged
    assert "死にたい" not in logged and "こんにちは" not in logged


async def test_the_malformed_event_may_come_last(post: Post, fake: FakeLineApi, store: SessionStore) -> None:
    resp = await post(follow_event(token="f"), _without(text_event("こんにちは", user=OTHER_USER), "timestamp"))
    assert resp.status == 200
    assert fake.reply_to("f").json["messages"]
    assert await store.count() == 1  # the follow's session; nothing of the skipped event


def _sample() -> dict[str, Any]:
    """LINE's 28-event sample with one id and one reply token per event (as LINE sends them)."""
    data: dict[str, Any] = json.loads(ALL_EVENTS.read_text(encoding="utf-8"))
    for i, ev in enumerate(data["events"]):
        ev["webhookEventId"] = f"evt-{i:02d}"
        if "replyToken" in ev:
            ev["replyToken"] = f"rt-{i:02d}"
    return data


async def _tokens_answered(post: Post, fake: FakeLineApi, data: dict[str, Any]) -> set[str]:
    raw = json.dumps(data, ensure_ascii=False).encode()
    resp = await post(raw=raw, signature=sign(raw))
    assert resp.status == 200
    return {c.json["replyToken"] for c in fake.replies}


@pytest.mark.parametrize("field", FIELDS)
async def test_lines_sample_with_a_field_missing_from_its_first_event(post: Post, fake: FakeLineApi,
                                                                      field: str) -> None:
    """The sample's first event (a user's text) loses a field: every other event is handled as when
    the sample is whole — the same replies, save the first event's."""
    data = _sample()
    del data["events"][0][field]
    answered = await _tokens_answered(post, fake, data)
    assert "rt-00" not in answered
    # the user's other messages, postbacks and the follow still got theirs
    users = {f"rt-{i:02d}" for i, e in enumerate(data["events"]) if i and e["source"]["type"] == "user"
             and (e["type"] in ("follow", "postback") or (e["type"] == "message"))}
    assert users <= answered
    assert len(answered) >= 12


@pytest.mark.parametrize("field", FIELDS)
async def test_lines_sample_with_a_field_missing_everywhere_but_one_event(post: Post, fake: FakeLineApi,
                                                                          field: str) -> None:
    data = _sample()
    keep = 6  # the follow event
    assert data["events"][keep]["type"] == "follow"
    for i, ev in enumerate(data["events"]):
        if i != keep:
            ev.pop(field, None)
    assert await _tokens_answered(post, fake, data) == {f"rt-{keep:02d}"}


@pytest.mark.parametrize("field", FIELDS)
async def test_a_body_whose_every_event_is_malformed_is_400(post: Post, fake: FakeLineApi, store: SessionStore,
                                                            field: str) -> None:
    resp = await post(_without(text_event("もう死にたい"), field), _without(follow_event(), field))
    assert resp.status == 400
    assert fake.calls == [] and await store.count() == 0


async def test_a_wrong_signature_is_still_400(post: Post, fake: FakeLineApi) -> None:
    body = body_of(_without(follow_event(), "mode"), text_event("もう死にたい"))
    resp = await post(raw=body, signature=sign(body, "another-secret"))
    assert resp.status == 400
    assert fake.calls == []


async def test_a_body_that_is_not_json_is_still_400(post: Post, fake: FakeLineApi) -> None:
    body = body_of(text_event("もう死にたい"))[:-1]
    resp = await post(raw=body, signature=sign(body))
    assert resp.status == 400
    assert fake.calls == []
