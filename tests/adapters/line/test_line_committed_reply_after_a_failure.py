"""A failure after the step was committed lost the committed reply (last session's closing note):
with ``LINE_REDELIVERY=off`` (LINE's default) nothing is redelivered, and the handler sent the
outage apology instead, so the person got 「うまく処理できませんでした」 while the store had moved on
(their next answer was read against a question they never saw). Now the committed outbox is sent
as a redelivery would send it (the reply token, else a push with its retry key), exactly once, and
the apology is left for failures where nothing was committed. The real line-bot-sdk against the
fake Messaging API (strict: a reply token works once)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.app import CONVERSATIONS_KEY, LINE_KEY, create_app
from bot.devtools.line_fake import FakeLineApi
from bot.engine.core import Engine
from bot.i18n import t
from bot.store import StoreError, open_store
from tests.adapters.line.linekit import (
    USER,
    WEEKDAY_10,
    body_of,
    follow_event,
    settings_for,
    sign,
    text_event,
)

APOLOGY = t("adapters.error", "ja") + "\n\n" + t("adapters.error", "en")


@pytest.fixture
async def strict(aiohttp_server: Any) -> AsyncIterator[FakeLineApi]:
    api = FakeLineApi(strict=True)
    api.url = str((await aiohttp_server(api.app(), access_log=None)).make_url("")).rstrip("/")
    yield api
    assert api.invalid == [], api.invalid


async def _client(aiohttp_client: Any, fake: FakeLineApi, engine: Engine, redelivery: str) -> Any:
    app = create_app(settings_for(fake, LINE_REDELIVERY=redelivery), engine=engine,
                     store=open_store("memory://"), clock=lambda: WEEKDAY_10)
    return await aiohttp_client(app)


async def _post(client: Any, ev: dict[str, Any]) -> int:
    body = body_of(ev)
    resp = await client.post("/line/webhook", data=body, headers={"X-Line-Signature": sign(body)})
    await resp.read()
    return int(resp.status)


def _texts(fake: FakeLineApi) -> list[str]:
    return [str(c.json["messages"]) for c in fake.accepted]


async def _second_answer_is_read_against_the_first_question(client: Any, fake: FakeLineApi) -> None:
    """The session moved on with the committed step: 「2」 answers the question the person was shown."""
    key = client.server.app[CONVERSATIONS_KEY].key("line", USER)
    assert (await client.server.app[CONVERSATIONS_KEY].store.get(key)) is not None
    assert await _post(client, text_event("2", token="t-next", eid="01NEXT")) == 200
    assert APOLOGY not in str(fake.reply_to("t-next").json)


async def test_a_store_error_after_the_commit_sends_the_committed_reply_not_the_apology(
        aiohttp_client: Any, strict: FakeLineApi, engine: Engine, monkeypatch: Any) -> None:
    client = await _client(aiohttp_client, strict, engine, "off")
    store = client.server.app[CONVERSATIONS_KEY].store
    real = store.step
    failed: list[bool] = []

    async def commits_then_fails(*args: Any, **kw: Any) -> Any:
        out = await real(*args, **kw)
        if not failed:  # the connection dropped after the commit: the answer is lost
            failed.append(True)
            raise StoreError("connection lost after the commit (test)")
        return out

    monkeypatch.setattr(store, "step", commits_then_fails)
    assert await _post(client, follow_event(token="t-follow", eid="01FOLLOW")) == 200
    sent = str(strict.reply_to("t-follow").json)
    assert "こんにちは" in sent and APOLOGY not in sent
    assert strict.pushes == [] and len(strict.accepted) == 1  # the reply once, nothing else
    await _second_answer_is_read_against_the_first_question(client, strict)


@pytest.mark.parametrize("redelivery", ["off", "on"])
async def test_the_reply_call_raising_after_the_commit_still_delivers_the_reply(
        aiohttp_client: Any, strict: FakeLineApi, engine: Engine, monkeypatch: Any, redelivery: str) -> None:
    """An exception of the send itself (not a LINE answer: e.g. the client being replaced) after
    the step was committed: the reply token was not used, so the committed reply goes through it."""
    client = await _client(aiohttp_client, strict, engine, redelivery)
    adapter: Any = client.server.app[LINE_KEY]
    api = adapter.api
    real = api.deliver_outbox
    failed: list[bool] = []

    async def raises_once(*args: Any, **kw: Any) -> Any:
        if not failed:
            failed.append(True)
            raise RuntimeError("the client broke (test)")
        return await real(*args, **kw)

    monkeypatch.setattr(api, "deliver_outbox", raises_once)
    assert await _post(client, follow_event(token="t-follow", eid="01FOLLOW")) == 200
    assert failed
    assert len(strict.accepted) == 1 and strict.pushes == []
    sent = str(strict.reply_to("t-follow").json)
    assert "こんにちは" in sent and APOLOGY not in sent
    await _second_answer_is_read_against_the_first_question(client, strict)


async def test_a_failure_after_the_reply_went_out_sends_nothing_twice(
        aiohttp_client: Any, strict: FakeLineApi, engine: Engine, monkeypatch: Any) -> None:
    """The reply was accepted, then the send raised: the redelivery path finds the token used (a
    400 within seconds of the commit) and sends nothing again; no apology is added either."""
    client = await _client(aiohttp_client, strict, engine, "off")
    adapter: Any = client.server.app[LINE_KEY]
    api = adapter.api
    real = api.deliver_outbox
    failed: list[bool] = []

    async def sends_then_raises(*args: Any, **kw: Any) -> Any:
        out = await real(*args, **kw)
        if not failed:
            failed.append(True)
            raise RuntimeError("failed after sending (test)")
        return out

    monkeypatch.setattr(api, "deliver_outbox", sends_then_raises)
    assert await _post(client, follow_event(token="t-follow", eid="01FOLLOW")) == 200
    assert failed
    assert len(strict.accepted) == 1 and strict.pushes == []
    assert "こんにちは" in _texts(strict)[0]
    await _second_answer_is_read_against_the_first_question(client, strict)


async def test_nothing_committed_still_gets_the_apology(
        aiohttp_client: Any, strict: FakeLineApi, engine: Engine, monkeypatch: Any) -> None:
    """The store failed before the step ran: nothing to deliver, the apology (110/119) as before,
    and the store is asked only once (an outage is not made to wait twice)."""
    client = await _client(aiohttp_client, strict, engine, "off")
    store = client.server.app[CONVERSATIONS_KEY].store
    calls: list[str] = []

    async def down(*args: Any, **kw: Any) -> Any:
        calls.append("step")
        raise StoreError("store unreachable (test)")

    monkeypatch.setattr(store, "step", down)
    assert await _post(client, text_event("いじめられてる", token="t-down", eid="01DOWN")) == 200
    assert strict.reply_to("t-down").json["messages"] == [{"type": "text", "text": APOLOGY}]
    assert calls == ["step"]


async def test_with_redelivery_on_a_store_down_for_the_second_attempt_leaves_it_to_the_redelivery(
        aiohttp_client: Any, strict: FakeLineApi, engine: Engine, monkeypatch: Any) -> None:
    """The send raised after the commit and the store is down for the second attempt: with
    redelivery on the webhook answers 500 and sends no apology (the reply token stays unused), and
    LINE's redelivery sends the committed reply, once."""
    client = await _client(aiohttp_client, strict, engine, "on")
    adapter: Any = client.server.app[LINE_KEY]
    api = adapter.api
    store = client.server.app[CONVERSATIONS_KEY].store
    real_send, real_release = api.deliver_outbox, store.release

    async def raises(*args: Any, **kw: Any) -> Any:
        raise RuntimeError("the client broke (test)")

    async def down(*args: Any, **kw: Any) -> Any:
        raise StoreError("store unreachable (test)")

    client.server.app[CONVERSATIONS_KEY].send_lease = 0.05  # the redelivery does not wait a minute
    monkeypatch.setattr(api, "deliver_outbox", raises)
    monkeypatch.setattr(store, "release", down)
    ev = follow_event(token="t-follow", eid="01FOLLOW")
    assert await _post(client, ev) == 500
    assert strict.accepted == []  # no apology: the token is kept for the reply
    monkeypatch.setattr(api, "deliver_outbox", real_send)
    monkeypatch.setattr(store, "release", real_release)
    assert await _post(client, {**ev, "deliveryContext": {"isRedelivery": True}}) == 200  # LINE's redelivery
    sent = str(strict.reply_to("t-follow").json)
    assert "こんにちは" in sent and APOLOGY not in sent
    assert len(strict.accepted) == 1 and strict.pushes == []
