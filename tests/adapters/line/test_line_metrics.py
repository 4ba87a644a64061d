"""Counts without personal data, end to end over LINE: webhooks in, ``GET /metrics`` out.

The real shipped flows and directory, the real line-bot-sdk against the local fake Messaging API;
the counters are read back from the app's own ``/metrics`` page as Prometheus would scrape it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.devtools.line_fake import FakeLineApi
from bot.engine.core import Engine
from tests import shipped
from tests.adapters.line.linekit import (
    body_of,
    follow_event,
    postback_event,
    quick_reply_data,
    scrape,
    sign,
    text_event,
    value,
)


@pytest.fixture(scope="module")
def engine() -> Engine:
    """The shipped flows and directory (the metrics name their states and regions)."""
    return shipped.engine()


async def send(client: Any, fake: FakeLineApi, ev: dict[str, Any]) -> list[tuple[str, str]]:
    body = body_of(ev)
    resp = await client.post("/line/webhook", data=body, headers={"X-Line-Signature": sign(body)})
    assert resp.status == 200
    if "replyToken" not in ev:
        return []
    call = fake.reply_to(ev["replyToken"]).json
    return quick_reply_data(call) if "quickReply" in call["messages"][-1] else []


def data_for(buttons: list[tuple[str, str]], label: str) -> str:
    return next(d for lbl, d in buttons if label in lbl)


async def test_a_consultation_is_counted_by_flow_result_urgency_and_window(metered: Any, fake: FakeLineApi) -> None:
    user = "U" + "1" * 32
    b = await send(metered, fake, follow_event(user=user, token="t1"))
    b = await send(metered, fake, postback_event(data_for(b, "危険を感じる"), user=user, token="t2"))
    assert any("終了" in lbl for lbl, _ in b)
    m = await scrape(metered)
    assert value(m, "soudan_consultations_started_total", platform="line", flow="net-harm") == 1
    assert value(m, "soudan_consultations_finished_total", platform="line", flow="net-harm", how="result") == 1
    assert value(m, "soudan_results_total", flow="net-harm", state="emergency", urgency="immediate") == 1
    assert value(m, "soudan_windows_shown_total", contact="police_110") == 1
    assert value(m, "soudan_windows_shown_total", contact="police_9110") == 1
    # 110 and #9110 serve all Japan: no local window, at 10 o'clock, region not asked
    assert value(m, "soudan_results_without_local_window_total", hour="10", region="unknown") == 1

    await send(metered, fake, text_event("もう死にたい", user=user, token="t3"))
    await send(metered, fake, text_event("終了", user=user, token="t4"))
    m = await scrape(metered)
    assert value(m, "soudan_crisis_replies_total", platform="line", flow="net-harm") == 1
    assert value(m, "soudan_consultations_finished_total", platform="line", flow="net-harm", how="stop") == 1
    assert value(m, "soudan_results_total", flow="net-harm", state="emergency", urgency="immediate") == 1


async def test_no_label_value_comes_from_what_a_person_typed_or_their_id(metered: Any, fake: FakeLineApi) -> None:
    user = "U" + "7" * 32
    typed = ["ひみつのあいことば", "JP-13", "tokyo", "東京都渋谷区に住んでいます", "<script>", "x" * 300]
    await send(metered, fake, follow_event(user=user, token="p0"))
    for i, t in enumerate(typed):
        await send(metered, fake, text_event(t, user=user, token=f"p{i + 1}"))
    m = await scrape(metered)
    values = {v for _, labels in m for _, v in labels}
    for t in ["ひみつのあいことば", "東京都渋谷区に住んでいます", "<script>", "x" * 300, user]:
        assert not any(t in v for v in values), t


async def test_an_unknown_line_event_type_is_counted_as_other(metered: Any, fake: FakeLineApi) -> None:
    odd = {"type": "brandNewEventFromTheFuture<x>", "mode": "active", "timestamp": 1_700_000_000_000,
           "source": {"type": "user", "userId": "U" + "2" * 32}, "webhookEventId": "01ODDEVENT0000000000000001",
           "deliveryContext": {"isRedelivery": False}}
    odd_msg = {**odd, "type": "message", "webhookEventId": "01ODDEVENT0000000000000002", "replyToken": "r-odd",
               "message": {"type": "hologram-" + "z" * 30, "id": "1"}}
    odd_list = {**odd_msg, "webhookEventId": "01ODDEVENT0000000000000003", "replyToken": "r-list",
                "message": {"type": ["text"], "id": "2"}}
    for ev, status in ((odd, 200), (odd_msg, 200), (odd_list, 400)):   # a list as type: refused, never a 500
        body = json.dumps({"destination": "Ubot", "events": [ev]}).encode()
        resp = await metered.post("/line/webhook", data=body, headers={"X-Line-Signature": sign(body)})
        assert resp.status == status
    m = await scrape(metered)
    kinds = {dict(labels).get("type") for (name, labels) in m if name == "soudan_events_total"}
    assert "other" in kinds and "message.other" in kinds
    assert not any("brandNew" in (k or "") or "hologram" in (k or "") for k in kinds), kinds
