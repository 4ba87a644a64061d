"""Opening-hours evaluation (bot.contacts.hours): JST, holidays, year end, lunch breaks, night lines."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.contacts.directory import Directory
from bot.contacts.hours import Hours
from bot.contacts.status import StatusKind
from bot.timeutil import JST
from tests.profiles import examples

UTC = dt.UTC
WEEKDAY = "Mo-Fr 08:30-17:15; PH off; Dec 29-Jan 03 off"
NIGHT = "Mo-Su 17:00-09:00; PH off"


def at(text: str) -> dt.datetime:
    """A JST instant from ``YYYY-MM-DD HH:MM``."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=JST)


def test_weekday_open_until_1715(process_tz: str) -> None:
    st = Hours.parse(WEEKDAY).status(at("2026-12-01 10:00"))
    assert st.kind is StatusKind.OPEN
    assert st.open_until == at("2026-12-01 17:15")
    assert st.open_until.isoformat() == "2026-12-01T17:15:00+09:00"


@pytest.mark.parametrize(("now", "next_open"), [
    ("2026-12-06 10:00", "2026-12-07 08:30"),  # Sunday
    ("2026-09-22 10:00", "2026-09-24 08:30"),  # 国民の休日, then 秋分の日
    ("2027-03-22 10:00", "2027-03-23 08:30"),  # 振替休日
    ("2026-12-31 10:00", "2027-01-04 08:30"),  # year end
    ("2026-12-01 17:15", "2026-12-02 08:30"),  # closing minute is closed
    ("2026-12-01 08:29", "2026-12-01 08:30"),
])
def test_weekday_line_closed(now: str, next_open: str, process_tz: str) -> None:
    st = Hours.parse(WEEKDAY).status(at(now))
    assert (st.kind, st.next_open, st.open_until) == (StatusKind.CLOSED, at(next_open), None)


def test_holidays_the_library_gets_wrong_are_closed() -> None:
    # opening-hours' own JP calendar misses these two; the expanded PH must not.
    for day in ("2026-09-22", "2027-03-22"):
        assert Hours.parse("Mo-Fr 09:00-17:00; PH off").status(at(f"{day} 10:00")).kind is StatusKind.CLOSED


def test_first_working_day_of_the_year_is_open() -> None:
    st = Hours.parse(WEEKDAY).status(at("2027-01-04 10:00"))
    assert (st.kind, st.open_until) == (StatusKind.OPEN, at("2027-01-04 17:15"))


def test_lunch_break() -> None:
    hours = Hours.parse("Mo-Fr 09:00-12:00,13:00-16:00; PH off; Dec 29-Jan 03 off")
    assert hours.status(at("2026-12-01 12:30")).next_open == at("2026-12-01 13:00")
    assert hours.status(at("2026-12-01 11:00")).open_until == at("2026-12-01 12:00")


def test_now_in_utc_is_converted_to_jst(process_tz: str) -> None:
    now = dt.datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 10:00 JST
    st = Hours.parse(WEEKDAY).status(now)
    assert st.kind is StatusKind.OPEN and st.open_until == at("2026-12-01 17:15")
    assert st.open_until.tzinfo == JST
    # 23:00 UTC on Monday is 08:00 JST on Tuesday: not open yet, opens 08:30 JST.
    st = Hours.parse(WEEKDAY).status(dt.datetime(2026, 11, 30, 23, 0, tzinfo=UTC))
    assert (st.kind, st.next_open) == (StatusKind.CLOSED, at("2026-12-01 08:30"))


def test_other_zones_are_converted() -> None:
    ny = dt.datetime(2026, 11, 30, 20, 0, tzinfo=ZoneInfo("America/New_York"))  # 10:00 JST Tue
    assert Hours.parse(WEEKDAY).status(ny).kind is StatusKind.OPEN


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Hours.parse(WEEKDAY).status(dt.datetime(2026, 12, 1, 10, 0))  # noqa: DTZ001 — a naive time, which must be refused


def test_24_7_and_none() -> None:
    assert Hours.parse("24/7").status(at("2026-12-31 03:00")).kind is StatusKind.ALWAYS
    assert Hours.parse("Mo-Su 00:00-24:00").is_always
    st = Hours.parse(None).status(at("2026-12-01 10:00"))
    assert (st.kind, st.open_until, st.next_open) == (StatusKind.UNKNOWN, None, None)


def test_nothing_within_14_days_gives_no_next_open() -> None:
    st = Hours.parse("Jan 10 08:00-32:00").status(at("2026-12-11 09:00"))
    assert (st.kind, st.next_open) == (StatusKind.CLOSED, None)


def test_unknown_rules_are_unknown_and_not_promised() -> None:
    hours = Hours.parse("Mo-Fr 09:00-21:00; Sa 09:00-17:00; PH unknown")
    assert hours.status(at("2026-11-23 10:00")).kind is StatusKind.UNKNOWN  # 勤労感謝の日
    # Sunday before that holiday Monday: closed, and the next opening is not promised.
    st = hours.status(at("2026-11-22 10:00"))
    assert (st.kind, st.next_open) == (StatusKind.CLOSED, None)


def test_ph_outside_the_covered_years_is_unknown() -> None:
    assert Hours.parse(WEEKDAY).status(at("2036-06-02 10:00")).kind is StatusKind.UNKNOWN
    assert Hours.parse("Mo-Fr 08:30-17:15").status(at("2036-06-02 10:00")).kind is StatusKind.OPEN


def test_ph_in_a_weekday_list_is_split() -> None:
    hours = Hours.parse("Mo-Fr 09:00-17:00; Sa,PH 10:00-12:00")
    assert hours.expanded is not None and "Sa 10:00-12:00" in hours.expanded
    assert hours.status(at("2026-11-23 11:00")).open_until == at("2026-11-23 12:00")  # holiday Monday
    assert hours.status(at("2026-11-28 11:00")).kind is StatusKind.OPEN  # Saturday


# -- across midnight ------------------------------------------------------------------------------
# Semantics chosen (fail closed): a day rule (PH off, Dec 29-Jan 03 off) closes its whole calendar
# day, and the night shift that would have started on that day does not run into the next morning.

def test_night_line_on_ordinary_days() -> None:
    hours = Hours.parse(NIGHT)
    st = hours.status(at("2026-11-28 02:00"))  # Saturday
    assert (st.kind, st.open_until) == (StatusKind.OPEN, at("2026-11-28 09:00"))
    st = hours.status(at("2026-11-27 18:00"))
    assert (st.kind, st.open_until) == (StatusKind.OPEN, at("2026-11-28 09:00"))
    assert hours.status(at("2026-11-28 12:00")).next_open == at("2026-11-28 17:00")


def test_night_line_evening_before_a_holiday_ends_at_midnight() -> None:
    # 2026-11-23 (Mon) is 勤労感謝の日; 11-22 is an ordinary Sunday.
    st = Hours.parse(NIGHT).status(at("2026-11-22 23:00"))
    assert (st.kind, st.open_until) == (StatusKind.OPEN, at("2026-11-23 00:00"))


def test_night_line_0200_on_a_holiday_morning_after_a_normal_evening_is_closed() -> None:
    st = Hours.parse(NIGHT).status(at("2026-11-23 02:00"))
    assert (st.kind, st.next_open) == (StatusKind.CLOSED, at("2026-11-24 17:00"))


def test_night_line_0200_after_a_holiday_is_closed_no_shift_started_on_the_holiday() -> None:
    hours = Hours.parse(NIGHT)
    st = hours.status(at("2026-11-24 02:00"))
    assert (st.kind, st.next_open) == (StatusKind.CLOSED, at("2026-11-24 17:00"))
    st = hours.status(at("2026-11-25 02:00"))  # the shift of the 24th runs normally
    assert (st.kind, st.open_until) == (StatusKind.OPEN, at("2026-11-25 09:00"))


def test_night_line_over_the_year_end() -> None:
    hours = Hours.parse("Mo-Su 17:00-09:00; Dec 29-Jan 03 off")
    assert hours.status(at("2026-12-28 23:00")).open_until == at("2026-12-29 00:00")
    assert hours.status(at("2027-01-04 02:00")).next_open == at("2027-01-04 17:00")


def test_weekend_all_day_after_a_holiday_friday_stays_open() -> None:
    # 2026-03-20 (Fri) is 春分の日. Saturday's own 00:00-24:00 range is not the morning part of
    # Friday's (cancelled) night shift, so it stays open.
    hours = Hours.parse("Mo-Fr 17:00-09:00; Sa,Su 00:00-24:00; PH off")
    st = hours.status(at("2026-03-21 02:00"))
    assert (st.kind, st.open_until) == (StatusKind.OPEN, at("2026-03-23 00:00"))
    assert hours.status(at("2026-03-20 18:00")).kind is StatusKind.CLOSED


def test_tenth_of_the_month_0800_to_next_day_0800() -> None:
    hours = Hours.parse("Jan 10,Feb 10,Mar 10,Apr 10,May 10,Jun 10,Jul 10,Aug 10,Sep 10,Oct 10,Nov 10,"
                        "Dec 10 08:00-32:00")
    st = hours.status(at("2026-12-11 02:00"))
    assert (st.kind, st.open_until) == (StatusKind.OPEN, at("2026-12-11 08:00"))
    assert hours.status(at("2026-12-10 07:59")).next_open == at("2026-12-10 08:00")
    assert hours.status(at("2026-12-11 08:00")).kind is StatusKind.CLOSED


# -- parsing ------------------------------------------------------------------------------------

def test_parse_is_cached() -> None:
    assert Hours.parse(WEEKDAY) is Hours.parse(WEEKDAY)


@pytest.mark.parametrize(("expr", "message"), [
    ("9:00", "cannot read opening hours '9:00' at character 5"),
    ("Mo-Fr 09:00-17:00; Sa 10:00-1", "cannot read opening hours"),
    ("", "empty; write null"),
    ("Mo-Fr 09:00-17:00 || \"by appointment\"", "fallback rules"),
    ("sunrise-sunset", "solar times"),
    ("Mo-Fr 09:00-17:00; SH off", "school holidays"),
    ("Mo-Fr 17:00+", "open-ended"),
    ("Dec PH off", "cannot use PH in the rule 'Dec PH off'"),
    ("Mo-Fr 09:00-17:00; PH +1 day off", "cannot use PH"),
])
def test_bad_expressions_are_refused_readably(expr: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        Hours.parse(expr)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_non_string_is_refused() -> None:
    with pytest.raises(ValueError, match="text in quotes"):
        Hours.parse(540)  # type: ignore[arg-type]  # what YAML 1.1 makes of 9:00


_SHIPPED_HOURS = sorted({c.hours for c in Directory.load(Directory.default_paths()).contacts if c.hours}
                        | {WEEKDAY, NIGHT, "24/7", 'Mo-Fr 17:00-24:00 unknown "varies"'})


@given(st.sampled_from(_SHIPPED_HOURS),
       st.datetimes(min_value=dt.datetime(2019, 12, 20), max_value=dt.datetime(2036, 1, 10),  # noqa: DTZ001 — made aware below
                    timezones=st.just(JST)))
@settings(max_examples=examples(300))
def test_is_open_is_what_status_says(expr: str, now: dt.datetime) -> None:
    # is_open reads only the state at `now` (no look-ahead): the same answer as the full status,
    # for every window's hours as shipped, across the holiday table's edges (2020-2035)
    hours = Hours.parse(expr)
    assert hours.is_open(now) is hours.status(now).is_available
    assert hours.is_open(now.replace(second=0, microsecond=0)) is hours.status(
        now.replace(second=0, microsecond=0)).is_available


@pytest.mark.parametrize("first", [dt.date(2026, 12, 26), dt.date(2026, 9, 17), dt.date(2035, 12, 27)])
def test_open_at_answers_as_is_open_at_every_instant(first: dt.date) -> None:
    """The lint's batch question (one evaluation per span between changes) gives is_open's answer at
    every sampled instant — every shipped window, night lines across midnight, holidays (the
    September cluster), the year end, and instants past the holiday table (2036) — and in any order
    of the instants (checked backwards over the first three days)."""
    from bot.toolkit.lint import sample_times

    times = sample_times(first) + [dt.datetime(2026, 12, 1, h, m, tzinfo=JST) for h in (1, 8, 17) for m in (0, 14, 59)]
    shipped = Directory.load(Directory.default_paths())
    exprs = {shipped.get(c).hours for c in shipped.ids} | {
        "Mo-Su 17:00-09:00; PH off", "Mo-Fr 08:30-17:15; PH off; Dec 29-Jan 03 off", "24/7", None,
        "Jan 10,Feb 10,Mar 10,Apr 10,May 10,Jun 10,Jul 10,Aug 10,Sep 10,Oct 10,Nov 10,Dec 10 08:00-32:00",
        "Mo-Fr 09:00-12:00,13:00-16:00; Sa unknown \"varies\""}
    for expr in exprs:
        hours = Hours.parse(expr)
        assert hours.open_at(times) == [hours.is_open(t) for t in times], expr
        backwards = times[:150][::-1]
        assert hours.open_at(backwards) == [hours.is_open(t) for t in backwards], expr
