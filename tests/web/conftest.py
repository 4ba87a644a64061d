"""Fixtures for the simulator tests: an app over the tiny flow files in a temporary folder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from bot.app import create_app
from bot.settings import Settings
from bot.store.memory import MemoryStore
from bot.timeutil import JST
from tests.conftest import TINY_DIRECTORY, TINY_FLOW, write

FROZEN = dt.datetime(2026, 12, 1, 10, 0, tzinfo=JST)  # Tuesday 10:00


def sim_settings(root: Path, **extra: Any) -> Settings:
    """Settings whose flows/ and directory/ are under ``root``; simulator on, memory store."""
    values: dict[str, Any] = {
        "SOUDAN_SECRET": "test-secret", "SOUDAN_STORE": "memory://", "SOUDAN_SIMULATOR": True,
        "SOUDAN_FLOWS_DIR": str(root / "flows"), "SOUDAN_DIRECTORY_DIR": str(root / "directory"),
    }
    values.update(extra)
    return Settings(_env_file=None, **values)


@pytest.fixture
def sim_root(tmp_path: Path) -> Path:
    """A folder with flows/tiny.yaml and directory/test.yaml."""
    write(tmp_path, "flows/tiny.yaml", TINY_FLOW)
    write(tmp_path, "directory/test.yaml", TINY_DIRECTORY)
    return tmp_path


@pytest.fixture
def sim_app(sim_root: Path) -> Any:
    """The whole app (as ``soudan serve`` builds it) with a frozen clock and a memory store."""
    return create_app(sim_settings(sim_root), store=MemoryStore(), clock=lambda: FROZEN)
