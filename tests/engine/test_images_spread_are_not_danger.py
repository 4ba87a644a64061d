"""Images already spread (「裸の写真ばらまかれた」「元彼に写真を拡散された」「写真ばらされた」) were read as the
safety question's 「危険を感じる」 and got 「いますぐ110番してください…」 (trial F14). That choice is for a
threat (「ばらす」と脅されている, routing.md Q0); a posting that has happened goes to the images result
(Safe Line, #8103; 110 only with extortion and danger, routing.md §7). The threat still is danger."""

from __future__ import annotations

import pytest

from bot.testing import FakeChat
from tests import shipped

AT = "2026-12-01T10:00:00+09:00"  # a Tuesday morning


def first_message(text: str) -> FakeChat:
    chat = FakeChat(shipped.engine(), at=AT)
    chat.start()
    chat.say(text)
    return chat


@pytest.mark.parametrize("text", ["裸の写真ばらまかれた", "元彼に写真を拡散された", "写真ばらされた"])
def test_images_already_spread_are_not_the_danger_card(text: str) -> None:
    chat = first_message(text)
    assert chat.state == "safety" and "「危険を感じる」として進めます" not in chat.text  # the question, asked again
    assert "110番してください" not in chat.text


@pytest.mark.parametrize("text", ["写真ばらすぞって脅されています", "ばらまくと言われた", "画像を拡散するって言われてる",
                                  "ばらされたくなかったら金払えって言われた"])
def test_a_threat_to_spread_them_still_is(text: str) -> None:
    chat = first_message(text)
    assert chat.state == "emergency" or "110" in chat.text, chat.text
