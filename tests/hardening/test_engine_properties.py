"""Property tests over every shipped flow: no input sequence crashes, silences or strands a user."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.engine.core import Engine
from bot.engine.flow import reachable
from bot.engine.types import (
    Ask,
    Command,
    CommandName,
    End,
    Input,
    Pick,
    Refer,
    Session,
    Start,
    Text,
    Unsupported,
)
from bot.timeutil import JST
from tests import shipped
from tests.profiles import examples

engine = shipped.engine
"""The shipped flows and directory, loaded once per process (tests/shipped.py)."""


FLOW_IDS = sorted(engine().flows)
ALL_CHOICES = sorted({c.id for f in engine().flows.values() for s in f.states.values() for c in s.choices or []})
ALL_STATES = sorted({sid for f in engine().flows.values() for sid in f.states})

times = st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2034, 12, 31),  # noqa: DTZ001 — hypothesis takes naive bounds and adds `timezones`
                     timezones=st.just(JST))
texts = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["1", "２", "３番", "13", "0", "-1", "ﾊｲ", "はい。", "いいえ", "中学生", "晒された", "ストーカー",
                     "画像", "😀", "🙏🙏", "", " ", "\u200b", "\x00", "戻る", "最初から", "ヘルプ", "English",
                     "日本語", "help", "back", "restart", "死にたい", "I want to die", "殺される"]),
    st.text(min_size=1000, max_size=5000),
)
inputs: st.SearchStrategy[Input] = st.one_of(
    st.builds(Text, texts),
    st.builds(Pick, st.sampled_from([*ALL_CHOICES, ":restart", ":back", ":stop", ":nope", "x" * 300]),
              st.sampled_from([*ALL_STATES, "gone"]), st.sampled_from(["", "stale", "current"])),
    st.builds(Command, st.sampled_from([c for c in CommandName if c is not CommandName.FORGET])),
    st.builds(Unsupported, st.sampled_from(["sticker", "image", "video", "audio", "file", "location"])),
    st.builds(Start, st.sampled_from([None, *FLOW_IDS, "nope"]), st.sampled_from([None, "ja", "en", "xx"])),
)


def _fix_pick(inp: Input, s: Session | None) -> Input:
    if isinstance(inp, Pick) and inp.conversation_id == "current" and s is not None:
        return Pick(inp.choice_id, inp.state_id, s.conversation_id)
    return inp


@settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seq=st.lists(inputs, min_size=1, max_size=25), start=times, gaps=st.lists(
    st.integers(min_value=0, max_value=3 * 24 * 3600), min_size=25, max_size=25))
def test_any_input_sequence_is_answered_and_keeps_a_valid_state(seq: list[Input], start: dt.datetime,
                                                                  gaps: list[int]) -> None:
    e = engine()
    session: Session | None = None
    now = start
    for inp, gap in zip(seq, gaps, strict=False):
        now = now + dt.timedelta(seconds=gap)
        out = e.step(session, _fix_pick(inp, session), now)
        assert out.replies, f"no reply to {inp!r}"
        assert all(r.text.strip() for r in out.replies), "an empty message"
        if out.session is None:
            assert isinstance(out.replies[-1], End)
        else:
            f = e.flows[out.session.flow_id]
            assert out.session.state in f.states
            assert out.session.expires_at > now
            # the user always sees something to answer: the last reply is a question with choices
            last = out.replies[-1]
            assert isinstance(last, Ask) and last.choices
            assert last.state_id == out.session.state
        for r in out.replies:
            if isinstance(r, Refer) and r is not out.replies[0]:
                assert any(v.status.is_staffed for v in r.contacts), (
                    "a result without any window that can be reached now")
        session = out.session


def _reachable(e: Engine, fid: str) -> set[str]:
    return reachable(e.flows[fid], e.flows[fid].start)


def test_every_result_offers_a_window_reachable_now_at_any_hour() -> None:
    e = engine()
    for fid, f in e.flows.items():
        for sid, stt in f.states.items():
            if stt.refer is None:
                continue
            for hour in range(24):
                now = dt.datetime(2026, 12, 6, hour, 30, tzinfo=JST)  # a Sunday
                ref = e.preview(fid, sid, now)[0]
                assert isinstance(ref, Refer)
                assert any(v.status.is_staffed for v in ref.contacts), (fid, sid, hour)


def test_crisis_words_interrupt_every_state_and_the_user_can_continue() -> None:
    e = engine()
    now = dt.datetime(2026, 12, 1, 3, 0, tzinfo=JST)
    for fid, f in e.flows.items():
        for sid in _reachable(e, fid):
            if f.states[sid].kind == "say":
                continue
            s = e.new_session(now, fid).model_copy(update={"state": sid})
            for word in ("死にたい", "もう消えたい…", "自殺したい", "殺される", "I want to kill myself"):
                out = e.step(s, Text(word), now)
                assert isinstance(out.replies[0], Refer), (sid, word)
                ids = [v.contact.id for v in out.replies[0].contacts]
                assert "police_110" in ids and "fire_ambulance_119" in ids
                assert out.session is not None
                if out.session.state != sid:
                    # the crisis reply, then the question's answer when the message also gives one
                    # (the safety question's on_crisis choice, 「殺される」 read as a threat at `what`)
                    assert out.session.history[-1].state == sid and f.states[sid].kind == "ask", (sid, word)
                    continue
                assert out.session.state == sid
                last = out.replies[-1]
                assert isinstance(last, Ask) and last.state_id == sid


def test_from_every_reachable_state_a_result_stays_reachable() -> None:
    e = engine()
    for fid, f in e.flows.items():
        for sid in _reachable(e, fid):
            assert any(f.states[t].kind == "refer" for t in reachable(f, sid)), (fid, sid)


# ------------------------------------------------------------------ added by the hardening work

ending = st.one_of(
    st.builds(Text, st.sampled_from(["終了", "データ削除", "ﾃﾞｰﾀ削除", "stop", "forget", "おわり"])),
    st.builds(Command, st.sampled_from([CommandName.STOP, CommandName.FORGET])),
)


@settings(max_examples=examples(50), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seq=st.lists(st.one_of(inputs, ending), min_size=1, max_size=20), start=times)
def test_no_one_is_stranded_after_stop_or_forget(seq: list[Input], start: dt.datetime) -> None:
    """Stop and forget end with an End and delete the session (forget also asks the store to
    forget); whatever comes next is answered with a question again — nobody is left with
    silence."""
    e = engine()
    session: Session | None = None
    now = start
    for inp in seq:
        now += dt.timedelta(minutes=1)
        inp = _fix_pick(inp, session)
        out = e.step(session, inp, now)
        assert out.replies
        if out.forget:
            assert out.session is None and isinstance(out.replies[-1], End)
        if session is not None and isinstance(inp, Text | Command) and out.session is None:
            assert isinstance(out.replies[-1], End)
        session = out.session
    out = e.step(session, Text("こんにちは"), now + dt.timedelta(minutes=1))
    assert isinstance(out.replies[-1], Ask) and out.replies[-1].choices and out.session is not None


@settings(max_examples=examples(50), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seq=st.lists(inputs, min_size=1, max_size=15), typed=st.lists(st.text(max_size=30), min_size=15, max_size=15),
       start=times)
def test_typed_text_is_never_stored_and_steps_are_pure(seq: list[Input], typed: list[str], start: dt.datetime) -> None:
    """Whatever the person types never reaches the session (what the stores keep), and ``step``
    never changes the session it was given (same arguments, same result)."""
    e = engine()
    session: Session | None = None
    now = start
    for i, (inp, words) in enumerate(zip(seq, typed, strict=False)):
        now += dt.timedelta(seconds=30)
        if isinstance(inp, Text):
            inp = Text(f"{words}⟦秘{i}⟧{inp.text[:50]}")
        inp = _fix_pick(inp, session)
        before = session.to_json() if session is not None else None
        out = e.step(session, inp, now)
        again = e.step(Session.from_json(before) if before is not None else None, inp, now)
        assert (session.to_json() if session is not None else None) == before, "step changed its input session"
        assert out.replies == again.replies and out.session == again.session and out.forget == again.forget
        if out.session is not None:
            stored = out.session.to_json()
            assert "⟦" not in stored and "秘" not in stored, stored
        session = out.session


def test_after_a_crisis_reply_the_person_can_answer_the_question_again() -> None:
    """Continuing after the crisis lines works: the question shown again takes its answer."""
    e = engine()
    now = dt.datetime(2026, 12, 1, 3, 0, tzinfo=JST)
    for fid, f in e.flows.items():
        for sid in _reachable(e, fid):
            stt = f.states[sid]
            if stt.kind != "ask" or not stt.choices or any(c.on_crisis for c in stt.choices):
                continue
            s = e.new_session(now, fid).model_copy(update={"state": sid})
            out = e.step(s, Text("もう死にたい"), now)
            assert out.session is not None and out.session.state == sid
            ask = out.replies[-1]
            assert isinstance(ask, Ask)
            first = ask.choices[0]
            nxt = e.step(out.session, Pick(first.id, ask.state_id, ask.conversation_id), now)
            assert nxt.session is not None
            assert [(h.state, h.choice) for h in nxt.session.history][-1:] == [(sid, first.id)], (fid, sid)
            nxt2 = e.step(out.session, Text("1"), now)  # or typed as a number
            assert nxt2.session is not None and nxt2.session.history[-1:] == nxt.session.history[-1:]
