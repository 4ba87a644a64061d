"""「誰にも言わないで」「親に言わないで」 typed while a hand-off is offered, asked for or under way
(DESIGN.md §11: only with the person's consent; bot/engine/handoff.py Handoffs._tell_nobody).

Before: the words were read as 「電話がつながらない」 (the open-now list); at the consent question the
consent stayed pending (one press of 「伝えてつなぐ」 from sharing), and a hand-off already asked for
went on as if nothing had been said."""

from __future__ import annotations

import pytest

from bot.engine.core import Engine
from bot.engine.handoff import asks_to_tell_nobody
from bot.engine.types import HandoffSignal, Refer
from bot.testing import FakeChat
from tests.engine.test_handoff import SECRET, TUESDAY_18, engine, to_result

__all__ = ["engine"]  # the module's engine fixture (shipped flows with the example teams)

WORDS = ["誰にも言わないで", "親に言わないで！", "親には言わないでください", "先生に言わないでほしい", "内緒にして",
         "don't tell my parents", "Don't tell anyone"]


@pytest.mark.parametrize("text", WORDS)
def test_the_words_are_read(text: str) -> None:
    assert asks_to_tell_nobody(text)


@pytest.mark.parametrize("text", ["親に言われた", "先生に言いたい", "誰かに話したい", "言わないでおこうか迷う", "tell my parents"])
def test_other_words_are_not(text: str) -> None:
    assert not asks_to_tell_nobody(text)


def test_offered_nothing_is_shared_without_the_button_and_consent(engine: Engine) -> None:
    chat = to_result(engine, TUESDAY_18)
    chat.say("親に言わないで")
    assert chat.says == ["わかりました。このボットが、保護者や学校、ほかのだれかに連絡することはありません。"
                         "SNS相談の相談員にも、あなたがボタンを押して「伝えてつなぐ」に同意しないかぎり、何も伝えません。"]
    assert not any(isinstance(r, Refer) for r in chat.replies)  # not the open-now list
    assert chat.session is not None and chat.session.handoff is None
    assert [e.kind for e in chat.handoffs] == ["offered"]  # every event of the conversation: nothing shared


@pytest.mark.parametrize("text", ["誰にも言わないで", "don't tell anyone"])
def test_at_the_consent_question_it_is_declined(engine: Engine, text: str) -> None:
    chat = to_result(engine, TUESDAY_18)
    chat.pick(":handoff")
    chat.say(text)
    assert chat.session is not None and chat.session.handoff is None
    assert [e.kind for e in chat.handoffs] == ["offered"]  # nothing was shared
    assert "SNS相談の相談員には何も伝えず、引き継ぎはしません。" in chat.text
    assert ":handoff-yes" not in [b.id for b in chat.buttons]
    chat.pick(":handoff")  # asked again, it is the person's choice again
    assert [b.id for b in chat.buttons] == [":handoff-yes", ":handoff-no"]


def test_asked_for_and_waiting_it_is_withdrawn_saying_what_the_team_has(engine: Engine) -> None:
    chat = to_result(engine, TUESDAY_18)
    chat.pick(":handoff")
    chat.pick(":handoff-yes")
    chat.say("やっぱり誰にも言わないで")
    assert chat.session is not None and chat.session.handoff is None
    assert [e.kind for e in chat.handoffs] == ["offered", "requested", "withdrawn"]
    [said] = chat.says
    assert said.startswith("わかりました。SNS相談の相談員への引き継ぎを取り消しました。SNS相談の相談員には、"
                           "さきほど同意して伝えた次のことと、取り消したことだけが届いています。あなたが書いた文章は伝えていません。")
    assert "・選んだ答え：" in said and SECRET not in said
    assert said.endswith("このボットが、保護者や学校、ほかのだれかに連絡することはありません。")
    assert chat.send(HandoffSignal("taken")) == []  # nobody can take it any more


def test_taken_the_person_is_told_what_the_team_has_and_how_to_stop(engine: Engine) -> None:
    chat = to_result(engine, TUESDAY_18)
    chat.pick(":handoff")
    chat.pick(":handoff-yes")
    chat.send(HandoffSignal("taken"))
    chat.say("親には言わないでください")
    assert chat.session is not None and chat.session.handoff is not None and chat.session.handoff.status == "taken"
    assert [e.kind for e in chat.handoffs] == ["offered", "requested", "taken"]
    [said] = chat.says
    assert "このボットが、保護者や学校に連絡することはありません。SNS相談の相談員がどうするかは、このボットからは約束できません。" in said
    assert "やっぱりやめる" in [b.label for b in chat.buttons]


def test_a_crisis_message_gets_the_crisis_card_first(engine: Engine) -> None:
    chat = to_result(engine, TUESDAY_18)
    chat.pick(":handoff")
    chat.say("死にたい、親には言わないで")
    assert chat.urgencies[:1] == ["immediate"]


def test_without_a_team_the_words_change_nothing_here(engine: Engine) -> None:
    chat = FakeChat(engine, at=TUESDAY_18)
    chat.start()
    chat.say("誰にも言わないで")
    assert chat.state == "safety"


@pytest.mark.parametrize("where", ["question", "result"])
def test_without_a_hand_off_the_reply_says_the_bot_contacts_nobody(engine: Engine, where: str) -> None:
    """Before: under a result 「誰にも言わないで」 was read as 「電話がつながらない」 (the open-now list)."""
    chat = FakeChat(engine, at=TUESDAY_18)
    chat.start()
    chat.pick("none")
    if where == "result":
        chat.pick("pupil")
        chat.pick("def")
        chat.pick("other")
    state = chat.state
    chat.say("誰にも言わないで")
    assert chat.says == ["わかりました。このボットが、あなたの同意なしに、保護者や学校、ほかのだれかに連絡することはありません。"]
    assert not any(isinstance(r, Refer) for r in chat.replies)
    assert chat.state == state
