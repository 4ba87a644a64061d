"""Fixtures for the tests over the stores (tests/store/, tests/test_service.py): every backend
(memory, SQLite file, real Redis), a fake clock. A pytest plugin (``pytest_plugins`` in
tests/conftest.py), so every test directory sees the same fixtures.

Redis: the ``redis_url`` fixture (tests/conftest.py, helper tests/redis_kit.py) skips locally and
FAILS under ``CI`` when the server does not answer. Each test writes under its own key prefix and
deletes it afterwards, so tests never touch other data in that database.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.store.base import SessionStore
from bot.store.memory import MemoryStore
from bot.store.redis import RedisStore
from bot.store.sqlite import SQLiteStore
from tests.redis_kit import REDIS_URL

JST = ZoneInfo("Asia/Tokyo")


class FakeClock:
    """Seconds since the epoch that move only when told (starts at the real time)."""

    def __init__(self) -> None:
        self.t = time.time()

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds

    def now(self) -> dt.datetime:
        """The same instant as an aware datetime in Asia/Tokyo (for the engine)."""
        return dt.datetime.fromtimestamp(self.t, JST)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@dataclass
class Backend:
    """One backend under test.

    ``make()`` opens a new store object on the same data (a restart), ``advance(s)`` lets ``s``
    seconds pass for TTLs (fake clock for memory/SQLite, a real sleep for Redis), ``put_raw``
    writes a record that bypasses :meth:`Session.to_json` (to simulate old or damaged data),
    ``url`` is what ``open_store`` / another process would use.
    """

    name: str
    make: Callable[[], SessionStore]
    url: str
    clock: FakeClock
    opened: list[SessionStore] = field(default_factory=list)

    def open(self) -> SessionStore:
        if self.name == "sqlite-exclusive":  # a store object made again is a restarted process: the
            for old in self.opened:        # earlier one is gone, and with it its lock on the file
                _die(old)
        st = self.make()
        self.opened.append(st)
        return st

    async def advance(self, seconds: float) -> None:
        if self.name == "redis":
            await asyncio.sleep(seconds)
        else:
            self.clock.advance(seconds)

    def now(self) -> dt.datetime:
        """The instant the engine should see: the fake clock, or the real time for Redis."""
        return dt.datetime.now(JST) if self.name == "redis" else self.clock.now()

    async def put_raw(self, st: SessionStore, key: str, data: str, ttl: float = 60) -> None:
        if isinstance(st, MemoryStore):
            st._sessions[key] = (data, self.clock() + ttl)
        elif isinstance(st, SQLiteStore):
            await st.ping()
            row = (key, data, int((self.clock() + ttl) * 1000))
            if st.exclusive:  # nothing else can open the file: through the store's own connection
                st._conn().execute("INSERT OR REPLACE INTO sessions VALUES (?, ?, ?)", row)
                st._cache.pop(key, None)
            else:
                with sqlite3.connect(st.path) as db:
                    db.execute("INSERT OR REPLACE INTO sessions VALUES (?, ?, ?)", row)
        elif isinstance(st, RedisStore):
            await st._r.set(st._s(key), data, ex=int(ttl))
        else:  # pragma: no cover
            raise TypeError(st)


def _die(st: SessionStore) -> None:
    """What a killed process leaves of an SQLite store: nothing (its connection, and with it
    SQLite's lock on the file, is gone)."""
    if isinstance(st, SQLiteStore) and st._db is not None:
        st._db.close()
        st._db = st._cur = None


BACKENDS = ["memory", "memory-encoded", "sqlite", "sqlite-exclusive", pytest.param("redis", marks=pytest.mark.redis)]
PERSISTENT = ["sqlite", pytest.param("redis", marks=pytest.mark.redis)]


async def _backend(name: str, request: pytest.FixtureRequest, tmp_path: Path,
                   clock: FakeClock) -> AsyncIterator[Backend]:
    prefix = ""
    if name in ("memory", "memory-encoded"):  # session copies; or the codec's bytes like the others
        shared = MemoryStore(clock=clock, encoded=name == "memory-encoded")
        b = Backend(name, lambda: shared, "memory://", clock)
    elif name in ("sqlite", "sqlite-exclusive"):  # exclusive: one process owns the file (?exclusive=1)
        path, exclusive = tmp_path / "var" / "soudan.db", name == "sqlite-exclusive"
        b = Backend(name, lambda: SQLiteStore(path, clock=clock, exclusive=exclusive),
                    f"sqlite:///{path}" + ("?exclusive=1" if exclusive else ""), clock)
    else:
        url = request.getfixturevalue("redis_url")
        prefix = f"soudan-test:{uuid.uuid4().hex[:12]}:"
        b = Backend(name, lambda: RedisStore(url, prefix=prefix), f"{url}?prefix={prefix}", clock)
    try:
        yield b
    finally:
        if name == "redis":
            cleaner = RedisStore(REDIS_URL, prefix=prefix)
            await cleaner.clear()
            await cleaner.close()
        for st in b.opened:
            await st.close()


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> AsyncIterator[Backend]:
    """Each backend in turn (memory, SQLite in tmp_path, Redis under a unique prefix)."""
    async for b in _backend(request.param, request, tmp_path, clock):
        yield b


@pytest.fixture(params=PERSISTENT)
async def persistent(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> AsyncIterator[Backend]:
    """The backends that outlive a process: SQLite and Redis."""
    async for b in _backend(request.param, request, tmp_path, clock):
        yield b


@pytest.fixture
async def store(backend: Backend) -> SessionStore:
    """A fresh store of each backend."""
    return backend.open()
