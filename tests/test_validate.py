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


def test_a_named_flow_file_shows_its_own_warnings_and_counts_the_others(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """`soudan validate flows/club.yaml` printed the shipped directory's six old-source warnings every
    time (trial 2026-12-02, F9): warnings about files only loaded to check the named one are counted."""
    from bot.settings import ROOT, Settings

    monkeypatch.delenv("SOUDAN_TEAMS_FILE", raising=False)
    rc = validate.main(argparse.Namespace(paths=[str(ROOT / "flows/net-harm.yaml")], format="text"))
    out = capsys.readouterr().out
    whole = validate.collect(*validate.split_paths([], Settings()))
    others = [e for e in whole if e.severity == "warning" and "directory" in e.path]
    assert rc == 0 and others, out  # the shipped directory has old-source warnings (the case at hand)
    assert "warning" not in out.split("1 flow file(s)")[0]
    assert f"(and {len(others)} warning(s) in files you did not name; `soudan validate` alone shows them)" in out
    monkeypatch.chdir(ROOT)
    rc = validate.main(argparse.Namespace(paths=[], format="text"))
    rel = Path(others[0].path).relative_to(ROOT)
    assert f"{rel}:{others[0].line}: warning: {others[0].message}" in capsys.readouterr().out


def test_paths_are_printed_as_the_author_types_them_inside_the_checkout(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """trial9 F3: `soudan validate` alone printed the shipped files with the checkout's absolute path
    (`/home/…/directory/mental-health.yaml:29`) while `soudan validate drafts/club.yaml` printed
    `drafts/club.yaml`: inside the working folder a path is relative, outside it as given."""
    from bot.settings import ROOT

    monkeypatch.delenv("SOUDAN_TEAMS_FILE", raising=False)
    monkeypatch.chdir(ROOT)
    validate.main(argparse.Namespace(paths=[], format="text"))
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ": warning: " in ln]
    assert lines and all(ln.startswith("directory/") for ln in lines), lines
    monkeypatch.chdir(tmp_path)  # outside the checkout: the path as given (absolute)
    validate.main(argparse.Namespace(paths=[], format="github"))
    assert f"file={ROOT / 'directory'}" in capsys.readouterr().out
