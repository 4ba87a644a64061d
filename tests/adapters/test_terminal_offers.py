"""The terminal shows the 「データを消す」 offer of the help (Ask.offers), as LINE and the simulator show
it as a button (last session's leftover: the terminal left it out). It has no buttons and a number
answers the question, so the offer is named as words to send, never numbered; sending them asks the
deletion question. The real TerminalChat over the tiny flow."""

from __future__ import annotations

from bot.adapters.terminal import TerminalChat, render_plain
from bot.engine.core import Engine
from bot.i18n import t
from tests.conftest import WEEKDAY_10


def _chat(engine: Engine, lines: list[str], locale: str | None = None) -> list[str]:
    """The plain text the chat prints for each turn: the greeting first, then one per line sent."""
    chat = TerminalChat(engine, lambda: WEEKDAY_10, locale=locale)
    turns = [render_plain(chat.start(), chat.current_locale)]
    for line in lines:
        replies = chat.send(line)
        turns.append(render_plain(replies, chat.current_locale))
    return turns


def test_the_help_names_the_deletion_offer_as_words_to_send(tiny_engine: Engine) -> None:
    greeting, help_turn, forget_turn = _chat(tiny_engine, ["ヘルプ", "データを消す"])
    assert "データを消す" not in greeting
    assert help_turn.rstrip().endswith("  1. 学生\n  2. おとな\n  （「データを消す」と送ることもできます）")
    assert t("engine.forget_confirm", "ja") in forget_turn  # asked first: nothing is deleted yet


def test_a_number_after_the_help_still_answers_the_question(tiny_engine: Engine) -> None:
    _, _, answered = _chat(tiny_engine, ["ヘルプ", "1"])
    assert "何がありましたか？" in answered


def test_in_english(tiny_engine: Engine) -> None:
    _, help_turn, forget_turn = _chat(tiny_engine, ["help", "Delete my data"], locale="en")
    assert help_turn.rstrip().endswith('  (You can also send "Delete my data".)')
    assert t("engine.forget_confirm", "en") in forget_turn
