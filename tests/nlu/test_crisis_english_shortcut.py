"""The English patterns' short cut (:func:`bot.nlu.crisis.first_chars`): a text none of them can
begin a match in is not searched with them, and every verdict stays what the full scan gives."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml

from bot.engine.text import normalize
from bot.nlu.analysis import analyse
from bot.nlu.crisis import _EN_DANGER, _EN_SELF, BUILTIN_SELF, CrisisDetector, first_chars

ROOT = Path(__file__).resolve().parents[2]


class _FullScan(CrisisDetector):
    """The detector without the short cut: every English pattern searched in every text."""

    _en_start = None


def _strings(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


def _texts() -> list[str]:
    """Every string of the shipped flows, their transcripts and corpora, and the directory (read
    by libyaml when PyYAML has it: 0.08 s instead of 0.75 s, the same strings)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    out: set[str] = set()
    for folder in ("flows", "directory"):
        for path in sorted((ROOT / folder).rglob("*.yaml")):
            out.update(_strings(yaml.load(path.read_text(encoding="utf-8"), Loader=loader)))
    return sorted(out)


def test_first_characters_come_from_the_patterns_parse() -> None:
    assert first_chars([r"\bkms\b", r"(?<!said )\bi (?:should) die"]) == frozenset({"k", "i"})
    assert first_chars([r"\b(?:gonna|will) kill me\b", r"[a-c]x"]) == frozenset({"g", "w", "a", "b", "c"})
    # a part that consumes nothing or may be left out: what follows it begins the match too
    assert first_chars([r"(?:^|x)しねば", r"a?b"]) == frozenset({"x", "し", "a", "b"})
    # nothing known (a class, a pattern that may match nothing, case folding): no short cut
    for unknown in (r"\d+錠", r"a*", r"[^a]", r"(?i)k", r"(?i:k)x", r"\w"):
        assert first_chars([unknown]) is None, unknown
    assert first_chars(BUILTIN_SELF) is None  # so the Japanese patterns are always searched
    assert first_chars(_EN_SELF + _EN_DANGER) is not None  # the English ones have a short cut


@pytest.mark.parametrize("text", [
    "kms", "I want to kms", "I wanna die", "thinking about suicide", "KILL MYSELF", "ｋｍｓ",
    "He said he is going to kill me", "someone is outside my house", "i should just die",
])
def test_english_crises_are_still_found(text: str) -> None:
    a = analyse(text)
    assert CrisisDetector().detect(normalize(text), a.cleaned) is not None


def test_every_verdict_equals_the_full_scan() -> None:
    """Over every string of flows/ and directory/, and random mixes of Japanese and English
    fragments: the same verdict with and without the short cut."""
    texts = _texts()
    rng = random.Random(13)
    pieces = ["死にたい", "kms", "kill me", "相談したい", "こんにちは", "I", "want", "to", "die", "ok", "Ｋ", "です",
              "’", "'", " ", "4", "outside my house", "help me now", "消えたい", "ｺﾛｽ", "selfharm", "d"]
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 6))) for _ in range(3000)]
    fast, full = CrisisDetector(), _FullScan()
    assert fast._en_start is not None
    differ = []
    for text in texts:
        norm, cleaned = normalize(text), analyse(text, words=False).cleaned
        for args in ((norm, cleaned), (norm, "")):
            if fast.detect(*args) != full.detect(*args):
                differ.append(text)
    assert len(texts) > 3000 and differ == []
