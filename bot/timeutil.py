"""Time helpers: the Asia/Tokyo zone and parsing of ``--at`` values."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

__all__ = ["JST", "iso", "now_jst", "parse_at"]

JST = ZoneInfo("Asia/Tokyo")
"""Japan Standard Time (UTC+09:00, no daylight saving)."""


def now_jst() -> dt.datetime:
    """The current time, aware, in Asia/Tokyo (the only clock read outside tests)."""
    return dt.datetime.now(JST)


YEARS = range(2000, 2101)
"""Years a frozen clock may be set to (opening hours and public holidays are meaningful there)."""


def parse_at(value: str) -> dt.datetime:
    """Parse an ISO 8601 time such as ``2026-12-31T22:00+09:00``; a time without offset is JST.

    Raises:
        ValueError: for an empty value, a value that is not an ISO date-time (the message gives an
            example), or a year outside 2000–2100.
    """
    if not value.strip():
        raise ValueError("the time is empty; write e.g. 2026-12-31T22:00+09:00")
    try:
        t = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"not an ISO time: {value!r}; write e.g. 2026-12-31T22:00+09:00") from None
    if t.year not in YEARS:
        raise ValueError(f"year {t.year} is out of range; use a year from {YEARS[0]} to {YEARS[-1]}")
    return t.replace(tzinfo=JST) if t.tzinfo is None else t


def iso(t: dt.datetime | None) -> str | None:
    """ISO 8601 in Japan time with its offset (``2026-12-01T17:15:00+09:00``), or None."""
    return None if t is None else t.astimezone(JST).isoformat()
