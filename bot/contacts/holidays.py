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

``jpholiday`` takes about 70 ms per year (it tests every day against every rule), which made
loading the directory — and so ``soudan chat``'s start — cost over a second. The years of
:data:`HOLIDAY_YEARS` are therefore read from ``holidays_jp.json``, a table written from
``jpholiday`` by ``python -m bot.contacts.holidays --write``; ``tests/contacts/test_holidays.py``
checks that the table still equals ``jpholiday``'s answer (regenerate it when ``jpholiday`` is
upgraded) and the independent holiday_jp data set. Other years come from ``jpholiday`` directly.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from functools import cache
from pathlib import Path

import jpholiday

__all__ = ["HOLIDAY_YEARS", "holiday_name", "holidays_between", "holidays_in_year", "is_holiday"]

HOLIDAY_YEARS: range = range(2020, 2036)
"""The years (2020–2035 inclusive) for which ``PH`` in opening hours is expanded and tested."""


TABLE = Path(__file__).with_name("holidays_jp.json")
"""The holidays of :data:`HOLIDAY_YEARS` as computed by ``jpholiday`` (``{"YYYY-MM-DD": name}``)."""


@cache
def _table() -> dict[int, dict[dt.date, str]]:
    try:
        raw = json.loads(TABLE.read_text(encoding="utf-8"))["holidays"]
    except (OSError, ValueError, KeyError):  # a missing or broken table: ask jpholiday
        return {}
    out: dict[int, dict[dt.date, str]] = {}
    for iso, name in sorted(raw.items()):
        d = dt.date.fromisoformat(iso)
        out.setdefault(d.year, {})[d] = name
    return out


def computed_holidays(year: int) -> dict[dt.date, str]:
    """Public holidays of ``year`` computed by ``jpholiday`` now (slow: ~70 ms), in date order."""
    return dict(sorted((d, name) for d, name in jpholiday.year_holidays(year)))


@cache
def holidays_in_year(year: int) -> dict[dt.date, str]:
    """Public holidays of ``year`` (any year ``jpholiday`` knows).

    Args:
        year: the calendar year, e.g. 2026.

    Returns:
        Date → Japanese name (e.g. ``国民の休日``, ``春分の日 振替休日``), in date order.
    """
    table = _table()
    if year in HOLIDAY_YEARS and year in table:
        return dict(table[year])
    return computed_holidays(year)


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


def write_table(path: Path = TABLE) -> None:
    """Write :data:`TABLE` from ``jpholiday`` for :data:`HOLIDAY_YEARS`."""
    days = {d.isoformat(): name for y in HOLIDAY_YEARS for d, name in computed_holidays(y).items()}
    from importlib.metadata import version

    doc = {"source": f"jpholiday {version('jpholiday')} (内閣府「国民の祝日について」)",
           "years": [HOLIDAY_YEARS.start, HOLIDAY_YEARS.stop - 1], "holidays": days}
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":  # python -m bot.contacts.holidays --write
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python -m bot.contacts.holidays --write")
    write_table()
    print(f"wrote {TABLE}")
