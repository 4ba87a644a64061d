"""In-process session store: a dict with TTL checked on read. For tests and ``soudan chat``.

Nothing survives the process; several processes do not share it (use SQLite or Redis).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

from bot.engine.types import Session
from bot.store.base import KeyedLocks, SessionStore, decode_session

__all__ = ["MemoryStore"]

log = logging.getLogger("soudan.store.memory")

PURGE_EVERY = 1024
"""Expired entries are swept after this many writes (reads already ignore them)."""


class MemoryStore(SessionStore):
    """Sessions and event ids in dicts; one :class:`asyncio.Lock` per user in use.

    Records are kept as :meth:`Session.to_json` strings, exactly like the other backends, so a
    caller never shares a live object with the store.

    Args:
        clock: returns the current time in seconds since the epoch (injected by tests to make
            TTLs pass without sleeping); defaults to :func:`time.time`.
    """

    backend = "memory"

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._sessions: dict[str, tuple[str, float]] = {}
        self._events: dict[str, float] = {}
        self._locks = KeyedLocks()
        self._writes = 0

    def __repr__(self) -> str:
        return "MemoryStore()"

    def _wrote(self) -> None:
        self._writes += 1
        if self._writes % PURGE_EVERY == 0:
            now = self._clock()
            self._sessions = {k: v for k, v in self._sessions.items() if v[1] > now}
            self._events = {k: v for k, v in self._events.items() if v > now}

    async def get(self, key: str) -> Session | None:
        """See :meth:`SessionStore.get`."""
        rec = self._sessions.get(key)
        if rec is None:
            return None
        if rec[1] <= self._clock():
            del self._sessions[key]
            return None
        return decode_session(rec[0], self.backend)

    async def save(self, key: str, session: Session, ttl: float) -> None:
        """See :meth:`SessionStore.save`."""
        self._check_ttl(ttl)
        self._sessions[key] = (session.to_json(), self._clock() + ttl)
        self._wrote()

    async def delete(self, key: str) -> None:
        """See :meth:`SessionStore.delete`."""
        self._sessions.pop(key, None)

    async def mark_event(self, event_id: str, ttl: float) -> bool:
        """See :meth:`SessionStore.mark_event` (atomic: no await between test and set)."""
        self._check_ttl(ttl)
        now = self._clock()
        exp = self._events.get(event_id)
        if exp is not None and exp > now:
            return False
        self._events[event_id] = now + ttl
        self._wrote()
        return True

    def lock(self, key: str, timeout: float = 10.0) -> AbstractAsyncContextManager[None]:
        """See :meth:`SessionStore.lock` (this process only; raises ``StoreError`` on timeout)."""
        return self._locks.hold(key, timeout)

    async def count(self) -> int:
        """See :meth:`SessionStore.count`."""
        now = self._clock()
        return sum(1 for _, exp in self._sessions.values() if exp > now)

    async def keys(self) -> AsyncIterator[str]:
        """See :meth:`SessionStore.keys`."""
        now = self._clock()
        for k, (_, exp) in list(self._sessions.items()):
            if exp > now:
                yield k

    async def close(self) -> None:
        """Drop everything (the memory store has no connection)."""
        self._sessions.clear()
        self._events.clear()
