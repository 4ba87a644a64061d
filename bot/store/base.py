"""The ``SessionStore`` contract shared by every backend (memory, SQLite, Redis).

Stored per user (keyed by :func:`user_key`, a keyed hash — never a raw platform id): one
:class:`~bot.engine.types.Session` in the compact form of :mod:`bot.store.codec` (ids, slots,
timestamps; no free text). Stored globally: processed platform event ids (for idempotency),
each with a TTL, and with it — until the platform accepted it — the *outbox* of that event: what
the bot must send (rendered bot text, never the person's text). Nothing else is stored.

The heart of the contract is :meth:`SessionStore.step`: the event id, the session change and the
outbox are committed together or not at all, so a crash or a store failure at any point leaves
either nothing (the redelivery is handled afresh) or everything (the redelivery sends the outbox
again if it was not confirmed sent, else nothing).
"""

from __future__ import annotations

import abc
import asyncio
import hmac
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import urlsplit, urlunsplit

from bot.engine.types import Session
from bot.store.codec import decode_session

__all__ = ["EVENT_TTL", "SEND_LEASE", "Busy", "Change", "KeyedLocks", "SessionStore", "StepResult", "StoreError",
           "StoreUnavailable", "UserKeys", "decode_session", "redact_url", "user_key"]

log = logging.getLogger("soudan.store")


class StoreError(Exception):
    """The store could not be reached, returned something unusable, or a lock timed out."""


class StoreUnavailable(StoreError):
    """The store itself does not answer (connection refused, reset, timed out): an outage.

    Other :class:`StoreError` s are about this one request (a user's lock or the connection pool
    was busy for too long) and say nothing about the store's health.
    """


EVENT_TTL = 7 * 24 * 3600.0
"""Seconds a processed event id (and a pending outbox) is remembered by default."""

SEND_LEASE = 60.0
"""Seconds the process that committed an event may take to send its outbox before a redelivery
of that event sends it instead (longer than the slowest send: reply, then push with one retry)."""


class Change(NamedTuple):
    """What a step decided, to be committed with its event id (immutable; a named tuple, which
    is made in a fifth of the time of a frozen dataclass: one per step).

    Attributes:
        session: the session to store, or None to delete the stored one.
        forget: True to delete everything stored about the user (``forget``, LINE unfollow).
        outbox: what to send, stored with the event id until :meth:`SessionStore.sent` (bot text
            rendered for the platform — never the person's own text), or None when nothing needs
            confirming.
    """

    session: Session | None
    forget: bool = False
    outbox: bytes | None = None


class StepResult(NamedTuple):
    """What :meth:`SessionStore.step` did (immutable, a named tuple like :class:`Change`).

    Attributes:
        change: the committed change (``fn`` ran), or None for an event seen before.
        outbox: what the caller must send now: the committed change's outbox, or — for an event
            seen before whose outbox was never confirmed sent (the process died, the send or the
            confirmation failed) — that stored outbox again; None when nothing is to be sent.
        resend: True when ``outbox`` is a stored one being sent again.
    """

    change: Change | None
    outbox: bytes | None = None
    resend: bool = False

    @property
    def duplicate(self) -> bool:
        """True when the event had been processed before (no new transition)."""
        return self.change is None


@dataclass(frozen=True, slots=True)
class Busy:
    """A backend's answer "not now": retry at ``until`` (seconds since the epoch, real clock)."""

    until: float
    why: str


StepFn = Callable[[Session | None], Change]
"""A pure, synchronous step: the stored session (or None) → the change to commit. It may be
called more than once (optimistic backends retry it on a conflict), or for an event that turns out
to be a redelivery (SQLite learns that when recording the id: the change is dropped), and must not
do I/O."""


def user_key(platform: str, raw_user_id: str, secret: str | bytes) -> str:
    """The key a user is stored under: ``"<platform>:" + HMAC-SHA256(secret, raw id)`` (hex, 32 chars).

    Args:
        platform: ``"line"``, ``"discord"``, ``"web"``, ``"terminal"``.
        raw_user_id: the platform's user id (never stored or logged as such).
        secret: ``SOUDAN_SECRET`` from settings.

    Returns:
        e.g. ``"line:3f2a…"`` (the platform, a colon and 32 hex digits).
    """
    return UserKeys(secret)(platform, raw_user_id)


class UserKeys:
    """:func:`user_key` for one secret, many times: the HMAC's keyed state is made once and copied
    for each id (a tenth of the cost of keying it again: 0.6 µs instead of 4).

    Args:
        secret: ``SOUDAN_SECRET`` from settings (str or bytes).

    Calling it with ``(platform, raw_user_id)`` gives what :func:`user_key` gives.
    """

    __slots__ = ("_mac",)

    def __init__(self, secret: str | bytes) -> None:
        self._mac = hmac.new(secret.encode() if isinstance(secret, str) else secret, digestmod="sha256")

    def __call__(self, platform: str, raw_user_id: str) -> str:
        """The store key of ``raw_user_id`` on ``platform`` (see :func:`user_key`)."""
        mac = self._mac.copy()
        mac.update(f"{platform}:{raw_user_id}".encode())
        return f"{platform}:{mac.digest()[:16].hex()}"


def redact_url(url: str) -> str:
    """``url`` without its password (for messages and logs): ``redis://:***@host:6379/0``.

    Args:
        url: any store URL.

    Returns:
        The URL with the password (if any) replaced by ``***``; the query string is dropped.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    if parts.password is None:
        return url.split("?", 1)[0].split("#", 1)[0]
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit((parts.scheme, f"{user}:***@{host}{port}", parts.path, "", ""))


class KeyedLocks:
    """One :class:`asyncio.Lock` per key, created on demand and dropped when nobody holds or waits.

    Used by every backend so tasks of one process queue without polling; different keys never
    wait on each other. The table only holds keys that are in use, so it does not grow with the
    number of users.
    """

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    def __len__(self) -> int:
        return len(self._locks)

    @asynccontextmanager
    async def hold(self, key: str, timeout: float) -> AsyncIterator[None]:
        """Hold the lock of ``key``.

        Args:
            key: any string.
            timeout: seconds to wait for it.

        Raises:
            StoreError: when the lock is not free within ``timeout`` seconds.
        """
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            try:
                if lock.locked() or getattr(lock, "_waiters", None):  # only a wait needs a deadline
                    async with asyncio.timeout(timeout):
                        await lock.acquire()
                else:  # free, nobody queued: taken at once
                    await lock.acquire()
            except TimeoutError:
                raise StoreError(f"the user's lock was not free within {timeout:g} s "
                                 "(another event of the same user is still being handled)") from None
            try:
                yield
            finally:
                lock.release()
        finally:
            lock_, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock_, users - 1)


class SessionStore(abc.ABC):
    """Async storage of sessions, processed event ids and per-user locks.

    Every backend must behave the same (one contract test suite runs against all of them:
    ``tests/store/test_store_contract.py``). Backends connect lazily on first use, so a store
    can be built outside a running event loop; :meth:`ping` checks the connection eagerly.
    """

    backend: str = "abstract"
    """Short backend name for logs and metrics (``memory``, ``sqlite``, ``redis``)."""

    # ---------------------------------------------------------------- the step

    async def step(self, key: str, event_id: str | None, fn: StepFn, *, ttl: float,
                   event_ttl: float = EVENT_TTL, lease: float = SEND_LEASE, timeout: float = 10.0) -> StepResult:
        """Handle one event of one user exactly once: dedupe, load, ``fn``, commit — atomically.

        For a new ``event_id`` (or None: no idempotency), ``fn`` gets the stored session and its
        :class:`Change` is committed together with the event id and the change's outbox (one
        SQLite transaction, one Redis script, no await in between for memory). For an event id
        seen before, nothing changes: if its outbox is still pending and the sender's ``lease``
        has run out, the outbox is returned to be sent again (and the lease renewed for this
        caller); while the lease runs, this waits for the sender to confirm; once sent, the
        result carries no outbox.

        Args:
            key: the user key (:func:`user_key`).
            event_id: the platform event id, namespaced (``"line:01H…"``), or None.
            fn: the pure step (see :data:`StepFn`).
            ttl: seconds the stored session lives without a new step (> 0).
            event_ttl: seconds the event id is remembered (> 0).
            lease: seconds the committer has to send the outbox before a redelivery may resend it.
            timeout: longest wait, in seconds, for the user's row or lock to be free (waiting on
                a sender's lease may last until that lease ends).

        Returns:
            A :class:`StepResult`.

        Raises:
            ValueError: if a TTL is not positive.
            StoreError: when the store fails or stays busy; nothing was committed then unless the
                failure came after the commit (the redelivery then finds the event and its outbox).
        """
        self._check_ttl(ttl)
        self._check_ttl(event_ttl)
        r = await self._step_once(key, event_id, fn, ttl, event_ttl, lease)  # the usual case: one attempt
        if not isinstance(r, Busy):
            return r
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        delay = 0.002
        while True:
            if r.until <= time.time() and loop.time() >= deadline:  # a lease being waited on has no deadline
                raise StoreError(f"{self.backend} store: {r.why} for more than {timeout:g} s")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)
            r = await self._step_once(key, event_id, fn, ttl, event_ttl, lease)
            if not isinstance(r, Busy):
                return r

    async def _step_once(self, key: str, event_id: str | None, fn: StepFn, ttl: float, event_ttl: float,
                         lease: float) -> StepResult | Busy:
        """One attempt of :meth:`step`. Backends override it with an atomic version.

        This generic form (for stores built on the primitive methods only) takes the user's lock
        and runs mark → get → ``fn`` → save; it is not atomic and keeps no outbox (an event seen
        before is answered with nothing).
        """
        async with self.lock(key):
            if event_id is not None and not await self.mark_event(event_id, event_ttl):
                return StepResult(None)
            change = fn(await self.get(key))
            if change.forget:
                await self.forget(key)
            elif change.session is None:
                await self.delete(key)
            else:
                await self.save(key, change.session, ttl)
            return StepResult(change, change.outbox)

    async def sent(self, event_id: str) -> None:  # noqa: B027 - the generic form keeps no outbox
        """Confirm that the outbox of ``event_id`` was accepted by the platform (it is deleted;
        the event id stays until its TTL, and a redelivery then sends nothing).

        Raises:
            StoreError: when the store cannot be reached (a redelivery then sends it again).
        """

    async def release(self, event_id: str, outbox: bytes | None = None) -> None:  # noqa: B027 - keeps no outbox
        """Give up the send lease of ``event_id`` (its outbox could not be delivered now), so that
        a redelivery sends it at once instead of waiting for the lease to run out.

        Args:
            event_id: the event whose outbox is pending.
            outbox: when given, the pending outbox is replaced by these bytes: what the sender
                learnt for the next attempt, stored with it so that any replica or a restarted
                process reads it (LINE: the reply token was refused and nothing was pushed, so a
                redelivery must push the first batch too). Nothing happens for an outbox already
                confirmed sent.

        Raises:
            StoreError: when the store cannot be reached (the lease then runs out by itself).
        """

    # ---------------------------------------------------------------- primitives

    @abc.abstractmethod
    async def get(self, key: str) -> Session | None:
        """The session stored for ``key``.

        Returns:
            The session, or None (never stored, deleted, expired or unreadable).

        Raises:
            StoreError: when the store cannot be reached.
        """

    @abc.abstractmethod
    async def save(self, key: str, session: Session, ttl: float) -> None:
        """Store ``session`` for ``key``; it disappears after ``ttl`` seconds without a new save.

        Args:
            key: the user key (:func:`user_key`).
            session: stored in the form of :func:`bot.store.codec.encode_session` and nothing else.
            ttl: seconds (> 0).

        Raises:
            ValueError: if ``ttl`` is not positive.
            StoreError: when the store cannot be reached.
        """

    @abc.abstractmethod
    async def delete(self, key: str) -> None:
        """Remove the session of ``key`` (no error if there is none).

        Raises:
            StoreError: when the store cannot be reached.
        """

    async def forget(self, key: str) -> None:
        """Remove everything stored about ``key`` (the user's ``forget`` / LINE unfollow).

        Raises:
            StoreError: when the store cannot be reached.
        """
        await self.delete(key)

    @abc.abstractmethod
    async def mark_event(self, event_id: str, ttl: float) -> bool:
        """Atomically record a platform event id as processed.

        Args:
            event_id: namespaced by platform, e.g. ``"line:01H…"``.
            ttl: seconds the id is remembered (> 0).

        Returns:
            True when the id is new (process the event), False when it was seen before within
            ``ttl`` seconds (a redelivery: do nothing).

        Raises:
            ValueError: if ``ttl`` is not positive.
            StoreError: when the store cannot be reached.
        """

    @abc.abstractmethod
    def lock(self, key: str, timeout: float = 10.0) -> AbstractAsyncContextManager[None]:
        """Serialise the handling of one user's events (across tasks and, for SQLite and Redis, processes).

        Different keys never wait on each other.

        Args:
            key: the user key.
            timeout: seconds to wait for the lock and the longest a holder keeps it (after that
                another process may take it over).

        Raises:
            StoreError: when the lock cannot be had within ``timeout`` or the store is unreachable.
        """

    async def ping(self) -> None:  # noqa: B027 - optional hook
        """Check that the store answers (for ``/healthz`` and start-up).

        Raises:
            StoreError: naming the URL (without password) when it does not.
        """

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections. The store may not be used afterwards."""

    @abc.abstractmethod
    async def count(self) -> int:
        """Number of stored, unexpired sessions (for metrics and tests)."""

    @abc.abstractmethod
    def keys(self) -> AsyncIterator[str]:
        """Iterate over stored, unexpired user keys (tests, admin; Redis scans every key)."""

    @staticmethod
    def _check_ttl(ttl: float) -> None:
        if not ttl > 0:
            raise ValueError(f"ttl must be a positive number of seconds, got {ttl!r}")
