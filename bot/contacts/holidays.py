"""Japanese public holidays (国民の祝日・休日), from ``jpholiday``.

``jpholiday`` follows the Cabinet Office's list (内閣府「国民の祝日について」) and computes
substitute holidays (振替休日) and citizens' holidays (国民の休日, e.g. 2026-09-22) itself. The
opening-hours library's own Japanese holiday data is wrong (it misses 2026-09-22 and 2027-03-22
among others), so :mod:`bot.contacts.hours` takes holidays only from here.

The calendar is cross-checked against the independent holiday_jp data set for
:data:`HOLIDAY_YEARS` in ``tests/contacts/test_holidays.py``. Years outside that range are not
supported by the opening-hours evaluation (a ``PH`` rule there is reported as unknown).
Year-end closures (12/29–1/3) are not public holidays; directory entries write them explicitly
(``Dec 29-Jan 03 off``).
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import jpholiday

__all__ = ["HOLIDAY_YEARS", "holiday_name", "holidays_between", "holidays_in_year", "is_holiday"]

HOLIDAY_YEARS: range = range(2020, 2036)
"""The years (2020–2035 inclusive) for which ``PH`` in opening hours is expanded and tested."""


@cache
def holidays_in_year(year: int) -> dict[dt.date, str]:
    """Public holidays of ``year`` (any year ``jpholiday`` knows).

    Args:
        year: the calendar year, e.g. 2026.

    Returns:
        Date → Japanese name (e.g. ``国民の休日``, ``春分の日 振替休日``), in date order.
    """
    return dict(sorted((d, name) for d, name in jpholiday.year_holidays(year)))


def is_holiday(day: dt.date) -> bool:
    """True when ``day`` (a JST calendar date) is a public holiday, substitute holiday included.

    Args:
        day: a date; a ``datetime`` is refused because its date depends on the time zone.

    Raises:
        TypeError: when given a ``datetime`` (convert it to JST and take ``.date()`` first).
    """
    return holiday_name(day) is not None


def holiday_name(day: dt.date) -> str | None:
    """The Japanese name of the holiday on ``day``, or None on an ordinary day.

    Raises:
        TypeError: when given a ``datetime`` instead of a ``date``.
    """
    if isinstance(day, dt.datetime):
        raise TypeError("pass a date (the JST calendar day), not a datetime")
    return holidays_in_year(day.year).get(day)


def holidays_between(start: dt.date, end: dt.date) -> list[dt.date]:
    """Public holidays from ``start`` to ``end``, both inclusive, in order."""
    return [d for y in range(start.year, end.year + 1) for d in holidays_in_year(y) if start <= d <= end]
