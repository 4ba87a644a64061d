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

**The scripts (step, sent, release) run on redis-py connections of a pool of their own**
(``BlockingConnectionPool``): each call takes a connection, writes the ``EVALSHA`` packed by
hiredis from arguments that are already bytes (``send_packed_command``), reads the answer
(``read_response``, parsed by hiredis) within one ``asyncio.timeout`` and gives the connection
back — not the client's ``evalsha`` or ``Script``, whose per-call argument encoding, retry
wrapper, observability hooks, response callbacks and ``NOSCRIPT`` round cost ~105k instructions
more per step (callgrind). Its connections have no socket timeout of redis-py's own: redis-py
sends through ``asyncio.wait_for`` then (a task per command, and on Python 3.11 a cancellation
lost when it meets the end of the send). The other commands (``get``, ``save``, locks,
``SCAN``…) use redis-py's client and its pool.

Both pools are bounded: when all ``max_connections`` connections of a pool are in use, a command
waits up to ``pool_timeout`` seconds for one, and running out is reported as "pool exhausted",
not as an outage. A command that meets a broken connection (Redis restarted) or no answer within
``socket_timeout`` is retried once on a new one; a script answered ``LOADING`` (the
restarted server still reading its data) is asked again every :data:`LOADING_RETRY` seconds, up
to :data:`LOADING_TRIES` times (redis-py retries the other commands' ``LOADING`` once, as a
connection error). :meth:`RedisStore.ping` uses a connection of its own, so ``/healthz`` reports
the server's health even while the pools are busy.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import inspect
import itertools
import logging
import re
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TypeVar

import hiredis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import BusyLoadingError, LockError, LockNotOwnedError, NoScriptError, RedisError
from redis.exceptions import ConnectionError as RedisConnectionError
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
from bot.store.codec import copy_session, decode_session, encode_session

__all__ = ["DEFAULT_MAX_CONNECTIONS", "DEFAULT_POOL_TIMEOUT", "DEFAULT_PREFIX", "RedisStore"]

log = logging.getLogger("soudan.store.redis")

DEFAULT_PREFIX = "soudan:"
"""Start of every key this store writes (several deployments can share one Redis database)."""

LOCK_POLL = 0.01
"""Seconds between two attempts to take a lock held by another process."""

DEFAULT_MAX_CONNECTIONS = 64
"""Scripts one process has in flight at once (pipelined on their connection), and connections
of its pool for the other commands (commands beyond wait for their turn)."""

DEFAULT_POOL_TIMEOUT = 5.0
"""Seconds a command waits for a free pooled connection before failing with "pool exhausted"."""

LOADING_RETRY = 0.2
"""Seconds a script waits before asking again when Redis answered ``LOADING`` (a restarted
server still reading its data into memory: the script did not run)."""

LOADING_TRIES = 5
"""How many more times a script answered ``LOADING`` is asked (every :data:`LOADING_RETRY`
seconds: ~1 s in all) before the step fails as an outage."""

SEEN = 10_000
"""Users whose last stored session a replica remembers: the stored bytes (the guess that saves a
round trip) and, until the next step takes it, a private copy of the session they encode (that
saves decoding them): ~20 MB."""

T = TypeVar("T")

_TOKEN_BITS = 2**64 - 1
"""A commit's token (16 hex digits in the event record) tells a retried commit of this store from
another's: each store counts up from a random 64-bit start, so two replicas' tokens meet only
if their ranges overlap (odds ~ steps × replicas / 2**64), and the token costs no randomness per
step (``secrets.token_hex`` did, ~2 µs)."""

_Guess = tuple[bytes, Session | None] | None
"""What a replica remembers of a user's stored session: its bytes and, until a step takes it, a
private copy of the session they encode (None: decode the bytes); or None for "nothing stored"."""

# One trip when the replica's guess of the stored session is right. KEYS: event, session. ARGV:
# flags (4 characters: has event "1"/"0", expected "n" none / "v" value / "x" only check the event,
# new "d" delete / "s" set, outbox "n"/"o"), expected, new, outbox, session ttl (ms), event ttl (ms),
# lease (ms), token.
# → {1} event seen and sent; {2, lease end} being sent; {3, outbox} resend (lease taken);
# {0, current or nil} the session is not the expected one (nothing written); {4} committed;
# {5} (flag "x") the event is new (nothing written).
_STEP = """
local f = ARGV[1]
local has = string.sub(f, 1, 1) == '1'
if has then
  local v = redis.call('GET', KEYS[1])
  if v then
    if string.len(v) >= 30 and string.sub(v, 15, 30) == ARGV[8] then return {4} end
    if string.sub(v, 1, 1) ~= 'P' then return {1} end
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    local lease_end = tonumber(string.sub(v, 2, 14))
    if lease_end > now then return {2, string.sub(v, 2, 14)} end
    local rest = string.sub(v, 31)
    -- a claim carries the token reversed: a retried claim is not taken for a retried commit
    redis.call('SET', KEYS[1], 'P' .. string.format('%013d', now + tonumber(ARGV[7])) .. string.reverse(ARGV[8])
               .. rest, 'KEEPTTL')
    return {3, rest}
  end
end
if string.sub(f, 2, 2) == 'x' then return {5} end
local cur = redis.call('GET', KEYS[2])
if string.sub(f, 2, 2) == 'n' then
  if cur then return {0, cur} end
elseif cur ~= ARGV[2] then
  if cur then return {0, cur} end
  return {0}
end
if string.sub(f, 3, 3) == 'd' then redis.call('DEL', KEYS[2]) else redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[5]) end
if has then
  if string.sub(f, 4, 4) == 'o' then
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    redis.call('SET', KEYS[1], 'P' .. string.format('%013d', now + tonumber(ARGV[7])) .. ARGV[8] .. ARGV[4],
               'PX', ARGV[6])
  else
    redis.call('SET', KEYS[1], 'S0000000000000' .. ARGV[8], 'PX', ARGV[6])
  end
end
return {4}
"""

# KEYS: event. ARGV: "1" to replace the outbox / "0" to keep it, the new outbox. Ends the send
# lease of a pending outbox (a redelivery may send it at once).
_RELEASE = """
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, 1) == 'P' then
  local rest = string.sub(v, 15)
  if ARGV[1] == '1' then rest = string.sub(v, 15, 30) .. ARGV[2] end
  redis.call('SET', KEYS[1], 'P0000000000000' .. rest, 'KEEPTTL')
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


_pack: Callable[[tuple[bytes, ...]], bytes] = hiredis.pack_command  # type: ignore[assignment]  # its stub takes 1-tuples
"""hiredis's command packer (C; what redis-py's synchronous client packs with)."""


class _Script:
    """A Lua script with a fixed number of keys, sent as ``EVALSHA`` (or, to a server that does not
    know it yet, as ``EVAL``, which also loads it), packed by hiredis (C) from arguments that are
    already bytes: no per-call encoding of the script's text or its SHA."""

    def __init__(self, text: str, keys: int) -> None:
        self.body = text.encode()
        self.sha = hashlib.sha1(self.body).hexdigest().encode()
        self.keys = b"%d" % keys

    def command(self, parts: tuple[bytes, ...]) -> bytes:
        """The packed ``EVALSHA`` of this script with its keys and arguments ``parts``."""
        return _pack((b"EVALSHA", self.sha, self.keys, *parts))

    def loading(self, parts: tuple[bytes, ...]) -> bytes:
        """The packed ``EVAL`` form of :meth:`command` (for a server that answered ``NOSCRIPT``)."""
        return _pack((b"EVAL", self.body, self.keys, *parts))


_STEP_SCRIPT = _Script(_STEP, 2)
_SENT_SCRIPT = _Script(_SENT, 1)
_RELEASE_SCRIPT = _Script(_RELEASE, 1)


def _redelivery(got: Any) -> StepResult | Busy | None:
    """The result of a step script answer that found the event seen before ({1} sent, {2} being
    sent, {3} its outbox to send again), or None for any other answer."""
    kind = got[0]
    if kind == 1:
        return StepResult(None)
    if kind == 2:
        return Busy(int(got[1]) / 1000, "the reply of this event is being sent by another replica")
    if kind == 3:
        return StepResult(None, bytes(got[1]), resend=True)
    return None


def _exhausted_pool(exc: BaseException) -> bool:
    """True when ``exc`` is redis-py's BlockingConnectionPool giving up waiting for a free
    connection (``ConnectionError("No connection available.")`` from a timeout), not a failure
    of Redis."""
    return (isinstance(exc, RedisConnectionError) and isinstance(exc.__cause__, TimeoutError)
            and "No connection available" in str(exc))


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
        # the scripts' pool: the same connections, but no socket timeout of redis-py's (it sends
        # through asyncio.wait_for, a task per command; _run bounds the command itself)
        self._pool: aioredis.BlockingConnectionPool = aioredis.BlockingConnectionPool.from_url(
            url, max_connections=max_connections, timeout=pool_timeout, socket_timeout=None,
            socket_connect_timeout=socket_timeout)
        self.socket_timeout = socket_timeout
        # /healthz: a connection of its own, so a busy pool does not look like an outage
        self._health: aioredis.Redis = aioredis.from_url(url, max_connections=2, **opts)
        self._seen: collections.OrderedDict[str, _Guess] = collections.OrderedDict()
        self._times: tuple[tuple[float, float, float], tuple[bytes, ...]] = ((0.0, 0.0, 0.0), ())  # last TTLs, packed
        self._tokens = itertools.count(secrets.randbits(64))  # commit tokens: a random start, counted up
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
            raise (self._exhausted(what) if _exhausted_pool(exc) else self._down(what, exc)) from exc

    async def _run(self, what: str, script: _Script, parts: tuple[bytes, ...]) -> Any:
        """The answer of ``script`` run with ``parts`` (its keys, then its arguments, as bytes), on
        a connection of the pool.

        One command on one pooled connection (redis-py's ``Connection``: its ``send_packed_command``
        and ``read_response``, the answer parsed by hiredis), not the client's ``evalsha``: that
        adds per call the command's re-encoding, a retry wrapper, observability hooks and response
        callbacks (~105k instructions more a step; callgrind). The same rules hold:

        - a broken connection (Redis restarted) or no answer within ``socket_timeout`` costs one
          retry on a new connection (the scripts are safe to run twice: a retried commit
          recognises its token);
        - a server that does not know the script gets it with the command (``EVAL``);
        - a server still loading its data (``LOADING``: just restarted; nothing ran) is asked
          again every :data:`LOADING_RETRY` seconds, up to :data:`LOADING_TRIES` more times.

        Raises:
            StoreError: every connection of the pool stayed busy for ``pool_timeout`` seconds
                ("pool exhausted": not an outage), or the store is closed.
            StoreUnavailable: Redis failed or is down (the second failure; still loading after the
                last try; an error answer).
        """
        if self._closed:
            raise StoreError(f"Redis store {self._shown} is closed")
        pool = self._pool
        command = script.command(parts)
        retries, loading, loaded = 1, LOADING_TRIES, False
        while True:
            conn, pause = None, 0.0
            try:
                try:
                    # the pool's wait is bounded by pool_timeout (its own "No connection available");
                    # a new connection's set-up (connect, AUTH, SELECT…) by socket_timeout
                    async with asyncio.timeout(self.pool_timeout + self.socket_timeout):
                        conn = await pool.get_connection()  # type: ignore[no-untyped-call]  # unannotated
                    async with asyncio.timeout(self.socket_timeout):
                        await conn.send_packed_command(command, check_health=False)
                        return await conn.read_response()
                except TimeoutError:  # redis-py closed the connection (it was cancelled mid-command)
                    raise RedisTimeoutError(f"no answer within {self.socket_timeout:g} s") from None
            except NoScriptError as exc:
                if loaded:
                    raise self._down(what, exc) from exc
                command, loaded = script.loading(parts), True
            except BusyLoadingError as exc:  # restarted, still reading its data: nothing ran
                if not loading:
                    raise self._down(what, exc) from exc
                loading, pause = loading - 1, LOADING_RETRY
            except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
                if _exhausted_pool(exc):
                    raise self._exhausted(what) from exc
                if not retries:
                    raise self._down(what, exc) from exc
                retries -= 1  # the pool checks the connection it gives next (a closed one is made anew)
            except RedisError as exc:
                raise self._down(what, exc) from exc
            finally:
                if conn is not None:
                    await pool.release(conn)
            if pause:  # not holding a connection
                await asyncio.sleep(pause)

    def _exhausted(self, what: str) -> StoreError:
        return StoreError(f"Redis store {self._shown}: {what} failed: connection pool exhausted (every "
                          f"connection busy for {self.pool_timeout:g} s); raise max_connections in "
                          "SOUDAN_STORE (…?max_connections=N) or add replicas")

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
        """Close the connection pools. The store may not be used afterwards."""
        self._closed = True
        for close in (self._r.aclose, self._health.aclose, self._pool.disconnect):
            try:
                await close()
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

        ``fn`` gets a session of its own: the copy kept with the bytes at the last commit
        (:func:`~bot.store.codec.copy_session`; handed out once, the store keeps no reference),
        or the bytes decoded.
        """
        if self._closed:
            raise StoreError(f"Redis store {self._shown} is closed")
        token = b"%016x" % (next(self._tokens) & _TOKEN_BITS)  # unique to this commit (see _TOKEN_BITS)
        keys = (self._e(event_id or "").encode(), self._s(key).encode())
        has = "1" if event_id is not None else "0"
        times = (ttl, event_ttl, lease)
        if times != self._times[0]:
            self._times = (times, (b"%d" % _ms(ttl), b"%d" % _ms(event_ttl), b"%d" % _ms(lease)))
        ttls = self._times[1]
        seen = self._seen.get(key)
        guess, stored = seen if seen is not None else (None, None)
        if guess is not None and stored is not None:
            self._seen[key] = (guess, None)  # fn owns it now
        for _ in range(20):  # a wrong guess, or another replica changing the session in between
            if stored is None and guess is not None:
                stored = decode_session(guess, self.backend)  # None if unreadable
            try:
                change = fn(stored)
            except Exception:
                if event_id is None:
                    raise
                seen_before = await self._seen_before(keys, ttls, token)  # a redelivery is answered as one
                if seen_before is None:
                    raise
                return seen_before
            new = None if change.session is None or change.forget else encode_session(change.session)
            flags = (f"{has}{'n' if guess is None else 'v'}{'d' if new is None else 's'}"
                     f"{'n' if change.outbox is None else 'o'}")
            got = await self._run("a step", _STEP_SCRIPT, (*keys, flags.encode(), guess or b"", new or b"",
                                                           change.outbox or b"", *ttls, token))
            if got[0] == 4:
                self._remember(key, None if new is None or change.session is None else
                               (new, copy_session(change.session)))
                return StepResult(change, change.outbox)
            seen_before = _redelivery(got)
            if seen_before is not None:
                return seen_before
            guess, stored = (bytes(got[1]) if len(got) > 1 else None), None  # 0: step again on what is stored
            self._remember(key, None if guess is None else (guess, None))
        return Busy(time.time(), "the user's session kept changing under concurrent events")

    async def _seen_before(self, keys: tuple[bytes, bytes], ttls: tuple[bytes, ...],
                           token: bytes) -> StepResult | Busy | None:
        """What a redelivery of the event in ``keys`` gets (as :meth:`_step_once` answers it), or None
        when the event is new: the step script's event check alone (flag ``x``), committing nothing
        else. Asked when the step function failed before the store knew whether the event was seen."""
        return _redelivery(await self._run("a step", _STEP_SCRIPT, (*keys, b"1xdn", b"", b"", b"", *ttls, token)))

    def _remember(self, key: str, data: _Guess) -> None:
        seen = self._seen
        seen[key] = data
        seen.move_to_end(key)
        if len(seen) > SEEN:
            seen.popitem(last=False)

    async def sent(self, event_id: str) -> None:
        """See :meth:`SessionStore.sent`."""
        await self._run("confirming a sent reply", _SENT_SCRIPT, (self._e(event_id).encode(),))

    async def release(self, event_id: str, outbox: bytes | None = None) -> None:
        """See :meth:`SessionStore.release` (the record's outbox part is replaced when ``outbox`` is given)."""
        await self._run("releasing a send lease", _RELEASE_SCRIPT,
                        (self._e(event_id).encode(), b"0" if outbox is None else b"1", outbox or b""))

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
