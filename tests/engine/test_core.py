"""The engine as a user meets it: answers, commands, crisis, expiry, referrals."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.contacts.status import StatusKind
from bot.engine.core import Engine
from bot.engine.types import (
    Ask,
    Command,
    CommandName,
    End,
    Outcome,
    Pick,
    Refer,
    Say,
    Session,
    Start,
    Text,
    Unsupported,
)
from tests.conftest import SUNDAY_10, WEEKDAY_10


def texts(out: Outcome) -> str:
    return "\n".join(r.text for r in out.replies)


def last_ask(out: Outcome) -> Ask:
    asks = [r for r in out.replies if isinstance(r, Ask)]
    assert asks, f"no question in {out.replies}"
    return asks[-1]


def start(engine: Engine, now: dt.datetime = WEEKDAY_10, locale: str | None = None) -> Session:
    out = engine.step(None, Start(locale=locale), now)
    assert out.session is not None
    assert last_ask(out).text == ("あなたは？" if locale != "en" else "Who are you?")
    return out.session


def refer_ids(out: Outcome) -> list[str]:
    refs = [r for r in out.replies if isinstance(r, Refer)]
    assert refs, f"no referral in {out.replies}"
    return [v.contact.id for v in refs[0].contacts]


@pytest.mark.parametrize("answer", ["2", "２", "２番", "2ばん", " 2 ", "おとな", "ｵﾄﾅ", "オトナ。", "adult"])
def test_free_text_answers_pick_the_second_choice(tiny_engine: Engine, answer: str) -> None:
    s = start(tiny_engine)
    out = tiny_engine.step(s, Text(answer), WEEKDAY_10)
    assert out.session is not None and out.session.state == "what"
    assert out.session.slots == {"who": "adult"}
    assert last_ask(out).text == "何がありましたか？"


@pytest.mark.parametrize("answer", ["ﾊｲ", "ハイ。", "はい", "悪口を言われた"])
def test_halfwidth_and_punctuated_yes_and_keywords(tiny_engine: Engine, answer: str) -> None:
    s: Session | None = start(tiny_engine)
    s = tiny_engine.step(s, Text("1"), WEEKDAY_10).session
    out = tiny_engine.step(s, Text(answer), WEEKDAY_10)
    assert out.session is not None and out.session.state == "result-pupil"
    assert "学生向けの窓口です。" in texts(out)


@pytest.mark.parametrize("answer,expected", [
    ("😀🙏", "答えがわかりませんでした"),
    ("😭😭", "送ってくれてありがとうございます"),  # a sad emoji is a feeling: warm words, 110 for danger
    ("…", "答えがわかりませんでした"),
    ("", "メッセージが空でした"),
    ("   ", "メッセージが空でした"),
    ("あ" * 5000, "詳しく書いてくださって"),
    ("7", "7番の選択肢はありません"),
    ("わからない", "はっきりしなくても大丈夫です"),  # unsure: a re-ask that helps (the breaker, session 8)
])
def test_odd_messages_reask_and_keep_the_state(tiny_engine: Engine, answer: str, expected: str) -> None:
    s = start(tiny_engine)
    out = tiny_engine.step(s, Text(answer), WEEKDAY_10)
    assert out.session is not None and out.session.state == "who"
    assert expected in texts(out)
    assert [c.label for c in last_ask(out).choices] == ["学生", "おとな"]


@pytest.mark.parametrize("kind", ["sticker", "image", "video", "file", "location"])
def test_unsupported_kinds_get_a_helpful_reply(tiny_engine: Engine, kind: str) -> None:
    s = start(tiny_engine)
    out = tiny_engine.step(s, Unsupported(kind), WEEKDAY_10)
    assert "スタンプ・画像・ファイルなどは読み取れません" in texts(out)
    assert out.session is not None and out.session.state == "who"


def test_crisis_words_interrupt_deep_in_the_flow_and_the_user_can_continue(tiny_engine: Engine) -> None:
    s: Session | None = start(tiny_engine)
    s = tiny_engine.step(s, Text("1"), WEEKDAY_10).session
    assert s is not None and s.state == "what"
    out = tiny_engine.step(s, Text("もう　死にたい…"), WEEKDAY_10)
    assert isinstance(out.replies[0], Refer)
    assert out.replies[0].text == "あなたの安全が大切です。"
    assert refer_ids(out) == ["police_110", "night_line"]
    assert "相談の続きから" in texts(out)
    assert last_ask(out).text == "何がありましたか？"
    assert out.session is not None and out.session.state == "what"
    # continuing where the user was
    out2 = tiny_engine.step(out.session, Text("2"), WEEKDAY_10)
    assert out2.session is not None and out2.session.state == "result-adult"


def test_crisis_word_in_a_very_long_message_is_still_caught(tiny_engine: Engine) -> None:
    s = start(tiny_engine)
    out = tiny_engine.step(s, Text("あ" * 4990 + "死にたい"), WEEKDAY_10)
    assert isinstance(out.replies[0], Refer)


def test_crisis_as_the_very_first_message(tiny_engine: Engine) -> None:
    out = tiny_engine.step(None, Text("I want to die, suicide"), WEEKDAY_10)
    assert isinstance(out.replies[0], Refer)
    assert last_ask(out).text == "あなたは？"


def test_back_restores_the_previous_answer(tiny_engine: Engine) -> None:
    s: Session | None = start(tiny_engine)
    s = tiny_engine.step(s, Text("学生"), WEEKDAY_10).session
    assert s is not None and s.slots == {"who": "pupil"}
    out = tiny_engine.step(s, Text("戻る"), WEEKDAY_10)
    assert out.session is not None and out.session.state == "who" and out.session.slots == {}
    assert "前回の答え: 学生" in texts(out)
    out = tiny_engine.step(out.session, Text("ｵﾄﾅ"), WEEKDAY_10)
    out = tiny_engine.step(out.session, Text("はい"), WEEKDAY_10)
    assert refer_ids(out) == ["day_line", "night_line"]


def test_back_at_the_start_says_so(tiny_engine: Engine) -> None:
    out = tiny_engine.step(start(tiny_engine), Text("もどる"), WEEKDAY_10)
    assert "これより前の質問はありません" in texts(out)


@pytest.mark.parametrize("word", ["最初から", "さいしょから", "restart", "ＲＥＳＴＡＲＴ"])
def test_restart_words(tiny_engine: Engine, word: str) -> None:
    s = tiny_engine.step(start(tiny_engine), Text("1"), WEEKDAY_10).session
    out = tiny_engine.step(s, Text(word), WEEKDAY_10)
    assert out.session is not None and out.session.state == "who" and out.session.slots == {}
    assert out.session.conversation_id != s.conversation_id  # type: ignore[union-attr]


def test_help_lists_commands_and_reasks(tiny_engine: Engine) -> None:
    out = tiny_engine.step(start(tiny_engine), Text("ヘルプ"), WEEKDAY_10)
    assert "「最初から」" in texts(out) and "110番" in texts(out)
    assert last_ask(out).text == "あなたは？"


def test_stop_and_forget_end_and_delete(tiny_engine: Engine) -> None:
    s = start(tiny_engine)
    out = tiny_engine.step(s, Text("終了"), WEEKDAY_10)
    assert out.session is None and not out.forget and isinstance(out.replies[-1], End)
    out = tiny_engine.step(s, Text("データ削除"), WEEKDAY_10)  # asks first (tests/engine/test_forget_asks_first.py)
    assert out.session is not None and not out.forget and "消しますか" in texts(out)
    out = tiny_engine.step(out.session, Text("消す"), WEEKDAY_10)
    assert out.session is None and out.forget and "削除しました" in texts(out)
    out = tiny_engine.step(s, Command(CommandName.FORGET), WEEKDAY_10)
    assert out.session is not None and not out.forget
    out = tiny_engine.step(out.session, Text("はい"), WEEKDAY_10)
    assert out.forget


def test_result_at_a_weekday_morning_lists_open_first(tiny_engine: Engine) -> None:
    s = tiny_engine.step(start(tiny_engine), Text("2"), WEEKDAY_10).session
    out = tiny_engine.step(s, Text("2"), WEEKDAY_10)
    ref = next(r for r in out.replies if isinstance(r, Refer))
    assert [(v.contact.id, v.status.kind) for v in ref.contacts] == [
        ("day_line", StatusKind.OPEN), ("night_line", StatusKind.ALWAYS)]
    assert out.session is not None and tiny_engine.finished(out.session) and out.session.finished
    assert [c.id for c in last_ask(out).choices] == [":back", ":restart", ":stop"]


def test_result_on_sunday_adds_the_24h_fallback(tiny_engine: Engine) -> None:
    s = tiny_engine.step(start(tiny_engine, SUNDAY_10), Text("1"), SUNDAY_10).session
    out = tiny_engine.step(s, Text("1"), SUNDAY_10)
    ref = next(r for r in out.replies if isinstance(r, Refer))
    assert [(v.contact.id, v.status.kind) for v in ref.contacts] == [
        ("night_line", StatusKind.ALWAYS), ("day_line", StatusKind.CLOSED)]
    note = out.replies[out.replies.index(ref) + 1]
    assert isinstance(note, Say) and note.text == (
        "いまの時間に電話やチャットで話せる窓口がほかにないため、24時間つながる「24時間の窓口」も載せています。")
    assert ref.steps == ("証拠を保存しましょう。",)


def test_result_choices_work_by_number(tiny_engine: Engine) -> None:
    s = tiny_engine.step(start(tiny_engine), Text("2"), WEEKDAY_10).session
    s = tiny_engine.step(s, Text("2"), WEEKDAY_10).session
    out = tiny_engine.step(s, Text("2"), WEEKDAY_10)  # 2 = start again
    assert out.session is not None and out.session.state == "who"


@pytest.mark.parametrize("answer,expected", [
    ("😭", "送ってくれてありがとうございます"),  # was 「答えがわかりませんでした」 after a result
    ("たすけて", "送ってくれてありがとうございます"),
    ("もう無理", "送ってくれてありがとうございます"),  # was 「答えがわかりませんでした」
    ("もう限界です", "送ってくれてありがとうございます"),
    ("耐えられない", "送ってくれてありがとうございます"),
    ("xyz", "答えがわかりませんでした"),
])
def test_a_sad_emoji_after_a_result_gets_the_warm_reply(tiny_engine: Engine, answer: str, expected: str) -> None:
    s = tiny_engine.step(start(tiny_engine), Text("2"), WEEKDAY_10).session
    s = tiny_engine.step(s, Text("2"), WEEKDAY_10).session
    assert s is not None and s.state == "result-adult"
    out = tiny_engine.step(s, Text(answer), WEEKDAY_10)
    assert out.session is not None and out.session.state == "result-adult"
    assert expected in out.replies[0].text
    assert ("110番" in out.replies[0].text) == expected.startswith("送って")
    assert isinstance(out.replies[-1], Ask)  # the result's menu again


def test_buttons_stale_and_duplicate(tiny_engine: Engine) -> None:
    s = start(tiny_engine)
    cid = s.conversation_id
    out = tiny_engine.step(s, Pick("pupil", "who", cid), WEEKDAY_10)
    s2 = out.session
    assert s2 is not None and s2.state == "what"
    # the same button again (a double tap): nothing changes
    dup = tiny_engine.step(s2, Pick("pupil", "who", cid), WEEKDAY_10)
    assert dup.session is not None and dup.session.state == "what" and dup.session.history == s2.history
    # a button from an old conversation
    old = tiny_engine.step(s2, Pick("adult", "who", "oldconv"), WEEKDAY_10)
    assert "前の質問のもの" in texts(old) and old.session is not None and old.session.state == "what"
    assert last_ask(old).text == "何がありましたか？"


def test_expired_session_restarts_politely(tiny_engine: Engine) -> None:
    s = tiny_engine.step(start(tiny_engine), Text("1"), WEEKDAY_10).session
    later = WEEKDAY_10 + dt.timedelta(hours=2)
    out = tiny_engine.step(s, Text("1"), later)
    assert "時間がたったので" in texts(out)
    assert out.session is not None and out.session.state == "who"
    assert last_ask(out).text == "あなたは？"


def test_session_of_an_old_flow_version_restarts_politely(tiny_engine: Engine) -> None:
    s = start(tiny_engine)
    s = s.model_copy(update={"flow_version": "0", "state": "gone"})
    out = tiny_engine.step(s, Text("1"), WEEKDAY_10)
    assert "更新されたため" in texts(out)
    assert out.session is not None and out.session.state == "who" and out.session.flow_version == "1"


def test_english_locale_and_switching(tiny_engine: Engine) -> None:
    s = start(tiny_engine, locale="en")
    out = tiny_engine.step(s, Text("Adult"), WEEKDAY_10)
    assert last_ask(out).text == "What happened?"
    out = tiny_engine.step(out.session, Text("日本語"), WEEKDAY_10)
    assert last_ask(out).text == "何がありましたか？"
    assert out.session is not None and out.session.locale == "ja" and out.session.state == "what"


def test_naive_time_is_refused(tiny_engine: Engine) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        tiny_engine.step(None, Start(), dt.datetime(2026, 12, 1, 10))  # noqa: DTZ001 — a naive time, which must be refused


def test_session_round_trips_through_json_without_text(tiny_engine: Engine) -> None:
    s = tiny_engine.step(start(tiny_engine), Text("とても個人的な話ですが 1"), WEEKDAY_10).session
    assert s is not None
    data = s.to_json()
    assert "個人的" not in data
    assert Session.from_json(data) == s


def test_say_states_are_shown_then_followed(tiny_engine: Engine) -> None:
    s = tiny_engine.step(start(tiny_engine), Text("1"), WEEKDAY_10).session
    out = tiny_engine.step(s, Text("1"), WEEKDAY_10)
    assert isinstance(out.replies[0], Say) and out.replies[0].text == "学生向けの窓口です。"
    assert refer_ids(out) == ["day_line"]


def _crisis_label_engine(tiny_paths) -> Engine:  # type: ignore[no-untyped-def]
    """The tiny flow with the label 「死にたいおとな」 for the choice ``adult`` of ``who``."""
    from bot.loading import build_engine

    flow_path = tiny_paths[0][0]
    flow_path.write_text(flow_path.read_text(encoding="utf-8").replace(
        "{id: adult, label: {ja: おとな, en: Adult}", "{id: adult, label: {ja: 死にたいおとな, en: Adult}"),
        encoding="utf-8")
    return build_engine(*tiny_paths)


def test_exact_label_with_crisis_words_selects_the_choice(tiny_paths) -> None:  # type: ignore[no-untyped-def]
    engine = _crisis_label_engine(tiny_paths)
    s = engine.step(None, Start(), WEEKDAY_10).session
    out = engine.step(s, Text("死にたいおとな"), WEEKDAY_10)
    assert out.session is not None and out.session.state == "what"
    out = engine.step(s, Text("もう死にたい"), WEEKDAY_10)
    assert isinstance(out.replies[0], Refer)


def test_a_label_with_crisis_words_typed_again_elsewhere_gets_the_crisis_reply_every_time(tiny_paths) -> None:  # type: ignore[no-untyped-def]
    # the flow's own labels are read once and kept (Engine._typed): the kept verdict must be the scan's
    engine = _crisis_label_engine(tiny_paths)
    at_who = engine.step(None, Start(), WEEKDAY_10).session
    at_what = engine.step(at_who, Text("死にたいおとな"), WEEKDAY_10).session
    assert at_what is not None and at_what.state == "what"
    for _ in range(2):
        out = engine.step(at_what, Text("死にたいおとな"), WEEKDAY_10)
        assert isinstance(out.replies[0], Refer) and out.replies[0].urgency == "immediate"
        fresh = engine.step(None, Text("死にたいおとな"), WEEKDAY_10)
        assert isinstance(fresh.replies[0], Refer) and fresh.replies[0].urgency == "immediate"
        again = engine.step(at_who, Text("死にたいおとな"), WEEKDAY_10).session
        assert again is not None and again.state == "what" and again.history[-1].choice == "adult"


FOREIGN = """\
- id: foreign_line
  name: {ja: 外国語の窓口, en: Foreign-language line}
  org: テスト機関
  phones: [{number: "0570-090-911"}]
  hours: "Mo-Fr 09:00-17:00; PH off"
  hours_text: {ja: 平日 9:00〜17:00, en: "Weekdays 9:00-17:00"}
  cost: navi-dial
  topics: [DEF]
  languages: [en, zh]
  source: https://example.org/foreign
  verified: "2026-11-30"
"""


def test_english_speakers_see_windows_in_their_language_first(tiny_paths) -> None:  # type: ignore[no-untyped-def]
    from bot.loading import build_engine

    flows, dirs = tiny_paths
    dirs[0].write_text(dirs[0].read_text(encoding="utf-8") + FOREIGN, encoding="utf-8")
    flows[0].write_text(flows[0].read_text(encoding="utf-8").replace(
        "contacts: [day_line, night_line]", "contacts: [day_line, night_line, foreign_line]"), encoding="utf-8")
    engine = build_engine(flows, dirs)
    for locale, expected in [("en", ["foreign_line", "day_line", "night_line"]), ("ja", ["day_line", "night_line"])]:
        s = engine.step(None, Start(locale=locale), WEEKDAY_10).session
        s = engine.step(s, Text("2"), WEEKDAY_10).session
        out = engine.step(s, Text("2"), WEEKDAY_10)
        assert refer_ids(out) == expected, locale


def _aged_engine(tiny_paths) -> Engine:  # type: ignore[no-untyped-def]
    from bot.loading import build_engine

    f = tiny_paths[0][0]
    f.write_text(f.read_text(encoding="utf-8")
                 .replace("keywords: [中学生, 高校生], goto: what}", "keywords: [中学生, 高校生, しつこい], ages: [6, 17], goto: what}")
                 .replace("{id: adult, label: {ja: おとな, en: Adult}, goto: what}",
                          "{id: adult, label: {ja: おとな, en: Adult}, keywords: [しつこい], ages: [18, 120], goto: what}"),
                 encoding="utf-8")
    return build_engine(*tiny_paths)


@pytest.mark.parametrize("answer,state,slot", [
    ("15歳", "what", "pupil"), ("１５さい", "what", "pupil"), ("I'm 15", "what", "pupil"), ("20 years old", "what", "adult"),
    ("私は45歳です", "what", "adult"), ("二", "what", "adult"), ("いち", "what", "pupil"), ("２番です", "what", "adult"),
])
def test_ages_and_number_words(tiny_paths, answer: str, state: str, slot: str) -> None:  # type: ignore[no-untyped-def]
    engine = _aged_engine(tiny_paths)
    s = engine.step(None, Start(), WEEKDAY_10).session
    out = engine.step(s, Text(answer), WEEKDAY_10)
    assert out.session is not None and out.session.state == state and out.session.slots.get("who") == slot


def test_a_free_text_answer_is_confirmed(tiny_paths) -> None:  # type: ignore[no-untyped-def]
    engine = _aged_engine(tiny_paths)
    s = engine.step(None, Start(), WEEKDAY_10).session
    out = engine.step(s, Text("中学生です"), WEEKDAY_10)
    assert out.replies[0] == Say("「学生」として進めます。違っていたら「戻る」と送ってください。")
    # a number or the exact label needs no confirmation
    out = engine.step(s, Text("学生"), WEEKDAY_10)
    assert isinstance(out.replies[0], Ask)


def test_an_answer_matching_two_choices_asks_which(tiny_paths) -> None:  # type: ignore[no-untyped-def]
    engine = _aged_engine(tiny_paths)
    s = engine.step(None, Start(), WEEKDAY_10).session
    out = engine.step(s, Text("連絡がしつこい"), WEEKDAY_10)
    assert out.replies[0] == Say("1.「学生」、2.「おとな」のどれに近いですか？番号か、下の選択肢で答えてください。")
    assert out.session is not None and out.session.state == "who"
    # the longer keyword wins when one choice matches more
    out = engine.step(s, Text("高校生で連絡がしつこい"), WEEKDAY_10)
    assert out.session is not None and out.session.slots == {"who": "pupil"}


def test_step_never_changes_the_session_it_was_given(tiny_engine: Engine) -> None:
    s = tiny_engine.step(start(tiny_engine), Text("学生"), WEEKDAY_10).session
    assert s is not None
    before = s.model_dump()
    for inp in (Text("1"), Text("戻る"), Text("最初から"), Text("English"), Pick("yes", "what", s.conversation_id)):
        tiny_engine.step(s, inp, WEEKDAY_10)
        assert s.model_dump() == before, inp
