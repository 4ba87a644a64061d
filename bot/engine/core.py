"""The conversation engine: a pure ``step(session, input, now) -> Outcome``.

No I/O, no clock reads, no randomness, no platform imports: the same arguments always give
the same result, so every adapter, the simulator and the tests share one behaviour.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, NamedTuple

from bot.contacts.directory import Directory, rank
from bot.contacts.model import Contact, Topic
from bot.contacts.status import Status, StatusKind
from bot.engine.commands import (
    FORGET_NO,
    FORGET_PENDING,
    FORGET_PENDING_AWAY,
    FORGET_YES,
    command_for,
    forget_answer,
    forget_pending,
    is_maybe_stop,
    is_wrong,
    vague,
)
from bot.engine.flow import (
    CONTINUE,
    AdultCrisis,
    Choice,
    Crisis,
    DangerReply,
    Flow,
    InjuredReply,
    ReferSpec,
    State,
    reachable,
)
from bot.engine.handoff import Handoffs, asks_to_tell_nobody
from bot.engine.open_now import open_now, written, youth_line
from bot.engine.text import choice_numbers, keycap_numbers, normalize, number_form, parse_number, visible
from bot.engine.types import (
    Ask,
    ChoiceView,
    Command,
    CommandName,
    ContactView,
    End,
    HistoryEntry,
    Input,
    Outcome,
    Pick,
    Refer,
    Reply,
    Say,
    Session,
    Start,
    Text,
    Unsupported,
    assemble,
)
from bot.i18n import LOCALES, pick, quoted_list, t
from bot.nlu.analysis import Analysis, analyse
from bot.nlu.crisis import CrisisKind
from bot.nlu.feelings import is_feeling
from bot.nlu.matcher import YES_WORDS
from bot.nlu.understand import Reading, Understanding
from bot.settings import SESSION_TTL

if TYPE_CHECKING:
    from bot.handoff.team import Team

__all__ = ["Engine"]
MAX_ANSWER_CHARS = 1000
"""Typed answers longer than this (in normalised characters) are not matched against choices."""

CRISIS_SCAN_CHARS = 20_000
"""Only the first this-many characters of a message are scanned for crisis words."""

_CMD_PREFIX = ":"


def _age(slots: Mapping[str, str]) -> int:
    """The ``age`` slot as whole years (0 when absent or not a number)."""
    try:
        return int(slots.get("age", "0"))
    except ValueError:
        return 0


def _adult(slots: Mapping[str, str]) -> bool:
    """Whether the person is known to be 18 or over: ``who`` is ``adult`` or ``age`` is 18+."""
    return slots.get("who") == "adult" or _age(slots) >= 18



_LATIN = re.compile(r"[A-Za-z]{2,}")
ENGLISH_SWITCH_WORDS = 3
"""A message in Latin letters only, with this many words of two letters or more ("someone posted my
photos"), switches a Japanese conversation to English; fewer ("my photos") get the hint how to."""
_NOT_LATIN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]")


def _own(slots: Mapping[str, str]) -> dict[str, str]:
    """The engine's own slots (``:`` first, e.g. :data:`REACH`): kept when earlier answers are restored."""
    return {k: v for k, v in slots.items() if k.startswith(":")}


def _pupil(slots: Mapping[str, str]) -> bool:
    """Whether the person is known to be a pupil or under 18: ``who`` is ``pupil`` or ``age`` is 1–17."""
    return slots.get("who") == "pupil" or 0 < _age(slots) < 18


def _urgent_with_same_first_window(card: Reply, replies: Sequence[Reply]) -> bool:
    """Whether ``replies`` start with an ``immediate`` result whose first window is the first window
    of ``card`` (a :class:`Refer`; e.g. both put 110 first)."""
    if not isinstance(card, Refer) or not card.contacts or not replies:
        return False
    r = replies[0]
    return (isinstance(r, Refer) and r.urgency == "immediate" and bool(r.contacts)
            and r.contacts[0].contact.id == card.contacts[0].contact.id)


MAX_OTHER_WINDOWS = 6
"""Most windows listed for 「電話がつながらない」 under a result (:meth:`Engine._other_windows`)."""

OTHER_WINDOWS = ":other-windows"
"""The :attr:`~bot.engine.types.Refer.state_id` of that list (the engine's own: no result, no crisis reply)."""


REACH = ":reach"
"""The slot that remembers 「電話できない」「声が出せない」 (value ``text``): the engine's own (``:``), kept
when 「戻る」 restores earlier answers; results then list the windows reached without a call first."""

MAX_SHOWN = 3
"""Most windows a result shows at first (routing.md §0: 「at each step show at most 2–3 windows」);
the others are one button away (「ほかの窓口（N件）」, :data:`MORE_WINDOWS`)."""

MAX_LOCAL_SHOWN = 1
"""Most local windows (the region's add-ons, routing.md §7 last column) among those shown at first."""

MORE_WINDOWS = ":more-windows"
"""The choice id of 「ほかの窓口（N件）」 under a result, and the :attr:`~bot.engine.types.Refer.state_id`
of the list it shows (the engine's own: no result, no crisis reply)."""

MORE_WORDS = frozenset(normalize(w) for w in (
    "ほかの窓口", "他の窓口", "ほかの窓口は", "他の窓口は", "ほかの窓口も", "他の窓口も", "ほかの窓口を見る", "他の窓口を見る",
    "ほかの窓口も見る", "他の窓口も見る", "ほかのまどぐち", "別の窓口", "べつの窓口", "ほかの相談先", "他の相談先",
    "ほかの窓口を教えて", "他の窓口を教えて", "ほかには", "他には", "other windows", "more windows", "show more windows"))
"""Typed words under a result that ask for the windows not shown at first (matched after normalisation,
with the button's own label: 「ほかの窓口」 begins 「ほかの窓口（3件）」)."""


class Windows(NamedTuple):
    """A result's windows at an instant (:meth:`Engine.windows`).

    Attributes:
        shown: the windows shown at first (at most :data:`MAX_SHOWN`), in the order shown.
        rest: the others, in the same order, behind 「ほかの窓口（N件）」.
        note: the note said when a 24-hour line had to be added (empty otherwise).
    """

    shown: list[tuple[Contact, Status]]
    rest: list[tuple[Contact, Status]]
    note: list[Reply]


ALSO = ":also"
"""The choice id of 「「…」も相談する」 under a result (:meth:`Engine._other_harm`)."""

PARKED, HOME = ":parked", ":home"
"""Markers in :attr:`~bot.engine.types.Session.clarify` (ids, never text): the last message at the
safety question was kept for a later question; a message there said the home or the address was
exposed (「住所さらされた」)."""

# the home or the address known to others: 「住所さらされた」「家を特定された」「自宅がばれた」, "my home address
# was posted" (in the normalised text: no spaces)
_HOME = re.compile(r"住所|じゅうしょ|自宅|じたく|家(?:を|が|の場所|まで|も)?(?:特定|ばれ|バレ|知られ|晒|さら|突き止め|つきとめ)|最寄り駅|address|whereilive")


# the words of a wish to die or to kill said of oneself (in the normalised text): not read as an answer
# after a crisis of the person's own (「殺してくれ」 is no 「脅された」)
_OWN_DEATH = re.compile(r"自殺|じさつ|(?:殺|ころ)(?:して(?:くれ|ほしい|ください)?|したい|してやりたい|したくな)")


# the built-in crisis card of each kind when no flow has a crisis section: (i18n key, contact ids in order)
_DEFAULT_CRISIS = {
    "danger": ("engine.crisis_default", ("police_110", "fire_ambulance_119", "yorisoi")),
    "injured": ("engine.crisis_default_injured", ("fire_ambulance_119", "yorisoi", "anata_no_ibasho", "police_110")),
    "self": ("engine.crisis_default_self", ("yorisoi", "anata_no_ibasho", "inochi_no_denwa", "fire_ambulance_119", "police_110")),
}


def _safety_pair(st: State) -> tuple[Choice, Choice] | None:
    """The danger choice (``on_crisis: danger``) and the "none of these" choice (``means_no``) of
    ``st`` when it is a safety question that has both, else None."""
    choices = st.choices or []
    danger = next((c for c in choices if c.on_crisis == "danger"), None)
    no = next((c for c in choices if c.means_no), None)
    return (danger, no) if danger is not None and no is not None else None


def _english_tail(words: Mapping[str, str]) -> str:
    """The English ``words`` and how to switch, under a crisis card in another language."""
    return f"\n\n{pick(dict(words), 'en')}\n{t('engine.english_hint', 'en')}"


def _on_crisis(st: State, kind: str, *, fallback: bool = True) -> Choice | None:
    """The choice of ``st`` for a crisis of ``kind`` (its ``on_crisis``); for ``injured``, with
    ``fallback``, the ``self`` choice when there is no ``injured`` one."""
    choices = st.choices or []
    on = next((c for c in choices if c.on_crisis == kind), None)
    if on is None and fallback and kind == "injured":
        on = next((c for c in choices if c.on_crisis == "self"), None)
    return on


def _offer_forget(replies: list[Reply], locale: str) -> list[Reply]:
    """``replies`` with 「データを消す」 offered beside the last question's choices (after the help:
    the LINE rich menu's 「使い方・データ削除」 promises the deletion): its button asks the deletion
    question (:meth:`Engine._ask_forget`), nothing is deleted before 「消す」."""
    if not replies or not isinstance(replies[-1], Ask):
        return replies
    offer = ChoiceView(f"{_CMD_PREFIX}{CommandName.FORGET.value}", t("engine.choice_forget", locale))
    return [*replies[:-1], replace(replies[-1], offers=(*replies[-1].offers, offer))]


def _merged(result: Reply, card: Refer, tail: str = "") -> Reply:
    """``result`` (a :class:`Refer`) with the windows and steps of the crisis ``card`` it does not
    already have added after its own (so 110 and 119 both stay), and ``tail`` (the English words
    for a message written in English) after its text."""
    assert isinstance(result, Refer)
    have = {v.contact.id for v in result.contacts}
    contacts = (*result.contacts, *(v for v in card.contacts if v.contact.id not in have))
    steps = (*result.steps, *(x for x in card.steps if x not in result.steps))
    return replace(result, text=result.text + tail, contacts=contacts, steps=steps)


def _in_english(text: str) -> bool:
    """True when ``text`` is written in Latin letters (at least one word) with no Japanese script."""
    return bool(_LATIN.search(text)) and not _NOT_LATIN.search(text)


_CALL_FOR_HELP = re.compile(r"\W*(?:sos|help|help me)\W*", re.IGNORECASE)


def _english_crisis(text: str) -> bool:
    """True when a crisis message ``text`` is :func:`_in_english`, and more than 「SOS」 or "help" (typed in
    every language: the card stays in the conversation's language alone)."""
    return _in_english(text) and _CALL_FOR_HELP.fullmatch(text) is None


def _english_sentence(text: str) -> bool:
    """True when ``text`` is :func:`_in_english` and has two words or more ("my photos were
    posted"): a sentence in English, not one Latin word typed in Japanese (「Instagram」, 「OK」)."""
    return _in_english(text) and len(_LATIN.findall(text)) >= 2


class _Typed(NamedTuple):
    """What a typed message reads as before any state is looked at (:meth:`Engine._typed`)."""

    norm: str
    number: int | None
    analysis: Analysis
    crisis: CrisisKind | None
    command: CommandName | None


_NOT_A_STORY = ("わから", "わかん", "分から", "分かん", "understand", "dontknow", "notsure")


def _tells_more(raw: str, norm: str) -> bool:
    """True when a message typed under a result that answered nothing tells more of what happened
    (「みんなに無視されてる」): some words (at least 6 letters of its normalised form ``norm``), no
    feeling (:func:`~bot.nlu.feelings.is_feeling`: its own warm reply) and no 「わからない」 (that
    is not understood, and says so). A filler (「うーん」「はあ」) is no story either."""
    return len(norm) >= 6 and not is_feeling(raw, norm) and not any(w in norm for w in _NOT_A_STORY)


class Engine:
    """The shared finite-state conversation engine.

    Args:
        flows: flow id → validated :class:`Flow` (see :func:`bot.engine.flow.load_flows`).
        directory: the contact directory (for referrals and opening-hours status).
        default_flow: the flow a conversation starts with when none is named; defaults to the
            first flow (sorted by id).
        idle_timeout: seconds of inactivity after which a session expires (default 24 hours).
        teams: team id → :class:`bot.handoff.team.Team`, the people results with ``handoff: true``
            can offer (see :mod:`bot.engine.handoff`); none by default.

    Raises:
        ValueError: if there are no flows, the default flow is unknown, or a flow names a
            contact missing from the directory (checked at construction, not mid-conversation).
    """

    def __init__(self, flows: Mapping[str, Flow], directory: Directory, *, default_flow: str | None = None,
                 idle_timeout: float = SESSION_TTL, teams: Mapping[str, Team] | None = None) -> None:
        if not flows:
            raise ValueError("no flows: give at least one flow (flows/*.yaml)")
        self.flows = dict(flows)
        self.directory = directory
        self.default_flow = default_flow or sorted(self.flows)[0]
        if self.default_flow not in self.flows:
            raise ValueError(f"default flow {self.default_flow!r} is not one of {sorted(self.flows)}")
        if idle_timeout <= 0:
            raise ValueError("idle_timeout must be positive (seconds)")
        self.idle_timeout = dt.timedelta(seconds=idle_timeout)
        for f in self.flows.values():
            missing = [c for st in f.states.values() if st.refer for c in st.refer.contacts if c not in directory]
            missing += [c for c in f.fallback if c not in directory]
            missing += [c for _, ids, _ in (f.crisis.parts() if f.crisis else ()) for c in ids if c not in directory]
            if missing:
                raise ValueError(f"flow {f.id!r} names contacts missing from the directory: {sorted(set(missing))}")
        self._crisis = {fid: self._crisis_for(f) for fid, f in self.flows.items()}
        self._nlu: dict[str, Understanding] = {}
        self._asks: dict[tuple[int, str], tuple[State, str, tuple[ChoiceView, ...]]] = {}
        # per flow: its own choice ids and labels, and what each reads as when typed (_typed)
        self._own: dict[str, tuple[frozenset[str], dict[str, _Typed]]] = {}
        self._readings: dict[tuple[str, str, str, bool], Reading] = {}  # (flow, state, own text, adult) → _read
        self.handoffs = Handoffs(self, teams or {})

    def with_teams(self, teams: Mapping[str, Team]) -> Engine:
        """This engine handing over to ``teams`` instead (flows, directory, settings and the
        compiled understanding shared)."""
        engine = Engine(self.flows, self.directory, default_flow=self.default_flow,
                        idle_timeout=self.idle_timeout.total_seconds(), teams=teams)
        engine._nlu = self._nlu
        return engine

    # ------------------------------------------------------------ set-up helpers

    def _crisis_for(self, f: Flow) -> Crisis | None:
        return f.crisis or self.flows[self.default_flow].crisis

    def understanding(self, flow_id: str) -> Understanding:
        """The compiled language understanding of a flow (built on first use: the analyser's
        dictionary loads lazily, so ``soudan chat`` starts fast).

        Raises:
            KeyError: if ``flow_id`` is not a loaded flow.
        """
        u = self._nlu.get(flow_id)
        if u is None:
            f = self.flows[flow_id]
            crisis = self._crisis[flow_id]
            extra = crisis.keywords if crisis is not None and crisis is not f.crisis else ()
            u = self._nlu[flow_id] = Understanding.for_flow(f, extra)
        return u

    def _typed(self, flow_id: str, u: Understanding, text: str) -> _Typed:
        """What a typed message reads as, before any state is looked at: its normalised form, the
        number it is, its analysis, the crisis in it (:meth:`Understanding.crisis`: every message
        is scanned) and the global command it is.

        All of it depends on the text alone (and the flow's understanding), so for a message
        typed exactly like one of the flow's own choice ids or labels — a button tap on a
        platform that sends the choice id, a label typed — it is worked out once and kept: the
        very verdicts a new scan gives, for the flow's own strings only (never a person's text).
        """
        kept = self._own.get(flow_id)
        if kept is None:
            f = self.flows[flow_id]
            own = {x for st in f.states.values() for ch in st.choices or [] for x in (ch.id, *ch.label.values())}
            kept = self._own[flow_id] = (frozenset(own), {})
        hit = kept[1].get(text)
        if hit is not None:
            return hit
        norm = normalize(text[:CRISIS_SCAN_CHARS])
        # a 5,000-character text or a bare number needs no segmentation: the crisis check only
        number = parse_number(number_form(text))
        words = len(norm) <= MAX_ANSWER_CHARS and number is None
        # an answer typed exactly like a choice (its label or id) was analysed with the flow
        a = (u.known(text) if words else None) or analyse(text, words=words)
        typed = _Typed(norm, number, a, u.crisis(a, norm), command_for(text, norm))
        if text in kept[0]:
            kept[1][text] = typed
        return typed

    def _read(self, u: Understanding, state_id: str, text: str, a: Analysis, adult: bool = False) -> Reading:
        """:meth:`Understanding.read` of ``a`` (the analysis of ``text``) at ``state_id`` (``adult``: the
        person is known to be 18 or over); kept, like :meth:`_typed`, for the flow's own choice ids and
        labels (it depends on nothing else)."""
        adult = adult and state_id in u.adult_matchers
        kept = self._own.get(u.flow.id)
        if kept is None or text not in kept[0]:
            return u.read(state_id, a, adult=adult)
        key = (u.flow.id, state_id, text, adult)
        got = self._readings.get(key)
        if got is None:
            got = self._readings[key] = u.read(state_id, a, adult=adult)
        return got

    @staticmethod
    def _extract(u: Understanding, a: Analysis, slots: Mapping[str, str],
                 skip: set[str] | None = None) -> dict[str, tuple[str, str]]:
        """:meth:`Understanding.extract`, with the answers to questions whose words mean something
        else for an adult (``adult_keywords``) read again as an adult's when ``slots`` or the same
        message say the person is 18 or over (「30歳です。いじめられてる」: 「しつこい嫌がらせ」)."""
        found = u.extract(a, skip or ())
        if not u.adult_matchers or not any(sid in u.adult_matchers for _, sid in found.values()) \
                or not _adult({**{k: v for k, (v, _) in found.items()}, **slots}):
            return found
        out: dict[str, tuple[str, str]] = {}
        for slot, (value, sid) in found.items():
            if sid in u.adult_matchers:
                r = u.read(sid, a, strict=True, adult=True)
                if r.choice is None:
                    continue
                value = r.value or r.choice.id
            out[slot] = (value, sid)
        return out

    # ------------------------------------------------------------ public API

    def new_session(self, now: dt.datetime, flow_id: str | None = None, locale: str | None = None,
                    previous: Session | None = None) -> Session:
        """A fresh session at the start state (not yet entered: no replies).

        Raises:
            KeyError: if ``flow_id`` is not a loaded flow.
        """
        fid = flow_id or self.default_flow
        f = self.flows[fid]
        seed = f"{previous.conversation_id if previous else ''}|{fid}|{now.isoformat()}"
        cid = base64.b32encode(hashlib.sha256(seed.encode()).digest()[:5]).decode().lower()
        loc = locale if locale in LOCALES else (previous.locale if previous else f.locale)
        # every field given, each of its type (ids from the loaded flow, an aware ``now``): no validation needed
        return assemble(Session, {
            "flow_id": fid, "flow_version": f.version, "conversation_id": cid, "state": f.start, "slots": {},
            "history": [], "locale": loc or "ja", "prefill": {}, "clarify": [], "started_at": now, "updated_at": now,
            "expires_at": now + self.idle_timeout, "team": None, "handoff": None})

    def step(self, session: Session | None, inp: Input, now: dt.datetime, *, team: str | None = None) -> Outcome:
        """Advance one conversation by one input.

        Args:
            session: the stored session, or None for a user the bot does not know.
            inp: the user's input.
            now: the current instant (timezone-aware; the engine never reads a clock).
            team: the team this platform offers the person (a key of ``teams``), or None: a
                result with ``handoff: true`` then offers it while the team is open.

        Returns:
            :class:`Outcome` with the session to store (None: delete it), the replies (empty
            only for a :class:`~bot.engine.types.HandoffSignal` that changes nothing), whether
            all the user's data must be forgotten, and the hand-off events to deliver.

        Raises:
            ValueError: if ``now`` is naive.
        """
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("now must be timezone-aware (e.g. datetime.now(ZoneInfo('Asia/Tokyo')))")
        return self.handoffs.step(session, inp, now, team, self._step)

    def _step(self, session: Session | None, inp: Input, now: dt.datetime) -> Outcome:
        """:meth:`step` without hand-offs."""
        if isinstance(inp, Start):
            s = self.new_session(now, inp.flow_id if inp.flow_id in self.flows else None, inp.locale, session)
            return self._finish(s, [Say(t("engine.welcome", s.locale)), *self._enter(s, s.state, now)], now)

        # A conversation starts afresh for a new user, or when the stored one expired or belongs
        # to another version of the flow (then an answer to its old question means nothing: only
        # the crisis check and global commands apply, and a note replaces the welcome).
        problem = self._check(session, now) if session is not None else None
        fresh = session is None or problem is not None
        pre: list[Reply] = [Say(t(f"engine.{problem}", session.locale))] if session is not None and problem else []
        if fresh:  # (a rich menu's command carries the menu's language: for someone the bot does not know)
            s = self.new_session(now, session.flow_id if session and session.flow_id in self.flows else None,
                                 inp.locale if isinstance(inp, Command) else None, session)
        else:
            assert session is not None
            # slots, prefill and history are the only mutable parts; history entries are frozen
            s = session.detached(clarify=[])

        if isinstance(inp, Text):
            # one analysis of the message; crisis words, commands, answers and slots all read it
            u = self.understanding(s.flow_id)
            norm, number, a, kind, cmd = self._typed(s.flow_id, u, inp.text)
            if kind is not None and (fresh or not self._is_exact_label(s, norm)):
                # what the message says counts here too: 「殺すってDMが来た」 at the question who is asking
                # is also the answer 「脅された・殺害予告」, confirmed when that question comes
                if len(norm) <= MAX_ANSWER_CHARS and u.skippable:
                    everything = u.extract(a)  # read once: the answers kept, and another harm at a result
                    asked = set() if fresh else {s.state, *(h.state for h in s.history)}
                    self._keep(s, {slot: got for slot, got in everything.items() if got[1] not in asked})
                    if not fresh and self.finished(s):
                        # at a result, another harm in it (「裸の写真をばらすと言われた」): after the crisis
                        # card, 「「性的な画像・動画」も相談する」 under the result (_other_harm)
                        harm = self._another_harm(s, everything)
                        if harm is not None:
                            s.prefill[harm[0]] = harm[1].slot_value
                return self._finish(s, [*pre, *self._crisis_reply(s, now, fresh, kind, a,
                                                                english=_english_crisis(inp.text))], now)
            if not fresh and session is not None and forget_pending(session.clarify):
                # the answer to 「この相談の記録を消しますか？」: only a clear yes deletes; a bare 「1」 or
                # 「はい」 only where the question was shown in this chat
                bare = session.clarify == [FORGET_PENDING]
                yes = forget_answer(inp.text, bare)
                if yes is None and bare and number in (1, 2):  # 「1️⃣」, 「１番」
                    yes = number == 1
                if yes is not None:
                    return self._forget(s, yes, now, pre)
                # neither answer: read as usual, and said that nothing was deleted where the question
                # was shown (a 「消す」 typed later is the goal 「消してほしい」 of the question shown)
                if bare:
                    pre = [*pre, Say(t("engine.forget_kept", s.locale))]
            if cmd is not None:
                return self._command(s, cmd, now, pre, fresh)
            if not fresh and s.history and is_wrong(inp.text) and not self._names(s, norm):
                # 「ちがう」「間違えた」 where it is no answer: 戻る (the bot says 「違っていたら「戻る」と送って
                # ください」; it was read as 「わからない」 and the conversation went on)
                return self._command(s, CommandName.BACK, now, pre, False)
            # a sentence in English in a Japanese conversation: three words or more, the conversation
            # goes on in English (a trial: an English speaker who never typed the one word 「English」
            # was finished in Japanese), with the way back in Japanese; two words, how to switch
            hint: list[Reply] = []
            if s.locale != "en" and _english_sentence(inp.text):
                if len(_LATIN.findall(inp.text)) >= ENGLISH_SWITCH_WORDS:
                    s.locale = "en"
                    hint = [Say(t("engine.lang_auto", "en"))]
                else:
                    hint = [Say(t("engine.english_hint", "en"))]
            if fresh:
                kept = self._keep(s, self._extract(u, a, s.slots)) if len(norm) <= MAX_ANSWER_CHARS else []
                # a first message that tells what happened is answered, not only greeted: what was kept
                note: list[Reply] = [Say(self._kept_note(s, kept, inp.text, norm))] if kept else []
                question = self._enter(s, s.state, now)
                if kept:
                    note += self._parked(s, norm, [])
                return self._finish(s, [*self._greeting(s, pre), *hint, *note, *question], now)
            return self._answer_text(s, inp.text, a, norm, number, session.clarify if session else [], now,
                                     [*pre, *hint])

        if fresh:
            if isinstance(inp, Command):
                return self._command(s, inp.name, now, pre, fresh, inp.elsewhere)
            return self._finish(s, [*self._greeting(s, pre), *self._enter(s, s.state, now)], now)

        if isinstance(inp, Command):
            return self._command(s, inp.name, now, pre, False, inp.elsewhere)
        if isinstance(inp, Pick):
            return self._pick(s, inp, now, pre, session is not None and forget_pending(session.clarify))
        if isinstance(inp, Unsupported):
            if session is not None and forget_pending(session.clarify):
                # a sticker at 「…すべて消しますか？」: that question again, still pending (it was dropped
                # silently, and a 「消す」 typed next was read as the goal; found by the breaker)
                return self._ask_forget(s, now, [*pre, Say(t("engine.unsupported", s.locale))], False,
                                        elsewhere=session.clarify == [FORGET_PENDING_AWAY])
            return self._finish(s, [*pre, Say(t("engine.unsupported", s.locale)), *self._reask(s, now)], now)
        raise TypeError(f"unknown input {inp!r}")  # pragma: no cover - exhaustive

    def preview(self, flow_id: str, state_id: str, now: dt.datetime, locale: str = "ja") -> list[Reply]:
        """The replies a user would see on entering ``state_id`` of ``flow_id`` at ``now``.

        For authors' tools and tests; no session is changed.

        Raises:
            KeyError: if the flow or the state does not exist.
        """
        s = self.new_session(now, flow_id, locale)
        self.flows[flow_id].states[state_id]
        return self._enter(s, state_id, now)

    def is_current(self, session: Session, now: dt.datetime) -> bool:
        """True when ``session`` can go on at ``now``: its flow and version are loaded, its state
        exists and it has not expired (else the next step starts again)."""
        return self._check(session, now) is None

    def finished(self, session: Session) -> bool:
        """True when ``session`` is at a result: its state is a ``refer`` state of its flow here.

        Derived from the flow, never stored. A session of another version of a loaded flow is
        judged by the state of that id in the loaded version; False for a flow or state this
        engine does not have.
        """
        f = self.flows.get(session.flow_id)
        st = f.states.get(session.state) if f is not None else None
        return st is not None and st.kind == "refer"

    def current_view(self, session: Session, now: dt.datetime) -> list[Reply]:
        """The replies that show the current question or result again (for re-rendering)."""
        return self._reask(session, now)

    # ------------------------------------------------------------ internals

    def _flow(self, s: Session) -> Flow:
        return self.flows[s.flow_id]

    def _check(self, s: Session, now: dt.datetime) -> str | None:
        f = self.flows.get(s.flow_id)
        if f is None or s.flow_version != f.version or s.state not in f.states:
            return "version"
        if now >= s.expires_at:
            return "expired"
        return None

    @staticmethod
    def _greeting(s: Session, pre: list[Reply]) -> list[Reply]:
        """What a conversation that starts afresh opens with: the note on why (``pre``), else the welcome."""
        return pre or [Say(t("engine.welcome", s.locale))]

    def _finish(self, s: Session, replies: list[Reply], now: dt.datetime) -> Outcome:
        s.updated_at = now
        s.expires_at = now + self.idle_timeout
        return Outcome(s, replies)

    def _names(self, s: Session, norm: str) -> bool:
        """True when a choice of the current question has ``norm`` as a keyword, an example or its
        label (「ちがう」 at 「東京にいますか？」 is the answer 「東京都以外」, not 戻る)."""
        st = self._flow(s).states.get(s.state)
        choices = (st.choices or []) if st is not None else []
        return any(norm in {normalize(w) for w in (*ch.keywords, *ch.examples, *ch.label.values())} for ch in choices)

    def _is_exact_label(self, s: Session, norm: str) -> bool:
        """True when ``norm`` is exactly a choice label of the current state (the flow handles it)."""
        st = self._flow(s).states.get(s.state)
        choices = (st.choices or []) if st is not None else []
        return any(norm == normalize(v) for ch in choices for v in ch.label.values())

    def _said(self, s: Session, a: Analysis | None) -> dict[str, str]:
        """The slots a message states (:meth:`Understanding.extract`: ``{"who": "adult"}``), or
        ``{}`` without an analysis."""
        if a is None:
            return {}
        return {slot: value for slot, (value, _sid) in self.understanding(s.flow_id).extract(a).items()}

    def _crisis_card(self, flow_id: str, kind: str, loc: str, now: dt.datetime, adult: bool, *,
                     english: bool = False) -> Refer:
        """The crisis card of flow ``flow_id``: danger from someone else (``kind == "danger"``) gets
        the 110 reply, an injury already done (``injured``: 「薬いっぱい飲んだ」) the 119 one, anything
        else the words and windows for suicidal feelings (the adult windows and steps when ``adult``);
        ``english`` adds the English words under the card of another locale."""
        crisis = self._crisis[flow_id]
        if crisis is not None:
            spec: Crisis | DangerReply | InjuredReply = crisis
            own: Crisis | DangerReply | InjuredReply | AdultCrisis = crisis
            part = {"danger": crisis.danger, "injured": crisis.injured}.get(kind)
            if part is not None:
                spec = own = part
                if adult and part.adult is not None:
                    own = part.adult
            elif adult and crisis.adult is not None:
                own = crisis.adult
            words = dict(spec.text)
            ids = own.contacts
            steps = tuple(pick(t, loc) for t in own.steps)
        else:
            # a flow (and default flow) without a crisis section: routing.md §1 still decides the order —
            # danger 110 first, an injury 119 first, suicidal feelings the 24-hour listening lines first
            key, order = _DEFAULT_CRISIS.get(kind, _DEFAULT_CRISIS["self"])
            words = {lang: t(key, lang) for lang in LOCALES}
            ids = [c for c in order if c in self.directory]
            steps = ()
        text = pick(words, loc) + (_english_tail(words) if english and loc != "en" else "")
        views = tuple(ContactView(c, st, now) for c, st in self.directory.order(ids, now))
        return Refer(text, views, steps, urgency="immediate")

    def crisis_card(self, text: str, now: dt.datetime, locale: str = "ja") -> Refer | None:
        """The crisis card for a message outside any consultation (a LINE group's message, where
        nobody is screened), or None when the message holds no crisis words.

        Args:
            text: the message as typed (only its first ``CRISIS_SCAN_CHARS`` characters are read;
                nothing of it is kept).
            now: the current time (aware; the cards' opening hours are read in JST).
            locale: ``"ja"`` or ``"en"``; a message written in English gets the English words too.

        Returns:
            The default flow's crisis :class:`Refer` (danger: 110 first; suicidal feelings: the
            24-hour lines, 119 and 110), urgency ``immediate``.
        """
        fid = self.default_flow
        kind = self._typed(fid, self.understanding(fid), text).crisis
        if kind is None:
            return None
        return self._crisis_card(fid, kind, locale, now, adult=False, english=_english_crisis(text))

    def _crisis_reply(self, s: Session, now: dt.datetime, fresh: bool, kind: str,
                      a: Analysis | None = None, *, english: bool = False) -> list[Reply]:
        """The crisis reply, then: the question's ``on_crisis`` choice, else the question's answer
        when the same message gives one (「殺すってDMが来た」 at the what question is 「脅された」),
        else the question again. ``english``: the message was written in English while the
        conversation is not, so the crisis words come in English too (a person in crisis must
        not have to read a language they did not write).

        ``kind`` ``injured`` (「薬いっぱい飲んだ」) goes on with the question's ``injured`` choice,
        else its ``self`` choice, and then the next question's ``injured`` one. When the
        conversation thereby reaches an ``immediate`` result with the same first window as the
        crisis card (110 after 「殺すって言われた」 at the safety question, 119 after 「手首切った」),
        one card is shown: the result, with the crisis card's other windows and steps added after
        its own (:func:`_merged`)."""
        loc = s.locale
        # an adult (who: adult, age 18+) gets the adult windows: no children's line; what the
        # crisis message itself says of the person (「大人だけど死にたい」, "I'm 30 and…") counts
        # too, for this card only (nothing is stored from it; answered slots win)
        card = self._crisis_card(s.flow_id, kind, loc, now, _adult({**self._said(s, a), **s.slots}), english=english)
        out: list[Reply] = [card]
        st = self._flow(s).states[s.state]
        on = _on_crisis(st, kind)
        value: str | None = None
        which: list[Choice] = []
        if on is None and a is not None and st.kind == "ask":
            if kind in ("self", "injured") and _OWN_DEATH.search(a.text):
                # 「殺してくれ」「自殺したい」「あいつを殺したい」 are the person's own feelings, not a threat
                # received: the rest of the message answers the question (「いじめられて死にたい」 is いじめ)
                a = analyse(_OWN_DEATH.sub(" ", a.text))
            r = self.understanding(s.flow_id).read(s.state, a, adult=_adult(s.slots))
            if r.choice is not None and not r.choice.means_no:
                on, value = r.choice, r.value
                out.append(Say(t("engine.understood", loc, label=pick(r.label, loc) if r.label else pick(on.label, loc))))
            else:  # 「元カレに職場に昔のことばらすぞって言われてる」: 「脅された」 or 「つきまとい」? asked, not the whole question
                which = [c for c in r.candidates if not c.means_no]
        if on is not None:
            # this question has a choice for it (e.g. 「死にたい・自分を傷つけたい」): go on with it
            asked = s.state
            entered = self._go_on(s, st, on, value, now)
            nxt = self._flow(s).states[s.state]
            then = _on_crisis(nxt, kind, fallback=False) if kind == "injured" and s.state != asked else None
            if then is not None:
                # 「手首切った」 at the safety question: 「死にたい・自分を傷つけたい」, then 「けが・薬を飲みすぎた」
                entered = [*(r for r in entered if not isinstance(r, Ask)), *self._go_on(s, nxt, then, None, now)]
            if _urgent_with_same_first_window(card, entered):
                # the result says what the card says, first window first (110, or 119): one card, first
                crisis = self._crisis[s.flow_id]
                tail = ""
                if english and loc != "en" and crisis is not None:
                    part = {"danger": crisis.danger, "injured": crisis.injured}.get(kind) or crisis
                    tail = _english_tail(part.text)
                out = [_merged(entered[0], card, tail), *entered[1:]]
            else:
                out.extend(entered)
        elif fresh:
            out.extend(self._enter(s, s.state, now))
        elif len(which) > 1:
            options = t("engine.list_sep", loc).join(t("engine.option", loc, n=i, label=pick(c.label, loc))
                                                     for i, c in enumerate(which, 1))
            out += [Say(t("engine.crisis_continue", loc)), Say(t("engine.ambiguous", loc, options=options)),
                    *self._ask_again(s, st, which)]
        else:
            out.append(Say(t("engine.crisis_continue", loc)))
            out.extend(self._reask(s, now))
        return out

    def _go_on(self, s: Session, st: State, ch: Choice, value: str | None, now: dt.datetime,
               extra: Mapping[str, str] | None = None, second: str | None = None) -> list[Reply]:
        """Answer the question ``st`` (the current state, ``s.state``) with ``ch`` (``value`` for its
        slot, else the choice's; ``extra``: other slots the same answer gives; ``second``: another
        answer the same message gave, offered under the result, :meth:`_second_wish`) and enter the
        next state: its replies."""
        s.history.append(HistoryEntry.of(s.state, ch.id, dict(s.slots)))
        if extra:
            s.slots.update(extra)
        if st.save_as:
            s.slots[st.save_as] = value or ch.slot_value
            s.prefill.pop(st.save_as, None)
            if second is not None:
                s.prefill[st.save_as] = second
        self._age_told(s, st, ch)
        return self._enter(s, ch.target(s.slots), now)

    def _age_told(self, s: Session, st: State, ch: Choice) -> None:
        """An answer that states the person's age (a choice with ``ages``: the crisis question's
        「18歳以上」) answers the questions ahead whose choices are ages (「相談するのは、だれですか？」)
        when exactly one of their choices fits: kept for them (confirmed there, 「戻る」 undoes it),
        over what a message only suggested (「高校の時の同級生」, trial F15); never over an answer."""
        if ch.ages is None:
            return
        lo, hi = ch.ages
        for other in self._flow(s).states.values():
            if other is st or not (other.save_as and other.skip_if_known and other.choices) or other.save_as in s.slots:
                continue
            fits = [c for c in other.choices if c.ages is not None and c.ages[0] <= hi and lo <= c.ages[1]]
            if len(fits) == 1:
                s.prefill[other.save_as] = fits[0].slot_value

    def _ask_forget(self, s: Session, now: dt.datetime, pre: list[Reply], fresh: bool,
                    elsewhere: bool = False) -> Outcome:
        """「この相談の記録を消しますか？」 with 「消す」「やめる」 (the deletion command typed, a rich menu's
        or Discord's command): someone in distress who types 「データを消してほしい」 may mean the
        leaked posts, not the bot's record, so nothing is deleted before a clear yes. The session
        remembers only that the question was asked (:data:`FORGET_PENDING` in ``clarify``;
        :data:`FORGET_PENDING_AWAY` when it is shown where the person does not type, ``elsewhere``)."""
        loc = s.locale
        if fresh:  # a conversation to go on with when the answer is 「やめる」 (its first question, not shown yet)
            self._enter(s, s.state, now)
        s.clarify = [FORGET_PENDING_AWAY if elsewhere else FORGET_PENDING]
        ask = Ask(t("engine.forget_confirm", loc), (ChoiceView(FORGET_YES, t("engine.forget_yes", loc)),
                                                     ChoiceView(FORGET_NO, t("engine.forget_no", loc))),
                  s.state, s.conversation_id)
        return self._finish(s, [*pre, ask], now)

    def _forget(self, s: Session, yes: bool, now: dt.datetime, pre: list[Reply]) -> Outcome:
        """The answer to :meth:`_ask_forget`: everything deleted, or the consultation where it was."""
        if yes:
            return Outcome(None, [End(t("engine.forget", s.locale))], forget=True)
        return self._finish(s, [*pre, Say(t("engine.forget_kept", s.locale)), *self._reask(s, now)], now)

    def _command(self, s: Session, cmd: CommandName, now: dt.datetime, pre: list[Reply], fresh: bool,
                 elsewhere: bool = False) -> Outcome:
        loc = s.locale
        if cmd is CommandName.FORGET:
            return self._ask_forget(s, now, pre, fresh, elsewhere)
        if cmd is CommandName.STOP:
            return Outcome(None, [End(t("engine.stop", loc))])
        if cmd in (CommandName.LANG_EN, CommandName.LANG_JA):
            s.locale = "en" if cmd is CommandName.LANG_EN else "ja"
            lead = Say(t("engine.welcome" if fresh else "engine.lang_switched", s.locale))
            return self._finish(s, [*pre, lead, *self._reask(s, now)], now)
        if cmd is CommandName.OPEN_NOW:
            listing = open_now(self.directory, now, loc, pupil=_pupil(s.slots), adult=_adult(s.slots),
                               no_call=s.slots.get(REACH) == "text")
            if fresh:  # no conversation to go on with: the list, then one begins (never a dead end)
                return self._finish(s, [listing, *self._greeting(s, pre), *self._enter(s, s.state, now)], now)
            return self._finish(s, [*pre, listing, Say(t("engine.open_now_continue", loc)), *self._reask(s, now)], now)
        if cmd is CommandName.HELP_NOW:  # as 「今すぐ助けて」 typed: danger, 110 first
            return self._finish(s, [*pre, *self._crisis_reply(s, now, fresh, "danger")], now)
        if cmd is CommandName.RESTART or fresh:
            ns = self.new_session(now, s.flow_id, s.locale, s)
            replies: list[Reply] = [*pre, Say(t("engine.welcome" if fresh else "engine.restart", loc))]
            if cmd is CommandName.HELP:
                replies.append(Say(t("engine.help", loc)))
                return self._finish(ns, [*replies, *_offer_forget(self._enter(ns, ns.state, now), loc)], now)
            return self._finish(ns, [*replies, *self._enter(ns, ns.state, now)], now)
        if cmd is CommandName.HELP:
            return self._finish(s, [*pre, Say(t("engine.help", loc)), *_offer_forget(self._reask(s, now), loc)], now)
        if cmd is CommandName.BACK:
            if not s.history:
                return self._finish(s, [*pre, Say(t("engine.back_none", loc)), *self._reask(s, now)], now)
            entry = s.history.pop()
            s.state, s.slots = entry.state, {**entry.slots, **_own(s.slots)}
            prev = self._choice(s, entry.state, entry.choice)
            note = t("engine.back", loc)
            if prev is not None:
                note += t("engine.previous_answer", loc, label=pick(prev.label, loc))
            return self._finish(s, [*pre, Say(note), *self._reask(s, now)], now)
        raise AssertionError(cmd)  # pragma: no cover

    def _choice(self, s: Session, state_id: str, choice_id: str) -> Choice | None:
        st = self._flow(s).states.get(state_id)
        for ch in (st.choices or []) if st else []:
            if ch.id == choice_id:
                return ch
        return None

    def _pick(self, s: Session, p: Pick, now: dt.datetime, pre: list[Reply], pending: bool = False) -> Outcome:
        """A button press; ``pending``: the last reply asked whether to delete the data."""
        if p.choice_id == ALSO:
            if p.conversation_id == s.conversation_id and p.state_id == s.state and self._other_harm(s) is not None:
                return self._also(s, now, pre)
            return self._finish(s, [*pre, Say(t("engine.stale", s.locale)), *self._reask(s, now)], now)
        if p.choice_id == MORE_WINDOWS:
            st = self._flow(s).states.get(s.state)
            if p.conversation_id == s.conversation_id and p.state_id == s.state and st is not None and st.refer is not None:
                return self._more(s, now, pre)
            return self._finish(s, [*pre, Say(t("engine.stale", s.locale)), *self._reask(s, now)], now)
        if p.choice_id == CONTINUE:
            if p.conversation_id == s.conversation_id and p.state_id == s.state and self._next_of(s) is not None:
                return self._continue(s, now, pre)
            return self._finish(s, [*pre, Say(t("engine.stale", s.locale)), *self._reask(s, now)], now)
        if p.choice_id in (FORGET_YES, FORGET_NO):
            if p.choice_id == FORGET_NO or (p.conversation_id == s.conversation_id and p.state_id == s.state
                                            and pending):
                return self._forget(s, p.choice_id == FORGET_YES, now, pre)
            # a 「消す」 button of an earlier question: nothing is deleted without asking again
            return self._finish(s, [*pre, Say(t("engine.stale", s.locale)), *self._reask(s, now)], now)
        if p.choice_id.startswith(_CMD_PREFIX):
            try:
                cmd = CommandName(p.choice_id[1:])
            except ValueError:
                cmd = None
            if cmd is not None and p.conversation_id == s.conversation_id:
                return self._command(s, cmd, now, pre, False)
            if cmd in (CommandName.RESTART, CommandName.STOP, CommandName.FORGET, CommandName.HELP,
                       CommandName.OPEN_NOW, CommandName.HELP_NOW):  # rich menus and panels: no conversation id
                return self._command(s, cmd, now, pre, False)
        last = s.history[-1] if s.history else None
        if (p.conversation_id == s.conversation_id and last is not None and p.state_id == last.state
                and p.choice_id == last.choice and p.state_id != s.state):
            # the same button pressed twice (double tap, redelivery): nothing changes
            return self._finish(s, [*pre, *self._reask(s, now)], now)
        if p.conversation_id != s.conversation_id or p.state_id != s.state:
            return self._finish(s, [*pre, Say(t("engine.stale", s.locale)), *self._reask(s, now)], now)
        ch = self._choice(s, s.state, p.choice_id)
        if ch is None:
            return self._finish(s, [*pre, Say(t("engine.stale", s.locale)), *self._reask(s, now)], now)
        return self._apply(s, ch, now, pre)

    def _answer_text(self, s: Session, raw: str, a: Analysis, norm: str, n: int | None, clarify: list[str],
                     now: dt.datetime, pre: list[Reply]) -> Outcome:
        loc = s.locale
        st = self._flow(s).states[s.state]
        if not visible(raw).strip():  # also a message of only zero-width characters
            return self._finish(s, [*pre, Say(t("engine.empty", loc)), *self._reask(s, now)], now)
        if len(norm) > MAX_ANSWER_CHARS:
            return self._finish(s, [*pre, Say(t("engine.too_long", loc)), *self._reask(s, now)], now)
        if st.kind == "refer":
            views = self._result_choices(s, now)
            hit = self._match_views(views, norm, n)
            if (hit is not None and hit.id == MORE_WINDOWS) or (hit is None and n is None and norm.rstrip("?？") in MORE_WORDS):
                return self._more(s, now, pre)
            if hit is not None and hit.id == CONTINUE:
                return self._continue(s, now, pre)
            if hit is not None and hit.id == ALSO:
                return self._also(s, now, pre)
            if hit is not None:
                return self._command(s, CommandName(hit.id[1:]), now, pre, False)
            return self._after_result(s, raw, a, norm, now, pre)
        u = self.understanding(s.flow_id)
        choices = st.choices or []
        # everything the message says counts: answers to later questions are kept for them (below,
        # once the answer to this question is known: it may put some of them out of reach)
        found = self._extract(u, a, s.slots, {s.state, *(h.state for h in s.history)}) if n is None and u.skippable else {}
        offered = [c for cid in clarify for c in choices if c.id == cid] or choices
        caps = keycap_numbers(raw) if "\u20e3" in raw or "\U0001f51f" in raw else choice_numbers(raw) if n is None else None
        if caps is not None and all(1 <= k <= len(offered) for k in caps):
            # 「1️⃣2️⃣」: two choices pressed as keycaps, not the number 12 — one of them, or ask which
            picked = [offered[k - 1] for k in dict.fromkeys(caps)]
            if len(picked) == 1:
                return self._apply(s, picked[0], now, pre)
            return self._which(s, st, picked, now, pre)
        if n is not None:
            if 1 <= n <= len(offered):
                return self._apply(s, offered[n - 1], now, pre)
            # 「19です」「19」 at an age question is an age, not choice 19; a bare single digit is a
            # choice number out of range (「4」 meant for the four-line question above), not an age of 4
            if not clarify and any(c.ages for c in choices) and 0 < n <= 120 and not (norm.isdigit() and n < 10):
                r = u.read(s.state, a, age=n)
                if r.choice is not None:
                    return self._understood(s, r, now, pre)
            return self._finish(s, [*pre, Say(t("engine.no_number", loc, n=n, max=len(offered))),
                                    *self._ask_again(s, st, offered if clarify else None)], now)
        r = self._read(u, s.state, raw, a, _adult(s.slots))
        if found and r.choice is not None and st.save_as:
            found = u.consistent(found, a, {st.save_as: (r.value or r.choice.slot_value, s.state)})
        kept = self._keep(s, found) if found else []
        if r.choice is not None:
            return self._understood(s, r, now, pre, a)
        candidates = list(r.candidates)
        yes_to = [c for cid in clarify for c in choices if c.id == cid and not c.means_no]
        if not candidates and norm in YES_WORDS and len(yes_to) == 1 and any(c.id in clarify for c in choices if c.means_no):
            # 「はい」 to a yes/no question of two offered choices (「いま、身の危険を感じていますか？」): the yes one
            return self._apply(s, yes_to[0], now, pre)
        if not candidates and norm in YES_WORDS and any(c.means_no for c in choices):
            # 「はい」 at 「いま、あてはまるものはありますか？」: one of the others applies — which? (it was
            # 「答えがわかりませんでした」, and 「はい」 had even been kept as 「18歳未満」)
            candidates = [c for c in choices if not c.means_no][:3]
        if candidates:
            return self._which(s, st, candidates, now, pre)
        if kept:
            note = [Say(self._kept_note(s, kept, raw, norm)), *self._parked(s, norm, clarify)]
            pair = _safety_pair(st)
            if pair is not None and PARKED in clarify:
                # the second message in a row answering something else at the safety question: the
                # question plainly, yes or no, instead of the same four lines again (never skipped)
                danger, no = pair
                if HOME in s.clarify and danger.id not in clarify and not any(isinstance(r, Say) and r.text == t(
                        "engine.safety_home", loc) for r in note):  # said before: once more, with the plain question
                    note.append(Say(t("engine.safety_home", loc)))
                s.clarify = [danger.id, no.id, *s.clarify]
                ask = Ask(t("engine.safety_plain", loc), (ChoiceView(danger.id, t("engine.safety_yes", loc)),
                                                          ChoiceView(no.id, t("engine.safety_no", loc))),
                          s.state, s.conversation_id)
                return self._finish(s, [*pre, *note, ask], now)
            return self._finish(s, [*pre, *note, *self._reask(s, now)], now)
        fixed = self._corrected(s, u, a, now, pre)
        if fixed is not None:
            return fixed
        kind = vague(raw)
        if kind is not None:
            return self._finish(s, [*pre, Say(t(f"engine.vague_{kind}", loc)),
                                    *self._ask_again(s, st, offered if clarify else None)], now)
        return self._no_match(s, raw, norm, now, pre, a)

    def _corrected(self, s: Session, u: Understanding, a: Analysis, now: dt.datetime,
                   pre: list[Reply]) -> Outcome | None:
        """A message that answers nothing here but answers a question asked before, otherwise
        (「やっぱり中学生」「さっきのまちがい、高校生です」 after 「18歳以上」; found by the breaker: it got
        「答えがわかりませんでした」): back to that question and on with the new answer, said so, the
        answers given after it kept for the questions ahead (as under a result, :meth:`_rewind`);
        the same answer again is said to stay. None when it answers no earlier question."""
        if not s.history:
            return None
        earlier = self._earlier(s, self._extract(u, a, s.slots, {s.state}))
        if not earlier:
            return None
        changed = [(i, slot, value) for i, slot, value in earlier if s.slots.get(slot) != value]
        i, _, value = (changed or earlier)[0]
        st = self._flow(s).states[s.history[i].state]
        label = self._value_label(s, st, value)
        if not changed:
            return self._finish(s, [*pre, Say(t("engine.corrected_same", s.locale, label=label)), *self._reask(s, now)],
                                now)
        answer = self._known_choice(st, value)
        if answer is None:
            return None
        later = {k: v for _, k, v in changed[1:]}
        return self._rewind(s, i, answer, later, now, [*pre, Say(t("engine.corrected", s.locale, label=label))])

    @staticmethod
    def _earlier(s: Session, found: Mapping[str, tuple[str, str]]) -> list[tuple[int, str, str]]:
        """The answers in ``found`` (:meth:`Understanding.extract`'s slot → (value, question)) to
        questions this conversation asked, as (index in ``s.history`` of the question's first answer,
        slot, value), earliest question first — what a correction (:meth:`_corrected`) or a message
        under a result (:meth:`_after_result`) may answer again."""
        asked = {h.state: i for i, h in reversed(list(enumerate(s.history)))}  # question → its first answer
        return sorted((asked[sid], slot, value) for slot, (value, sid) in found.items() if sid in asked)

    def _parked(self, s: Session, norm: str, before: Sequence[str]) -> list[Reply]:
        """After an answer to a later question was kept at the safety question (:func:`_safety_pair`):
        mark it (:data:`PARKED` in ``clarify``, with :data:`HOME` once a message said the home or the
        address was exposed) and, when this message says so, point at 「危険を感じる」, whose
        definition names 「相手が家や学校を知っている」 (routing.md Q0). Nothing at another question.
        ``before``: the ``clarify`` of the reply before."""
        st = self._flow(s).states[s.state]
        if _safety_pair(st) is None:
            return []
        said = _HOME.search(norm) is not None
        s.clarify = [PARKED, *([HOME] if said or HOME in before else [])]
        return [Say(t("engine.safety_home", s.locale))] if said else []

    def _which(self, s: Session, st: State, candidates: Sequence[Choice], now: dt.datetime,
               pre: list[Reply]) -> Outcome:
        """「1.「…」、2.「…」のどれに近いですか？」 and the question with only ``candidates`` (numbered
        from 1; :attr:`Session.clarify` remembers them)."""
        loc = s.locale
        s.clarify = [c.id for c in candidates]
        options = t("engine.list_sep", loc).join(t("engine.option", loc, n=i, label=pick(c.label, loc))
                                                 for i, c in enumerate(candidates, 1))
        return self._finish(s, [*pre, Say(t("engine.ambiguous", loc, options=options)),
                                *self._ask_again(s, st, candidates)], now)

    def _no_match(self, s: Session, raw: str, norm: str, now: dt.datetime, pre: list[Reply],
                  a: Analysis | None = None) -> Outcome:
        """A message that answers nothing: 「答えがわかりませんでした」 — or, for a sad emoji or a
        plea with no answer in it, the warm reply with 110 — and the question (or the result's menu) again.

        Before that, what a person says beside the consultation (found by the breaker and after8:
        each got 「答えがわかりませんでした」): 「もういい」 may mean stop, so the bot asks (「終了する」
        beside the question; never ended on a guess); at a question, thanks (the flow's ``after``
        cue ``thanks``, read from ``a``) get a warm line, and 「つながらない」「電話できない」 (``busy``,
        ``no_call``) the national windows open now (:func:`~bot.engine.open_now.open_now`, from the
        directory) — each with the question again, kept where it was."""
        loc = s.locale
        asking = self._flow(s).states[s.state].kind == "ask"
        if is_maybe_stop(raw):
            if not asking:
                return self._finish(s, [*pre, Say(t("engine.maybe_stop_result", loc)), *self._reask(s, now)], now)
            stop = ChoiceView(f"{_CMD_PREFIX}{CommandName.STOP.value}", t("engine.choice_stop", loc))
            question = [replace(r, offers=(*r.offers, stop)) if isinstance(r, Ask) else r for r in self._reask(s, now)]
            return self._finish(s, [*pre, Say(t("engine.maybe_stop", loc)), *question], now)
        if asks_to_tell_nobody(raw):  # 「誰にも言わないで」「親に言わないで」: what the bot will and will not do
            return self._finish(s, [*pre, Say(t("engine.tell_nobody", loc)), *self._reask(s, now)], now)
        intent = self.understanding(s.flow_id).after(a) if asking and a is not None else None
        if intent == "thanks":
            return self._finish(s, [*pre, Say(t("engine.thanks_question", loc)), *self._reask(s, now)], now)
        if intent in ("busy", "no_call"):
            if intent == "no_call":
                s.slots[REACH] = "text"
            listing = open_now(self.directory, now, loc, pupil=_pupil(s.slots), adult=_adult(s.slots),
                               no_call=intent == "no_call")
            return self._finish(s, [*pre, listing, Say(t("engine.open_now_continue", loc)),
                                    *self._reask(s, now)], now)
        key = "engine.no_match_feeling" if is_feeling(raw, norm) else "engine.no_match"
        return self._finish(s, [*pre, Say(t(key, loc)), *self._reask(s, now)], now)

    def _understood(self, s: Session, r: Reading, now: dt.datetime, pre: list[Reply],
                    a: Analysis | None = None) -> Outcome:
        assert r.choice is not None
        extra = {"age": str(r.age)} if r.age is not None else None  # a stated age, for 18-year-old pupils
        if r.exact:
            return self._apply(s, r.choice, now, pre, r.value, extra)
        label = pick(r.label, s.locale) if r.label else pick(r.choice.label, s.locale)
        second = self._second_wish(s, r.choice, a) if a is not None else None
        return self._apply(s, r.choice, now, [*pre, Say(t("engine.understood", s.locale, label=label))], r.value, extra,
                           second)

    def _second_wish(self, s: Session, taken: Choice, a: Analysis) -> str | None:
        """Another choice the message names, not negated, at a question whose every choice leads
        straight to a result (the goal: 「投稿を消して、嫌がらせもやめてほしい」 is 「消してほしい」 and
        「やめさせたい」; it was read as the one only, found by edges8): its slot value, kept so that the
        result offers it (「「消してほしい」も相談する」, :meth:`_other_harm`), as a second wish typed under
        the result is; None when the message names no other one, or two, or one that leads where
        ``taken`` does. Not at the flow's harm question (two harms there are asked about)."""
        f = self._flow(s)
        st = f.states[s.state]
        choices = st.choices or []
        m = self.understanding(s.flow_id).matchers.get(s.state)
        if m is None or st.save_as is None or (f.after is not None and f.after.again == s.state) \
                or not all(f.states[x].kind == "refer" for c in choices for x in c.targets()):
            return None
        named = {h.choice for h in m.hits(a) if not h.negated and h.weight >= 1.0}
        target = taken.target(s.slots)
        others = [choices[i] for i in sorted(named) if choices[i] is not taken and not choices[i].means_no
                  and not choices[i].catch_all and choices[i].target(s.slots) != target]
        return others[0].slot_value if len(others) == 1 else None

    def _keep(self, s: Session, found: Mapping[str, tuple[str, str]]) -> list[str]:
        """Store answers to later questions (never over a slot already answered); returns what
        to repeat back for each, also one said again (「死ねって言われた」 after 「消えろって言われた」:
        understood, not 「答えがわかりませんでした」)."""
        labels: list[str] = []
        f = self._flow(s)
        kept = [(slot, value, sid) for slot, (value, sid) in found.items() if slot not in s.slots]
        for slot, value, _ in kept:
            s.prefill[slot] = value
        # repeated back only for a question still ahead: with 「悪口」 kept, the intimate-images
        # question's 「ネットに載せられた」 is stored but not said ("Insults or lies" and "Posted online")
        ahead = reachable(f, s.state, {**s.prefill, **s.slots}) if len(kept) > 1 else None
        if ahead is not None and not any(sid in ahead for _, _, sid in kept):
            ahead = None  # never nothing to say back
        for _, value, sid in kept:
            if ahead is None or sid in ahead:
                labels.append(self._value_label(s, f.states[sid], value))
        return labels

    @staticmethod
    def _kept_note(s: Session, labels: Sequence[str], raw: str, norm: str) -> str:
        """「「悪口・うそを書かれた」は、あとの質問の答えとして受け取りました…」 for the ``labels`` kept from a
        message (``raw``, normalised ``norm``); after the warm words when it carries a feeling
        (「SNSで悪口を書かれてつらい」: :func:`~bot.nlu.feelings.is_feeling`)."""
        loc = s.locale
        key = "engine.kept" if len(labels) == 1 else "engine.kept_many"  # each label in its own quotes
        note = t(key, loc, labels=quoted_list(labels, loc))
        if is_feeling(raw, norm):
            note = t("engine.feeling", loc) + ("" if loc == "ja" else " ") + note
        return note

    def _value_label(self, s: Session, st: State, value: str) -> str:
        name = self.understanding(s.flow_id).place_name(value, s.locale) if value.startswith("JP-") else None
        if name:
            return name
        ch = next((c for c in st.choices or [] if c.slot_value == value or c.id == value), None)
        return pick(ch.label, s.locale) if ch else value

    def _ask_again(self, s: Session, st: State, offered: Sequence[Choice] | None) -> list[Reply]:
        """The question again; with ``offered``, only those choices (numbered from 1)."""
        if offered is None or st.ask is None:
            return self._show(s, st, None)
        views = tuple(ChoiceView(c.id, pick(c.label, s.locale)) for c in offered)
        s.clarify = [c.id for c in offered]
        return [Ask(pick(st.ask, s.locale), views, s.state, s.conversation_id)]

    @staticmethod
    def _match_views(views: Sequence[ChoiceView], norm: str, n: int | None) -> ChoiceView | None:
        """The button under a result that ``norm`` (the normalised message) picks: its number ``n``
        (the message as a number, :func:`~bot.engine.text.parse_number`: 「2」「１番」「⑵」 as at a
        question; the breaker found 「１番」 not understood there), else the one label it begins."""
        if n is not None:
            return views[n - 1] if 1 <= n <= len(views) else None
        hits = [v for v in views if normalize(v.label).startswith(norm) and norm]
        return hits[0] if len(hits) == 1 else None

    def _next_of(self, s: Session) -> str | None:
        st = self._flow(s).states.get(s.state)
        return st.next if st is not None and st.kind == "refer" else None

    def _other_harm(self, s: Session) -> tuple[int, Choice, Choice, str] | None:
        """At a result: another harm the person's messages named, whose question this path never
        reached (「写真ばらすぞ」 kept as 「「ばらす」と脅されている」 on the way to the stalking result).

        Returns ``(i, other, taken, said)``: ``s.history[i]`` is the question where the paths part,
        ``other`` its one choice that leads to the kept answer's question, ``taken`` the choice
        taken there, ``said`` the kept answer's label; None when nothing is kept, or the kept
        answer is reachable by the path taken, or by several choices (e.g. 「やめさせたい」, a goal
        many paths ask). Derived from the session, never stored."""
        if not s.prefill or self._flow(s).states[s.state].kind != "refer":
            return None
        f = self._flow(s)
        asks = {st.save_as: sid for sid, st in f.states.items() if st.save_as}
        for i in range(len(s.history) - 1, -1, -1):
            h = s.history[i]
            st = f.states.get(h.state)
            taken = next((c for c in (st.choices or []) if c.id == h.choice), None) if st is not None else None
            if st is None or taken is None:
                continue
            def reaches(c: Choice, sid: str, h: HistoryEntry = h, st: State = st) -> bool:
                known = {**h.slots, **({st.save_as: c.slot_value} if st.save_as else {})}
                return sid in reachable(f, c.target(known), known, through_results=False)
            for slot, value in s.prefill.items():
                sid = asks.get(slot)
                if sid == h.state and value != s.slots.get(slot):
                    # this very question answered otherwise later (another harm typed at the result)
                    other = self._known_choice(st, value)
                    if other is not None and other is not taken:
                        return i, other, taken, self._value_label(s, st, value)
                    continue
                if sid is None or reaches(taken, sid):
                    continue
                others = [c for c in st.choices or [] if c is not taken and not c.means_no and reaches(c, sid)]
                if len(others) == 1:
                    return i, others[0], taken, self._value_label(s, f.states[sid], value)
        return None

    def _also(self, s: Session, now: dt.datetime, pre: list[Reply]) -> Outcome:
        """「「性的な画像・動画」も相談する」 under a result (:meth:`_other_harm`): back to the question
        where the paths part and on with the other choice; what was answered after it is kept for
        the questions ahead (confirmed, not asked again, where a question may skip)."""
        found = self._other_harm(s)
        assert found is not None
        i, other, _taken, _said = found
        return self._rewind(s, i, other, {}, now, pre)

    # ------------------------------------------------------------ typed under a result

    def _after_result(self, s: Session, raw: str, a: Analysis, norm: str, now: dt.datetime,
                      pre: list[Reply]) -> Outcome:
        """A message typed under a result that is none of its buttons (DESIGN.md §9: no
        misunderstanding ends a conversation). In this order: the phone does not connect or
        cannot be used (the windows a person answers now); another harm (back to the flow's
        ``after.again`` question and on with it); another answer to a question this path asked
        (「書き込みを消したい」 after 「やめさせたい」: back there and on with it), or a wish this path
        did not ask; 「他にも相談したい」; thanks; else more of the story (where they will be heard)
        or, for a feeling or emoji alone, the warm reply of :meth:`_no_match`."""
        loc = s.locale
        u = self.understanding(s.flow_id)
        f = self._flow(s)
        if asks_to_tell_nobody(raw):  # not 「電話がつながらない」 (「誰にも」 was read as 「誰も出ない」)
            return self._finish(s, [*pre, Say(t("engine.tell_nobody", loc)), self._result_ask(s, now)], now)
        intent = u.after(a)
        if intent in ("busy", "no_call"):
            if intent == "no_call":
                s.slots[REACH] = "text"
            return self._finish(s, [*pre, *self._other_windows(s, now, no_call=intent == "no_call"),
                                    self._result_ask(s, now)], now)
        # what the message answers, as anywhere else; a feeling (「つらい」, the catch-all 「ただつらい」) is
        # no other harm: the warm reply of _no_match
        # (an adult's words read as an adult's: 「いじめられてる」 is 「しつこい嫌がらせ」 here too)
        extracted = self._extract(u, a, s.slots) if u.skippable else {}
        kept = {slot: (value, sid) for slot, (value, sid) in extracted.items()
                if not getattr(self._known_choice(f.states[sid], value), "catch_all", False)}
        found = {slot: value for slot, (value, _) in kept.items()}
        after = f.after
        again = self._again_question(f)
        harm = self._another_harm(s, extracted)
        if harm is not None:
            # another harm (「住所も晒された」 after 「悪口」): that consultation, with who the person
            # is and where they live kept
            slot, ch = harm
            said = {k: v for k, v in found.items() if k != slot}
            note = Say(t("engine.understood", loc, label=pick(ch.label, loc)))
            return self._again(s, ch, said, now, [*pre, note])
        on_path = self._earlier(s, kept)
        changed = [(i, slot, value) for i, slot, value in on_path if s.slots.get(slot) != value]
        if changed:
            i, slot, value = changed[0]
            st = f.states[s.history[i].state]
            answer = self._known_choice(st, value)
            if answer is not None:
                note = Say(t("engine.understood", loc, label=self._value_label(s, st, value)))
                later = {k: v for _, k, v in changed[1:]}
                return self._rewind(s, i, answer, later, now, [*pre, note])
        if on_path:
            i, slot, value = on_path[0]
            st = f.states[s.history[i].state]
            return self._finish(s, [*pre, Say(t("engine.after_same", loc, label=self._value_label(s, st, value))),
                                    self._result_ask(s, now)], now)
        keep = set(after.keep) if after is not None else set()
        wishes = [(slot, value) for slot, value in found.items()
                  if slot not in keep and (again is None or slot != again.save_as)]
        for slot, _value in wishes:
            implied = self._implied_harm(s, slot)
            if implied is not None:
                # 「裸の写真を載せられた」 after 「悪口」: the answer of a question only that harm asks
                note = Say(t("engine.understood", loc, label=pick(implied.label, loc)))
                return self._again(s, implied, found, now, [*pre, note])
        if wishes:
            slot, value = wishes[0]
            st = f.states[kept[slot][1]]
            return self._finish(s, [*pre, Say(t("engine.after_covered", loc, label=self._value_label(s, st, value))),
                                    self._result_ask(s, now)], now)
        if intent == "more":
            return self._again(s, None, {}, now, [*pre, Say(t("engine.after_more", loc))])
        if intent == "thanks":
            return self._finish(s, [*pre, Say(t("engine.after_thanks", loc)), self._result_ask(s, now)], now)
        if _tells_more(raw, norm):
            # more of the story (「みんなに無視されてる」 under a bullying result): not 「答えがわかり
            # ませんでした」 at the moment a person opens up, but where they will be heard (routing.md §2.8)
            return self._finish(s, [*pre, Say(t("engine.after_told", loc)), self._result_ask(s, now)], now)
        return self._no_match(s, raw, norm, now, pre)

    @staticmethod
    def _again_question(f: Flow) -> State | None:
        """The flow's ``after.again`` question (the harm question), or None when it names none."""
        return f.states.get(f.after.again) if f.after is not None and f.after.again else None

    def _another_harm(self, s: Session, found: Mapping[str, tuple[str, str]]) -> tuple[str, Choice] | None:
        """The slot of the flow's ``after.again`` question and its choice for another harm than the
        one answered, when ``found`` (:meth:`Understanding.extract` of a message) names one — not
        the catch-all (「つらい」 is how it feels, not another harm)."""
        st = self._again_question(self._flow(s))
        if st is None or st.save_as is None or st.save_as not in found:
            return None
        ch = self._known_choice(st, found[st.save_as][0])
        if ch is None or ch.catch_all or ch.slot_value == s.slots.get(st.save_as):
            return None
        return st.save_as, ch

    def _implied_harm(self, s: Session, slot: str) -> Choice | None:
        """The one choice of the flow's ``after.again`` question whose paths alone ask the question
        saving ``slot`` (「ネットに載せられた」 of the intimate-images question: 「性的な画像・動画」), when
        it is another harm than the one answered; None for a question several harms ask (the goal)."""
        f = self._flow(s)
        st = self._again_question(f)
        sid = self._question_of(f, slot)
        if st is None or sid is None or st.save_as is None or f.after is None or f.after.again is None:
            return None
        ch = self.understanding(s.flow_id).sole_way(f.after.again, sid)
        return None if ch is None or ch.slot_value == s.slots.get(st.save_as) else ch

    @staticmethod
    def _question_of(f: Flow, slot: str) -> str | None:
        """The ``skip_if_known`` question that saves ``slot`` (:meth:`Understanding.extract`'s)."""
        return next((sid for sid, st in f.states.items() if st.skip_if_known and st.save_as == slot), None)

    def _rewind(self, s: Session, i: int, ch: Choice, said: Mapping[str, str], now: dt.datetime,
                pre: list[Reply]) -> Outcome:
        """Back to the question answered at ``s.history[i]`` and on with ``ch``: the answers given
        after it are kept for the questions ahead (confirmed, not asked again, where a question
        may skip; an answer already kept for later wins), and so is ``said`` (what the same
        message also answered)."""
        f = self._flow(s)
        later = {st.save_as: s.slots[st.save_as] for h in s.history[i + 1:] for st in [f.states.get(h.state)]
                 if st is not None and st.save_as and st.save_as in s.slots}
        entry = s.history[i]
        del s.history[i:]
        s.state, s.slots = entry.state, {**entry.slots, **_own(s.slots)}
        for slot, value in self._ahead(s, ch, later).items():
            s.prefill.setdefault(slot, value)
        s.prefill.update(said)
        for slot in s.slots:
            s.prefill.pop(slot, None)
        return self._apply(s, ch, now, pre)

    def _ahead(self, s: Session, ch: Choice, answers: Mapping[str, str]) -> dict[str, str]:
        """Of ``answers`` (slot → value, answered on the path left), those whose question is still
        ahead when the current question (``s.state``) is answered with ``ch``: an answer kept for
        a question the new path never asks would be taken for another harm under its result
        (「それ以外の道府県」とも書かれていたので… after 「友達のことです」 went to the friends' result)."""
        f = self._flow(s)
        st = f.states[s.state]
        known = {**s.slots, **({st.save_as: ch.slot_value} if st.save_as else {})}
        ahead = reachable(f, ch.target(known), {**answers, **known}, through_results=False)
        asks = {x.save_as for sid, x in f.states.items() if sid in ahead and x.save_as}
        return {k: v for k, v in answers.items() if k in asks}

    def _again(self, s: Session, ch: Choice | None, said: Mapping[str, str], now: dt.datetime,
               pre: list[Reply]) -> Outcome:
        """Another consultation from a result: back to the flow's ``after.again`` question (the
        harm question) and on with ``ch`` (the harm the message named), or the question itself
        (「他にも相談したい」). Who the person is (answered before it) stays; of the answers after
        it, those of ``after.keep`` (where they live) are kept for the questions ahead, not what
        they wanted for the first harm. A path that never asked it (the emergency result) goes on
        with the result's ``next`` (「相談を続ける」), else starts again with those answers kept."""
        f = self._flow(s)
        after = f.after
        assert after is not None and after.again is not None
        keep = {k: v for k, v in s.slots.items() if k in after.keep}
        at = next((i for i, h in enumerate(s.history) if h.state == after.again), None)
        if at is None:
            if self._next_of(s) is None:
                s = self.new_session(now, s.flow_id, s.locale, s)
            s.prefill.update({**keep, **said, **({f.states[after.again].save_as or "": ch.slot_value} if ch else {})})
            if self._next_of(s) is not None:
                return self._continue(s, now, pre)
            return self._finish(s, [*pre, *self._enter(s, s.state, now)], now)
        entry = s.history[at]
        del s.history[at:]
        s.state, s.slots = entry.state, {**entry.slots, **_own(s.slots)}
        if ch is not None:
            keep = self._ahead(s, ch, keep)
        s.prefill.update({k: v for k, v in {**keep, **said}.items() if k not in s.slots})
        if ch is not None:
            return self._apply(s, ch, now, pre)
        return self._finish(s, [*pre, *self._show(s, f.states[s.state], now)], now)

    def _other_windows(self, s: Session, now: dt.datetime, *, no_call: bool) -> list[Reply]:
        """「電話がつながらない」「電話できない」 under a result: the windows that take contact now (open
        or 24 hours) — the result's own, the flow's 24-hour lines, the national windows open now
        for the same situations — a person answers first; with ``no_call``, those reached by
        chat, LINE, a form or mail first. Only what the directory says (numbers, addresses, hours)."""
        loc = s.locale
        f = self._flow(s)
        st = f.states[s.state]
        assert st.refer is not None
        w = self.windows(s, st.refer, now)
        adult = _adult(s.slots)
        mine = [*w.shown, *w.rest]
        main = {c.topics[0] for c, _ in mine} - {Topic.EMG}  # what the result's windows are for
        lines = [(c, x) for c, x in self.directory.order(f.fallback, now) if x.is_staffed and Topic.EMG not in c.topics][:1]
        crisis = self._crisis[s.flow_id]
        if no_call and crisis is not None:  # the 24-hour chat of the crisis reply (あなたのいばしょ)
            lines += [(c, x) for c, x in self.directory.order(crisis.contacts, now)
                      if x.is_staffed and written(c) and Topic.EMG not in c.topics]
        pool = [*mine, *lines, *((c, x) for c, x in self.directory.search(open_now=True, now=now)
                                 if not c.eligibility.regions and c.topics[0] in main)]
        seen: set[str] = set()
        found: list[tuple[Contact, Status]] = []
        for c, x in self._for_locale(pool, loc):
            if c.id in seen or not x.is_available or (adult and c.eligibility.max_age is not None
                                                       and c.eligibility.max_age < 18):
                continue
            seen.add(c.id)
            found.append((c, x))
        def by_text(cs: tuple[Contact, Status]) -> tuple[int, int]:
            c, x = cs
            return (0 if written(c) and x.is_staffed else 1 if written(c) else 2, rank(x))
        pupil = _pupil(s.slots)

        def key(cs: tuple[Contact, Status]) -> tuple[int, ...]:  # a pupil's lines first among equals
            young = 0 if not pupil or youth_line(cs[0]) or Topic.EMG in cs[0].topics else 1
            return (*by_text(cs), young) if no_call else (rank(cs[1]), young)

        found.sort(key=key)
        found = found[:MAX_OTHER_WINDOWS]
        if not found:
            c = self.directory.fallback(now)
            found = [(c, self.directory.status(c, now))]
        some_written = any(written(c) for c, _ in found)
        if no_call:
            text = t("engine.after_no_call", loc) + t("engine.after_written_first" if some_written
                                                      else "engine.after_written_none", loc)
        else:
            text = t("engine.after_busy", loc) + (t("engine.after_written_too", loc) if some_written else "")
        return [Refer(text, tuple(ContactView(c, x, now) for c, x in found), state_id=OTHER_WINDOWS)]

    def _continue(self, s: Session, now: dt.datetime, pre: list[Reply]) -> Outcome:
        """From a result with ``next`` (e.g. the emergency result) on to that question."""
        target = self._next_of(s)
        assert target is not None
        s.history.append(HistoryEntry.of(s.state, CONTINUE, dict(s.slots)))
        return self._finish(s, [*pre, *self._enter(s, target, now)], now)

    def _apply(self, s: Session, ch: Choice, now: dt.datetime, pre: list[Reply], value: str | None = None,
               extra: Mapping[str, str] | None = None, second: str | None = None) -> Outcome:
        return self._finish(s, [*pre, *self._go_on(s, self._flow(s).states[s.state], ch, value, now, extra, second)],
                            now)

    def _enter(self, s: Session, state_id: str, now: dt.datetime) -> list[Reply]:
        f = self._flow(s)
        out: list[Reply] = []
        sid = state_id
        for _ in range(len(f.states) + 1):
            *says, sid = f.say_chain(sid)
            if says:
                out.extend(Say(pick(f.states[x].say or {}, s.locale)) for x in says)
            st = f.states[sid]
            known = s.prefill.pop(st.save_as, None) if st.skip_if_known and st.save_as else None
            ch = self._known_choice(st, known) if known is not None else None
            if ch is not None and known is not None and st.save_as is not None:
                # answered in an earlier message: confirm it instead of asking again
                s.history.append(HistoryEntry.of(sid, ch.id, dict(s.slots)))
                s.slots[st.save_as] = known
                out.append(Say(t("engine.understood", s.locale, label=self._value_label(s, st, known))))
                sid = ch.target(s.slots)
                continue
            break
        s.state = sid
        return out + self._show(s, f.states[sid], now)

    @staticmethod
    def _known_choice(st: State, value: str) -> Choice | None:
        choices = st.choices or []
        for c in choices:
            if c.id == value or c.slot_value == value:
                return c
        if value.startswith("JP-"):
            return Understanding.region_choice(choices, value, value.split("/")[0])
        return None

    def _reask(self, s: Session, now: dt.datetime) -> list[Reply]:
        st = self._flow(s).states[s.state]
        if st.kind == "refer":
            return [self._result_ask(s, now)]
        return self._show(s, st, now)

    def _show(self, s: Session, st: State, now: dt.datetime | None) -> list[Reply]:
        loc = s.locale
        if st.kind == "ask":
            assert st.ask is not None and st.choices is not None
            shown = self._asks.get((id(st), loc))
            if shown is None or shown[0] is not st:  # the question's text and buttons, made once per locale
                shown = self._asks[(id(st), loc)] = (st, pick(st.ask, loc), tuple(
                    ChoiceView(c.id, pick(c.label, loc)) for c in st.choices))
            return [Ask(shown[1], shown[2], s.state, s.conversation_id)]
        assert st.refer is not None and now is not None
        also = self._other_harm(s)
        note = [Say(t("engine.also_note", loc, taken=pick(also[2].label, loc), other=pick(also[1].label, loc),
                      said=also[3]))] if also else []
        w = self.windows(s, st.refer, now)
        return [*self._refer(s, st.refer, now, st.urgency, w), *note, self._result_ask(s, now, len(w.rest))]

    def _refer(self, s: Session, spec: ReferSpec, now: dt.datetime, urgency: str | None = None,
               windows: Windows | None = None) -> list[Reply]:
        """The result: a :class:`Refer` with the windows shown at first (:meth:`windows`), plus a
        note when a 24-hour line had to be added because none of the result's windows can be
        reached now."""
        w = windows or self.windows(s, spec, now)
        loc = s.locale
        views = tuple(ContactView(c, st, now) for c, st in w.shown)
        return [Refer(pick(spec.text, loc), views, tuple(pick(t, loc) for t in spec.steps), urgency=urgency,
                      state_id=s.state), *w.note]

    def windows(self, s: Session, spec: ReferSpec, now: dt.datetime) -> Windows:
        """The windows of the result ``spec`` for session ``s`` at ``now``: the 2–3 that fit
        shown first, the others one button away (routing.md §0: 「at each step show at most 2–3
        windows, open now first」).

        Windows: the result's ``contacts`` (in routing.md's order, as the flow lists them) and,
        with ``local``, the directory's windows for the ``region`` slot (at most ``local.max``);
        when none of them has a person answering now, the flow's first 24-hour ``fallback`` line
        (with a note). Order: the result's ``lead`` windows unless closed; then surely reachable
        now → takes messages now → hours unknown now → closed (:func:`bot.contacts.directory.rank`);
        among equals, in another locale than Japanese the windows that take the user's language
        first, then for a pupil the children's lines (and emergency numbers) before the others,
        then the region's windows before the national ones while reachable now (after them when
        their hours are unknown or they are closed), then the flow's order. Shown first: the first
        :data:`MAX_SHOWN` of that order with at most :data:`MAX_LOCAL_SHOWN` local window and none
        whose first number a window shown already has, the added 24-hour line always.

        Raises:
            KeyError: for a contact id missing from the directory (the loader rejects those).
        """
        loc = s.locale
        ids = list(spec.contacts)
        local: set[str] = set()
        if spec.local is not None:
            found = [c.id for c in self.directory.local(s.slots.get("region"), spec.local.topics,
                                                        also=spec.local.also, adult=_adult(s.slots))]
            added = [c for c in found if c not in ids][:spec.local.max]
            local = set(added)
            ids = [*added, *ids]
        ordered = self._for_locale(self.directory.order(ids, now), loc)
        note: list[Reply] = []
        extra_id: str | None = None
        if not any(st.is_staffed for _, st in ordered):  # nobody answers any of them now
            f = self._flow(s)
            extra = [(c, st) for c, st in self.directory.order(f.fallback, now) if st.is_staffed and c.id not in ids]
            if not extra:
                c = self.directory.fallback(now)
                extra = [(c, self.directory.status(c, now))]
            ordered = [*ordered, extra[0]]
            extra_id = extra[0][0].id
            note = [Say(t("engine.fallback_note", loc, name=pick(extra[0][0].name, loc)))]
        lead = [i for i in spec.lead]
        pupil = _pupil(s.slots)
        no_call = s.slots.get(REACH) == "text"

        def key(item: tuple[int, tuple[Contact, Status]]) -> tuple[int, int, int, int, int, int, int]:
            i, (c, st) = item
            led = lead.index(c.id) if c.id in lead and st.kind is not StatusKind.CLOSED else len(lead)
            # 「電話できない」 said: the windows reached by chat, LINE, a form or mail now first
            text = 0 if not no_call or (written(c) and st.is_available) else 1
            spoken = 0 if loc == "ja" or loc in c.languages else 1
            young = 0 if not pupil or youth_line(c) or Topic.EMG in c.topics else 1
            r = rank(st)
            # the region's window first while it is reachable (the region question promised it),
            # after the national ones when its hours are unknown or it is closed
            place = (0 if c.id in local else 1) if r <= 1 else (1 if c.id in local else 0)
            return (led, text, r, spoken, young, place, i)

        full = [cs for _, cs in sorted(enumerate(ordered), key=key)]
        shown: list[tuple[Contact, Status]] = []
        rest: list[tuple[Contact, Status]] = []
        numbers: set[str] = set()
        n_local = 0
        for cs in full:
            c = cs[0]
            is_local = c.id in local
            # a window reached by a number already shown (Tokyo's NaNa answers #8891 from Tokyo) waits
            same = bool(c.phones) and c.phones[0].number in numbers
            if len(shown) < MAX_SHOWN and not same and not (is_local and n_local >= MAX_LOCAL_SHOWN):
                shown.append(cs)
                numbers.update(p.number for p in c.phones)
                n_local += is_local
            else:
                rest.append(cs)
        if extra_id is not None and all(c.id != extra_id for c, _ in shown):  # the added line is always seen
            moved = next(cs for cs in rest if cs[0].id == extra_id)
            rest.remove(moved)
            rest.insert(0, shown.pop())
            shown.insert(0, moved)
        if no_call and any(written(c) and st.is_available for c, st in shown):
            note = [*note, Say(t("engine.text_first", loc))]
        return Windows(shown, rest, note)

    @staticmethod
    def _for_locale(ordered: list[tuple[Contact, Status]], loc: str) -> list[tuple[Contact, Status]]:
        """Windows that serve only people who do not speak Japanese (``languages`` without ``ja``)
        are left out in Japanese. In another locale, windows that take the user's language come
        first among windows equally reachable now (:func:`bot.contacts.directory.rank`): a closed
        English line never stands before a 24-hour one (routing.md: open now first)."""
        if loc == "ja":
            return [(c, st) for c, st in ordered if not c.languages or "ja" in c.languages]
        return sorted(ordered, key=lambda cs: (rank(cs[1]), loc not in cs[0].languages))

    def _result_choices(self, s: Session, now: dt.datetime, more: int | None = None) -> tuple[ChoiceView, ...]:
        """The buttons under a result: 「相談を続ける」 first when the result has ``next``, then
        「「…」も相談する」 (another harm said), 「ほかの窓口（N件）」 when the result has windows not
        shown at first (``more``: their number, computed at ``now`` when None), then back, restart,
        stop."""
        loc = s.locale
        base = (ChoiceView(":back", t("engine.choice_back", loc)), ChoiceView(":restart", t("engine.choice_restart", loc)),
                ChoiceView(":stop", t("engine.choice_stop", loc)))
        also = self._other_harm(s)
        extra = (ChoiceView(ALSO, t("engine.choice_also", loc, label=pick(also[1].label, loc))),) if also else ()
        if more is None:
            st = self._flow(s).states.get(s.state)
            more = len(self.windows(s, st.refer, now).rest) if st is not None and st.refer is not None else 0
        if more:
            extra = (*extra, ChoiceView(MORE_WINDOWS, t("engine.choice_more", loc, n=more)))
        if self._next_of(s) is not None:
            return (ChoiceView(CONTINUE, t("engine.choice_continue", loc)), *extra, *base)
        return (*extra, *base)

    def _result_ask(self, s: Session, now: dt.datetime, more: int | None = None) -> Ask:
        return Ask(t("engine.result_next", s.locale), self._result_choices(s, now, more), s.state, s.conversation_id)

    def _more(self, s: Session, now: dt.datetime, pre: list[Reply]) -> Outcome:
        """「ほかの窓口」 under a result: the windows not shown at first (:meth:`windows`), then the
        result's menu again (the same buttons, so a typed number picks what it picked before)."""
        st = self._flow(s).states[s.state]
        assert st.refer is not None
        rest = self.windows(s, st.refer, now).rest
        if not rest:
            return self._finish(s, [*pre, Say(t("engine.more_none", s.locale)), self._result_ask(s, now, 0)], now)
        listing = Refer(t("engine.more_windows", s.locale, n=len(rest)), tuple(ContactView(c, x, now) for c, x in rest),
                        state_id=MORE_WINDOWS)
        return self._finish(s, [*pre, listing, self._result_ask(s, now, len(rest))], now)
