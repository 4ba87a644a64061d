"""What people type beside a question (found by the breaker and after8): 「もういい」 is asked about
with 「終了する」 beside the question (never taken as 終了), and the button ends the consultation;
thanks and 「つながらない」 are answered with the question kept; bracketed choice numbers pick."""

from __future__ import annotations

import datetime as dt

from bot.engine.core import Engine
from bot.engine.text import number_form, parse_number
from bot.engine.types import Ask, Command, CommandName, End, Pick, Refer, Session, Start, Text
from bot.timeutil import JST
from tests import shipped

NIGHT = dt.datetime(2026, 12, 2, 23, 0, tzinfo=JST)


def _at_who() -> tuple[Engine, Session]:
    e = shipped.engine()
    s = e.step(None, Start(), NIGHT).session
    assert s is not None
    s = e.step(s, Pick("none", s.state, s.conversation_id), NIGHT).session
    assert s is not None and s.state == "who"
    return e, s


def test_maybe_stop_offers_the_end_beside_the_question_and_the_button_ends() -> None:
    e, s = _at_who()
    out = e.step(s, Text("もういいです"), NIGHT)
    assert out.session is not None and out.session.state == "who"
    ask = out.replies[-1]
    assert isinstance(ask, Ask) and [c.id for c in ask.choices][:2] == ["pupil", "adult"]
    stop = [o for o in ask.offers if o.label == "終了する"]
    assert len(stop) == 1
    end = e.step(out.session, Pick(stop[0].id, out.session.state, out.session.conversation_id), NIGHT)
    assert end.session is None and isinstance(end.replies[-1], End)


def test_busy_at_a_question_lists_the_windows_open_now_and_keeps_the_question() -> None:
    e, s = _at_who()
    out = e.step(s, Text("つながらない"), NIGHT)
    listing = next(r for r in out.replies if isinstance(r, Refer))
    ids = [v.contact.id for v in listing.contacts]
    assert "yorisoi" in ids and "police_9110" not in ids  # 24 hours, not a line closed at 23:00
    listed = e.step(s, Command(CommandName.OPEN_NOW), NIGHT)
    assert ids == [v.contact.id for v in next(r for r in listed.replies if isinstance(r, Refer)).contacts]
    assert out.session is not None and out.session.state == "who" and isinstance(out.replies[-1], Ask)


def test_bracketed_numbers_are_numbers() -> None:
    assert [parse_number(number_form(x)) for x in ("⑵", "（２）", "【3】", "[4]", "(1番)")] == [2, 2, 3, 4, 1]
    assert [parse_number(number_form(x)) for x in ("(-1)", "(1 2)", "(1.5)")] == [None, None, None]
