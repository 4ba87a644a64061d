"""Regression: a webhook event without ``webhookEventId`` (or with one that is not a string).

The SDK raises a pydantic v1 ``ValidationError`` out of ``parse()``; uncaught that was a 500 and
LINE redelivered forever, and then the whole body was refused (400), the valid events beside it
too. Each event is read on its own now: that event is skipped, the others are answered (200); a
body of such events only is 400 with nothing processed.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.devtools.line_fake import FakeLineApi
from bot.store import SessionStore
from tests.adapters.line.linekit import Post, body_of, follow_event, postback_event, text_event


def _drop(ev: dict[str, Any]) -> dict[str, Any]:
    del ev["webhookEventId"]
    return ev


def _set(value: Any) -> Any:
    def f(ev: dict[str, Any]) -> dict[str, Any]:
        ev["webhookEventId"] = value
        return ev
    return f


CHANGES = [_drop, _set(None), _set(12345), _set(["x"])]
IDS = ["missing", "null", "int", "list"]
MAKERS = [lambda: text_event("こんにちは", token="bad"), lambda: postback_event("c=safe&s=safety&v=x", token="bad"),
          lambda: follow_event(token="bad"), lambda: {**text_event("x", token="bad"), "type": "somethingNew"}]
KINDS = ["text", "postback", "follow", "unknown-type"]


@pytest.mark.parametrize("change", CHANGES, ids=IDS)
@pytest.mark.parametrize("make", MAKERS, ids=KINDS)
async def test_skipped_and_the_good_event_beside_it_answered(post: Post, fake: FakeLineApi, store: SessionStore,
                                                             change: Any, make: Any) -> None:
    good = follow_event(eid="01GOODEVENT00000000000000", token="good")
    resp = await post(raw=body_of(good, change(make())))
    assert resp.status == 200
    assert fake.reply_to("good").json["messages"]
    assert [c for c in fake.calls if c.json.get("replyToken") == "bad"] == []
    assert await store.mark_event("line:01GOODEVENT00000000000000", 60) is False  # the good one was handled


@pytest.mark.parametrize("change", CHANGES, ids=IDS)
@pytest.mark.parametrize("make", MAKERS, ids=KINDS)
async def test_alone_it_is_400_and_nothing_processed(post: Post, fake: FakeLineApi, store: SessionStore, change: Any,
                                                     make: Any) -> None:
    resp = await post(raw=body_of(change(make())))
    assert resp.status == 400
    assert fake.calls == [] and fake.profiles == []
    assert await store.count() == 0
