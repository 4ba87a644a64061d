"""`soudan serve` refused a broken SOUDAN_TEAMS_FILE and said "see `soudan validate`", but
`soudan validate` never read the teams file and answered "0 error(s)", exit 0."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bot import validate

TWICE = """\
- id: counsellors
  kind: counsellor
  name: {ja: 相談員}
  platforms: [chatwoot]
  hours: "Mo-Fr 17:00-21:00"
  hours_text: {ja: 平日}
  pickup_timeout: 600
- id: counsellors
  kind: counsellor
  name: {ja: 相談員}
  platforms: [chatwoot]
  hours: "Mo-Fr 17:00-21:00"
  hours_text: {ja: 平日}
  pickup_timeout: 600
"""


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], teams: Path) -> tuple[int, str]:
    monkeypatch.setenv("SOUDAN_TEAMS_FILE", str(teams))
    rc = validate.main(argparse.Namespace(paths=[], format="text"))
    return rc, capsys.readouterr().out


def test_a_broken_teams_file_is_an_error_with_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    teams = tmp_path / "teams.yaml"
    teams.write_text(TWICE, encoding="utf-8")
    rc, out = run(monkeypatch, capsys, teams)
    assert rc == 1
    assert f"{teams}:8: error: team id 'counsellors' is used twice" in out


def test_the_example_teams_file_passes(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.settings import ROOT

    rc, out = run(monkeypatch, capsys, ROOT / "deploy/teams.example.yaml")
    assert rc == 0 and "1 teams file: 0 error(s)" in out
