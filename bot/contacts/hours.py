"""Opening-hours evaluation in Asia/Tokyo with Japanese public holidays.

Expressions use the OpenStreetMap ``opening_hours`` syntax (evaluated by ``opening-hours-py``):
``Mo-Fr 08:30-17:15; PH off; Dec 29-Jan 03 off``, ``Mo-Fr 09:00-12:00,13:00-16:00``, ``24/7``,
``Mo-Su 17:00-09:00`` (across midnight). Evaluation always happens in Japan time, whatever the
process time zone: an aware ``now`` is converted with ``ZoneInfo("Asia/Tokyo")`` and the library
is given naive JST times. A naive ``now`` is refused.

Public holidays
    The library's Japanese holiday calendar is wrong (it misses 2026-09-22 国民の休日 and
    2027-03-22 振替休日, among others), so the library is never given a country. Instead each
    ``PH`` rule is rewritten into explicit dates from :mod:`bot.contacts.holidays` for
    :data:`~bot.contacts.holidays.HOLIDAY_YEARS` (2020–2035): ``PH off`` becomes
    ``2020 Jan 01,2020 Jan 13,… off`` and ``Sa,PH 10:00-16:00`` becomes
    ``Sa 10:00-16:00; 2020 Jan 01,… 10:00-16:00``. For an instant outside those years an
    expression that uses ``PH`` reports :attr:`StatusKind.UNKNOWN` rather than guess.

Hours across midnight (the semantics chosen here — "fail closed")
    A rule for a day (``PH off``, ``Dec 29-Jan 03 off``, ``Tu off``, ``PH 10:00-16:00``) governs
    that whole calendar day, 00:00–24:00. For a night line such as
    ``Mo-Su 17:00-09:00; PH off`` the operator's wording (平日17時〜翌9時、祝日を除く) can be read
    two ways: the shift that starts the evening before a holiday may or may not run into the
    holiday morning, and the shift that would start on the holiday may or may not leave a
    morning part the next day. This module reports *open only when both readings agree*:

    * 02:00 on a holiday morning after a normal evening → **closed** (the evening before is shown
      as open until 00:00 of the holiday);
    * 02:00 on the morning after a holiday → **closed** (no shift started on the holiday), open
      again from 17:00 that day.

    Saying "closed" when a line is open sends a person to another window (a 24-hour line is
    always offered); saying "open" when nobody answers is the harm to avoid. A night shift that
    starts on an ordinary day is unaffected: ``Jan 10,…,Dec 10 08:00-32:00`` (いのちの電話 free
    dial, the 10th 8:00 → 11th 8:00) is open at 02:00 on the 11th.

    Implementation: the library evaluates the expanded expression as written (``full``) and a
    copy whose ranges across midnight are cut at 24:00 (``own_day``: only what starts on each
    day). An instant is open when ``own_day`` is open, or when ``full`` is open there (the
    morning part of a night shift) *and* ``own_day`` was open at 23:59 the evening before.

Parsed expressions are cached (:meth:`Hours.parse` returns the same object for the same text),
so the directory parses each expression once at load time.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import lru_cache

import opening_hours
from opening_hours import OpeningHours, State

from bot.contacts.holidays import HOLIDAY_YEARS, holidays_in_year
from bot.contacts.status import Status, StatusKind
from bot.timeutil import JST

__all__ = ["LOOKAHEAD", "VARIES", "Hours", "to_jst_naive"]

VARIES = "varies"
"""The comment of an ``unknown`` rule whose hours vary by region or centre, e.g.
``Mo-Fr 17:00-24:00 unknown "varies"`` (#9110 out of office hours: some prefectures answer,
others through duty staff or a recording). The status is then worded 「地域により異なる」."""

LOOKAHEAD = dt.timedelta(days=14)
"""How far ahead :meth:`Hours.status` looks for the next opening or closing."""

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAY = r"(?:Mo|Tu|We|Th|Fr|Sa|Su)"
_WD_ITEM = rf"(?:{_DAY}(?:-{_DAY})?|PH)"
_PH_RULE = re.compile(rf"^(?P<days>{_WD_ITEM}(?:\s*,\s*{_WD_ITEM})*)(?P<rest>(?:\s+.*)?)$", re.S)
_RANGE = re.compile(r"(?<![\d:])(\d{1,2}):(\d{2})(\s*-\s*)(\d{1,2}):(\d{2})(?![\d:])")
_QUOTED = re.compile(r'"[^"]*"')
_FORBIDDEN: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\|\|"), "fallback rules ('||') are not supported; write plain rules separated by ';'"),
    (re.compile(r"\b(?:sunrise|sunset|dawn|dusk)\b"), "solar times (sunrise/sunset) are not supported"),
    (re.compile(r"\bSH\b"), "school holidays (SH) are not supported: there is no calendar for them"),
    (re.compile(r"\beaster\b"), "'easter' is not a Japanese holiday"),
    (re.compile(r"\d\d:\d\d\+"), "open-ended times ('17:00+') are not supported; give the closing time"),
)
# ParserError exists at run time but not in the library's type stubs.
_PARSER_ERRORS: tuple[type[Exception], ...] = (getattr(opening_hours, "ParserError", SyntaxError), SyntaxError,
                                               ValueError)
_EXAMPLE = '"Mo-Fr 08:30-17:15; PH off; Dec 29-Jan 03 off"'


def to_jst_naive(now: dt.datetime) -> dt.datetime:
    """``now`` converted to Asia/Tokyo, without tzinfo (what the library is given).

    Raises:
        ValueError: when ``now`` is naive — the clock is always injected and aware.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware (e.g. datetime.now(ZoneInfo('Asia/Tokyo'))), got {now!r}")
    return now.astimezone(JST).replace(tzinfo=None)


def _aware(t: dt.datetime) -> dt.datetime:
    return t.replace(tzinfo=JST)


def _outside_quotes(expr: str) -> str:
    return _QUOTED.sub('""', expr)


def _split_rules(expr: str) -> list[str]:
    """Split on ';' outside double quotes."""
    rules: list[str] = []
    buf: list[str] = []
    quoted = False
    for ch in expr:
        if ch == '"':
            quoted = not quoted
        if ch == ";" and not quoted:
            rules.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    rules.append("".join(buf))
    return rules


@lru_cache(maxsize=1)
def _holiday_selector() -> str:
    days = [d for y in HOLIDAY_YEARS for d in holidays_in_year(y)]
    return ",".join(f"{d.year} {_MONTHS[d.month - 1]} {d.day:02d}" for d in days)


def _expand_ph(expr: str) -> tuple[str, bool]:
    """Rewrite every ``PH`` rule into explicit holiday dates. Returns (expression, used PH)."""
    out: list[str] = []
    used = False
    for raw in _split_rules(expr):
        rule = raw.strip()
        if not re.search(r"\bPH\b", _outside_quotes(rule)):
            out.append(rule)
            continue
        m = _PH_RULE.match(rule)
        if m is None or m.group("rest").lstrip().startswith(("+", "-")):
            raise ValueError(
                f"cannot use PH in the rule {rule!r}: write it as a rule of its own, e.g. 'PH off' or "
                "'PH 10:00-16:00', or in a weekday list such as 'Sa,Su,PH off'")
        used = True
        items = [i.strip() for i in m.group("days").split(",")]
        rest = m.group("rest")
        weekdays = [i for i in items if i != "PH"]
        if weekdays:
            out.append(",".join(weekdays) + rest)
        out.append(_holiday_selector() + rest)
    return "; ".join(r for r in out if r), used


def _minutes(h: str, m: str) -> int:
    return int(h) * 60 + int(m)


def _overnight_ranges(expr: str) -> bool:
    for m in _RANGE.finditer(_outside_quotes(expr)):
        start, end = _minutes(m.group(1), m.group(2)), _minutes(m.group(4), m.group(5))
        if end <= start or end > 24 * 60:
            return True
    return False


def _clip_overnight(expr: str) -> str:
    """The expression with every range across midnight cut at 24:00."""
    def clip(m: re.Match[str]) -> str:
        start, end = _minutes(m.group(1), m.group(2)), _minutes(m.group(4), m.group(5))
        if end <= start or end > 24 * 60:
            return f"{m.group(1)}:{m.group(2)}{m.group(3)}24:00"
        return m.group(0)
    parts = re.split(r'("[^"]*")', expr)
    return "".join(p if p.startswith('"') else _RANGE.sub(clip, p) for p in parts)


def _parser_message(expr: str, exc: Exception) -> str:
    text = str(exc)
    where = re.search(r"-->\s*\d+:(\d+)", text)
    expected = re.search(r"=\s*(.+)$", text.strip().splitlines()[-1]) if text.strip() else None
    detail = ""
    if where:
        detail += f" at character {where.group(1)}"
    if expected:
        detail += f" ({expected.group(1).strip()})"
    return (f"cannot read opening hours {expr!r}{detail}; use OpenStreetMap opening_hours syntax with "
            f"HH:MM times, e.g. {_EXAMPLE}, or null when the hours are not verified")


def _compile(expr: str) -> OpeningHours:
    try:
        return OpeningHours(expr)
    except _PARSER_ERRORS as exc:
        raise ValueError(_parser_message(expr, exc)) from None


_KIND = {State.OPEN: StatusKind.OPEN, State.CLOSED: StatusKind.CLOSED, State.UNKNOWN: StatusKind.UNKNOWN}


class Hours:
    """A parsed opening-hours expression, evaluated in Asia/Tokyo.

    Create with :meth:`Hours.parse`; instances are immutable and shared.

    Attributes:
        expression: the expression as written, or None when the hours are not verified.
        expanded: the expression given to the library (``PH`` replaced by dates), or None.
        uses_holidays: True when the expression has a ``PH`` rule.
        overnight: True when a time range crosses midnight (see the module docstring).
        is_always: True for ``24/7`` (and equivalents such as ``Mo-Su 00:00-24:00``).
    """

    __slots__ = ("_full", "_own_day", "expanded", "expression", "is_always", "overnight", "uses_holidays")

    def __init__(self, expression: str | None, expanded: str | None, full: OpeningHours | None,
                 own_day: OpeningHours | None, *, uses_holidays: bool, overnight: bool,
                 is_always: bool) -> None:
        self.expression = expression
        self.expanded = expanded
        self._full = full
        self._own_day = own_day
        self.uses_holidays = uses_holidays
        self.overnight = overnight
        self.is_always = is_always

    def __repr__(self) -> str:
        return f"Hours.parse({self.expression!r})"

    @staticmethod
    def parse(expr: str | None) -> Hours:
        """Parse (once; results are cached) an opening-hours expression.

        Args:
            expr: OpenStreetMap ``opening_hours`` syntax, e.g. ``"Mo-Fr 08:30-17:15; PH off;
                Dec 29-Jan 03 off"``, ``"24/7"``; or None for hours that are not verified (the
                status is then always :attr:`StatusKind.UNKNOWN`).

        Returns:
            The shared :class:`Hours` for that text.

        Raises:
            ValueError: with a readable message when the expression does not parse, is empty, is
                not a string, or uses syntax this project does not support (``||`` fallbacks,
                sunrise/sunset, school holidays ``SH``, open ends ``17:00+``, ``PH`` inside a rule
                with other selectors, e.g. ``Dec PH off``).
        """
        if expr is None:
            return _UNKNOWN
        if not isinstance(expr, str):
            raise ValueError(f"opening hours must be text in quotes, not {type(expr).__name__} {expr!r}")
        return _parse_cached(expr)

    def status(self, now: dt.datetime) -> Status:
        """Whether the window is reachable at ``now``.

        Args:
            now: an aware datetime in any zone; converted to Asia/Tokyo.

        Returns:
            :class:`Status` — ``ALWAYS`` for 24/7; ``OPEN`` with ``open_until`` (aware JST; None
            if it stays open beyond :data:`LOOKAHEAD`); ``CLOSED`` with ``next_open`` (aware JST;
            None when nothing opens within :data:`LOOKAHEAD` or the next period is of unknown
            state); ``UNKNOWN`` for unverified hours, ``unknown`` rules, or a ``PH`` expression
            outside 2020–2035.

        Raises:
            ValueError: when ``now`` is naive.
        """
        st = self._status(now)
        return replace(st, at=now)

    def _status(self, now: dt.datetime) -> Status:
        local = to_jst_naive(now)
        if self._full is None:
            return Status(StatusKind.UNKNOWN)
        if self.is_always:
            return Status(StatusKind.ALWAYS)
        horizon = local + LOOKAHEAD
        if self.uses_holidays:
            if local.year not in HOLIDAY_YEARS:
                return Status(StatusKind.UNKNOWN)
            horizon = min(horizon, dt.datetime(HOLIDAY_YEARS.stop, 1, 1))  # noqa: DTZ001 — opening-hours-py works on naive local (JST) times; `local` is naive too
        state = self._state(local)
        if state is StatusKind.OPEN:
            end = self._first(local, horizon, lambda s: s is not StatusKind.OPEN)
            return Status(StatusKind.OPEN, open_until=_aware(end) if end else None)
        if state is StatusKind.UNKNOWN:
            # an `unknown` rule commented "varies": known elsewhere in the week, varies by region now
            assert self._full is not None
            return Status(StatusKind.UNKNOWN, varies=self._full.state(local)[1] == VARIES)
        nxt = self._first(local, horizon, lambda s: s is not StatusKind.CLOSED)
        if nxt is not None and self._state(nxt) is not StatusKind.OPEN:
            nxt = None  # the next period is of unknown state: do not promise an opening time
        return Status(StatusKind.CLOSED, next_open=_aware(nxt) if nxt else None)

    def is_open(self, now: dt.datetime) -> bool:
        """True when :meth:`status` is open or 24 hours at ``now`` (aware; converted to JST).

        Only the state at ``now``: without :meth:`status`'s look-ahead for the closing or opening
        time (``soudan validate`` and ``soudan serve``'s start-up lint ask this at every half hour
        of eight days for every window).
        """
        local = to_jst_naive(now)
        if self._full is None:
            return False
        if self.is_always:
            return True
        if self.uses_holidays and local.year not in HOLIDAY_YEARS:
            return False
        return self._state(local) is StatusKind.OPEN

    def open_at(self, times: Sequence[dt.datetime]) -> list[bool]:
        """:meth:`is_open` at each of ``times`` (aware; in increasing order), with the same answers.

        Between two changes of state (the next change of either evaluated expression, and each
        midnight, which the across-midnight rule looks back over) nothing can change, so the state
        is evaluated once per such span instead of once per instant: ``soudan validate`` and
        ``soudan serve``'s start-up lint ask every window at each half hour of eight days and more.

        Raises:
            ValueError: when a time is naive.
        """
        if self._full is None or self.is_always:
            return [self._full is not None] * len(times)
        out: list[bool] = []
        state = False
        start: dt.datetime | None = None
        until: dt.datetime | None = None
        for now in times:
            local = to_jst_naive(now)
            if self.uses_holidays and local.year not in HOLIDAY_YEARS:
                out.append(False)
                continue
            if start is None or until is None or not start <= local < until:
                state = self._state(local) is StatusKind.OPEN
                start = local
                until = local.replace(hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
                # each expression's next change before midnight: a search bounded by the day (the
                # library's next_change looks years ahead for hours that never change, e.g. unknown)
                for oh in (self._full, self._own_day):
                    first = next(iter(oh.intervals(local, until)), None) if oh is not None else None
                    if first is not None:
                        until = min(until, first[1].replace(tzinfo=None))
            out.append(state)
        return out

    # -- evaluation on naive JST times -------------------------------------------------------

    def _state(self, t: dt.datetime) -> StatusKind:
        assert self._full is not None
        full = _KIND[self._full.state(t)[0]]
        if self._own_day is None:
            return full
        own = _KIND[self._own_day.state(t)[0]]
        if own is StatusKind.OPEN:
            return own
        if full is StatusKind.OPEN:
            # The morning part of a night shift: open only if a shift was running at 23:59.
            midnight = t.replace(hour=0, minute=0, second=0, microsecond=0)
            prev = _KIND[self._own_day.state(midnight - dt.timedelta(minutes=1))[0]]
            return prev if prev is not StatusKind.CLOSED else StatusKind.CLOSED
        if StatusKind.UNKNOWN in (full, own):
            return StatusKind.UNKNOWN
        return StatusKind.CLOSED

    def _next_change(self, t: dt.datetime) -> dt.datetime | None:
        assert self._full is not None
        candidates = [self._full.next_change(t)]
        if self._own_day is not None:
            candidates.append(self._own_day.next_change(t))
            candidates.append(t.replace(hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(days=1))
        later = [c.replace(tzinfo=None) for c in candidates if c is not None and c.replace(tzinfo=None) > t]
        return min(later) if later else None

    def _first(self, start: dt.datetime, horizon: dt.datetime,
               stop: Callable[[StatusKind], bool]) -> dt.datetime | None:
        t = start
        while True:
            c = self._next_change(t)
            if c is None or c > horizon:
                return None
            if stop(self._state(c)):
                return c
            t = c


_UNKNOWN = Hours(None, None, None, None, uses_holidays=False, overnight=False, is_always=False)


@lru_cache(maxsize=1024)
def _parse_cached(expr: str) -> Hours:
    text = expr.strip()
    if not text:
        raise ValueError("opening hours are empty; write null when the hours are not verified")
    bare = _outside_quotes(text)
    for pattern, message in _FORBIDDEN:
        if pattern.search(bare):
            raise ValueError(f"opening hours {text!r}: {message}")
    _compile(text)  # syntax errors point into the text as written
    expanded, uses_ph = _expand_ph(text)
    full = _compile(expanded)
    is_always = str(full.normalize()).strip() == "24/7"
    overnight = _overnight_ranges(expanded)
    own_day = _compile(_clip_overnight(expanded)) if overnight and not is_always else None
    return Hours(text, expanded, full, own_day, uses_holidays=uses_ph, overnight=overnight,
                 is_always=is_always)
