"""Typed answers at the who question that read unlike their neighbours (the session-6 leftovers;
transcript flows/tests/who-typed-asymmetries.yaml, corpus flows/tests/nlu/who.yaml)."""

from __future__ import annotations

import pytest

from bot.engine.text import keycap_numbers
from bot.testing import FakeChat
from tests import shipped

AT = "2026-12-01T14:00:00+09:00"
WHICH = "1.「18歳未満（小・中・高校生）」、2.「18歳以上の本人（高校生も）」のどれに近いですか"


def at_who() -> FakeChat:
    chat = FakeChat(shipped.engine(), at=AT)
    chat.start()
    chat.pick("none")
    assert chat.state == "who"
    return chat


def test_a_first_message_asking_what_to_do_is_not_a_teacher() -> None:
    # 「…どうすればいいか教えてください」 kept who: teacher, and the who question was then skipped
    chat = FakeChat(shipped.engine(), at=AT)
    chat.say("SNSで悪口を書かれました。どうすればいいか教えてください")
    assert chat.session is not None and "who" not in chat.session.prefill
    assert "先生・職員として" not in chat.text
    chat.pick("none")
    assert chat.state == "who"  # asked, not skipped


@pytest.mark.parametrize("text", ["教えてください", "教えて下さい", "教えてほしいです", "教えてもらえますか", "どうしたらいいか教えて"])
def test_a_request_to_be_told_is_not_the_teacher(text: str) -> None:
    chat = at_who()
    chat.say(text)
    assert chat.state == "who" and "先生・職員として児童生徒のことで」として進めます" not in chat.text


@pytest.mark.parametrize("text", ["先生", "教師です", "高校で教えてます", "塾で教えています", "中学で教えている"])
def test_a_teacher_saying_so_is_still_the_teacher(text: str) -> None:
    chat = at_who()
    chat.say(text)
    assert chat.session is not None and chat.session.slots.get("who") == "teacher"


@pytest.mark.parametrize("text", ["自分のことです", "自分の事です", "じぶんのことです", "私のことです", "僕のことです", "自分です"])
def test_myself_without_an_age_asks_pupil_or_adult(text: str) -> None:
    chat = at_who()
    chat.say(text)
    assert chat.state == "who" and WHICH in chat.text
    assert [b.id for b in chat.buttons] == ["pupil", "adult"]
    chat.say("1")
    assert chat.session is not None and chat.session.slots["who"] == "pupil"


@pytest.mark.parametrize("text", ["自分のことです、16です", "自分のことです。30歳です"])
def test_myself_with_an_age_needs_no_question(text: str) -> None:
    chat = at_who()
    chat.say(text)
    assert chat.session is not None and chat.session.slots["who"] == ("pupil" if "16" in text else "adult")


@pytest.mark.parametrize("text", ["1️⃣2️⃣", "1️⃣ 2️⃣", "1⃣2⃣", "1️⃣と2️⃣"])
def test_two_keycaps_ask_which_of_the_two(text: str) -> None:
    chat = at_who()
    chat.say(text)  # was the number 12: age 12, a pupil
    assert chat.state == "who" and WHICH in chat.text and "age" not in chat.session.slots  # type: ignore[union-attr]
    chat.press("18歳以上の本人（高校生も）")
    assert chat.session is not None and chat.session.slots["who"] == "adult"


def test_the_same_keycap_twice_is_that_choice_and_one_out_of_range_is_a_number() -> None:
    chat = at_who()
    chat.say("2️⃣2️⃣")
    assert chat.session is not None and chat.session.slots["who"] == "adult"
    chat = at_who()
    chat.say("1️⃣9️⃣")  # no choice 9: read as before (19, an age)
    assert chat.session is not None and chat.session.slots["who"] == "adult"


def test_keycap_numbers() -> None:
    assert keycap_numbers("1️⃣2️⃣") == (1, 2) and keycap_numbers("3️⃣、1️⃣。") == (3, 1)
    assert keycap_numbers("🔟1️⃣") == (10, 1)
    assert keycap_numbers("1️⃣") is None and keycap_numbers("12") is None and keycap_numbers("1️⃣2") is None
    assert keycap_numbers("あ1️⃣2️⃣") is None
