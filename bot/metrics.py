"""Counts of what happens in consultations, without personal data (Prometheus).

:class:`ConsultationMetrics` registers its counters in the app's registry (the one served at
``GET /metrics``, see :class:`bot.adapters.Metrics`) and is fed by
:class:`bot.service.Conversations` after every engine step (:meth:`ConsultationMetrics.observe`)
and by the periodic sweep of the app (:func:`sweep_dropoffs`). ``docs/operations.md`` explains
each counter and the dashboard panel built on it.

Every label value comes from a bounded set that no person can extend: flow ids, state ids and
contact ids of the loaded YAML, the three urgencies, the hour of the day, a region code of the
prefecture table (or ``other``/``skip``/``unknown``), hand-off event names and platform names.
Never a typed text, a slot value that is not a code, or a user id.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

from prometheus_client import CollectorRegistry, Counter

from bot.engine.types import Input, Outcome, Refer, Session
from bot.store.base import SessionStore, UserKeys
from bot.timeutil import JST

__all__ = [
    "DROPOFF_MARGIN", "HANDOFF_EVENTS", "RESULT_MEMORY", "ConsultationMetrics", "label_values", "region_label", "sweep_dropoffs",
]

log = logging.getLogger("soudan.metrics")

HANDOFF_EVENTS = ("offered", "accepted", "taken", "timed_out", "withdrawn", "closed")
"""Label values of ``soudan_handoffs_total{event}`` (see :mod:`bot.handoff`)."""

DROPOFF_MARGIN = 600.0
"""Seconds before its expiry at which the sweep counts a conversation that never reached a result
as a drop-off (the store forgets it at expiry, so it must be seen a little before)."""

RESULT_MEMORY = 7 * 24 * 3600.0
"""Seconds the store remembers that a conversation reached a result (``result:`` and a keyed hash
of the conversation id, in its event-id memory), so that reaching another one is not counted again. A conversation that
keeps going longer than this (each step renews the session, not this memory) and then reaches a
result again counts again."""

_EVENT_LABEL = {"offered": "offered", "requested": "accepted", "taken": "taken", "timed_out": "timed_out",
                "withdrawn": "withdrawn", "released": "closed"}
"""Engine hand-off event kinds → ``event`` label values."""

_LEGACY_REGIONS = {"tokyo": "JP-13", "gunma": "JP-10", "shibukawa": "JP-10/shibukawa"}
"""Region slot values of flows written before region codes (PLAN contract 2)."""


@lru_cache(maxsize=1)
def _region_codes() -> frozenset[str]:
    """Every code of the region table (:func:`bot.nlu.regions.region_codes`), read once."""
    from bot.nlu.regions import region_codes

    return region_codes()


def region_label(value: str | None) -> str:
    """The ``region`` label for a ``region`` slot value.

    Returns:
        ``JP-01`` … ``JP-47``, a city code listed in the prefecture table, ``skip``/``other`` as
        the flow stores them, ``unknown`` when the slot is empty, and ``other`` for anything else
        (so a label can never carry a value outside that set).
    """
    if value is None or value == "":
        return "unknown"
    v = _LEGACY_REGIONS.get(value, value)
    if v in _region_codes():
        return v
    return "skip" if v == "skip" else "other"


class ConsultationMetrics:
    """The consultation counters of one application.

    Args:
        registry: the app's registry (``app[METRICS_KEY].registry``).
        finished: whether a session is at a result (the engine's :meth:`bot.engine.core.Engine.finished`).
        store: the session store, whose event-id memory records each conversation that reached a
            result (:data:`RESULT_MEMORY`), across replicas.
        secret: ``SOUDAN_SECRET``: that record holds the conversation id's HMAC
            (:class:`bot.store.base.UserKeys`), so nothing left after 「データ削除」 names the
            conversation.

    Attributes (all counters; Prometheus adds ``_total``):
        started: ``soudan_consultations_started{platform, flow}`` — conversations begun (a new
            conversation id: first message, restart, or a return after expiry).
        finished: ``soudan_consultations_finished{platform, flow, how}`` — ``how`` is ``result``
            (the first step of a conversation that showed a result: a conversation counts once,
            however many results it reaches — 「相談を続ける」 on to another one, or 「戻る」 and
            another answer; coming back to a result with 「戻る」 shows no result at all), ``stop``
            or ``forget``.
        results: ``soudan_results{flow, state, urgency}`` — each result shown.
        windows: ``soudan_windows_shown{contact}`` — each window listed in a result, a crisis reply
            or the 「いま受付中」 list (``open-now``).
        no_local: ``soudan_results_without_local_window{hour, region}`` — results where no
            local window (one limited to a prefecture or city) was open or 24 hours; ``hour`` is
            the hour of the day in JST (``00``–``23``), ``region`` the person's region code.
        crisis: ``soudan_crisis_replies{platform, flow}`` — crisis replies.
        handoffs: ``soudan_handoffs{team, event}`` — hand-offs ``offered`` (the button was shown),
            ``accepted`` (consent given), ``taken`` (a person picked it up), ``timed_out``,
            ``withdrawn``, ``closed``.
        dropoffs: ``soudan_dropoffs{flow, state}`` — conversations that expired before any
            result, by the state they were in.
    """

    def __init__(self, registry: CollectorRegistry, finished: Callable[[Session], bool], store: SessionStore,
                 secret: str) -> None:
        r = registry
        self.at_result = finished
        self.store = store
        self._marks = UserKeys(secret)
        self.started = Counter("soudan_consultations_started", "Conversations begun.", ["platform", "flow"],
                               registry=r)
        self.finished = Counter("soudan_consultations_finished",
                                "Conversations that reached a result, or were stopped or deleted.",
                                ["platform", "flow", "how"], registry=r)
        self.results = Counter("soudan_results", "Results shown, by state and urgency.",
                               ["flow", "state", "urgency"], registry=r)
        self.windows = Counter("soudan_windows_shown", "Windows listed in results and crisis replies.",
                               ["contact"], registry=r)
        self.no_local = Counter("soudan_results_without_local_window",
                                "Results where no local window was open, by hour (JST) and region code.",
                                ["hour", "region"], registry=r)
        self.crisis = Counter("soudan_crisis_replies", "Crisis replies shown.", ["platform", "flow"], registry=r)
        self.handoffs = Counter("soudan_handoffs", "Hand-offs to people, by event.", ["team", "event"], registry=r)
        self.dropoffs = Counter("soudan_dropoffs", "Conversations that expired before a result, by state.",
                                ["flow", "state"], registry=r)

    async def first_time(self, kind: str, conversation_id: str, ttl: float) -> bool:
        """Record that conversation ``conversation_id`` was counted as ``kind`` (``"result"``,
        ``"dropoff"``), in the store's event-id memory for ``ttl`` seconds, under the keyed hash of
        the id (nothing left after 「データ削除」 names the conversation; shared by replicas).

        Returns:
            True the first time (count it), False when it was counted before.

        Raises:
            bot.store.StoreError: when the store fails.
        """
        return await self.store.mark_event(self._marks(kind, conversation_id), ttl)

    async def observe(self, platform: str, before: Session | None, inp: Input, out: Outcome, now: dt.datetime) -> None:
        """Count one engine step.

        Args:
            platform: ``line``, ``discord``, ``web``… (a constant of the calling adapter).
            before: the stored session the step started from (None for a new user).
            inp: the input (only its type is looked at, never its text).
            out: the engine's outcome.
            now: the instant of the step (aware).

        Raises:
            bot.store.StoreError: when the store cannot say whether a conversation that shows a
                result reached one before (that ``result`` is then not counted; every other
                counter of the step already is).
        """
        del inp  # the input's content is never counted
        after = out.session
        same = before is not None and after is not None and before.conversation_id == after.conversation_id
        if after is not None and not same:
            self.started.labels(platform, after.flow_id).inc()
        if after is None and before is not None:
            self.finished.labels(platform, before.flow_id, "forget" if out.forget else "stop").inc()
        shown = (after is not None and self.at_result(after) and not (same and before is not None and self.at_result(before))
                 and any(isinstance(r, Refer) and r.state_id == after.state for r in out.replies))
        flow_id = after.flow_id if after is not None else before.flow_id if before is not None else ""
        ref = after if after is not None else before
        region = region_label(ref.slots.get("region") if ref is not None else None)
        for r in out.replies:
            if isinstance(r, Refer):
                self._refer(platform, flow_id, r, region, now)
        for ev in out.handoffs:
            self.handoffs.labels(ev.team, _EVENT_LABEL[ev.kind]).inc()
        if shown and after is not None and await self.first_time("result", after.conversation_id, RESULT_MEMORY):
            self.finished.labels(platform, after.flow_id, "result").inc()

    def _refer(self, platform: str, flow_id: str, r: Refer, region: str, now: dt.datetime) -> None:
        for v in r.contacts:
            self.windows.labels(v.contact.id).inc()
        if r.state_id is None:
            self.crisis.labels(platform, flow_id).inc()
            return
        if r.state_id.startswith(":"):  # the engine's own lists (24-hour lines after a hand-off time-out)
            return
        self.results.labels(flow_id, r.state_id, r.urgency or "none").inc()
        if not any(v.contact.eligibility.regions and v.status.is_available for v in r.contacts):
            self.no_local.labels(f"{now.astimezone(JST).hour:02d}", region).inc()


async def sweep_dropoffs(store: SessionStore, metrics: ConsultationMetrics, now: dt.datetime,
                         margin: float = DROPOFF_MARGIN) -> int:
    """Count drop-offs: stored conversations not at a result (``metrics.at_result``, the engine's
    judgement from the state) that expire within ``margin`` seconds.

    Each conversation is counted once, also across replicas (the store's event-id memory
    records ``dropoff:<HMAC of the conversation id>``, so nothing left after 「データ削除」 names
    the conversation).

    Args:
        store: a :class:`bot.store.base.SessionStore`.
        metrics: where to count.
        now: the instant (aware).
        margin: seconds before expiry (:data:`DROPOFF_MARGIN`).

    Returns:
        How many drop-offs were counted.

    Raises:
        bot.store.StoreError: when the store fails.
    """
    counted = 0
    keys = [k async for k in store.keys()]  # noqa: SIM118 - an async iterator, not a dict
    for key in keys:
        s = await store.get(key)
        if s is None or metrics.at_result(s) or (s.expires_at - now).total_seconds() > margin:
            continue
        if await metrics.first_time("dropoff", s.conversation_id, 2 * 24 * 3600.0):
            metrics.dropoffs.labels(s.flow_id, s.state).inc()
            counted += 1
    return counted


def label_values(registry: CollectorRegistry, names: Iterable[str] = ()) -> Sequence[tuple[str, dict[str, str]]]:
    """Every ``(sample name, labels)`` in ``registry`` (for tests and the privacy check)."""
    wanted = set(names)
    return [(s.name, dict(s.labels)) for m in registry.collect() for s in m.samples
            if not wanted or m.name in wanted]
