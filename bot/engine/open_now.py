"""「いま受付中」: the national windows open right now, for the ``open-now`` command.

Answered by the engine (:meth:`bot.engine.core.Engine.step` with ``Command(CommandName.OPEN_NOW)``),
so every adapter offers the same list: the LINE rich menu's 「窓口をさがす（いま受付中）」, the
typed 「いま受付中」 (terminal, web, Discord), a button with the id ``:open-now``.
"""

from __future__ import annotations

import datetime as dt

from bot.contacts.directory import Directory
from bot.contacts.model import Topic
from bot.contacts.status import Status
from bot.engine.types import ContactView, Refer
from bot.i18n import t

__all__ = ["MAX_OPEN_NOW", "STATE_ID", "open_now"]

MAX_OPEN_NOW = 12
"""Most windows listed (one LINE Flex carousel holds 12 bubbles)."""

STATE_ID = ":open-now"
"""The :attr:`~bot.engine.types.Refer.state_id` of the list (the ``:`` marks the engine's own
lists: the counters do not take it for a result or a crisis reply)."""


def open_now(directory: Directory, now: dt.datetime, locale: str) -> Refer:
    """The windows open now (or 24 hours) that serve the whole country, most surely reachable
    first (the staffed windows open now: the 24-hour lines, then the latest to close), at most :data:`MAX_OPEN_NOW`, the header counting those listed — not the emergency
    numbers (``help-now`` gives those); with none open, the directory's 24-hour fallback line.

    Args:
        directory: the contact directory (its opening hours are the source).
        now: the instant (aware; opening hours are read in JST).
        locale: ``"ja"`` or ``"en"``.

    Raises:
        ValueError: for a naive ``now``.
    """
    found = [(c, st) for c, st in directory.search(open_now=True, now=now)
             if not c.eligibility.regions and Topic.EMG not in c.topics]
    found.sort(key=lambda p: -_open_for(p[1], now))  # stable: the files' order among equals
    if found:
        views = tuple(ContactView(c, st, now) for c, st in found[:MAX_OPEN_NOW])
        head = t("engine.open_now_found", locale, n=len(views))
    else:
        fb = directory.fallback(now)
        head = t("engine.open_now_none", locale)
        views = (ContactView(fb, directory.status(fb, now), now),)
    return Refer(head, views, state_id=STATE_ID)


def _open_for(status: Status, now: dt.datetime) -> float:
    """Seconds an open window stays open after ``now`` (infinite for 24 hours): the list is cut at
    :data:`MAX_OPEN_NOW`, and a line that closes within the hour must not push a 24-hour one out."""
    return (status.open_until - now).total_seconds() if status.open_until is not None else float("inf")
