"""Crisis detection: variant spellings, passive ideation, English slang; idioms stay quiet."""

from __future__ import annotations

import pytest

from bot.engine.text import normalize
from bot.nlu.analysis import analyse
from bot.nlu.crisis import CrisisDetector


def detect(text: str, extra: tuple[str, ...] = ()) -> str | None:
    a = analyse(text)
    return CrisisDetector(extra).detect(normalize(text), a.cleaned)


@pytest.mark.parametrize("text", [
    "死にたい", "しにたい", "シニタイ", "ｼﾆﾀｲ", "タヒにたい", "ﾀﾋにたい", "氏にたい", "市にたい", "4にたい", "４にたい",
    "し に た い", "死\u200bに\u200bた\u200bい", "もう死にたくなる", "死んでしまいたい", "死んだほうがまし",
    "生きててもしょうがない", "もう疲れた、生きるの", "ぜんぶおわらせたい", "朝が来なければいいのに",
    "このまま目が覚めなければいい", "消えたい", "いなくなりたい", "リスカしちゃった", "ＯＤした", "首吊りたい",
    "生きる意味がない", "生まれてこなければよかった",
    "kms", "I want to kms", "unalive myself", "I want to disappear", "no reason to live", "I wanna die",
    "I want to end it all", "thinking about suicide",
])
def test_crisis_positives(text: str) -> None:
    assert detect(text) == "self"


@pytest.mark.parametrize("text", ["殺される", "元彼が今から家に来る", "家の前にいるって", "He said he is going to kill me"])
def test_danger(text: str) -> None:
    assert detect(text) == "danger"


@pytest.mark.parametrize("text", [
    "死ぬほどおもしろかった", "死ぬほど眠い", "レポートでタヒる", "自殺点を決めてしまった", "市に対して要望", "4にんで行った",
    "しにせのお店", "kmsで走った距離を測る" , "skills", "話の内容", "消しゴム", "生きてる",
])
def test_idioms_and_near_misses_stay_quiet(text: str) -> None:
    assert detect(text) is None


def test_a_flow_adds_words_but_cannot_remove_the_built_in_ones() -> None:
    assert detect("もう限界ですわ", ("限界ですわ",)) == "word"
    assert detect("死にたい", ()) == "self"
    assert CrisisDetector(["!"]).words == ()  # too short once normalised: ignored
