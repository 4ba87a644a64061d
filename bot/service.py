"""The glue every adapter shares: one exactly-once step per platform event.

Adapters translate platform events to :data:`~bot.engine.types.Input` and call
:meth:`Conversations.handle`. The event id, the new session and — when the adapter passes a
``render`` function — what to send (the outbox) are committed together by
:meth:`bot.store.SessionStore.step`; the adapter sends the outbox and confirms it with
:meth:`Conversations.sent`. A redelivered event whose outbox was never confirmed comes back with
that outbox to send again; one that was sent comes back empty. Nothing here logs message text or
raw user ids.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from typing import NamedTuple

from bot.engine.core import Engine
from bot.engine.types import HandoffEvent, Input, Outcome, Reply, Session
from bot.store.base import SEND_LEASE, Change, SessionStore, UserKeys
from bot.timeutil import now_jst

__all__ = ["Conversations", "Handled", "Render"]

Render = Callable[[list[Reply], Session | None], bytes]
"""Turns a step's replies (and the new session, for its locale) into the platform's bytes to send:
pure, no I/O; stored as the outbox until confirmed sent (bot text only, never the person's)."""

log = logging.getLogger("soudan.service")


class Handled(NamedTuple):
    """What :meth:`Conversations.handle` did (immutable: a named tuple, made in a fifth of the
    time of a frozen dataclass).

    Attributes:
        replies: the step's replies (empty for a duplicate event).
        session: the session after the step (None when deleted).
        duplicate: True when the event id had been processed before (no new transition).
        seconds: time spent in the engine step (seconds, for metrics).
        outbox: the rendered bytes to send now (from ``render``): this step's, or — for a
            duplicate whose reply was never confirmed sent — the stored ones; None when there is
            nothing to send. Call :meth:`Conversations.sent` once the platform accepted them.
        resend: True when ``outbox`` is a stored one sent again for a redelivery.
        handoffs: hand-off events of the step, for the team (:class:`~bot.engine.types.HandoffEvent`).
        key: the user's store key (hashed id).
    """

    replies: list[Reply]
    session: Session | None
    duplicate: bool = False
    seconds: float = 0.0
    outbox: bytes | None = None
    resend: bool = False
    handoffs: tuple[HandoffEvent, ...] = ()
    key: str = ""


class Conversations:
    """Runs the engine over a store for one platform.

    Args:
        engine: the shared engine.
        store: where sessions live.
        secret: key of the HMAC that turns platform user ids into store keys.
        clock: returns the current aware time (injected; defaults to now in Asia/Tokyo).
        send_lease: seconds a step's committer has to send its outbox before a redelivery of the
            event sends it instead (see :data:`bot.store.base.SEND_LEASE`).
        observer: awaited after every committed step with ``(platform, session_before, input,
            outcome, now)`` — the app's counters (:meth:`bot.metrics.ConsultationMetrics.observe`);
            an exception in it is logged (its type only) and never fails the step.

    Attributes:
        teams: platform → team id offered there by default (hand-offs; set by the app's desk).

    Raises:
        ValueError: if ``secret`` is empty or ``send_lease`` not positive.
    """

    def __init__(self, engine: Engine, store: SessionStore, secret: str,
                 clock: Callable[[], dt.datetime] | None = None, *, send_lease: float = SEND_LEASE,
                 observer: Callable[[str, Session | None, Input, Outcome, dt.datetime], Awaitable[None]] | None = None,
                 ) -> None:
        if not secret:
            raise ValueError("secret must not be empty (set SOUDAN_SECRET)")
        if not send_lease > 0:
            raise ValueError("send_lease must be a positive number of seconds")
        self.engine = engine
        self.store = store
        self.secret = secret
        self.clock = clock or now_jst
        self.send_lease = send_lease
        self.observer = observer
        self.teams: dict[str, str] = {}

    @property
    def secret(self) -> str:
        """The key of the HMAC that turns platform user ids into store keys."""
        return self._secret

    @secret.setter
    def secret(self, value: str) -> None:
        self._secret = value
        self._keys = UserKeys(value)

    def key(self, platform: str, raw_user_id: str) -> str:
        """The store key of a platform user (keyed hash, :func:`bot.store.base.user_key`)."""
        return self._keys(platform, raw_user_id)

    async def handle(self, platform: str, raw_user_id: str, inp: Input, *, event_id: str | None = None,
                     now: dt.datetime | None = None, render: Render | None = None,
                     team: str | None = None) -> Handled:
        """Handle one input of one user, exactly once per ``event_id``, one at a time per user.

        Args:
            platform: ``"line"``, ``"discord"``, ``"web"``…
            raw_user_id: the platform user id (hashed before use).
            inp: the input.
            event_id: the platform's event id for idempotency (namespaced by platform), or None.
            now: the instant (defaults to the injected clock).
            render: when given, the replies are rendered inside the step and the bytes committed
                with it as the outbox (see :class:`Handled`); needs ``event_id``.
            team: the team this platform offers (hand-off); defaults to :attr:`teams` ``[platform]``;
                ``""`` offers none.

        Raises:
            bot.store.StoreError: when the store fails; nothing was committed then, or — if the
                failure came after the commit — the redelivery finds the outbox to send.
        """
        return await self.handle_key(platform, self.key(platform, raw_user_id), inp, event_id=event_id, now=now,
                                     render=render, team=team)

    async def handle_key(self, platform: str, key: str, inp: Input, *, event_id: str | None = None,
                         now: dt.datetime | None = None, render: Render | None = None,
                         team: str | None = None) -> Handled:
        """:meth:`handle` for a user known only by their store key (the periodic sweep)."""
        at = now or self.clock()
        team_id = team if team is not None else self.teams.get(platform)
        engine = self.engine
        render_box = render if event_id is not None else None
        before: Session | None = None
        last: Outcome | None = None
        took = 0.0

        def step(session: Session | None) -> Change:  # may run more than once: the last run is committed
            nonlocal before, last, took
            t0 = time.perf_counter()
            out = engine.step(session, inp, at, team=team_id)
            took = time.perf_counter() - t0
            before, last = session, out
            return Change(out.session, out.forget, None if render_box is None else render_box(out.replies, out.session))

        r = await self.store.step(key, None if event_id is None else f"{platform}:{event_id}", step,
                                  ttl=engine.idle_timeout.total_seconds(), lease=self.send_lease)
        if r.duplicate:
            log.info("duplicate event%s", " (its reply is sent again)" if r.outbox else " ignored",
                     extra={"platform": platform})
            return Handled([], None, duplicate=True, outbox=r.outbox, resend=r.resend)
        out = last
        assert out is not None
        if self.observer is not None:
            try:
                await self.observer(platform, before, inp, out, at)
            except Exception as exc:  # noqa: BLE001 — counting must never cost a person their reply
                log.error("metrics observer failed: %s", type(exc).__name__)
        return Handled(out.replies, out.session, seconds=took, outbox=r.outbox, handoffs=out.handoffs, key=key)

    async def sent(self, platform: str, event_id: str) -> None:
        """Confirm that the outbox of an event was accepted by the platform.

        Raises:
            bot.store.StoreError: when the store fails (a redelivery would then send it again).
        """
        await self.store.sent(f"{platform}:{event_id}")

    async def unsent(self, platform: str, event_id: str, outbox: bytes | None = None) -> None:
        """Say that the outbox of an event could not be delivered now: a redelivery of the event
        sends it at once (instead of after the send lease).

        Args:
            platform: as for :meth:`handle`.
            event_id: the platform's event id.
            outbox: when given, replaces the stored outbox (what the redelivery must know, e.g.
                that the reply token was not used; see :meth:`bot.store.SessionStore.release`).

        Raises:
            bot.store.StoreError: when the store fails (the lease then runs out by itself).
        """
        await self.store.release(f"{platform}:{event_id}", outbox)

    async def forget(self, platform: str, raw_user_id: str, *, event_id: str | None = None) -> bool:
        """Delete everything stored about a user (e.g. LINE unfollow), exactly once per ``event_id``.

        Returns:
            False when ``event_id`` had been processed before (nothing was done).

        Raises:
            bot.store.StoreError: when the store fails (nothing was committed).
        """
        key = self.key(platform, raw_user_id)
        r = await self.store.step(key, None if event_id is None else f"{platform}:{event_id}",
                                  lambda _s: Change(None, forget=True), ttl=self.engine.idle_timeout.total_seconds(),
                                  lease=self.send_lease)
        return not r.duplicate
