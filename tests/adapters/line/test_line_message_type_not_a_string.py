"""Regression: a signed LINE body whose unknown message ``type`` is a list (or a map) raised
``TypeError: unhashable type`` while the metrics label was chosen, and the webhook answered 500.
The label is now ``message.other`` and the person gets the "cannot read this" reply.

Checked as LINE and the operator see it: the HTTP status, the reply sent to the fake Messaging
API and ``soudan_events_total`` on ``/metrics``. A message type the SDK cannot even look up
(a list or a map) is a malformed body: 400, nothing processed, nothing sent — never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.devtools.line_fake import FakeLineApi
from bot.i18n import t
from tests.adapters.line.linekit import (
    body_of,
    follow_event,
    scrape,
    sign,
    text_event,
    value,
)


async def post_to(client: TestClient[Any, Any], ev: dict[str, Any]) -> int:
    body = body_of(ev)
    resp = await client.post("/line/webhook", data=body, headers={"X-Line-Signature": sign(body)})
    await resp.read()
    return resp.status


@pytest.mark.parametrize("mtype", [None, 3, "hologram", "x" * 500])
async def test_odd_message_types_get_the_unsupported_reply_and_count_as_other(
        metered: TestClient[Any, Any], fake: FakeLineApi, mtype: object) -> None:
    assert await post_to(metered, follow_event(token="f")) == 200
    ev = text_event("x", token="odd")
    ev["message"] = {"type": mtype, "id": "1"}
    assert await post_to(metered, ev) == 200
    assert fake.reply_to("odd").json["messages"][0]["text"] == t("engine.unsupported", "ja")
    m = await scrape(metered)
    assert value(m, "soudan_events_total", platform="line", type="message.other", outcome="handled") == 1
    assert value(m, "soudan_events_total", platform="line", type="follow", outcome="handled") == 1


@pytest.mark.parametrize("mtype", [["text"], {"a": 1}])
async def test_a_message_type_that_is_a_list_or_a_map_is_a_malformed_body(
        metered: TestClient[Any, Any], fake: FakeLineApi, mtype: object) -> None:
    ev = text_event("x", token="odd")
    ev["message"] = {"type": mtype, "id": "1"}
    assert await post_to(metered, ev) == 400
    assert fake.calls == []
    m = await scrape(metered)
    assert not any(name == "soudan_events_total" and v for (name, _), v in m.items())


@pytest.mark.parametrize("etype", [["message"], {"a": 1}, None, 3])
async def test_an_event_type_that_is_not_a_string_is_a_malformed_body(metered: TestClient[Any, Any],
                                                                       fake: FakeLineApi, etype: object) -> None:
    ev = follow_event(token="odd")
    ev["type"] = etype
    assert await post_to(metered, ev) == 400
    assert fake.calls == []


async def test_a_new_event_type_is_200_and_counted_as_other(metered: TestClient[Any, Any], fake: FakeLineApi) -> None:
    ev = follow_event(token="odd")
    ev["type"] = "brandNew"
    assert await post_to(metered, ev) == 200
    assert fake.calls == []  # nothing a person sent: no reply
    m = await scrape(metered)
    assert value(m, "soudan_events_total", platform="line", type="other", outcome="ignored") == 1


async def test_a_known_message_type_keeps_its_name(metered: TestClient[Any, Any]) -> None:
    assert await post_to(metered, text_event("こんにちは")) == 200
    m = await scrape(metered)
    assert value(m, "soudan_events_total", platform="line", type="message.text", outcome="handled") == 1
