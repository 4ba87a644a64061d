"""Urgency on results (PLAN contract 4): declared per `refer` state, required by `soudan validate`,
carried by the neutral `Refer` reply; the crisis reply and the emergency result are `immediate`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from bot import validate
from bot.engine.flow import URGENCIES, load_flow
from bot.engine.types import Refer
from bot.settings import ROOT, Settings
from bot.testing import FakeChat
from bot.toolkit.lint import lint
from tests.conftest import TINY_DIRECTORY, TINY_FLOW, WEEKDAY_10, Soudan, write

SHIPPED = ROOT / "flows" / "net-harm.yaml"
URGENT_FLOW = TINY_FLOW.replace("  result-pupil:\n", "  result-pupil:\n    urgency: high\n").replace(
    "  result-adult:\n", "  result-adult:\n    urgency: normal\n")


def _shipped_chat() -> FakeChat:
    s = Settings()
    return FakeChat.from_files(s.flow_paths(), s.directory_paths(), at=WEEKDAY_10)


def test_every_shipped_result_declares_an_urgency() -> None:
    lf, errs = load_flow(SHIPPED)
    assert lf is not None, errs
    results = {sid: st.urgency for sid, st in lf.flow.states.items() if st.refer is not None}
    assert results and all(u in URGENCIES for u in results.values()), results
    assert results["emergency"] == "immediate"
    assert results["selfharm_injured"] == "immediate"
    assert results["thr"] == "high"
    assert results["delete"] == "normal"


def test_the_emergency_result_and_the_crisis_reply_are_immediate() -> None:
    chat = _shipped_chat()
    chat.start()
    chat.pick("danger")
    assert chat.state == "emergency"
    assert chat.urgencies == ["immediate"]
    chat.say("最初から")
    chat.say("もう死にたい")
    refs = [r for r in chat.replies if isinstance(r, Refer)]
    assert refs and refs[0].urgency == "immediate" and refs[0].state_id is None
    assert "110" in refs[0].text


def test_a_refer_reply_names_its_state_and_urgency(tmp_path: Path) -> None:
    f = write(tmp_path, "flows/t.yaml", URGENT_FLOW)
    d = write(tmp_path, "directory/d.yaml", TINY_DIRECTORY)
    chat = FakeChat.from_files([f], [d], at=WEEKDAY_10)
    chat.start()
    chat.say("おとな")
    chat.pick("other")
    refs = [r for r in chat.replies if isinstance(r, Refer)]
    assert (refs[0].state_id, refs[0].urgency) == ("result-adult", "normal")
    chat.say("最初から")
    chat.say("学生")
    chat.pick("yes")
    refs = [r for r in chat.replies if isinstance(r, Refer)]
    assert (refs[0].state_id, refs[0].urgency) == ("result-pupil", "high")


def test_a_result_without_urgency_fails_validate_at_its_line(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    flow = URGENT_FLOW.replace("  result-adult:\n    urgency: normal\n", "  result-adult:\n")
    f = write(tmp_path, "flows/t.yaml", flow)
    d = write(tmp_path, "directory/d.yaml", TINY_DIRECTORY)
    problems = [p for p in lint([f], [d]) if "urgency" in p.message]
    assert len(problems) == 1 and problems[0].severity == "error"
    line = next(i for i, ln in enumerate(f.read_text().splitlines(), 1) if ln == "  result-adult:")
    assert problems[0].line == line
    assert "result-adult" in problems[0].message and "urgency: immediate" in problems[0].message
    assert validate.main(argparse.Namespace(paths=[str(f), str(d)], format="text")) == 1
    assert f"t.yaml:{line}:" in capsys.readouterr().out


@pytest.mark.parametrize("snippet, message", [
    ("  result-adult:\n    urgency: urgent\n", "immediate"),     # not one of the three
    ("  what:\n    urgency: high\n", "belongs to a `refer` state"),  # on an ask state
])
def test_a_wrong_urgency_is_a_load_error_at_its_line(tmp_path: Path, snippet: str, message: str) -> None:
    state = snippet.split("\n")[0]
    flow = URGENT_FLOW.replace("  result-adult:\n    urgency: normal\n", "  result-adult:\n").replace(
        state + "\n", snippet, 1)
    f = write(tmp_path, "flows/t.yaml", flow)
    write(tmp_path, "directory/d.yaml", TINY_DIRECTORY)
    lf, errs = load_flow(f)
    assert lf is None
    assert any(message in e.message for e in errs), errs
    wrong = snippet.split("\n")[1]
    line = next(i for i, ln in enumerate(f.read_text().splitlines(), 1) if ln == wrong)
    assert any(e.line in (line, line - 1) for e in errs), errs


def test_chat_jsonl_prints_the_urgency_of_a_result(soudan: Soudan) -> None:
    out = soudan("chat", "--jsonl", "--at", "2026-12-01T10:00:00+09:00", stdin="1\n")
    assert out.returncode == 0, out.stderr
    last = json.loads(out.stdout.strip().splitlines()[-1])
    refers = [r for r in last["replies"] if r["type"] == "refer"]
    assert refers and refers[0]["urgency"] == "immediate"
