"""Transcripts and ``soudan test`` (bot/toolkit/transcripts.py): pass, fail, invalid, coverage."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest

from bot.engine.core import Engine
from bot.settings import Settings
from bot.toolkit import transcripts
from bot.toolkit.transcripts import coverage, load_transcript, run, run_transcript
from tests.conftest import Soudan, write

WEEKDAY = '"2026-12-01T10:00:00+09:00"'  # Tuesday 10:00: day_line is open
SUNDAY = '"2026-12-06T10:00:00+09:00"'

PUPIL = f"""\
flow: tiny
at: {WEEKDAY}
turns:
  - pick: pupil
    expect: {{state: what}}
  - say: 悪口
    expect:
      state: result-pupil
      contacts: [day_line]
      contains: [証拠を保存, 受付中]
"""


def report(tmp_path: Path, engine: Engine, *files: tuple[str, str]) -> tuple[int, str]:
    paths = [write(tmp_path, f"tests/{name}", text) for name, text in files]
    out = io.StringIO()
    code = run(paths, engine, out)
    return code, out.getvalue()


def test_a_passing_transcript(tmp_path: Path, tiny_engine: Engine) -> None:
    code, out = report(tmp_path, tiny_engine, ("pupil.yaml", PUPIL))
    assert code == 0
    assert f"PASS {tmp_path}/tests/pupil.yaml (2 turns)" in out
    assert "1 transcript(s): 1 passed, 0 failed" in out


def test_a_wrong_state_fails_with_the_turn_and_both_states(tmp_path: Path, tiny_engine: Engine) -> None:
    text = f"""\
flow: tiny
at: {WEEKDAY}
turns:
  - pick: adult
  - pick: other
    expect: {{state: result-pupil}}
"""
    code, out = report(tmp_path, tiny_engine, ("adult.yaml", text))
    assert code == 1
    assert (f"FAIL {tmp_path}/tests/adult.yaml:5: turn 2 (pick other): expected state 'result-pupil', "
            "saw 'result-adult'") in out
    assert "the bot replied: 相談先です。" in out  # what the bot did say
    assert "1 transcript(s): 0 passed, 1 failed" in out


def test_missing_contacts_fail_with_what_was_offered(tmp_path: Path, tiny_engine: Engine) -> None:
    text = PUPIL.replace("contacts: [day_line]", "contacts: [day_line, police_110]")
    code, out = report(tmp_path, tiny_engine, ("c.yaml", text))
    assert code == 1
    assert ("turn 2 (say \"悪口\"): expected contacts ['day_line', 'police_110'] (missing ['police_110']), "
            "saw ['day_line']") in out


def test_missing_text_fails(tmp_path: Path, tiny_engine: Engine) -> None:
    text = PUPIL.replace("contains: [証拠を保存, 受付中]", "contains: 警察に行きましょう")  # one string is fine
    code, out = report(tmp_path, tiny_engine, ("t.yaml", text))
    assert code == 1
    assert "turn 2 (say \"悪口\"): expected text containing '警察に行きましょう', saw it nowhere in the replies" in out


def test_the_frozen_time_decides_the_status_and_the_fallback(tmp_path: Path, tiny_engine: Engine) -> None:
    text = (PUPIL.replace(WEEKDAY, SUNDAY).replace("contacts: [day_line]", "contacts: [day_line, night_line]")
            .replace("受付中", "受付時間外"))
    code, out = report(tmp_path, tiny_engine, ("sunday.yaml", text))
    assert code == 0, out


def test_pressing_a_button_that_is_not_shown_fails(tmp_path: Path, tiny_engine: Engine) -> None:
    text = f"""\
flow: tiny
at: {WEEKDAY}
turns:
  - pick: other
"""
    code, out = report(tmp_path, tiny_engine, ("p.yaml", text))
    assert code == 1
    assert "turn 1 (pick other): expected a button 'other', saw state 'who' with buttons ['pupil', 'adult']" in out


def test_commands_and_result_buttons_work_in_transcripts(tmp_path: Path, tiny_engine: Engine) -> None:
    text = f"""\
flow: tiny
at: {WEEKDAY}
turns:
  - pick: adult
  - say: "2"
    expect: {{state: result-adult}}
  - pick: ":back"
    expect: {{state: what}}
  - say: 最初から
    expect: {{state: who}}
  - say: 死にたい
    expect: {{contacts: [police_110, night_line], state: who}}
"""
    code, out = report(tmp_path, tiny_engine, ("cmd.yaml", text))
    assert code == 0, out


@pytest.mark.parametrize("text,line,message", [
    (f"flow: tiny\nat: {WEEKDAY}\nturns:\n  - sya: hi\n", 4, "unknown key 'turns.0.sya'"),
    (f"flow: tiny\nat: {WEEKDAY}\nturns:\n  - say: 2\n", 4, "put the value in quotes"),
    (f"flow: tiny\nat: {WEEKDAY}\nturns:\n  - say: a\n    pick: b\n", 4, "exactly one of `say"),
    ("flow: tiny\nat: 2026-12-01T10:00\nturns:\n  - say: a\n", 2, "has no time zone; write it in quotes with a time and +09:00"),
    ("flow: tiny\nat: 明日\nturns:\n  - say: a\n", 2, "not an ISO time"),
    ("flow: tiny\nat: 2026\nturns:\n  - say: a\n", 2, "`at` must be a date and time"),
    ("flow: tiny\nat: \"9999-12-31T10:00+09:00\"\nturns:\n  - say: a\n", 2, "year 9999 is out of range"),
    (f"flow: tiny\nat: {WEEKDAY}\nturns: []\n", 3, "turns"),
    (f"flow: nope\nat: {WEEKDAY}\nturns:\n  - say: a\n", 1, "unknown flow 'nope'; the flows are tiny"),
    (f"flow: tiny\nat: {WEEKDAY}\nturns:\n  - say: a\n    expect: {{state: nowhere}}\n", 5,
     "'nowhere' is not a state of flow 'tiny'"),
    (f"flow: tiny\nat: {WEEKDAY}\nturns:\n  - say: a\n    expect:\n      contacts: [day_line, nobody]\n", 6,
     "contact 'nobody' is not in the directory"),
    (f"flow: tiny\nat: {WEEKDAY}\nturns:\n  - pick: 学生\n", 4, "'学生' is not a choice id of flow 'tiny'"),
    (f"flow: tiny\nat: {WEEKDAY}\nturns:\n  - say: a\n  say: b\n", 5, "YAML syntax"),
])
def test_invalid_transcripts_name_file_and_line(tmp_path: Path, tiny_engine: Engine, text: str, line: int,
                                                message: str) -> None:
    p = write(tmp_path, "bad.yaml", text)
    lt, errors = load_transcript(p, tiny_engine)
    assert lt is None
    assert any(e.line == line and message in e.message for e in errors), [str(e) for e in errors]
    out = io.StringIO()
    assert run([p], tiny_engine, out) == 1
    assert f"FAIL {p}: the transcript is not valid" in out.getvalue()
    assert f"{p}:{line}: error:" in out.getvalue()


def test_coverage_numbers_on_the_tiny_flow(tmp_path: Path, tiny_engine: Engine) -> None:
    lt, errors = load_transcript(write(tmp_path, "pupil.yaml", PUPIL), tiny_engine)
    assert lt is not None, errors
    result = run_transcript(tiny_engine, lt)
    assert result.passed
    # who → (pupil) → what → (yes, typed 悪口) → intro (a `say` passed through) → result-pupil
    assert result.states == {"who", "what", "intro", "result-pupil"}
    assert result.choices == {("who", "pupil"), ("what", "yes")}
    [cov] = coverage(tiny_engine, [result])
    assert cov.missed_states == ["result-adult"]
    assert cov.missed_choices == [("who", "adult"), ("what", "other")]
    assert cov.state_percent == 80.0 and cov.choice_percent == 50.0

    _, out = report(tmp_path, tiny_engine, ("pupil.yaml", PUPIL))
    assert "coverage of flow tiny: states 4/5 (80%), choices 2/4 (50%)" in out
    assert "states no transcript visits: result-adult" in out
    assert "choices no transcript takes: who.adult, what.other" in out


def test_two_transcripts_together_cover_everything(tmp_path: Path, tiny_engine: Engine) -> None:
    adult = f"""\
flow: tiny
at: {WEEKDAY}
turns:
  - pick: adult
  - pick: other
    expect: {{state: result-adult}}
"""
    code, out = report(tmp_path, tiny_engine, ("pupil.yaml", PUPIL), ("adult.yaml", adult))
    assert code == 0
    assert "coverage of flow tiny: states 5/5 (100%), choices 4/4 (100%)" in out
    assert "no transcript" not in out


def test_no_transcripts_is_a_failure_with_a_hint(tmp_path: Path, tiny_engine: Engine) -> None:
    (tmp_path / "empty").mkdir()
    out = io.StringIO()
    assert run([tmp_path / "empty"], tiny_engine, out) == 1
    assert "no transcripts found" in out.getvalue() and "docs/writing-flows.md" in out.getvalue()


def test_main_reads_flows_tests_by_default(tmp_path: Path, tiny_paths: tuple[list[Path], list[Path]],
                                           monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    (flow,), (directory,) = tiny_paths
    write(flow.parent, "tests/pupil.yaml", PUPIL)
    monkeypatch.setenv("SOUDAN_FLOWS_DIR", str(flow.parent))
    monkeypatch.setenv("SOUDAN_DIRECTORY_DIR", str(directory.parent))
    assert transcripts.main(argparse.Namespace(paths=[])) == 0
    out = capsys.readouterr().out
    assert "PASS" in out and f"coverage of flow tiny ({flow})" in out


def test_main_refuses_broken_flows(tmp_path: Path, tiny_paths: tuple[list[Path], list[Path]],
                                   monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    (flow,), (directory,) = tiny_paths
    flow.write_text(flow.read_text(encoding="utf-8").replace("goto: what}", "goto: whta}", 1), encoding="utf-8")
    monkeypatch.setenv("SOUDAN_FLOWS_DIR", str(flow.parent))
    monkeypatch.setenv("SOUDAN_DIRECTORY_DIR", str(directory.parent))
    assert transcripts.main(argparse.Namespace(paths=[])) == 1
    out = capsys.readouterr().out
    assert "'whta'" in out and "soudan validate" in out


# ------------------------------------------------------------------ the shipped transcripts

def shipped() -> list[Path]:
    return sorted((Settings().flows_dir / "tests").glob("*.yaml"))


def test_the_shipped_transcripts_pass_and_cover_every_state_and_choice(capsys: pytest.CaptureFixture[str]) -> None:
    assert transcripts.main(argparse.Namespace(paths=[])) == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    assert "no transcript visits" not in out and "no transcript takes" not in out, out


def test_a_missing_transcript_gets_its_error_without_a_zero_coverage_list(soudan: Soudan) -> None:
    # `soudan test nonexist` (a typo) printed the error and then every state and choice of the
    # shipped flow as "no transcript visits"; found by a new-user trial
    p = soudan("test", "nonexist.yaml")
    assert p.returncode == 1
    assert "FAIL nonexist.yaml: the transcript is not valid" in p.stdout
    assert "cannot read the file" in p.stdout
    assert "coverage of flow" not in p.stdout and "no transcript visits" not in p.stdout
    assert "1 transcript(s): 0 passed, 1 failed" in p.stdout


def test_named_transcript_files_report_only_the_flows_they_use(tmp_path: Path,
                                                               tiny_paths: tuple[list[Path], list[Path]]) -> None:
    """A flow author running one transcript of their new flow saw the shipped flow's 0 % coverage and
    a 40-state list (trial 2026-12-02, F9); a folder run still reports every flow."""
    from bot.loading import build_engine
    from tests.conftest import TINY_FLOW

    (flow,), dirs = tiny_paths
    other = write(flow.parent, "other.yaml", TINY_FLOW.replace("id: tiny", "id: other", 1))
    engine = build_engine([flow, other], dirs, idle_timeout=3600)
    code, out = report(tmp_path, engine, ("pupil.yaml", PUPIL))
    assert code == 0
    assert "coverage of flow tiny: states 4/5 (80%)" in out
    assert "coverage of flow other" not in out
    folder = io.StringIO()
    assert run([tmp_path / "tests"], engine, folder) == 0
    assert "coverage of flow other: states 0/5 (0%)" in folder.getvalue()
