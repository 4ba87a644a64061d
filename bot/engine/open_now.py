"""「いま受付中」: the national windows open right now, for the ``open-now`` command.

Answered by the engine (:meth:`bot.engine.core.Engine.step` with ``Command(CommandName.OPEN_NOW)``),
so every adapter offers the same list: the LINE rich menu's 「窓口をさがす（いま受付中）」, the
typed 「いま受付中」 (terminal, web, Discord), a button with the id ``:open-now``.
"""

from __future__ import annotations

import datetime as dt

from bot.contacts.directory import Directory
from bot.contacts.model import Contact, Topic
from bot.contacts.status import Status
from bot.engine.types import ContactView, Refer
from bot.i18n import t

__all__ = ["MAX_OPEN_NOW", "STATE_ID", "open_now", "written", "youth_line"]

MAX_OPEN_NOW = 12
"""Most windows listed (one LINE Flex carousel holds 12 bubbles)."""

STATE_ID = ":open-now"
"""The :attr:`~bot.engine.types.Refer.state_id` of the list (the ``:`` marks the engine's own
lists: the counters do not take it for a result or a crisis reply)."""


def written(c: Contact) -> bool:
    """Whether ``c`` can be reached without a phone call: chat, LINE, a web form, mail, or a staffed
    chat reached through its page (:attr:`~bot.contacts.model.Contact.live`)."""
    return c.live or any(ch.kind in ("chat", "line", "form", "mail") for ch in c.channels)


def youth_line(c: Contact) -> bool:
    """Whether ``c`` is a line for children: an upper age of 18 or less (チャイルドライン, こたエール),
    or children and school bullying among its topics (24時間子供SOSダイヤル, こどもの人権110番) — not
    189, the line for reporting abuse, nor an emergency number."""
    if Topic.EMG in c.topics:
        return False
    return (c.eligibility.max_age is not None and c.eligibility.max_age <= 18) or {Topic.CHILD, Topic.BUL} <= set(c.topics)


def open_now(directory: Directory, now: dt.datetime, locale: str, *, pupil: bool = False, adult: bool = False,
             no_call: bool = False) -> Refer:
    """The windows open now (or 24 hours) that serve the whole country, most surely reachable
    first (the staffed windows open now: the 24-hour lines, then the latest to close), at most
    :data:`MAX_OPEN_NOW`, the header counting those listed — not the emergency numbers
    (``help-now`` gives those); with none open, the directory's 24-hour fallback line.

    Args:
        directory: the contact directory (its opening hours are the source).
        now: the instant (aware; opening hours are read in JST).
        locale: ``"ja"`` or ``"en"``.
        pupil: the person is a pupil or under 18: the children's lines (:func:`youth_line`) first.
        adult: the person is 18 or over: lines only for those under 18 are left out.
        no_call: the person cannot phone (「電話できない」「声が出せない」): the windows reached by
            chat, LINE, a form or mail too (:func:`written`) first, the phone lines after, the
            header saying so.

    Raises:
        ValueError: for a naive ``now``.
    """
    found = [(c, st) for c, st in directory.search(open_now=True, now=now)
             if not c.eligibility.regions and Topic.EMG not in c.topics
             and not (adult and c.eligibility.max_age is not None and c.eligibility.max_age < 18)]

    def key(p: tuple[Contact, Status]) -> tuple[int, int, float]:  # stable: the files' order among equals
        c, st = p
        return (0 if not no_call or written(c) else 1, 0 if not pupil or youth_line(c) else 1, -_open_for(st, now))

    found.sort(key=key)
    if found:
        views = tuple(ContactView(c, st, now) for c, st in found[:MAX_OPEN_NOW])
        head = t("engine.open_now_no_call" if no_call else "engine.open_now_found", locale, n=len(views))
    else:
        fb = directory.fallback(now)
        head = t("engine.open_now_none", locale)
        views = (ContactView(fb, directory.status(fb, now), now),)
    return Refer(head, views, state_id=STATE_ID)


def _open_for(status: Status, now: dt.datetime) -> float:
    """Seconds an open window stays open after ``now`` (infinite for 24 hours): the list is cut at
    :data:`MAX_OPEN_NOW`, and a line that closes within the hour must not push a 24-hour one out."""
    return (status.open_until - now).total_seconds() if status.open_until is not None else float("inf")
