"""What people type under a result (「ほかにできることはありますか？」) besides its buttons (DESIGN.md §9:
every result lets the person go on). Each of these was 「すみません、答えがわかりませんでした」 before:
thanks, the phone that does not connect (or cannot be used), a wish, another harm, 「他にも相談したい」.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.engine.core import OTHER_WINDOWS
from bot.engine.flow import load_flow
from bot.engine.types import Ask, Outcome, Pick, Refer, Say, Session, Start, Text
from bot.i18n import t
from bot.timeutil import JST
from tests import shipped
from tests.conftest import TINY_FLOW, write

DAY = dt.datetime(2026, 12, 2, 10, 0, tzinfo=JST)     # a Wednesday morning
NIGHT = dt.datetime(2026, 12, 2, 22, 0, tzinfo=JST)
ADULT_DELETE = ["none", "adult", "def", "other", "delete"]
PUPIL = ["none", "pupil", "def", "unknown"]
NO_MATCH = t("engine.no_match", "ja")


def _at(path: list[str], now: dt.datetime = DAY, locale: str | None = None) -> Session:
    e = shipped.engine()
    s = e.step(None, Start(locale=locale), now).session
    for cid in path:
        assert s is not None
        s = e.step(s, Pick(cid, s.state, s.conversation_id), now).session
    assert s is not None and e.finished(s)
    return s


def _say(s: Session, text: str, now: dt.datetime = DAY) -> Outcome:
    return shipped.engine().step(s, Text(text), now)


def _texts(out: Outcome) -> list[str]:
    return [r.text for r in out.replies]


def _menu(out: Outcome) -> list[str]:
    last = out.replies[-1]
    assert isinstance(last, Ask) and last.text == t("engine.result_next", "ja")
    return [c.label for c in last.choices]


def test_thanks_gets_a_warm_reply_and_the_results_buttons_again() -> None:
    s = _at(PUPIL)
    for text in ("ありがとう", "助かりました", "わかりました", "OK", "了解です"):
        out = _say(s, text)
        assert _texts(out)[0] == "どういたしまして。また困ったときは、いつでも送ってください。", text
        assert NO_MATCH not in _texts(out)
        assert _menu(out) == ["ひとつ戻る", "最初から相談する", "終了する"]
        assert out.session is not None and out.session.state == "youth_net"


def test_a_negated_understanding_is_no_thanks() -> None:
    out = _say(_at(PUPIL), "よくわからない")
    assert "どういたしまして" not in "".join(_texts(out))


def test_thanks_in_english() -> None:
    out = _say(_at(ADULT_DELETE, locale="en"), "thank you")
    assert _texts(out)[0] == "You're welcome. Whenever you need help again, just send a message."


def _windows(out: Outcome) -> Refer:
    ref = next(r for r in out.replies if isinstance(r, Refer))
    assert ref.state_id == OTHER_WINDOWS
    return ref


def test_the_phone_that_does_not_connect_lists_the_windows_that_take_contact_now() -> None:
    s = _at(ADULT_DELETE, NIGHT)
    out = _say(s, "電話がつながらない", NIGHT)
    ref = _windows(out)
    assert ref.text.startswith("つながらないときは、少し時間をおいてかけ直すか")
    ids = [v.contact.id for v in ref.contacts]
    assert ids[0] == "yorisoi"  # the 24-hour line a person answers, first
    assert "sia_hibou_hotline" in ids  # the form takes messages at any time
    assert all(v.status.is_available for v in ref.contacts)  # nothing closed at 22:00
    assert "moj_minna_110" not in ids and "police_110" not in ids
    assert _menu(out)[:2] == ["ほかの窓口（1件）", "ひとつ戻る"]  # the result's menu again
    assert out.session is not None and out.session.state == "delete"


def test_someone_who_cannot_phone_gets_chat_and_forms_first() -> None:
    s = _at(ADULT_DELETE, NIGHT)
    for text in ("電話こわい", "電話できない", "電話するのが怖い", "I'm scared to call"):
        ref = _windows(_say(s, text, NIGHT))
        ids = [v.contact.id for v in ref.contacts]
        assert ids[:2] == ["anata_no_ibasho", "sia_hibou_hotline"], (text, ids)
        assert ids.index("yorisoi") > 1


def test_a_pupil_is_offered_childrens_windows_and_an_adult_none_of_them() -> None:
    pupil = [v.contact.id for v in _windows(_say(_at(PUPIL, NIGHT), "話し中でした", NIGHT)).contacts]
    assert pupil[0] == "mext_24h_sos"
    adult = [v.contact.id for v in _windows(_say(_at(ADULT_DELETE, NIGHT), "話し中でした", NIGHT)).contacts]
    assert "childline" not in adult and "mext_24h_sos" not in adult


def test_a_wish_this_path_asked_goes_back_to_it_and_on() -> None:
    s = _at(ADULT_DELETE)
    out = _say(s, "相手を特定したい")
    assert _texts(out)[0] == "「書いた人を知りたい」として進めます。違っていたら「戻る」と送ってください。"
    assert out.session is not None and out.session.state == "legal"
    assert out.session.slots["goal"] == "identify" and out.session.slots["region"] == "other"
    ref = next(r for r in out.replies if isinstance(r, Refer))
    assert "houterasu_support" in [v.contact.id for v in ref.contacts]


def test_the_wish_the_result_answers_says_so() -> None:
    out = _say(_at(ADULT_DELETE), "書き込みを消したい")
    assert _texts(out)[0] == "いまのご案内が、「消してほしい」ときのものです。上の窓口と「次にできること」をご覧ください。"
    assert out.session is not None and out.session.state == "delete"


def test_a_wish_a_pupils_path_did_not_ask_points_to_the_windows_shown() -> None:
    out = _say(_at(PUPIL), "書き込みを消したい")
    assert _texts(out)[0] == "「消してほしい」ときも、上の窓口に相談できます。「次にできること」もご覧ください。"
    assert out.session is not None and out.session.state == "youth_net"


def test_another_harm_starts_that_consultation_with_who_and_where_kept_not_the_first_wish() -> None:
    s = _at(["none", "adult", "def", "tokyo", "delete"])
    out = _say(s, "住所も晒された")
    texts = _texts(out)
    assert texts[0] == "「住所や写真を晒された」として進めます。違っていたら「戻る」と送ってください。"
    assert "「東京都」として進めます。違っていたら「戻る」と送ってください。" in texts
    assert out.session is not None and out.session.state == "goal"  # the wish is asked again
    assert out.session.slots == {"who": "adult", "what": "dox", "region": "JP-13"}


def test_a_corrected_answer_keeps_only_the_answers_the_new_path_asks() -> None:
    # 「友達のことです」: the friends' result asks no region; the region answered on the adult path
    # was offered as another harm under it (「「それ以外の道府県」とも書かれていたので…」)
    out = _say(_at(ADULT_DELETE), "友達のことです")
    assert out.session is not None and out.session.state == "friend_help"
    assert not any("とも書かれていたので" in x for x in _texts(out))
    assert not any("も相談する" in label for label in _menu(out))


def test_an_answer_only_one_harm_asks_starts_that_harm() -> None:
    # 「ネットに載せられた」 is an answer of the intimate-images question only: that consultation
    out = _say(_at(ADULT_DELETE), "裸の写真を載せられた")
    assert _texts(out)[0] == "「性的な画像・動画」として進めます。違っていたら「戻る」と送ってください。"
    assert out.session is not None and out.session.state == "ncii_them"  # then who did it (routing.md Q4)
    pupil = _say(_at(PUPIL), "裸の写真を載せられた")
    assert pupil.session is not None and pupil.session.state == "ncii_youth"


def test_something_else_goes_back_to_the_harm_question() -> None:
    out = _say(_at(ADULT_DELETE), "他にも相談したい")
    assert _texts(out)[0] == "ほかのことも相談できます。あなたについての答えはそのままにして、この質問から続けます。"
    assert out.session is not None and out.session.state == "what" and out.session.slots == {"who": "adult"}
    assert out.session.prefill == {"region": "other"}


def test_another_harm_at_a_result_that_never_asked_it_goes_on_with_the_consultation() -> None:
    s = _at(["danger"])  # the emergency result: 「相談を続ける」 leads to who is asking
    out = _say(s, "元カレにつきまとわれてる")
    assert out.session is not None and out.session.state == "who"
    assert out.session.prefill.get("what") == "stk"


def test_a_threat_at_a_result_gets_the_crisis_card_and_the_harm_in_one_tap() -> None:
    e = shipped.engine()
    s = _at(ADULT_DELETE)
    out = _say(s, "裸の写真をばらすと言われた")
    card = out.replies[0]
    assert isinstance(card, Refer) and card.urgency == "immediate" and card.contacts[0].contact.id == "police_110"
    assert _menu(out)[0] == "「性的な画像・動画」も相談する"
    after = e.step(out.session, Text("1"), DAY)
    assert after.session is not None and after.session.state == "ncii_them"


def test_a_feeling_at_a_result_is_no_other_harm_but_the_wish_to_be_listened_to() -> None:
    # 「つらい」 is the catch-all 「ただつらい・話したい」 of the harm question (not taken as another harm)
    # and, at the goal question, 「まず話を聞いてほしい」 (its examples): the 24-hour listening lines
    out = _say(_at(ADULT_DELETE), "つらい")
    assert _texts(out)[0] == "「まず話を聞いてほしい」として進めます。違っていたら「戻る」と送ってください。"
    assert out.session is not None and out.session.state == "listen" and out.session.slots["what"] == "def"
    ref = next(r for r in out.replies if isinstance(r, Refer))
    assert ref.contacts[0].contact.id == "yorisoi"
    sad = _say(_at(ADULT_DELETE), "😭")
    assert _texts(sad)[0] == t("engine.no_match_feeling", "ja")


@pytest.mark.parametrize("text", ["うーん", "はあ", "よくわからない", "I don't understand"])
def test_what_is_not_understood_still_says_so(text: str) -> None:
    out = _say(_at(ADULT_DELETE), text)
    assert {NO_MATCH, t("engine.no_match", "en")} & set(_texts(out))
    assert isinstance(out.replies[0], Say)


@pytest.mark.parametrize("text", ["みんなに無視されてる", "半年くらい前からずっと続いています", "they keep posting about me at work"])
def test_more_of_the_story_is_answered_warmly_with_the_menu_again(text: str) -> None:
    # trial9 F5: a person telling more under a result got 「答えがわかりませんでした」
    out = _say(_at(ADULT_DELETE), text)
    assert out.session is not None and out.session.state == "delete"
    assert {t("engine.after_told", "ja"), t("engine.after_told", "en")} & set(_texts(out))
    assert NO_MATCH not in _texts(out)


AFTER = """\
after:
  again: what
  keep: [regoin]
  cues:
    - {id: thanks, keywords: [ありがとう], examples: [電話がつながらない]}
"""


def test_the_after_block_is_checked_with_lines(tmp_path: Path) -> None:
    text = TINY_FLOW.replace("states:\n", AFTER + "states:\n", 1)
    f = write(tmp_path, "flows/after.yaml", text)
    lf, errs = load_flow(f, ["day_line", "night_line", "police_110"])
    assert lf is None
    got = {(e.code, e.line) for e in errs}
    assert ("after-again-not-question", 10) in got  # `what` of the tiny flow saves no slot
    assert ("unknown-slot", 11) in got
    twice = TINY_FLOW.replace("states:\n", "after:\n  cues:\n    - {id: more, keywords: [他にも]}\n"
                              "    - {id: more, keywords: [別の]}\nstates:\n", 1)
    lf, errs = load_flow(write(tmp_path, "flows/twice.yaml", twice), ["day_line", "night_line", "police_110"])
    assert lf is None and any("given twice" in e.message for e in errs)


def test_an_after_example_read_as_another_intent_is_an_error(tmp_path: Path) -> None:
    # the phone named is the phone, whatever else a message says: no example of thanks
    text = TINY_FLOW.replace("states:\n", "after:\n  cues:\n    - {id: thanks, keywords: [ありがとう], "
                             "examples: [ありがとう, 電話がつながらない]}\n    - {id: busy, keywords: [つながらない]}\n"
                             "states:\n", 1)
    lf, errs = load_flow(write(tmp_path, "flows/ex.yaml", text), ["day_line", "night_line", "police_110"])
    assert lf is None
    assert [(e.code, e.line) for e in errs] == [("example-mismatch", 11)]
    assert "'電話がつながらない' of `after` 'thanks': it is read as 'busy'" in errs[0].message
