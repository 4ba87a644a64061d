"""Platform-neutral rendering helpers shared by adapters (JSON form of replies, status lines)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.contacts.model import StatusKind
from bot.engine.types import Ask, ContactView, End, Refer, Reply, Say
from bot.i18n import pick
from bot.timeutil import JST

__all__ = ["contact_to_dict", "iso", "reply_to_dict", "status_line"]


def iso(t: dt.datetime | None) -> str | None:
    """ISO 8601 with offset (Asia/Tokyo, ``+09:00``) or None."""
    return None if t is None else t.astimezone(JST).isoformat()


def status_line(view: ContactView, locale: str) -> str:
    """A short human status such as 「受付中（17:15まで）」 or "Closed now (opens Tue 08:30)"."""
    st = view.status
    if st.kind is StatusKind.ALWAYS:
        return "24時間受付" if locale == "ja" else "Open 24 hours"
    if st.kind is StatusKind.UNKNOWN:
        return "受付時間は公式サイトで確認してください" if locale == "ja" else "Check the hours on the official site"
    if st.kind is StatusKind.OPEN:
        until = st.open_until.astimezone(JST) if st.open_until else None
        if until is None:
            return "いま受付中" if locale == "ja" else "Open now"
        next_day = view.at is not None and until.date() != view.at.astimezone(JST).date()
        if locale == "ja":
            return f"いま受付中（{'翌' if next_day else ''}{until:%H:%M}まで）"
        return f"Open now (until {until:%H:%M}{' tomorrow' if next_day else ''})"
    if st.next_open is not None:
        n = st.next_open.astimezone(JST)
        if locale == "ja":
            wd = "月火水木金土日"[n.weekday()]
            return f"いまは受付時間外（次は {n.month}/{n.day}({wd}) {n:%H:%M}から）"
        return f"Closed now (opens {n:%a} {n.month}/{n.day} {n:%H:%M})"
    return "いまは受付時間外" if locale == "ja" else "Closed now"


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
        "open_until": iso(view.status.open_until),
        "next_open": iso(view.status.next_open),
        "hours_text": pick(c.hours_text, locale),
        "urls": list(dict.fromkeys(ch.url for ch in c.channels)),
        "source": c.source,
        "verified": c.verified,
    }


def reply_to_dict(reply: Reply, locale: str) -> dict[str, Any]:
    """The JSON form of a reply (DESIGN.md §6): ``type``, ``text``, ``choices``, ``contacts``, ``steps``."""
    if isinstance(reply, Ask):
        return {"type": "ask", "text": reply.text, "choices": [{"id": c.id, "label": c.label} for c in reply.choices],
                "contacts": [], "steps": [], "state_id": reply.state_id, "conversation_id": reply.conversation_id}
    if isinstance(reply, Refer):
        return {"type": "refer", "text": reply.text, "choices": [],
                "contacts": [contact_to_dict(v, locale) for v in reply.contacts], "steps": list(reply.steps)}
    if isinstance(reply, Say):
        return {"type": "say", "text": reply.text, "choices": [], "contacts": [], "steps": []}
    if isinstance(reply, End):
        return {"type": "end", "text": reply.text, "choices": [], "contacts": [], "steps": []}
    raise TypeError(f"unknown reply {reply!r}")
