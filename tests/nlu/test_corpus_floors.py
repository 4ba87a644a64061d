"""The labelled corpus (flows/tests/nlu/*.yaml) read by the shipped engine must hold issue #11's
floors: ≥ 97 % per question, every crisis utterance caught in every state, no idiom replacing the
question, no negated sentence read as danger. `soudan nlu` prints the details."""

from __future__ import annotations

import dataclasses
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from bot.nlu.corpus import FLOORS, Report, evaluate, load_corpus, main
from tests import shipped
from tests.conftest import Soudan

CORPUS = Path(__file__).resolve().parents[2] / "flows" / "tests" / "nlu"


engine = shipped.engine
"""The shipped flows and directory, loaded once per process (tests/shipped.py)."""

CRISIS_PARTS, IDIOM_PARTS = 6, 2
"""The crisis and idiom corpora are typed in every state of the flow (some 14,000 engine steps,
~9 s of CPU): they run as this many tests, every ``n``-th line each, so that xdist spreads them
over its workers instead of one test holding one worker that long (and finishing last)."""


@cache
def corpus() -> list[Any]:
    return load_corpus([CORPUS])


@cache
def report() -> Report:
    """The question and slot corpora (accuracy per question, negated sentences read as danger)."""
    return evaluate(engine(), [f for f in corpus() if f.data.get("kind") not in ("crisis", "idioms")])


def lines_of(kind: str) -> int:
    return sum(len(f.data["examples"]) for f in corpus() if f.data.get("kind") == kind)


def part(kind: str, i: int, n: int) -> Report:
    """The corpora of ``kind`` (crisis, idioms) through the engine, every ``n``-th line from line ``i``."""
    files = [dataclasses.replace(f, data={**f.data, "examples": f.data["examples"][i::n]}, lines=f.lines[i::n])
             for f in corpus() if f.data.get("kind") == kind]
    return evaluate(engine(), files)


def test_every_question_is_understood_at_the_floor() -> None:
    low = {f"{q.question}": f"{q.accuracy:.1%}" for q in report().questions if q.accuracy < FLOORS["question_accuracy"]}
    assert not low, f"below 97 %: {low} — run `soudan nlu` for the confusions"
    assert len(report().questions) >= 10


@pytest.mark.parametrize("i", range(CRISIS_PARTS))
def test_every_crisis_utterance_is_caught_in_every_state(i: int) -> None:
    assert lines_of("crisis") >= 100
    r = part("crisis", i, CRISIS_PARTS)
    assert r.crisis_total >= 100 // CRISIS_PARTS and r.crisis_states >= 10
    assert r.crisis_missed == [], r.crisis_missed[:5]


@pytest.mark.parametrize("i", range(IDIOM_PARTS))
def test_no_idiom_replaces_the_question(i: int) -> None:
    assert lines_of("idioms") >= 50
    r = part("idioms", i, IDIOM_PARTS)
    assert r.idiom_total >= 50 // IDIOM_PARTS
    assert r.idiom_alarms == [], r.idiom_alarms[:5]


def test_no_negated_sentence_is_read_as_danger() -> None:
    assert report().negated_danger == []


def test_the_command_prints_the_figures_and_fails_below_a_floor(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    assert main(argparse.Namespace(paths=[str(CORPUS / "safety.yaml")], question="safety", json=False)) == 0
    out = capsys.readouterr().out
    assert "net-harm/safety" in out and "every floor holds" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text('flow: net-harm\nquestion: safety\nexamples:\n  - {text: "危ない目にはあってません", expect: danger}\n',
                   encoding="utf-8")
    assert main(argparse.Namespace(paths=[str(bad)], question=None, json=False)) == 1
    out = capsys.readouterr().out
    assert "danger → none" in out and "below the floors" in out


def test_an_unknown_question_is_an_error_not_a_pass(soudan: Soudan) -> None:
    """`soudan nlu --question nope` (a typo) used to print "every floor holds" and exit 0 after
    checking nothing; found by a new-user trial."""
    p = soudan("nlu", "--question", "nope")
    assert p.returncode == 2
    assert "every floor holds" not in p.stdout
    assert "no corpus labels the question 'nope'" in p.stderr
    assert "who" in p.stderr.split("questions with a corpus:")[1]
    assert soudan("nlu", "--question", "who").returncode == 0


@pytest.mark.parametrize("content", [None, "flow: net-harm\nquestion: safety\nexamples: []\n"])
def test_an_empty_corpus_is_an_error_not_a_pass(tmp_path: Path, content: str | None, soudan: Soudan) -> None:
    """A flow author's empty flows/tests/nlu folder (or a file with no examples) used to print
    "crisis recall … 0/0 = 100.0%" and "every floor holds", exit 0, having measured nothing."""
    if content is not None:
        (tmp_path / "empty.yaml").write_text(content, encoding="utf-8")
    p = soudan("nlu", str(tmp_path))
    assert p.returncode == 2
    assert "every floor holds" not in p.stdout
    assert f"no labelled messages in {tmp_path}" in p.stderr
