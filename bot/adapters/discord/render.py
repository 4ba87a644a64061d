"""Engine replies as Discord messages (pure: no discord.py objects, no network).

:func:`render` turns :class:`~bot.engine.types.Reply` objects into :class:`Outgoing` messages
within Discord's limits (https://discord.com/developers/docs/resources/message,
.../components): text split at 2,000 characters on line boundaries, choices as buttons (select
menus over 25), referral cards as embeds (:func:`contact_card`), hand-off cards for moderators
(:func:`handoff_card`). The adapter's own words are ``discord.*`` in :mod:`bot.i18n`.
:mod:`bot.adapters.discord.components` turns an :class:`Outgoing` into discord.py objects.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.adapters.discord.ids import (
    MAX_OPTION_LABEL,
    choice_custom_id,
    option_value,
    select_custom_id,
)
from bot.adapters.text import clip as cut
from bot.adapters.text import split_lines
from bot.adapters.text import utf16_len as ulen
from bot.contacts.model import Contact
from bot.contacts.render import shown_status
from bot.contacts.status import Status
from bot.engine.types import Ask, ContactView, End, Refer, Reply, Say
from bot.i18n import pick, t

__all__ = [
    "MAX_COMPONENTS", "MAX_CONTENT", "MAX_EMBEDS", "MAX_EMBED_TOTAL", "MAX_LABEL", "MAX_ROWS", "PER_ROW",
    "ButtonSpec", "Component", "DMListSpec", "LinkSpec", "Outgoing", "SelectSpec", "contact_card", "cut",
    "embed_len", "handoff_card", "render", "split_text", "text_messages", "ulen",
]

log = logging.getLogger("soudan.discord")

# Discord limits (https://discord.com/developers/docs/resources/message, .../components).
MAX_CONTENT = 2000
"""Characters of message content."""
MAX_EMBEDS = 10
"""Embeds per message."""
MAX_EMBED_TOTAL = 6000
"""Characters of all embeds of one message together (title, description, fields, footer)."""
MAX_TITLE = 256
MAX_DESCRIPTION = 4096
MAX_FIELDS = 25
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_FOOTER = 2048
MAX_COMPONENTS = 25
"""Buttons per message (five rows of five)."""
PER_ROW = 5
MAX_ROWS = 5
MAX_LABEL = 80
"""Characters of a button label."""


def split_text(text: str, limit: int = MAX_CONTENT) -> list[str]:
    """:func:`bot.adapters.text.split_lines` with Discord's message limit as the default."""
    return split_lines(text, limit)


@dataclass(frozen=True)
class ButtonSpec:
    """An interactive button: ``custom_id`` ≤100, ``label`` ≤80, ``row`` 0–4."""

    label: str
    custom_id: str
    row: int
    secondary: bool = False


@dataclass(frozen=True)
class LinkSpec:
    """A URL button (``https://`` or ``http://`` only; Discord has no ``tel:``/``mailto:`` buttons)."""

    label: str
    url: str


@dataclass(frozen=True)
class SelectSpec:
    """A select menu: ``options`` are ``(label, value)`` pairs, at most 25."""

    custom_id: str
    placeholder: str
    options: tuple[tuple[str, str], ...]
    row: int


@dataclass(frozen=True)
class DMListSpec:
    """The "Send me this list by DM" button of a ``/soudan-contacts`` answer."""

    label: str
    custom_id: str
    row: int


Component = ButtonSpec | LinkSpec | SelectSpec | DMListSpec


@dataclass
class Outgoing:
    """One Discord message to send, platform-shaped but free of discord.py objects until sent.

    Attributes:
        content: message text (≤2,000 UTF-16 units; may be empty when there are embeds).
        embeds: embed dicts in Discord's JSON shape (≤10, together ≤6,000 characters).
        components: buttons / select menus (≤25 buttons, ≤5 rows).
    """

    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[Component] = field(default_factory=list)

    def embed_chars(self) -> int:
        """Characters counted against the 6,000 limit for this message's embeds."""
        return sum(embed_len(e) for e in self.embeds)


def _choice_components(ask: Ask, locale: str) -> list[Component]:
    """A question's choices as buttons (select menus over 25), then its ``offers`` (「データを消す」
    after the help) as grey buttons on the row after them, while a row is free."""
    out = _choices_only(ask, locale)
    row = max((c.row for c in out if isinstance(c, ButtonSpec | SelectSpec)), default=-1) + 1
    buttons = sum(isinstance(c, ButtonSpec) for c in out)
    for i, o in enumerate(ask.offers[:PER_ROW]):
        if row >= MAX_ROWS or buttons + i >= MAX_COMPONENTS:
            break
        out.append(ButtonSpec(cut(o.label, MAX_LABEL), choice_custom_id(o.id, ask.state_id, ask.conversation_id),
                              row=row, secondary=True))
    return out


def _choices_only(ask: Ask, locale: str) -> list[Component]:
    choices = ask.choices
    if len(choices) <= MAX_COMPONENTS:
        return [ButtonSpec(cut(c.label, MAX_LABEL), choice_custom_id(c.id, ask.state_id, ask.conversation_id),
                           row=i // PER_ROW, secondary=c.id.startswith(":"))
                for i, c in enumerate(choices)]
    out: list[Component] = []
    select = t("discord.select", locale)
    for page in range(min(MAX_ROWS, -(-len(choices) // MAX_COMPONENTS))):
        chunk = choices[page * MAX_COMPONENTS:(page + 1) * MAX_COMPONENTS]
        first = page * MAX_COMPONENTS + 1
        options = tuple((cut(f"{first + i}. {c.label}", MAX_OPTION_LABEL), option_value(c.id))
                        for i, c in enumerate(chunk))
        out.append(SelectSpec(select_custom_id(page, ask.state_id, ask.conversation_id),
                              cut(f"{select} ({first}–{first + len(chunk) - 1})", 150),
                              options, row=page))
    if len(choices) > MAX_ROWS * MAX_COMPONENTS:
        log.warning("question with %d choices: only the first %d are offered", len(choices),
                    MAX_ROWS * MAX_COMPONENTS)
    return out


def _cost_text(number_cost: str | None, locale: str) -> str:
    return t(f"discord.{number_cost}", locale) if number_cost in ("free", "navi-dial", "charged") else ""


def embed_len(e: dict[str, Any]) -> int:
    """Characters of embed ``e`` (Discord JSON shape) counted against the 6,000 limit."""
    n = ulen(e.get("title", "")) + ulen(e.get("description", ""))
    n += ulen(e.get("footer", {}).get("text", "")) + ulen(e.get("author", {}).get("name", ""))
    n += sum(ulen(f["name"]) + ulen(f["value"]) for f in e.get("fields", []))
    return n


def _field_chunks(name: str, value: str, locale: str) -> list[tuple[str, str]]:
    """One field, or several ``name (cont.)`` fields when the value is over 1,024 characters."""
    value = value.strip()
    if not value:
        return []
    parts = split_text(value, MAX_FIELD_VALUE)
    name = cut(name, MAX_FIELD_NAME - 10)
    return [(name if i == 0 else name + t("discord.cont", locale), p) for i, p in enumerate(parts)]


def contact_card(view: ContactView, locale: str) -> tuple[list[dict[str, Any]], list[LinkSpec]]:
    """The embed(s) and URL buttons of one window.

    Usually one embed; a window with very long texts continues in further embeds titled
    ``name（続き）`` so that each stays within 25 fields, 4,096 characters of description and
    6,000 characters in all. Long values are split on line boundaries into ≤1,024-character fields.

    Returns:
        ``(embeds, links)``: embed dicts (Discord JSON shape) and URL buttons for the window's
        ``http(s)`` channels.
    """
    c: Contact = view.contact
    st: Status = view.status
    name = pick(c.name, locale)
    org = pick(c.org, locale)
    desc_parts = [org]
    if c.role:
        desc_parts.append(pick(c.role, locale))
    description = cut("\n".join(p for p in desc_parts if p), MAX_DESCRIPTION)

    fields: list[tuple[str, str]] = []
    phone_lines = []
    for p in c.phones:
        extra = [pick(p.label, locale)] if p.label else []
        cost = _cost_text(p.cost, locale)
        if cost:
            extra.append(cost)
        phone_lines.append(f"**{p.number}**" + (f"（{' / '.join(extra)}）" if locale == "ja" and extra
                                                 else f" ({'; '.join(extra)})" if extra else ""))
    fields += _field_chunks(t("discord.phone", locale), "\n".join(phone_lines), locale)
    now_line = shown_status(c, st, locale)  # None when the hours already say 24時間 (no status twice)
    if now_line:
        fields += _field_chunks(t("discord.now", locale), now_line, locale)
    fields += _field_chunks(t("discord.hours", locale), pick(c.hours_text, locale), locale)
    other = []
    for ch in c.channels:
        label = pick(ch.label, locale) if ch.label else ch.kind
        hours = f" — {pick(ch.hours_text, locale)}" if ch.hours_text else ""
        other.append(f"{label}: {ch.url}{hours}")
    fields += _field_chunks(t("discord.other", locale), "\n".join(other), locale)
    if c.eligibility.text:
        fields += _field_chunks(t("discord.who", locale), pick(c.eligibility.text, locale), locale)
    if c.cost_text:
        fields += _field_chunks(t("discord.cost", locale), pick(c.cost_text, locale), locale)
    if c.caveats:
        fields += _field_chunks(t("discord.note", locale), "\n".join("・" + pick(x, locale) for x in c.caveats), locale)

    colour = 0x2E8B57 if st.is_staffed else 0x808080  # a form that takes messages: nobody answers now
    verified = t("discord.verified", locale)
    footer = cut(f"{verified} {c.verified} · {c.source}", MAX_FOOTER)
    title = cut(name, MAX_TITLE)
    embeds: list[dict[str, Any]] = []

    def new(first: bool) -> dict[str, Any]:
        e: dict[str, Any] = {"type": "rich", "title": title if first else cut(name + t("discord.cont", locale), MAX_TITLE),
                             "color": colour, "fields": [], "footer": {"text": footer}}
        if first:
            e["url"] = c.source
            if description:
                e["description"] = description
        return e

    cur = new(True)
    for fname, fvalue in fields:
        size = ulen(fname) + ulen(fvalue)
        if len(cur["fields"]) >= MAX_FIELDS or embed_len(cur) + size > MAX_EMBED_TOTAL:
            embeds.append(cur)
            cur = new(False)
        cur["fields"].append({"name": fname, "value": fvalue, "inline": False})
    embeds.append(cur)
    links = [LinkSpec(cut(pick(ch.label, locale) if ch.label else f"{name} ({ch.kind})", MAX_LABEL), ch.url)
             for ch in c.channels if ch.url.startswith(("https://", "http://"))]
    return embeds, links


def text_messages(text: str, last: Outgoing | None = None) -> list[Outgoing]:
    """``text`` split into messages (≤2,000 UTF-16 units each); ``last`` (embeds/components) rides on
    the final piece."""
    pieces = split_text(text)
    out = [Outgoing(content=p) for p in pieces]
    if last is not None:
        if out and not last.content:
            out[-1].embeds, out[-1].components = last.embeds, last.components
        else:
            out.append(last)
    return out


def _refer_messages(lead: str, refer: Refer, locale: str) -> list[Outgoing]:
    steps = ""
    if refer.steps:
        steps = "**" + t("discord.steps", locale) + "**\n" + \
            "\n".join(f"{i}. {s}" for i, s in enumerate(refer.steps, 1))
    text = "\n\n".join(p for p in (lead, steps) if p)
    cards = [contact_card(v, locale) for v in refer.contacts]
    groups: list[Outgoing] = []
    cur = Outgoing()
    for embeds, links in cards:
        for j, embed in enumerate(embeds):  # a long card's continuation embeds may go to the next message
            here = links[:MAX_COMPONENTS] if j == 0 else []
            n_links = sum(isinstance(x, LinkSpec) for x in cur.components)
            if cur.embeds and (len(cur.embeds) >= MAX_EMBEDS
                               or cur.embed_chars() + embed_len(embed) > MAX_EMBED_TOTAL
                               or n_links + len(here) > MAX_COMPONENTS):
                groups.append(cur)
                cur = Outgoing()
            cur.embeds.append(embed)
            cur.components.extend(here)
    if cur.embeds:
        groups.append(cur)
    if not groups:
        return text_messages(text)
    return [*text_messages(text, groups[0]), *groups[1:]]


def render(replies: Sequence[Reply], locale: str) -> list[Outgoing]:
    """Turn engine replies into Discord messages within Discord's limits.

    Consecutive :class:`~bot.engine.types.Say`/:class:`~bot.engine.types.End` texts are joined
    into the next message; a question carries its choices as buttons (or select menus over 25
    choices); a referral becomes its lead text and next steps followed by one embed card per
    window, packed ≤10 embeds and ≤6,000 embed characters per message; a question's ``offers``
    (「データを消す」 after the help) are grey buttons on their own row. Text longer than 2,000
    characters is split on line boundaries.

    Args:
        replies: what the engine returned.
        locale: ``"ja"`` or ``"en"`` (for the adapter's own labels).

    Returns:
        Messages in order (empty only for empty ``replies``).
    """
    out: list[Outgoing] = []
    pending: list[str] = []
    for r in replies:
        if isinstance(r, Say | End):
            pending.append(r.text)
        elif isinstance(r, Ask):
            text = "\n\n".join([*pending, r.text])
            pending = []
            out += text_messages(text, Outgoing(components=_choice_components(r, locale)))
        elif isinstance(r, Refer):
            lead = "\n\n".join([*pending, r.text])
            pending = []
            out += _refer_messages(lead, r, locale)
        else:  # pragma: no cover - exhaustive
            raise TypeError(f"unknown reply {r!r}")
    if pending:
        out += text_messages("\n\n".join(pending))
    return out


_URGENCY_COLOUR = {"immediate": 0xB00020, "high": 0xE07000, "normal": 0x2E8B57}


def handoff_card(summary: Any, state: str, locale: str = "ja") -> dict[str, Any]:
    """The embed (Discord JSON) of a hand-off card: harm category, urgency, windows, time, status.

    Args:
        summary: the :class:`~bot.engine.types.HandoffSummary` (ids and labels only).
        state: the status line (waiting / taken by … / withdrawn / timed out).
    """
    what = next((a.label for a in summary.answers if a.state == "what"), None) or \
        (summary.answers[-1].label if summary.answers else summary.result)
    windows = "\n".join(f"・{n}" for _, n in summary.windows) or "-"
    return {
        "title": t("discord.moderators.card_title", locale), "description": t("discord.moderators.card_text", locale),
        "color": _URGENCY_COLOUR.get(summary.urgency or "", 0x555555),
        "fields": [
            {"name": t("discord.moderators.category", locale), "value": cut(what, 1024), "inline": True},
            {"name": t("discord.moderators.urgency", locale), "value": summary.urgency or "-", "inline": True},
            {"name": t("discord.moderators.time", locale), "value": f"{summary.requested_at:%Y-%m-%d %H:%M} JST", "inline": True},
            {"name": t("discord.moderators.windows", locale), "value": cut(windows, 1024), "inline": False},
            {"name": t("discord.moderators.state", locale), "value": cut(state, 1024), "inline": False},
        ],
    }
