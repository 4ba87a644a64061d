"""Ages and school years in what people type (rules the analyser alone gets wrong).

Sudachi misreads kana-only school years (ちゅう2 → つう/2, しょうがく６ねん → しょう/が/九/6/ねん), so
school years and ages are read with explicit patterns over the normalised text (NFKC digits,
katakana folded to hiragana, no spaces): 小1〜小6・中1〜中3・高1〜高3 in every usual spelling
(小学5年生, ちゅうがく1ねん, しょう5, 中１, 高２😭), ages (15歳, 25歳の女です, 高3、17歳, 18になった,
I'm 35, 35 years old), decades (60代 → 60). A stated age wins over a school year: 「高校生だけど
18になった」 is 18 — an adult for the law — whatever the school.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.nlu.analysis import Analysis, fold_kana

__all__ = ["AgeInfo", "find_age", "grade_age"]

_SPACE = re.compile(r"\s+")
_KANJI_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_D = r"([1-6一二三四五六])"
_GRADE = re.compile(
    r"(?:(?<![\u4e00-\u9fff])(?:(小学校?|小学生|小)|(中学校?|中学生|中)|(高校|高等学校|高))"
    r"|(?<![ぁ-ん])(?:(しょうがっこう|しょうがく|しょう)|(ちゅうがっこう|ちゅうがく|ちゅう)|(こうこう|こう)))"
    + _D + r"(?:年生?|ねんせい|ねん)?"
)
_AGE_JA = re.compile(r"(?<!\d)(\d{1,3})(?:歳|さい|才|sai)")
_AGE_BECAME = re.compile(r"(?<!\d)(\d{1,3})(?:歳|さい|才)?に(?:なった|なりました|なる|なります)")
_DECADE = re.compile(r"(?<!\d)([1-9])0(?:代|だい)")
_KANJI_AGE = re.compile(r"(十[一二三四五六七八九]?|[二三四五六七八九]十[一二三四五六七八九]?)(?:歳|さい|才)")
_AGE_EN = re.compile(r"(?:\bi'?m|\bi am|\bage[d]?|\bmy age is)\s*(\d{1,3})\b(?!\s*(?:yen|times|minutes|hours|days|%))"
                     r"|\b(\d{1,3})\s*(?:years? old|yrs? old|y/o|yo)\b"
                     r"|\b(?:is|turned|just turned) (\d{1,2})\b(?!\s*(?:yen|times|minutes|hours|days|people|%))")


@dataclass(frozen=True)
class AgeInfo:
    """An age or school year read from a message.

    Attributes:
        age: whole years when the person states an age or a decade (``60代`` → 60), else None.
        grade: ``elem-1`` … ``elem-6``, ``middle-1`` … ``middle-3``, ``high-1`` … ``high-3``, or None.
    """

    age: int | None
    grade: str | None

    @property
    def years(self) -> int | None:
        """The age in years to route by: the stated age, else the youngest usual age of the
        school year (小1 → 6, 中1 → 12, 高1 → 15)."""
        return self.age if self.age is not None else grade_age(self.grade) if self.grade else None


def grade_age(grade: str) -> int:
    """The youngest usual age of a school year (``middle-2`` → 13).

    Raises:
        ValueError: for a malformed grade.
    """
    school, _, n = grade.partition("-")
    base = {"elem": 5, "middle": 11, "high": 14}[school]
    return base + int(n)


def _kanji_number(s: str) -> int:
    d = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
    if s.startswith("十"):
        return 10 + d.get(s[1:], 0)
    tens, _, ones = s.partition("十")
    return d[tens] * 10 + d.get(ones, 0)


_UNDER = re.compile(r"(?<!\d)(\d{1,3})(?:歳|さい|才)?未満")
_AROUND = {"あらさー": 30, "あらふぉー": 40, "あらふぃふ": 50, "あらかん": 60, "はたち": 20, "二十歳": 20, "成人": 20,
           "還暦": 60, "定年": 60}
_PAST = re.compile(r"(?<!\d)([1-9]\d)(?:過ぎ|すぎ|超え|こえ|ちょい|代)")
_ASKED = re.compile(r"(?<![\d.])(\d{1,3})(?:です|っす|だよ|だ|やけん|やで|ばい|になる|になります|才|歳)?(?=$|[、。,.!！?？）)]|で|やけど|だけど)")
_PAREN = re.compile(r"[（(](\d{1,3})[)）]")
_SOON = re.compile(r"(?:もうすぐ|もう少しで|来年)(\d{1,3})")


def find_age(a: Analysis, *, asked: bool = False) -> AgeInfo | None:
    """The age and/or school year stated in ``a``, or None when there is neither.

    Args:
        asked: the message answers an age question, so a bare number (「まだ17」, 「16です」,
            「専門学生です（20）」) is an age too.
    """
    info = _find_age(a)
    if info is not None or not asked:
        return info
    text = fold_kana(_SPACE.sub("", a.cleaned))
    age = None
    for rx in (_PAREN, _SOON, _ASKED):
        m = rx.search(text)
        if m:
            age = int(m.group(1))
            break
    if age is None or not 0 < age <= 120:
        return info
    return AgeInfo(age, None)


_DIGIT = re.compile(r"\d")
_KANJI_NUMERAL = re.compile("[一二三四五六七八九十]")


def _find_age(a: Analysis) -> AgeInfo | None:
    text = fold_kana(_SPACE.sub("", a.cleaned))
    if not _DIGIT.search(a.cleaned) and not _KANJI_NUMERAL.search(text):
        # every pattern below needs a digit or a kanji numeral: only the words of _AROUND remain
        age = next((v for k, v in _AROUND.items() if k in text), None)
        return AgeInfo(age, None) if age is not None else None
    grade = None
    g = _GRADE.search(text)
    if g:
        n = g.group(7)
        num = _KANJI_DIGITS.get(n) or int(n)
        school = "elem" if g.group(1) or g.group(4) else "middle" if g.group(2) or g.group(5) else "high"
        if num <= (6 if school == "elem" else 3):
            grade = f"{school}-{num}"
    age = None
    m = _UNDER.search(text)
    if m:
        age = int(m.group(1)) - 1  # 「18歳未満」: under 18
    for rx in () if age is not None else (_AGE_BECAME, _AGE_JA):
        m = rx.search(text)
        if m:
            age = int(m.group(1))
            break
    if age is None:
        m = _KANJI_AGE.search(text)
        if m:
            age = _kanji_number(m.group(1))
    if age is None:
        m = _AGE_EN.search(a.cleaned.replace("’", "'"))
        if m:
            age = int(m.group(1) or m.group(2) or m.group(3))
    if age is None:
        m = _DECADE.search(text) or _PAST.search(text)
        if m:
            age = int(m.group(1)) * (10 if len(m.group(1)) == 1 else 1)
    if age is None:
        age = next((v for k, v in _AROUND.items() if k in text), None)
    if age is not None and not 0 < age <= 120:
        age = None
    if age is None and grade is None:
        return None
    return AgeInfo(age, grade)
