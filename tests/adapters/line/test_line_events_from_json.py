"""The webhook's direct JSON mapping (bot/adapters/line/events.py ``job_from_json``) gives exactly
the jobs the SDK's models give, and leaves every event it does not fully vouch for to the SDK.

Each case is a real webhook event object as LINE sends it, or one with a field changed to another
JSON value or removed: whenever the direct mapping accepts it, the SDK must parse it to the same
job (input, chat, ids); for the common shapes the direct mapping must accept it.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from linebot.v3.models.events import UnknownEvent
from linebot.v3.webhooks import Event

from bot.adapters.line.events import Job, MalformedEvent, job_from_json, read_event, to_job
from bot.engine.types import Pick, Text
from tests.profiles import examples

UID = "U" + "a" * 32

TEXT = {
    "type": "message", "mode": "active", "timestamp": 1_780_000_000_123,
    "source": {"type": "user", "userId": UID}, "webhookEventId": "01HEVENT0000000000000000001",
    "deliveryContext": {"isRedelivery": False}, "replyToken": "r" * 32,
    "message": {"type": "text", "id": "468789577898262530", "text": "SNSで悪口を書かれた", "quoteToken": "q-1"},
}
POSTBACK = {
    "type": "postback", "mode": "active", "timestamp": 1_780_000_000_456,
    "source": {"type": "user", "userId": UID}, "webhookEventId": "01HEVENT0000000000000000002",
    "deliveryContext": {"isRedelivery": True}, "replyToken": "s" * 32,
    "postback": {"data": "c=sns&s=what&v=abc123"},
}
OPEN_NOW = {**POSTBACK, "postback": {"data": "m=open-now&l=en"}}


def sdk_job(raw: dict[str, Any]) -> Job:
    """The job the SDK path makes of one event (as the webhook does when the direct mapping declines)."""
    try:
        event = Event.from_dict(raw)
    except ValueError:
        event = UnknownEvent.new_from_json_dict(raw)
    return to_job(event, 0, raw)


@pytest.mark.parametrize("raw", [TEXT, POSTBACK, OPEN_NOW], ids=["text", "postback", "open-now"])
def test_common_events_are_mapped_directly_as_the_sdk_maps_them(raw: dict[str, Any]) -> None:
    job = job_from_json(copy.deepcopy(raw))
    assert job is not None
    assert job == sdk_job(copy.deepcopy(raw))


def test_mapped_jobs_carry_the_message_and_the_ids() -> None:
    text, pick = read_event(TEXT, 0), read_event(POSTBACK, 1)
    assert (text.kind, text.action, text.inp, text.user_id) == ("message.text", "input", Text("SNSで悪口を書かれた"), UID)
    assert (text.event_id, text.reply_token, text.timestamp) == ("01HEVENT0000000000000000001", "r" * 32, 1_780_000_000_123)
    assert pick.inp == Pick("sns", "what", "abc123")


@pytest.mark.parametrize("change", [
    ("timestamp", "1780000000123"), ("timestamp", True), ("timestamp", 1.5), ("mode", "standby"),
    ("webhookEventId", None), ("webhookEventId", 7), ("deliveryContext", {"isRedelivery": "false"}),
    ("deliveryContext", None), ("replyToken", 5), ("source", {"type": "group", "groupId": "C1", "userId": UID}),
    ("source", {"type": "user"}), ("message", {"type": "text", "id": "1", "text": "hi"}),  # no quoteToken
    ("message", {"type": "text", "id": 1, "text": "hi", "quoteToken": "q"}),
    ("message", {"type": "text", "id": "1", "text": "(hello)", "quoteToken": "q",
                 "emojis": [{"index": 0, "length": 7, "productId": "p", "emojiId": "e"}]}),
    ("message", {"type": "sticker", "id": "1", "packageId": "1", "stickerId": "2", "stickerResourceType": "STATIC",
                 "quoteToken": "q"}),
    ("type", "follow"), ("type", "unfollow"),
])
def test_other_shapes_are_left_to_the_sdk(change: tuple[str, Any]) -> None:
    raw = {**copy.deepcopy(TEXT), change[0]: change[1]}
    assert job_from_json(raw) is None
    try:  # read_event gives the SDK's reading of it (or says it is malformed)
        assert read_event(copy.deepcopy(raw), 0) == sdk_job(copy.deepcopy(raw))
    except MalformedEvent:
        with pytest.raises(ValueError):
            sdk_job(copy.deepcopy(raw))


@pytest.mark.parametrize("field", ["webhookEventId", "deliveryContext", "mode", "timestamp"])
def test_an_event_without_a_field_the_sdk_requires_is_malformed_and_says_which(field: str) -> None:
    raw = copy.deepcopy(TEXT)
    del raw[field]
    with pytest.raises(MalformedEvent) as caught:
        read_event(raw, 0)
    assert (caught.value.kind, caught.value.fields) == ("message.text", (field,))
    assert "SNSで悪口" not in str(caught.value) and UID not in str(caught.value)


@pytest.mark.parametrize("raw", [1, None, "x", [TEXT]])
def test_an_event_that_is_not_an_object_is_malformed(raw: Any) -> None:
    with pytest.raises(MalformedEvent):
        read_event(raw, 0)


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=6), kids, max_size=3),
                    max_leaves=6)
PATHS = [(), ("source",), ("deliveryContext",), ("message",), ("postback",)]


@settings(max_examples=examples(130), deadline=None)  # quick profile; 1,300 with SOUDAN_HYPOTHESIS=thorough
@given(base=st.sampled_from([TEXT, POSTBACK, OPEN_NOW]), where=st.sampled_from(PATHS),
       key=st.sampled_from(["type", "mode", "timestamp", "webhookEventId", "replyToken", "userId", "isRedelivery",
                            "id", "text", "quoteToken", "emojis", "mention", "quotedMessageId", "data", "params"]),
       value=JSON, delete=st.booleans())
def test_whatever_the_direct_mapping_accepts_the_sdk_reads_the_same(
        base: dict[str, Any], where: tuple[str, ...], key: str, value: Any, delete: bool) -> None:
    raw = copy.deepcopy(base)
    target: Any = raw
    for p in where:
        target = target.get(p) if isinstance(target, dict) else None
    if not isinstance(target, dict):
        return
    if delete:
        target.pop(key, None)
    else:
        target[key] = value
    job = job_from_json(copy.deepcopy(raw))
    if job is not None:
        assert job == sdk_job(copy.deepcopy(raw))
