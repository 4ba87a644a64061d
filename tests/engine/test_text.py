"""bot/engine/text.py: the text forms typed answers are read in (numbers, invisible characters)."""

from __future__ import annotations

import unicodedata

from bot.engine.text import number_form, parse_number


def test_every_format_character_is_invisible_to_a_typed_number() -> None:
    fmt = [chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Cf"]
    assert [f"U+{ord(c):04X}" for c in fmt if parse_number(number_form(f"{c}2{c}")) != 2] == []
