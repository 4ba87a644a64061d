"""Short, human wording of a contact's status, shared by the CLI and the adapters.

Japanese (default) and English::

    受付中（17:15まで）            Open (until 17:15)
    受付時間外（次は 12/1 8:30〜）  Closed (opens 12/1 8:30)
    24時間                        24 hours
    時間不明（公式サイトで確認）    Hours unknown (check the official site)

Times are shown in Japan time (Asia/Tokyo) whatever zone the datetimes carry.
"""

from __future__ import annotations

import datetime as dt

from bot.contacts.hours import JST
from bot.contacts.model import StatusKind
from bot.contacts.status import Status

__all__ = ["format_status", "format_time"]


def format_time(t: dt.datetime, *, with_date: bool = False) -> str:
    """``8:30`` or, with the date, ``12/1 8:30`` (JST, hour without a leading zero).

    Raises:
        ValueError: for a naive datetime.
    """
    if t.tzinfo is None:
        raise ValueError("format_time needs an aware datetime")
    j = t.astimezone(JST)
    hm = f"{j.hour}:{j.minute:02d}"
    return f"{j.month}/{j.day} {hm}" if with_date else hm


def _until(t: dt.datetime, now: dt.datetime | None) -> str:
    j = t.astimezone(JST)
    if now is None:
        return format_time(j)
    today = now.astimezone(JST).date()
    if j.date() == today:
        return format_time(j)
    if j.date() == today + dt.timedelta(days=1) and (j.hour, j.minute) == (0, 0):
        return "24:00"
    return format_time(j, with_date=True)


def format_status(status: Status, locale: str = "ja", now: dt.datetime | None = None) -> str:
    """The status as a short phrase, e.g. 「受付中（17:15まで）」 or "Closed (opens 12/1 8:30)".

    Args:
        status: from :meth:`bot.contacts.directory.Directory.status`.
        locale: ``"ja"`` (default) or ``"en"``; anything else falls back to Japanese.
        now: the instant the status was computed for (aware). When given, a closing time on a
            later day shows its date (``12/11 8:00まで``) and midnight shows as ``24:00``;
            without it only the time is shown.

    Returns:
        One line of text, without trailing punctuation.
    """
    en = locale == "en"
    if status.kind is StatusKind.ALWAYS:
        return "24 hours" if en else "24時間"
    if status.kind is StatusKind.UNKNOWN:
        return "Hours unknown (check the official site)" if en else "時間不明（公式サイトで確認）"
    if status.kind is StatusKind.OPEN:
        if status.open_until is None:
            return "Open" if en else "受付中"
        until = _until(status.open_until, now)
        return f"Open (until {until})" if en else f"受付中（{until}まで）"
    if status.next_open is None:
        return ("Closed (check the official site for the next opening)" if en
                else "受付時間外（次の受付は公式サイトで確認）")
    nxt = format_time(status.next_open, with_date=True)
    return f"Closed (opens {nxt})" if en else f"受付時間外（次は {nxt}〜）"
