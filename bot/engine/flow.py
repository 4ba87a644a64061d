"""Flow model (``flows/*.yaml``) and its strict, cross-checked loading.

A flow is a finite-state screening conversation: ``ask`` states with choices, ``say`` states
that move on, and ``refer`` states that name contacts of the directory. See DESIGN.md §3 and
docs/writing-flows.md.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.contacts.model import Topic
from bot.errors import FlowError, Problem
from bot.i18n import LOCALES, Text
from bot.yamlload import Located, iter_pydantic_errors, load_file
from bot.yamlload import nearest as _nearest

if TYPE_CHECKING:
    from bot.engine.types import HistoryEntry

__all__ = ["URGENCIES", "After", "AfterCue", "AfterIntent", "Branch", "Choice", "Crisis", "DangerReply", "Flow", "FlowError", "LoadedFlow", "LocalSpec", "ReferSpec", "State",
           "Urgency", "is_result", "load_flow", "load_flows", "reachable"]

Urgency = Literal["immediate", "high", "normal"]
"""How soon a person routed to a result should reach someone (DESIGN.md §11, PLAN contract 4):

- ``immediate``: life or safety at stake now (110/119, suicidal thoughts, sexual assault within
  72 hours — the safety triage of ``shared/domain/routing.md`` §1). The crisis reply is always
  ``immediate``.
- ``high``: harm that grows by the hour (threats, stalking, intimate images posted or threatened,
  account takeover): act today.
- ``normal``: everything else (defamation, harassment, advice, someone to listen to).
"""

URGENCIES: tuple[Urgency, ...] = ("immediate", "high", "normal")
"""Every urgency, most urgent first."""

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

CONTINUE = ":continue"
"""Choice id of 「相談を続ける」 under a result that has ``next`` (the ``:`` marks the engine's own)."""


def _check_id(v: str, what: str) -> str:
    if not _ID.match(v):
        raise ValueError(f"{what} {v!r} must use lower-case letters, digits, '_' or '-'")
    return v


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Branch(_Strict):
    """One conditional target of a choice: go ``to`` when every slot in ``when`` matches.

    ``when`` maps a slot name to a choice id or a list of choice ids; a branch without
    ``when`` is the default and must come last.
    """

    when: dict[str, str | list[str]] | None = None
    to: str


def slot_matches(value: str | None, wanted: str | list[str]) -> bool:
    """Whether a slot value satisfies a ``when`` condition: equal to the value (or one of a list);
    a city region code also satisfies its prefecture (``JP-10/shibukawa`` matches ``JP-10``)."""
    if value is None:
        return False
    for w in [wanted] if isinstance(wanted, str) else wanted:
        if value == w or (w.startswith("JP-") and value.startswith(w + "/")):
            return True
    return False


class Choice(_Strict):
    """A choice of an ``ask`` state.

    Attributes:
        id: stable id (stored in sessions, sent in postbacks).
        label: the button text.
        keywords: words that select this choice when typed (any language; matched after
            normalisation: NFKC, kana folding, no spaces or punctuation).
        examples: whole answers as people type them (「クラスのLINEで悪口を書かれてる」): the matcher's
            data. ``soudan validate`` checks that each one is read as this choice.
        adult_keywords: words that mean this choice, and no other choice of the question, when the
            person is known to be 18 or over (``who: adult`` or a stated age of 18+): an adult's
            「いじめられてる」 is 「しつこい嫌がらせ」, not 「学校でのネットいじめ」 (whose keyword it stays for
            everyone else).
        ages: ``[youngest, oldest]`` (years, inclusive): an answer such as 「15歳」, 「中2」 or
            "I'm 15" selects this choice.
        means_no: the "none of these" choice: ordinary ways of saying no (「ないっす」「違います」
            「いまは平気」) and answers that deny the other choices (「危ない目にはあってません」) pick it.
        catch_all: a choice for when nothing else fits (「ただつらい・話したい」): its keywords and
            examples count only when the message names no other choice of the question, so
            「SNSで悪口を書かれてつらい」 is 悪口, while 「つらい」 alone is this choice.
        on_crisis: ``self`` (suicide, self-harm), ``danger`` (threatened now) or ``injured`` (an
            overdose or a self-inflicted injury that has already happened): after the crisis reply
            to such a message at this question, the conversation goes on with this choice instead
            of asking the question again. An ``injured`` message goes on with the ``self`` choice
            when the question has no ``injured`` one, and then with the next question's
            ``injured`` choice if it has one (the safety question → 「けが・薬を飲みすぎた」).
        regions: region codes this choice stands for (``JP-13``, ``JP-10/shibukawa``; ``"*"`` for
            any other place): a place typed at this question picks the choice, and the question's
            slot stores the region code (PLAN.md contract 2).
        value: what ``save_as`` stores in the slot instead of the id, e.g. a region code
            (``JP-13``, ``JP-10/shibukawa``; PLAN.md contract 2) — ids cannot hold upper case
            or ``/``. None: the id is stored (or the first of ``regions``).
        goto: a state id, or a list of :class:`Branch`.
    """

    id: str
    label: Text
    keywords: list[str] = Field(default_factory=list)
    examples: list[str] = Field(default_factory=list)
    adult_keywords: list[str] = Field(default_factory=list)
    ages: tuple[int, int] | None = None
    value: str | None = None
    means_no: bool = False
    catch_all: bool = False
    on_crisis: Literal["self", "danger", "injured"] | None = None
    regions: list[str] = Field(default_factory=list)
    goto: str | list[Branch]

    @property
    def slot_value(self) -> str:
        """What ``save_as`` stores when this choice is picked by button or number: :attr:`value`,
        else its first region code (``"*"`` aside), else its id."""
        if self.value is not None:
            return self.value
        return next((r for r in self.regions if r != "*"), self.id)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return _check_id(v, "choice id")

    @field_validator("ages")
    @classmethod
    def _ages(cls, v: tuple[int, int] | None) -> tuple[int, int] | None:
        if v is not None and not (0 <= v[0] <= v[1] <= 120):
            raise ValueError("ages must be [youngest, oldest], whole years from 0 to 120, youngest first")
        return v

    @field_validator("goto")
    @classmethod
    def _goto(cls, v: str | list[Branch]) -> str | list[Branch]:
        if isinstance(v, list):
            if not v:
                raise ValueError("goto list is empty; give at least a default branch {to: STATE}")
            if v[-1].when is not None:
                raise ValueError("the last branch of goto must be the default: {to: STATE} without `when`")
            if any(b.when is None for b in v[:-1]):
                raise ValueError("only the last branch of goto may omit `when`")
        return v

    def target(self, slots: Mapping[str, str]) -> str:
        """The state this choice leads to with these slot values: the first branch whose
        ``when`` matches (a slot equal to the value, or to one of a list), else the default."""
        if isinstance(self.goto, str):
            return self.goto
        for br in self.goto:
            if br.when is None or all(slot_matches(slots.get(k), v) for k, v in br.when.items()):
                return br.to
        return self.goto[-1].to

    def targets(self) -> list[str]:
        """Every state this choice can lead to."""
        return [self.goto] if isinstance(self.goto, str) else [b.to for b in self.goto]


class LocalSpec(_Strict):
    """Local windows a result adds from the directory (regions as data).

    Attributes:
        topics: situation codes; a directory entry is added when its main (first) topic is listed
            here and its ``eligibility.regions`` matches the ``region`` slot (a prefecture code
            serves every city in it, a city code only that city — PLAN.md contract 1). Adding a
            prefecture's window is then one directory entry and no flow change.
        also: situation codes matched against *any* of an entry's topics (e.g. ``[DIS]``: the
            Gunma window, whose main topic is defamation, also listens to people in distress).
        max: at most this many local windows are added (default 3).
    """

    topics: list[Topic] = Field(default_factory=list)
    also: list[Topic] = Field(default_factory=list)
    max: int = Field(3, ge=1, le=6)

    @model_validator(mode="after")
    def _some(self) -> LocalSpec:
        if not self.topics and not self.also:
            raise ValueError("local needs `topics` (main topics) or `also` (any topic), e.g. {topics: [DEF]}")
        return self


class ReferSpec(_Strict):
    """A result: lead text, contact ids (2–4 recommended) and next steps.

    Attributes:
        text, contacts, steps: the lead text, directory ids and next steps.
        local: local windows to add by the ``region`` slot (:class:`LocalSpec`), or None.
        lead: the windows the text is about (e.g. the one-stop centres: Tokyo's NaNa, then the
            national #8891), in order: those offered and not closed at that time are listed
            first. Directory ids (a local window may be one).
    """

    text: Text
    contacts: list[str] = Field(min_length=1)
    steps: list[Text] = Field(default_factory=list)
    local: LocalSpec | None = None
    lead: list[str] = Field(default_factory=list)


class State(_Strict):
    """A state: exactly one of ``ask`` (with ``choices``), ``say`` (with ``next``) or ``refer``.

    Attributes:
        skip_if_known: (``ask`` with ``save_as``) when an earlier message already said the answer
            (「高2です。クラスのLINEで悪口を…」 answers who and what), the question is not asked:
            the answer is confirmed (「〜として進めます。違うときは「戻る」」) and the conversation goes on.
        next: for ``say``, the state to go to; for ``refer``, the question a person can continue
            with after this result (「相談を続ける」), e.g. after the emergency result.

    A ``refer`` state also declares its ``urgency`` (:data:`Urgency`; ``soudan validate``
    requires it — it is optional in the model only so that small test flows stay short), and
    may say ``handoff: true``: the result then offers the platform's team of people while it is
    open (see :mod:`bot.engine.handoff`).
    """

    urgency: Urgency | None = None
    handoff: bool = False
    ask: Text | None = None
    choices: list[Choice] | None = None
    save_as: str | None = None
    skip_if_known: bool = False
    say: Text | None = None
    next: str | None = None
    refer: ReferSpec | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> State:
        kinds = [k for k in ("ask", "say", "refer") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("a state needs exactly one of `ask`, `say` or `refer`"
                             + (f" (found {', '.join(kinds)})" if kinds else ""))
        if self.ask is not None:
            if not self.choices:
                raise ValueError("an `ask` state needs `choices` (a list with at least one choice): "
                                 "otherwise the user has no way out")
            ids = [c.id for c in self.choices]
            dup = {i for i in ids if ids.count(i) > 1}
            if dup:
                raise ValueError(f"duplicate choice id(s) {sorted(dup)}")
            if self.skip_if_known and self.save_as is None:
                raise ValueError("`skip_if_known` needs `save_as` (the slot whose known value skips the question)")
            no = [c.id for c in self.choices if c.means_no]
            if len(no) > 1:
                raise ValueError(f"only one choice may have `means_no: true` (found {no})")
            for kind in ("self", "danger", "injured"):
                on = [c.id for c in self.choices if c.on_crisis == kind]
                if len(on) > 1:
                    raise ValueError(f"only one choice may have `on_crisis: {kind}` (found {on})")
        elif self.choices is not None or self.save_as is not None or self.skip_if_known:
            raise ValueError("`choices`, `save_as` and `skip_if_known` belong to an `ask` state")
        if self.say is not None and self.next is None:
            raise ValueError("a `say` state needs `next` (the state to go to)")
        if self.ask is not None and self.next is not None:
            raise ValueError("`next` belongs to a `say` state (or a `refer` state a person can continue from)")
        if self.urgency is not None and self.refer is None:
            raise ValueError("`urgency` belongs to a `refer` state (a result)")
        if self.handoff and self.refer is None:
            raise ValueError("`handoff` belongs to a `refer` state (a result)")
        return self

    @property
    def kind(self) -> str:
        """``"ask"``, ``"say"`` or ``"refer"``."""
        return "ask" if self.ask is not None else "say" if self.say is not None else "refer"


class AdultCrisis(_Strict):
    """The crisis reply's windows and steps for a person known to be 18 or over (see :class:`Crisis`)."""

    contacts: list[str] = Field(min_length=1)
    steps: list[Text] = Field(default_factory=list)


class DangerReply(_Strict):
    """The crisis reply for immediate danger from someone else (see :class:`Crisis`): 110 first.

    Attributes:
        text: the lead of the reply.
        contacts: its windows, in order (110 first).
        steps: what to do now.
        adult: the contacts and steps for a person known to be 18 or over (as
            :attr:`Crisis.adult`: e.g. without the children's line); optional.
    """

    text: Text
    contacts: list[str] = Field(min_length=1)
    steps: list[Text] = Field(default_factory=list)
    adult: AdultCrisis | None = None


class InjuredReply(DangerReply):
    """The crisis reply for an overdose or a self-inflicted injury that has already happened (see
    :class:`Crisis`): 119 first, then the lines for the feelings behind it. Fields as
    :class:`DangerReply`."""


class Crisis(_Strict):
    """The crisis interception: words that interrupt any state, and the reply.

    Attributes:
        keywords: words of suicide, self-harm or immediate danger (matched as substrings of
            the normalised text).
        text: the lead of the crisis reply.
        contacts: 110/119 and 24-hour lines.
        steps: what to do now.
        danger: the reply when the words are of danger from someone else (「殺すって言われた」,
            「今から家に来る」) rather than of suicide or self-harm: 110 first. Optional; without it
            the one reply above answers both.
        injured: the reply when the words say an overdose or a self-inflicted injury has already
            happened (「薬いっぱい飲んだ」「リスカしちゃった」, "I took too many pills"): a medical
            emergency, 119 first (shared/domain/routing.md §1). Optional; without it the reply
            above answers these too.
        adult: the contacts and steps of the (suicide, self-harm) reply when the person is known
            to be 18 or over — the ``who`` slot is ``adult``, or the ``age`` slot is 18 or more —
            e.g. without a children's line (shared/domain/routing.md §1). Same text. Optional;
            without it, and whenever the age is not known, ``contacts`` and ``steps`` are used.
    """

    keywords: list[str] = Field(min_length=1)
    text: Text
    contacts: list[str] = Field(min_length=1)
    steps: list[Text] = Field(default_factory=list)
    danger: DangerReply | None = None
    injured: InjuredReply | None = None
    adult: AdultCrisis | None = None

    def parts(self) -> Iterator[tuple[tuple[str, ...], list[str], list[Text]]]:
        """Every reply of the section as ``(path, contacts, steps)``: the suicide/self-harm reply
        (``("crisis",)``), its adult form, the danger and injured replies and their adult forms,
        those present; ``path`` is the YAML key path (for ``file:line`` problems)."""
        yield ("crisis",), self.contacts, self.steps
        if self.adult is not None:
            yield ("crisis", "adult"), self.adult.contacts, self.adult.steps
        for key, part in (("danger", self.danger), ("injured", self.injured)):
            if part is not None:
                yield ("crisis", key), part.contacts, part.steps
                if part.adult is not None:
                    yield ("crisis", key, "adult"), part.adult.contacts, part.adult.steps



AfterIntent = Literal["thanks", "busy", "no_call", "more"]
"""What a message typed under a result can mean besides its buttons (:class:`After`)."""


class AfterCue(_Strict):
    """How people say one :data:`AfterIntent` under a result (「ほかにできることはありますか？」).

    Attributes:
        id: ``thanks`` (「ありがとう」「わかりました」: a short warm reply, the result's buttons
            again), ``busy`` (「電話がつながらない」「話し中」: the windows a person answers now),
            ``no_call`` (「電話できない」「電話こわい」: the same, chat, LINE, forms and mail first) or
            ``more`` (「他にも相談したい」: back to the :attr:`After.again` question).
        keywords, examples: as a choice's (matched by the same matcher; negated clauses do not count).
    """

    id: AfterIntent
    keywords: list[str] = Field(min_length=1)
    examples: list[str] = Field(default_factory=list)


class After(_Strict):
    """What a message typed under a result means (DESIGN.md §9: every result lets the person go on).

    Besides :attr:`cues`, a message there that names another harm or a wish — an answer to a
    ``skip_if_known`` question, read as anywhere else — is taken as such: the harm goes back to
    :attr:`again` and on with it, a wish back to its question when this path asked it.

    Attributes:
        again: the question where another consultation starts (the harm question): an ``ask``
            state with ``save_as``.
        keep: slots whose answers, given after :attr:`again`, are kept (confirmed, not asked
            again) when another consultation starts there (who the person is, where they live —
            not what they wanted for the first harm).
        cues: :class:`AfterCue`, one per intent.
    """

    again: str | None = None
    keep: list[str] = Field(default_factory=list)
    cues: list[AfterCue] = Field(default_factory=list)

    @field_validator("cues")
    @classmethod
    def _unique(cls, v: list[AfterCue]) -> list[AfterCue]:
        ids = [c.id for c in v]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"one entry per intent: {dup} given twice (put every keyword in one entry)")
        return v


class Flow(_Strict):
    """A screening flow.

    Attributes:
        id: flow id (``--flow``); title: shown in pickers.
        version: bump when states are renamed or removed; sessions of another version restart.
        locale: the language of plain strings in the file (``ja``).
        start: the first state.
        fallback: contact ids of 24-hour lines; the first one is added to a result when none of
            its windows is open at that time.
        crisis: the crisis interception (optional; the default flow's is used otherwise).
        after: what a message typed under a result means (:class:`After`), or None.
        states: state id → :class:`State`.
    """

    id: str
    title: Text
    version: str = "1"
    locale: str = "ja"
    start: str
    fallback: list[str] = Field(default_factory=list)
    crisis: Crisis | None = None
    after: After | None = None
    states: dict[str, State] = Field(min_length=1)

    @field_validator("id")
    @classmethod
    def _fid(cls, v: str) -> str:
        return _check_id(v, "flow id")

    def model_post_init(self, context: Any, /) -> None:
        """Register the flow for :func:`is_result` (every live flow of an id and version counts)."""
        refs = _LOADED.setdefault((self.id, self.version), [])
        refs[:] = [r for r in refs if r() is not None]
        refs.append(weakref.ref(self))

    @field_validator("locale")
    @classmethod
    def _locale(cls, v: str) -> str:
        if v not in LOCALES:
            raise ValueError(f"locale must be one of {', '.join(LOCALES)}")
        return v

    @field_validator("states")
    @classmethod
    def _sids(cls, v: dict[str, State]) -> dict[str, State]:
        for k in v:
            _check_id(k, "state id")
        return v

    def say_chain(self, state_id: str) -> list[str]:
        """``state_id`` and the ``say`` states it passes through, up to the ``ask``/``refer`` it stops at.

        A chain of ``say`` states that loops (the loader refuses such flows) stops after
        ``len(states)`` steps: its last state is then a ``say``.

        Raises:
            KeyError: if a state on the way is not in the flow.
        """
        out = [state_id]
        sid = state_id
        for _ in range(len(self.states)):
            st = self.states[sid]
            if st.kind != "say" or st.next is None:
                break
            sid = st.next
            out.append(sid)
        return out

    def replay(self, history: Sequence[HistoryEntry], slots: Mapping[str, str]) -> list[str]:
        """The states entered after each answer of ``history``, in order (``say`` states included).

        Each answer leads to its choice's target with the slots after it (those of the next
        entry, or ``slots`` for the last one — a typed place stores its region code, not the
        choice id); 「相談を続ける」 (``:continue``) at a result leads to the result's ``next``.
        Answers to states or choices the flow does not have (another version) add nothing.

        Args:
            history: :attr:`bot.engine.types.Session.history` entries, oldest first.
            slots: the slots after the last entry (the session's).
        """
        path: list[str] = []
        for i, h in enumerate(history):
            st = self.states.get(h.state)
            ch = next((c for c in (st.choices or []) if c.id == h.choice), None) if st else None
            if ch is None or st is None:
                if st is not None and st.kind == "refer" and st.next and h.choice == CONTINUE:
                    path += self.say_chain(st.next)
                continue
            path += self.say_chain(ch.target(history[i + 1].slots if i + 1 < len(history) else slots))
        return path


_LOADED: dict[tuple[str, str], list[weakref.ref[Flow]]] = {}
"""``(flow id, version)`` → the flows of that id and version built in this process, weakly held
(dead references are dropped when another flow of that key is built)."""


def is_result(flow_id: str, version: str, state_id: str) -> bool:
    """True when ``state_id`` is a result (a ``refer`` state) of the flow ``flow_id`` at ``version``.

    What :attr:`bot.engine.types.Session.finished` answers, for code that holds a stored session
    but no engine (the peer benchmark). It asks the flows alive in this process with that id and
    version (flows are immutable; an engine holds the flows it runs, so a flow rebuilt and
    dropped — a second engine, a simulator reload — leaves the others answering). The engine's
    own readers ask :meth:`bot.engine.core.Engine.finished` instead.

    Raises:
        LookupError: when no flow with that id and version is alive in this process (then no
            answer would be right: load the flows first), or when two live flows with that id and
            version disagree about whether ``state_id`` is a result (different files under one
            version: bump ``version`` in one of them).
    """
    answer: bool | None = None
    for ref in _LOADED.get((flow_id, version), ()):
        flow = ref()
        if flow is None:
            continue
        st = flow.states.get(state_id)
        here = st is not None and st.kind == "refer"
        if answer is None:
            answer = here
        elif answer != here:
            raise LookupError(f"flows {flow_id!r} version {version!r} loaded in this process disagree about "
                              f"whether state {state_id!r} is a result: give one of them another version")
    if answer is None:
        raise LookupError(f"flow {flow_id!r} version {version!r} is not loaded in this process: load it "
                          "(bot.engine.flow.load_flows) before asking whether a session is finished")
    return answer


class LoadedFlow:
    """A validated flow with the source location of every state and choice (for messages).

    Attributes:
        flow: the model.
        path: the file it came from.
        located: the parsed YAML (``line_of`` gives lines).
    """

    def __init__(self, flow: Flow, path: str, located: Located) -> None:
        self.flow = flow
        self.path = path
        self.located = located

    def line(self, *loc: str | int) -> int:
        """The line of ``states.<loc...>`` style paths (1-based)."""
        return self.located.line_of(tuple(loc))


def reachable(flow: Flow, start: str, slots: Mapping[str, str] | None = None, *,
              through_results: bool = True) -> set[str]:
    """Every state that can be reached from ``start`` (included) through choices and ``next``.

    Args:
        through_results: False: not on past a result's ``next`` (「相談を続ける」 after the emergency
            result starts the consultation over, it is not a path to another answer).
        slots: slot values already known (answered or kept for later), or None for every path:
            a question whose ``save_as`` slot is known goes on only by the choice of that value
            (when one has it), and a ``goto`` branch whose ``when`` contradicts a known value is
            not taken (nor any branch after one that surely is). With ``{what: def}`` the
            intimate-images question is out of reach.

    Raises:
        KeyError: if a target is not a state of ``flow`` (flows that loaded have none).
    """
    seen: set[str] = set()
    todo = [start]
    while todo:
        sid = todo.pop()
        if sid in seen:
            continue
        seen.add(sid)
        st = flow.states[sid]
        choices = st.choices or []
        known = slots.get(st.save_as) if slots is not None and st.save_as else None
        if known is not None:
            choices = [c for c in choices if c.slot_value == known] or choices
        todo.extend(t for ch in choices for t in (ch.targets() if slots is None else _targets_given(ch, slots)))
        if st.next and (through_results or st.kind != "refer"):
            todo.append(st.next)
    return seen


def _targets_given(ch: Choice, slots: Mapping[str, str]) -> list[str]:
    """The states ``ch`` may lead to when ``slots`` are known (see :func:`reachable`)."""
    if isinstance(ch.goto, str):
        return [ch.goto]
    out = []
    for br in ch.goto:
        conds = (br.when or {}).items()
        if any(k in slots and not slot_matches(slots[k], v) for k, v in conds):
            continue  # contradicted by a known value
        out.append(br.to)
        if all(k in slots for k, _ in conds):
            break  # surely taken: the branches after it are not
    return out


# ------------------------------------------------------------------ the loader's checks, one per rule
# Each rule yields the problems of one kind for a flow that validated against the model. The
# rules before _STRUCTURE_GATE find broken references; the graph rules after it need none.

Known = frozenset[str] | None
"""The directory's contact ids, or None when the flow is checked without a directory."""


def _problem(lf: LoadedFlow, code: str, msg: str, *loc: str | int) -> Problem:
    return Problem(lf.path, lf.line(*loc), msg, "error", code)


def _short_crisis_keywords(lf: LoadedFlow, known: Known) -> Iterator[Problem]:
    from bot.engine.text import normalize  # local: text has no dependency on flows

    for k, word in enumerate(lf.flow.crisis.keywords if lf.flow.crisis else []):
        if len(normalize(word)) < 2:
            yield _problem(lf, "short-crisis-keyword",
                           f"crisis keyword {word!r} is too short once spaces and punctuation are removed "
                           "(it would never match, or match everywhere); use a word of 2 or more letters",
                           "crisis", "keywords", k)


def _duplicate_contacts(lf: LoadedFlow, known: Known) -> Iterator[Problem]:
    for sid, st in lf.flow.states.items():
        if st.refer is not None:
            dup = sorted({c for c in st.refer.contacts if st.refer.contacts.count(c) > 1})
            if dup:
                yield _problem(lf, "duplicate-contact", f"contact(s) {dup} listed twice in this result; list "
                               "each window once", "states", sid, "refer", "contacts")


def _start_state(lf: LoadedFlow, known: Known) -> Iterator[Problem]:
    f = lf.flow
    if f.start not in f.states:
        yield _problem(lf, "unknown-state", f"start state {f.start!r} does not exist{_nearest(f.start, f.states)}; "
                       "define it under `states`", "start")


def _slot_names(lf: LoadedFlow, known: Known) -> Iterator[Problem]:
    for sid, st in lf.flow.states.items():
        if st.save_as is not None and not _ID.match(st.save_as):
            yield _problem(lf, "bad-slot-name", f"slot name {st.save_as!r} must use lower-case letters, digits, "
                           "'_' or '-'", "states", sid, "save_as")


def _regions(lf: LoadedFlow, known: Known) -> Iterator[Problem]:
    for sid, st in lf.flow.states.items():
        for i, ch in enumerate(st.choices or []):
            if not ch.regions:
                continue
            from bot.nlu.regions import region_codes

            codes = region_codes()
            for k, code in enumerate(ch.regions):
                if code != "*" and code not in codes:
                    yield _problem(lf, "unknown-region", f"region {code!r} is not a code of bot/nlu/regions.yaml; "
                                   "use JP-01 … JP-47 or a city code such as JP-10/shibukawa, or \"*\" for any "
                                   "other place", "states", sid, "choices", i, "regions", k)


def _targets(lf: LoadedFlow, known: Known) -> Iterator[Problem]:
    """Every ``goto`` (plain or branch) and ``next`` names a state of the flow."""
    f = lf.flow
    for sid, st in f.states.items():
        for i, ch in enumerate(st.choices or []):
            if isinstance(ch.goto, str):
                if ch.goto not in f.states:
                    yield _problem(lf, "unknown-state", f"choice {ch.id!r} goes to {ch.goto!r}, which is not a state "
                                   f"of this flow{_nearest(ch.goto, f.states)}", "states", sid, "choices", i, "goto")
                continue
            for j, br in enumerate(ch.goto):
                if br.to not in f.states:
                    yield _problem(lf, "unknown-state", f"choice {ch.id!r} branch goes to {br.to!r}, which is not a "
                                   f"state of this flow{_nearest(br.to, f.states)}",
                                   "states", sid, "choices", i, "goto", j, "to")
        if st.next is not None and st.next not in f.states:
            yield _problem(lf, "unknown-state", f"`next` goes to {st.next!r}, which is not a state of this "
                           f"flow{_nearest(st.next, f.states)}", "states", sid, "next")


def _after(lf: LoadedFlow, known: Known) -> Iterator[Problem]:
    """``after.again`` is a question that saves a slot; ``after.keep`` names slots some question saves."""
    f = lf.flow
    if f.after is None:
        return
    again = f.after.again
    if again is not None:
        st = f.states.get(again)
        if st is None:
            yield _problem(lf, "unknown-state", f"`after.again` is {again!r}, which is not a state of this "
                           f"flow{_nearest(again, f.states)}", "after", "again")
        elif st.kind != "ask" or st.save_as is None:
            yield _problem(lf, "after-again-not-question", f"`after.again` must be a question with `save_as` "
                           f"(the harm question, e.g. `what`); {again!r} is not", "after", "again")
    saved = {st.save_as for st in f.states.values() if st.save_as}
    for k, slot in enumerate(f.after.keep):
        if slot not in saved:
            yield _problem(lf, "unknown-slot", f"`after.keep` names slot {slot!r}, but no state has "
                           f"`save_as: {slot}`{_nearest(slot, saved)}", "after", "keep", k)


def _conditions(lf: LoadedFlow, known: Known) -> Iterator[Problem]:
    """A branch's ``when`` names a slot some state saves, and values that slot can take."""
    f = lf.flow
    for sid, st in f.states.items():
        for i, ch in enumerate(st.choices or []):
            for j, br in enumerate([] if isinstance(ch.goto, str) else ch.goto):
                for slot, val in (br.when or {}).items():
                    setters = [s for s in f.states.values() if s.save_as == slot]
                    if not setters:
                        yield _problem(lf, "unknown-slot", f"condition on slot {slot!r}, but no state has "
                                       f"`save_as: {slot}`", "states", sid, "choices", i, "goto", j, "when")
                        continue
                    allowed = {c.id for s in setters for c in (s.choices or [])}
                    allowed |= {c.slot_value for s in setters for c in (s.choices or [])}
                    if any(c.regions or (c.value or "").startswith("JP-") for s in setters for c in (s.choices or [])):
                        from bot.nlu.regions import region_codes

                        allowed |= region_codes()
                    for v in [val] if isinstance(val, str) else val:
                        if v not in allowed:
                            yield _problem(lf, "impossible-slot-value", f"slot {slot!r} is never {v!r}; it takes one "
                                           f"of {sorted(allowed)}", "states", sid, "choices", i, "goto", j, "when", slot)


def _contacts(lf: LoadedFlow, known: Known) -> Iterator[Problem]:
    """Every contact a result, the fallback or the crisis reply names is in the directory."""
    if known is None:
        return
    f = lf.flow

    def missing(what: str, ids: Sequence[str], fix: str, *loc: str | int) -> Iterator[Problem]:
        for k, cid in enumerate(ids):
            if cid not in known:
                yield _problem(lf, "unknown-contact", f"{what} {cid!r} is not in the directory{fix}"
                               f"{_nearest(cid, known)}", *loc, k)

    check = " (directory/*.yaml); check the id"
    for sid, st in f.states.items():
        if st.refer is not None:
            yield from missing("contact", st.refer.contacts, check, "states", sid, "refer", "contacts")
            yield from missing("lead contact", st.refer.lead, check, "states", sid, "refer", "lead")
    yield from missing("fallback contact", f.fallback, "", "fallback")
    for path, ids, _steps in f.crisis.parts() if f.crisis is not None else ():
        yield from missing("crisis contact", ids, "", *path, "contacts")


def _examples(lf: LoadedFlow, known: Known) -> Iterator[Problem]:
    """Every ``examples:`` utterance must be read as its own choice by the matcher (DESIGN.md §9):
    an example the matcher sends to another choice (or to none, or to the crisis reply, or to a
    command) is an error at its line."""
    f = lf.flow
    cues = f.after.cues if f.after else []
    if not any(ch.examples for st in f.states.values() for ch in st.choices or []) and not any(c.examples for c in cues):
        return
    from bot.nlu.understand import Understanding  # local: the analyser loads only when needed

    u = Understanding.for_flow(f)
    for i, cue in enumerate(cues):
        for k, ex in enumerate(cue.examples):
            problem = u.check_after(cue.id, ex)
            if problem:
                yield _problem(lf, "example-mismatch", f"example {ex!r} of `after` {cue.id!r}: {problem}",
                               "after", "cues", i, "examples", k)
    for sid, st in f.states.items():
        for i, ch in enumerate(st.choices or []):
            for k, ex in enumerate(ch.examples):
                problem = u.check_example(sid, ch.id, ex)
                if problem:
                    yield _problem(lf, "example-mismatch", f"example {ex!r} of choice {ch.id!r}: {problem}",
                                   "states", sid, "choices", i, "examples", k)


def _unreachable(lf: LoadedFlow, known: Known) -> Iterator[Problem]:
    f = lf.flow
    seen = reachable(f, f.start)
    for sid in f.states:
        if sid not in seen:
            yield _problem(lf, "unreachable-state", f"state {sid!r} cannot be reached from {f.start!r}; link to it "
                           "or remove it", "states", sid)


def _say_loops(lf: LoadedFlow, known: Known) -> Iterator[Problem]:
    """A chain of ``say`` states must stop at an ``ask`` or a ``refer``."""
    f = lf.flow
    for sid in f.states:
        if f.states[f.say_chain(sid)[-1]].kind == "say":
            yield _problem(lf, "say-loop", f"`say` states starting at {sid!r} loop forever; end the chain in an "
                           "`ask` or `refer`", "states", sid)


def _dead_ends(lf: LoadedFlow, known: Known) -> Iterator[Problem]:
    """Every reachable state can reach a result (``refer``): nobody gets stuck."""
    f = lf.flow
    can = {sid for sid, st in f.states.items() if st.kind == "refer"}
    if not can:
        yield _problem(lf, "no-result", "the flow has no `refer` state: it can never show a consultation window",
                       "states")
        return
    changed = True
    while changed:
        changed = False
        for sid, st in f.states.items():
            outs = [t for ch in st.choices or [] for t in ch.targets()] + ([st.next] if st.next else [])
            if sid not in can and any(t in can for t in outs):
                can.add(sid)
                changed = True
    seen = reachable(f, f.start)
    for sid in f.states:
        if sid in seen and sid not in can:
            yield _problem(lf, "dead-end", f"from state {sid!r} no result (`refer`) can be reached: the user would "
                           "be stuck", "states", sid)


_REFERENCE_RULES = (_short_crisis_keywords, _duplicate_contacts, _start_state, _slot_names, _regions, _targets,
                    _after, _conditions, _contacts)
"""Rules that find broken references; the other rules run only when these find nothing."""

_GRAPH_RULES = (_examples, _unreachable, _say_loops, _dead_ends)
"""Rules over the flow's graph and its understanding (they need every reference to resolve)."""


def _cross_check(lf: LoadedFlow, contact_ids: Iterable[str] | None) -> list[Problem]:
    """Every problem of a flow that validated against the model: the reference rules, then (when
    they found nothing) the graph rules."""
    known = frozenset(contact_ids) if contact_ids is not None else None
    errs = [p for rule in _REFERENCE_RULES for p in rule(lf, known)]
    return errs or [p for rule in _GRAPH_RULES for p in rule(lf, known)]


def load_flow(path: str | Path, contact_ids: Iterable[str] | None = None) -> tuple[LoadedFlow | None, list[Problem]]:
    """Load and check one flow file.

    Args:
        path: a ``flows/*.yaml`` file.
        contact_ids: ids of the directory; when given, every contact a flow names must exist.

    Returns:
        ``(loaded, errors)``: ``loaded`` is None when the file has errors; ``errors`` holds
        errors and warnings with ``file:line``.
    """
    try:
        located = load_file(path)
    except Problem as exc:
        return None, [exc]
    if not isinstance(located.data, dict):
        return None, [Problem(str(path), 1, "a flow file must be a mapping with id, title, start, states",
                              code="not-a-mapping")]
    try:
        flow = Flow.model_validate(located.data)
    except ValidationError as exc:
        return None, list(iter_pydantic_errors(exc, located, model=Flow))
    lf = LoadedFlow(flow, str(path), located)
    errs = _cross_check(lf, contact_ids)
    if any(e.severity == "error" for e in errs):
        return None, errs
    return lf, errs


def load_flows(paths: Sequence[str | Path], contact_ids: Iterable[str] | None = None) -> dict[str, LoadedFlow]:
    """Load every flow file; refuse all of them if any has an error.

    Raises:
        FlowError: listing every error (``file:line: message``), including two files that
            define the same flow id.
    """
    ids = list(contact_ids) if contact_ids is not None else None
    out: dict[str, LoadedFlow] = {}
    errors: list[Problem] = []
    for p in paths:
        lf, errs = load_flow(p, ids)
        errors.extend(e for e in errs if e.severity == "error")
        if lf is None:
            continue
        if lf.flow.id in out:
            other = out[lf.flow.id]
            errors.append(Problem(lf.path, lf.line("id"),
                                  f"flow id {lf.flow.id!r} is also used by {other.path}:{other.line('id')}",
                                  code="duplicate-flow-id"))
            continue
        out[lf.flow.id] = lf
    if errors:
        raise FlowError(errors)
    if not out:
        raise FlowError([Problem(", ".join(str(p) for p in paths) or "flows/", 0, "no flow files found",
                                 code="no-flows")])
    return out


