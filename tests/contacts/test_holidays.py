"""Japanese public holidays (bot.contacts.holidays) against the independent holiday_jp data set."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from bot.contacts.holidays import (
    HOLIDAY_YEARS,
    computed_holidays,
    holiday_name,
    holidays_between,
    holidays_in_year,
    is_holiday,
)

FIXTURE = Path(__file__).parent / "fixtures" / "holiday_jp-holidays.yml"
_LINE = re.compile(r"^(\d{4})-(\d{2})-(\d{2}):\s*(.+?)\s*$")


def _fixture_holidays() -> dict[dt.date, str]:
    """Parse the ``YYYY-MM-DD: name`` lines with a plain line parser (not YAML: dates and names
    stay exactly as written)."""
    out: dict[dt.date, str] = {}
    for line in FIXTURE.read_text(encoding="utf-8").splitlines():
        m = _LINE.match(line)
        if m:
            out[dt.date(int(m[1]), int(m[2]), int(m[3]))] = m[4]
    return out


def test_fixture_is_read_completely() -> None:
    days = _fixture_holidays()
    assert len(days) == sum(1 for line in FIXTURE.read_text(encoding="utf-8").splitlines() if _LINE.match(line))
    assert min(days).year == 1970 and max(days).year == 2050


@pytest.mark.parametrize("year", list(HOLIDAY_YEARS))
def test_every_holiday_agrees_with_holiday_jp(year: int) -> None:
    expected = {d for d in _fixture_holidays() if d.year == year}
    ours = set(holidays_in_year(year))
    assert sorted(ours - expected) == [], "holidays.py has days holiday_jp does not"
    assert sorted(expected - ours) == [], "holidays.py misses days holiday_jp has"


def test_every_day_2020_to_2035_agrees() -> None:
    expected = set(_fixture_holidays())
    day = dt.date(HOLIDAY_YEARS.start, 1, 1)
    while day.year < HOLIDAY_YEARS.stop:
        assert is_holiday(day) == (day in expected), day
        day += dt.timedelta(days=1)


@pytest.mark.parametrize(("day", "kind"), [
    (dt.date(2026, 9, 22), "国民の休日"),  # between 敬老の日 and 秋分の日; the opening-hours library misses it
    (dt.date(2027, 3, 22), "振替休日"),  # 春分の日 on a Sunday; the opening-hours library misses it
    (dt.date(2026, 5, 6), "振替休日"),
    (dt.date(2020, 7, 24), "スポーツの日"),  # moved for the Olympics
    (dt.date(2021, 7, 23), "スポーツの日"),
])
def test_special_days(day: dt.date, kind: str) -> None:
    name = holiday_name(day)
    assert name is not None and kind in name
    assert kind in _fixture_holidays()[day] or "休日" in _fixture_holidays()[day]


def test_ordinary_days_and_year_end_are_not_public_holidays() -> None:
    assert not is_holiday(dt.date(2026, 12, 1))
    assert not is_holiday(dt.date(2026, 12, 31))  # year-end closures are written per window
    assert holiday_name(dt.date(2026, 12, 1)) is None


def test_a_datetime_is_refused() -> None:
    with pytest.raises(TypeError, match="date"):
        is_holiday(dt.datetime(2026, 9, 22, 10))  # noqa: DTZ001 — a datetime (naive on purpose) must be refused


def test_holidays_between_is_inclusive() -> None:
    assert holidays_between(dt.date(2026, 9, 21), dt.date(2026, 9, 23)) == [
        dt.date(2026, 9, 21), dt.date(2026, 9, 22), dt.date(2026, 9, 23)]


def test_the_shipped_table_equals_jpholiday_for_every_year() -> None:
    """The table (bot/contacts/holidays_jp.json) is what jpholiday computes; when this fails after a
    jpholiday upgrade, regenerate it: python -m bot.contacts.holidays --write."""
    for year in HOLIDAY_YEARS:
        assert holidays_in_year(year) == computed_holidays(year), year
