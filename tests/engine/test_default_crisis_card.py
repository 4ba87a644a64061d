"""A flow with no crisis section (and no default flow that has one) answered 「死にたい」 with the
built-in card's 110 first: routing.md §1 sends suicidal feelings to the 24-hour listening lines
(119 when injured), danger from someone else to 110 first. The built-in card follows it by kind."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.engine.core import Engine
from bot.engine.types import Refer, Start, Text
from bot.loading import build_engine
from bot.timeutil import JST
from tests.conftest import TINY_FLOW, write

NOW = dt.datetime(2026, 12, 3, 23, 0, tzinfo=JST)

_LINES = """\
- id: yorisoi
  name: {ja: よりそいホットライン, en: Yorisoi Hotline}
  org: {ja: テスト機関, en: Test office}
  phones: [{number: "0120-279-338"}]
  hours: "24/7"
  hours_text: {ja: 24時間, en: 24 hours}
  cost: free
  topics: [DIS]
  source: https://example.org/yorisoi
  verified: "2026-11-30"
- id: fire_ambulance_119
  name: {ja: 救急 119番, en: Ambulance 119}
  org: {ja: 消防, en: Fire department}
  phones: [{number: "119"}]
  hours: "24/7"
  hours_text: {ja: 24時間, en: 24 hours}
  cost: free
  topics: [EMG]
  source: https://example.org/119
  verified: "2026-11-30"
- id: police_110
  name: {ja: 警察 110番, en: Police 110}
  org: {ja: 警察, en: Police}
  phones: [{number: "110"}]
  hours: "24/7"
  hours_text: {ja: 24時間, en: 24 hours}
  cost: free
  topics: [EMG]
  source: https://example.org/110
  verified: "2026-11-30"
- id: day_line
  name: {ja: 平日の相談窓口, en: Weekday line}
  org: {ja: テスト機関, en: Test office}
  phones: [{number: "0570-003-110"}]
  hours: "Mo-Fr 09:00-17:00; PH off"
  hours_text: {ja: 平日 9:00〜17:00, en: "Weekdays 9:00-17:00"}
  cost: navi-dial
  topics: [DEF]
  source: https://example.org/day
  verified: "2026-11-30"
"""


@pytest.fixture
def no_crisis_engine(tmp_path: Path) -> Engine:
    start, end = TINY_FLOW.index("crisis:"), TINY_FLOW.index("states:")
    flow = (TINY_FLOW[:start] + TINY_FLOW[end:]).replace("night_line", "yorisoi")
    return build_engine([write(tmp_path, "flows/tiny.yaml", flow)], [write(tmp_path, "directory/d.yaml", _LINES)])


def _card(e: Engine, text: str) -> Refer:
    s = e.step(None, Start(), NOW).session
    card = e.step(s, Text(text), NOW).replies[0]
    assert isinstance(card, Refer)
    return card


def test_suicidal_feelings_get_the_listening_line_first_not_the_police(no_crisis_engine: Engine) -> None:
    card = _card(no_crisis_engine, "死にたい")
    assert [v.contact.id for v in card.contacts] == ["yorisoi", "fire_ambulance_119", "police_110"]
    assert "あなたはひとりではありません" in card.text and "110" not in card.text


def test_an_injury_gets_119_first(no_crisis_engine: Engine) -> None:
    card = _card(no_crisis_engine, "薬をたくさん飲んだ")
    assert card.contacts[0].contact.id == "fire_ambulance_119"
    assert "いますぐ119番に電話して" in card.text


def test_danger_still_gets_110_first(no_crisis_engine: Engine) -> None:
    card = _card(no_crisis_engine, "殺すって言われた")
    assert card.contacts[0].contact.id == "police_110"
    assert "110番" in card.text
