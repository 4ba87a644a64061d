"""Platform-neutral rendering helpers shared by adapters (JSON form of replies, status lines)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.contacts.render import card_details, card_status, shown_status
from bot.engine.types import Ask, ChoiceView, ContactView, End, Refer, Reply, Say
from bot.i18n import pick
from bot.timeutil import iso

__all__ = ["contact_to_dict", "reply_to_dict", "status_line"]


def status_line(view: ContactView, locale: str) -> str:
    """The open-now line of a window card, e.g. 「受付中（17:15まで）」 or "Closed (opens 12/7 8:30)",
    per channel where channels have their own hours: :func:`bot.contacts.render.card_status` at
    the instant the status was computed for (carried by the status itself)."""
    return card_status(view.contact, view.status, locale)


def contact_to_dict(view: ContactView, locale: str) -> dict[str, Any]:
    """The JSON form of a contact in a reply (DESIGN.md §6 ``contacts`` item)."""
    c = view.contact
    return {
        "id": c.id,
        "name": pick(c.name, locale),
        "org": pick(c.org, locale),
        "phones": [p.number for p in c.phones],
        "status": view.status.kind.value,
        "status_text": status_line(view, locale),
        "send_only": view.status.send_only,
        "status_shown": shown_status(c, view.status, locale),
        "details": card_details(c, locale),
        "open_until": iso(view.status.open_until),
        "next_open": iso(view.status.next_open),
        "hours_text": pick(c.hours_text, locale),
        "urls": list(dict.fromkeys(ch.url for ch in c.channels)),
        "source": c.source,
        "verified": c.verified,
    }


def _buttons(views: Sequence[ChoiceView]) -> list[dict[str, str]]:
    """The JSON form of a question's buttons: ``[{"id": …, "label": …}]``."""
    return [{"id": c.id, "label": c.label} for c in views]


def reply_to_dict(reply: Reply, locale: str) -> dict[str, Any]:
    """The JSON form of a reply (DESIGN.md §6): ``type``, ``text``, ``choices``, ``contacts``, ``steps``;
    a referral also has ``urgency`` (``immediate``/``high``/``normal``, or null when undeclared); a
    question whose ``offers`` are not empty (「データを消す」 after the help) has ``offers`` too."""
    if isinstance(reply, Ask):
        d: dict[str, Any] = {"type": "ask", "text": reply.text,
                             "choices": _buttons(reply.choices),
                             "contacts": [], "steps": [], "state_id": reply.state_id,
                             "conversation_id": reply.conversation_id}
        if reply.offers:
            d["offers"] = _buttons(reply.offers)
        return d
    if isinstance(reply, Refer):
        return {"type": "refer", "text": reply.text, "choices": [],
                "contacts": [contact_to_dict(v, locale) for v in reply.contacts], "steps": list(reply.steps),
                "urgency": reply.urgency}
    if isinstance(reply, Say):
        return {"type": "say", "text": reply.text, "choices": [], "contacts": [], "steps": []}
    if isinstance(reply, End):
        return {"type": "end", "text": reply.text, "choices": [], "contacts": [], "steps": []}
    raise TypeError(f"unknown reply {reply!r}")
