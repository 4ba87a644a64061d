"""The adapters' text helpers (bot.adapters.text): UTF-16 length, lossless splitting (LINE texts),
line-boundary splitting (Discord messages and fields) and clipping (labels), none of which cuts a
character or a grapheme cluster."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.adapters.text import clip, split_lines, split_text, text_len, utf16_len

LIMIT = 5000  # LINE's text message limit, in UTF-16 units

GRAPHEMES = ["😢", "👨‍👩‍👧", "🇯🇵", "が", "か\u3099", "👍🏽", "1️⃣", "e\u0301", "\r\n"]


def test_utf16_len_counts_emoji_as_two() -> None:
    assert utf16_len("あいう") == 3
    assert utf16_len("😢") == 2
    assert utf16_len("👨‍👩‍👧") == 8
    assert text_len("😢", "chars") == 1


def test_utf16_len_of_a_lone_surrogate_is_one_not_an_error() -> None:
    # text decoded from a JSON escape such as "\ud83d" holds a lone surrogate
    assert utf16_len("a\ud83d") == 2


@pytest.mark.parametrize("unit", GRAPHEMES)
def test_split_never_cuts_a_character_or_grapheme(unit: str) -> None:
    for prefix in range(0, 4):
        text = "a" * prefix + unit * 3000
        chunks = split_text(text, LIMIT)
        assert "".join(chunks) == text
        for ch in chunks:
            assert 0 < utf16_len(ch) <= LIMIT
            assert ch.encode("utf-16-le").decode("utf-16-le") == ch  # no lone surrogate
        # every chunk boundary falls between two whole units
        pos = 0
        for ch in chunks[:-1]:
            pos += len(ch)
            assert (pos - prefix) % len(unit) == 0


def test_split_prefers_line_breaks() -> None:
    line = "あ" * 99 + "\n"
    chunks = split_text(line * 120, LIMIT)
    assert all(c.endswith("\n") for c in chunks[:-1])
    assert all(utf16_len(c) <= LIMIT for c in chunks)


def test_short_text_is_one_chunk() -> None:
    assert split_text("", LIMIT) == [""]
    assert split_text("x" * LIMIT, LIMIT) == ["x" * LIMIT]
    assert len(split_text("x" * (LIMIT + 1), LIMIT)) == 2


def test_split_counts_characters_when_asked() -> None:
    assert split_text("😢" * 4, 4, unit="chars") == ["😢" * 4]
    assert split_text("😢" * 4, 4) == ["😢😢", "😢😢"]


def test_split_refuses_a_limit_below_two() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        split_text("abc", 1)


@given(st.text(alphabet=st.sampled_from(["a", " ", "\n", "😢", "\u200d", "\u0301", "🇯"])), st.integers(2, 30))
def test_split_loses_nothing_and_keeps_the_limit(text: str, limit: int) -> None:
    chunks = split_text(text, limit)
    assert "".join(chunks) == text
    assert all(utf16_len(c) <= limit for c in chunks)
    for piece in split_lines(text, limit):
        assert 0 < utf16_len(piece) <= limit and piece.strip()


def test_split_lines_keeps_lines_whole() -> None:
    lines = [f"{i:03d} " + "あ" * 500 for i in range(10)]
    pieces = split_lines("\n".join(lines), 2000)
    assert "\n".join(pieces) == "\n".join(lines)  # only line breaks at the cuts are gone
    assert all(utf16_len(p) <= 2000 for p in pieces)
    assert all(p.split("\n")[0] in lines for p in pieces)


@pytest.mark.parametrize("unit", [g for g in GRAPHEMES if "\n" not in g])
def test_split_lines_cuts_a_long_line_between_graphemes(unit: str) -> None:
    pieces = split_lines("head\n" + "a" + unit * 2500 + "\ntail", 2000)
    assert pieces[0].startswith("head") and pieces[-1].endswith("tail")
    assert all(utf16_len(p) <= 2000 for p in pieces)
    assert pieces[0] == "head"
    for p in pieces[1:]:
        assert len(p.removesuffix("\ntail").removeprefix("a")) % len(unit) == 0, p


def test_split_lines_of_nothing() -> None:
    assert split_lines("", 2000) == []
    assert split_lines("\n\n", 2000) == []
    assert split_lines("a\nb", 2000) == ["a\nb"]


def test_clip() -> None:
    assert clip("相談窓口", 20) == "相談窓口"
    assert clip("あ" * 30, 20) == "あ" * 19 + "…"
    assert clip("ab  cdef", 5) == "ab…"  # no space before the ellipsis
    assert clip("abcdef", 4, ellipsis="") == "abcd"
    assert clip("a" + "👨‍👩‍👧" * 3, 10) == "a👨‍👩‍👧…"  # the next family would be cut in two
