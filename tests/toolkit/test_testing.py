"""``bot.testing.FakeChat``: testing a flow in pytest without a network."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine.core import Engine
from bot.testing import FakeChat


def test_a_consultation_by_labels_ids_and_typed_text(tiny_engine: Engine) -> None:
    chat = FakeChat(tiny_engine, flow="tiny", at="2026-12-01T10:00:00+09:00")
    chat.start()
    assert chat.state == "who"
    assert [b.label for b in chat.buttons] == ["学生", "おとな"]
    chat.press("学生")
    assert chat.state == "what"
    chat.say("悪口")
    assert chat.state == "result-pupil"
    assert chat.contact_ids == ["day_line"]
    assert chat.statuses == {"day_line": "open"}
    assert "学生向けの窓口です。" in chat.says
    assert "証拠を保存しましょう。" in chat.text
    assert chat.visited_states == {"who", "what", "intro", "result-pupil"}
    assert chat.visited_choices == {("who", "pupil"), ("what", "yes")}
    chat.pick(":restart")
    assert chat.state == "who"
    chat.command("stop")
    assert chat.ended and chat.state is None


def test_the_clock_is_frozen_and_can_be_moved(tiny_engine: Engine) -> None:
    chat = FakeChat(tiny_engine, at="2026-12-07T08:30")  # no offset: JST; a Monday, before 9:00
    chat.start()
    chat.pick("adult")
    chat.pick("other")
    assert chat.statuses == {"night_line": "24h", "day_line": "closed"}
    chat.at = chat.at.replace(hour=9, minute=0)  # 9:00, within the tiny engine's one-hour idle timeout
    chat.pick(":back")
    chat.pick("other")
    assert chat.statuses["day_line"] == "open"


def test_english(tiny_engine: Engine) -> None:
    chat = FakeChat(tiny_engine, at="2026-12-01T10:00+09:00", locale="en")
    chat.start()
    chat.press("Adult")
    assert chat.buttons[0].label == "Yes, insults"


def test_mistakes_are_explained(tiny_engine: Engine, tiny_paths: tuple[list[Path], list[Path]]) -> None:
    with pytest.raises(ValueError, match="unknown flow 'nope'"):
        FakeChat(tiny_engine, flow="nope")
    chat = FakeChat.from_files(*tiny_paths, at="2026-12-01T10:00+09:00")
    with pytest.raises(ValueError, match="call start"):
        chat.pick("pupil")
    chat.start()
    with pytest.raises(ValueError, match=r"no button 'other' in state 'who'; the buttons are \['pupil', 'adult'\]"):
        chat.pick("other")
    with pytest.raises(ValueError, match="no button labelled"):
        chat.press("先生")
