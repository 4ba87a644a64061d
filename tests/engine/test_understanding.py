"""Typed answers as people write them, through the engine and the shipped flow: negation, ways of
saying no, ages, places, slots kept from earlier messages, clarifications, crisis replies that move
on, and the result that lets a person continue. Plus the tests a mutation run found missing."""

from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path

import pytest

from bot.engine.commands import COMMAND_WORDS, command_for
from bot.engine.core import Engine
from bot.engine.types import Ask, CommandName, End, Outcome, Pick, Refer, Say, Session, Start, Text
from bot.loading import load_all
from bot.timeutil import JST
from tests import shipped
from tests.conftest import TINY_DIRECTORY, TINY_FLOW, WEEKDAY_10, write

NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=JST)


engine = shipped.engine
"""The shipped flows and directory, loaded once per process (tests/shipped.py)."""


def begin() -> Session:
    s = engine().step(None, Start(), NOW).session
    assert s is not None
    return s


def say(s: Session | None, text: str) -> Outcome:
    return engine().step(s, Text(text), NOW)


def texts(out: Outcome) -> str:
    return "\n".join(r.text for r in out.replies)


def at(state: str, *answers: str) -> Session:
    """A session at ``state`` of net-harm reached by pressing buttons."""
    path = {"who": ["none"], "what": ["none", "adult"], "region": ["none", "adult", "def"],
            "goal": ["none", "adult", "def", "other"]}[state]
    s = begin()
    for cid in path:
        s = engine().step(s, Pick(cid, s.state, s.conversation_id), NOW).session  # type: ignore[assignment]
    assert s.state == state
    return s


# ---------------------------------------------------------------- the safety question

@pytest.mark.parametrize("text", ["危ない目にはあってません", "身の危険までは感じてないです", "いますぐどうこうって感じではない",
                                  "危険っていうほどじゃないけど…", "こわいことは特にないで", "ないっす", "いや、ない", "べつにないです",
                                  "違います", "大丈夫っす", "どれも当てはまらないです", "いまは平気", "なんもない", "危なないで"])
def test_every_ordinary_no_at_the_safety_question_is_none(text: str) -> None:
    out = say(begin(), text)
    assert out.session is not None and out.session.state == "who", texts(out)
    assert out.session.history[-1].choice == "none"


@pytest.mark.parametrize("text", ["危ない目にはあってません", "怖くはないです", "危険はありません", "身の危険はないです"])
def test_a_negated_danger_is_never_danger(text: str) -> None:
    out = say(begin(), text)
    assert out.session is not None and out.session.state != "emergency"


def test_a_bare_no_is_confirmed() -> None:
    out = say(begin(), "ない")
    assert out.replies[0] == Say("「どれもあてはまらない」として進めます。違っていたら「戻る」と送ってください。")


@pytest.mark.parametrize("text", ["大丈夫じゃない", "平気じゃないけど"])
def test_not_okay_is_not_none(text: str) -> None:
    out = say(begin(), text)
    assert out.session is not None and out.session.state == "safety"


def test_danger_typed_goes_to_the_emergency_result_and_the_person_can_continue() -> None:
    out = say(begin(), "家に来るって言われて怖い")
    assert out.session is not None and out.session.state == "emergency"
    ask = [r for r in out.replies if isinstance(r, Ask)][-1]
    assert ask.choices[0].label == "相談を続ける"
    cont = engine().step(out.session, Pick(":continue", "emergency", out.session.conversation_id), NOW)
    assert cont.session is not None and cont.session.state == "who"
    typed = say(out.session, "相談を続ける")
    assert typed.session is not None and typed.session.state == "who"


# ---------------------------------------------------------------- crisis

def test_a_crisis_word_at_the_first_question_moves_on_instead_of_asking_again() -> None:
    out = say(begin(), "もう生きててもしょうがない")
    assert isinstance(out.replies[0], Refer)
    assert out.session is not None and out.session.state == "selfharm"
    # and as the very first message of a new user
    out = say(None, "死にたい")
    assert isinstance(out.replies[0], Refer) and out.session is not None and out.session.state == "selfharm"


def test_danger_words_at_the_first_question_go_on_to_the_emergency_result() -> None:
    out = say(begin(), "元彼が今から家に来る")
    assert isinstance(out.replies[0], Refer)
    assert out.session is not None and out.session.state == "emergency"


@pytest.mark.parametrize("text", ["死ぬほどおもしろかった", "レポートでタヒる", "自殺点を決めてしまった"])
def test_idioms_do_not_replace_the_question(text: str) -> None:
    out = say(at("what"), text)
    assert not any(isinstance(r, Refer) for r in out.replies)


def test_crisis_words_deep_in_the_flow_keep_the_question() -> None:
    s = at("goal")
    out = say(s, "ﾀﾋにたい")
    assert isinstance(out.replies[0], Refer) and out.session is not None and out.session.state == "goal"
    assert "続き" in texts(out)


# ---------------------------------------------------------------- ages and school years

@pytest.mark.parametrize("text,who", [("中１です", "pupil"), ("高２😭", "pupil"), ("ちゅうがく1ねん", "pupil"), ("しょう5", "pupil"),
                                      ("小学5年生", "pupil"), ("高3、17歳", "pupil"), ("高校生だけど18になった", "adult"),
                                      ("60代", "adult"), ("50代です", "adult"), ("25歳の女です", "adult"), ("19です", "adult"),
                                      ("I'm 35", "adult"), ("16", "pupil"), ("2", "adult")])
def test_ages_at_the_who_question(text: str, who: str) -> None:
    out = say(at("who"), text)
    assert out.session is not None and out.session.slots.get("who") == who, texts(out)


@pytest.mark.parametrize("text", ["4", "４", "9"])
def test_a_bare_digit_above_the_choices_is_a_choice_number_not_an_age(text: str) -> None:
    """A new user's trial: 「4」 typed at the crisis reply's three-line question (meant for the four-line
    safety question shown above it) was taken as an age of 4: 「「18歳未満・小中高生」として進めます」."""
    s = engine().step(begin(), Text("死にたい"), NOW).session
    assert s is not None
    out = say(s, text)
    assert out.session is not None and out.session.state == s.state and "age" not in out.session.slots
    assert f"{int(unicodedata.normalize('NFKC', text))}番の選択肢はありません" in texts(out), texts(out)
    assert "1〜3の番号で答えてください" in texts(out) and "18歳未満" not in texts(out).split("。")[0]
    # at the question who is asking too (five choices): 「7」 is no age of 7
    out = say(at("who"), "7")
    assert out.session is not None and out.session.state == "who" and "7番の選択肢はありません" in texts(out)
    # an age with its word, or of two digits, still is one
    for age_text, who in (("9歳", "pupil"), ("16", "pupil"), ("19", "adult")):
        out = say(at("who"), age_text)
        assert out.session is not None and out.session.slots.get("who") == who, texts(out)


def test_a_grade_of_someone_else_does_not_make_the_parent_a_pupil() -> None:
    out = say(at("who"), "中2の娘のことです")
    assert out.session is not None and out.session.slots.get("who") == "parent"


# ---------------------------------------------------------------- places: the region slot holds a code

@pytest.mark.parametrize("text,code", [("ちば", "JP-12"), ("Nagoya", "JP-23"), ("大阪市内", "JP-27"), ("埼玉の川口", "JP-11"),
                                       ("東京です", "JP-13"), ("渋川市", "JP-10/shibukawa"), ("群馬の高崎", "JP-10")])
def test_a_place_typed_at_the_region_question_stores_its_code_and_is_confirmed(text: str, code: str) -> None:
    out = say(at("region"), text)
    assert out.session is not None and out.session.slots["region"] == code
    assert "として進めます" in out.replies[0].text


def test_region_buttons_store_codes_and_branches_still_work() -> None:
    s = at("region")
    out = engine().step(s, Pick("shibukawa", "region", s.conversation_id), NOW)
    assert out.session is not None and out.session.slots["region"] == "JP-10/shibukawa"
    out = engine().step(out.session, Pick("delete", "goal", out.session.conversation_id), NOW)
    assert out.session is not None and out.session.state == "delete"
    refer = next(r for r in out.replies if isinstance(r, Refer))
    assert "shibukawa_window" in [v.contact.id for v in refer.contacts]  # routing adds the local window
    s = at("region")
    out = engine().step(s, Pick("other", "region", s.conversation_id), NOW)
    assert out.session is not None and out.session.slots["region"] == "other"


# ---------------------------------------------------------------- what was already said

def test_a_whole_story_is_not_asked_again() -> None:
    out = say(None, "大阪に住んでる高２です。ネットで悪口を書かれてる。消してほしい")
    s = out.session
    assert s is not None and s.state == "safety"
    assert isinstance(out.replies[-1], Ask) and "あなたの安全を確かめさせてください" in out.replies[-1].text
    out = say(s, "大丈夫です")
    t = texts(out)
    assert "「18歳未満（小・中・高校生）」として進めます" in t and "「悪口・うそを書かれた」として進めます" in t
    assert "「大阪府」として進めます" in t
    assert out.session is not None and out.session.slots == {"who": "pupil", "what": "def", "region": "JP-27"}
    assert out.session.state == "youth_net"
    # 「戻る」 goes back to the last confirmed question, which is then asked
    back = say(out.session, "戻る")
    assert back.session is not None and back.session.state == "region"
    assert isinstance(back.replies[-1], Ask) and "住んでいるところ" in back.replies[-1].text
    # an adult's story: the goal (「消してほしい」) is taken too, and the result is the one for deleting
    out = say(say(None, "大阪に住んでる30歳です。ネットで悪口を書かれてる。消してほしい").session, "大丈夫です")
    assert "「消してほしい」として進めます" in texts(out)
    assert out.session is not None and out.session.slots["goal"] == "delete"


def english() -> Session:
    s = engine().step(begin(), Text("English"), NOW).session
    assert s is not None
    return s


def test_several_answers_kept_are_each_quoted_as_a_list() -> None:
    # two labels in one pair of quotes read as one answer: "Insults or lies, Posted online"
    out = say(english(), "my nudes were posted online")
    assert texts(out).startswith('I noted "Intimate images" and "Posted online" for later questions.')
    out = say(begin(), "裸の写真をネットに載せられた")
    assert texts(out).startswith("「性的な画像・動画」、「ネットに載せられた」は、あとの質問の答えとして受け取りました。")
    out = say(english(), "I was insulted")
    assert texts(out).startswith('I noted "Insults or lies" for a later question.')


def test_an_answer_kept_for_a_question_out_of_reach_is_not_said_back() -> None:
    # 「ネットに載せられた」 answers the intimate-images question, which insults never reach: it was
    # said back as 'I noted "Insults or lies, Posted online"'; it is not kept either (the result
    # then offered 「「性的な画像・動画」も相談する」 to someone who never wrote of such images)
    out = say(english(), "someone posted insults about me online")
    assert texts(out).startswith('I noted "Insults or lies" for a later question.')
    assert out.session is not None and out.session.prefill == {"what": "def"}
    out = say(begin(), "ネットに悪口を載せられた")
    assert texts(out).startswith("「悪口・うそを書かれた」は、あとの質問の答えとして受け取りました。")
    # a pupil's intimate images go to the pupils' result, which asks no such question
    out = say(english(), "I am 16 and my nudes were posted online")
    assert texts(out).startswith('I noted "Under 18 / pupil" and "Intimate images" for later questions.')


def test_an_answer_typed_at_the_wrong_question_is_kept_for_its_question() -> None:
    s = at("who")
    out = say(s, "住所をさらされた")
    assert out.session is not None and out.session.state == "who"
    assert "あとの質問の答えとして受け取りました" in texts(out) and texts(out).endswith("相談するのは、だれですか？")
    out = say(out.session, "自分のことです、30歳です")
    assert out.session is not None and out.session.slots == {"who": "adult", "age": "30", "what": "dox"}
    assert out.session.state == "region"


def test_nothing_typed_is_stored() -> None:
    secret = "山田太郎に大阪で悪口を書かれてる"
    out = say(at("who"), secret)
    assert out.session is not None
    dump = out.session.to_json()
    assert "山田" not in dump and "悪口" not in dump and "大阪" not in dump


# ---------------------------------------------------------------- clarification

def test_a_number_after_a_clarification_refers_to_the_options_it_named() -> None:
    s = at("what")
    out = say(s, "いじめと乗っ取り")  # a bullying word and an account-takeover word, one each
    assert out.session is not None and out.session.clarify, texts(out)
    ask = out.replies[-1]
    # (an adult's bare いじめ is harassment: the choice's adult_keywords)
    assert isinstance(ask, Ask) and {c.id for c in ask.choices} == {"har", "ato"}
    second = ask.choices[1]
    assert out.replies[0].text.startswith("1.「") and f"2.「{second.label}」" in out.replies[0].text
    out2 = say(out.session, "2")
    assert out2.session is not None and out2.session.slots["what"] == second.id
    assert say(out.session, "9").session.state == "what"  # type: ignore[union-attr]


# ---------------------------------------------------------------- commands

@pytest.mark.parametrize("word", sorted(COMMAND_WORDS))
def test_every_command_word_matches_as_typed_and_in_full_width(word: str) -> None:
    import unicodedata

    assert command_for(word) is COMMAND_WORDS[word]
    wide = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in word)
    assert command_for(wide) is COMMAND_WORDS[word]
    assert command_for(f" {word}。") is COMMAND_WORDS[word]
    assert command_for(unicodedata.normalize("NFKC", word).upper()) is COMMAND_WORDS[word]


@pytest.mark.parametrize("text,cmd", [("?", CommandName.HELP), ("？", CommandName.HELP), ("/start", CommandName.RESTART),
                                      ("/help", CommandName.HELP), ("/stop", CommandName.STOP), ("/forget", CommandName.FORGET),
                                      ("データ削除", CommandName.FORGET), ("ﾃﾞｰﾀ削除", CommandName.FORGET)])
def test_the_commands_that_could_never_match(text: str, cmd: CommandName) -> None:
    assert command_for(text) is cmd
    out = say(at("who"), text)
    if cmd is CommandName.FORGET:  # asked first (tests/engine/test_forget_asks_first.py)
        assert not out.forget and "消しますか" in texts(out)
        assert out.session is not None
        out = say(out.session, "消す")
        assert out.forget and isinstance(out.replies[0], End)
    elif cmd is CommandName.HELP:
        assert "この相談では" in texts(out)


def test_delete_is_an_answer_not_a_command() -> None:
    assert command_for("delete") is None and command_for("/delete") is CommandName.FORGET


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("text", ["", " ", "😭😭😭", "あ" * 5000, "\x00\x07\x1b[31m", "ａｂｃ漢字😀かな", "\u200b",
                                  # 4,301+ digits crashed the step (int() refuses them): no reply at all on LINE
                                  "9" * 4999, "９" * 5000, "1" * 4400 + "番"])
def test_odd_messages_get_a_helpful_reply(text: str) -> None:
    out = say(at("what"), text)
    assert out.session is not None and out.session.state == "what"
    assert isinstance(out.replies[-1], Ask)
    assert "9" * 50 not in texts(out) and "1" * 50 not in texts(out)  # a long number is not said back


# ---------------------------------------------------------------- found missing by a mutation run

def test_a_crisis_contact_missing_from_the_directory_is_refused_at_construction(tmp_path: Path) -> None:
    d = write(tmp_path, "directory/test.yaml", TINY_DIRECTORY)
    f = write(tmp_path, "flows/tiny.yaml", TINY_FLOW)
    directory, flows, _ = load_all([f], [d])
    flow = flows["tiny"].flow
    assert flow.crisis is not None
    broken = flow.model_copy(update={"crisis": flow.crisis.model_copy(update={"contacts": ["police_110", "no_such_line"]})})
    with pytest.raises(ValueError, match="no_such_line"):
        Engine({"tiny": broken}, directory)


def test_validate_names_a_crisis_contact_missing_from_the_directory(tmp_path: Path) -> None:
    from bot.engine.flow import load_flow

    f = write(tmp_path, "flows/tiny.yaml", TINY_FLOW.replace("contacts: [police_110, night_line]",
                                                              "contacts: [police_110, nigth_line]"))
    lf, errs = load_flow(f, ["day_line", "night_line", "police_110"])
    assert lf is None and any("crisis contact 'nigth_line'" in e.message for e in errs)


def test_the_crisis_check_runs_on_the_result_screen(tiny_engine: Engine) -> None:
    s = tiny_engine.step(None, Start(), WEEKDAY_10).session
    s = tiny_engine.step(s, Text("2"), WEEKDAY_10).session
    s = tiny_engine.step(s, Text("2"), WEEKDAY_10).session
    assert s is not None and s.state == "result-adult" and tiny_engine.finished(s)
    out = tiny_engine.step(s, Text("死にたい"), WEEKDAY_10)
    assert isinstance(out.replies[0], Refer) and out.replies[0].text == "あなたの安全が大切です。"
    assert out.session is not None and out.session.state == "result-adult"


def test_the_expiry_boundary(tiny_engine: Engine) -> None:
    s = tiny_engine.step(None, Start(), WEEKDAY_10).session
    assert s is not None
    # one second before the idle timeout (1 hour): the answer is taken
    out = tiny_engine.step(s, Text("1"), WEEKDAY_10 + dt.timedelta(seconds=3599))
    assert out.session is not None and out.session.state == "what"
    # exactly at the idle timeout: the session has expired
    out = tiny_engine.step(s, Text("1"), WEEKDAY_10 + dt.timedelta(seconds=3600))
    assert out.session is not None and out.session.state == "who" and "時間がたったので" in texts(out)


def test_kept_answers_and_a_clarification_survive_the_store() -> None:
    from bot.store.codec import decode_session, encode_session

    out = say(at("who"), "住所をさらされた")
    assert out.session is not None
    back = decode_session(encode_session(out.session), "test")
    assert back == out.session
    after = say(back, "自分のことです、30歳です")  # the kept answer still skips its question
    assert after.session is not None and after.session.state == "region" and after.session.slots["what"] == "dox"
    out = say(at("what"), "いじめと乗っ取り")
    assert out.session is not None and out.session.clarify
    back = decode_session(encode_session(out.session), "test")
    assert back is not None and back.clarify == out.session.clarify
    plain = begin()
    assert decode_session(encode_session(plain), "test") == plain


def test_kept_answers_and_a_hand_off_share_the_record() -> None:
    from bot.engine.types import HandoffState
    from bot.store.codec import decode_session, encode_session

    s = say(at("who"), "住所をさらされた").session
    assert s is not None
    both = s.model_copy(update={"team": "t1", "handoff": HandoffState(team="t1", status="consent", result="delete")})
    back = decode_session(encode_session(both), "test")
    assert back == both and back.handoff is not None and back.handoff.status == "consent" and back.team == "t1"


def test_a_story_answers_the_place_question_only_with_a_place() -> None:
    out = say(None, "先生には言えない秘密の話です")
    for answer in ["大丈夫です", "18歳未満", "悪口"]:  # 秘密 is no place: the place question is still asked
        assert out.session is not None
        out = say(out.session, answer)
    assert isinstance(out.replies[-1], Ask) and "住んでいるところ" in out.replies[-1].text


@pytest.mark.parametrize("text", ["データを消してください", "データを削除してください", "データ削除して", "私のデータを消して",
                                  "データを消してほしいです", "記録を消してください", "データ削除をお願いします",
                                  "履歴を消して", "会話を削除してください", "Delete my data please", "please delete my data"])
def test_a_polite_request_to_delete_my_data_deletes_it(text: str) -> None:
    # 「データを消してください」 was read as the goal 「消してほしい」 (delete the posts): the
    # session was kept and the person told 「「消してほしい」は、あとの質問の答えとして受け取りました」;
    # it is the deletion command, which asks first (tests/engine/test_forget_asks_first.py)
    out = say(at("who"), text)
    assert not out.forget and isinstance(out.replies[0], Ask) and out.replies[0].choices[0].id == ":forget-yes"
    assert out.session is not None
    out = say(out.session, "消す")
    assert out.forget and isinstance(out.replies[0], End)
    assert out.session is None


@pytest.mark.parametrize("text", ["投稿を消してください", "写真を削除してください", "消してください", "お願いします"])
def test_asking_to_delete_posts_is_not_deleting_my_data(text: str) -> None:
    assert command_for(text) is None
