"""Sending: reply failures fall back to push with X-Line-Retry-Key; API errors never crash."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.devtools.line_fake import FakeLineApi
from bot.engine.core import Engine
from bot.store import SessionStore, open_store
from tests.adapters.line.linekit import (
    USER,
    WEEKDAY_10,
    Post,
    body_of,
    follow_event,
    settings_for,
    sign,
    text_event,
)
from tests.store.backends import Backend


async def test_expired_reply_token_falls_back_to_push(post: Post, fake: FakeLineApi,
                                                      client: TestClient[Any, Any]) -> None:
    fake.invalid_tokens.add("expired")
    assert (await post(follow_event(token="expired"))).status == 200
    assert [c.path for c in fake.calls] == ["/v2/bot/message/reply", "/v2/bot/message/push"]
    reply, push = fake.calls
    key = push.header("X-Line-Retry-Key")
    assert key is not None and str(uuid.UUID(key)) == key
    assert push.json == {"to": USER, "messages": reply.json["messages"], "notificationDisabled": False}
    text = await (await client.get("/metrics")).text()
    assert 'soudan_api_errors_total{operation="reply",platform="line",status="400"} 1.0' in text
    assert 'soudan_replies_sent_total{method="push",platform="line"} 1.0' in text


async def test_push_5xx_is_retried_once_with_the_same_retry_key(post: Post, fake: FakeLineApi) -> None:
    fake.invalid_tokens.add("expired")
    fake.push_failures = [500]
    assert (await post(follow_event(token="expired"))).status == 200
    pushes = fake.pushes
    assert len(pushes) == 2
    assert pushes[0].header("X-Line-Retry-Key") == pushes[1].header("X-Line-Retry-Key")


async def test_push_409_means_already_accepted(post: Post, fake: FakeLineApi, client: TestClient[Any, Any]) -> None:
    fake.invalid_tokens.add("expired")
    fake.push_failures = [409]
    assert (await post(follow_event(token="expired"))).status == 200
    assert len(fake.pushes) == 1
    assert 'soudan_undelivered_total{' not in await (await client.get("/metrics")).text()


async def test_without_push_fallback_a_failed_reply_is_logged_not_pushed(
        aiohttp_client: Any, fake: FakeLineApi, engine: Engine, caplog: Any) -> None:
    app = create_app(settings_for(fake, LINE_PUSH_FALLBACK=False), engine=engine, store=open_store("memory://"),
                     clock=lambda: WEEKDAY_10)
    c = await aiohttp_client(app)
    fake.invalid_tokens.add("expired")
    body = body_of(text_event("秘密の相談内容", token="expired"))
    resp = await c.post("/line/webhook", data=body, headers={"X-Line-Signature": sign(body)})
    assert resp.status == 200
    assert fake.pushes == []
    assert 'soudan_undelivered_total{platform="line"} 1.0' in await (await c.get("/metrics")).text()
    logged = caplog.text
    assert "not delivered" in logged
    assert "秘密" not in logged and USER not in logged and "expired" not in logged


async def test_api_down_never_crashes_the_webhook(aiohttp_client: Any, engine: Engine, unused_tcp_port: int,
                                                  fake: FakeLineApi) -> None:
    """The API host refuses connections: the webhook answers 500 (so that LINE redelivers), counts
    the errors and stays healthy; the redelivery, once the API is back, sends the greeting once."""
    store = open_store("memory://")
    settings = settings_for(fake, LINE_API_BASE=f"http://127.0.0.1:{unused_tcp_port}")
    app = create_app(settings, engine=engine, store=store, clock=lambda: WEEKDAY_10)
    c = await aiohttp_client(app)
    ev = follow_event(token="down-token", eid="01APIDOWN")
    body = body_of(ev)
    resp = await c.post("/line/webhook", data=body, headers={"X-Line-Signature": sign(body)})
    assert resp.status == 500
    text = await (await c.get("/metrics")).text()
    assert 'soudan_api_errors_total{operation="reply",platform="line",status="network"} 1.0' in text
    assert 'soudan_api_errors_total{operation="push",platform="line",status="network"} 2.0' in text
    assert (await c.get("/healthz")).status == 200
    await c.close()
    # the API is back: the redelivery (same event id) gets the greeting that was committed, once
    app2 = create_app(settings_for(fake), engine=engine, store=store, clock=lambda: WEEKDAY_10)
    c2 = await aiohttp_client(app2)
    for _ in range(2):
        resp = await c2.post("/line/webhook", data=body, headers={"X-Line-Signature": sign(body)})
        assert resp.status == 200
    assert fake.reply_to("down-token").json["messages"]
    assert fake.pushes == []


async def test_slow_api_answers_within_the_budget_and_finishes_in_background(
        aiohttp_client: Any, fake: FakeLineApi, engine: Engine) -> None:
    from bot.app import LINE_KEY

    app = create_app(settings_for(fake), engine=engine, store=open_store("memory://"), clock=lambda: WEEKDAY_10)
    c = await aiohttp_client(app)
    adapter: Any = app[LINE_KEY]
    adapter.budget = 0.02
    fake.delay = 0.2
    body = body_of(follow_event(token="slow"))
    resp = await c.post("/line/webhook", data=body, headers={"X-Line-Signature": sign(body)})
    assert resp.status == 200
    await adapter.drain()
    assert fake.reply_to("slow")


@pytest.mark.parametrize("proxy", [None, "http://proxy.invalid:3128"])
async def test_env_lookups_are_kept_only_when_a_proxy_is_set(aiohttp_client: Any, fake: FakeLineApi, engine: Engine,
                                                             monkeypatch: pytest.MonkeyPatch, tmp_path: Any,
                                                             proxy: str | None) -> None:
    """Without proxy variables the API session skips per-call env lookups; with one it keeps the SDK's."""
    from bot.app import LINE_KEY

    for v in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NETRC"):
        monkeypatch.delenv(v, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.netrc
    if proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    app = create_app(settings_for(fake), engine=engine, store=open_store("memory://"), clock=lambda: WEEKDAY_10)
    c = await aiohttp_client(app)
    adapter: Any = app[LINE_KEY]
    assert adapter.client.rest_client.pool_manager.trust_env is bool(proxy)
    body = body_of(follow_event(token="env"))
    assert (await c.post("/line/webhook", data=body, headers={"X-Line-Signature": sign(body)})).status == 200
    assert fake.reply_to("env")


async def test_every_line_app_of_a_process_shares_one_tls_context(aiohttp_client: Any, fake: FakeLineApi,
                                                                  engine: Engine, monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Any) -> None:
    """The CA bundle is loaded once per process (12–40 ms each time) — neither the SDK's client nor
    the session patch loads it again for a second app — and both apps still reply."""
    import ssl

    from bot.adapters.line import client as line_client
    from bot.app import LINE_KEY

    for v in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NETRC"):
        monkeypatch.delenv(v, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    line_client._tls_context.cache_clear()
    contexts: list[ssl.SSLContext] = []
    real = ssl.create_default_context

    def counted(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        contexts.append(real(*args, **kwargs))
        return contexts[-1]

    monkeypatch.setattr(ssl, "create_default_context", counted)
    for token in ("first", "second"):
        app = create_app(settings_for(fake), engine=engine, store=open_store("memory://"), clock=lambda: WEEKDAY_10)
        c = await aiohttp_client(app)
        adapter: Any = app[LINE_KEY]
        assert adapter.client.rest_client.pool_manager.trust_env is False
        body = body_of(follow_event(token=token))
        assert (await c.post("/line/webhook", data=body, headers={"X-Line-Signature": sign(body)})).status == 200
        assert fake.reply_to(token)
    assert len(contexts) == 1  # once for the process: the SDK's clients and our sessions share it


async def test_a_redelivery_after_a_refused_reply_and_a_failed_push_pushes_the_greeting(
        post: Post, fake: FakeLineApi) -> None:
    """The reply token is refused and both tries of the push fail (500 "please redeliver"); LINE
    redelivers within seconds, when the token is refused again: the redelivery pushes the greeting
    (it was taken as used by the first attempt, so nothing was sent and the event marked sent).
    Found by the breaker."""
    fake.invalid_tokens.add("refused")
    fake.push_failures = [500, 500]
    ev = follow_event(token="refused", eid="01REFUSEDTHENPUSHFAILED")
    assert (await post(ev)).status == 500
    assert fake.accepted == []
    assert (await post(ev)).status == 200
    accepted = [c for c in fake.accepted if c.path == "/v2/bot/message/push"]
    assert len(accepted) == 1
    assert "こんにちは" in json.dumps(accepted[0].json, ensure_ascii=False)
    keys = {c.header("X-Line-Retry-Key") for c in fake.pushes}
    assert len(keys) == 1  # the same retry key every time: LINE would drop a second copy
    assert (await post(ev)).status == 200  # a third delivery: sent already, nothing more
    assert len([c for c in fake.accepted if c.path == "/v2/bot/message/push"]) == 1


async def _post_to(c: TestClient[Any, Any], ev: dict[str, Any]) -> int:
    body = body_of(ev)
    resp = await c.post("/line/webhook", data=body, headers={"X-Line-Signature": sign(body)})
    await resp.read()
    return resp.status


async def test_a_redelivery_to_a_restarted_process_after_a_refused_reply_and_a_failed_push_pushes_the_greeting(
        aiohttp_client: Any, fake: FakeLineApi, engine: Engine, backend: Backend) -> None:
    """As above, but the redelivery reaches another process (a new app with a new store object on
    the same memory, SQLite file or Redis database: a restart, or another replica): what the first
    attempt learnt (the token was not used) is stored with the outbox, so the greeting is pushed,
    once, and a third delivery sends nothing more."""
    fake.invalid_tokens.add("refused")
    fake.push_failures = [500, 500]
    ev = follow_event(token="refused", eid="01REFUSEDPUSHFAILEDRESTART")
    stores: list[SessionStore] = []

    async def process() -> TestClient[Any, Any]:
        stores.append(backend.open())
        app = create_app(settings_for(fake), engine=engine, store=stores[-1], clock=lambda: WEEKDAY_10)
        c: TestClient[Any, Any] = await aiohttp_client(app)
        return c

    first = await process()
    assert await _post_to(first, ev) == 500
    assert fake.accepted == []
    await first.close()
    second = await process()
    assert await _post_to(second, ev) == 200
    accepted = [c for c in fake.accepted if c.path == "/v2/bot/message/push"]
    assert len(accepted) == 1
    assert "こんにちは" in json.dumps(accepted[0].json, ensure_ascii=False)
    assert len({c.header("X-Line-Retry-Key") for c in fake.pushes}) == 1  # LINE would drop a second copy
    await second.close()
    third = await process()
    assert await _post_to(third, ev) == 200  # sent already: nothing more
    assert len([c for c in fake.accepted if c.path == "/v2/bot/message/push"]) == 1
    assert [c for c in fake.accepted if c.path == "/v2/bot/message/reply"] == []  # the token was refused each time
