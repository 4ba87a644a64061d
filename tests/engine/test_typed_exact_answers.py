"""An answer typed exactly like a button — its label in either language, or its id (what a
button's callback data carries on some platforms) — takes the fast path (the flow's own strings
were analysed when the flow was compiled): the person gets what tapping the button gives, the
crisis check still reads every message, commands still work, and a number after a clarification
still picks the option it names."""

from __future__ import annotations

import datetime as dt
import unicodedata
from functools import cache

import pytest

from bot.engine.types import Ask, Outcome, Pick, Refer, Session, Start, Text
from bot.nlu.analysis import analyse
from bot.timeutil import JST
from tests import shipped

NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=JST)


engine = shipped.engine
"""The shipped flows and directory, loaded once per process (tests/shipped.py)."""


def begin(locale: str = "ja") -> Session:
    s = engine().step(None, Start(locale=locale), NOW).session
    assert s is not None
    return s


def tap(s: Session, choice_id: str) -> Outcome:
    return engine().step(s, Pick(choice_id, s.state, s.conversation_id), NOW)


def say(s: Session | None, text: str) -> Outcome:
    return engine().step(s, Text(text), NOW)


@cache
def sessions_at_every_question() -> list[tuple[str, Session]]:
    """One session at each question of the shipped flow, reached by tapping the first choice
    that leads to a question not seen yet (breadth first); built once per process (a step never
    changes the session it is given: tests/hardening/test_engine_properties.py), not per test."""
    seen: dict[str, Session] = {}
    todo = [begin()]
    while todo:
        s = todo.pop(0)
        if s.state in seen or engine().finished(s):
            continue
        seen[s.state] = s
        st = engine().flows[s.flow_id].states[s.state]
        for ch in st.choices or []:
            nxt = tap(s, ch.id).session
            if nxt is not None and nxt.state not in seen:
                todo.append(nxt)
    return list(seen.items())


def cases() -> list[tuple[str, str, str, str]]:
    """(state, choice id, how it is typed, the text) for every choice of every question."""
    out = []
    for sid, s in sessions_at_every_question():
        for ch in engine().flows[s.flow_id].states[sid].choices or []:
            out.append((sid, ch.id, "ja label", ch.label["ja"]))
            out.append((sid, ch.id, "ja label, full-width", unicodedata.normalize("NFKC", ch.label["ja"])
                        .translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})))
            out.append((sid, ch.id, "id", ch.id))
    return out


def shown(out: Outcome) -> list[tuple[str, tuple[str, ...]]]:
    """What the person sees: each reply's text and its buttons' labels."""
    return [(r.text, tuple(c.label for c in r.choices) if isinstance(r, Ask) else ()) for r in out.replies]


@pytest.mark.parametrize("state,choice,how,text", cases())
def test_a_typed_exact_label_or_id_gives_what_tapping_gives(state: str, choice: str, how: str, text: str) -> None:
    s = dict(sessions_at_every_question())[state]
    tapped, typed = tap(s, choice), say(s, text)
    crisis = isinstance(typed.replies[0], Refer) and typed.replies[0].urgency == "immediate"
    if crisis and not (isinstance(tapped.replies[0], Refer) and tapped.replies[0].urgency == "immediate"):
        # an id that is itself a crisis word (「selfharm」) gets the crisis reply first, then goes on
        assert how == "id" and engine().understanding(s.flow_id).crisis(analyse(text), text) is not None
        assert typed.session is not None and tapped.session is not None
        assert typed.session.state == tapped.session.state
        return
    assert typed.session is not None and tapped.session is not None
    assert typed.session.state == tapped.session.state, (how, text)
    assert typed.session.slots == tapped.session.slots
    assert shown(typed) == shown(tapped)


def test_an_english_label_typed_in_english_is_the_button() -> None:
    s = begin("en")
    st = engine().flows[s.flow_id].states[s.state]
    last = (st.choices or [])[-1]
    assert shown(say(s, last.label["en"])) == shown(tap(s, last.id))


def test_the_fast_path_gives_the_analysis_a_segmentation_would() -> None:
    u = engine().understanding(engine().default_flow)
    for st in engine().flows[engine().default_flow].states.values():
        for ch in st.choices or []:
            for text in (ch.id, *ch.label.values()):
                assert u.known(text) == analyse(text), text


def test_only_the_flows_own_strings_are_kept() -> None:
    u = engine().understanding(engine().default_flow)
    before = len(u._known)
    s = begin()
    for text in ("山田に悪口を書かれた", "090-1234-5678", "死にたい"):
        say(s, text)
        assert u.known(text) is None
    assert len(u._known) == before


@pytest.mark.parametrize("state", [sid for sid, _ in sessions_at_every_question()])
def test_a_crisis_phrase_still_interrupts_at_every_question(state: str) -> None:
    s = dict(sessions_at_every_question())[state]
    out = say(s, "死にたい")
    first = out.replies[0]
    assert isinstance(first, Refer) and first.urgency == "immediate"
    assert first.contacts  # the crisis lines, before anything else


def test_an_exact_crisis_label_is_the_flows_choice_not_an_interruption() -> None:
    s = begin()
    st = engine().flows[s.flow_id].states[s.state]
    ch = next(c for c in st.choices or [] if c.on_crisis == "self")
    typed, tapped = say(s, ch.label["ja"]), tap(s, ch.id)
    assert shown(typed) == shown(tapped)
    assert typed.session is not None and typed.session.state == tapped.session.state  # type: ignore[union-attr]


def test_a_command_word_typed_at_a_question_is_still_a_command() -> None:
    s = begin()
    st = engine().flows[s.flow_id].states[s.state]
    after = tap(s, (st.choices or [])[-1].id).session
    assert after is not None and after.state != s.state
    back = say(after, "戻る")
    assert back.session is not None and back.session.state == s.state
    assert back.replies[0].text.startswith("ひとつ前の質問に戻ります")


def test_after_a_clarification_an_exact_label_or_number_picks_the_option() -> None:
    s = dict(sessions_at_every_question())["what"]
    out = say(s, "いじめと乗っ取り")
    ask = out.replies[-1]
    assert out.session is not None and isinstance(ask, Ask) and len(ask.choices) == 2
    second = ask.choices[1]
    by_number = say(out.session, "2")
    by_label = say(out.session, second.label)
    assert by_number.session is not None and by_number.session.slots["what"] == second.id
    assert by_label.session is not None and by_label.session.slots["what"] == second.id
    assert shown(by_label) == shown(by_number)
