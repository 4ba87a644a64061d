"""Platform-neutral helpers shared by adapters: the JSON form of replies, status lines, and the
answer to a message whose step failed (:func:`outage_replies`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.contacts.render import card_details, card_status, shown_status
from bot.engine.types import Ask, ChoiceView, ContactView, End, Refer, Reply, Say
from bot.i18n import pick, t
from bot.timeutil import iso

if TYPE_CHECKING:
    from bot.engine.core import Engine

__all__ = ["contact_to_dict", "outage_replies", "reply_to_dict", "status_line"]


def outage_replies(engine: Engine, text: str | None, now: dt.datetime, locale: str | None) -> list[Reply]:
    """What every adapter answers when a person's message could not be handled (the store is down,
    a bug): the message's crisis card first when it holds crisis words — the 24-hour lines, 110
    first for danger, 119 first for an overdose (:meth:`~bot.engine.core.Engine.crisis_card`
    needs no stored session, so it works during a store outage) —, then the apology
    ``adapters.error`` (try again in a moment; 110 and 119).

    Args:
        engine: the engine whose default flow's crisis card is given.
        text: what the person typed, or None for an input that is not text (a button, a follow);
            only read for crisis words, never kept.
        now: the current time (aware; the card's opening hours).
        locale: ``"ja"`` or ``"en"``; None when the person's language is unknown (LINE reads it
            from the session the store could not give): the apology in Japanese then English,
            the card in Japanese (with the English words for a message written in English).

    Returns:
        ``[Refer, Say]`` or ``[Say]``.
    """
    card = engine.crisis_card(text, now, locale or "ja") if text else None
    apology = t("adapters.error", locale) if locale else t("adapters.error", "ja") + "\n\n" + t("adapters.error", "en")
    return [*([card] if card is not None else []), Say(apology)]


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
