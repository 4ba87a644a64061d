"""Helpers of the hardening tests: a LINE webhook harness that hypothesis can drive, log capture.

Hypothesis runs many examples inside one test function, so the app cannot come from
function-scoped pytest fixtures. :class:`WebhookHarness` owns its own event loop, serves the
fake Messaging API (``bot/devtools/line_fake.py``) and the real app (``bot.app.create_app`` with the
real line-bot-sdk parser) on loopback, and exposes a synchronous :meth:`WebhookHarness.post`.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.devtools.line_fake import FakeLineApi
from bot.engine.types import Session
from bot.store.base import StepResult
from bot.store.memory import MemoryStore
from tests.adapters.line.linekit import WEEKDAY_10, make_engine, settings_for

T = TypeVar("T")

__all__ = ["CountingStore", "LogCapture", "WebhookHarness", "format_record"]


def format_record(record: logging.LogRecord) -> str:
    """Everything a handler could write for ``record``: message, raw msg and args, extras,
    exception and stack text."""
    parts = [repr(record.msg), repr(record.args)]
    try:
        parts.append(record.getMessage())
    except Exception as exc:  # noqa: BLE001 — a broken format string is itself worth seeing
        parts.append(f"<unformattable: {exc!r}>")
    std = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}
    parts.extend(f"{k}={v!r}" for k, v in record.__dict__.items() if k not in std)
    if record.exc_info and record.exc_info[1] is not None:
        parts.append("".join(traceback.format_exception(*record.exc_info)))
    if record.exc_text:
        parts.append(record.exc_text)
    if record.stack_info:
        parts.append(record.stack_info)
    return "\n".join(parts)


class LogCapture(logging.Handler):
    """Collects every record that reaches the root logger at DEBUG while installed (a context
    manager).

    Sets the root logger to DEBUG — what ``soudan serve`` does with ``SOUDAN_LOG_LEVEL=DEBUG``
    (``logging.basicConfig``) — and raises every ``soudan.*`` and ``aiohttp.*`` logger that has a
    level of its own to DEBUG too (restored on exit). Library loggers whose level was set on
    purpose stay as they are, as in production: line-bot-sdk's ``Configuration`` sets
    ``linebot.v3.messaging`` to WARNING, and :mod:`bot.store.sqlite` keeps ``aiosqlite`` at INFO.
    """

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self._saved: list[tuple[logging.Logger, int]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def __enter__(self) -> LogCapture:
        root = logging.getLogger()
        ours = [lg for name, lg in logging.Logger.manager.loggerDict.items()
                if isinstance(lg, logging.Logger) and name.startswith(("soudan", "aiohttp", "bot"))]
        self._saved = [(lg, lg.level) for lg in [root, *ours]]
        root.setLevel(logging.DEBUG)
        for lg in ours:
            if lg.level != logging.NOTSET:
                lg.setLevel(logging.DEBUG)
        root.addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger().removeHandler(self)
        for lg, level in self._saved:
            lg.setLevel(level)

    def text(self) -> str:
        """All records, fully formatted (see :func:`format_record`)."""
        return "\n".join(format_record(r) for r in self.records)

    def ours(self) -> list[str]:
        """Records at ERROR or above logged by soudan, or with a traceback through soudan's code."""
        here = str(Path(__file__).resolve().parents[2] / "bot")
        return [format_record(r) for r in self.records if r.levelno >= logging.ERROR
                and (r.name.startswith("soudan") or here in format_record(r))]

    def problems(self) -> list[str]:
        """Records at ERROR or above, and any record carrying an exception or a stack."""
        return [format_record(r) for r in self.records
                if r.levelno >= logging.ERROR or r.exc_info or r.exc_text or r.stack_info]


class CountingStore(MemoryStore):
    """A memory store that counts every operation that reads or writes user data or event ids."""

    def __init__(self) -> None:
        super().__init__()
        self.ops = 0

    async def get(self, key: str) -> Session | None:
        self.ops += 1
        return await super().get(key)

    async def save(self, key: str, session: Session, ttl: float) -> None:
        self.ops += 1
        await super().save(key, session, ttl)

    async def delete(self, key: str) -> None:
        self.ops += 1
        await super().delete(key)

    async def mark_event(self, event_id: str, ttl: float) -> bool:
        self.ops += 1
        return await super().mark_event(event_id, ttl)

    async def step(self, *args: Any, **kw: Any) -> StepResult:
        self.ops += 1
        return await super().step(*args, **kw)

    async def sent(self, event_id: str) -> None:
        self.ops += 1
        await super().sent(event_id)


class WebhookHarness:
    """The app with LINE on, talking to a fake Messaging API, on its own loop (synchronous API).

    Args:
        store: the store the app uses (a :class:`CountingStore` by default).
        settings: more settings of the app (e.g. ``{"LINE_REDELIVERY": "on"}``).
    """

    def __init__(self, store: MemoryStore | None = None, settings: dict[str, Any] | None = None) -> None:
        self.settings = settings or {}
        self.store = store if store is not None else CountingStore()
        self.loop = asyncio.new_event_loop()
        self.fake = FakeLineApi()
        self._api: TestServer | None = None
        self.client: TestClient[Any, Any] | None = None
        self.loop.run_until_complete(self._start())

    async def _start(self) -> None:
        self._api = TestServer(self.fake.app())
        await self._api.start_server(access_log=None)  # its access log stands for LINE's side, not ours
        self.fake.url = str(self._api.make_url("")).rstrip("/")
        app = create_app(settings_for(self.fake, **self.settings), engine=make_engine(), store=self.store,
                         clock=lambda: WEEKDAY_10)
        self.app = app
        self.client = TestClient(TestServer(app))
        await self.client.start_server()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the harness loop."""
        return self.loop.run_until_complete(coro)

    def post(self, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        """POST ``body`` to ``/line/webhook`` with exactly ``headers``; returns (status, text)."""
        async def go() -> tuple[int, str]:
            assert self.client is not None
            resp = await self.client.post("/line/webhook", data=body, headers=headers)
            text = await resp.text()
            from bot.app import LINE_KEY

            await self.app[LINE_KEY].drain()  # type: ignore[attr-defined]
            return resp.status, text

        return self.run(go())

    def reset(self) -> None:
        """Forget the calls the fake received and the store's operation count."""
        self.fake.calls.clear()
        self.fake.invalid.clear()
        self.fake.profiles.clear()
        if isinstance(self.store, CountingStore):
            self.store.ops = 0

    def close(self) -> None:
        async def stop() -> None:
            if self.client is not None:
                await self.client.close()
            if self._api is not None:
                await self._api.close()

        self.run(stop())
        self.loop.close()
