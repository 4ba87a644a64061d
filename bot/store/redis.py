"""Redis session store (redis-py asyncio): for several replicas behind a load balancer.

The only module that imports ``redis``. Keys (``prefix`` defaults to ``soudan:``)::

    soudan:s:<user key>   Session.to_json(), expiring after the session TTL
    soudan:e:<event id>   "1", SET NX with the event TTL (idempotency)
    soudan:l:<user key>   a random lock token (redis-py Lock), expiring after the lock timeout

Any replica can take any event: the per-user lock serialises one user's events across
processes, and SET NX makes a redelivered event a no-op everywhere.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
from collections.abc import AsyncIterator, Awaitable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TypeVar

import redis.asyncio as aioredis
from redis.exceptions import LockError, LockNotOwnedError, RedisError

from bot.engine.types import Session
from bot.store.base import KeyedLocks, SessionStore, StoreError, decode_session, redact_url

__all__ = ["DEFAULT_PREFIX", "RedisStore"]

log = logging.getLogger("soudan.store.redis")

DEFAULT_PREFIX = "soudan:"
"""Start of every key this store writes (several deployments can share one Redis database)."""

LOCK_POLL = 0.01
"""Seconds between two attempts to take a lock held by another process."""

T = TypeVar("T")


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


class RedisStore(SessionStore):
    """Sessions, event ids and per-user locks in Redis.

    The client connects on first use; :meth:`ping` checks the connection eagerly.

    Args:
        url: ``redis://[:password@]host:port/db`` or ``rediss://…`` (TLS).
        prefix: start of every key (default ``soudan:``); tests use a unique one per test.
        socket_timeout: seconds to wait for a connection or an answer before failing.

    Raises:
        ValueError: if the URL cannot be parsed by redis-py or ``prefix`` is empty.
    """

    backend = "redis"

    def __init__(self, url: str, *, prefix: str = DEFAULT_PREFIX, socket_timeout: float = 5.0) -> None:
        if not prefix:
            raise ValueError("prefix must not be empty (it keeps soudan's keys apart from others)")
        self.url = url
        self.prefix = prefix
        self._shown = redact_url(url)
        self._r: aioredis.Redis = aioredis.from_url(url, socket_timeout=socket_timeout,
                                                    socket_connect_timeout=socket_timeout)
        self._locks = KeyedLocks()
        self._closed = False

    def __repr__(self) -> str:
        return f"RedisStore({self._shown!r}, prefix={self.prefix!r})"

    # ------------------------------------------------------------ helpers

    def _s(self, key: str) -> str:
        return f"{self.prefix}s:{key}"

    def _e(self, event_id: str) -> str:
        return f"{self.prefix}e:{event_id}"

    def _l(self, key: str) -> str:
        return f"{self.prefix}l:{key}"

    def user_keys(self, key: str) -> list[str]:
        """Every Redis key that holds data of the user ``key`` (what :meth:`forget` deletes).

        The lock key is not listed: it holds only a random token and expires by itself.
        """
        return [self._s(key)]

    async def _call(self, what: str, aw: Awaitable[T]) -> T:
        if self._closed:
            if inspect.iscoroutine(aw):
                aw.close()
            raise StoreError(f"Redis store {self._shown} is closed")
        try:
            return await aw
        except (RedisError, OSError) as exc:
            raise StoreError(f"Redis store {self._shown}: {what} failed: {type(exc).__name__}: {str(exc).rstrip('.')}. "
                             "Check that redis-server is running and SOUDAN_STORE points at it.") from exc

    async def ping(self) -> None:
        """See :meth:`SessionStore.ping`."""
        await self._call("ping", self._r.ping())

    async def close(self) -> None:
        """Close the connection pool. The store may not be used afterwards."""
        self._closed = True
        try:
            await self._r.aclose()
        except (RedisError, OSError) as exc:  # pragma: no cover - closing a broken connection
            log.debug("closing Redis failed: %s", type(exc).__name__)

    # ------------------------------------------------------------ sessions

    async def get(self, key: str) -> Session | None:
        """See :meth:`SessionStore.get`."""
        data: Any = await self._call("reading a session", self._r.get(self._s(key)))
        return None if data is None else decode_session(data, self.backend)

    async def save(self, key: str, session: Session, ttl: float) -> None:
        """See :meth:`SessionStore.save` (``SET key json PX ttl``)."""
        self._check_ttl(ttl)
        await self._call("saving a session", self._r.set(self._s(key), session.to_json(), px=_ms(ttl)))

    async def delete(self, key: str) -> None:
        """See :meth:`SessionStore.delete`."""
        await self._call("deleting a session", self._r.delete(self._s(key)))

    async def forget(self, key: str) -> None:
        """Delete every key of the user (see :meth:`user_keys`) in one ``DEL``."""
        await self._call("forgetting a user", self._r.delete(*self.user_keys(key)))

    async def _scan(self, start: str) -> AsyncIterator[str]:
        if self._closed:
            raise StoreError(f"Redis store {self._shown} is closed")
        pattern = re.sub(r"([\\*?\[\]])", r"\\\1", start) + "*"
        try:
            async for k in self._r.scan_iter(match=pattern, count=1000):
                yield k.decode() if isinstance(k, bytes) else str(k)
        except (RedisError, OSError) as exc:
            raise StoreError(f"Redis store {self._shown}: scanning keys failed: {exc}") from exc

    async def keys(self) -> AsyncIterator[str]:
        """See :meth:`SessionStore.keys` (``SCAN``; O(number of keys in the database))."""
        start = len(self._s(""))
        async for k in self._scan(self._s("")):
            yield k[start:]

    async def clear(self) -> int:
        """Delete every key under this store's prefix (tests; wiping a deployment).

        Returns:
            The number of keys deleted.

        Raises:
            StoreError: when Redis cannot be reached.
        """
        batch: list[str] = []
        n = 0
        async for k in self._scan(self.prefix):
            batch.append(k)
            if len(batch) >= 500:
                n += await self._call("clearing", self._r.unlink(*batch))
                batch.clear()
        if batch:
            n += await self._call("clearing", self._r.unlink(*batch))
        return n

    async def count(self) -> int:
        """See :meth:`SessionStore.count` (``SCAN``; O(number of keys in the database))."""
        return sum([1 async for _ in self.keys()])

    # ------------------------------------------------------------ events

    async def mark_event(self, event_id: str, ttl: float) -> bool:
        """See :meth:`SessionStore.mark_event` (``SET key 1 NX PX ttl``)."""
        self._check_ttl(ttl)
        done = await self._call("recording an event id", self._r.set(self._e(event_id), b"1", nx=True, px=_ms(ttl)))
        return bool(done)

    # ------------------------------------------------------------ locks

    def lock(self, key: str, timeout: float = 10.0) -> AbstractAsyncContextManager[None]:
        """See :meth:`SessionStore.lock`.

        Tasks of this process queue on an :class:`asyncio.Lock`; the task at the head takes the
        Redis lock (redis-py ``Lock``: SET NX PX with a random token, Lua release that only
        deletes its own token), polling every 10 ms while another replica holds it.
        """
        return self._lock(key, timeout)

    @asynccontextmanager
    async def _lock(self, key: str, timeout: float) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with self._locks.hold(key, timeout):
            lk = self._r.lock(self._l(key), timeout=timeout, sleep=LOCK_POLL, thread_local=False,
                              blocking_timeout=max(0.0, deadline - loop.time()))
            if not await self._call("taking a lock", lk.acquire()):
                raise StoreError(f"the user's lock was not free within {timeout:g} s "
                                 "(another replica is still handling an event of the same user)")
            try:
                yield
            finally:
                try:
                    await lk.release()
                except LockNotOwnedError:
                    log.warning("a user's lock expired before the event was handled (took longer than %g s); "
                                "raise the lock timeout if this repeats", timeout)
                except (LockError, RedisError, OSError) as exc:
                    log.warning("releasing a user's lock failed (%s); it expires by itself within %g s",
                                type(exc).__name__, timeout)
