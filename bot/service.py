"""The glue every adapter shares: lock the user, drop redeliveries, load, step, save.

Adapters translate platform events to :data:`~bot.engine.types.Input` and call
:meth:`Conversations.handle`; they render the replies it returns. Nothing here logs message
text or raw user ids.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.engine.core import Engine
from bot.engine.types import Input, Reply, Session
from bot.store.base import SessionStore, user_key
from bot.timeutil import JST

__all__ = ["JST", "Conversations", "Handled"]

log = logging.getLogger("soudan.service")

EVENT_ID_TTL = 7 * 24 * 3600.0
"""Seconds a processed event id is remembered (LINE redelivers for a shorter time)."""


@dataclass(frozen=True)
class Handled:
    """What :meth:`Conversations.handle` did.

    Attributes:
        replies: what to send (empty for a duplicate event).
        session: the session after the step (None when deleted).
        duplicate: True when the event id had been processed before (nothing was done).
        seconds: time spent in the engine step (seconds, for metrics).
    """

    replies: list[Reply]
    session: Session | None
    duplicate: bool = False
    seconds: float = 0.0


class Conversations:
    """Runs the engine over a store for one platform.

    Args:
        engine: the shared engine.
        store: where sessions live.
        secret: key of the HMAC that turns platform user ids into store keys.
        clock: returns the current aware time (injected; defaults to now in Asia/Tokyo).
    """

    def __init__(self, engine: Engine, store: SessionStore, secret: str,
                 clock: Callable[[], dt.datetime] | None = None) -> None:
        if not secret:
            raise ValueError("secret must not be empty (set SOUDAN_SECRET)")
        self.engine = engine
        self.store = store
        self.secret = secret
        self.clock = clock or (lambda: dt.datetime.now(JST))

    def key(self, platform: str, raw_user_id: str) -> str:
        """The store key of a platform user (keyed hash)."""
        return user_key(platform, raw_user_id, self.secret)

    async def handle(self, platform: str, raw_user_id: str, inp: Input, *, event_id: str | None = None,
                     now: dt.datetime | None = None) -> Handled:
        """Handle one input of one user, exactly once per ``event_id``, one at a time per user.

        Args:
            platform: ``"line"``, ``"discord"``, ``"web"``…
            raw_user_id: the platform user id (hashed before use).
            inp: the input.
            event_id: the platform's event id for idempotency (namespaced by platform), or None.
            now: the instant (defaults to the injected clock).

        Raises:
            bot.store.StoreError: when the store is unreachable or the user's lock times out.
        """
        key = self.key(platform, raw_user_id)
        async with self.store.lock(key):
            if event_id is not None and not await self.store.mark_event(f"{platform}:{event_id}", EVENT_ID_TTL):
                log.info("duplicate event ignored", extra={"platform": platform})
                return Handled([], None, duplicate=True)
            session = await self.store.get(key)
            t0 = time.perf_counter()
            out = self.engine.step(session, inp, now or self.clock())
            took = time.perf_counter() - t0
            if out.forget:
                await self.store.forget(key)
            elif out.session is None:
                await self.store.delete(key)
            else:
                await self.store.save(key, out.session, self.engine.idle_timeout.total_seconds())
            return Handled(out.replies, out.session, seconds=took)

    async def forget(self, platform: str, raw_user_id: str) -> None:
        """Delete everything stored about a user (e.g. LINE unfollow)."""
        key = self.key(platform, raw_user_id)
        async with self.store.lock(key):
            await self.store.forget(key)
