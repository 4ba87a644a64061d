"""Shared fixtures: a tiny flow and directory written to files, and an engine built from them."""

from __future__ import annotations

import datetime as dt
import io
import os
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot import cli
from bot.engine.core import Engine
from bot.loading import build_engine
from bot.settings import Settings
from bot.timeutil import JST
from tests import profiles, shipped
from tests.redis_kit import redis_or_skip

pytest_plugins = ["tests.store.backends"]  # backend, persistent, store, clock: every store backend

TINY_DIRECTORY = """\
- id: day_line
  name: {ja: 平日の相談窓口, en: Weekday line}
  org: {ja: テスト機関, en: Test office}
  phones: [{number: "0570-003-110"}]
  hours: "Mo-Fr 09:00-17:00; PH off"
  hours_text: {ja: 平日 9:00〜17:00, en: "Weekdays 9:00-17:00"}
  cost: navi-dial
  topics: [DEF]
  source: https://example.org/day
  verified: "2026-11-30"
- id: night_line
  name: {ja: 24時間の窓口, en: 24-hour line}
  org: {ja: テスト機関, en: Test office}
  phones: [{number: "0120-279-338"}]
  hours: "24/7"
  hours_text: {ja: 24時間, en: 24 hours}
  cost: free
  topics: [DIS]
  source: https://example.org/night
  verified: "2026-11-30"
- id: police_110
  name: {ja: 警察 110番, en: Police 110}
  org: {ja: 警察, en: Police}
  phones: [{number: "110"}]
  hours: "24/7"
  hours_text: {ja: 24時間, en: 24 hours}
  cost: free
  topics: [EMG]
  source: https://example.org/110
  verified: "2026-11-30"
"""

TINY_FLOW = """\
id: tiny
title: {ja: テスト, en: Test}
start: who
fallback: [night_line]
crisis:
  keywords: [死にたい, suicide]
  text: {ja: あなたの安全が大切です。, en: Your safety matters.}
  contacts: [police_110, night_line]
states:
  who:
    ask: {ja: あなたは？, en: "Who are you?"}
    save_as: who
    choices:
      - {id: pupil, label: {ja: 学生, en: Student}, keywords: [中学生, 高校生], goto: what}
      - {id: adult, label: {ja: おとな, en: Adult}, goto: what}
  what:
    ask: {ja: 何がありましたか？, en: "What happened?"}
    choices:
      - id: yes
        label: {ja: はい、悪口を書かれた, en: "Yes, insults"}
        keywords: [悪口]
        goto:
          - {when: {who: pupil}, to: intro}
          - {to: result-adult}
      - {id: other, label: {ja: いいえ, en: "No"}, goto: result-adult}
  intro:
    say: {ja: 学生向けの窓口です。, en: Lines for students.}
    next: result-pupil
  result-pupil:
    refer:
      text: {ja: 学生の相談先です。, en: Where students can call.}
      contacts: [day_line]
      steps: [{ja: 証拠を保存しましょう。, en: Save evidence.}]
  result-adult:
    refer:
      text: {ja: 相談先です。, en: Where to call.}
      contacts: [day_line, night_line]
"""


def bare_settings(**values: Any) -> Settings:
    """Settings from ``values`` only (no ``.env``), with a test secret and the memory store by default."""
    base: dict[str, Any] = {"SOUDAN_SECRET": "exposure-test-secret-0123456789", "SOUDAN_STORE": "memory://"}
    base.update(values)
    return Settings(_env_file=None, **base)


@pytest.fixture
def no_soudan_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``SOUDAN_*``, ``LINE_*`` or ``DISCORD_*`` variable of the environment reaches the test."""
    for k in list(os.environ):
        if k.startswith(("SOUDAN_", "LINE_", "DISCORD_")):
            monkeypatch.delenv(k)


def write(tmp: Path, name: str, text: str) -> Path:
    """Write ``text`` (dedented) to ``tmp/name`` and return the path."""
    p = tmp / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


@pytest.fixture
def tiny_paths(tmp_path: Path) -> tuple[list[Path], list[Path]]:
    """([flow file], [directory file]) of the tiny flow."""
    d = write(tmp_path, "directory/test.yaml", TINY_DIRECTORY)
    f = write(tmp_path, "flows/tiny.yaml", TINY_FLOW)
    return [f], [d]


_TINY_ENGINE: list[Engine] = []


@pytest.fixture
def tiny_engine(tiny_paths: tuple[list[Path], list[Path]]) -> Engine:
    """An engine over the tiny flow and directory (idle timeout 1 hour), built from the files of the
    first test that asks for it and shared by the later ones of the process: the files are the same
    two constants every time, and an engine holds no conversation state (as ``shipped_engine``);
    some 180 tests built it again (~10 ms of CPU each)."""
    if not _TINY_ENGINE:
        _TINY_ENGINE.append(build_engine(*tiny_paths, idle_timeout=3600))
    return _TINY_ENGINE[0]


HYPOTHESIS_PROFILE = profiles.PROFILE
"""The hypothesis profile of this run, loaded on import (``SOUDAN_HYPOTHESIS``: quick or thorough)."""


RUN_FIRST = (
    "tests/store/test_kill.py",  # soudan serve started, SIGKILLed and started again, per store
    "tests/store/test_two_replicas.py",  # two soudan serve processes on one Redis
    "tests/devtools/test_line_dev.py",  # soudan line dev and the soudan serve it starts
    "tests/web/test_browser.py",  # chromium
    "tests/adapters/line/test_line_serve.py",  # soudan serve as a process
    "tests/hardening/test_privacy.py",  # Discord on Redis waits for the store's watchdog timer (simcord)
    "tests/store/test_faults.py",  # ~25 consultations per store
    "tests/nlu/test_corpus_floors.py",  # the whole labelled corpus, crisis lines in every state
    "tests/flows/test_result_order_property.py",  # every result at every hour of a week
    "tests/hardening/test_soak_small.py",  # 400 events per store
    "tests/hardening/test_webhook_fuzz.py",
    "tests/test_serve.py",  # soudan serve in this process, on real ports
    "tests/test_cli.py",  # the subprocess smoke tests of the entry points
)
"""Test files that start processes or a browser, or run for seconds: they run before the rest (in
this order, each keeping its own order) so that in a parallel run (``make test``: pytest-xdist,
``--dist worksteal``) they overlap the short tests instead of making the tail of the run, while
an idle worker takes short tests from the other's queue. Only the order changes."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Moves the tests of :data:`RUN_FIRST` to the front (a stable sort: the rest keep their order)."""
    rank = {path: i for i, path in enumerate(RUN_FIRST)}
    last = len(RUN_FIRST)
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], last))


def pytest_report_header() -> str:
    """Says the hypothesis profile at the top of the run."""
    return f"hypothesis profile: {HYPOTHESIS_PROFILE} ({profiles.ENV}=thorough for ten times the examples)"


@pytest.fixture(scope="session")
def shipped_engine() -> Engine:
    """The engine over the shipped flows and directory, one per test process (tests/shipped.py);
    tests run conversations through it and never change it."""
    return shipped.engine()


WEEKDAY_10 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=JST)  # Tuesday
SUNDAY_10 = dt.datetime(2026, 12, 6, 10, 0, tzinfo=JST)


@pytest.fixture
def redis_url() -> str:
    """The test Redis URL (``SOUDAN_TEST_REDIS_URL``); skips locally, fails under ``CI``, when the
    server does not answer (tests/redis_kit.py)."""
    return redis_or_skip()


@dataclass(frozen=True)
class Ran:
    """What a ``soudan`` command did: its exit status and what it printed."""

    returncode: int
    stdout: str
    stderr: str


Soudan = Callable[..., Ran]
"""``soudan(*args, stdin="", env=None)`` → :class:`Ran` (the ``soudan`` fixture)."""


@pytest.fixture
def soudan(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Soudan:
    """Run ``soudan ARGS`` in this process through :func:`bot.cli.main` — what the console script
    calls — with ``stdin`` as standard input (not a terminal) and ``env`` added to the environment
    for that call. argparse's ``SystemExit`` becomes the exit status. One subprocess test per entry
    point (tests/test_cli.py) checks that the real ``soudan`` and ``python -m bot`` get here."""

    def run(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> Ran:
        capsys.readouterr()
        with monkeypatch.context() as m:
            for k, v in (env or {}).items():
                m.setenv(k, v)
            m.setattr(sys, "stdin", io.StringIO(stdin))
            try:
                code = cli.main(list(args))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out, err = capsys.readouterr()
        return Ran(code, out, err)

    return run


def pytest_collection_finish(session: pytest.Session) -> None:
    """Moves what collection made (the libraries, the test modules and items, the shipped data
    loaded at import) out of the cyclic garbage collector's walks (``gc.freeze``, after one
    collection), as ``soudan serve`` does once listening (bot.serve.freeze_heap): they live until
    the run ends, and each full collection during the tests walked all of them again. Objects
    made by the tests are collected as before."""
    import gc

    gc.collect()
    gc.freeze()
