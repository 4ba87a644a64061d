"""The hand-off desk: delivers the engine's hand-off events to a team and its answers to the person.

The engine (:mod:`bot.engine.handoff`) decides; the desk does the I/O around it:

- an adapter that can reach a team registers a :class:`Sink` for its platform (Discord moderators,
  Chatwoot counsellors); only platforms with a sink and a team in ``SOUDAN_TEAMS_FILE`` are offered
  a hand-off (:meth:`Desk.teams_by_platform`);
- after each step the adapter calls :meth:`Desk.dispatch` with what :meth:`Conversations.handle`
  returned and the platform address of the conversation (a Discord user id, a Chatwoot
  conversation id): ``requested`` posts the summary to the team, ``withdrawn`` / ``timed_out`` /
  ``taken`` / ``released`` update it;
- :meth:`Desk.sweep` (the app's periodic sweep) feeds ``HandoffSignal("check")`` for every hand-off
  whose pick-up time ran out and sends the person the engine's answer (the 24-hour lines);
- :meth:`Desk.taken` is called by the team side (「対応します」, a counsellor's reply).

What a sink receives is the :class:`~bot.engine.types.HandoffSummary` — ids and labels of the
screening, never typed text. The address of a conversation with a hand-off in progress is kept in
this process's memory only, and dropped when the hand-off ends (withdrawn, timed out, released,
データ削除). After a restart the time-out still reaches the person at their next message (the engine
checks the deadline on every step).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.engine.types import HandoffEvent, HandoffSignal, HandoffSummary, Reply
from bot.handoff.team import Team
from bot.service import Conversations, Handled

__all__ = ["Desk", "Record", "Sink"]

log = logging.getLogger("soudan.handoff")


class Sink(Protocol):
    """A platform's way to reach a team and, proactively, the person."""

    async def to_team(self, event: HandoffEvent, record: Record) -> None:
        """Deliver a hand-off event to the team (post the summary card, update or withdraw it)."""

    async def to_person(self, record: Record, replies: Sequence[Reply], locale: str) -> None:
        """Send the person replies outside of their own message (time-out, taken)."""


@dataclass
class Record:
    """A hand-off in progress.

    Attributes:
        platform: ``discord``, ``chatwoot``…
        key: the person's store key (hashed id).
        address: where the platform reaches the conversation (Discord user id with consent,
            Chatwoot ``account/conversation``); kept in memory only while the hand-off lasts.
        team: the team id.
        conversation_id: the engine's conversation id.
        deadline: when nobody picking it up becomes a time-out (aware), or None once taken.
        context: what the platform adapter needs to update its card (e.g. a Discord guild id and
            message id); never typed text.
        summary: the summary shared at consent (ids and labels only).
    """

    platform: str
    key: str
    address: str
    team: str
    conversation_id: str
    deadline: dt.datetime | None
    context: dict[str, str]
    summary: HandoffSummary | None = None


class Desk:
    """Hand-off I/O of one application.

    Args:
        conversations: the app's :class:`~bot.service.Conversations`.
        teams: the teams of ``SOUDAN_TEAMS_FILE``.
    """

    def __init__(self, conversations: Conversations, teams: Mapping[str, Team]) -> None:
        self.conversations = conversations
        self.teams = dict(teams)
        self.sinks: dict[str, Sink] = {}
        self.records: dict[str, Record] = {}
        self._explicit: set[str] = set()

    def team_for(self, platform: str) -> str | None:
        """The team id offered on ``platform`` (when it has a sink), or None."""
        return self.teams_by_platform().get(platform)

    def key_of_conversation(self, conversation_id: str) -> str | None:
        """The store key of the hand-off in progress for an engine conversation id, or None."""
        return next((k for k, r in self.records.items() if r.conversation_id == conversation_id), None)

    def register(self, platform: str, sink: Sink, *, offer_by_default: bool = True) -> None:
        """Let ``platform`` offer hand-offs through ``sink`` (when a team lists that platform).

        Args:
            offer_by_default: offer the team in every conversation of the platform; False when the
                adapter decides per conversation (Discord: only in servers that set moderators up)
                and passes ``team=`` to :meth:`Conversations.handle` itself.
        """
        self.sinks[platform] = sink
        if not offer_by_default:
            self._explicit.add(platform)
        self.conversations.teams = {p: t for p, t in self.teams_by_platform().items() if p not in self._explicit}

    def teams_by_platform(self) -> dict[str, str]:
        """platform → the first team offered there, for platforms that have a sink."""
        out: dict[str, str] = {}
        for t in self.teams.values():
            for p in t.platforms:
                if p in self.sinks and p not in out:
                    out[p] = t.id
        return out

    def record_of(self, key: str) -> Record | None:
        """The hand-off in progress for a store key, or None."""
        return self.records.get(key)

    async def dispatch(self, platform: str, handled: Handled, address: str,
                       context: Mapping[str, str] | None = None) -> None:
        """Deliver the hand-off events of one step (see the module doc).

        Args:
            platform: the adapter's platform name.
            handled: what :meth:`Conversations.handle` returned.
            address: the conversation's platform address.
            context: adapter data to keep with a new hand-off (ids only).
        """
        sink = self.sinks.get(platform)
        for ev in handled.handoffs:
            if ev.kind == "offered":
                continue
            rec = self.records.get(handled.key)
            if ev.kind == "requested":
                h = handled.session.handoff if handled.session is not None else None
                rec = Record(platform, handled.key, address, ev.team, ev.conversation_id,
                             h.deadline if h is not None else None, dict(context or {}), ev.summary)
                self.records[handled.key] = rec
            elif rec is None or rec.conversation_id != ev.conversation_id:
                continue
            if ev.kind in ("withdrawn", "timed_out", "released"):
                self.records.pop(handled.key, None)
            elif ev.kind == "taken":
                rec.deadline = None
            if sink is not None:
                try:
                    await sink.to_team(ev, rec)
                except Exception as exc:  # noqa: BLE001 — the person's reply is already on its way; a team's sink may fail in any way; log the type only
                    log.error("hand-off %s to team %s failed: %s", ev.kind, ev.team, type(exc).__name__)

    async def taken(self, key: str, now: dt.datetime | None = None) -> bool:
        """Someone of the team picked the hand-off of ``key`` up: tell the person, update the team.

        Returns:
            True when a waiting hand-off was taken (False: withdrawn, timed out or unknown).
        """
        return await self._signal(key, HandoffSignal("taken"), now)

    async def released(self, key: str, now: dt.datetime | None = None) -> bool:
        """The team handed the conversation back to the bot (e.g. Chatwoot resolved it)."""
        return await self._signal(key, HandoffSignal("released"), now)

    async def _signal(self, key: str, sig: HandoffSignal, now: dt.datetime | None) -> bool:
        rec = self.records.get(key)
        if rec is None:
            return False
        handled = await self.conversations.handle_key(rec.platform, key, sig, now=now)
        if not handled.handoffs:
            return False
        await self._tell(rec, handled)
        await self.dispatch(rec.platform, handled, rec.address)
        return True

    async def _tell(self, rec: Record, handled: Handled) -> None:
        sink = self.sinks.get(rec.platform)
        if sink is None or not handled.replies:
            return
        locale = handled.session.locale if handled.session is not None else "ja"
        try:
            await sink.to_person(rec, handled.replies, locale)
        except Exception as exc:  # noqa: BLE001 — a platform's sink may fail in any way; the hand-off record stays; log the type only
            log.error("hand-off: telling the person on %s failed: %s", rec.platform, type(exc).__name__)

    async def sweep(self, now: dt.datetime) -> int:
        """Time out every hand-off whose pick-up time ran out (the app's periodic sweep).

        Returns:
            How many hand-offs timed out.
        """
        due = [r for r in self.records.values() if r.deadline is not None and r.deadline <= now]
        n = 0
        for rec in due:
            handled = await self.conversations.handle_key(rec.platform, rec.key, HandoffSignal("check"), now=now)
            if any(e.kind == "timed_out" for e in handled.handoffs):
                n += 1
                await self._tell(rec, handled)
            elif handled.session is None or handled.session.handoff is None:
                self.records.pop(rec.key, None)  # ended meanwhile (another replica, data deleted)
            elif handled.session.handoff.status == "taken":
                rec.deadline = None  # taken through another replica
            await self.dispatch(rec.platform, handled, rec.address)
        return n

    async def forget(self, key: str) -> None:
        """The person deleted their data by other means (LINE unfollow, an admin): withdraw."""
        rec = self.records.pop(key, None)
        sink = self.sinks.get(rec.platform) if rec is not None else None
        if rec is not None and sink is not None:
            await sink.to_team(HandoffEvent("withdrawn", rec.team, rec.conversation_id), rec)
