"""bot.errors: what to catch, and the machine-readable code of every problem."""

from __future__ import annotations

import re
from pathlib import Path

from bot.contacts.directory import DirectoryError
from bot.engine.flow import FlowError
from bot.errors import CODES, GuildsError, Problem, ProblemsError
from bot.handoff.team import TeamError
from bot.loading import load_all
from bot.yamlload import LoadError
from tests.conftest import TINY_DIRECTORY, TINY_FLOW, write

BOT = Path(__file__).resolve().parents[1] / "bot"


def test_every_code_the_code_gives_is_listed() -> None:
    source = "\n".join(p.read_text(encoding="utf-8") for p in BOT.rglob("*.py"))
    given = set(re.findall(r'code="([a-z-]+)"', source))
    given |= set(re.findall(r'\b(?:err|warn|_problem\(lf)\(?,? ?"([a-z]+(?:-[a-z]+)+)"', source))
    assert {"yaml-syntax", "unknown-state", "missing-translation", "duplicate-contact-id"} <= given
    assert sorted(given - set(CODES)) == []


def test_one_hierarchy_to_catch() -> None:
    assert LoadError is Problem
    assert all(issubclass(e, ProblemsError) for e in (FlowError, DirectoryError, TeamError, GuildsError))


def test_a_broken_directory_is_a_directory_error_not_a_flow_error(tmp_path: Path) -> None:
    d = write(tmp_path, "directory/d.yaml", TINY_DIRECTORY.replace("- id: night_line", "- id: day_line", 1))
    f = write(tmp_path, "flows/tiny.yaml", TINY_FLOW)
    try:
        load_all([f], [d])
    except ProblemsError as exc:
        assert type(exc) is DirectoryError
        assert [e.code for e in exc.errors] == ["duplicate-contact-id"]
    else:
        raise AssertionError("the duplicate id was not refused")
