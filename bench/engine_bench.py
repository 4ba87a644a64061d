"""Micro-benchmark of ``Engine.step`` (µs per step, median), printed with a ratio to a baseline.

Baseline, measured in the same run: a minimal hand-written finite-state bot of the kind a
developer writes first (a dict of state → {answer: next state}, a string compare per turn, no
normalisation, no safety check, no opening hours). The ratio says what the engine's extra work
(NFKC + kana folding, crisis scan, commands, slots, history, the opening-hours status of every
window on a result) costs per turn. The typed-answer lines go through the analyser (SudachiPy)
and the matcher of bot/nlu and are compared with the numbered answer of the same run.

Run: ``.venv/bin/python -m bench.engine_bench`` (or ``make bench``).
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable

from bot.engine.types import Start, Text
from bot.loading import load_engine
from bot.settings import Settings
from bot.timeutil import JST

NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=JST)


def _median_us(fn: Callable[[], object], rounds: int = 7, number: int = 2000) -> float:
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - t0) / number * 1e6)
    return statistics.median(samples)


def main() -> None:
    """Print the figures."""
    engine = load_engine(Settings())
    start = engine.step(None, Start(), NOW)
    session = start.session
    assert session is not None
    first_answer = "4"  # the triage question's "none of these" (by number)

    def engine_question() -> object:
        return engine.step(session, Text(first_answer), NOW)

    # a whole consultation to a result, as typed answers: none of the triage, adult, insults,
    # other prefecture, deletion
    script = ["4", "2", "1", "4", "1"]
    s = session
    for line in script:
        out = engine.step(s, Text(line), NOW)
        assert out.session is not None
        s = out.session
    assert engine.finished(s), "the benchmark script no longer reaches a result; update it"

    def engine_conversation() -> object:
        cur = session
        for line in script:
            cur = engine.step(cur, Text(line), NOW).session  # type: ignore[assignment]
        return cur

    naive = {"start": {"1": "a", "2": "b"}, "a": {"1": "end"}, "b": {"1": "end"}}

    def baseline_step() -> object:
        state = {"state": "start"}
        nxt = naive[state["state"]].get("1".strip())
        return {"state": nxt or state["state"], "replies": [f"question {nxt}"]}

    base = _median_us(baseline_step)
    one = _median_us(engine_question)
    conv = _median_us(engine_conversation, number=300) / max(1, len(script))
    json_us = _median_us(lambda: session.to_json())
    print(f"baseline (naive dict FSM step):        {base:8.2f} µs/step")
    print(f"engine.step, one answer:               {one:8.2f} µs/step   ratio {one / base:7.1f}x")
    print(f"engine.step, whole consultation ({len(script)} turns, incl. result with opening hours): "
          f"{conv:8.2f} µs/step   ratio {conv / base:7.1f}x")
    print(f"Session.to_json:                       {json_us:8.2f} µs")

    # typed answers through the language-understanding layer (bot/nlu, issue #11; target ≤ 100 µs)
    from bot.nlu.analysis import analyse

    typed = {
        "a typed word (「ないっす」)": "ないっす",
        "a negated sentence (「危ない目にはあってません」)": "危ない目にはあってません",
        "a story (62 characters)": "大阪に住んでる高２です。クラスのLINEで悪口を書かれてる。消してほしいけど、どうしたらいいかわからない",
    }
    for label, text in typed.items():
        us = _median_us(lambda text=text: engine.step(session, Text(text), NOW), number=500)
        print(f"engine.step, {label}: {us:8.2f} µs/step   ratio {us / one:5.1f}x the numbered answer")
    what = engine.step(engine.step(session, Text("4"), NOW).session, Text("2"), NOW).session
    us = _median_us(lambda: engine.step(what, Text("住所をさらされた"), NOW), number=500)
    print(f"engine.step, 「住所をさらされた」 at the what question: {us:8.2f} µs/step")
    us = _median_us(lambda: analyse("危ない目にはあってません"), number=2000)
    print(f"analyse() alone (SudachiPy + clauses): {us:8.2f} µs")
    worst = "あ" * 5000
    us = _median_us(lambda: engine.step(session, Text(worst), NOW), rounds=5, number=20)
    print(f"engine.step, 5,000 characters:         {us:8.2f} µs/step")


if __name__ == "__main__":
    main()
