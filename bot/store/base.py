"""The ``SessionStore`` contract shared by every backend (memory, SQLite, Redis).

Stored per user (keyed by :func:`user_key`, a keyed hash — never a raw platform id): one
:class:`~bot.engine.types.Session` (ids, slots, timestamps; no free text). Stored globally:
processed platform event ids (for idempotency), each with a TTL.
"""

from __future__ import annotations

import abc
import hashlib
import hmac
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager

from bot.engine.types import Session

__all__ = ["SessionStore", "StoreError", "user_key"]


class StoreError(Exception):
    """The store could not be reached or returned something unusable."""


def user_key(platform: str, raw_user_id: str, secret: str | bytes) -> str:
    """The key a user is stored under: ``"<platform>:" + HMAC-SHA256(secret, raw id)`` (hex, 32 chars).

    Args:
        platform: ``"line"``, ``"discord"``, ``"web"``, ``"terminal"``.
        raw_user_id: the platform's user id (never stored or logged as such).
        secret: ``SOUDAN_SECRET`` from settings.
    """
    key = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(key, f"{platform}:{raw_user_id}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"{platform}:{digest}"


class SessionStore(abc.ABC):
    """Async storage of sessions, processed event ids and per-user locks.

    Every backend must behave the same (one contract test suite runs against all of them).
    """

    @abc.abstractmethod
    async def get(self, key: str) -> Session | None:
        """The session stored for ``key``, or None (never stored, deleted, expired or unreadable)."""

    @abc.abstractmethod
    async def save(self, key: str, session: Session, ttl: float) -> None:
        """Store ``session`` for ``key``; it disappears after ``ttl`` seconds without a new save."""

    @abc.abstractmethod
    async def delete(self, key: str) -> None:
        """Remove the session of ``key`` (no error if there is none)."""

    async def forget(self, key: str) -> None:
        """Remove everything stored about ``key`` (the user's ``forget`` / LINE unfollow)."""
        await self.delete(key)

    @abc.abstractmethod
    async def mark_event(self, event_id: str, ttl: float) -> bool:
        """Atomically record a platform event id as processed.

        Returns:
            True when the id is new (process the event), False when it was seen before within
            ``ttl`` seconds (a redelivery: do nothing).
        """

    @abc.abstractmethod
    def lock(self, key: str, timeout: float = 10.0) -> AbstractAsyncContextManager[None]:
        """Serialise the handling of one user's events (across tasks and, for Redis, processes).

        Args:
            key: the user key.
            timeout: seconds to wait for the lock and the longest a holder keeps it.

        Raises:
            StoreError: when the lock cannot be had within ``timeout``.
        """

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    async def count(self) -> int:
        """Number of stored sessions (for metrics and tests); backends may override."""
        raise NotImplementedError

    async def keys(self) -> AsyncIterator[str]:  # pragma: no cover - optional
        """Iterate over stored user keys (tests, admin)."""
        raise NotImplementedError
        yield ""
