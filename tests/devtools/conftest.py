"""Fixtures of the developer tools' tests: the fake Messaging API served on loopback, and the real
app (shipped flows and directory, LINE on) talking to it."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.app import create_app
from bot.devtools import DEV_ACCESS_TOKEN, DEV_CHANNEL_SECRET
from bot.devtools.line_fake import FakeLineApi
from bot.engine.core import Engine
from bot.settings import Settings
from bot.timeutil import JST

WEEKDAY_10 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=JST)
"""A Tuesday at 10:00 JST: the day windows are open."""


@pytest.fixture
async def fake(aiohttp_server: Any) -> AsyncIterator[FakeLineApi]:
    """The fake Messaging API on loopback (``fake.url``); no body sent to it may be invalid."""
    api = FakeLineApi()
    server = await aiohttp_server(api.app())
    api.url = str(server.make_url("")).rstrip("/")
    yield api
    assert api.invalid == [], api.invalid


def dev_settings(api_url: str) -> Settings:
    """The settings ``make line-dev`` gives ``soudan serve``: development credentials, the fake's URL."""
    return Settings(_env_file=None, SOUDAN_STORE="memory://", LINE_CHANNEL_SECRET=DEV_CHANNEL_SECRET,
                    LINE_CHANNEL_ACCESS_TOKEN=DEV_ACCESS_TOKEN, LINE_API_BASE=api_url, SOUDAN_SIMULATOR=False)


@pytest.fixture
async def bot_server(aiohttp_server: Any, fake: FakeLineApi, shipped_engine: Engine) -> TestServer:
    """The real app with LINE on, talking to ``fake``; the fake knows its webhook (the viewer's send box)."""
    app = create_app(dev_settings(fake.url), engine=shipped_engine, clock=lambda: WEEKDAY_10)
    server: TestServer = await aiohttp_server(app)
    fake.webhook_url = str(server.make_url("/line/webhook"))
    fake.channel_secret = DEV_CHANNEL_SECRET
    return server


class Served:
    """aiohttp applications served on loopback from a background thread (for sync code: the SDK's
    sync client, ``soudan line …`` commands that run their own event loop)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.runners: list[web.AppRunner] = []

    def serve(self, app: web.Application) -> str:
        """Start ``app`` on a free port; returns its base URL."""
        async def start() -> str:
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            self.runners.append(runner)
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            return f"http://127.0.0.1:{port}"
        return asyncio.run_coroutine_threadsafe(start(), self.loop).result(30)

    def close(self) -> None:
        async def stop() -> None:
            for r in reversed(self.runners):
                await r.cleanup()
        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def served() -> Iterator[Served]:
    """A :class:`Served` for the test, closed after it."""
    s = Served()
    yield s
    s.close()


@pytest.fixture
def fake_sync(served: Served) -> Iterator[FakeLineApi]:
    """The fake Messaging API served from a background thread; no body sent to it may be invalid."""
    api = FakeLineApi()
    api.url = served.serve(api.app())
    yield api
    assert api.invalid == [], api.invalid
