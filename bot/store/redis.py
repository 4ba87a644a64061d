"""Redis session store (redis-py asyncio): for several replicas behind a load balancer.

The only module that imports ``redis``. Keys (``prefix`` defaults to ``soudan:``)::

    soudan:s:<user key>   encode_session() bytes, expiring after the session TTL
    soudan:e:<event id>   the event record, expiring after the event TTL:
                          "S" + 29 more bytes (processed, nothing to send), or
                          "P" + lease end (13 digits, ms since the epoch, server clock)
                              + the committer's token (16 hex) + the outbox (pending send)
    soudan:l:<user key>   a random lock token (redis-py Lock) of the primitive API only

**A step is one round trip, no lock.** The replica remembers the last session it stored for each
recent user; :meth:`RedisStore.step` runs the engine on that guess and one Lua script checks the
event record (a redelivery gets its pending outbox, or nothing), checks that the stored session is
byte for byte the guess, and commits session, event record and outbox together. When the guess
was wrong (another replica moved the conversation on, or this one never saw the user) the script
returns the stored session instead, and the step runs again on it: a second trip (optimistic
concurrency). A replica killed at any point leaves no lock behind. A retried commit (the answer
lost on a dropped connection) recognises its own token and does not count as a conflict.

The connection pool is a blocking one: when all ``max_connections`` are in use a command waits up
to ``pool_timeout`` seconds for one, and running out is reported as "pool exhausted", not as an
outage. A command that meets a broken connection (Redis restarted) is retried once on a new one.
:meth:`RedisStore.ping` uses a connection of its own, so ``/healthz`` reports the server's health
even while the pool is busy.
"""

from __future__ import annotations

import asyncio
import collections
import inspect
import logging
import re
import secrets
import time
from collections.abc import AsyncIterator, Awaitable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TypeVar

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import LockError, LockNotOwnedError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.engine.types import Session
from bot.store.base import (
    Busy,
    KeyedLocks,
    SessionStore,
    StepFn,
    StepResult,
    StoreError,
    StoreUnavailable,
    redact_url,
)
from bot.store.codec import decode_session, encode_session

__all__ = ["DEFAULT_MAX_CONNECTIONS", "DEFAULT_POOL_TIMEOUT", "DEFAULT_PREFIX", "RedisStore"]

log = logging.getLogger("soudan.store.redis")

DEFAULT_PREFIX = "soudan:"
"""Start of every key this store writes (several deployments can share one Redis database)."""

LOCK_POLL = 0.01
"""Seconds between two attempts to take a lock held by another process."""

DEFAULT_MAX_CONNECTIONS = 64
"""Connections in the pool of one process (commands beyond wait for a free one)."""

DEFAULT_POOL_TIMEOUT = 5.0
"""Seconds a command waits for a free pooled connection before failing with "pool exhausted"."""

SEEN = 10_000
"""Users whose last stored session a replica remembers (a guess that saves a round trip; ~1.5 MB)."""

T = TypeVar("T")

# One trip when the replica's guess of the stored session is right. KEYS: event, session. ARGV:
# has_event ("1"/"0"), expected kind ("n" none / "v" value), expected, new kind ("d" delete / "s"
# set), new, session ttl (ms), event ttl (ms), outbox kind ("n"/"o"), outbox, lease (ms), token. → {1} event seen and sent; {2, lease end} being sent; {3, outbox} resend (lease taken);
# {0, current or nil} the session is not the expected one (nothing written); {4} committed.
_STEP = """
if ARGV[1] == '1' then
  local v = redis.call('GET', KEYS[1])
  if v then
    if string.len(v) >= 30 and string.sub(v, 15, 30) == ARGV[11] then return {4} end
    if string.sub(v, 1, 1) ~= 'P' then return {1} end
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    local lease_end = tonumber(string.sub(v, 2, 14))
    if lease_end > now then return {2, string.sub(v, 2, 14)} end
    local rest = string.sub(v, 31)
    -- a claim carries the token reversed: a retried claim is not taken for a retried commit
    redis.call('SET', KEYS[1], 'P' .. string.format('%013d', now + tonumber(ARGV[10])) .. string.reverse(ARGV[11])
               .. rest, 'KEEPTTL')
    return {3, rest}
  end
end
local cur = redis.call('GET', KEYS[2])
if ARGV[2] == 'n' then
  if cur then return {0, cur} end
elseif cur ~= ARGV[3] then
  if cur then return {0, cur} end
  return {0}
end
if ARGV[4] == 'd' then redis.call('DEL', KEYS[2]) else redis.call('SET', KEYS[2], ARGV[5], 'PX', ARGV[6]) end
if ARGV[1] == '1' then
  if ARGV[8] == 'o' then
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    redis.call('SET', KEYS[1], 'P' .. string.format('%013d', now + tonumber(ARGV[10])) .. ARGV[11] .. ARGV[9],
               'PX', ARGV[7])
  else
    redis.call('SET', KEYS[1], 'S0000000000000' .. ARGV[11], 'PX', ARGV[7])
  end
end
return {4}
"""

# KEYS: event. Ends the send lease of a pending outbox (a redelivery may send it at once).
_RELEASE = """
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, 1) == 'P' then
  redis.call('SET', KEYS[1], 'P0000000000000' .. string.sub(v, 15), 'KEEPTTL')
  return 1
end
return 0
"""

# KEYS: event. Clears a pending outbox (keeps the id and its TTL).
_SENT = """
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, 1) == 'P' then
  redis.call('SET', KEYS[1], 'S' .. string.sub(v, 2, 30), 'KEEPTTL')
  return 1
end
return 0
"""


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


class RedisStore(SessionStore):
    """Sessions, event ids and per-user locks in Redis.

    The client connects on first use; :meth:`ping` checks the connection eagerly.

    Args:
        url: ``redis://[:password@]host:port/db`` or ``rediss://…`` (TLS).
        prefix: start of every key (default ``soudan:``); tests use a unique one per test.
        socket_timeout: seconds to wait for a connection or an answer before failing.
        max_connections: size of the connection pool.
        pool_timeout: seconds a command waits for a free pooled connection.

    Raises:
        ValueError: if the URL cannot be parsed by redis-py, ``prefix`` is empty or a pool
            setting is not positive.
    """

    backend = "redis"

    def __init__(self, url: str, *, prefix: str = DEFAULT_PREFIX, socket_timeout: float = 5.0,
                 max_connections: int = DEFAULT_MAX_CONNECTIONS, pool_timeout: float = DEFAULT_POOL_TIMEOUT) -> None:
        if not prefix:
            raise ValueError("prefix must not be empty (it keeps soudan's keys apart from others)")
        if max_connections < 1 or not pool_timeout > 0:
            raise ValueError("max_connections and pool_timeout must be positive")
        self.url = url
        self.prefix = prefix
        self.pool_timeout = pool_timeout
        self._shown = redact_url(url)
        opts: dict[str, Any] = {"socket_timeout": socket_timeout, "socket_connect_timeout": socket_timeout,
                                "retry": Retry(NoBackoff(), 1),
                                "retry_on_error": [RedisConnectionError, RedisTimeoutError]}
        pool = aioredis.BlockingConnectionPool.from_url(url, max_connections=max_connections,
                                                        timeout=pool_timeout, **opts)
        self._r: aioredis.Redis = aioredis.Redis(connection_pool=pool)
        # /healthz: a connection of its own, so a busy pool does not look like an outage
        self._health: aioredis.Redis = aioredis.from_url(url, max_connections=2, **opts)
        self._one = self._r.register_script(_STEP)
        self._seen: collections.OrderedDict[str, bytes | None] = collections.OrderedDict()
        self._sent = self._r.register_script(_SENT)
        self._release = self._r.register_script(_RELEASE)
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
        except RedisConnectionError as exc:
            if isinstance(exc.__cause__, TimeoutError) and "No connection available" in str(exc):
                raise StoreError(f"Redis store {self._shown}: {what} failed: connection pool exhausted (every "
                                 f"connection busy for {self.pool_timeout:g} s); raise max_connections in "
                                 "SOUDAN_STORE (…?max_connections=N) or add replicas") from exc
            raise self._down(what, exc) from exc
        except (RedisError, OSError) as exc:
            raise self._down(what, exc) from exc

    def _down(self, what: str, exc: BaseException) -> StoreUnavailable:
        return StoreUnavailable(f"Redis store {self._shown}: {what} failed: {type(exc).__name__}: "
                                f"{str(exc).rstrip('.')}. Check that redis-server is running and SOUDAN_STORE "
                                "points at it.")

    async def ping(self) -> None:
        """See :meth:`SessionStore.ping` (on a connection of its own, not the busy pool's)."""
        if self._closed:
            raise StoreError(f"Redis store {self._shown} is closed")
        try:
            await self._health.ping()
        except (RedisError, OSError) as exc:
            raise self._down("ping", exc) from exc

    async def close(self) -> None:
        """Close the connection pool. The store may not be used afterwards."""
        self._closed = True
        for client in (self._r, self._health):
            try:
                await client.aclose()
            except (RedisError, OSError) as exc:  # pragma: no cover - closing a broken connection
                log.debug("closing Redis failed: %s", type(exc).__name__)

    # ------------------------------------------------------------ the step

    async def _step_once(self, key: str, event_id: str | None, fn: StepFn, ttl: float, event_ttl: float,
                         lease: float) -> StepResult | Busy:
        """See :meth:`SessionStore.step`: usually one round trip.

        The replica remembers the last session it stored or read for a user (:data:`SEEN`
        of them); the engine steps on that guess (or on "nothing stored" for a user it has not
        seen), and one Lua script checks the event id, checks that the stored session is still
        the guess and commits — or, when the guess was wrong, returns the stored session to step
        on again (a second trip). Comparing the whole record makes a stale guess harmless: a step
        is committed only on exactly the bytes it was computed from.
        """
        token = secrets.token_hex(8)
        keys = [self._e(event_id or ""), self._s(key)]
        has = "1" if event_id is not None else "0"
        guess = self._seen.get(key)
        for _ in range(20):  # a wrong guess, or another replica changing the session in between
            change = fn(decode_session(guess, self.backend) if guess is not None else None)
            new = None if change.session is None or change.forget else encode_session(change.session)
            args = [has, "n" if guess is None else "v", guess or b"", "d" if new is None else "s", new or b"",
                    _ms(ttl), _ms(event_ttl), "n" if change.outbox is None else "o", change.outbox or b"",
                    _ms(lease), token]
            got: Any = await self._call("a step", self._one(keys=keys, args=args))
            kind = int(got[0])
            if kind == 4:
                self._remember(key, new)
                return StepResult(change, change.outbox)
            if kind == 1:
                return StepResult(None)
            if kind == 2:
                return Busy(int(got[1]) / 1000, "the reply of this event is being sent by another replica")
            if kind == 3:
                return StepResult(None, bytes(got[1]), resend=True)
            guess = bytes(got[1]) if len(got) > 1 else None  # 0: step again on what is stored
            self._remember(key, guess)
        return Busy(time.time(), "the user's session kept changing under concurrent events")

    def _remember(self, key: str, data: bytes | None) -> None:
        seen = self._seen
        seen[key] = data
        seen.move_to_end(key)
        if len(seen) > SEEN:
            seen.popitem(last=False)

    async def sent(self, event_id: str) -> None:
        """See :meth:`SessionStore.sent`."""
        await self._call("confirming a sent reply", self._sent(keys=[self._e(event_id)]))

    async def release(self, event_id: str) -> None:
        """See :meth:`SessionStore.release`."""
        await self._call("releasing a send lease", self._release(keys=[self._e(event_id)]))

    # ------------------------------------------------------------ sessions

    async def get(self, key: str) -> Session | None:
        """See :meth:`SessionStore.get`."""
        data: Any = await self._call("reading a session", self._r.get(self._s(key)))
        return None if data is None else decode_session(data, self.backend)

    async def save(self, key: str, session: Session, ttl: float) -> None:
        """See :meth:`SessionStore.save` (``SET key json PX ttl``)."""
        self._check_ttl(ttl)
        await self._call("saving a session", self._r.set(self._s(key), encode_session(session), px=_ms(ttl)))

    async def delete(self, key: str) -> None:
        """See :meth:`SessionStore.delete`."""
        self._seen.pop(key, None)
        await self._call("deleting a session", self._r.delete(self._s(key)))

    async def forget(self, key: str) -> None:
        """Delete every key of the user (see :meth:`user_keys`) in one ``DEL``, and this replica's
        remembered copy of their session."""
        self._seen.pop(key, None)
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
        done = await self._call("recording an event id",
                                self._r.set(self._e(event_id), b"S" + b"0" * 29, nx=True, px=_ms(ttl)))
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
