"""An adult who answered 「18歳以上」 at the crisis question was then taken as a pupil from
「高校の時の同級生」 in their first message and got the children's result (trial F15). The crisis
question's age answer now answers 「相談するのは、だれですか？」 (confirmed there, 「戻る」 undoes it), and
a school in the past (「〜の時」「〜時代」「〜だった頃」) says nothing about the person's age now."""

from __future__ import annotations

import pytest

from bot.testing import FakeChat
from tests import shipped

AT = "2026-12-01T10:00:00+09:00"  # a Tuesday morning
LONG = ("こんばんは。長くなってすみません。半年くらい前から、高校の時の同級生だった人にXで粘着されていて、"
        "勤務先の名前とか最寄り駅まで書かれるようになって、本当にこわいです。正直もう消えたいと思うこともあります。")


def chat_of(*typed: str) -> FakeChat:
    chat = FakeChat(shipped.engine(), at=AT)
    chat.start()
    for text in typed:
        chat.say(text)
    return chat


def test_the_trials_adult_is_not_taken_for_a_pupil() -> None:
    chat = chat_of(LONG, "3", "1")  # the crisis card and question; 3 = 18歳以上; 1 = 相談を続ける
    assert chat.session is not None and chat.session.slots.get("who") == "adult", chat.text
    assert "「18歳以上の本人（高校生も）」として進めます" in chat.text
    assert "18歳未満（小・中・高校生）" not in chat.text


@pytest.mark.parametrize("answer,who", [("3", "adult"), ("2", "pupil")])
def test_the_age_told_at_the_crisis_question_answers_who(answer: str, who: str) -> None:
    chat = chat_of("しにたい", answer, "1")
    assert chat.session is not None and chat.session.slots.get("who") == who
    assert chat.state == "what"  # the who question is not asked again


@pytest.mark.parametrize("text", ["高校の時の同級生にXで悪口書かれてる", "高校生の時の元彼にストーカーされてる",
                                  "中学のときの同級生に晒された"])
def test_a_school_in_the_past_does_not_answer_who(text: str) -> None:
    chat = chat_of("4", text)  # 4 = no danger; then at 「相談するのは、だれですか？」
    assert chat.state == "who" and chat.session is not None and "who" not in chat.session.slots
    assert "18歳未満（小・中・高校生）」として進めます" not in chat.text
