"""The ``SessionStore`` contract shared by every backend (memory, SQLite, Redis).

Stored per user (keyed by :func:`user_key`, a keyed hash — never a raw platform id): one
:class:`~bot.engine.types.Session` serialised with :meth:`Session.to_json` (ids, slots,
timestamps; no free text). Stored globally: processed platform event ids (for idempotency),
each with a TTL. Nothing else is stored.
"""

from __future__ import annotations

import abc
import asyncio
import hashlib
import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from urllib.parse import urlsplit, urlunsplit

from pydantic import ValidationError

from bot.engine.types import Session

__all__ = ["KeyedLocks", "SessionStore", "StoreError", "decode_session", "redact_url", "user_key"]

log = logging.getLogger("soudan.store")


class StoreError(Exception):
    """The store could not be reached, returned something unusable, or a lock timed out."""


def user_key(platform: str, raw_user_id: str, secret: str | bytes) -> str:
    """The key a user is stored under: ``"<platform>:" + HMAC-SHA256(secret, raw id)`` (hex, 32 chars).

    Args:
        platform: ``"line"``, ``"discord"``, ``"web"``, ``"terminal"``.
        raw_user_id: the platform's user id (never stored or logged as such).
        secret: ``SOUDAN_SECRET`` from settings.

    Returns:
        e.g. ``"line:3f2a…"`` (the platform, a colon and 32 hex digits).
    """
    key = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(key, f"{platform}:{raw_user_id}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"{platform}:{digest}"


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


def decode_session(data: str | bytes, backend: str) -> Session | None:
    """Parse a stored record; a record that cannot be parsed (older schema, corruption) gives None.

    The warning names the backend only — never the key or the content.

    Args:
        data: what :meth:`Session.to_json` produced (possibly by an older version).
        backend: ``"memory"``, ``"sqlite"`` or ``"redis"`` (for the log line).

    Returns:
        The session, or None when the record is unreadable (the user then starts again).
    """
    try:
        return Session.from_json(data)
    except (ValidationError, ValueError, UnicodeDecodeError):
        log.warning("unreadable session record ignored (older schema or damaged); the user starts again",
                    extra={"backend": backend})
        return None


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
                async with asyncio.timeout(timeout):
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
            session: stored as :meth:`Session.to_json` and nothing else.
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
