"""Handling webhook events: per-chat order, the outbox (exactly once), invitations and forgetting.

The events of one chat are handled one at a time in timestamp order; different chats are handled
concurrently (``asyncio.gather``). An in-process keyed lock also serialises one user's events
across concurrent requests (reply included), and the store's per-user lock does so across
processes.

Exactly once: a message event's replies are rendered inside the store's step and committed with
the event id and the new session as the event's *outbox* (:meth:`bot.service.Conversations.handle`
with ``render``); the outbox is sent, then confirmed (:meth:`~bot.service.Conversations.sent`). A
redelivery of an event whose outbox was not confirmed (the process died, the send failed
transiently) sends it again: the reply token first — a refusal within
:data:`~.client.REPLY_TOKEN_USED_WITHIN` seconds of the first send means the first send got
through, unless the outbox says (``"r"``, stored when an attempt's reply was refused and its push
failed) that the token was not used —, then pushes, each with an ``X-Line-Retry-Key`` fixed by the outbox, so LINE drops a
push it had already accepted (409). A redelivery of an event that was sent changes nothing and
sends nothing. Redelivered events of other kinds (``webhookEventId`` seen before) change nothing
either.

Messages, postbacks and joins in a group or room get one short invitation to a 1:1 chat (at most
once a day per chat; nobody is screened in a group and no session is keyed on a group).

Any exception while handling one event is logged (type and place only) and counted, and the other
events go on. When the step may have been committed before it (the store failed after the step
ran, the send raised), the event is handled once more as its redelivery would be — the committed
outbox is sent, exactly once —; the person gets the apology only when that fails too. Privacy: message text, reply tokens and raw LINE ids are never logged; logs carry the
keyed hash of the user (:meth:`bot.service.Conversations.key`) at most.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import traceback
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bot.adapters import Metrics
from bot.adapters.common import outage_replies
from bot.adapters.line.client import Delivery, LineApi
from bot.adapters.line.codecs import encode_json
from bot.adapters.line.events import PLATFORM, Job
from bot.adapters.line.flex import Msg, group_invite, render
from bot.adapters.line.richmenu import RichMenuLinker
from bot.engine.types import Command, Refer, Reply, Session, Start, Text
from bot.service import Conversations
from bot.store.base import EVENT_TTL, KeyedLocks, StoreError

__all__ = ["INVITE_TTL", "EventHandler", "Undelivered"]

log = logging.getLogger("soudan.line")

INVITE_TTL = 24 * 3600.0
"""Seconds during which a group or room gets the 1:1 invitation at most once."""

GROUP_CRISIS_TTL = 600.0
"""Seconds during which a group or room gets the crisis card at most once (10 minutes): every
message with crisis words in a busy group would otherwise post the card again."""



_REFUSED = b',"r":1}'
"""How a stored outbox ends when an attempt's reply was refused (or there was no reply token) and
its push failed: the token was not used, so a redelivery pushes the first batch too."""


def _with_refused(outbox: bytes, refused: bool) -> bytes:
    """The outbox bytes ``{"b":…,"k":…,"t":…}`` with ``"r":1`` added (``refused``) or taken away.

    Outboxes stored before carry no ``"r"`` (read as False).
    """
    plain = outbox[:-len(_REFUSED)] + b"}" if outbox.endswith(_REFUSED) else outbox
    return plain[:-1] + _REFUSED if refused else plain


@dataclass
class _Attempt:
    """How far one attempt at a person's event got.

    Attributes:
        stepped: the step ran (its outbox was rendered) or was committed: a failure from here on
            may have left a committed outbox to send.
    """

    stepped: bool = False


class Undelivered(Exception):
    """An event's replies were committed but could not be delivered now (network, 5xx)."""


@dataclass
class EventHandler:
    """Handles the jobs of webhook events (:func:`~.events.to_job`) against the engine and the API.

    Args:
        conversations: the shared :class:`~bot.service.Conversations`.
        metrics: the app's :class:`~bot.adapters.Metrics` (``events``, ``step_seconds``).
        api: the :class:`~.client.LineApi` that sends the replies.
        redelivery: LINE redelivers an event not answered 200 (``LINE_REDELIVERY=on``): an event the
            store failed on gets nothing now (the redelivery answers it, exactly once). Off (the
            default, as in LINE's console): when the step may have been committed, its outbox is
            sent as a redelivery would send it (:meth:`_after_failure`); else the event gets the
            apology through its reply token at once.
    """

    conversations: Conversations
    metrics: Metrics
    api: LineApi
    redelivery: bool = False
    _locks: KeyedLocks = field(default_factory=KeyedLocks)

    def __post_init__(self) -> None:
        self._counters: dict[tuple[str, str], Any] = {}
        self._step = self.metrics.step_seconds.labels(PLATFORM)
        self.richmenus = RichMenuLinker(self.api.call)

    def count(self, kind: str, outcome: str) -> None:
        """Count one event in ``soudan_events_total`` (label children cached: ``labels()`` is a
        locked lookup)."""
        c = self._counters.get((kind, outcome))
        if c is None:
            c = self._counters[(kind, outcome)] = self.metrics.events.labels(PLATFORM, kind, outcome)
        c.inc()

    async def process(self, jobs: Sequence[Job]) -> bool:
        """Handle jobs: per chat one at a time in timestamp order, chats concurrently.

        Returns:
            False when some job must be redelivered: its replies could not be delivered now, or
            the store failed with :attr:`redelivery` on.
        """
        chats: dict[str, list[Job]] = {}
        for j in jobs:
            chats.setdefault(j.chat, []).append(j)
        groups = [sorted(js, key=lambda j: j.timestamp) for js in chats.values()]
        if len(groups) == 1:
            return await self._run_chat(groups[0])
        results = await asyncio.gather(*(self._run_chat(g) for g in groups))
        return all(results)

    async def _run_chat(self, jobs: Sequence[Job]) -> bool:
        ok = True
        async with self._locks.hold(jobs[0].chat, timeout=60.0):
            for j in jobs:
                j = self._read_words(j)
                attempt = _Attempt()
                try:
                    await self._run(j, attempt)
                except StoreError as exc:
                    self.count(j.kind, "error")
                    log.error("store failed on a LINE %s event: %s", j.kind, exc)
                    # on: LINE redelivers it (its reply token must stay unused for the answer); off:
                    # nothing will be redelivered: the committed reply, else the apology, never silence
                    ok = False if self.redelivery else await self._after_failure(j, attempt) and ok
                except Undelivered:
                    ok = False
                    self.count(j.kind, "undelivered")
                except Exception as exc:  # noqa: BLE001 — never crash the webhook; never log the message (it may hold text)
                    self.count(j.kind, "error")
                    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
                    log.error("LINE %s event failed: %s at %s", j.kind, type(exc).__name__,
                              f"{frame.filename}:{frame.lineno}" if frame else "?")
                    ok = await self._after_failure(j, attempt) and ok
        return ok

    async def _after_failure(self, j: Job, attempt: _Attempt) -> bool:
        """After a failed event of a person: when its step may have been committed (the step ran:
        the store failed after it, or the send failed after the commit), its outbox is sent as a
        redelivery sends it — the lease given up, the step asked again (the store answers with the
        committed outbox, or commits it now if it had not), the reply token, else pushes with the
        outbox's retry keys: exactly once. Only when that fails too, or nothing was committed,
        the apology (:meth:`_apologise`).

        Returns:
            False when the replies could not be delivered now (:class:`Undelivered`), or when the
            store failed again with :attr:`redelivery` on (LINE's redelivery then sends them).
        """
        if attempt.stepped and j.event_id is not None and j.action == "input":
            conv = self.conversations
            try:
                await conv.unsent(PLATFORM, j.event_id)  # else the step would wait for this attempt's lease
                await self._run(j, _Attempt())
            except Undelivered:
                self.count(j.kind, "undelivered")
                return False
            except Exception as exc:  # noqa: BLE001 — the store is still down, or the same fault again
                log.error("LINE %s event: its committed reply could not be sent either: %s", j.kind,
                          type(exc).__name__)
                if self.redelivery and isinstance(exc, StoreError):
                    return False  # LINE redelivers it: the reply token stays for the committed reply
            else:
                return True
        await self._apologise(j)
        return True

    async def _apologise(self, j: Job) -> None:
        """After a failed event of a person: a short apology (try again; 110/119) with its reply
        token, so that nobody is left in silence. A reply only, never a push (the failure may come
        after the real replies used the token: LINE then refuses it); never raises."""
        if not j.reply_token or j.user_id is None or j.action in ("invite", "forget"):
            return
        try:
            # crisis words get the crisis card first (it needs no session): the 24-hour lines even now;
            # the apology in Japanese then English (the person's language is in the session)
            conv = self.conversations
            text = j.inp.text if isinstance(j.inp, Text) else None
            batches = render(outage_replies(conv.engine, text, conv.clock(), None), "ja")
            await self.api.deliver(j.reply_token, None, batches[:1], None)
        except Exception as exc:  # noqa: BLE001 — the apology is best effort
            log.warning("LINE: the apology for a failed event could not be sent: %s", type(exc).__name__)

    def _read_words(self, j: Job) -> Job:
        """A sticker whose words (:attr:`~.events.Job.words`: the text typed into a message sticker,
        its keywords) carry crisis words, as the :class:`~bot.engine.types.Text` of those words:
        the engine answers it with the crisis card as it would the words typed (a group's, the
        group's card; a failed step, the card before the apology). Every other job unchanged: a
        sticker's keywords are never read as an answer (「はい」「OK」)."""
        if not j.words:
            return j
        conv = self.conversations
        now = conv.clock()
        said = [w for w in j.words if conv.engine.crisis_card(w, now) is not None]  # each word on its own
        return replace(j, inp=Text("\n".join(said))) if said else j

    def _crisis_card(self, j: Job) -> Refer | None:
        """The crisis card of a job's text message (:meth:`~bot.engine.core.Engine.crisis_card`), or None."""
        if not isinstance(j.inp, Text):
            return None
        conv = self.conversations
        return conv.engine.crisis_card(j.inp.text, conv.clock())

    async def _invite(self, j: Job) -> None:
        """A group's or room's event: the 1:1 invitation once a day per group; crisis words
        (「このグループで晒されてる、しにたい」) get the crisis card with it, at most once in
        :data:`GROUP_CRISIS_TTL` per group (a group flooded with cards removes the bot), and also
        when the store is down (the card needs no session; nothing of a group is ever kept)."""
        conv = self.conversations
        store = conv.store
        group = conv.key("line-chat", j.chat)
        scanned, card = False, None
        try:
            if j.event_id is not None and not await store.mark_event(f"{PLATFORM}:{j.event_id}", EVENT_TTL):
                self.count(j.kind, "duplicate")
                return
            first = await store.mark_event(f"{PLATFORM}:invite:{group}", INVITE_TTL)
            scanned, card = True, self._crisis_card(j)  # after the duplicate check: a redelivery scans nothing
            show_card = card is not None and await store.mark_event(f"{PLATFORM}:crisis:{group}", GROUP_CRISIS_TTL)
        except StoreError:
            if not scanned:
                card = self._crisis_card(j)
            if card is None:
                raise
            first = show_card = True
        self.count(j.kind, "group-crisis" if show_card else "group")
        if j.reply_token and show_card:
            assert card is not None
            await self.api.deliver(j.reply_token, None, [[*render([card])[0], *group_invite()]], None)
        elif first and j.reply_token:
            await self.api.deliver(j.reply_token, None, [group_invite()], None)

    async def _run(self, j: Job, attempt: _Attempt) -> None:
        conv = self.conversations
        if j.action == "invite":
            await self._invite(j)
            return
        assert j.user_id is not None
        if j.action == "forget":  # the event id and the deletion are committed together
            if not await conv.forget(PLATFORM, j.user_id, event_id=j.event_id):
                self.count(j.kind, "duplicate")
                return
            self.count(j.kind, "forgotten")
            log.info("LINE unfollow: forgot %s", conv.key(PLATFORM, j.user_id))
            return
        assert j.inp is not None
        inp = j.inp
        if isinstance(inp, Start) and inp.locale is None:
            inp = Start(inp.flow_id, await self.api.profile_locale(j.user_id))
        now = conv.clock()
        # no session after the step (someone new asking 「いま受付中」): the language of the menu tapped
        unknown_locale = inp.locale if isinstance(inp, Command) and inp.locale else "ja"

        # the outbox of the step's last run (the one committed): batches, each batch's JSON, key, time
        made: list[tuple[list[list[Msg]], list[bytes], str, float]] = []

        def outbox(replies: list[Reply], session: Session | None) -> bytes:
            batches = render(replies, session.locale if session is not None else unknown_locale, now)
            parts = [encode_json(b) for b in batches]
            k, at = uuid.uuid4().hex, time.time()
            made[:] = [(batches, parts, k, at)]
            attempt.stepped = True  # from here on the store may commit the step
            # {"b": batches, "k": retry key base, "t": commit time}, each batch encoded once (sent as is);
            # a release after a refused reply and a failed push adds "r": 1 (_with_refused)
            return b'{"b":[' + b",".join(parts) + b'],"k":"' + k.encode() + b'","t":' + repr(at).encode() + b"}"

        handled = await conv.handle(PLATFORM, j.user_id, inp, event_id=j.event_id, now=now,
                                    render=outbox if j.event_id is not None else None)
        attempt.stepped = True  # committed (or a redelivery of a committed step)
        if handled.duplicate and handled.outbox is None:
            self.count(j.kind, "duplicate")
            return
        if handled.duplicate:
            self.count(j.kind, "resent")
        else:
            self._step.observe(handled.seconds)
            self.count(j.kind, "handled")
        key = lambda: conv.key(PLATFORM, j.user_id or "")  # noqa: E731 - computed only when logged
        if handled.outbox is None:  # no event id: nothing to confirm
            locale = handled.session.locale if handled.session is not None else unknown_locale
            batches = render(handled.replies, locale, now)
            if batches:
                await self.api.deliver(j.reply_token, j.user_id, batches, key)
            return
        # this step's own outbox as built; only a redelivery's stored one is read back
        refused = False  # the stored outbox says: an earlier attempt's reply token was not used
        if made and not handled.duplicate:
            batches, encoded, base, at = made[-1]
        else:
            box = json.loads(handled.outbox)
            batches, encoded, base, at = box["b"], [], box["k"], float(box["t"])
            refused = bool(box.get("r"))  # absent in outboxes stored before: False
        result: Delivery = "sent"
        unreplied = False
        if batches:
            result, unreplied = await self.api.deliver_outbox(
                j.reply_token, j.user_id, batches, key, retry_base=base, resend=handled.resend,
                age=time.time() - at, encoded=encoded, refused=refused)
        await self.richmenus.sync(j.user_id, key, handled.session.locale if handled.session else "ja")
        assert j.event_id is not None
        if result == "retry":
            # the redelivery, in any replica or after a restart, must know whether this attempt's
            # reply used the token: the outbox stored again with "r" when it did not (breaker)
            note = None if unreplied == refused else _with_refused(handled.outbox, unreplied)
            with contextlib.suppress(StoreError):  # else the lease runs out by itself
                await conv.unsent(PLATFORM, j.event_id, note)
            raise Undelivered("the replies could not be delivered now; LINE may redeliver the event")
        try:
            await conv.sent(PLATFORM, j.event_id)
        except StoreError as exc:  # delivered; a redelivery would find the reply token used
            log.warning("LINE: the reply was sent but could not be confirmed in the store: %s",
                        type(exc.__cause__ or exc).__name__)
