"""bot/engine/text.py: the text forms typed answers are read in (numbers, invisible characters)."""

from __future__ import annotations

import unicodedata

from bot.engine.text import normalize, number_form, parse_number


def test_every_format_character_is_invisible_to_a_typed_number() -> None:
    fmt = [chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Cf"]
    assert [f"U+{ord(c):04X}" for c in fmt if parse_number(number_form(f"{c}2{c}")) != 2] == []


def test_a_keycap_emoji_is_its_digit() -> None:
    """「4️⃣」 (digit, U+FE0F, U+20E3), 「1⃣」 (no U+FE0F) and 🔟, as the emoji keyboard types them, were
    「答えがわかりませんでした」 at a numbered question."""
    typed = {"4\ufe0f\u20e3": 4, "1\u20e3": 1, "\U0001f51f": 10, "２\ufe0f\u20e3番": 2, "3\ufe0f\u20e3です": 3,
             " 5\ufe0f\u20e3 ": 5, "4\ufe0f": 4}
    assert {k: parse_number(number_form(k)) for k in typed} == typed
    assert parse_number(number_form("#\ufe0f\u20e3")) is None
    assert normalize("4\ufe0f\u20e3") == "4"  # the form a result's menu is matched in


def test_choice_numbers_typed_in_digits() -> None:
    """「1と3」 (the breaker: 「答えがわかりませんでした」): two choice numbers, like two keycaps."""
    from bot.engine.text import choice_numbers
    assert choice_numbers("1と3") == (1, 3) and choice_numbers("２と４") == (2, 4) and choice_numbers("1、3。") == (1, 3)
    assert choice_numbers("1か2かな") == (1, 2) and choice_numbers("1 and 3") == (1, 3) and choice_numbers("1と2と4") == (1, 2, 4)
    assert choice_numbers("12") is None and choice_numbers("2019年") is None and choice_numbers("1-3") is None
    assert choice_numbers("1と3の間") is None
