"""The shape of the labelled corpus ``flows/tests/nlu/*.yaml`` (issue #11, PLAN.md contract 3).

These tests check the corpus as data, not how well the bot understands it (that is ``nlu``'s
accuracy run): every file parses with the project's strict YAML loader, every label is a real
choice id of its ask state (for ``region``: a code of ``bot/nlu/regions.yaml``, ``skip`` or
``other``), every ask state of every shipped flow has a question file with at least 40
utterances, the crisis, idiom and slot corpora reach their sizes, and the typed-answer
every situation has a typed-answer transcript in ``flows/tests/typed-*.yaml`` (run by ``soudan test``).
A renamed choice or state therefore fails here instead of silently turning a label into noise.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bot.toolkit.transcripts import load_transcript
from bot.yamlload import load_file
from tests import shipped

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "flows" / "tests" / "nlu"
TRANSCRIPTS = ROOT / "flows" / "tests"
REGIONS = ROOT / "bot" / "nlu" / "regions.yaml"

SIZES = {"crisis": 100, "idioms": 50, "slots": 60}
GRADE = re.compile(r"^(elem-[1-6]|middle-[1-3]|high-[1-3])$")


_engine = shipped.engine


def _flows() -> dict[str, Any]:
    return dict(_engine().flows)


def _corpus() -> dict[Path, Any]:
    return {p: load_file(p).data for p in sorted(CORPUS.glob("*.yaml"))}


def _region_codes() -> set[str]:
    codes: set[str] = set()
    for pref in load_file(REGIONS).data:
        codes.add(pref["code"])
        codes.update(c["code"] for c in pref.get("cities") or [] if c.get("code"))
    return codes


def test_every_label_is_a_choice_of_its_question_and_every_ask_state_has_40_utterances() -> None:
    flows = _flows()
    codes = _region_codes()
    covered: dict[tuple[str, str], int] = {}
    problems: list[str] = []
    for path, data in _corpus().items():
        if "question" not in data:
            continue
        flow = flows[data["flow"]]
        state = flow.states[data["question"]]
        assert state.choices, f"{path.name}: {data['question']!r} is not an ask state"
        ids = {c.id for c in state.choices}
        texts = [e["text"] for e in data["examples"]]
        assert len(texts) == len(set(texts)), f"{path.name}: an utterance is listed twice"
        for e in data["examples"]:
            assert set(e) == {"text", "expect"}, f"{path.name}: {e}"
            assert isinstance(e["text"], str) and e["text"].strip(), f"{path.name}: {e}"
            x = e["expect"]
            if x is None:
                continue
            # region: a place's code, or a choice id (skip, other, unknown — `soudan nlu` compares ids)
            allowed = codes | ids if data["question"] == "region" else ids
            if x not in allowed:
                problems.append(f"{path.name}: {e['text']!r} expects {x!r}, not a choice of {data['question']!r}")
        covered[(data["flow"], data["question"])] = len(texts)
    assert not problems, "\n".join(problems)
    for fid, flow in flows.items():
        for sid, st in flow.states.items():
            if st.choices:
                assert covered.get((fid, sid), 0) >= 40, f"{fid}/{sid}: fewer than 40 utterances in {CORPUS}"


def test_crisis_idiom_and_slot_corpora_have_their_sizes_and_valid_values() -> None:
    flows = _flows()
    codes = _region_codes()
    kinds: dict[str, list[dict[str, Any]]] = {}
    for data in _corpus().values():
        if "kind" in data:
            kinds.setdefault(data["kind"], []).extend(data["examples"])
    for kind, floor in SIZES.items():
        assert len(kinds.get(kind, [])) >= floor, f"{kind}: fewer than {floor} examples"
    crisis = {e["text"] for e in kinds["crisis"]}
    assert not crisis & {e["text"] for e in kinds["idioms"]}, "an utterance is both a crisis and an idiom"
    flow = flows["net-harm"]
    for e in kinds["slots"]:
        for slot, value in e["slots"].items():
            if slot == "age":
                ok = isinstance(value, int) and 0 < value < 120
            elif slot == "grade":
                ok = bool(GRADE.match(value))
            elif slot == "region":
                ok = value in codes | {"skip", "other"}
            else:
                ok = value in {c.id for c in flow.states[slot].choices or []}
            assert ok, f"slots.yaml: {e['text']!r}: {slot}={value!r} is not a value of that slot"


def test_every_situation_has_a_typed_transcript() -> None:
    """The typed-answer transcripts (once parked in flows/tests/pending/) are part of `soudan test`."""
    names = {p.stem for p in TRANSCRIPTS.glob("typed-*.yaml")}
    for situation in ("def", "har", "dox", "thr", "stk", "ncii", "bul", "ato", "talk", "selfharm", "sv"):
        assert f"typed-{situation}" in names, situation
    for p in sorted(TRANSCRIPTS.glob("typed-*.yaml")):
        loaded, errors = load_transcript(p, _engine())
        assert loaded is not None and not errors, [str(e) for e in errors]
