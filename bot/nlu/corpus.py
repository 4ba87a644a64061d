"""The labelled corpus (``flows/tests/nlu/*.yaml``, PLAN.md contract 3) and its evaluation:
what ``soudan nlu`` prints and what ``make test`` holds to its floors.

Every utterance goes through the real engine (:meth:`bot.engine.core.Engine.step`) exactly as a
typed LINE message would: a question utterance is typed at its ask state; a crisis utterance is
typed in every state of the flow (asks and results); an idiom likewise, and must not bring the
crisis reply; a slot utterance is a new person's first message; an ``after`` utterance is typed
under the result its file's ``path`` (choice ids picked from the start) reaches.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.engine.core import OTHER_WINDOWS, Engine
from bot.engine.text import normalize
from bot.engine.types import Pick, Refer, Say, Session, Start, Text
from bot.i18n import pick, t
from bot.nlu.analysis import analyse
from bot.nlu.slots import find_age
from bot.yamlload import LoadError, load_file

__all__ = ["FLOORS", "CorpusError", "Report", "evaluate", "load_corpus"]

FLOORS = {"question_accuracy": 0.97, "crisis_recall": 1.0, "idiom_false_alarms": 0, "negated_danger": 0,
          "crisis_wrong_card": 0}
"""The targets of issue #11 that ``make test`` asserts (accuracy per question, crisis recall in
every state, idioms that replace the question, negated sentences read as danger)."""

_AT = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
_SLOTS = ("who", "what", "region", "goal", "age", "grade")


class CorpusError(Exception):
    """A corpus file is malformed (``file:line: message``)."""


@dataclass
class _File:
    path: str
    data: dict[str, Any]
    lines: list[int]


@dataclass
class QuestionResult:
    """Accuracy of one question: ``total`` utterances, ``correct``, and the misreadings as
    ``(text, expected, got, file:line)`` (``got`` is a choice id / slot value, ``null`` for no
    answer, ``crisis`` for the crisis reply, ``ambiguous:a|b`` for a clarification)."""

    flow: str
    question: str
    total: int = 0
    correct: int = 0
    errors: list[tuple[str, str, str, str]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        """correct / total (1.0 for an empty question)."""
        return self.correct / self.total if self.total else 1.0


@dataclass
class Report:
    """The whole evaluation (see :func:`evaluate`)."""

    questions: list[QuestionResult] = field(default_factory=list)
    crisis_total: int = 0
    crisis_caught: int = 0
    crisis_states: int = 0
    crisis_missed: list[tuple[str, str, str]] = field(default_factory=list)   # (text, state, file:line)
    idiom_total: int = 0
    idiom_alarms: list[tuple[str, str, str]] = field(default_factory=list)    # (text, state, file:line)
    negated_danger: list[tuple[str, str]] = field(default_factory=list)       # (text, file:line)
    # a crisis example labelled with its card (``card: danger``) read as another kind: (text, want, got, file:line)
    crisis_wrong_card: list[tuple[str, str, str, str]] = field(default_factory=list)
    slot_counts: Counter[str] = field(default_factory=Counter)
    slot_correct: Counter[str] = field(default_factory=Counter)
    slot_errors: list[tuple[str, str, str, str, str]] = field(default_factory=list)  # text, slot, want, got, where

    @property
    def crisis_recall(self) -> float:
        """Crisis utterances caught in every state / crisis utterances."""
        return self.crisis_caught / self.crisis_total if self.crisis_total else 1.0

    def failures(self) -> list[str]:
        """What falls below :data:`FLOORS` (empty when every floor holds)."""
        out = [f"{q.flow}/{q.question}: accuracy {q.accuracy:.1%} < {FLOORS['question_accuracy']:.0%}"
               for q in self.questions if q.accuracy < FLOORS["question_accuracy"]]
        if self.crisis_recall < FLOORS["crisis_recall"]:
            out.append(f"crisis recall {self.crisis_recall:.1%} < 100% ({len(self.crisis_missed)} misses)")
        if len(self.idiom_alarms) > FLOORS["idiom_false_alarms"]:
            out.append(f"{len(self.idiom_alarms)} idiom(s) replaced the question with the crisis reply")
        if len(self.negated_danger) > FLOORS["negated_danger"]:
            out.append(f"{len(self.negated_danger)} negated sentence(s) read as danger")
        if len(self.crisis_wrong_card) > FLOORS["crisis_wrong_card"]:
            out.append(f"{len(self.crisis_wrong_card)} crisis example(s) got another card than labelled")
        return out

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready data (``soudan nlu --json``)."""
        return {
            "questions": [{"flow": q.flow, "question": q.question, "total": q.total, "correct": q.correct,
                           "accuracy": round(q.accuracy, 4),
                           "errors": [{"text": t, "expect": e, "got": g, "where": w} for t, e, g, w in q.errors]}
                          for q in self.questions],
            "crisis": {"total": self.crisis_total, "caught_in_every_state": self.crisis_caught,
                       "states": self.crisis_states, "recall": round(self.crisis_recall, 4),
                       "missed": [{"text": t, "state": s, "where": w} for t, s, w in self.crisis_missed]},
            "idioms": {"total": self.idiom_total, "false_alarms": len(self.idiom_alarms),
                       "alarms": [{"text": t, "state": s, "where": w} for t, s, w in self.idiom_alarms]},
            "negated_danger": [{"text": t, "where": w} for t, w in self.negated_danger],
            "crisis_wrong_card": [{"text": t, "expect": e, "got": g, "where": w} for t, e, g, w in self.crisis_wrong_card],
            "slots": {k: {"total": self.slot_counts[k], "correct": self.slot_correct[k]} for k in _SLOTS
                      if self.slot_counts[k]},
            "slot_errors": [{"text": t, "slot": s, "expect": e, "got": g, "where": w}
                            for t, s, e, g, w in self.slot_errors],
            "floors": FLOORS, "failures": self.failures(),
        }


def load_corpus(paths: Iterable[str | Path]) -> list[_File]:
    """Load corpus files (folders are expanded to their ``*.yaml``).

    Raises:
        CorpusError: naming ``file:line`` for a file that is not a corpus.
    """
    files: list[_File] = []
    for p in paths:
        p = Path(p)
        for f in sorted(p.glob("*.yaml")) if p.is_dir() else [p]:
            try:
                located = load_file(f)
            except LoadError as exc:
                raise CorpusError(str(exc)) from exc
            data = located.data
            if not isinstance(data, dict) or not isinstance(data.get("examples"), list) or "flow" not in data:
                raise CorpusError(f"{f}:1: a corpus file needs `flow` and a list of `examples`")
            lines = [located.line_of(("examples", i)) for i in range(len(data["examples"]))]
            files.append(_File(str(f), data, lines))
    return files


def _is_crisis(engine: Engine, flow_id: str, replies: Sequence[object]) -> bool:
    """Whether the first reply is the crisis reply (the flow's, or the default flow's, crisis text,
    or its danger text; an ``immediate`` result counts too)."""
    if not replies or not isinstance(replies[0], Refer):
        return False
    crisis = engine.flows[flow_id].crisis or engine.flows[engine.default_flow].crisis
    if crisis is None or replies[0].urgency == "immediate":
        return True
    texts = [*crisis.text.values(), *(crisis.danger.text.values() if crisis.danger else ())]
    return replies[0].text in texts


def _at(engine: Engine, flow_id: str, state: str) -> Session:
    return engine.new_session(_AT, flow_id).model_copy(update={"state": state})


def _answer(engine: Engine, flow_id: str, state: str, text: str, want: str = "") -> str:
    s = _at(engine, flow_id, state)
    out = engine.step(s, Text(text), _AT)
    if _is_crisis(engine, flow_id, out.replies):
        after = out.session
        if after is not None and after.history and after.history[0].state == state:
            return after.history[0].choice  # the crisis reply moved on with this question's choice
        return "crisis"
    after = out.session
    if after is None:
        return "ended"
    if after.history and after.history[0].state == state:
        st = engine.flows[flow_id].states[state]
        h = after.history[0]
        ids = {c.id for c in st.choices or []}
        if st.save_as and want not in ids and want != "null":
            # the label is a slot value (contract 3: the region question's region code)
            nxt = after.history[1].slots if len(after.history) > 1 else after.slots
            return nxt.get(st.save_as, h.choice)
        return h.choice
    offered = [c for c in after.clarify if not c.startswith(":")]  # not the engine's own markers (":parked")
    if offered:
        return "ambiguous:" + "|".join(offered)
    return "null"


def _after_session(engine: Engine, flow_id: str, path: Sequence[str], where: str) -> Session:
    """The session at the result reached by picking ``path`` (choice ids) from the start."""
    out = engine.step(None, Start(flow_id), _AT)
    s = out.session
    for cid in path:
        if s is None:
            break
        s = engine.step(s, Pick(cid, s.state, s.conversation_id), _AT).session
    if s is None or not engine.finished(s):
        raise CorpusError(f"{where}: `path` {list(path)} does not end at a result of {flow_id!r}")
    return s


def _after_answer(engine: Engine, flow_id: str, at: Session, text: str) -> str:
    """What the engine made of ``text`` typed under the result of ``at``: an intent (``thanks``,
    ``busy``, ``no_call``, ``more``), ``slot=value`` for a harm or wish (taken, or said to be the
    result's own), ``crisis``, or ``null`` (「答えがわかりませんでした」)."""
    out = engine.step(at, Text(text), _AT)
    if _is_crisis(engine, flow_id, out.replies):
        return "crisis"
    loc = out.session.locale if out.session is not None else at.locale  # an English sentence switches
    says = [r.text for r in out.replies if isinstance(r, Say)]
    if t("engine.after_thanks", loc) in says:
        return "thanks"
    if t("engine.after_more", loc) in says:
        return "more"
    for r in out.replies:
        if isinstance(r, Refer) and r.state_id == OTHER_WINDOWS:
            return "no_call" if r.text.startswith(t("engine.after_no_call", loc)) else "busy"
    after = out.session
    if after is not None and after.slots != at.slots:
        changed = [(k, v) for k, v in after.slots.items() if at.slots.get(k) != v]
        if changed:
            k, v = changed[0]
            return f"{k}={v}"
    f = engine.flows[flow_id]
    for st in f.states.values():
        if not (st.skip_if_known and st.save_as):
            continue
        for c in st.choices or []:
            label = pick(c.label, loc)
            if any(x in says for x in (t("engine.after_same", loc, label=label), t("engine.after_covered", loc, label=label))):
                return f"{st.save_as}={c.slot_value}"
    return "null"


def _states(engine: Engine, flow_id: str) -> list[str]:
    from bot.engine.flow import reachable

    f = engine.flows[flow_id]
    return [sid for sid in sorted(reachable(f, f.start)) if f.states[sid].kind != "say"]


def evaluate(engine: Engine, files: Sequence[_File], question: str | None = None) -> Report:
    """Run the corpus through ``engine``.

    Args:
        question: only this ask state's corpus (and no crisis, idiom or slot corpus).

    Raises:
        CorpusError: for a corpus naming a flow or state the engine does not have, or a
            ``question`` no file of the corpus labels (it would report nothing and pass).
    """
    rep = Report()
    if question is not None:
        labelled = sorted({str(f.data["question"]) for f in files if f.data.get("question") is not None})
        if question not in labelled:
            raise CorpusError(f"no corpus labels the question {question!r}; "
                              f"questions with a corpus: {', '.join(labelled) or 'none'}")
    for f in files:
        flow_id = str(f.data["flow"])
        if flow_id not in engine.flows:
            raise CorpusError(f"{f.path}:1: unknown flow {flow_id!r}")
        kind = f.data.get("kind")
        q = f.data.get("question")
        if question is not None and q != question:
            continue
        examples = f.data["examples"]
        if q is not None:
            if q not in engine.flows[flow_id].states:
                raise CorpusError(f"{f.path}:1: {flow_id!r} has no state {q!r}")
            res = QuestionResult(flow_id, str(q))
            has_danger = any(c.id == "danger" for c in engine.flows[flow_id].states[q].choices or [])
            for ex, line in zip(examples, f.lines, strict=True):
                text, want = str(ex["text"]), ex.get("expect")
                want_s = "null" if want is None else str(want)
                got = _answer(engine, flow_id, q, text, want_s)
                res.total += 1
                # null means "nothing picked: ask again or clarify" (contract 3): a clarification counts
                if got == want_s or (want_s == "null" and got.startswith("ambiguous:")):
                    res.correct += 1
                else:
                    res.errors.append((text, want_s, got, f"{f.path}:{line}"))
                if has_danger and got == "danger" and want_s != "danger" and analyse(text).has_negation:
                    rep.negated_danger.append((text, f"{f.path}:{line}"))
            rep.questions.append(res)
        elif question is None and kind == "after":
            # what people type under a result (「ありがとう」「電話がつながらない」「書き込みを消したい」)
            where = f"{f.path}:1"
            at = _after_session(engine, flow_id, [str(x) for x in f.data.get("path") or []], where)
            res = QuestionResult(flow_id, f"after:{at.state}")
            for ex, line in zip(examples, f.lines, strict=True):
                text, want = str(ex["text"]), ex.get("expect")
                want_s = "null" if want is None else str(want)
                got = _after_answer(engine, flow_id, at, text)
                res.total += 1
                if got == want_s:
                    res.correct += 1
                else:
                    res.errors.append((text, want_s, got, f"{f.path}:{line}"))
            rep.questions.append(res)
        elif question is None and kind == "crisis":
            states = _states(engine, flow_id)
            rep.crisis_states = max(rep.crisis_states, len(states))
            for ex, line in zip(examples, f.lines, strict=True):
                text = str(ex["text"])
                rep.crisis_total += 1
                card = ex.get("card")  # the kind of card it must get (injured, self, danger, …), if labelled
                if card is not None:
                    got_card = engine.understanding(flow_id).crisis(analyse(text), normalize(text)) or "none"
                    if got_card != card:
                        rep.crisis_wrong_card.append((text, str(card), got_card, f"{f.path}:{line}"))
                missed = [sid for sid in states
                          if not _is_crisis(engine, flow_id, engine.step(_at(engine, flow_id, sid), Text(text), _AT).replies)]
                if missed:
                    rep.crisis_missed.append((text, ",".join(missed[:3]) + ("…" if len(missed) > 3 else ""),
                                              f"{f.path}:{line}"))
                else:
                    rep.crisis_caught += 1
        elif question is None and kind == "idioms":
            states = _states(engine, flow_id)
            for ex, line in zip(examples, f.lines, strict=True):
                text = str(ex["text"])
                rep.idiom_total += 1
                hit = [sid for sid in states
                       if _is_crisis(engine, flow_id, engine.step(_at(engine, flow_id, sid), Text(text), _AT).replies)]
                if hit:
                    rep.idiom_alarms.append((text, ",".join(hit[:3]), f"{f.path}:{line}"))
        elif question is None and kind == "slots":
            for ex, line in zip(examples, f.lines, strict=True):
                _slots(engine, flow_id, str(ex["text"]), dict(ex.get("slots") or {}), f"{f.path}:{line}", rep)
    return rep


def _slots(engine: Engine, flow_id: str, text: str, want: dict[str, Any], where: str, rep: Report) -> None:
    out = engine.step(None, Text(text), _AT)
    got: dict[str, str] = {}
    if out.session is not None:
        got.update(out.session.prefill)
        got.update(out.session.slots)
    info = find_age(analyse(text))
    if info is not None:
        if info.age is not None:
            got["age"] = str(info.age)
        if info.grade is not None:
            got["grade"] = info.grade
    for slot in _SLOTS:
        w = want.get(slot)
        g = got.get(slot)
        if w is None and g is None:
            continue
        rep.slot_counts[slot] += 1
        if w is not None and str(w) == g:
            rep.slot_correct[slot] += 1
        else:
            rep.slot_errors.append((text, slot, "-" if w is None else str(w), g or "-", where))


def main(args: Any) -> int:
    """``soudan nlu [--question ID] [--json] [PATH…]``: print accuracy per question, the confusion
    list, crisis recall in every state, idiom false alarms and slot accuracy. Exit 1 below the
    floors (:data:`FLOORS`), 2 when the flows or the corpus cannot be loaded."""
    import json
    import sys

    from bot.errors import ProblemsError
    from bot.loading import load_engine
    from bot.settings import Settings

    try:
        settings = Settings()
        engine = load_engine(settings)
        paths = args.paths or [settings.flows_dir / "tests" / "nlu"]
        files = load_corpus(paths)
        if not any(f.data["examples"] for f in files):  # else "every floor holds" with nothing measured
            raise CorpusError(f"no labelled messages in {', '.join(map(str, paths))}: write a corpus file "
                              "(`flow:` and `examples:`, like flows/tests/nlu/*.yaml)")
        rep = evaluate(engine, files, args.question)
    except (ProblemsError, CorpusError, ValueError, OSError) as exc:
        print(f"soudan nlu: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(rep.to_json(), ensure_ascii=False, indent=2))
        return 1 if rep.failures() else 0
    print("accuracy per question (floor 97%):")
    for q in rep.questions:
        mark = "ok " if q.accuracy >= FLOORS["question_accuracy"] else "LOW"
        print(f"  {mark} {q.flow}/{q.question:<12} {q.correct:>4}/{q.total:<4} {q.accuracy:6.1%}")
    errors = [(q.question, *e) for q in rep.questions for e in q.errors]
    if errors:
        print(f"\nconfusions ({len(errors)}): question  expected → got  text  (where)")
        for qid, text, want, got, where in errors:
            print(f"  {qid:<10} {want} → {got}  「{text}」  ({where})")
    if args.question is None:
        print(f"\ncrisis recall in every state ({rep.crisis_states} states): {rep.crisis_caught}/{rep.crisis_total}"
              f" = {rep.crisis_recall:.1%} (floor 100%)")
        for text, states, where in rep.crisis_missed:
            print(f"  missed 「{text}」 in {states}  ({where})")
        print(f"crisis examples that got another card than labelled: {len(rep.crisis_wrong_card)} (floor 0)")
        for text, want, got, where in rep.crisis_wrong_card:
            print(f"  {want} → {got}  「{text}」  ({where})")
        print(f"idioms that replaced the question with the crisis reply: {len(rep.idiom_alarms)}/{rep.idiom_total} (floor 0)")
        for text, states, where in rep.idiom_alarms:
            print(f"  alarm 「{text}」 in {states}  ({where})")
        print(f"negated sentences read as danger: {len(rep.negated_danger)} (floor 0)")
        for text, where in rep.negated_danger:
            print(f"  「{text}」  ({where})")
        if rep.slot_counts:
            print("slots from a first message (reported, no floor):")
            for k in _SLOTS:
                if rep.slot_counts[k]:
                    print(f"  {k:<7} {rep.slot_correct[k]:>3}/{rep.slot_counts[k]:<3} "
                          f"{rep.slot_correct[k] / rep.slot_counts[k]:6.1%}")
    fails = rep.failures()
    print("\n" + ("below the floors: " + "; ".join(fails) if fails else "every floor holds"))
    return 1 if fails else 0
