"""Fixtures for the LINE adapter: the fake Messaging API, an app wired to it, signed webhooks.

Everything runs the real line-bot-sdk over real HTTP on loopback: the app's SDK client talks to
:class:`bot.devtools.line_fake.FakeLineApi` served by ``aiohttp_server``. Helpers live in ``linekit.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.devtools.line_fake import FakeLineApi
from bot.engine.core import Engine
from bot.store import SessionStore, open_store
from tests.adapters.line.linekit import WEEKDAY_10, Post, body_of, make_engine, settings_for, sign


@pytest.fixture(autouse=True)
def quick_push_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    """A failed push is retried after 10 ms here, not 0.5 s (``PUSH_RETRY_DELAY``): eight tests
    each waited the half second for nothing but the clock."""
    from bot.adapters.line import client

    monkeypatch.setattr(client, "PUSH_RETRY_DELAY", 0.01)


@pytest.fixture
async def fake(aiohttp_server: Any) -> AsyncIterator[FakeLineApi]:
    """The fake Messaging API, served on loopback; ``fake.url`` is its base URL.

    After the test, no body sent to it may have been invalid (checked with the SDK's models and
    LINE's limits).
    """
    api = FakeLineApi()
    server = await aiohttp_server(api.app(), access_log=None)  # its access log stands for LINE's side
    api.url = str(server.make_url("")).rstrip("/")
    yield api
    assert api.invalid == [], api.invalid


@pytest.fixture(scope="session")
def engine() -> Engine:
    """The engine over the test flow and directory (shared: it is immutable)."""
    return make_engine()


@pytest.fixture
def store() -> SessionStore:
    """A fresh memory store (the test owns it)."""
    return open_store("memory://")


@pytest.fixture
async def client(aiohttp_client: Any, fake: FakeLineApi, engine: Engine, store: SessionStore) -> TestClient[Any, Any]:
    """A test client of the app with LINE on, talking to ``fake``, clock frozen on a weekday 10:00."""
    app = create_app(settings_for(fake), engine=engine, store=store, clock=lambda: WEEKDAY_10)
    client: TestClient[Any, Any] = await aiohttp_client(app)
    return client


@pytest.fixture
async def metered(aiohttp_client: Any, fake: FakeLineApi, engine: Engine) -> TestClient[Any, Any]:
    """Like :func:`client`, with ``/metrics`` on and a store of its own."""
    app = create_app(settings_for(fake, SOUDAN_METRICS=True), engine=engine, store=open_store("memory://"),
                     clock=lambda: WEEKDAY_10)
    client: TestClient[Any, Any] = await aiohttp_client(app)
    return client


@pytest.fixture
def post(client: TestClient[Any, Any]) -> Post:
    """``await post(*events)`` → the response of a correctly signed webhook with these events.

    ``raw`` replaces the body; ``signature`` replaces the ``X-Line-Signature`` header (``""`` sends an
    empty one); ``None`` (the default) signs the body with the channel secret.
    """

    async def _post(*events: dict[str, Any], raw: bytes | None = None, signature: str | None = None,
                    headers: dict[str, str] | None = None) -> Any:
        body = raw if raw is not None else body_of(*events)
        h = {"Content-Type": "application/json", "X-Line-Signature": signature if signature is not None else sign(body)}
        h.update(headers or {})
        resp = await client.post("/line/webhook", data=body, headers=h)
        await resp.read()
        return resp

    return _post
