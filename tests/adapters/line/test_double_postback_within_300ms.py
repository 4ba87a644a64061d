"""Regression: the same postback (same choice, same state) twice within 300 ms from one user.

A double tap on a quick-reply button sends two postback events with different
``webhookEventId``s, so idempotency by event id does not catch it. The second must change
nothing: no second transition (history holds the answer once) and the current question is shown
again, without a "stale button" note.
"""

from __future__ import annotations

import asyncio

from bot.devtools.line_fake import FakeLineApi
from bot.store import SessionStore
from bot.store.base import user_key
from tests.adapters.line.linekit import (
    SOUDAN_SECRET,
    USER,
    Post,
    follow_event,
    postback_event,
    quick_reply_data,
)

WHO = "あなたについて教えてください。"


async def _session(store: SessionStore):  # type: ignore[no-untyped-def]
    return await store.get(user_key("line", USER, SOUDAN_SECRET))


async def _safe_button(post: Post, fake: FakeLineApi) -> str:
    await post(follow_event(token="f", ts=1_700_000_000_000))
    [_, (label, data)] = quick_reply_data(fake.reply_to("f").json)
    assert label == "いいえ"
    return data


async def test_two_requests_200_ms_apart(post: Post, fake: FakeLineApi, store: SessionStore) -> None:
    data = await _safe_button(post, fake)
    t = 1_700_000_001_000
    first = post(postback_event(data, token="p1", ts=t, eid="01DOUBLETAP0000000000000001"))
    second = post(postback_event(data, token="p2", ts=t + 200, eid="01DOUBLETAP0000000000000002"))
    r1, r2 = await asyncio.gather(first, second)
    assert r1.status == r2.status == 200
    s = await _session(store)
    assert s is not None and s.state == "who"
    assert [(h.state, h.choice) for h in s.history] == [("safety", "safe")]  # one transition only
    for token in ("p1", "p2"):
        msgs = fake.reply_to(token).json["messages"]
        assert [m["text"] for m in msgs] == [WHO]  # the current question, no "stale" note
        assert [lbl for lbl, _ in quick_reply_data(fake.reply_to(token).json)] == ["小・中・高校生", "18歳以上"]


async def test_both_in_one_body(post: Post, fake: FakeLineApi, store: SessionStore) -> None:
    data = await _safe_button(post, fake)
    t = 1_700_000_001_000
    resp = await post(postback_event(data, token="p2", ts=t + 150, eid="01DOUBLETAP0000000000000004"),
                      postback_event(data, token="p1", ts=t, eid="01DOUBLETAP0000000000000003"))
    assert resp.status == 200
    s = await _session(store)
    assert s is not None and s.state == "who" and len(s.history) == 1
    assert fake.reply_to("p2").json["messages"] == fake.reply_to("p1").json["messages"]


async def test_a_double_tap_on_the_last_answer_does_not_resend_the_result(post: Post, fake: FakeLineApi,
                                                                          store: SessionStore) -> None:
    await _safe_button(post, fake)
    await post(postback_event(quick_reply_data(fake.reply_to("f").json)[1][1], token="a"))
    await post(postback_event(quick_reply_data(fake.reply_to("a").json)[0][1], token="b"))  # pupil
    doxx = quick_reply_data(fake.reply_to("b").json)[0][1]
    await asyncio.gather(post(postback_event(doxx, token="c1")), post(postback_event(doxx, token="c2")))
    s = await _session(store)
    assert s is not None and s.state == "doxx-pupil" and len(s.history) == 3
    flex = [[m for m in fake.reply_to(t).json["messages"] if m["type"] == "flex"] for t in ("c1", "c2")]
    assert sorted(len(f) for f in flex) == [0, 1]  # the cards once; the other tap gets "anything else?"
