"""Transcripts can test hand-offs: a `team:`, `wait:` turns and `expect: {handoff: ...}`."""

from __future__ import annotations

from pathlib import Path

from bot.settings import ROOT
from bot.toolkit.transcripts import load_transcript, run_transcript
from tests import shipped


def run(path: Path) -> object:
    engine = shipped.engine()
    lt, errs = load_transcript(path, engine)
    assert lt is not None, errs
    return run_transcript(engine, lt)


def test_the_shipped_handoff_transcripts_pass() -> None:
    for name in ("handoff-withdrawn", "handoff-nobody", "handoff-closed"):
        result = run(ROOT / "flows" / "tests" / f"{name}.yaml")
        assert result.difference is None, (name, result.difference)  # type: ignore[attr-defined]


def test_a_wrong_handoff_expectation_names_the_turn(tmp_path: Path) -> None:
    text = (ROOT / "flows/tests/handoff-nobody.yaml").read_text(encoding="utf-8").replace(
        "  - wait: 301", "  - wait: 100")
    p = tmp_path / "t.yaml"
    p.write_text(text, encoding="utf-8")
    d = run(p).difference  # type: ignore[attr-defined]
    assert d is not None and d.turn == 8 and d.what in ("hand-off event", "contacts")


def test_a_bad_team_in_a_transcript_is_a_file_line_error(tmp_path: Path) -> None:
    text = (ROOT / "flows/tests/handoff-nobody.yaml").read_text(encoding="utf-8").replace(
        "pickup_timeout: 600", "pickup_timeout: 1")
    p = tmp_path / "t.yaml"
    p.write_text(text, encoding="utf-8")
    lt, errs = load_transcript(p, shipped.engine())
    assert lt is None and any("pickup_timeout" in e.message and e.line > 1 for e in errs), errs
