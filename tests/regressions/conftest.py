"""Fixtures of the regression tests: the app with LINE on, the fake Messaging API, signed posts.

The helpers are those of the LINE tests (``bot/devtools/line_fake.py``, ``tests/line/linekit.py``).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

LINE_TESTS = Path(__file__).resolve().parents[1] / "line"
if str(LINE_TESTS) not in sys.path:
    sys.path.insert(0, str(LINE_TESTS))

from linekit import WEEKDAY_10, Post, body_of, make_engine, settings_for, sign  # noqa: E402

from bot.app import create_app  # noqa: E402
from bot.devtools.line_fake import FakeLineApi  # noqa: E402
from bot.store import SessionStore, open_store  # noqa: E402


@pytest.fixture
async def fake(aiohttp_server: Any) -> AsyncIterator[FakeLineApi]:
    """The fake Messaging API on loopback; bodies LINE would refuse fail the test."""
    api = FakeLineApi()
    server = await aiohttp_server(api.app(), access_log=None)  # its access log stands for LINE's side
    api.url = str(server.make_url("")).rstrip("/")
    yield api
    assert api.invalid == [], api.invalid


@pytest.fixture
def store() -> SessionStore:
    return open_store("memory://")


@pytest.fixture
async def client(aiohttp_client: Any, fake: FakeLineApi, store: SessionStore) -> Any:
    """The app (LINE test flow, memory store, clock frozen on a weekday 10:00)."""
    app = create_app(settings_for(fake), engine=make_engine(), store=store, clock=lambda: WEEKDAY_10)
    return await aiohttp_client(app)


@pytest.fixture
def post(client: Any) -> Post:
    """``await post(*events, raw=..., signature=...)`` → the response (body read)."""

    async def _post(*events: dict[str, Any], raw: bytes | None = None, signature: str | None = None) -> Any:
        body = raw if raw is not None else body_of(*events)
        resp = await client.post("/line/webhook", data=body,
                                 headers={"Content-Type": "application/json",
                                          "X-Line-Signature": signature if signature is not None else sign(body)})
        await resp.read()
        return resp

    return _post
