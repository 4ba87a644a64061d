"""Fault: at the safety question, answers meaning "I am not okay" (「大丈夫じゃない」, 「生きていたくない」)
were taken as 「どれもあてはまらない」 because short keywords matched inside them; odd numbers
("-1", "1.5", "1 2") picked choices after punctuation was dropped; some crisis words were missed."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.engine.types import Ask, Refer, Reply, Say, Start, Text
from bot.i18n import t
from bot.timeutil import JST
from tests import shipped

NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=JST)


engine = shipped.engine
"""The shipped flows and directory, loaded once per process (tests/shipped.py)."""


def answer(text: str) -> tuple[str, list[Reply]]:
    e = engine()
    s = e.step(None, Start(), NOW).session
    out = e.step(s, Text(text), NOW)
    assert out.session is not None
    return out.session.state, out.replies


@pytest.mark.parametrize("text", ["生きていたくない", "もう生きられない", "生きる意味がない", "消えてしまいたい", "首吊り",
                                  "ＯＤしたい", "I wanna die", "I want to end it all", "shinitai"])
def test_crisis_words_at_the_first_question(text: str) -> None:
    # the crisis reply, then on to the self-harm question instead of asking the first one again (#11)
    state, replies = answer(text)
    assert state == "selfharm" and isinstance(replies[0], Refer)
    assert "police_110" in [v.contact.id for v in replies[0].contacts]


@pytest.mark.parametrize("text", ["ＯＤした", "手首切った", "薬いっぱい飲んだ", "I took too many pills"])
def test_an_injury_already_done_at_the_first_question_is_the_119_result(text: str) -> None:
    # the safety question's 「死にたい・自分を傷つけたい」, then 「けが・薬を飲みすぎた」: one card, 119 first,
    # with 110 and the 24-hour lines of the crisis card after the result's own windows
    state, replies = answer(text)
    assert state == "selfharm_injured" and isinstance(replies[0], Refer)
    ids = [v.contact.id for v in replies[0].contacts]
    assert ids[0] == "fire_ambulance_119" and "police_110" in ids and "yorisoi" in ids
    assert sum(isinstance(r, Refer) for r in replies) == 1


@pytest.mark.parametrize("text", ["大丈夫じゃない", "かなしい", "味方がいない", "-1", "1.5", "1 2", "99999999999999999999"])
def test_negated_or_odd_answers_never_pick_a_triage_choice(text: str) -> None:
    state, replies = answer(text)
    assert state == "safety"
    assert isinstance(replies[0], Say) and isinstance(replies[-1], Ask)


@pytest.mark.parametrize("text,state", [("大丈夫です", "who"), ("なし", "who"), ("4。", "who"), ("00004", "who"),
                                        ("1", "emergency")])
def test_plain_answers_still_work(text: str, state: str) -> None:
    assert answer(text)[0] == state


def test_a_flow_cannot_switch_crisis_words_off(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot.engine.flow import load_flow
    from tests.conftest import TINY_FLOW, write

    f = write(tmp_path, "flows/tiny.yaml", TINY_FLOW.replace("keywords: [死にたい, suicide]", 'keywords: ["!!!"]'))
    lf, errs = load_flow(f, ["day_line", "night_line", "police_110"])
    assert lf is None and "crisis keyword '!!!' is too short" in errs[0].message


# A number typed with an invisible format character around it (a zero-width space U+200B, U+FEFF, a
# bidi mark — some keyboards and copy-paste add them) was answered 「答えがわかりませんでした」, and a
# message of only zero-width spaces too, instead of picking the choice / saying it was empty.

@pytest.mark.parametrize("text", ["\u200b4", "4\u200b", "\ufeff4", "\u200e4", "\u20604", "４\u200d", "\u200b4番"])
def test_a_number_with_zero_width_characters_picks_like_the_number(text: str) -> None:
    assert answer("4")[0] == "who"  # 「どれもあてはまらない」
    state, replies = answer(text)
    assert state == "who"
    assert isinstance(replies[-1], Ask) and replies[-1].state_id == "who"


def test_only_zero_width_spaces_is_an_empty_message() -> None:
    state, replies = answer("\u200b\u200b\ufeff")
    assert state == "safety"
    assert isinstance(replies[0], Say) and replies[0].text == t("engine.empty", "ja")
    assert isinstance(replies[-1], Ask)


def _at_goal() -> object:
    e = engine()
    s = e.step(None, Start(), NOW).session
    for typed in ("4", "2", "1", "4"):  # none of these / adult / defamation / Tokyo: the goal question
        s = e.step(s, Text(typed), NOW).session
    assert s is not None and s.state == "goal", s
    return s


@pytest.mark.parametrize("text,deleted", [("消すな", False), ("消してほしいな", True), ("消したいな", True),
                                          ("データ削除やめて", False), ("削除しないで", False), ("消さないで", False),
                                          ("消すのはやめて", False), ("削除しちゃだめ", False), ("消しては駄目", False),
                                          ("投稿の削除をしてほしい", True)])
def test_a_prohibitive_na_is_no_wish_to_delete(text: str, deleted: bool) -> None:
    """「消すな」 (do not delete) was read as the goal 「消してほしい」, the opposite (breaker 2026-12-02);
    a softening な after たい/ほしい is no negation. 「データ削除やめて」「消すのはやめて」「削除しちゃだめ」
    were read as 「消してほしい」 too (session 8): 「やめて」「だめ」 after deleting deny it."""
    out = engine().step(_at_goal(), Text(text), NOW)  # type: ignore[arg-type]
    assert out.session is not None
    assert (out.session.state == "delete") is deleted, (out.session.state, [getattr(r, "text", "") for r in out.replies])
