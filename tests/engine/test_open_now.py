"""The ``open-now`` and ``help-now`` commands (bot/engine/open_now.py, bot/engine/core.py): the
answers of the LINE rich menu's 「窓口をさがす（いま受付中）」 and 「いますぐ助けが必要」, given by the
engine so that every adapter (a typed 「いま受付中」, a button, the web API) gets the same."""

from __future__ import annotations

import datetime as dt

import pytest
from prometheus_client import CollectorRegistry

from bot.adapters.line.richmenu import AREAS
from bot.engine.core import Engine
from bot.engine.open_now import MAX_OPEN_NOW, STATE_ID
from bot.engine.types import Ask, Command, CommandName, Input, Pick, Refer, Say, Session, Start, Text
from bot.i18n import t
from bot.metrics import ConsultationMetrics
from bot.store.memory import MemoryStore
from tests.conftest import SUNDAY_10, WEEKDAY_10

OPEN_NOW = Command(CommandName.OPEN_NOW)


def at_what(engine: Engine, now: dt.datetime = WEEKDAY_10) -> Session:
    """A conversation at its second question (「何がありましたか？」)."""
    s = engine.step(None, Start(), now).session
    s = engine.step(s, Text("おとな"), now).session
    assert s is not None and s.state == "what"
    return s


def windows(r: object) -> list[str]:
    assert isinstance(r, Refer)
    return [v.contact.id for v in r.contacts]


@pytest.mark.parametrize("inp", [OPEN_NOW, Text("いま受付中"), Text("窓口をさがす"), Pick(":open-now", "", "")],
                         ids=["command", "typed", "typed-label", "button"])
def test_mid_consultation_the_open_windows_then_the_question_again(tiny_engine: Engine, inp: Input) -> None:
    s = at_what(tiny_engine)
    out = tiny_engine.step(s, inp, WEEKDAY_10 + dt.timedelta(minutes=1))
    listing, note, ask = out.replies
    assert isinstance(listing, Refer) and listing.state_id == STATE_ID
    assert listing.text == "いま受付中の窓口です（2件）。電話やチャットで、いま話せます。"
    assert windows(listing) == ["night_line", "day_line"]  # 24 hours first; not police_110: 「いますぐ助けが必要」 has it
    assert isinstance(note, Say) and note.text == "相談の続きは、こちらの質問からどうぞ。"
    assert isinstance(ask, Ask) and ask.text == "何がありましたか？" and ask.state_id == "what"
    assert out.session is not None and (out.session.state, out.session.history) == (s.state, s.history)


def test_on_sunday_only_the_windows_open_then(tiny_engine: Engine) -> None:
    out = tiny_engine.step(at_what(tiny_engine, SUNDAY_10), OPEN_NOW, SUNDAY_10)
    assert windows(out.replies[0]) == ["night_line"]


def test_for_someone_new_the_list_then_the_welcome_and_the_first_question(tiny_engine: Engine) -> None:
    """Never a dead end: after the list, the consultation begins (as any first message begins it)."""
    out = tiny_engine.step(None, OPEN_NOW, WEEKDAY_10)
    listing, welcome, ask = out.replies
    assert windows(listing) == ["night_line", "day_line"]
    assert isinstance(welcome, Say) and welcome.text.startswith("こんにちは。")
    assert isinstance(ask, Ask) and ask.text == "あなたは？"
    assert out.session is not None and out.session.state == "who"


def test_in_the_language_of_the_menu_for_someone_new(tiny_engine: Engine) -> None:
    out = tiny_engine.step(None, Command(CommandName.OPEN_NOW, "en"), WEEKDAY_10)
    assert out.replies[0].text == "Windows open now (2). You can call or chat with them now."
    assert out.replies[-1].text == "Who are you?" and out.session is not None and out.session.locale == "en"


def test_an_expired_conversation_begins_again_after_the_list(tiny_engine: Engine) -> None:
    s = at_what(tiny_engine)
    out = tiny_engine.step(s, OPEN_NOW, s.expires_at + dt.timedelta(minutes=1))
    assert windows(out.replies[0]) == ["night_line", "day_line"]
    assert out.replies[1].text == t("engine.expired", "ja")  # why it begins again, instead of the welcome
    assert out.replies[-1].text == "あなたは？"
    assert out.session is not None and out.session.conversation_id != s.conversation_id


def test_typed_start_words_begin(tiny_engine: Engine) -> None:
    begun = tiny_engine.step(None, Text("相談をはじめる"), WEEKDAY_10)
    assert [r.text for r in begun.replies if isinstance(r, Ask)] == ["あなたは？"]


async def test_it_is_counted_as_windows_shown_not_as_a_crisis_reply_or_a_result(tiny_engine: Engine) -> None:
    reg = CollectorRegistry()
    m = ConsultationMetrics(reg, tiny_engine.finished, MemoryStore(), "secret")
    s = at_what(tiny_engine)
    await m.observe("web", s, OPEN_NOW, tiny_engine.step(s, OPEN_NOW, WEEKDAY_10), WEEKDAY_10)
    assert reg.get_sample_value("soudan_windows_shown_total", {"contact": "night_line"}) == 1
    assert reg.get_sample_value("soudan_crisis_replies_total", {"platform": "web", "flow": "tiny"}) is None
    assert [s.name for m_ in reg.collect() for s in m_.samples if s.name == "soudan_results_total"] == []


@pytest.mark.parametrize("inp", [Command(CommandName.HELP_NOW), Pick(":help-now", "", "")], ids=["command", "button"])
def test_help_now_is_the_danger_reply_110_first_then_the_question(tiny_engine: Engine, inp: Input) -> None:
    s = at_what(tiny_engine)
    out = tiny_engine.step(s, inp, WEEKDAY_10)
    crisis = out.replies[0]
    assert isinstance(crisis, Refer) and crisis.urgency == "immediate" and crisis.state_id is None
    assert windows(crisis)[0] == "police_110"
    assert [r.text for r in out.replies if isinstance(r, Ask)] == ["何がありましたか？"]
    typed = tiny_engine.step(s, Text("今すぐ助けて"), WEEKDAY_10)
    assert out.replies == typed.replies  # as the words typed


def test_help_now_for_someone_new_begins_after_the_crisis_reply(tiny_engine: Engine) -> None:
    out = tiny_engine.step(None, Command(CommandName.HELP_NOW), WEEKDAY_10)
    assert windows(out.replies[0])[0] == "police_110"
    assert out.session is not None and out.session.state == "who"
    assert [r.text for r in out.replies if isinstance(r, Ask)] == ["あなたは？"]


def test_when_more_are_open_than_listed_the_24_hour_lines_are_kept_and_the_count_is_of_those_listed(
        shipped_engine: Engine) -> None:
    """Regression: on a weekday morning 13 national windows were open, the list holds 12, and the
    one left out was あなたのいばしょ (the 24-hour chat for people who want to die), dropped for
    daytime lines in the files' order, under a header saying 13件. Windows that stay open longest
    come first now, and the header counts the windows listed."""
    out = shipped_engine.step(None, OPEN_NOW, WEEKDAY_10)
    listing = out.replies[0]
    assert isinstance(listing, Refer) and listing.state_id == STATE_ID
    shown = windows(listing)
    assert len(shown) == MAX_OPEN_NOW
    assert listing.text == f"いま受付中の窓口です（{len(shown)}件）。電話やチャットで、いま話せます。"
    assert {"anata_no_ibasho", "yorisoi", "dv_plus", "mext_24h_sos"} <= set(shown)
    closing = [v.status.open_until for v in listing.contacts]
    always = [v.contact.id for v in listing.contacts if v.status.open_until is None]
    assert shown[:len(always)] == always  # the 24-hour lines first, then the rest, latest closing first
    rest = [c for c in closing if c is not None]
    assert rest == sorted(rest, reverse=True)


@pytest.mark.parametrize("typed", ["いますぐ助けが必要", "今すぐ助けが必要です", "I need help now", "help now"])
def test_the_help_now_menu_label_typed_is_the_help_now_command(shipped_engine: Engine, typed: str) -> None:
    """Regression: 「窓口をさがす（いま受付中）」 typed was the open-now command, but the rich menu's other
    label, 「いますぐ助けが必要」 (en: "I need help now"), typed was 「答えがわかりませんでした」 or the
    gentle fallback: someone in danger asking for help in the menu's own words got no 110."""
    s = shipped_engine.step(None, Start(), WEEKDAY_10).session
    out = shipped_engine.step(s, Text(typed), WEEKDAY_10)
    assert windows(out.replies[0])[0] == "police_110"
    assert out.replies == shipped_engine.step(s, Command(CommandName.HELP_NOW), WEEKDAY_10).replies


@pytest.mark.parametrize("locale", ["ja", "en"])
@pytest.mark.parametrize("area", [a.key for a in AREAS])
def test_every_rich_menu_label_typed_runs_its_areas_command(shipped_engine: Engine, area: str, locale: str) -> None:
    """What a rich menu area says (its drawn label, and its action label), typed as a message, does
    what tapping it does — someone may type what they see. 「使い方・データ削除」 typed used to be kept as
    the answer 「消してほしい」, and "Find a window" was not understood."""
    command = next(a.command for a in AREAS if a.key == area)
    s = shipped_engine.step(None, Start(None, locale), WEEKDAY_10).session
    assert s is not None
    tapped = shipped_engine.step(s, Command(command), WEEKDAY_10).replies
    for label in {t(f"line.richmenu.{area}", locale), t(f"line.richmenu.{area}.short", locale)}:
        typed = shipped_engine.step(s, Text(label), WEEKDAY_10).replies
        assert typed == tapped, label


@pytest.mark.parametrize(("who", "children_line"), [("pupil", True), ("adult", False)])
def test_help_now_of_a_pupil_lists_the_24_hour_childrens_line_and_of_an_adult_not(
        shipped_engine: Engine, who: str, children_line: bool) -> None:
    """trial9 F6: a pupil's 「いますぐ助けが必要」 listed 110, 119 and よりそい but not the 24時間子供SOS
    ダイヤル (routing.md §7: threats, youth add-on); an adult's keeps the adult lines only."""
    s = shipped_engine.step(None, Start(), WEEKDAY_10).session
    s = shipped_engine.step(s, Pick("none", "safety", s.conversation_id if s else ""), WEEKDAY_10).session
    assert s is not None and s.state == "who"
    s = shipped_engine.step(s, Pick(who, "who", s.conversation_id), WEEKDAY_10).session
    assert s is not None and s.slots["who"] == who
    out = shipped_engine.step(s, Command(CommandName.HELP_NOW), WEEKDAY_10)
    shown = windows(out.replies[0])
    assert shown[0] == "police_110"
    assert ("mext_24h_sos" in shown) is children_line
