"""bot/nlu/matcher.py: choice matching on the analysis."""

from __future__ import annotations

from bot.nlu.analysis import analyse
from bot.nlu.matcher import ChoiceCues, Matcher


def test_a_word_in_latin_letters_is_not_its_katakana_reading() -> None:
    """「はい」 at the safety question was kept as 「18歳未満」: the example "I'm in high school" of that choice
    shared the content word はい (the analyser reads "high" as ハイ) with the message."""
    m = Matcher([ChoiceCues("pupil", examples=("I'm in high school",)), ChoiceCues("adult", examples=("大人です",))])
    assert m.decide(analyse("はい"), strict=True).choice is None
    assert m.decide(analyse("はい")).choice is None
    assert m.decide(analyse("I'm in high school")).choice == 0
    assert m.decide(analyse("im in high school now")).choice == 0  # the example still generalises in English
