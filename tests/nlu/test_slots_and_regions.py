"""Ages, school years and places: the rules the analyser alone gets wrong."""

from __future__ import annotations

import pytest

from bot.nlu.analysis import analyse
from bot.nlu.regions import find_region, load_regions, region_codes, region_name
from bot.nlu.slots import find_age, grade_age


@pytest.mark.parametrize("text,age,grade", [
    ("中１です", None, "middle-1"), ("高２😭", None, "high-2"), ("ちゅうがく1ねん", None, "middle-1"),
    ("しょう5", None, "elem-5"), ("小学5年生", None, "elem-5"), ("ちゅう2", None, "middle-2"), ("中学２年生です", None, "middle-2"),
    ("こうこう3ねん", None, "high-3"), ("高3、17歳", 17, "high-3"), ("高校生だけど18になった", 18, None),
    ("60代", 60, None), ("50代です", 50, None), ("25歳の女です", 25, None), ("I'm 35", 35, None),
    ("I am 40 years old", 40, None), ("十七歳です", 17, None), ("My daughter is 14", 14, None),
    ("18歳未満です", 17, None), ("アラサーです", 30, None), ("40過ぎのおっさんです", 40, None),
])
def test_ages_and_school_years(text: str, age: int | None, grade: str | None) -> None:
    info = find_age(analyse(text))
    assert info is not None and (info.age, info.grade) == (age, grade)


@pytest.mark.parametrize("text", ["最高3回", "19です", "中7", "小学生", "3000円", "こんにちは"])
def test_no_age(text: str) -> None:
    assert find_age(analyse(text)) is None


def test_a_stated_age_wins_over_the_school_year() -> None:
    info = find_age(analyse("高校生だけど18になった"))
    assert info is not None and info.years == 18
    assert find_age(analyse("中2")).years == grade_age("middle-2") == 13  # type: ignore[union-attr]
    assert grade_age("elem-1") == 6 and grade_age("high-1") == 15


@pytest.mark.parametrize("text,code", [
    ("ちば", "JP-12"), ("ちばです", "JP-12"), ("Nagoya", "JP-23"), ("大阪市内", "JP-27"), ("埼玉の川口", "JP-11"),
    ("東京都", "JP-13"), ("京都", "JP-26"), ("群馬の渋川です", "JP-10/shibukawa"), ("渋川", "JP-10/shibukawa"),
    ("おおさか", "JP-27"), ("I live in Osaka", "JP-27"), ("横浜", "JP-14"), ("沖縄県民です", "JP-47"),
    ("ほっかいどう", "JP-01"), ("大阪に住んでる高２です", "JP-27"),
])
def test_places(text: str, code: str) -> None:
    r = find_region(analyse(text))
    assert r is not None and r.code == code


@pytest.mark.parametrize("text", ["東京都以外", "東京じゃない", "なら大丈夫", "みえない", "さがしてる", "こんにちは"])
def test_no_place(text: str) -> None:
    assert find_region(analyse(text)) is None


def test_the_table_has_the_47_prefectures() -> None:
    codes = region_codes()
    assert {f"JP-{i:02d}" for i in range(1, 48)} <= codes
    assert "JP-10/shibukawa" in codes
    assert region_name("JP-27") == "大阪府" and region_name("JP-27", "en") == "Osaka"
    assert region_name("JP-99") is None
    assert len(load_regions().regions) >= 48
