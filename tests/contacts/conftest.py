"""Fixtures for the contacts tests: the process time zone and the shipped directory."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import pytest

from bot.contacts.directory import Directory

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
