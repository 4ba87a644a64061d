"""Fault: a feeling said with what happened lost what happened. 「SNSで悪口を書かれてつらい」 got the warm
reply and the safety question again with nothing kept (つらい, a keyword of the catch-all 「ただつらい・話したい」,
tied with 悪口); as someone's very first message it was kept silently, under a plain welcome."""

from __future__ import annotations

import datetime as dt

from bot.engine.types import Say, Start, Text
from bot.i18n import t
from bot.nlu.analysis import analyse
from bot.nlu.matcher import ChoiceCues, Matcher
from bot.timeutil import JST
from tests import shipped

NOW = dt.datetime(2026, 12, 1, 14, 0, tzinfo=JST)
KEPT = t("engine.kept", "ja", labels="「悪口・うそを書かれた」")


def test_the_first_message_of_someone_new_is_answered_with_what_was_kept() -> None:
    out = shipped.engine().step(None, Text("SNSで悪口を書かれてつらい"), NOW)
    assert out.session is not None and out.session.state == "safety"
    says = [r.text for r in out.replies if isinstance(r, Say)]
    assert says == [t("engine.welcome", "ja"), t("engine.feeling", "ja") + KEPT]
    assert out.session.prefill == {"what": "def"}


def test_at_the_safety_question_the_warm_words_come_with_what_was_kept() -> None:
    e = shipped.engine()
    s = e.step(None, Start(), NOW).session
    out = e.step(s, Text("SNSで悪口を書かれてつらい"), NOW)
    assert out.session is not None and out.session.state == "safety"
    assert [r.text for r in out.replies if isinstance(r, Say)] == [t("engine.feeling", "ja") + KEPT]


def test_a_plain_first_message_that_gives_an_answer_says_so_without_the_warm_words() -> None:
    out = shipped.engine().step(None, Text("インスタを乗っ取られました"), NOW)
    says = [r.text for r in out.replies if isinstance(r, Say)]
    assert says == [t("engine.welcome", "ja"), t("engine.kept", "ja", labels="「乗っ取り・なりすまし」")]


def test_a_catch_all_choice_counts_only_when_no_other_choice_does() -> None:
    m = Matcher([ChoiceCues("def", keywords=("悪口",)), ChoiceCues("talk", keywords=("つらい",), catch_all=True)])
    assert m.decide(analyse("悪口を書かれてつらい")).choice == 0
    assert m.decide(analyse("つらい")).choice == 1
    plain = Matcher([ChoiceCues("def", keywords=("悪口",)), ChoiceCues("talk", keywords=("つらい",))])
    assert plain.decide(analyse("悪口を書かれてつらい")).candidates == (0, 1)  # the tie it was
