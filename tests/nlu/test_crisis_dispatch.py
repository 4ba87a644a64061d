"""The crisis scan's first-character dispatch (:class:`bot.nlu.crisis._Alternation`): the same
matches (spans and groups, in order) as the plain alternation of the same patterns, and so the
same verdict of :meth:`~bot.nlu.crisis.CrisisDetector.detect`."""

from __future__ import annotations

import random
import re

import pytest

from bot.engine.text import normalize
from bot.nlu.analysis import analyse
from bot.nlu.crisis import (
    _FOLD,
    _LONG,
    BUILTIN_DANGER,
    BUILTIN_INJURED,
    BUILTIN_SELF,
    CrisisDetector,
    _Alternation,
    _compile,
    _first_of,
)
from tests.nlu.test_crisis_english_shortcut import _texts

_SETS = {"injured": BUILTIN_INJURED, "self": BUILTIN_SELF, "danger": BUILTIN_DANGER}


def _spans(matches: object) -> list[tuple[int, int, tuple[str | None, ...]]]:
    return [(m.start(), m.end(), m.groups()) for m in matches]  # type: ignore[attr-defined]


def _fragments() -> list[str]:
    """Pieces of the patterns' own literal text (so random texts hit and nearly hit them), and
    characters around them (digits, kanji, kana, ASCII, full-width)."""
    out: set[str] = set()
    for p in (*BUILTIN_INJURED, *BUILTIN_SELF, *BUILTIN_DANGER):
        out.update(w for w in re.split(r"[\\()?:|*+{}\[\]^$!<=.,\d]+", p) if w)
    return sorted(out | {"1", "4", "19", "110", "119", "２", "０", "錠", "私", "、", "。", " ", "ー", "ぃ", "a", "od"})


class _Plain(CrisisDetector):
    """The detector scanning with the plain alternations (no dispatch)."""

    _injured = _compile(BUILTIN_INJURED)  # type: ignore[assignment]
    _self = _compile(BUILTIN_SELF)  # type: ignore[assignment]
    _danger = _compile(BUILTIN_DANGER)  # type: ignore[assignment]


def _corpus() -> list[str]:
    texts = _texts()
    rng = random.Random(9)
    pieces = _fragments()
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 8))) for _ in range(6000)]
    return texts


@pytest.mark.parametrize("name", sorted(_SETS))
def test_the_same_matches_as_the_plain_alternation(name: str) -> None:
    patterns = _SETS[name]
    plain, fast = _compile(patterns), _Alternation(patterns)
    texts = _corpus()
    differ = []
    for text in texts:
        masked = normalize(text).translate(_FOLD)
        for t in (masked, masked.translate(_LONG), text):
            if _spans(fast.finditer(t)) != _spans(plain.finditer(t)):
                differ.append(t)
    assert len(texts) > 6000 and differ == []


def test_every_verdict_equals_the_plain_scan() -> None:
    fast, plain = CrisisDetector(["つらすぎ"]), _Plain(["つらすぎ"])
    differ = []
    hits = 0
    for text in _corpus():
        norm, cleaned = normalize(text), analyse(text, words=False).cleaned
        got = fast.detect(norm, cleaned)
        hits += got is not None
        if got != plain.detect(norm, cleaned):
            differ.append(text)
    assert differ == [] and hits > 500  # the random texts hit the patterns often


def test_first_characters_of_a_parse() -> None:
    import re._parser as sre_parse  # type: ignore[import-not-found]

    def first(p: str) -> tuple[set[str] | None, bool]:
        return _first_of(list(sre_parse.parse(p)))

    assert first(r"(?:^|(?<!x)|(?<=私))しねば") == ({"し"}, False)  # zero width first: what follows decides
    assert first(r"(?:お前|おまえ)?の?(?:家|いえ)") == ({"お", "の", "家", "い"}, False)
    assert first(r"\d+錠") == ({"\\d"}, False)
    assert first(r"a?") == ({"a"}, True)
    for unknown in (r"[^a]", r"\w", r".x", r"(?i:k)"):
        assert first(unknown)[0] is None, unknown


def test_a_pattern_that_may_match_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="empty string"):
        _Alternation([r"し", r"(?:もう)?"])
