"""Chatwoot event mapping and rendering (pure): webhook bodies → engine inputs, replies → message bodies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.adapters.common import status_line
from bot.engine.types import Ask, End, Input, Pick, Refer, Reply, Say, Text, Unsupported
from bot.i18n import pick

__all__ = ["BOT_STATUS", "EVENTS", "PLATFORM", "chatwoot_id", "choice_value", "event_label", "parse_choice_value",
           "render", "to_input"]

PLATFORM = "chatwoot"
"""Platform name for store keys, event ids, metrics and teams (``platforms: [chatwoot]``)."""

BOT_STATUS = "pending"
"""The conversation status while the bot has it; any other status means people have it."""

EVENTS = frozenset({"message_created", "message_updated", "conversation_opened", "conversation_resolved",
                    "webwidget_triggered", "conversation_status_changed", "conversation_created",
                    "conversation_updated"})
"""Chatwoot event names counted by name; anything else is counted as ``other``."""


def event_label(event: object) -> str:
    """The ``type`` label of ``soudan_events_total``: the event name if in :data:`EVENTS`, else ``other``."""
    return event if isinstance(event, str) and event in EVENTS else "other"


def chatwoot_id(value: object) -> int | None:
    """A Chatwoot id (a positive JSON integer), else None — ``true`` is not 1, ``"7"`` and ``7.0`` are not ids."""
    return value if type(value) is int and value > 0 else None


def choice_value(choice_id: str, state_id: str, conversation_id: str) -> str:
    """The ``value`` of an ``input_select`` option: ``<choice>|<state>|<conversation>``."""
    return f"{choice_id}|{state_id}|{conversation_id}"


def parse_choice_value(value: str) -> Pick | None:
    """The :class:`Pick` an option value (:func:`choice_value`) stands for, or None if it is not one."""
    parts = value.split("|")
    return Pick(*parts) if len(parts) == 3 else None


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
                            {"title": c.label, "value": choice_value(c.id, r.state_id, r.conversation_id)}
                            for c in r.choices]}})
    flush()
    return out


def to_input(body: dict[str, Any], event: str) -> Input | None:
    """The engine input a message event carries, or None (nothing to answer).

    ``message_updated`` with ``content_attributes.submitted_values`` → the :class:`Pick` of the
    pressed ``input_select`` option; ``message_created`` → :class:`Text` of a non-blank
    ``content``, or ``Unsupported("file")`` for attachments only.
    """
    raw_attrs = body.get("content_attributes")
    attrs: dict[str, Any] = raw_attrs if isinstance(raw_attrs, dict) else {}
    if event == "message_updated":  # an input_select option the person picked (on the bot's message)
        values = attrs.get("submitted_values")
        if isinstance(values, list) and values and isinstance(values[0], dict):
            chosen = parse_choice_value(str(values[0].get("value", "")))
            if chosen is not None:
                return chosen
        return None
    content = body.get("content")
    if isinstance(content, str) and content.strip():
        return Text(content)
    if body.get("attachments"):
        return Unsupported("file")
    return None
