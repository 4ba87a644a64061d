"""「データを消してほしい」 typed mid-consultation deleted the session at once (found by last session's
trial): a person whose photos were leaked may mean those, not the bot's record. The deletion command
(typed, Discord's /soudan-forget, a panel's ``:forget``) now asks 「この相談の記録をすべて消しますか？」 with
「消す」「やめる」; only a clear yes deletes, and 「やめる」 (or anything else) keeps the consultation
where it was. The session remembers only that the question was asked (an id, never the text)."""

from __future__ import annotations

import pytest

from bot.engine.commands import FORGET_NO, FORGET_PENDING, FORGET_YES
from bot.engine.types import Ask, Command, CommandName, End, Pick, Text
from bot.store.codec import decode_session, encode_session
from bot.testing import FakeChat
from tests import shipped

AT = "2026-12-01T10:00:00+09:00"  # a Tuesday morning


def at_what(locale: str | None = None) -> FakeChat:
    """A conversation at the question what happened (two answers given)."""
    chat = FakeChat(shipped.engine(), at=AT, locale=locale)
    chat.start()
    chat.pick("none")
    chat.pick("adult")
    assert chat.state == "what"
    return chat


def confirmation(chat: FakeChat) -> Ask:
    ask = chat.replies[-1]
    assert isinstance(ask, Ask)
    return ask


@pytest.mark.parametrize("text", ["データを消してほしい", "データ削除", "データを消してください", "私のデータを消して",
                                  "delete my data", "/forget"])
def test_the_deletion_command_asks_first_and_keeps_everything(text: str) -> None:
    chat = at_what()
    before = chat.session
    assert before is not None
    chat.say(text)
    assert not chat.ended and chat.session is not None
    ask = confirmation(chat)
    assert "この相談の記録（これまでの答え）をすべて消しますか？" in ask.text
    assert "ネットに載せられた投稿や画像" in ask.text  # someone who meant the leaked posts is told what to do
    assert [(c.id, c.label) for c in ask.choices] == [(FORGET_YES, "消す"), (FORGET_NO, "やめる")]
    # nothing changed but the question asked: the answers are all there, and nothing typed is stored
    s = chat.session
    assert (s.state, s.slots, s.history, s.conversation_id) == (before.state, before.slots, before.history,
                                                                 before.conversation_id)
    assert s.clarify == [FORGET_PENDING]
    stored = encode_session(s)
    assert text.encode() not in stored and "消して".encode() not in stored
    assert decode_session(stored, "memory") == s


@pytest.mark.parametrize("answer", ["やめる", "いいえ", "消さない", "2", "キャンセル"])
def test_no_keeps_the_consultation_where_it_was(answer: str) -> None:
    chat = at_what()
    history = list(chat.session.history)  # type: ignore[union-attr]
    chat.say("データを消してほしい")
    chat.say(answer)
    assert not chat.ended
    assert chat.says[0] == "記録は消していません。このまま相談を続けられます。"
    assert chat.state == "what" and chat.session is not None and chat.session.history == history
    assert chat.session.clarify == []
    assert confirmation(chat).text.startswith("どんなことが起きていますか？")  # the question again
    chat.press("悪口・うそを書かれた")  # and the consultation goes on
    assert chat.state != "what"


def test_the_no_button_keeps_it_too() -> None:
    chat = at_what()
    chat.say("データ削除")
    chat.press("やめる")
    assert not chat.ended and chat.state == "what" and "記録は消していません" in chat.text


@pytest.mark.parametrize("answer", ["消す", "はい", "1", "データ削除"])
def test_a_clear_yes_deletes(answer: str) -> None:
    chat = at_what()
    chat.say("データを消してほしい")
    out = chat.engine.step(chat.session, Text(answer), chat.at)
    assert out.forget and out.session is None
    assert isinstance(out.replies[-1], End) and "この相談の記録をすべて削除しました" in out.replies[-1].text


def test_the_yes_button_deletes() -> None:
    chat = at_what()
    chat.say("データ削除")
    chat.press("消す")
    assert chat.ended and chat.session is None and "削除しました" in chat.text


def test_something_else_after_the_question_is_read_as_usual_and_deletes_nothing() -> None:
    chat = at_what()
    chat.say("データを消してほしい")
    chat.say("悪口を書かれた")  # the answer to the question before
    assert not chat.ended and chat.state != "what" and chat.session is not None
    assert chat.session.clarify == []
    assert chat.says[0] == "記録は消していません。このまま相談を続けられます。"  # said, not silently dropped
    # a 「消す」 button of that earlier question no longer deletes: it was not the last question
    s = chat.session
    out = chat.engine.step(s, Pick(FORGET_YES, s.state, s.conversation_id), chat.at)
    assert not out.forget and out.session is not None
    assert "このボタンは前の質問のものです" in "\n".join(r.text for r in out.replies)


def test_crisis_words_at_the_question_get_the_crisis_reply_and_delete_nothing() -> None:
    chat = at_what()
    chat.say("データを消してほしい")
    chat.say("もう死にたい")
    assert not chat.ended and chat.session is not None
    assert "fire_ambulance_119" in chat.contact_ids or "119" in chat.text


def test_at_the_goal_question_the_wish_to_delete_the_posts_is_kept() -> None:
    # the goal question has 「消してほしい」: 「データを消してほしい」 there deleted the whole consultation
    chat = at_what()
    chat.press("悪口・うそを書かれた")
    while chat.state != "goal":
        chat.pick(chat.buttons[0].id)
    chat.say("データを消してほしい")
    chat.press("やめる")
    assert chat.state == "goal" and not chat.ended
    chat.press("消してほしい")
    assert chat.state != "goal" and not chat.ended


def test_in_english() -> None:
    chat = at_what("en")
    chat.say("delete my data")
    ask = confirmation(chat)
    assert ask.text.startswith("Delete every record this bot keeps of this consultation")
    assert [c.label for c in ask.choices] == ["Delete", "Cancel"]
    chat.say("cancel")
    assert chat.state == "what" and chat.says[0] == "Nothing was deleted. You can go on with the consultation."
    chat.say("delete my data")
    chat.press("Delete")
    assert chat.ended and chat.session is None and "have been deleted" in chat.text


def test_a_platform_command_asks_first_too() -> None:
    # Discord's /soudan-forget and a panel or menu's ``:forget`` postback (no conversation id)
    chat = at_what()
    chat.send(Command(CommandName.FORGET))
    assert not chat.ended and confirmation(chat).choices[0].id == FORGET_YES
    chat.press("やめる")
    chat.send(Pick(":forget", "", ""))
    assert not chat.ended and confirmation(chat).choices[0].id == FORGET_YES
    chat.press("消す")
    assert chat.ended and chat.session is None


def test_someone_new_is_asked_too_and_no_gets_the_first_question() -> None:
    chat = FakeChat(shipped.engine(), at=AT)
    chat.say("データを消してほしい")  # a first message
    assert not chat.ended and "すべて消しますか" in confirmation(chat).text
    chat.press("やめる")
    assert chat.state == "safety" and "まず、あなたの安全を確かめさせてください" in confirmation(chat).text


def test_a_sticker_at_the_question_asks_it_again_and_deletes_nothing() -> None:
    """A sticker at 「…すべて消しますか？」 dropped the question silently, and a 「消す」 typed next was read
    as the goal 「消してほしい」 without a word (found by the breaker, 2026-12-02)."""
    from bot.engine.types import Unsupported

    chat = at_what()
    chat.say("データを消してほしい")
    chat.send(Unsupported("sticker"))
    assert not chat.ended and chat.session is not None and chat.session.clarify == [FORGET_PENDING]
    assert confirmation(chat).text == confirmation_text()
    chat.say("消す")
    assert chat.ended  # the question was still there: 「消す」 answers it


def confirmation_text() -> str:
    from bot.i18n import t

    return t("engine.forget_confirm", "ja")


@pytest.mark.parametrize("answer", ["データ削除やめて", "削除しないで", "消さないで", "消すな", "やっぱり消さないでください",
                                    "記録は消さないで", "消すのはやめて", "削除しなくていい", "Don't delete it"])
def test_do_not_delete_in_words_at_the_goal_question_keeps_and_is_no_goal(answer: str) -> None:
    """「データ削除やめて」 answering the deletion question was neither yes nor no: 「記録は消していません」,
    then it was read at the goal question as 「消してほしい」 — the opposite of what was said. Now it
    is the question's 「やめる」: nothing deleted, the goal question again, no goal taken."""
    chat = at_what()
    chat.press("悪口・うそを書かれた")
    while chat.state != "goal":
        chat.pick(chat.buttons[0].id)
    chat.say("データを消してほしい")
    chat.say(answer)
    assert not chat.ended and chat.state == "goal" and chat.session is not None
    assert chat.says[0] == "記録は消していません。このまま相談を続けられます。"
    assert "goal" not in chat.session.slots and chat.session.clarify == []
    assert confirmation(chat).state_id == "goal"
