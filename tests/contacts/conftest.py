"""Fixtures for the contacts tests: the process time zone and the shipped directory."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from bot.contacts.directory import Directory
from bot.timeutil import now_jst

TODAY = dt.date(2026, 11, 30)


@pytest.fixture(params=["Asia/Tokyo", "UTC", "America/Los_Angeles"])
def process_tz(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run the test with the process time zone (``TZ``) set to each value in turn."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


@pytest.fixture(scope="session")
def directory() -> Directory:
    """The shipped directory (directory/*.yaml), loaded as of 2026-11-30."""
    return Directory.load(Directory.default_paths(), today=TODAY)


_LOADED: dict[Any, Directory] = {}


@pytest.fixture
def directory_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """``Directory.load`` keeps what it loaded for the same unchanged files (path, modification
    time, size) and date, for this process: ``soudan contacts`` loads the directory at every call
    (a person runs it once), and the search tests run it in-process some seventy times over the same
    shipped files. Loading and its errors are tested with fresh loads (test_directory_load.py)."""
    real = Directory.load.__func__  # type: ignore[attr-defined]

    def load(cls: type[Directory], paths: Sequence[str | Path], today: dt.date | None = None) -> Directory:
        stats = [(str(p), Path(p).stat()) for p in paths]
        key = (tuple((p, st.st_mtime_ns, st.st_size) for p, st in stats), today or now_jst().date())
        hit = _LOADED.get(key)
        if hit is None:
            hit = _LOADED[key] = real(cls, paths, today)
        return hit

    monkeypatch.setattr(Directory, "load", classmethod(load))
