"""The hand-off step of the engine (DESIGN.md §11): a result offers a person to talk to people.

Pure like the rest of the engine: :class:`Handoffs` wraps :meth:`bot.engine.core.Engine.step`
and decides, from the session, the input, ``now`` and the team the service names, what the
person sees and which :class:`~bot.engine.types.HandoffEvent` the service must deliver.

The path a person takes, on a result whose state says ``handoff: true``:

1. While the team is open (its ``hours``), the result's "anything else?" question gets one more
   choice: 「相談員と話す」 (counsellors) or 「モデレーターに知らせる」 (moderators). While it is
   closed, the person is told when it opens; the windows of the result are there as always.
2. Pressing it asks for consent and lists exactly what will be shared: the questions and the
   answers picked, the urgency, the windows already shown, the time — never anything typed.
3. 「伝えてつなぐ」 shares it (event ``requested``, with the :class:`HandoffSummary`); the
   person can withdraw at any time with 「やっぱりやめる」 (typed or pressed): event
   ``withdrawn``. Restarting, stopping or deleting one's data (データ削除) withdraws too.
4. When nobody picks it up within the team's ``pickup_timeout`` (the service feeds
   ``HandoffSignal("check")`` from its sweep, or the person's next message arrives after the
   deadline), the person is told so and given the 24-hour lines: event ``timed_out``.
5. ``HandoffSignal("taken")`` (a moderator pressed 「対応します」, a counsellor answered) tells
   the person someone will contact them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal, get_args

from bot.engine.commands import forget_pending
from bot.engine.flow import Urgency
from bot.engine.text import normalize
from bot.engine.types import (
    Ask,
    ChoiceView,
    HandoffAnswer,
    HandoffEvent,
    HandoffSignal,
    HandoffState,
    HandoffSummary,
    Input,
    Outcome,
    Pick,
    Refer,
    Reply,
    Say,
    Session,
    Start,
    Text,
)
from bot.i18n import DEFAULT_LOCALE, LOCALES, pick, t
from bot.timeutil import JST

if TYPE_CHECKING:
    from bot.engine.core import Engine
    from bot.handoff.team import Team

__all__ = ["CANCEL", "CONSENT_NO", "CONSENT_YES", "OFFER", "WITHDRAW_WORDS", "Handoffs", "asks_to_tell_nobody"]

OFFER, CONSENT_YES, CONSENT_NO, CANCEL = ":handoff", ":handoff-yes", ":handoff-no", ":handoff-cancel"
"""Choice ids of the hand-off buttons (the ``:`` marks them as the engine's own, like ``:back``)."""

_IDS = (OFFER, CONSENT_YES, CONSENT_NO, CANCEL)

WITHDRAW_WORDS = frozenset(normalize(w) for w in (
    "やっぱりやめる", "やっぱりやめます", "やっぱりいい", "やっぱりいいです", "引き継ぎをやめる", "取り消し", "取り消す",
    "キャンセル", "cancel", "cancelthehandoff", "nevermind", "やっぱやめる"))
"""Typed words that withdraw a hand-off in progress (matched after normalisation)."""

_TELL_NOBODY = re.compile(
    r"(誰|だれ|親|おや|両親|家族|かぞく|先生|せんせい|学校|がっこう|保護者|母|父|お母さん|おかあさん|お父さん|おとうさん|ママ|パパ|"
    r"相談員|モデレーター|ほかの人|他の人|みんな)"
    r"(に|にも|には|にだけは|とかに)"
    r"(言わ|いわ|話さ|はなさ|知らせ|しらせ|伝え|つたえ|教え|おしえ|ばらさ|バラさ|連絡し|れんらくし|連絡せ)"
    r"(ないで|んといて|んで)"
    r"|(内緒|ないしょ|秘密|ひみつ)に(して|しと)"
    r"|dont(tell|inform|contact)(anyone|anybody|myparents|myparent|mymom|mymum|mydad|myteacher|myschool|myfamily|them)"
    r"|keepit(secret|asecret|private|betweenus)")
"""What 「誰にも言わないで」「親に言わないで」「先生には言わないでください」「内緒にして」 "don't tell anyone"
look like after :func:`~bot.engine.text.normalize` (a search anywhere in the message)."""


def asks_to_tell_nobody(text: str) -> bool:
    """Whether ``text`` (as typed) asks that nobody — or the person's parents, family, teachers,
    school — be told (「誰にも言わないで」「親に言わないで」「内緒にして」, "don't tell my parents").

    A negated wish (「言わないでとは言ってない」) is rare enough here to be read as the wish: asking
    again costs less than a hand-off the person did not want."""
    return _TELL_NOBODY.search(normalize(text[:500])) is not None


_YES = frozenset(normalize(w) for w in ("はい", "伝えてつなぐ", "伝えて", "つないで", "お願いします", "yes", "ok", "okay",
                                        "shareandconnect"))
_NO = frozenset(normalize(w) for w in ("いいえ", "やめておく", "やめとく", "いらない", "no", "notnow"))

URGENCIES = frozenset(get_args(Urgency))


def _m(key: str, loc: str, **kw: object) -> str:
    return t(f"engine.handoff.{key}", loc, **kw)


def summary_lines(summary: HandoffSummary, locale: str) -> list[str]:
    """The summary as short lines (the consent question, a Discord card, a Chatwoot note)."""
    loc = locale if locale in LOCALES else DEFAULT_LOCALE
    sep = _m("field_sep", loc)
    urgency = _m(f"urgency_{summary.urgency}", loc) if summary.urgency in URGENCIES else summary.urgency or "-"
    out = [f"{_m('line_urgency', loc)}{sep}{urgency}",
           f"{_m('line_result', loc)}{sep}{summary.result}"]
    if summary.answers:
        out.append(f"{_m('line_answers', loc)}{sep}" + _m("answers_sep", loc).join(a.label for a in summary.answers))
    if summary.windows:
        out.append(f"{_m('line_windows', loc)}{sep}" + _m("windows_sep", loc).join(n for _, n in summary.windows))
    out.append(f"{_m('line_time', loc)}{sep}{summary.requested_at.astimezone(JST):%Y-%m-%d %H:%M}")
    return out


def _fmt_next(t: dt.datetime | None, loc: str) -> str:
    if t is None:
        return _m("next_unknown", loc)
    t = t.astimezone(JST)
    return f"{t.month}/{t.day} {t:%H:%M}"


class Handoffs:
    """The hand-off part of one engine.

    Args:
        engine: the engine (for flows, the directory and its result composition).
        teams: team id → :class:`bot.handoff.team.Team` (empty: no hand-off anywhere).
    """

    def __init__(self, engine: Engine, teams: Mapping[str, Team]) -> None:
        self.engine = engine
        self.teams = dict(teams)

    # ------------------------------------------------------------ the wrapper

    def step(self, session: Session | None, inp: Input, now: dt.datetime, team: str | None,
             core: Callable[[Session | None, Input, dt.datetime], Outcome]) -> Outcome:
        """Run one step with hand-offs around ``core`` (the engine's own step)."""
        tm = self.teams.get(team) if team else None
        if tm is None and (session is None or (session.handoff is None and session.team is None)) \
                and not isinstance(inp, HandoffSignal):
            return core(session, inp, now)  # no team, none before and no hand-off: nothing below applies
        before = session.handoff if session is not None else None
        # the engine's own validity check (a few µs): only when a hand-off path can apply
        needed = session is not None and (before is not None or isinstance(inp, HandoffSignal)
                                          or (tm is not None and self.engine.finished(session)))
        live = needed and session is not None and self.engine._check(session, now) is None
        if session is not None and live and tm is not None and session.team != tm.id:
            session = session.model_copy(update={"team": tm.id})
        if isinstance(inp, HandoffSignal):
            if session is None or not live:
                return Outcome(session, [])
            return self._signal(session, inp, now)
        pre: list[Reply] = []
        events: list[HandoffEvent] = []
        if session is not None and live and session.handoff is not None:
            due = self._timeout(session, now)
            if due is not None:
                session, pre, events = due[0], due[1], list(due[2])
            out = self._own(session, inp, now)
            if out is not None:
                return Outcome(out.session, [*pre, *out.replies], out.forget, (*events, *out.handoffs))
        elif session is not None and live and tm is not None and self.engine.finished(session):
            out = self._own(session, inp, now)
            if out is not None:
                return out
        out = core(session, inp, now)
        s = out.session
        replies = [*pre, *out.replies] if pre else out.replies
        # a hand-off in progress ends with the conversation (stop, forget, restart, expiry)
        prev = session.handoff if session is not None else before
        if prev is not None and prev.status != "consent" and (
                s is None or session is None or s.conversation_id != session.conversation_id):
            events.append(HandoffEvent("withdrawn", prev.team, session.conversation_id if session else ""))
            replies.insert(0, Say(_m("withdrawn_by_end", s.locale if s else "ja", team=self._name(prev.team, s))))
        if s is not None:
            if s.handoff is not None and (
                    s.conversation_id != (session.conversation_id if session else None) or isinstance(inp, Start)):
                s.handoff = None
            team_id = tm.id if tm else None
            if s.team != team_id:  # (pydantic attribute writes cost a microsecond: only when it changes)
                s.team = team_id
            if team_id is not None:
                replies, offered = self._decorate(s, replies, now)
                if offered:
                    events.append(HandoffEvent("offered", offered, s.conversation_id))
        if not events and not pre and s is out.session and replies == out.replies:
            return out
        return Outcome(s, replies, out.forget, (*events, *out.handoffs))

    # ------------------------------------------------------------ what is offered

    def _offerable(self, s: Session) -> Team | None:
        if s.team is None or s.team not in self.teams:
            return None
        st = self.engine.flows[s.flow_id].states.get(s.state)
        if st is None or st.refer is None or not st.handoff:
            return None
        return self.teams[s.team]

    def _decorate(self, s: Session, replies: list[Reply], now: dt.datetime) -> tuple[list[Reply], str | None]:
        """Add the hand-off choice (or the closed note, or the cancel choice) to the result's
        "anything else?" question. Returns the replies and the team offered on entering a result."""
        team = self._offerable(s)
        if team is None:
            return replies, None
        entered = any(isinstance(r, Refer) and r.state_id == s.state for r in replies)
        out: list[Reply] = []
        offered: str | None = None
        loc = s.locale
        for r in replies:
            # the result's menu: 「戻る」 first, or second after 「相談を続ける」 (a result with ``next``)
            if isinstance(r, Ask) and r.state_id == s.state and ":back" in (c.id for c in r.choices):
                h = s.handoff
                if h is not None and h.status in ("waiting", "taken"):
                    out.append(r.__class__(r.text, (*r.choices, ChoiceView(CANCEL, _m("cancel", loc))), r.state_id,
                                           r.conversation_id, r.allow_free_text))
                    continue
                if h is not None and h.status == "consent":
                    out.append(r)
                    continue
                status = team.status(now)
                if status.is_available:
                    label = _m("offer_counsellor" if team.kind == "counsellor" else "offer_moderator", loc)
                    out.append(r.__class__(r.text, (*r.choices, ChoiceView(OFFER, label)), r.state_id,
                                           r.conversation_id, r.allow_free_text))
                    if entered:
                        offered = team.id
                    continue
                if entered:
                    out.append(Say(_m("closed", loc, team=pick(team.name, loc), hours=pick(team.hours_text, loc),
                                      next=_fmt_next(status.next_open, loc))))
            out.append(r)
        return out, offered

    # ------------------------------------------------------------ the person's own hand-off inputs

    def _own(self, s: Session, inp: Input, now: dt.datetime) -> Outcome | None:
        """Handle a hand-off button, typed consent or a withdrawal; None for anything else."""
        h = s.handoff
        action: str | None = None
        if forget_pending(s.clarify):  # the last reply asked whether to delete the data: its answer first
            return None
        if isinstance(inp, Pick) and inp.choice_id in _IDS:
            if inp.conversation_id != s.conversation_id or inp.state_id != s.state:
                return None
            action = inp.choice_id
        elif isinstance(inp, Text):
            norm = normalize(inp.text[:200])
            if (h is not None or self._offerable(s) is not None) and asks_to_tell_nobody(inp.text) \
                    and self.engine._typed(s.flow_id, self.engine.understanding(s.flow_id), inp.text).crisis is None:
                # 「誰にも言わないで」 while a hand-off is offered, asked for or under way: nothing goes on
                # without consent (a crisis message is answered by the crisis card first, as always)
                return self._tell_nobody(s, now)
            if h is not None and norm in WITHDRAW_WORDS:
                action = CANCEL
            elif h is not None and h.status == "consent" and norm in _YES | {normalize(_m("yes", s.locale))}:
                action = CONSENT_YES
            elif h is not None and h.status == "consent" and norm in _NO | {normalize(_m("no", s.locale))}:
                action = CONSENT_NO
            elif h is None and self._offerable(s) is not None:
                labels = {normalize(_m(k, loc)) for k in ("offer_counsellor", "offer_moderator") for loc in ("ja", "en")}
                n_core = len(self.engine._result_choices(s, now))
                if norm in labels or norm == str(n_core + 1):
                    action = OFFER
        if action is None:
            return None
        s = s.model_copy(update={"slots": dict(s.slots), "history": list(s.history)})
        loc = s.locale
        if action == OFFER:
            team = self._offerable(s)
            if team is None or h is not None or not team.is_open(now):
                return None
            s.handoff = HandoffState(team=team.id, status="consent", result=s.state)
            summary = self.summary(s, now)
            ask = Ask(_m("consent", loc, team=pick(team.name, loc), summary="\n".join(
                f"・{line}" for line in summary_lines(summary, loc))),
                (ChoiceView(CONSENT_YES, _m("yes", loc)), ChoiceView(CONSENT_NO, _m("no", loc))), s.state,
                s.conversation_id)
            return self._finish(s, [ask], now)
        if h is None:
            return None
        name = self._name(h.team, s)
        if action == CONSENT_NO:
            if h.status != "consent":
                return None
            s.handoff = None
            return self._finish(s, [Say(_m("declined", loc)), self.engine._result_ask(s, now)], now, decorate=True)
        if action == CONSENT_YES:
            if h.status != "consent":
                return None
            team = self.teams.get(h.team)
            if team is None or not team.is_open(now):
                s.handoff = None
                return self._finish(s, [self.engine._result_ask(s, now)], now, decorate=True)
            s.handoff = HandoffState(team=h.team, status="waiting", result=h.result, requested_at=now,
                                     deadline=now + dt.timedelta(seconds=team.pickup_timeout))
            summary = self.summary(s, now)
            key = "requested_moderator" if team.kind == "moderator" else "requested"
            say = Say(_m(key, loc, team=name, minutes=max(1, round(team.pickup_timeout / 60))))
            out = self._finish(s, [say, self.engine._result_ask(s, now)], now, decorate=True)
            return out._replace(handoffs=(HandoffEvent("requested", h.team, s.conversation_id, summary),))
        # CANCEL
        s.handoff = None
        if h.status == "consent":  # nothing was shared yet: the team is told nothing, so do not say it is
            return self._finish(s, [Say(_m("declined", loc)), self.engine._result_ask(s, now)], now, decorate=True)
        out = self._finish(s, [Say(_m("withdrawn", loc, team=name)), self.engine._result_ask(s, now)], now, decorate=True)
        return out._replace(handoffs=(HandoffEvent("withdrawn", h.team, s.conversation_id),))

    def _tell_nobody(self, s: Session, now: dt.datetime) -> Outcome:
        """「誰にも言わないで」「親に言わないで」 at a result that offers a hand-off, at its consent
        question or while it is under way: what will and will not happen, and nothing shared
        without consent. Offered: nothing is shared unless the person presses the offer and then
        「伝えてつなぐ」. At the consent question: declined (nothing was shared). Shared and waiting:
        withdrawn (event ``withdrawn``), saying what the team already has (the consent's lines,
        never typed text). Taken: someone is already talking with the person; nothing is ended
        for them, they are told what the team has and how to cancel (「やっぱりやめる」)."""
        s = s.model_copy(update={"slots": dict(s.slots), "history": list(s.history)})
        loc = s.locale
        h = s.handoff
        if h is None:
            team = self._offerable(s)
            name = pick(team.name, loc) if team is not None else ""
            return self._finish(s, [Say(_m("nobody_offered", loc, team=name)), self.engine._result_ask(s, now)], now,
                                decorate=True)
        name = self._name(h.team, s)
        if h.status == "consent":
            s.handoff = None
            return self._finish(s, [Say(_m("nobody_declined", loc, team=name)), self.engine._result_ask(s, now)], now,
                                decorate=True)
        summary = "\n".join(f"・{line}" for line in summary_lines(self.summary(s, now), loc))
        if h.status == "taken":
            return self._finish(s, [Say(_m("nobody_taken", loc, team=name, summary=summary)),
                                    self.engine._result_ask(s, now)], now, decorate=True)
        s.handoff = None
        out = self._finish(s, [Say(_m("nobody_withdrawn", loc, team=name, summary=summary)),
                               self.engine._result_ask(s, now)], now, decorate=True)
        return out._replace(handoffs=(HandoffEvent("withdrawn", h.team, s.conversation_id),))

    # ------------------------------------------------------------ signals from the service

    def _signal(self, s: Session, sig: HandoffSignal, now: dt.datetime) -> Outcome:
        h = s.handoff
        if sig.kind == "check":
            due = self._timeout(s, now)
            if due is None:
                return Outcome(s, [])
            ns, replies, events = due
            ns.updated_at = now
            return Outcome(ns, [*replies, self.engine._result_ask(ns, now)], False, events)
        if h is None:
            return Outcome(s, [])
        s = s.model_copy()
        name = self._name(h.team, s)
        team = self.teams.get(h.team)
        if sig.kind == "taken":
            if h.status != "waiting":
                return Outcome(s, [])
            s.handoff = h.model_copy(update={"status": "taken", "deadline": None})
            key = "taken_moderator" if team is not None and team.kind == "moderator" else "taken"
            return Outcome(s, [Say(_m(key, s.locale, team=name))], False,
                           (HandoffEvent("taken", h.team, s.conversation_id),))
        s.handoff = None  # released
        if forget_pending(s.clarify):
            # a deletion question asked while people held the conversation is not the one in front of
            # the person now (the result's question is): a later 「はい」 or 「1」 must not delete
            s.clarify = []
        return Outcome(s, [Say(_m("released", s.locale, team=name)), self.engine._result_ask(s, now)], False,
                       (HandoffEvent("released", h.team, s.conversation_id),))

    def _timeout(self, s: Session, now: dt.datetime) -> tuple[Session, list[Reply], tuple[HandoffEvent, ...]] | None:
        """When a ``waiting`` hand-off's deadline passed: the session without it, the replies
        (the apology and the 24-hour lines) and the ``timed_out`` event; else None."""
        h = s.handoff
        if h is None or h.status != "waiting" or h.deadline is None or now < h.deadline:
            return None
        s = s.model_copy(update={"handoff": None})
        loc = s.locale
        f = self.engine.flows[s.flow_id]
        d = self.engine.directory
        lines = [(c, st) for c, st in d.order(f.fallback, now) if st.is_staffed]
        if not lines:
            c = d.fallback(now)
            lines = [(c, d.status(c, now))]
        from bot.engine.types import ContactView

        urgency = f.states[h.result].urgency if h.result in f.states else None
        refer = Refer(_m("timed_out_text", loc), tuple(ContactView(c, st, now) for c, st in lines), (),
                      urgency=urgency, state_id=":handoff-timeout")
        return s, [Say(_m("timed_out", loc, team=self._name(h.team, s))), refer], \
            (HandoffEvent("timed_out", h.team, s.conversation_id),)

    # ------------------------------------------------------------ helpers

    def _finish(self, s: Session, replies: list[Reply], now: dt.datetime, decorate: bool = False) -> Outcome:
        if decorate:
            replies, _ = self._decorate(s, replies, now)
        s.updated_at = now
        s.expires_at = now + self.engine.idle_timeout
        return Outcome(s, replies)

    def _name(self, team_id: str, s: Session | None) -> str:
        t = self.teams.get(team_id)
        return pick(t.name, s.locale if s else "ja") if t else team_id

    def summary(self, s: Session, now: dt.datetime, locale: str = "ja") -> HandoffSummary:
        """What the team is told: the answers (labels in ``locale``, the team's language), slot
        values, the result, its urgency and the windows shown — built from ids in the session,
        so nothing typed can be in it."""
        f = self.engine.flows[s.flow_id]
        answers: list[HandoffAnswer] = []
        for e in s.history:
            st = f.states.get(e.state)
            ch = next((c for c in (st.choices or []) if c.id == e.choice), None) if st else None
            if st is None or ch is None or st.ask is None:
                continue
            answers.append(HandoffAnswer(e.state, pick(st.ask, locale), ch.id, pick(ch.label, locale)))
        h = s.handoff
        result = h.result if h else s.state
        st = f.states[result]
        windows: Sequence[tuple[str, str]] = ()
        if st.refer is not None:
            shown = [r for r in self.engine._refer(s.model_copy(update={"state": result}), st.refer, now, st.urgency)
                     if isinstance(r, Refer)]
            windows = tuple((v.contact.id, pick(v.contact.name, locale)) for r in shown for v in r.contacts)
        return HandoffSummary(f.id, pick(f.title, locale), result, st.urgency, tuple(answers),
                              tuple(sorted(s.slots.items())), tuple(windows),
                              (h.requested_at if h and h.requested_at else now).astimezone(JST), s.locale)


Kind = Literal["offered", "requested", "withdrawn", "timed_out", "taken", "released"]
