"""The webhook's HTTP contract: every bad request gets its status and nothing is processed."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.devtools.line_fake import FakeLineApi
from bot.engine.core import Engine
from bot.store import SessionStore
from tests.adapters.line.linekit import USER, Post, body_of, follow_event, settings_for, sign, text_event


async def _nothing_happened(fake: FakeLineApi, store: SessionStore) -> None:
    assert fake.calls == []
    assert await store.count() == 0


async def test_no_signature_is_400_and_nothing_is_processed(client: TestClient[Any, Any], fake: FakeLineApi,
                                                            store: SessionStore) -> None:
    resp = await client.post("/line/webhook", data=body_of(follow_event()))
    assert resp.status == 400
    await _nothing_happened(fake, store)


async def test_wrong_signature_is_400(post: Post, fake: FakeLineApi, store: SessionStore) -> None:
    body = body_of(follow_event())
    resp = await post(raw=body, signature=sign(body, "another-secret"))
    assert resp.status == 400
    await _nothing_happened(fake, store)


@pytest.mark.parametrize("signature", ["署名".encode(), b"\xff\xfe" * 22, "é".encode("latin-1") * 44],
                         ids=["utf-8", "not-utf-8", "latin-1"])
async def test_non_ascii_signature_is_400_invalid_signature(client: TestClient[Any, Any], fake: FakeLineApi,
                                                            store: SessionStore, signature: bytes) -> None:
    """A base64 HMAC is ASCII: any other header value is an invalid signature, not a "malformed body"
    (bytes that are not UTF-8 reach the app as surrogates, which the SDK's check cannot encode).
    Sent over a raw socket: aiohttp's client will not send such a header."""
    body = body_of(follow_event())
    reader, writer = await asyncio.open_connection(client.host, client.port)
    writer.write(b"POST /line/webhook HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\nX-Line-Signature: %b\r\nConnection: close\r\n\r\n%b"
                 % (len(body), signature, body))
    answer = await reader.read()
    writer.close()
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert answer.endswith(b"\r\n\r\ninvalid signature")
    await _nothing_happened(fake, store)


async def test_signature_of_a_reserialised_body_is_400(post: Post, fake: FakeLineApi, store: SessionStore) -> None:
    """The signature covers the raw bytes: one over an equivalent JSON text does not pass."""
    body = body_of(text_event("こんにちは"))
    reserialised = json.dumps(json.loads(body)).encode()  # \\u escapes: same JSON, other bytes
    resp = await post(raw=body, signature=sign(reserialised))
    assert resp.status == 400
    await _nothing_happened(fake, store)


async def test_non_utf8_body_is_400(post: Post, fake: FakeLineApi, store: SessionStore) -> None:
    body = '{"destination": "U", "events": [], "x": "相談"}'.encode("shift_jis")
    resp = await post(raw=body, signature=sign(body))
    assert resp.status == 400
    await _nothing_happened(fake, store)


@pytest.mark.parametrize("raw", [
    b"{not json",
    b"",
    b"[]",
    b'{"destination": "U"}',
    b'{"events": [1]}',
    b'{"events": [{"webhookEventId": "x"}]}',
    b'{"events": "abc"}',
], ids=["broken", "empty", "array", "no-events", "event-not-object", "event-without-type", "events-string"])
async def test_malformed_body_is_400(post: Post, fake: FakeLineApi, store: SessionStore, raw: bytes) -> None:
    resp = await post(raw=raw, signature=sign(raw))
    assert resp.status == 400
    await _nothing_happened(fake, store)


async def test_event_without_webhook_event_id_is_skipped_and_the_others_answered(post: Post, fake: FakeLineApi,
                                                                                 store: SessionStore) -> None:
    """The SDK's parser refuses the whole body (a pydantic v1 ValidationError); each event is read on
    its own instead: the good one is answered, the bad one skipped (tests/adapters/line/
    test_one_malformed_event_in_a_body.py)."""
    good = follow_event(token="good")
    bad = text_event("hello", token="bad")
    del bad["webhookEventId"]
    resp = await post(raw=body_of(good, bad))
    assert resp.status == 200
    assert fake.reply_to("good").json["messages"]
    assert [c for c in fake.calls if c.json.get("replyToken") == "bad"] == []
    assert await store.count() == 1


async def test_body_over_one_mib_is_413(post: Post, fake: FakeLineApi, store: SessionStore) -> None:
    ev = text_event("x" * (1024 * 1024))
    body = body_of(ev)
    assert len(body) > 1024 * 1024
    resp = await post(raw=body)
    assert resp.status == 413
    await _nothing_happened(fake, store)


async def test_chunked_body_over_one_mib_is_413(client: TestClient[Any, Any], fake: FakeLineApi,
                                                store: SessionStore) -> None:
    """Without Content-Length the read itself is capped."""
    body = body_of(text_event("y" * (1024 * 1024 + 10)))

    async def chunks() -> Any:
        for i in range(0, len(body), 65536):
            yield body[i:i + 65536]

    resp = await client.post("/line/webhook", data=chunks(), headers={"X-Line-Signature": sign(body)})
    assert resp.status == 413
    await _nothing_happened(fake, store)


async def test_body_of_exactly_one_mib_is_accepted(post: Post, fake: FakeLineApi) -> None:
    ev = text_event("")
    base = len(body_of(ev))
    ev["message"]["text"] = "z" * (1024 * 1024 - base)
    body = body_of(ev)
    assert len(body) == 1024 * 1024
    resp = await post(raw=body)
    assert resp.status == 200
    assert len(fake.replies) == 1


async def test_verify_request_is_200(post: Post, fake: FakeLineApi) -> None:
    """The console's Verify button sends no events."""
    body = b'{"destination":"Uxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","events":[]}'
    resp = await post(raw=body)
    assert resp.status == 200
    assert fake.calls == []


async def test_get_is_not_allowed(client: TestClient[Any, Any]) -> None:
    resp = await client.get("/line/webhook")
    assert resp.status == 405


async def test_healthz(client: TestClient[Any, Any]) -> None:
    resp = await client.get("/healthz")
    assert resp.status == 200
    data = await resp.json()
    assert data["status"] == "ok"
    assert data["store"] == "memory"
    assert data["flows"] == ["line-test"]
    assert data["line"] is True


async def test_metrics_count_events_requests_replies_and_step_latency(
        client: TestClient[Any, Any], post: Post) -> None:
    await post(follow_event())
    await post(raw=b"{}", signature="bad")
    text = await (await client.get("/metrics")).text()
    assert 'soudan_events_total{outcome="handled",platform="line",type="follow"} 1.0' in text
    assert 'soudan_webhook_requests_total{platform="line",status="200"} 1.0' in text
    assert 'soudan_webhook_requests_total{platform="line",status="400"} 1.0' in text
    assert 'soudan_replies_sent_total{method="reply",platform="line"} 1.0' in text
    assert 'soudan_messages_sent_total{platform="line"} 2.0' in text
    assert 'soudan_step_seconds_count{platform="line"} 1.0' in text
    assert USER not in text


async def test_no_line_route_without_credentials(aiohttp_client: Any, fake: FakeLineApi, engine: Engine,
                                                 store: SessionStore) -> None:
    settings = settings_for(fake, LINE_CHANNEL_SECRET=None, LINE_CHANNEL_ACCESS_TOKEN=None)
    client = await aiohttp_client(create_app(settings, engine=engine, store=store))
    assert (await client.post("/line/webhook", data=b"{}")).status == 404
    assert (await (await client.get("/healthz")).json())["line"] is False


async def test_metrics_off_for_a_public_bind_by_default(aiohttp_client: Any, fake: FakeLineApi, engine: Engine,
                                                        store: SessionStore) -> None:
    client = await aiohttp_client(create_app(settings_for(fake, SOUDAN_HOST="0.0.0.0"), engine=engine, store=store))
    assert (await client.get("/metrics")).status == 404
    client2 = await aiohttp_client(create_app(settings_for(fake, SOUDAN_HOST="0.0.0.0", SOUDAN_METRICS=True),
                                              engine=engine, store=store))
    assert (await client2.get("/metrics")).status == 200


async def test_two_apps_have_separate_metrics(aiohttp_client: Any, fake: FakeLineApi, engine: Engine,
                                              store: SessionStore) -> None:
    """Per-app registries: building several apps in one process never collides."""
    apps = [create_app(settings_for(fake), engine=engine, store=store) for _ in range(3)]
    clients = [await aiohttp_client(a) for a in apps]
    for c in clients:
        assert (await c.get("/metrics")).status == 200
