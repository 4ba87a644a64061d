"""Fault: a number typed with an invisible format character around it (a zero-width space U+200B,
U+FEFF, a bidi mark — some keyboards and copy-paste add them) was answered 「答えがわかりませんでした」,
and a message of only zero-width spaces too, instead of picking the choice / saying it was empty."""

from __future__ import annotations

import datetime as dt
import unicodedata
from functools import cache

import pytest

from bot.engine.core import Engine
from bot.engine.types import Ask, Reply, Say, Start, Text
from bot.i18n import t
from bot.loading import load_engine
from bot.settings import Settings
from bot.timeutil import JST

NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=JST)


@cache
def engine() -> Engine:
    return load_engine(Settings(_env_file=None))


def answer(text: str) -> tuple[str, list[Reply]]:
    e = engine()
    s = e.step(None, Start(), NOW).session
    out = e.step(s, Text(text), NOW)
    assert out.session is not None
    return out.session.state, out.replies


@pytest.mark.parametrize("text", ["\u200b4", "4\u200b", "\ufeff4", "\u200e4", "\u20604", "４\u200d", "\u200b4番"])
def test_a_number_with_zero_width_characters_picks_like_the_number(text: str) -> None:
    assert answer("4")[0] == "who"  # 「どれもあてはまらない」
    state, replies = answer(text)
    assert state == "who"
    assert isinstance(replies[-1], Ask) and replies[-1].state_id == "who"


def test_every_format_character_is_invisible_to_a_typed_number() -> None:
    from bot.engine.text import number_form, parse_number

    fmt = [chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Cf"]
    assert [f"U+{ord(c):04X}" for c in fmt if parse_number(number_form(f"{c}2{c}")) != 2] == []


def test_only_zero_width_spaces_is_an_empty_message() -> None:
    state, replies = answer("\u200b\u200b\ufeff")
    assert state == "safety"
    assert isinstance(replies[0], Say) and replies[0].text == t("engine.empty", "ja")
    assert isinstance(replies[-1], Ask)


def test_odd_numbers_still_pick_nothing() -> None:
    for text in ("-1", "1.5", "1 2"):
        assert answer(text)[0] == "safety"
