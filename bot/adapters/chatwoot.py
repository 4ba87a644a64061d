"""Chatwoot adapter: soudan as an Agent Bot in a helpline's Chatwoot inbox (issue #14).

Chatwoot (https://github.com/chatwoot/chatwoot, MIT) is the open-source inbox helplines use; it
already connects LINE, web chat and other channels. An *Agent Bot* connected to an inbox receives
that inbox's events as webhooks (``AgentBotListener``: ``message_created``, ``message_updated``,
``conversation_opened``, ``conversation_resolved``, ``webwidget_triggered``) whose body is the
message's or conversation's ``webhook_data`` plus ``event``; it answers through the conversation
API with the bot's access token (header ``api_access_token``):

- ``POST /api/v1/accounts/{account}/conversations/{conversation}/messages`` — ``content``,
  ``message_type: outgoing``, ``private`` (a private note only agents see), ``content_type``
  (``text`` or ``input_select`` with ``content_attributes.items: [{title, value}]``);
- ``POST /api/v1/accounts/{account}/conversations/{conversation}/toggle_status`` — ``status``
  ``pending`` (the bot has it) or ``open`` (the agents have it).

What soudan does
----------------
- A conversation the bot handles is ``pending``. Incoming messages become ``Text`` inputs; a press
  on an ``input_select`` option (``message_updated`` with ``content_attributes.submitted_values``)
  becomes a ``Pick``. Questions go out as ``input_select`` (on channels that cannot show it, such
  as LINE through Chatwoot, the options are also numbered in the text, and a typed number picks);
  windows as text (name, phone, open-now status, link).
- At a consented hand-off (:mod:`bot.engine.handoff`) the summary is posted as a **private note**
  (answers, urgency, windows shown, time — never typed text) and the conversation is set ``open``
  for the counsellors. While a human has the conversation (status ``open``/``resolved``…), soudan
  is silent in it — except that a hand-off nobody has taken yet can still be withdrawn
  (「やっぱりやめる」) and times out with the 24-hour lines, and 「データ削除」 always deletes the
  person's data (the hand-off ends; the counsellors get a note). An agent's reply (or the conversation
  marks the hand-off taken; resolving the conversation hands it back to the bot.

Authentication
--------------
Chatwoot's webhooks are not signed in a stable release. The webhook URL carries a long random
secret (``/chatwoot/webhook/<CHATWOOT_WEBHOOK_SECRET>``), compared in constant time
(:func:`hmac.compare_digest`); a wrong or missing secret is answered 404 and nothing is read.
Every body must then name the configured account (``CHATWOOT_ACCOUNT_ID``) and inbox
(``CHATWOOT_INBOX_ID``), else 403; messages sent by the bot itself (``sender`` of type
``agent_bot`` with ``CHATWOOT_BOT_ID``) are ignored. Duplicates (Chatwoot retries a job) are
dropped by event id; a message older than the newest one already handled in that conversation
(out of order) is dropped too. Keep the URL out of logs: soudan never logs it.

Privacy: the store key is the keyed hash of ``<account>:<conversation>``; nothing typed is logged.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from bot.adapters.common import status_line
from bot.engine.commands import COMMAND_WORDS
from bot.engine.handoff import WITHDRAW_WORDS, summary_lines
from bot.engine.text import normalize
from bot.engine.types import (
    Ask,
    CommandName,
    End,
    HandoffEvent,
    HandoffSignal,
    Input,
    Pick,
    Refer,
    Reply,
    Say,
    Text,
    Unsupported,
)
from bot.handoff.desk import Desk, Record
from bot.i18n import pick
from bot.service import Conversations

__all__ = ["PLATFORM", "ChatwootAdapter", "ChatwootConfig", "render", "setup"]

log = logging.getLogger("soudan.chatwoot")

PLATFORM = "chatwoot"
"""Platform name for store keys, event ids, metrics and teams (``platforms: [chatwoot]``)."""

API_TIMEOUT = 10.0
"""Seconds for one call to Chatwoot's API."""

MAX_BODY = 256 * 1024
"""Largest webhook body read, in bytes (413 above)."""

BOT_STATUS = "pending"
"""The conversation status while the bot has it; any other status means people have it."""


@dataclass(frozen=True)
class ChatwootConfig:
    """Where Chatwoot is and what the webhooks must name.

    Attributes:
        base_url: Chatwoot's address (``https://chat.example.org``; a local fake in tests).
        bot_token: the Agent Bot's access token (``CHATWOOT_BOT_TOKEN``), sent as ``api_access_token``.
        webhook_secret: the secret path part of the webhook URL (``CHATWOOT_WEBHOOK_SECRET``, ≥ 16 chars).
        account_id, inbox_id: the only account and inbox accepted.
        bot_id: the Agent Bot's id (its own messages are ignored), or None.
    """

    base_url: str
    bot_token: str
    webhook_secret: str
    account_id: int
    inbox_id: int
    bot_id: int | None = None

    def __post_init__(self) -> None:
        if len(self.webhook_secret) < 16:
            raise ValueError("CHATWOOT_WEBHOOK_SECRET must be at least 16 characters (a long random value)")
        if not self.bot_token:
            raise ValueError("CHATWOOT_BOT_TOKEN is empty: copy the Agent Bot's access token from Chatwoot")


def _choice_value(choice_id: str, state_id: str, conversation_id: str) -> str:
    return f"{choice_id}|{state_id}|{conversation_id}"


def render(replies: Sequence[Reply], locale: str) -> list[dict[str, Any]]:
    """Engine replies → bodies of Chatwoot's create-message API (outgoing, public).

    Texts are joined up to the next question; a question becomes ``input_select`` (its options
    numbered in the text too, for channels without buttons); a referral becomes text.
    """
    out: list[dict[str, Any]] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            out.append({"content": "\n\n".join(buf), "message_type": "outgoing", "private": False,
                        "content_type": "text"})
            buf.clear()

    for r in replies:
        if isinstance(r, Say | End):
            buf.append(r.text)
        elif isinstance(r, Refer):
            lines = [r.text]
            for v in r.contacts:
                c = v.contact
                phones = "、".join(p.number for p in c.phones) if c.phones else ""
                urls = " ".join(dict.fromkeys(ch.url for ch in c.channels))
                lines.append("・" + " ".join(x for x in (pick(c.name, locale), phones, status_line(v, locale), urls) if x))
            lines += [f"{i}. {s}" for i, s in enumerate(r.steps, 1)]
            buf.append("\n".join(lines))
        elif isinstance(r, Ask):
            numbered = "\n".join(f"{i}. {c.label}" for i, c in enumerate(r.choices, 1))
            buf.append(f"{r.text}\n{numbered}")
            text = "\n\n".join(buf)
            buf.clear()
            out.append({"content": text, "message_type": "outgoing", "private": False, "content_type": "input_select",
                        "content_attributes": {"items": [
                            {"title": c.label, "value": _choice_value(c.id, r.state_id, r.conversation_id)}
                            for c in r.choices]}})
    flush()
    return out


@dataclass
class ChatwootAdapter:
    """The Chatwoot webhook of one application (see the module doc).

    Args:
        config: :class:`ChatwootConfig`.
        conversations: the shared :class:`~bot.service.Conversations`.
        desk: the app's hand-off desk (this adapter registers itself as the ``chatwoot`` sink).
        metrics: the app's :class:`bot.adapters.Metrics`, or None.
    """

    config: ChatwootConfig
    conversations: Conversations
    desk: Desk
    metrics: Any = None
    session: aiohttp.ClientSession | None = None
    _newest: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.desk.register(PLATFORM, self)

    # -------------------------------------------------------------- lifecycle

    async def client_ctx(self, app: web.Application) -> AsyncIterator[None]:
        """``cleanup_ctx``: the HTTP client to Chatwoot's API while the app runs."""
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=API_TIMEOUT))
        try:
            yield
        finally:
            await self.session.close()
            self.session = None

    def _count(self, kind: str, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.events.labels(PLATFORM, kind, outcome).inc()

    def _answer(self, status: int, text: str) -> web.Response:
        if self.metrics is not None:
            self.metrics.requests.labels(PLATFORM, str(status)).inc()
        return web.Response(status=status, text=text)

    # -------------------------------------------------------------- API calls

    async def _post(self, conversation: int, path: str, body: dict[str, Any]) -> None:
        if self.session is None:
            raise RuntimeError("the Chatwoot client is not running (app not started)")
        url = (f"{self.config.base_url.rstrip('/')}/api/v1/accounts/{self.config.account_id}"
               f"/conversations/{conversation}/{path}")
        try:
            async with self.session.post(url, json=body, headers={"api_access_token": self.config.bot_token}) as resp:
                if resp.status >= 300:
                    if self.metrics is not None:
                        self.metrics.api_errors.labels(PLATFORM, path, str(resp.status)).inc()
                    log.warning("Chatwoot %s failed: HTTP %s", path, resp.status)
                    return
        except (aiohttp.ClientError, TimeoutError) as exc:
            if self.metrics is not None:
                self.metrics.api_errors.labels(PLATFORM, path, "network").inc()
            log.warning("Chatwoot %s failed: %s", path, type(exc).__name__)
            return
        if self.metrics is not None and path == "messages":
            self.metrics.messages.labels(PLATFORM).inc()

    async def send(self, conversation: int, replies: Sequence[Reply], locale: str) -> None:
        """Post the replies to the conversation, in order."""
        for body in render(replies, locale):
            await self._post(conversation, "messages", body)

    async def note(self, conversation: int, text: str) -> None:
        """A private note (agents only)."""
        await self._post(conversation, "messages", {"content": text, "message_type": "outgoing", "private": True,
                                                    "content_type": "text"})

    async def set_status(self, conversation: int, status: str) -> None:
        """``toggle_status`` to ``pending`` (bot) or ``open`` (people)."""
        await self._post(conversation, "toggle_status", {"status": status})

    # -------------------------------------------------------------- the hand-off sink

    async def to_team(self, event: HandoffEvent, record: Record) -> None:
        """Post the summary as a private note and open the conversation for the counsellors; a
        withdrawal or time-out gets a note and gives the conversation back to the bot."""
        conv = int(record.address.split(":", 1)[1])
        if event.kind == "requested" and event.summary is not None:
            lines = "\n".join(f"・{x}" for x in summary_lines(event.summary, "ja"))
            await self.note(conv, "【soudan 引き継ぎ】本人の同意のうえで共有します（本人が書いた文章は含みません）。\n" + lines)
            await self.set_status(conv, "open")
        elif event.kind in ("withdrawn", "timed_out"):
            why = "本人が引き継ぎを取り消しました。" if event.kind == "withdrawn" else \
                "時間内に対応がなかったため、本人に24時間の窓口を案内しました。"
            await self.note(conv, f"【soudan】{why}会話はボットに戻ります。")
            await self.set_status(conv, BOT_STATUS)

    async def to_person(self, record: Record, replies: Sequence[Reply], locale: str) -> None:
        """Messages to the person in their conversation (time-out, taken)."""
        await self.send(int(record.address.split(":", 1)[1]), replies, locale)

    # -------------------------------------------------------------- the webhook

    async def webhook(self, request: web.Request) -> web.Response:
        """``POST /chatwoot/webhook/{secret}`` (see the module doc for the checks)."""
        given = request.match_info.get("secret", "")
        if not hmac.compare_digest(given.encode("utf-8", "surrogatepass"), self.config.webhook_secret.encode()):
            return self._answer(404, "not found")
        if request.content_length is not None and request.content_length > MAX_BODY:
            return self._answer(413, "body too large")
        raw = await request.read()
        if len(raw) > MAX_BODY:
            return self._answer(413, "body too large")
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            return self._answer(400, "body is not JSON")
        if not isinstance(body, dict) or not isinstance(body.get("event"), str):
            return self._answer(400, "not a Chatwoot event")
        conv = body.get("conversation") if "conversation" in body else body
        conv = conv if isinstance(conv, dict) else {}
        account = _id((body.get("account") or {}).get("id")) if isinstance(body.get("account"), dict) else \
            _id(conv.get("account_id"))
        inbox = _id((body.get("inbox") or {}).get("id")) if isinstance(body.get("inbox"), dict) else \
            _id(conv.get("inbox_id"))
        if account != self.config.account_id or inbox != self.config.inbox_id:
            return self._answer(403, "wrong account or inbox")
        conv_id = _id(conv.get("id"))
        if isinstance(body.get("conversation"), dict) and _id(conv.get("inbox_id", inbox)) != inbox:
            return self._answer(403, "wrong account or inbox")
        if conv_id is None:
            return self._answer(400, "no conversation id")
        try:
            await self._event(body, conv, conv_id)
        except Exception as exc:  # never log the body (it holds what the person wrote)
            self._count(str(body.get("event"))[:40] if body.get("event") in _EVENTS else "other", "error")
            log.error("Chatwoot %s event failed: %s", body.get("event") if body.get("event") in _EVENTS else "other",
                      type(exc).__name__)
            return self._answer(500, "failed; please retry")
        return self._answer(200, "OK")

    async def _event(self, body: dict[str, Any], conv: dict[str, Any], conv_id: int) -> None:
        event = body["event"]
        kind = event if event in _EVENTS else "other"
        address = f"{self.config.account_id}:{conv_id}"
        key = self.conversations.key(PLATFORM, address)
        status = conv.get("status")
        stored = await self.conversations.store.get(key)  # the hand-off state is in the shared store
        h = stored.handoff if stored is not None else None
        waiting = h is not None and h.status == "waiting"
        if event == "conversation_resolved":
            if h is not None and h.status != "consent":
                await self._signal(key, address, conv_id, "released")
            self._count(kind, "handled")
            return
        if event not in ("message_created", "message_updated"):
            self._count(kind, "ignored")
            return
        raw_sender = body.get("sender")
        sender: dict[str, Any] = raw_sender if isinstance(raw_sender, dict) else {}
        mtype = body.get("message_type")
        own = sender.get("type") == "agent_bot" and sender.get("id") == self.config.bot_id
        picked = event == "message_updated" and own and self._input(body, event) is not None
        if mtype not in ("incoming", 0) and not picked:
            # an agent's public reply takes a waiting hand-off; the bot's own messages are ignored
            if not own and sender.get("type") == "user" and waiting and not body.get("private"):
                await self._signal(key, address, conv_id, "taken")
            self._count(kind, "ignored")
            return
        mid = _id(body.get("id"))
        if mid is None:
            self._count(kind, "ignored")
            return
        inp = self._input(body, event)
        if inp is None:
            self._count(kind, "ignored")
            return
        norm = normalize(inp.text[:200]) if isinstance(inp, Text) else ""
        withdrawal = waiting and norm in WITHDRAW_WORDS
        # データ削除 is the person's right whoever has the conversation: it must not be swallowed
        forget = stored is not None and COMMAND_WORDS.get(norm) is CommandName.FORGET
        if status != BOT_STATUS and not withdrawal and not forget:
            # people have the conversation: silent, except a withdrawal of a hand-off not yet taken
            # and a deletion of the person's data
            self._count(kind, "human")
            return
        if event == "message_created":
            if mid < self._newest.get(address, 0):
                self._count(kind, "out_of_order")
                return
            self._newest[address] = mid
        event_id = f"{event}:{mid}" if event == "message_created" else \
            f"{event}:{mid}:{inp.choice_id if isinstance(inp, Pick) else ''}"
        handled = await self.conversations.handle(PLATFORM, address, inp, event_id=event_id)
        if handled.duplicate:
            self._count(kind, "duplicate")
            return
        self._count(kind, "handled")
        locale = handled.session.locale if handled.session is not None else "ja"
        await self.send(conv_id, handled.replies, locale)
        await self.desk.dispatch(PLATFORM, handled, address)

    async def _signal(self, key: str, address: str, conv_id: int, kind: str) -> None:
        """Feed ``HandoffSignal(kind)`` through the shared store (any replica may get the webhook)."""
        handled = await self.conversations.handle_key(PLATFORM, key, HandoffSignal(kind))  # type: ignore[arg-type]
        if handled.handoffs:
            await self.send(conv_id, handled.replies, handled.session.locale if handled.session else "ja")
            rec = self.desk.record_of(key)
            if rec is not None and kind == "taken":
                rec.deadline = None
            await self.desk.dispatch(PLATFORM, handled, address)

    @staticmethod
    def _input(body: dict[str, Any], event: str) -> Input | None:
        raw_attrs = body.get("content_attributes")
        attrs: dict[str, Any] = raw_attrs if isinstance(raw_attrs, dict) else {}
        if event == "message_updated":  # an input_select option the person picked (on the bot's message)
            values = attrs.get("submitted_values")
            if isinstance(values, list) and values and isinstance(values[0], dict):
                parts = str(values[0].get("value", "")).split("|")
                if len(parts) == 3:
                    return Pick(*parts)
            return None
        content = body.get("content")
        if isinstance(content, str) and content.strip():
            return Text(content)
        if body.get("attachments"):
            return Unsupported("file")
        return None


def _id(value: object) -> int | None:
    """A Chatwoot id (a positive JSON integer), else None — ``true`` is not 1, ``"7"`` and ``7.0`` are not ids."""
    return value if type(value) is int and value > 0 else None


_EVENTS = frozenset({"message_created", "message_updated", "conversation_opened", "conversation_resolved",
                     "webwidget_triggered", "conversation_status_changed", "conversation_created",
                     "conversation_updated"})
"""Chatwoot event names counted by name; anything else is counted as ``other``."""


def setup(app: web.Application) -> None:
    """Plug Chatwoot into the app (see :mod:`bot.app`): ``POST /chatwoot/webhook/{secret}``.

    Raises:
        ValueError: when a CHATWOOT_* setting is missing or the secret is shorter than 16 characters.
    """
    from bot.app import CONVERSATIONS_KEY, DESK_KEY, METRICS_KEY, SETTINGS_KEY

    s = app[SETTINGS_KEY]
    if not (s.chatwoot_url and s.chatwoot_bot_token and s.chatwoot_webhook_secret and s.chatwoot_account_id
            and s.chatwoot_inbox_id):
        raise ValueError("Chatwoot needs CHATWOOT_URL, CHATWOOT_BOT_TOKEN, CHATWOOT_WEBHOOK_SECRET, "
                         "CHATWOOT_ACCOUNT_ID and CHATWOOT_INBOX_ID")
    config = ChatwootConfig(s.chatwoot_url, s.chatwoot_bot_token.get_secret_value(),
                            s.chatwoot_webhook_secret.get_secret_value(), s.chatwoot_account_id,
                            s.chatwoot_inbox_id, s.chatwoot_bot_id)
    adapter = ChatwootAdapter(config, app[CONVERSATIONS_KEY], app[DESK_KEY], app[METRICS_KEY])
    app.cleanup_ctx.append(adapter.client_ctx)
    app.router.add_post("/chatwoot/webhook/{secret}", adapter.webhook)
