"""Regression: a webhook event without ``webhookEventId`` (or with one that is not a string).

The SDK raises a pydantic v1 ``ValidationError`` out of ``parse()``; uncaught that is a 500 and
LINE redelivers forever. The answer is 400 and nothing of the body is processed — not even the
valid events beside it.
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


@pytest.mark.parametrize("change", [_drop, _set(None), _set(12345), _set(["x"])], ids=["missing", "null", "int", "list"])
@pytest.mark.parametrize("make", [lambda: text_event("こんにちは"), lambda: postback_event("c=safe&s=safety&v=x"),
                                  follow_event, lambda: {**text_event("x"), "type": "somethingNew"}],
                         ids=["text", "postback", "follow", "unknown-type"])
async def test_400_and_nothing_processed(post: Post, fake: FakeLineApi, store: SessionStore, change: Any,
                                         make: Any) -> None:
    good = follow_event(eid="01GOODEVENT00000000000000")
    resp = await post(raw=body_of(good, change(make())))
    assert resp.status == 400
    assert fake.calls == [] and fake.profiles == []
    assert await store.count() == 0
    assert await store.mark_event("line:01GOODEVENT00000000000000", 60) is True  # the good one was not handled
