"""Rendering (pure, no SDK): neutral replies as the Messaging API's message JSON within LINE's limits.

:func:`render` gives at most 5 messages per call, quick replies (≤13, labels ≤20 UTF-16 units) or
a numbered list, Flex carousels of contact cards with ``tel:`` buttons and an open-now line, and
texts split at 5,000 UTF-16 units. :func:`plain_version` is the plain-text form sent when LINE
refuses the rich one; :func:`group_invite` the one message a group or room gets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.adapters.line.codecs import MAX_POSTBACK, postback_data
from bot.adapters.text import clip, split_text, utf16_len
from bot.contacts.model import Contact
from bot.contacts.phones import needs_manual_dial, tel_uri
from bot.contacts.render import card_details, shown_status
from bot.engine.types import Ask, ChoiceView, ContactView, End, Refer, Reply, Say
from bot.i18n import pick, t

__all__ = [
    "MAX_ALT_TEXT", "MAX_BUBBLES", "MAX_DISPLAY_TEXT", "MAX_LABEL", "MAX_MESSAGES", "MAX_PHONE_BUTTONS",
    "MAX_QUICK_REPLY", "MAX_TEXT", "Msg", "group_invite", "plain_version", "render",
]

MAX_MESSAGES = 5
"""Messages per reply or push call (Messaging API limit)."""

MAX_TEXT = 5000
"""Longest text message, in UTF-16 code units (Messaging API limit; one emoji counts 2)."""

MAX_QUICK_REPLY = 13
"""Quick-reply buttons per message (Messaging API limit)."""

MAX_LABEL = 20
"""Longest action label, in UTF-16 code units (the API counts characters; this is the safe side)."""

MAX_DISPLAY_TEXT = 300
"""Longest ``displayText`` of a postback action, in characters."""

MAX_ALT_TEXT = 400
"""Longest ``altText`` of a Flex message, in UTF-16 code units."""

MAX_BUBBLES = 12
"""Bubbles per Flex carousel (Messaging API limit)."""

MAX_PHONE_BUTTONS = 3
"""Call buttons per contact card (every number is also listed as text)."""

Msg = dict[str, Any]
"""A message object (or part of one) as the Messaging API's JSON."""


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


_Button = tuple[str, str, str, bool]
"""A quick-reply button as made once per question: (label, postback data without the
conversation id — or the text sent, for a message action —, displayText, is a postback)."""

_QUICK: dict[tuple[str, tuple[ChoiceView, ...], tuple[ChoiceView, ...], str, str, int], tuple[str, tuple[_Button, ...] | None]] = {}
"""The text and buttons of a question, per (text, choices, offers, state, locale, length of the
conversation id): the same for every conversation but for the id at the end of each postback
data. Only bot text (the flow's questions and labels); bounded by :data:`_QUICK_MAX`."""

_QUICK_MAX = 4096


def _quick_reply(ask: Ask, locale: str) -> tuple[str, Msg | None]:
    """:func:`_quick_items` made once per question and conversation-id length, with this
    conversation's id put into fresh message objects (callers may change what they get).

    A conversation id of ASCII letters and digits (the engine's) stands in postback data as it is,
    so the data is the cached prefix + the id; any other id takes the uncached path."""
    cid = ask.conversation_id
    if not (cid.isascii() and cid.isalnum()):
        return _quick_items(ask, locale)
    key = (ask.text, ask.choices, ask.offers, ask.state_id, locale, len(cid))
    made = _QUICK.get(key)
    if made is None:
        if len(_QUICK) >= _QUICK_MAX:
            _QUICK.clear()
        text, quick = _quick_items(ask, locale)
        buttons = None if quick is None else tuple(
            (a["label"], a["data"][:-len(cid)] if a["type"] == "postback" else a["text"], a.get("displayText", ""),
             a["type"] == "postback")
            for a in (item["action"] for item in quick["items"]))
        made = _QUICK[key] = (text, buttons)
    text, buttons = made
    if buttons is None:
        return text, None
    return text, {"items": [
        {"type": "action", "action": {"type": "postback", "label": label, "data": data + cid, "displayText": shown}}
        if postback else {"type": "action", "action": {"type": "message", "label": label, "text": data}}
        for label, data, shown, postback in buttons]}


def _quick_items(ask: Ask, locale: str) -> tuple[str, Msg | None]:
    """The text of a question and its quick-reply buttons.

    Every choice fits (≤13, labels ≤20 UTF-16 units, postback data ≤300) → one button per choice
    with its label. Otherwise the choices are listed, numbered, in the text, and the buttons are
    "1".."n" (when n ≤ 13) whose ``displayText`` is the full label; with more than 13 choices the
    list asks for a number and there are no buttons. Nothing is cut. The question's ``offers``
    (「データを消す」 after the help) follow as labelled buttons, never numbered, while there is room.
    """
    text, items = _choice_items(ask, locale)
    for o in ask.offers:
        d = postback_data(o.id, ask.state_id, ask.conversation_id)
        if len(items) < MAX_QUICK_REPLY and utf16_len(o.label) <= MAX_LABEL and len(d) <= MAX_POSTBACK:
            items.append(_postback_item(o.label, d, o.label))
    return text, {"items": items} if items else None


def _choice_items(ask: Ask, locale: str) -> tuple[str, list[Msg]]:
    """The text of a question and the quick-reply buttons of its choices (see :func:`_quick_items`)."""
    datas = [postback_data(c.id, ask.state_id, ask.conversation_id) for c in ask.choices]
    if not ask.choices:
        return ask.text, []
    fits = (len(ask.choices) <= MAX_QUICK_REPLY and all(utf16_len(c.label) <= MAX_LABEL for c in ask.choices)
            and all(len(d) <= MAX_POSTBACK for d in datas)
            and all(len(c.label) <= MAX_DISPLAY_TEXT for c in ask.choices))
    if fits:
        return ask.text, [_postback_item(c.label, d, c.label) for c, d in zip(ask.choices, datas, strict=True)]
    if len(ask.choices) > MAX_QUICK_REPLY:
        return f"{ask.text}\n\n{_choice_block(ask.choices)}\n\n{t('line.numbered_only', locale)}", []
    items: list[Msg] = []
    for i, (c, d) in enumerate(zip(ask.choices, datas, strict=True), 1):
        if len(d) <= MAX_POSTBACK:
            shown = c.label if len(c.label) <= MAX_DISPLAY_TEXT else str(i)
            items.append(_postback_item(str(i), d, shown))
        else:  # ids too long for postback data: send the number as text (the engine reads numbers)
            items.append({"type": "action", "action": {"type": "message", "label": str(i), "text": str(i)}})
    return f"{ask.text}\n\n{_choice_block(ask.choices)}\n\n{t('line.numbered_hint', locale)}", items


def _status_line(view: ContactView, locale: str) -> str | None:
    """The open-now line of a card (:func:`bot.contacts.render.shown_status`, per channel), or
    None when the card's hours already say it."""
    return shown_status(view.contact, view.status, locale)


def _phone_text(contact: Contact, locale: str) -> list[str]:
    lines = []
    for p in contact.phones:
        extra = [pick(p.label, locale)] if p.label else []
        if p.cost:
            extra.append(t(f"line.{p.cost}", locale))
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


def _bubble(view: ContactView, locale: str) -> Msg:
    """One contact card (a Flex bubble as JSON)."""
    c = view.contact
    st = view.status
    # green only when a person answers now: a form that takes messages is grey like unknown hours
    color = "#555555" if st.send_only else {"open": "#1B7F3B", "24h": "#1B7F3B", "closed": "#B00020"}.get(
        str(st.kind), "#555555")
    body: list[Msg] = _texts(
        (pick(c.name, locale), {"size": "md", "weight": "bold", "wrap": True}),
        (pick(c.org, locale), {"size": "xs", "color": "#888888", "wrap": True}),
        (_status_line(view, locale), {"size": "sm", "color": color, "weight": "bold", "wrap": True}),
        (pick(c.hours_text, locale), {"size": "xs", "color": "#555555", "wrap": True}),
    )
    phones = _phone_text(c, locale)
    if phones:
        body.append({"type": "separator", "margin": "md"})
        body.extend(_texts(*((line, {"size": "sm", "wrap": True, "margin": "sm"}) for line in phones)))
    if any(needs_manual_dial(p.number) for p in c.phones):
        body.append(_text(t("line.manual", locale), size="xxs", color="#888888", wrap=True))
    # who may use it, the cost, mail addresses as text (LINE cannot open mailto:) and caveats
    body.extend(_texts(*((line, {"size": "xxs", "color": "#555555", "wrap": True})
                         for line in card_details(c, locale))))
    buttons: list[Msg] = []
    for i, p in enumerate(c.phones[:MAX_PHONE_BUTTONS]):
        label = f"{t('line.call', locale)} {p.number}"
        if utf16_len(label) > MAX_LABEL:
            label = clip(t("line.call_short", locale) if utf16_len(p.number) > MAX_LABEL else p.number, MAX_LABEL)
        buttons.append(_button(label, tel_uri(p.number), "primary" if i == 0 else "secondary"))
    web_ch = _web_channel(c)
    if web_ch is not None:
        kind, url = web_ch
        word = f"line.{kind}" if kind in ("form", "line", "chat") else "line.web"
        buttons.append(_button(t(word, locale), url, "link"))
    bubble: Msg = {"type": "bubble", "size": "kilo",
                   "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": body}}
    if buttons:
        bubble["footer"] = {"type": "box", "layout": "vertical", "spacing": "sm", "contents": buttons}
    return bubble


def _alt_text(views: Sequence[ContactView], locale: str) -> str:
    """``altText`` of a card carousel: names and numbers, at most :data:`MAX_ALT_TEXT` units."""
    head = t("line.alt", locale) + ": "
    parts = []
    for v in views:
        nums = " ".join(p.number for p in v.contact.phones)
        parts.append(pick(v.contact.name, locale) + (f" {nums}" if nums else ""))
    text = head + " / ".join(parts)
    if utf16_len(text) <= MAX_ALT_TEXT:
        return text
    tail = f" / {t('line.more', locale)}"
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
                parts.append(_TextPart(f"{t('line.steps', locale)}\n{lines}"))
    return parts, quick


def _chunks(text: str) -> list[str]:
    """``text`` split at :data:`MAX_TEXT` units (a code point is at most 2 UTF-16 units, so a
    text of up to half as many code points is one chunk without counting)."""
    return [text] if 2 * len(text) <= MAX_TEXT else split_text(text, MAX_TEXT)


def _count(parts: Sequence[_Part]) -> int:
    return sum(len(_chunks(p.text)) if isinstance(p, _TextPart) else 1 for p in parts)


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
        now: the instant of the step; not needed (each contact's status carries the instant it was
            computed for, so a closing time on another day shows its date) and kept for callers.

    Returns:
        Batches of 1–5 message objects, exactly as the Messaging API takes them (the same JSON the
        SDK's models serialise to; tests check them against those models); the first batch is for
        the reply call. Empty when ``replies`` is.
    """
    if len(replies) == 1 and type(replies[0]) is Ask:  # the usual reply: the next question alone
        text, quick = _quick_reply(replies[0], locale)
        if 2 * len(text) <= MAX_TEXT:  # one text message (see _chunks), with the quick reply
            if not text:
                return []
            one: Msg = {"type": "text", "text": text}
            if quick is not None:
                one["quickReply"] = quick
            return [[one]]
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
            messages.extend({"type": "text", "text": chunk} for chunk in _chunks(p.text) if chunk)
        else:
            messages.append({"type": "flex", "altText": _alt_text(p.views, locale),
                             "contents": {"type": "carousel", "contents": [_bubble(v, locale) for v in p.views]}})
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
    return [{"type": "text", "text": t("line.group", locale)}]

