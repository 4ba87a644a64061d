"""In-process session store: a dict with TTL checked on read. For tests and ``soudan chat``.

Nothing survives the process; several processes do not share it (use SQLite or Redis).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

from bot.engine.types import Session
from bot.store.base import Busy, KeyedLocks, SessionStore, StepFn, StepResult
from bot.store.codec import copy_session, decode_session, encode_session

__all__ = ["MemoryStore"]

log = logging.getLogger("soudan.store.memory")

PURGE_EVERY = 1024
"""Expired entries are swept after this many writes (reads already ignore them)."""


class MemoryStore(SessionStore):
    """Sessions and event ids in dicts; one :class:`asyncio.Lock` per user in use.

    A session is kept as a private copy (:func:`~bot.store.codec.copy_session`), and what is
    handed out is another copy, so a caller never shares a live object with the store (the other
    backends keep the bytes of :func:`~bot.store.codec.encode_session`; in-process, a copy costs
    a tenth of an encode and a decode). A record that is bytes or text (the encoded form, e.g. a
    test's raw record) is decoded like the other backends do. :meth:`step` runs without an await
    between its test and its writes, so it is atomic within the process.

    Args:
        clock: returns the current time in seconds since the epoch (injected by tests to make
            TTLs pass without sleeping); defaults to :func:`time.time`.
        encoded: keep the bytes of :func:`~bot.store.codec.encode_session` instead of copies,
            like the other backends (``bench/store_bench.py`` compares SQLite and Redis with this:
            the same work but the I/O).
    """

    backend = "memory"

    def __init__(self, *, clock: Callable[[], float] = time.time, encoded: bool = False) -> None:
        self._clock = clock
        self._keep: Callable[[Session], Session | bytes] = encode_session if encoded else copy_session
        self._sessions: dict[str, tuple[Session | bytes | str, float]] = {}  # key → (session, expiry)
        self._events: dict[str, tuple[float, bytes | None, float]] = {}  # id → (expiry, outbox, lease end)
        self._locks = KeyedLocks()
        self._writes = 0

    def __repr__(self) -> str:
        return "MemoryStore()"

    def _wrote(self) -> None:
        self._writes += 1
        if self._writes % PURGE_EVERY == 0:
            now = self._clock()
            self._sessions = {k: v for k, v in self._sessions.items() if v[1] > now}
            self._events = {k: v for k, v in self._events.items() if v[0] > now}

    async def get(self, key: str) -> Session | None:
        """See :meth:`SessionStore.get`."""
        rec = self._sessions.get(key)
        if rec is None:
            return None
        if rec[1] <= self._clock():
            del self._sessions[key]
            return None
        return self._load(rec[0])

    def _load(self, data: Session | bytes | str) -> Session | None:
        """A session of its own for the caller (a copy, or the decoded record)."""
        return copy_session(data) if isinstance(data, Session) else decode_session(data, self.backend)

    async def save(self, key: str, session: Session, ttl: float) -> None:
        """See :meth:`SessionStore.save`."""
        self._check_ttl(ttl)
        self._sessions[key] = (self._keep(session), self._clock() + ttl)
        self._wrote()

    async def delete(self, key: str) -> None:
        """See :meth:`SessionStore.delete`."""
        self._sessions.pop(key, None)

    async def mark_event(self, event_id: str, ttl: float) -> bool:
        """See :meth:`SessionStore.mark_event` (atomic: no await between test and set)."""
        self._check_ttl(ttl)
        now = self._clock()
        rec = self._events.get(event_id)
        if rec is not None and rec[0] > now:
            return False
        self._events[event_id] = (now + ttl, None, 0.0)
        self._wrote()
        return True

    async def _step_once(self, key: str, event_id: str | None, fn: StepFn, ttl: float, event_ttl: float,
                         lease: float) -> StepResult | Busy:
        """One attempt of :meth:`SessionStore.step`: test, ``fn`` and writes with no await in
        between (atomic within the process, so no lock is needed)."""
        now = self._clock()
        if event_id is not None:
            rec = self._events.get(event_id)
            if rec is not None and rec[0] > now:
                exp, outbox, until = rec
                if outbox is None:
                    return StepResult(None)
                t = time.time()
                if until > t:
                    return Busy(until, "the reply of this event is being sent by another task")
                self._events[event_id] = (exp, outbox, t + lease)
                return StepResult(None, outbox, resend=True)
        rec_s = self._sessions.get(key)
        session = self._load(rec_s[0]) if rec_s is not None and rec_s[1] > now else None
        change = fn(session)
        if change.session is None or change.forget:
            self._sessions.pop(key, None)
        else:
            self._sessions[key] = (self._keep(change.session), now + ttl)
        if event_id is not None:
            self._events[event_id] = (now + event_ttl, change.outbox, time.time() + lease)
        self._wrote()
        return StepResult(change, change.outbox)

    async def sent(self, event_id: str) -> None:
        """See :meth:`SessionStore.sent`."""
        rec = self._events.get(event_id)
        if rec is not None and rec[1] is not None:
            self._events[event_id] = (rec[0], None, 0.0)

    async def release(self, event_id: str, outbox: bytes | None = None) -> None:
        """See :meth:`SessionStore.release`."""
        rec = self._events.get(event_id)
        if rec is not None and rec[1] is not None:
            self._events[event_id] = (rec[0], rec[1] if outbox is None else bytes(outbox), 0.0)

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
