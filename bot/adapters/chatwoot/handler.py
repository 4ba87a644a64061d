"""Handling Chatwoot events: who has the conversation, out-of-order messages, the hand-off sink.

A conversation the bot handles is ``pending`` (:data:`~.mapping.BOT_STATUS`). While people have
it (any other status) soudan is silent in it — except that a hand-off nobody has taken yet can
still be withdrawn (「やっぱりやめる」), crisis words typed while it waits get the crisis card (nobody has
it yet), and 「データ削除」 always reaches the bot (it asks 「消しますか？」, and that
answer reaches it too: the person's data is deleted on 「消す」). An agent's
public reply marks a waiting hand-off taken; resolving the conversation hands it back to the bot.
Duplicates (Chatwoot retries a job) are dropped by event id in the shared store; a message older
than the newest one this process handled in that conversation (out of order) is dropped too.

When the store fails, the webhook answers 500 (Chatwoot retries the job, then opens the
conversation to the counsellors), and the person is answered at once as on every platform
(:func:`bot.adapters.common.outage_replies`): crisis words get the crisis card, then the apology
(try again; 110 and 119) — in a conversation people have, the card only —, once per event.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.adapters.chatwoot.client import ChatwootApi, ChatwootConfig
from bot.adapters.chatwoot.mapping import BOT_STATUS, PLATFORM, chatwoot_id, event_label, to_input
from bot.adapters.common import outage_replies
from bot.engine.commands import COMMAND_WORDS, FORGET_NO, FORGET_YES, forget_named, forget_pending
from bot.engine.handoff import WITHDRAW_WORDS, summary_lines
from bot.engine.text import normalize
from bot.engine.types import (
    CommandName,
    HandoffEvent,
    HandoffSignal,
    HandoffState,
    Input,
    Pick,
    Reply,
    Text,
)
from bot.handoff.desk import Desk, Record
from bot.service import Conversations
from bot.store.base import EVENT_TTL, StoreError

__all__ = ["NEWEST_KEPT", "ChatwootAdapter"]

log = logging.getLogger("soudan.chatwoot")

NEWEST_KEPT = 10_000
"""Conversations whose newest handled message id is remembered (least recently used dropped)."""


@dataclass
class ChatwootAdapter:
    """Handles the Chatwoot events of one application and is its ``chatwoot`` hand-off sink.

    Args:
        config: :class:`~.client.ChatwootConfig`.
        conversations: the shared :class:`~bot.service.Conversations`.
        desk: the app's hand-off desk (this adapter registers itself as the ``chatwoot`` sink).
        metrics: the app's :class:`bot.adapters.Metrics`, or None.

    Attributes:
        api: the :class:`~.client.ChatwootApi` that posts to Chatwoot.
    """

    config: ChatwootConfig
    conversations: Conversations
    desk: Desk
    metrics: Any = None
    _newest: OrderedDict[str, int] = field(default_factory=OrderedDict)
    _outage_sent: OrderedDict[tuple[int, str], None] = field(default_factory=OrderedDict)

    def __post_init__(self) -> None:
        self.api = ChatwootApi(self.config, self.metrics)
        self.desk.register(PLATFORM, self)

    async def client_ctx(self, app: web.Application) -> AsyncIterator[None]:
        """``cleanup_ctx``: the HTTP client to Chatwoot's API while the app runs."""
        self.api.open()
        try:
            yield
        finally:
            await self.api.close()

    def count(self, kind: str, outcome: str) -> None:
        """Count one event in ``soudan_events_total`` (when the app has metrics)."""
        if self.metrics is not None:
            self.metrics.events.labels(PLATFORM, kind, outcome).inc()

    # -------------------------------------------------------------- the hand-off sink

    async def to_team(self, event: HandoffEvent, record: Record) -> None:
        """Post the summary as a private note and open the conversation for the counsellors; a
        withdrawal or time-out gets a note and gives the conversation back to the bot."""
        conv = int(record.address.split(":", 1)[1])
        if event.kind == "requested" and event.summary is not None:
            lines = "\n".join(f"・{x}" for x in summary_lines(event.summary, "ja"))
            await self.api.note(conv, "【soudan 引き継ぎ】本人の同意のうえで共有します（本人が書いた文章は含みません）。\n" + lines)
            await self.api.set_status(conv, "open")
        elif event.kind in ("withdrawn", "timed_out"):
            why = "本人が引き継ぎを取り消しました。" if event.kind == "withdrawn" else \
                "時間内に対応がなかったため、本人に24時間の窓口を案内しました。"
            await self.api.note(conv, f"【soudan】{why}会話はボットに戻ります。")
            await self.api.set_status(conv, BOT_STATUS)

    async def to_person(self, record: Record, replies: Sequence[Reply], locale: str) -> None:
        """Messages to the person in their conversation (time-out, taken)."""
        await self.api.send(int(record.address.split(":", 1)[1]), replies, locale)

    # -------------------------------------------------------------- events

    async def _handoff(self, key: str) -> HandoffState | None:
        """The conversation's hand-off state, read from the shared store (any replica may hold it)."""
        stored = await self.conversations.store.get(key)
        return stored.handoff if stored is not None else None

    async def handle(self, body: dict[str, Any], conv: dict[str, Any], conv_id: int) -> None:
        """Handle one checked webhook body (account and inbox already match; see the module doc).

        Args:
            body: the webhook body (``event`` is a string).
            conv: its conversation object (``status``…).
            conv_id: the conversation id.

        Raises:
            StoreError: when the store fails (the webhook answers 500; Chatwoot retries).
        """
        event = body["event"]
        kind = event_label(event)
        address = f"{self.config.account_id}:{conv_id}"
        key = self.conversations.key(PLATFORM, address)
        if event == "conversation_resolved":
            h = await self._handoff(key)
            if h is not None and h.status != "consent":
                await self._signal(key, address, conv_id, "released")
            self.count(kind, "handled")
            return
        if event not in ("message_created", "message_updated"):
            self.count(kind, "ignored")
            return
        raw_sender = body.get("sender")
        sender: dict[str, Any] = raw_sender if isinstance(raw_sender, dict) else {}
        own = sender.get("type") == "agent_bot" and sender.get("id") == self.config.bot_id
        inp = to_input(body, event)
        picked = event == "message_updated" and own and inp is not None
        if body.get("message_type") not in ("incoming", 0) and not picked:
            # an agent's public reply takes a waiting hand-off; the bot's own messages are ignored
            if not own and sender.get("type") == "user" and not body.get("private"):
                h = await self._handoff(key)
                if h is not None and h.status == "waiting":
                    await self._signal(key, address, conv_id, "taken")
            self.count(kind, "ignored")
            return
        mid = chatwoot_id(body.get("id"))
        if mid is None or inp is None:
            self.count(kind, "ignored")
            return
        if conv.get("status") != BOT_STATUS:
            # people have the conversation: silent, except a withdrawal of a hand-off not yet taken
            # and a deletion of the person's data (the person's right whoever has the conversation)
            try:
                stored = await self.conversations.store.get(key)
            except StoreError:  # whether a hand-off waits is unknown: crisis words get the card (no apology:
                # the bot is not the one answering here); Chatwoot retries the job
                if isinstance(inp, Text) and event == "message_created":
                    card = self.conversations.engine.crisis_card(inp.text, self.conversations.clock())
                    await self._outage(conv_id, f"crisis:{mid}", [card] if card is not None else [])
                raise
            h = stored.handoff if stored is not None else None
            norm = normalize(inp.text[:200]) if isinstance(inp, Text) else ""
            withdrawal = h is not None and h.status == "waiting" and norm in WITHDRAW_WORDS
            forget = stored is not None and COMMAND_WORDS.get(norm) is CommandName.FORGET
            if stored is not None and forget_pending(stored.clarify):
                # 「消しますか？」 answered by its buttons or in words that name deleting (「消す」); a bare
                # 「はい」「1」「いいえ」 here is said to the counsellor, not to the bot (breaker §5: it deleted
                # the record and cancelled the hand-off mid-counselling, or re-asked the bot's question there)
                forget = forget or (isinstance(inp, Pick) and inp.choice_id in (FORGET_YES, FORGET_NO)) or (
                    isinstance(inp, Text) and forget_named(inp.text))
            if not withdrawal and not forget:
                if h is not None and h.status == "waiting" and isinstance(inp, Text) and event == "message_created":
                    await self._crisis_while_waiting(conv_id, mid, inp.text, stored.locale if stored else "ja")
                self.count(kind, "human")
                return
        if event == "message_created":
            if mid < self._newest.get(key, 0):
                self.count(kind, "out_of_order")
                return
            self._newest[key] = mid
            self._newest.move_to_end(key)
            if len(self._newest) > NEWEST_KEPT:
                self._newest.popitem(last=False)
        event_id = f"{event}:{mid}" if event == "message_created" else \
            f"{event}:{mid}:{inp.choice_id if isinstance(inp, Pick) else ''}"
        try:
            handled = await self.conversations.handle(PLATFORM, address, inp, event_id=event_id)
        except StoreError:
            # the crisis card for crisis words, then the apology (try again; 110 and 119), once per
            # event; the 500 stays, so Chatwoot retries the job and, after its retries, opens the
            # conversation to the counsellors (its own fallback for a failing bot)
            await self._outage(conv_id, event_id, self._outage_replies(inp))
            raise
        if handled.duplicate:
            self.count(kind, "duplicate")
            return
        self.count(kind, "handled")
        locale = handled.session.locale if handled.session is not None else "ja"
        await self.api.send(conv_id, handled.replies, locale)
        await self.desk.dispatch(PLATFORM, handled, address)

    def _outage_replies(self, inp: Input) -> list[Reply]:
        """:func:`~bot.adapters.common.outage_replies` of an input (the person's language is in the
        session the store could not give: the apology in Japanese and English)."""
        conv = self.conversations
        return outage_replies(conv.engine, inp.text if isinstance(inp, Text) else None, conv.clock(), None)

    async def _outage(self, conv_id: int, event_id: str, replies: list[Reply]) -> None:
        """Send ``replies`` for an event the store failed on, once per event in this process (the
        store cannot say whether a retried job got them; :data:`NEWEST_KEPT` events remembered)."""
        key = (conv_id, event_id)
        if not replies or key in self._outage_sent:
            return
        self._outage_sent[key] = None
        if len(self._outage_sent) > NEWEST_KEPT:
            self._outage_sent.popitem(last=False)
        await self.api.send(conv_id, replies, "ja")

    async def _crisis_while_waiting(self, conv_id: int, mid: int, text: str, locale: str) -> None:
        """Crisis words typed while a hand-off waits for a counsellor get the crisis card (the 24-hour
        lines; 110 first for danger): nobody has the conversation yet, and silence until the pick-up
        deadline is the worst answer to 「死にたい」. The session and the hand-off are left as they are;
        a retried job sends nothing twice."""
        conv = self.conversations
        card = conv.engine.crisis_card(text, conv.clock(), locale)
        if card is None or not await conv.store.mark_event(f"{PLATFORM}:crisis:{conv_id}:{mid}", EVENT_TTL):
            return
        await self.api.send(conv_id, [card], locale)

    async def _signal(self, key: str, address: str, conv_id: int, kind: str) -> None:
        """Feed ``HandoffSignal(kind)`` through the shared store (any replica may get the webhook)."""
        handled = await self.conversations.handle_key(PLATFORM, key, HandoffSignal(kind))  # type: ignore[arg-type]
        if handled.handoffs:
            await self.api.send(conv_id, handled.replies, handled.session.locale if handled.session else "ja")
            rec = self.desk.record_of(key)
            if rec is not None and kind == "taken":
                rec.deadline = None
            await self.desk.dispatch(PLATFORM, handled, address)

