"""format_status: the short status wording shared by the CLI and the adapters (ja and en)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.contacts.render import format_status, format_time
from bot.contacts.status import Status, StatusKind
from bot.timeutil import JST

UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=JST)


@pytest.mark.parametrize(("status", "ja", "en"), [
    (Status(StatusKind.OPEN, open_until=at("2026-12-01 17:15")), "受付中（17:15まで）", "Open (until 17:15)"),
    (Status(StatusKind.CLOSED, next_open=at("2026-12-01 08:30")), "受付時間外（次は 12/1 8:30〜）",
     "Closed (opens 12/1 8:30)"),
    (Status(StatusKind.ALWAYS), "24時間", "24 hours"),
    (Status(StatusKind.UNKNOWN), "時間不明（公式サイトで確認）", "Hours unknown (check the official site)"),
    (Status(StatusKind.CLOSED), "受付時間外（次の受付は公式サイトで確認）",
     "Closed (check the official site for the next opening)"),
    (Status(StatusKind.OPEN), "受付中", "Open"),
])
def test_wording(status: Status, ja: str, en: str) -> None:
    assert format_status(status) == ja
    assert format_status(status, "ja") == ja
    assert format_status(status, "en") == en


def test_times_are_shown_in_japan_time() -> None:
    st = Status(StatusKind.OPEN, open_until=dt.datetime(2026, 12, 1, 8, 15, tzinfo=UTC))  # 17:15 JST
    assert format_status(st) == "受付中（17:15まで）"


def test_with_now_a_later_day_shows_the_date_and_midnight_is_2400() -> None:
    now = at("2026-12-10 23:00")
    assert format_status(Status(StatusKind.OPEN, open_until=at("2026-12-11 08:00")), now=now) == "受付中（12/11 8:00まで）"
    assert format_status(Status(StatusKind.OPEN, open_until=at("2026-12-11 00:00")), now=now) == "受付中（24:00まで）"
    assert format_status(Status(StatusKind.OPEN, open_until=at("2026-12-10 23:30")), now=now) == "受付中（23:30まで）"


def test_unknown_locale_falls_back_to_japanese() -> None:
    assert format_status(Status(StatusKind.ALWAYS), "fr") == "24時間"


def test_format_time_refuses_naive() -> None:
    with pytest.raises(ValueError):
        format_time(dt.datetime(2026, 12, 1, 8, 30))  # noqa: DTZ001 — a naive time, which must be refused
