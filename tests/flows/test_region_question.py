"""The region question of the shipped flow, as a person answers it.

「なし」「特にない」 (bare "no" words) were read as 「それ以外の道府県」 and 「わからない」 was not
understood at all (the question again); found by last session's trials. They are the 「わからない」
choice: the bot says so back and the person gets the national windows, no local ones.
"""

from __future__ import annotations

import pytest

from bot.settings import Settings
from bot.testing import FakeChat

WEEKDAY_11 = "2026-12-01T11:00:00+09:00"


def _at_region(what: str = "def", who: str = "adult", locale: str = "ja") -> FakeChat:
    s = Settings()
    chat = FakeChat.from_files(s.flow_paths(), s.directory_paths(), at=WEEKDAY_11)
    chat.start()
    if locale == "en":
        chat.say("English")
    chat.pick("none")
    chat.pick(who)
    chat.pick(what)
    assert chat.state == "region"
    return chat


@pytest.mark.parametrize("answer", ["なし", "特にない", "特にないです", "わからない", "分かりません", "よくわかんない",
                                    "知らない", "ないです"])
def test_no_place_to_give_is_not_another_prefecture(answer: str) -> None:
    chat = _at_region()
    chat.say(answer)
    assert chat.state == "goal", chat.text
    # the bot says back what it understood, except for the button's own words
    assert chat.texts[0] == ("どうしたいですか？いちばん近いものを選んでください。" if answer == "わからない" else
                             "「わからない」として進めます。違っていたら「戻る」と送ってください。"), chat.text
    assert "それ以外の道府県" not in chat.text
    assert "答えがわかりませんでした" not in chat.text
    chat.pick("delete")
    assert chat.contact_ids[:2] == ["moj_minna_110", "sia_hibou_hotline"]
    assert not {"gunma_net_window", "shibukawa_window", "kotaeru"} & set(chat.contact_ids)


def test_a_pupil_who_does_not_know_gets_the_national_youth_windows() -> None:
    chat = _at_region(what="bul", who="pupil")
    chat.say("わからない")
    assert chat.state == "youth_net"
    assert "mext_24h_sos" in chat.contact_ids and "kotaeru" not in chat.contact_ids


def test_not_tokyo_is_still_elsewhere_and_a_place_is_still_a_place() -> None:
    chat = _at_region()
    chat.say("東京じゃないです")
    assert "「それ以外の道府県」として進めます" in chat.text
    chat = _at_region()
    chat.say("群馬です")
    assert "「群馬県」として進めます" in chat.text
    chat = _at_region()
    chat.say("答えたくない")
    assert chat.state == "goal" and "それ以外の道府県" not in chat.text


def test_the_question_offers_the_not_sure_button_in_english() -> None:
    chat = _at_region(locale="en")
    assert "Not sure" in [b.label for b in chat.buttons]
    chat.say("I don't know")
    assert chat.state == "goal"
    assert "Elsewhere in Japan" not in chat.text
