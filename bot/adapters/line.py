"""LINE Messaging API adapter: the webhook, event mapping, rendering and sending.

This is the only module that imports ``linebot`` (line-bot-sdk v3).

Request handling (``POST /line/webhook``):

1. No ``X-Line-Signature`` header → 400. A body over 1 MiB → 413 (``Content-Length`` checked
   before reading; the read itself is capped by the app's ``client_max_size``).
2. The raw bytes are decoded as UTF-8 (not UTF-8 → 400) and given with the signature to
   :class:`linebot.v3.webhook.WebhookParser`, which checks the HMAC-SHA256 over exactly those
   bytes. A wrong signature → 400; malformed JSON or an event the SDK cannot parse (e.g. no
   ``webhookEventId``) → 400. Nothing is processed for a 400/413.
3. Events are grouped by chat (user, group or room). The events of one chat are handled one at a
   time in timestamp order; different chats are handled concurrently (``asyncio.gather``). An
   in-process keyed lock also serialises one user's events across concurrent requests (reply
   included), and the store's per-user lock does so across processes.
4. Events are processed inside the request, and the answer (200) is sent when they are done — or
   after :data:`RESPONSE_BUDGET` seconds, whichever is first: slower work (a slow store or API)
   goes on in the background and is drained when the app stops. Reply tokens live about a minute,
   so this is always in time. When the store fails within the budget the answer is 500 so that
   LINE's redelivery (if enabled) can try again; events already handled are then skipped as
   duplicates by their ``webhookEventId``.

Exactly once: a message event's replies are rendered inside the store's step and committed with
the event id and the new session as the event's *outbox* (:meth:`bot.service.Conversations.handle`
with ``render``); the outbox is sent, then confirmed (:meth:`~bot.service.Conversations.sent`). A
redelivery of an event whose outbox was not confirmed (the process died, the send failed
transiently) sends it again: the reply token first — a refusal within
:data:`REPLY_TOKEN_USED_WITHIN` seconds of the first send means the first send got through —,
then pushes, each with an ``X-Line-Retry-Key`` fixed by the outbox, so LINE drops a push it had
already accepted (409). A redelivery of an event that was sent changes nothing and sends nothing.
When the replies could not be delivered for a transient reason the webhook answers 500 (LINE
redelivers); a permanent refusal (4xx on push) is counted as undelivered and not retried.

Rendering and sending: :func:`render` turns the neutral replies into the Messaging API's message
JSON within LINE's limits (≤5 messages per call, quick replies ≤13 with labels ≤20 UTF-16 units or a
numbered list, Flex carousels of contact cards with ``tel:`` buttons and an open-now line, texts
split at 5,000 UTF-16 units); the SDK's client (created and closed in the app's ``cleanup_ctx``)
posts it. A failed reply (expired token, network) falls back to a push with ``X-Line-Retry-Key``
when ``LINE_PUSH_FALLBACK`` is on; API errors are counted and logged, never raised.

Any exception while handling one event is logged (type and place only) and counted, and the other
events go on.

Event mapping: text → :class:`~bot.engine.types.Text` (LINE emoji removed: :func:`strip_emojis`;
emoji alone → unsupported); postback → :class:`~bot.engine.types.Pick` (data from
:func:`postback_data`); follow → :class:`~bot.engine.types.Start`; unfollow → forget the user;
sticker/image/video/audio/location/file → :class:`~bot.engine.types.Unsupported`; messages,
postbacks and joins in a group or room → one short invitation to a 1:1 chat (at most once a day per
chat; nobody is screened in a group and no session is keyed on a group); everything else (unknown
event types, beacons, edits, unsend, standby mode…) is ignored; a message of a type the SDK does
not know yet, from a user, is answered as unsupported. Redelivered events (``webhookEventId``
seen before) change nothing and send nothing.

Privacy: message text, reply tokens and raw LINE ids are never logged; logs carry the keyed hash
of the user (:meth:`bot.service.Conversations.key`) at most.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import re
import ssl
import time
import traceback
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, unquote

import aiohttp
from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import AsyncApiClient, Configuration
from linebot.v3.messaging.exceptions import ApiException
from linebot.v3.models.events import UnknownEvent
from linebot.v3.webhook import WebhookParser
from linebot.v3.webhooks import (
    AudioMessageContent,
    FileMessageContent,
    FollowEvent,
    GroupSource,
    ImageMessageContent,
    JoinEvent,
    LocationMessageContent,
    MessageEvent,
    PostbackEvent,
    RoomSource,
    StickerMessageContent,
    TextMessageContent,
    UnfollowEvent,
    UserSource,
    VideoMessageContent,
)

from bot.adapters import Metrics
from bot.adapters.text import clip, split_text, utf16_len
from bot.contacts.model import Contact
from bot.contacts.phones import needs_manual_dial, tel_uri
from bot.contacts.render import card_details, shown_status
from bot.engine.types import (
    Ask,
    ChoiceView,
    ContactView,
    End,
    Input,
    Pick,
    Refer,
    Reply,
    Say,
    Session,
    Start,
    Text,
    Unsupported,
)
from bot.i18n import pick
from bot.service import Conversations
from bot.store.base import EVENT_TTL, KeyedLocks, StoreError

__all__ = [
    "MAX_BODY", "MAX_MESSAGES", "MAX_TEXT", "PLATFORM", "RESPONSE_BUDGET", "LineAdapter",
    "parse_postback", "plain_version", "postback_data", "render", "setup", "strip_emojis",
]

log = logging.getLogger("soudan.line")

PLATFORM = "line"
"""Platform name used for store keys, event-id namespaces and metrics labels."""

MAX_BODY = 1024 * 1024
"""Largest webhook body accepted, in bytes (1 MiB); larger → 413."""

MAX_MESSAGES = 5
"""Messages per reply or push call (Messaging API limit)."""

MAX_TEXT = 5000
"""Longest text message, in UTF-16 code units (Messaging API limit; one emoji counts 2)."""

MAX_QUICK_REPLY = 13
"""Quick-reply buttons per message (Messaging API limit)."""

MAX_LABEL = 20
"""Longest action label, in UTF-16 code units (the API counts characters; this is the safe side)."""

MAX_POSTBACK = 300
"""Longest postback data, in characters."""

MAX_DISPLAY_TEXT = 300
"""Longest ``displayText`` of a postback action, in characters."""

MAX_ALT_TEXT = 400
"""Longest ``altText`` of a Flex message, in UTF-16 code units."""

MAX_BUBBLES = 12
"""Bubbles per Flex carousel (Messaging API limit)."""

MAX_PHONE_BUTTONS = 3
"""Call buttons per contact card (every number is also listed as text)."""

RESPONSE_BUDGET = 5.0
"""Seconds the webhook waits for its events to be handled before answering 200 anyway."""

REPLY_PATH = "/v2/bot/message/reply"
PUSH_PATH = "/v2/bot/message/push"
PROFILE_PATH = "/v2/bot/profile/"
PROFILE_TIMEOUT = 2.0
"""Seconds to wait for the profile (language) on a follow event before greeting in Japanese."""

Msg = dict[str, Any]
"""A message object (or part of one) as the Messaging API's JSON."""

API_TIMEOUT = 10.0
"""Seconds allowed for one Messaging API call (the SDK's own default is 5 minutes)."""

DRAIN_TIMEOUT = 15.0
"""Seconds the app waits at shutdown for events still being handled in the background."""

INVITE_TTL = 24 * 3600.0
"""Seconds during which a group or room gets the 1:1 invitation at most once."""

REPLY_TOKEN_USED_WITHIN = 30.0
"""Seconds after a first send during which a resend whose reply is refused (400) counts the reply as
made by that first send (a reply token is single-use, and lives at least about this long): the
first attempt died after LINE had accepted it. Later, a refused token is taken as expired and the
messages are pushed."""

_UNSUPPORTED = {
    StickerMessageContent: "sticker", ImageMessageContent: "image", VideoMessageContent: "video",
    AudioMessageContent: "audio", LocationMessageContent: "location", FileMessageContent: "file",
}

_WORDS: dict[str, dict[str, str]] = {
    "ja": {
        "steps": "これからできること",
        "call": "電話",
        "call_short": "電話する",
        "web": "ウェブサイト",
        "form": "相談フォーム",
        "line": "LINEで相談",
        "chat": "チャットで相談",
        "numbered_hint": "番号を送って答えることもできます。",
        "numbered_only": "答えの番号を送ってください。",
        "free": "無料",
        "navi-dial": "ナビダイヤル・通話料有料",
        "charged": "通話料有料",
        "manual": "「#」で始まる番号は、電話アプリで番号を入力して発信してください（ボタンが使えない機種があります）。",
        "alt": "相談窓口",
        "more": "ほか",
        "group": "グループやトークルームでは相談をお受けしていません。このアカウントと1対1のトークで話しかけて"
                 "ください（書いた内容は保存しません）。いま危険なときは110番へ。\n"
                 "For a private consultation, please talk to this account one-to-one.",
    },
    "en": {
        "steps": "What you can do next",
        "call": "Call",
        "call_short": "Call",
        "web": "Website",
        "form": "Contact form",
        "line": "Talk on LINE",
        "chat": "Chat",
        "numbered_hint": "You can also answer by sending the number.",
        "numbered_only": "Please send the number of your answer.",
        "free": "free",
        "navi-dial": "Navi Dial, charged",
        "charged": "charged",
        "manual": "Numbers starting with # may need to be dialled by hand (the button does not work on some phones).",
        "alt": "Where to get help",
        "more": "and more",
        "group": "For a private consultation, please talk to this account one-to-one. "
                 "If you are in danger now, call 110.",
    },
}


def _w(key: str, locale: str) -> str:
    return (_WORDS.get(locale) or _WORDS["ja"])[key]


# ------------------------------------------------------------------ postback data

_PLAIN = re.compile(r"[A-Za-z0-9_.:~-]*")


def postback_data(choice_id: str, state_id: str, conversation_id: str) -> str:
    """Postback data of a choice button: ``c=<choice>&s=<state>&v=<conversation>``.

    Values are percent-encoded, so ids with any characters round-trip through
    :func:`parse_postback`. A rich-menu button may send just ``c=:restart`` (a command).

    Returns:
        The data string; callers check it against :data:`MAX_POSTBACK` (300 characters).
    """
    if _PLAIN.fullmatch(choice_id) and _PLAIN.fullmatch(state_id) and _PLAIN.fullmatch(conversation_id):
        return f"c={choice_id}&s={state_id}&v={conversation_id}"  # the usual case: nothing to encode
    q = "-_.:~"
    return f"c={quote(choice_id, safe=q)}&s={quote(state_id, safe=q)}&v={quote(conversation_id, safe=q)}"


def strip_emojis(text: str, emojis: Sequence[Any] | None) -> str:
    """``text`` without its LINE emoji, each replaced by a space.

    In a webhook, a LINE emoji stands in the text as a substitute such as ``(hello)`` (``$`` in
    some clients), located by the message's ``emojis`` array: ``index`` and ``length`` in UTF-16
    code units. Left in, ``(hello)はい`` would read as ``helloはい`` and match no answer. An entry
    that is out of range, overlaps another or would cut a surrogate pair is ignored.

    Args:
        text: the message text.
        emojis: the SDK's ``Emoji`` objects (``index``, ``length``), or None.

    Returns:
        The text with every valid emoji span replaced by one space.
    """
    if not emojis:
        return text
    units = text.encode("utf-16-le", "surrogatepass")
    n = len(units) // 2

    def inside_pair(i: int) -> bool:
        return 0 < i < n and 0xDC00 <= int.from_bytes(units[2 * i:2 * i + 2], "little") <= 0xDFFF \
            and 0xD800 <= int.from_bytes(units[2 * i - 2:2 * i], "little") <= 0xDBFF

    spans = sorted((e.index, e.index + e.length) for e in emojis
                   if isinstance(getattr(e, "index", None), int) and isinstance(getattr(e, "length", None), int)
                   and e.index >= 0 and e.length > 0 and e.index + e.length <= n)
    out: list[bytes] = []
    pos = 0
    for a, b in spans:
        if a < pos or inside_pair(a) or inside_pair(b):
            continue
        out += [units[2 * pos:2 * a], " ".encode("utf-16-le")]
        pos = b
    out.append(units[2 * pos:])
    return b"".join(out).decode("utf-16-le", "surrogatepass")


def parse_postback(data: str) -> Pick:
    """The :class:`Pick` a postback carries.

    Data that is not ours (longer than 300 characters, unknown fields, a rich menu of another
    tool) gives a pick with empty ids, which the engine treats as a stale button: it shows the
    current question again, never jumps.
    """
    if len(data) > MAX_POSTBACK:
        return Pick("", "", "")
    fields: dict[str, str] = {}
    for part in data.split("&")[:8]:
        k, _, v = part.partition("=")
        if k in ("c", "s", "v") and k not in fields:
            fields[k] = unquote(v)
    return Pick(fields.get("c", ""), fields.get("s", ""), fields.get("v", ""))


# ------------------------------------------------------------------ rendering

@dataclass
class _TextPart:
    text: str


@dataclass
class _CardsPart:
    views: list[ContactView]


_Part = _TextPart | _CardsPart


def _choice_block(choices: Sequence[ChoiceView]) -> str:
    return "\n".join(f"{i}. {c.label}" for i, c in enumerate(choices, 1))


def _postback_item(label: str, data: str, shown: str) -> Msg:
    return {"type": "action", "action": {"type": "postback", "label": label, "data": data, "displayText": shown}}


def _quick_reply(ask: Ask, locale: str) -> tuple[str, Msg | None]:
    """The text of a question and its quick-reply buttons.

    Every choice fits (≤13, labels ≤20 UTF-16 units, postback data ≤300) → one button per choice
    with its label. Otherwise the choices are listed, numbered, in the text, and the buttons are
    "1".."n" (when n ≤ 13) whose ``displayText`` is the full label; with more than 13 choices the
    list asks for a number and there are no buttons. Nothing is cut.
    """
    datas = [postback_data(c.id, ask.state_id, ask.conversation_id) for c in ask.choices]
    if not ask.choices:
        return ask.text, None
    fits = (len(ask.choices) <= MAX_QUICK_REPLY and all(utf16_len(c.label) <= MAX_LABEL for c in ask.choices)
            and all(len(d) <= MAX_POSTBACK for d in datas)
            and all(len(c.label) <= MAX_DISPLAY_TEXT for c in ask.choices))
    if fits:
        return ask.text, {"items": [_postback_item(c.label, d, c.label) for c, d in zip(ask.choices, datas, strict=True)]}
    if len(ask.choices) > MAX_QUICK_REPLY:
        return f"{ask.text}\n\n{_choice_block(ask.choices)}\n\n{_w('numbered_only', locale)}", None
    items: list[Msg] = []
    for i, (c, d) in enumerate(zip(ask.choices, datas, strict=True), 1):
        if len(d) <= MAX_POSTBACK:
            shown = c.label if len(c.label) <= MAX_DISPLAY_TEXT else str(i)
            items.append(_postback_item(str(i), d, shown))
        else:  # ids too long for postback data: send the number as text (the engine reads numbers)
            items.append({"type": "action", "action": {"type": "message", "label": str(i), "text": str(i)}})
    return f"{ask.text}\n\n{_choice_block(ask.choices)}\n\n{_w('numbered_hint', locale)}", {"items": items}


def _status_line(view: ContactView, locale: str, now: dt.datetime | None = None) -> str | None:
    """The open-now line of a card (:func:`bot.contacts.render.shown_status`, per channel), or
    None when the card's hours already say it."""
    return shown_status(view.contact, view.status, locale)


def _phone_text(contact: Contact, locale: str) -> list[str]:
    lines = []
    for p in contact.phones:
        extra = [pick(p.label, locale)] if p.label else []
        if p.cost:
            extra.append(_w(p.cost, locale))
        lines.append(f"☎ {p.number}" + (f"（{'、'.join(extra)}）" if extra and locale == "ja" else
                                        f" ({', '.join(extra)})" if extra else ""))
    return lines


def _web_channel(contact: Contact) -> tuple[str, str] | None:
    for ch in contact.channels:
        if ch.url.startswith(("https://", "http://")):
            return ch.kind, ch.url
    return None


def _text(text: str, **style: Any) -> Msg:
    return {"type": "text", "text": text, **style}


def _texts(*items: tuple[str | None, dict[str, Any]]) -> list[Msg]:
    """Flex text components for the non-blank strings only: LINE answers 400 to an empty ``text``."""
    return [_text(t, **style) for t, style in items if t is not None and t.strip()]


def _button(label: str, uri: str, style: str) -> Msg:
    return {"type": "button", "style": style, "height": "sm", "action": {"type": "uri", "label": label, "uri": uri}}


def _bubble(view: ContactView, locale: str, now: dt.datetime | None = None) -> Msg:
    """One contact card (a Flex bubble as JSON)."""
    c = view.contact
    st = view.status
    color = {"open": "#1B7F3B", "24h": "#1B7F3B", "closed": "#B00020"}.get(str(st.kind), "#555555")
    body: list[Msg] = _texts(
        (pick(c.name, locale), {"size": "md", "weight": "bold", "wrap": True}),
        (pick(c.org, locale), {"size": "xs", "color": "#888888", "wrap": True}),
        (_status_line(view, locale, now), {"size": "sm", "color": color, "weight": "bold", "wrap": True}),
        (pick(c.hours_text, locale), {"size": "xs", "color": "#555555", "wrap": True}),
    )
    phones = _phone_text(c, locale)
    if phones:
        body.append({"type": "separator", "margin": "md"})
        body.extend(_texts(*((line, {"size": "sm", "wrap": True, "margin": "sm"}) for line in phones)))
    if any(needs_manual_dial(p.number) for p in c.phones):
        body.append(_text(_w("manual", locale), size="xxs", color="#888888", wrap=True))
    # who may use it, the cost, mail addresses as text (LINE cannot open mailto:) and caveats
    body.extend(_texts(*((line, {"size": "xxs", "color": "#555555", "wrap": True})
                         for line in card_details(c, locale))))
    buttons: list[Msg] = []
    for i, p in enumerate(c.phones[:MAX_PHONE_BUTTONS]):
        label = f"{_w('call', locale)} {p.number}"
        if utf16_len(label) > MAX_LABEL:
            label = clip(_w("call_short", locale) if utf16_len(p.number) > MAX_LABEL else p.number, MAX_LABEL)
        buttons.append(_button(label, tel_uri(p.number), "primary" if i == 0 else "secondary"))
    web_ch = _web_channel(c)
    if web_ch is not None:
        kind, url = web_ch
        buttons.append(_button(_w(kind if kind in ("form", "line", "chat") else "web", locale), url, "link"))
    bubble: Msg = {"type": "bubble", "size": "kilo",
                   "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": body}}
    if buttons:
        bubble["footer"] = {"type": "box", "layout": "vertical", "spacing": "sm", "contents": buttons}
    return bubble


def _alt_text(views: Sequence[ContactView], locale: str) -> str:
    """``altText`` of a card carousel: names and numbers, at most :data:`MAX_ALT_TEXT` units."""
    head = _w("alt", locale) + ": "
    parts = []
    for v in views:
        nums = " ".join(p.number for p in v.contact.phones)
        parts.append(pick(v.contact.name, locale) + (f" {nums}" if nums else ""))
    text = head + " / ".join(parts)
    if utf16_len(text) <= MAX_ALT_TEXT:
        return text
    tail = f" / {_w('more', locale)}"
    out = head
    for i, p in enumerate(parts):
        cand = out + (" / " if i else "") + p
        if utf16_len(cand + tail) > MAX_ALT_TEXT:
            break
        out = cand
    if out == head:  # even the first entry is too long
        return clip(text, MAX_ALT_TEXT)
    return out + tail


def _parts(replies: Sequence[Reply], locale: str) -> tuple[list[_Part], Msg | None]:
    parts: list[_Part] = []
    quick: Msg | None = None
    last = len(replies) - 1
    for n, r in enumerate(replies):
        if isinstance(r, Say | End):
            parts.append(_TextPart(r.text))
        elif isinstance(r, Ask):
            if n == last:
                text, quick = _quick_reply(r, locale)
                parts.append(_TextPart(text))
            else:  # not the last reply: buttons would not show, so list the choices
                parts.append(_TextPart(f"{r.text}\n\n{_choice_block(r.choices)}" if r.choices else r.text))
        elif isinstance(r, Refer):
            if r.text:
                parts.append(_TextPart(r.text))
            views = list(r.contacts)
            for i in range(0, len(views), MAX_BUBBLES):
                parts.append(_CardsPart(views[i:i + MAX_BUBBLES]))
            if r.steps:
                lines = "\n".join(f"{i}. {s}" for i, s in enumerate(r.steps, 1))
                parts.append(_TextPart(f"{_w('steps', locale)}\n{lines}"))
    return parts, quick


def _count(parts: Sequence[_Part]) -> int:
    return sum(len(split_text(p.text, MAX_TEXT)) if isinstance(p, _TextPart) else 1 for p in parts)


def render(replies: Sequence[Reply], locale: str = "ja", now: dt.datetime | None = None) -> list[list[Msg]]:
    """Render neutral replies as LINE message objects (JSON), in batches of at most :data:`MAX_MESSAGES`.

    Says, Ends and questions become text messages; a referral becomes its lead text, a Flex
    carousel of contact cards (≤12 per carousel) and a text with the next steps. Adjacent texts are
    merged (blank line between) while there are more than 5 messages; texts longer than 5,000
    UTF-16 units are split (:func:`bot.adapters.text.split_text`). The quick reply of the last question goes on the
    last message. Nothing is ever dropped: what does not fit in 5 messages goes into further
    batches (sent by push after the reply).

    Args:
        replies: the engine's replies, in order.
        locale: ``"ja"`` or ``"en"`` for the adapter's own words (labels, status lines).
        now: the instant of the step (aware), so a closing time on another day shows its date.

    Returns:
        Batches of 1–5 message objects, exactly as the Messaging API takes them (the same JSON the
        SDK's models serialise to; tests check them against those models); the first batch is for
        the reply call. Empty when ``replies`` is.
    """
    parts, quick = _parts(replies, locale)
    while _count(parts) > MAX_MESSAGES:
        for i in range(len(parts) - 1):
            a, b = parts[i], parts[i + 1]
            if isinstance(a, _TextPart) and isinstance(b, _TextPart):
                parts[i:i + 2] = [_TextPart(f"{a.text}\n\n{b.text}")]
                break
        else:
            break
    messages: list[Msg] = []
    for p in parts:
        if isinstance(p, _TextPart):
            messages.extend({"type": "text", "text": chunk} for chunk in split_text(p.text, MAX_TEXT) if chunk)
        else:
            messages.append({"type": "flex", "altText": _alt_text(p.views, locale),
                             "contents": {"type": "carousel", "contents": [_bubble(v, locale, now) for v in p.views]}})
    if quick is not None and messages:
        messages[-1]["quickReply"] = quick
    return [messages[i:i + MAX_MESSAGES] for i in range(0, len(messages), MAX_MESSAGES)]


def _flex_lines(node: Any) -> list[str]:
    """The texts of a Flex container in reading order, and each URI button as 「label: uri」."""
    if isinstance(node, list):
        return [t for v in node for t in _flex_lines(v)]
    if not isinstance(node, dict):
        return []
    if node.get("type") == "text":
        text = node.get("text")
        return [text] if isinstance(text, str) and text.strip() else []
    if node.get("type") == "button":
        action = node.get("action") or {}
        uri = action.get("uri", "")
        return [f"{action.get('label', '')}: {uri}"] if uri.startswith(("https://", "http://")) else []
    if node.get("type") == "carousel":
        return [line for bubble in node.get("contents", []) for line in [*_flex_lines(bubble), ""]]
    return [t for key in ("header", "hero", "body", "footer", "contents") if key in node
            for t in _flex_lines(node[key])]


def plain_version(messages: Sequence[Msg]) -> list[Msg]:
    """A plain-text version of a reply, for when LINE refuses the rich one (HTTP 400).

    Flex cards become their texts (names, status, hours, numbers, who may use them) and their web
    links; quick-reply buttons become a numbered list (the engine understands the numbers); blank
    texts are dropped. At most :data:`MAX_MESSAGES` text messages, each within LINE's limit.
    """
    texts: list[str] = []
    for m in messages:
        if m.get("type") == "flex":
            body = "\n".join(_flex_lines(m.get("contents"))).strip()
        else:
            body = str(m.get("text") or "").strip()
        items = (m.get("quickReply") or {}).get("items") or []
        labels = [str((i.get("action") or {}).get("label", "")) for i in items]
        if labels and not body.endswith(labels[-1]):
            body = (body + "\n\n" + "\n".join(f"{n}. {lab}" for n, lab in enumerate(labels, 1))).strip()
        if body:
            texts.extend(split_text(body, MAX_TEXT))
    if len(texts) > MAX_MESSAGES:
        texts = [*texts[:MAX_MESSAGES - 1], clip("\n\n".join(texts[MAX_MESSAGES - 1:]), MAX_TEXT)]
    return [{"type": "text", "text": t} for t in texts] or [{"type": "text", "text": "…"}]


def group_invite(locale: str = "ja") -> list[Msg]:
    """The one short message sent to a group or room: talk to the account 1:1 instead."""
    return [{"type": "text", "text": _w("group", locale)}]


# ------------------------------------------------------------------ events

Action = Literal["input", "forget", "invite", "ignore"]


@dataclass
class _Job:
    """One webhook event, reduced to what the adapter needs (raw ids live only in memory)."""

    kind: str
    action: Action
    chat: str
    timestamp: int
    event_id: str | None
    reply_token: str | None = None
    user_id: str | None = None
    inp: Input | None = None


EVENT_TYPES = frozenset({
    "message", "unsend", "follow", "unfollow", "join", "leave", "memberJoined", "memberLeft", "postback",
    "videoPlayComplete", "beacon", "accountLink", "things", "module", "activated", "deactivated",
    "botSuspended", "botResumed", "membership", "pnpDeliveryCompletion",
})
"""Webhook event types of the Messaging API reference; any other type is counted as ``other``."""

MESSAGE_TYPES = frozenset({"text", "image", "video", "audio", "file", "location", "sticker"})
"""Message types of the Messaging API reference; any other is counted as ``message.other``."""


def event_kind(etype: object, mtype: object = None) -> str:
    """The ``type`` label of ``soudan_events_total`` for a LINE event: ``follow``,
    ``message.text``… A type outside :data:`EVENT_TYPES` / :data:`MESSAGE_TYPES` (a new one, or
    anything a signed body may carry) becomes ``other`` / ``message.other``, so a label value is
    always one of a known set."""
    if etype == "message":
        return f"message.{mtype if isinstance(mtype, str) and mtype in MESSAGE_TYPES else 'other'}"
    return etype if isinstance(etype, str) and etype in EVENT_TYPES else "other"


def _kind(event: Any) -> str:
    etype = str(getattr(getattr(event, "type", None), "value", getattr(event, "type", None)))
    if isinstance(event, MessageEvent):
        return event_kind("message", str(getattr(event.message, "type", "")))
    return event_kind(etype)


def _unknown_message(raw: Any, index: int) -> _Job | None:
    """A user's message the SDK could not parse (a new message type): answer it as unsupported."""
    if not isinstance(raw, dict) or raw.get("type") != "message" or raw.get("mode", "active") != "active":
        return None
    src, msg = raw.get("source"), raw.get("message")
    uid = src.get("userId") if isinstance(src, dict) and src.get("type") == "user" else None
    mtype = msg.get("type") if isinstance(msg, dict) else None
    eid, token, ts = raw.get("webhookEventId"), raw.get("replyToken"), raw.get("timestamp")
    if not (isinstance(uid, str) and uid and isinstance(eid, str) and eid):
        return None
    return _Job(event_kind("message", mtype),
                "input", f"user:{uid}", ts if isinstance(ts, int) else 0, eid,
                reply_token=token if isinstance(token, str) else None, user_id=uid, inp=Unsupported("unknown"))


def _job(event: Any, index: int, raw: Any = None) -> _Job:
    """Map one parsed SDK event to a job (pure; never raises for a parsed event).

    Args:
        event: the SDK event.
        index: its position in the body (groups ignored events apart).
        raw: the event's JSON object, given for :class:`UnknownEvent` only.
    """
    if isinstance(event, UnknownEvent):
        return _unknown_message(raw, index) or _Job(_kind(event), "ignore", f"x:{index}", 0, None)
    kind = _kind(event)
    ts = int(getattr(event, "timestamp", 0) or 0)
    eid = getattr(event, "webhook_event_id", None)
    token = getattr(event, "reply_token", None)
    src = getattr(event, "source", None)
    mode = getattr(event, "mode", None)
    if str(getattr(mode, "value", mode)) == "standby":  # another channel is active (module mode)
        return _Job(kind, "ignore", f"x:{index}", ts, eid)
    if isinstance(src, GroupSource | RoomSource):
        chat_id = src.group_id if isinstance(src, GroupSource) else src.room_id
        if chat_id and isinstance(event, MessageEvent | PostbackEvent | JoinEvent):
            return _Job(kind, "invite", f"{src.type}:{chat_id}", ts, eid, reply_token=token)
        return _Job(kind, "ignore", f"x:{index}", ts, eid)
    uid = src.user_id if isinstance(src, UserSource) else None
    if not uid:
        return _Job(kind, "ignore", f"x:{index}", ts, eid)
    chat = f"user:{uid}"
    inp: Input | None = None
    if isinstance(event, MessageEvent):
        msg = event.message
        if isinstance(msg, TextMessageContent):
            text = strip_emojis(msg.text or "", msg.emojis)
            inp = Text(text) if text.strip() or not msg.emojis else Unsupported("emoji")
        else:
            kind_name = next((v for t, v in _UNSUPPORTED.items() if isinstance(msg, t)), None)
            inp = Unsupported(kind_name) if kind_name else None
    elif isinstance(event, PostbackEvent):
        inp = parse_postback(event.postback.data or "")
    elif isinstance(event, FollowEvent):
        inp = Start()
    elif isinstance(event, UnfollowEvent):
        return _Job(kind, "forget", chat, ts, eid, user_id=uid)
    if inp is None:
        return _Job(kind, "ignore", f"x:{index}", ts, eid)
    return _Job(kind, "input", chat, ts, eid, reply_token=token, user_id=uid, inp=inp)


# ------------------------------------------------------------------ the adapter

class Undelivered(Exception):
    """An event's replies were committed but could not be delivered now (network, 5xx)."""

_PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "ws_proxy", "wss_proxy", "netrc")


def _env_needed() -> bool:
    """True when proxy variables or a ``.netrc`` could change how the API is reached."""
    if any(os.environ.get(v) or os.environ.get(v.upper()) for v in _PROXY_VARS):
        return True
    try:
        return (Path.home() / ".netrc").exists()
    except (OSError, RuntimeError):  # no home directory
        return True


async def _without_env_lookups(client: AsyncApiClient, cfg: Configuration) -> None:
    """Give the SDK client an HTTP session without per-request environment lookups.

    The SDK's aiohttp session is made with ``trust_env=True``: every API call then runs two
    thread-pool jobs (proxy variables and ``~/.netrc``), a large part of a reply's cost under
    load. When no proxy variable and no ``.netrc`` exist, those lookups can only find nothing, so
    the session is replaced by an identical one (same connection limit and TLS settings) without
    them. With a proxy configured the SDK's session is kept as it is. If the SDK's internals
    change shape, nothing is replaced.
    """
    rest = getattr(client, "rest_client", None)
    old = getattr(rest, "pool_manager", None)
    if rest is None or not isinstance(old, aiohttp.ClientSession) or _env_needed():
        return
    ssl_ctx = ssl.create_default_context(cafile=cfg.ssl_ca_cert)
    if cfg.cert_file:
        ssl_ctx.load_cert_chain(cfg.cert_file, keyfile=cfg.key_file)
    connector = aiohttp.TCPConnector(limit=cfg.connection_pool_maxsize, ssl=ssl_ctx)
    rest.pool_manager = aiohttp.ClientSession(connector=connector, trust_env=False)
    await old.close()


@dataclass
class LineAdapter:
    """The LINE webhook of one application.

    Args:
        channel_secret: the channel secret (signature key).
        access_token: the channel access token.
        conversations: the shared :class:`~bot.service.Conversations`.
        metrics: the app's :class:`~bot.adapters.Metrics`.
        api_base: Messaging API host (``https://api.line.me`` when None); a local fake in tests.
        push_fallback: push the messages when the reply call fails (e.g. expired reply token).
        budget: seconds to wait for the events before answering 200 (see :data:`RESPONSE_BUDGET`).

    Attributes:
        client: the SDK's ``AsyncApiClient`` while the app runs (None before start and after stop).

    Raises:
        ValueError: if the secret or the token is empty.
    """

    channel_secret: str
    access_token: str
    conversations: Conversations
    metrics: Metrics
    api_base: str | None = None
    push_fallback: bool = True
    budget: float = RESPONSE_BUDGET
    client: AsyncApiClient | None = None
    _tasks: set[asyncio.Task[bool]] = field(default_factory=set)
    _locks: KeyedLocks = field(default_factory=KeyedLocks)

    def __post_init__(self) -> None:
        if not self.channel_secret or not self.access_token:
            raise ValueError("LINE needs both LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN")
        self.parser = WebhookParser(self.channel_secret)
        self._counters: dict[tuple[str, str], Any] = {}
        self._step = self.metrics.step_seconds.labels(PLATFORM)
        self._messages = self.metrics.messages.labels(PLATFORM)

    def _sent(self, method: str, n: int) -> None:
        c = self._counters.get(("sent", method))
        if c is None:
            c = self._counters[("sent", method)] = self.metrics.replies.labels(PLATFORM, method)
        c.inc()
        self._messages.inc(n)

    def _event(self, kind: str, outcome: str) -> None:
        """Count one event (label children cached: ``labels()`` is a locked lookup)."""
        c = self._counters.get((kind, outcome))
        if c is None:
            c = self._counters[(kind, outcome)] = self.metrics.events.labels(PLATFORM, kind, outcome)
        c.inc()

    # -------------------------------------------------------------- lifecycle

    async def client_ctx(self, app: web.Application) -> AsyncIterator[None]:
        """``cleanup_ctx`` hook: create the API client in the running loop; drain and close it at exit."""
        cfg = Configuration(host=self.api_base, access_token=self.access_token) if self.api_base else \
            Configuration(access_token=self.access_token)
        client = AsyncApiClient(cfg)
        await _without_env_lookups(client, cfg)
        self.client = client
        try:
            yield
        finally:
            await self.drain()
            self.client = None
            await client.close()

    async def drain(self, timeout: float = DRAIN_TIMEOUT) -> None:
        """Wait (up to ``timeout`` seconds) for events still being handled in the background."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    # -------------------------------------------------------------- HTTP

    def _answer(self, status: int, text: str) -> web.Response:
        c = self._counters.get(("http", str(status)))
        if c is None:
            c = self._counters[("http", str(status))] = self.metrics.requests.labels(PLATFORM, str(status))
        c.inc()
        return web.Response(status=status, text=text)

    async def webhook(self, request: web.Request) -> web.Response:
        """``POST /line/webhook``: verify, parse, handle the events, answer (see the module doc)."""
        signature = request.headers.get("X-Line-Signature")
        if not signature:
            return self._answer(400, "missing X-Line-Signature")
        if request.content_length is not None and request.content_length > MAX_BODY:
            return self._answer(413, "body too large (max 1 MiB)")
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._answer(413, "body too large (max 1 MiB)")
        except RequestPayloadError:  # e.g. "Content-Encoding: gzip" over bytes that are not gzip
            request.content.feed_eof()  # aiohttp must not drain the broken body (and log it again) …
            resp = self._answer(400, "body could not be read (Content-Encoding)")
            resp.force_close()  # … and the connection, its parser in an unknown state, is not reused
            return resp
        if len(raw) > MAX_BODY:
            return self._answer(413, "body too large (max 1 MiB)")
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            return self._answer(400, "body is not UTF-8")
        try:
            events = self.parser.parse(body, signature)
        except InvalidSignatureError:
            return self._answer(400, "invalid signature")
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
            # malformed JSON (RecursionError: nested too deep to parse) or an event the SDK rejects
            return self._answer(400, "malformed webhook body")
        if not isinstance(events, list):  # pragma: no cover - the SDK returns a list
            return self._answer(400, "malformed webhook body")
        raw_events: list[Any] = []
        if any(isinstance(e, UnknownEvent) for e in events):  # the SDK keeps no user id for these
            raw_events = json.loads(body).get("events") or []
        jobs = [_job(e, i, raw_events[i] if i < len(raw_events) else None) for i, e in enumerate(events)]
        for j in jobs:
            if j.action == "ignore":
                self._event(j.kind, "ignored")
        work = [j for j in jobs if j.action != "ignore"]
        if not work:
            return self._answer(200, "OK")
        task = asyncio.ensure_future(self.process(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        done, _ = await asyncio.wait({task}, timeout=self.budget)
        if task in done and not task.cancelled() and task.exception() is None and not task.result():
            return self._answer(500, "not every event was answered (store or LINE API unavailable); please redeliver")
        return self._answer(200, "OK")

    # -------------------------------------------------------------- processing

    async def process(self, jobs: Sequence[_Job]) -> bool:
        """Handle jobs: per chat one at a time in timestamp order, chats concurrently.

        Returns:
            False when the store failed for some job (the caller may ask for a redelivery).
        """
        chats: dict[str, list[_Job]] = {}
        for j in jobs:
            chats.setdefault(j.chat, []).append(j)
        groups = [sorted(js, key=lambda j: j.timestamp) for js in chats.values()]
        if len(groups) == 1:
            return await self._run_chat(groups[0])
        results = await asyncio.gather(*(self._run_chat(g) for g in groups))
        return all(results)

    async def _run_chat(self, jobs: Sequence[_Job]) -> bool:
        ok = True
        async with self._locks.hold(jobs[0].chat, timeout=60.0):
            for j in jobs:
                try:
                    await self._run(j)
                except StoreError as exc:
                    ok = False
                    self._event(j.kind, "error")
                    log.error("store failed on a LINE %s event: %s", j.kind, exc)
                except Undelivered:
                    ok = False
                    self._event(j.kind, "undelivered")
                except Exception as exc:  # never crash the webhook; never log the message (it may hold text)
                    self._event(j.kind, "error")
                    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
                    log.error("LINE %s event failed: %s at %s", j.kind, type(exc).__name__,
                              f"{frame.filename}:{frame.lineno}" if frame else "?")
        return ok

    async def _run(self, j: _Job) -> None:
        conv = self.conversations
        if j.action == "invite":
            store = conv.store
            if j.event_id is not None and not await store.mark_event(f"{PLATFORM}:{j.event_id}", EVENT_TTL):
                self._event(j.kind, "duplicate")
                return
            first = await store.mark_event(f"{PLATFORM}:invite:{conv.key('line-chat', j.chat)}", INVITE_TTL)
            self._event(j.kind, "group")
            if first and j.reply_token:
                await self._deliver(j.reply_token, None, [group_invite()], None)
            return
        assert j.user_id is not None
        if j.action == "forget":  # the event id and the deletion are committed together
            if not await conv.forget(PLATFORM, j.user_id, event_id=j.event_id):
                self._event(j.kind, "duplicate")
                return
            self._event(j.kind, "forgotten")
            log.info("LINE unfollow: forgot %s", conv.key(PLATFORM, j.user_id))
            return
        assert j.inp is not None
        inp = j.inp
        if isinstance(inp, Start) and inp.locale is None:
            inp = Start(inp.flow_id, await self._profile_locale(j.user_id))
        now = conv.clock()

        def outbox(replies: list[Reply], session: Session | None) -> bytes:
            box = {"b": render(replies, session.locale if session is not None else "ja", now),
                   "k": uuid.uuid4().hex, "t": time.time()}
            return json.dumps(box, ensure_ascii=False, separators=(",", ":")).encode()

        handled = await conv.handle(PLATFORM, j.user_id, inp, event_id=j.event_id, now=now,
                                    render=outbox if j.event_id is not None else None)
        if handled.duplicate and handled.outbox is None:
            self._event(j.kind, "duplicate")
            return
        if handled.duplicate:
            self._event(j.kind, "resent")
        else:
            self._step.observe(handled.seconds)
            self._event(j.kind, "handled")
        key = lambda: conv.key(PLATFORM, j.user_id or "")  # noqa: E731 - computed only when logged
        if handled.outbox is None:  # no event id: nothing to confirm
            locale = handled.session.locale if handled.session is not None else "ja"
            batches = render(handled.replies, locale, now)
            if batches:
                await self._deliver(j.reply_token, j.user_id, batches, key)
            return
        box = json.loads(handled.outbox)
        result = "sent"
        if box["b"]:
            result = await self._deliver(j.reply_token, j.user_id, box["b"], key, retry_base=box["k"],
                                         resend=handled.resend, age=time.time() - float(box["t"]))
        assert j.event_id is not None
        if result == "retry":
            with contextlib.suppress(StoreError):  # else the lease runs out by itself
                await conv.unsent(PLATFORM, j.event_id)
            raise Undelivered("the replies could not be delivered now; LINE may redeliver the event")
        try:
            await conv.sent(PLATFORM, j.event_id)
        except StoreError as exc:  # delivered; a redelivery would find the reply token used
            log.warning("LINE: the reply was sent but could not be confirmed in the store: %s",
                        type(exc.__cause__ or exc).__name__)

    # -------------------------------------------------------------- sending

    async def _deliver(self, reply_token: str | None, user_id: str | None, batches: Sequence[list[Msg]],
                       key: Callable[[], str] | None, *, retry_base: str | None = None, resend: bool = False,
                       age: float = 0.0) -> Literal["sent", "gave-up", "retry"]:
        """Reply with the first batch; push the rest, or everything when the reply failed.

        Args:
            reply_token: the event's reply token, if any.
            user_id: the raw LINE user id for pushes (None for a group).
            batches: message batches (≤5 messages each), in order.
            key: gives the hashed user key for logs (computed only when something is logged).
            retry_base: 32 hex digits fixed by the outbox: the push of batch ``i`` carries the
                ``X-Line-Retry-Key`` derived from it and ``i`` (a resend reuses them); None: random.
            resend: True when these batches were committed earlier and may have been sent in part.
            age: seconds since the batches were first committed.

        Returns:
            ``"sent"`` (LINE accepted everything), ``"gave-up"`` (refused for good, or nothing to
            send with: counted as undelivered) or ``"retry"`` (a transient failure: worth a
            redelivery).
        """
        start = 0
        if reply_token:
            status = await self._reply(reply_token, batches[0])
            if status == 200 or (resend and status == 400 and age < REPLY_TOKEN_USED_WITHIN):
                start = 1  # 400 on a resend: the first attempt used the token before it died
        rest = list(batches[start:])
        if not rest:
            return "sent"
        if not (self.push_fallback and user_id):
            self.metrics.undelivered.labels(PLATFORM).inc()
            log.warning("LINE: %d message batch(es) for %s not delivered (push fallback %s)", len(rest),
                        key() if key else "a group", "enabled but no user id" if self.push_fallback else "disabled")
            return "gave-up"
        base = uuid.UUID(retry_base) if retry_base else uuid.uuid4()
        for i, batch in enumerate(rest, start):
            result = await self._push(user_id, batch, str(uuid.uuid5(base, str(i))))
            if result != "sent":
                self.metrics.undelivered.labels(PLATFORM).inc()
                log.warning("LINE: push to %s failed; messages not delivered%s", key() if key else "?",
                            " (will be sent again on a redelivery)" if result == "retry" else "")
                return result
        return "sent"

    def _api_error(self, operation: str, exc: BaseException) -> None:
        status = str(exc.status) if isinstance(exc, ApiException) and exc.status else "network"
        self.metrics.api_errors.labels(PLATFORM, operation, status).inc()
        log.warning("LINE %s failed: %s %s", operation, type(exc).__name__, status)

    async def _post(self, path: str, body: Msg, headers: dict[str, str] | None = None) -> None:
        """POST ``body`` (the API's JSON) to the Messaging API through the SDK's HTTP client.

        The SDK client supplies the host (``LINE_API_BASE`` or api.line.me), the
        ``Authorization``/``User-Agent`` headers, the connection pool, and raises its
        ``ApiException`` for a non-2xx answer. The body is built as JSON by :func:`render`: the
        SDK's pydantic models and its generic ``call_api`` (which walks every value of the body
        again) would cost more than the rest of the webhook together; the tests check every body
        against those models and LINE's limits instead.

        Raises:
            ApiException: for a non-2xx answer (``.status``, ``.body``).
            aiohttp.ClientError, TimeoutError: when the API cannot be reached in time.
        """
        client = self.client
        if client is None:
            raise RuntimeError("the LINE API client is not running (app not started)")
        h = {**client.default_headers, "Accept": "application/json", "Content-Type": "application/json",
             **(headers or {})}
        await client.request("POST", client.configuration.host + path, headers=h, body=body,
                             _request_timeout=API_TIMEOUT)

    async def _profile_locale(self, user_id: str) -> str | None:
        """The conversation locale from the user's LINE profile ``language``, or None.

        ``ja`` → Japanese; any other language → English (the second locale, the better guess for
        someone whose LINE is not in Japanese). None when the profile cannot be read (the user
        blocked the bot, an API error, a timeout): the flow's default (Japanese) applies, and
        「English」 switches at any time.
        """
        client = self.client
        if client is None:
            return None
        h = {**client.default_headers, "Accept": "application/json"}
        try:
            resp = await client.request("GET", client.configuration.host + PROFILE_PATH + quote(user_id, safe=""),
                                        headers=h, _request_timeout=PROFILE_TIMEOUT)
            language = json.loads(resp.data or b"{}").get("language")
        except (ApiException, aiohttp.ClientError, TimeoutError, ValueError, AttributeError) as exc:
            self._api_error("profile", exc)
            return None
        if not isinstance(language, str) or not language:
            return None
        return "ja" if language.lower().startswith("ja") else "en"

    async def _reply(self, token: str, messages: list[Msg]) -> int:
        """Reply; returns 200, the API's error status, or 0 when the API could not be reached."""
        try:
            await self._post(REPLY_PATH, {"replyToken": token, "messages": messages, "notificationDisabled": False})
        except ApiException as exc:
            self._api_error("reply", exc)
            if exc.status != 400 or "reply token" in str(exc.body or ""):
                return int(exc.status or 0)
            # LINE refused the message itself (a 400 leaves the reply token unused): send the same
            # reply as plain text rather than nothing (issue #12)
            messages = plain_version(messages)
            try:
                await self._post(REPLY_PATH, {"replyToken": token, "messages": messages,
                                              "notificationDisabled": False})
            except ApiException as exc2:
                self._api_error("reply", exc2)
                return int(exc2.status or 0)
            except (aiohttp.ClientError, TimeoutError) as exc2:
                self._api_error("reply", exc2)
                return 0
        except (aiohttp.ClientError, TimeoutError) as exc:
            self._api_error("reply", exc)
            return 0
        self._sent("reply", len(messages))
        return 200

    async def _push(self, user_id: str, messages: list[Msg],
                    retry_key: str | None = None) -> Literal["sent", "gave-up", "retry"]:
        """Push with a retry key; one retry (same key) on a network error or 5xx; 409 = already sent.

        Returns:
            ``"sent"``, ``"gave-up"`` (a 4xx: LINE refuses it for good) or ``"retry"`` (network
            or 5xx twice).
        """
        retry_key = retry_key or str(uuid.uuid4())
        body = {"to": user_id, "messages": messages, "notificationDisabled": False}
        for attempt in range(2):
            try:
                await self._post(PUSH_PATH, body, {"X-Line-Retry-Key": retry_key})
            except ApiException as exc:
                if exc.status == 409:  # accepted before under this retry key
                    return "sent"
                self._api_error("push", exc)
                if not (exc.status and exc.status >= 500):
                    return "gave-up"
                if attempt:
                    return "retry"
            except (aiohttp.ClientError, TimeoutError) as exc:
                self._api_error("push", exc)
                if attempt:
                    return "retry"
            else:
                self._sent("push", len(messages))
                return "sent"
            await asyncio.sleep(0.5)
        return "retry"  # pragma: no cover


def setup(app: web.Application, *, conversations: Conversations, metrics: Metrics, channel_secret: str,
          access_token: str, api_base: str | None = None, push_fallback: bool = True,
          path: str = "/line/webhook", budget: float = RESPONSE_BUDGET) -> LineAdapter:
    """Add the LINE webhook to an app: the route and the API client's ``cleanup_ctx``.

    Args:
        app: the application (not yet started).
        conversations, metrics: shared objects of the app.
        channel_secret, access_token: LINE credentials.
        api_base: Messaging API host override (``LINE_API_BASE``).
        push_fallback: push when a reply fails (``LINE_PUSH_FALLBACK``).
        path: the webhook path.
        budget: seconds to wait for the events before answering.

    Returns:
        The adapter (also reachable through the route's handler).

    Raises:
        ValueError: if a credential is empty.
    """
    adapter = LineAdapter(channel_secret, access_token, conversations, metrics, api_base=api_base,
                          push_fallback=push_fallback, budget=budget)
    app.router.add_post(path, adapter.webhook)
    app.cleanup_ctx.append(adapter.client_ctx)
    return adapter
