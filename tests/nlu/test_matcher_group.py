"""The skippable questions' shared scan (:class:`bot.nlu.matcher.MatcherGroup`): every matcher gets
the very hits its own scan finds, and :meth:`~bot.nlu.matcher.Matcher.silent` only where every
choice scores 0."""

from __future__ import annotations

import random

from bot.engine.flow import load_flows
from bot.nlu.analysis import analyse
from bot.nlu.matcher import Matcher, MatcherGroup
from bot.nlu.understand import Understanding
from tests.nlu.test_crisis_english_shortcut import ROOT, _texts


def _texts_and_mixes(u: Understanding) -> list[str]:
    words = sorted({w for st in u.flow.states.values() for ch in st.choices or []
                    for w in (*ch.keywords, *ch.examples, *ch.label.values())})
    rng = random.Random(21)
    glue = ["", "、", "が", "を", "に", "は", "じゃない", "です", "て", "られた", "ない", "も", " "]
    mixes = ["".join(rng.choice(words) + rng.choice(glue) for _ in range(rng.randint(1, 3))) for _ in range(1500)]
    return [t for t in _texts() if len(t) < 200] + mixes


def test_the_group_finds_each_matchers_own_hits() -> None:
    u = Understanding(load_flows([ROOT / "flows" / "net-harm.yaml"])["net-harm"].flow)
    matchers = list(u.matchers.values())
    group = MatcherGroup(matchers)
    alone = [Matcher(m.choices) for m in matchers]  # the same cues, never primed
    differ, hit = [], 0
    for text in _texts_and_mixes(u):
        a = analyse(text)
        group.prime(a)
        for m, own in zip(matchers, alone, strict=True):
            primed = m.hits(a)
            hit += bool(primed)
            if primed != own.hits(a):
                differ.append((text, own.choices[0].id))
            if m.silent(a) and (any(own.scores(a)) or any(own.scores(a, strict=True))):
                differ.append((text, "silent"))
    assert differ == [] and hit > 1000
