"""The understanding of one flow: what a typed message means at each of its questions.

Built once per flow by the engine (:class:`bot.engine.core.Engine`) from the flow's choices
(labels, ``keywords``, ``examples``, ``ages``, ``means_no``, ``regions``) and crisis words; then
for every message: :func:`bot.nlu.analysis.analyse` once, and :meth:`Understanding.read` /
:meth:`Understanding.extract` / :meth:`Understanding.crisis` on that one analysis.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from bot.engine.commands import DEFAULT_CRISIS_KEYWORDS, command_for
from bot.engine.flow import Choice, Flow, State, reachable
from bot.nlu.analysis import Analysis, analyse_flow_text, clean
from bot.nlu.crisis import CrisisDetector, CrisisKind
from bot.nlu.matcher import ChoiceCues, Decision, Matcher, MatcherGroup
from bot.nlu.matcher import _followed_by_agent as _agent_after
from bot.nlu.regions import find_region, region_name
from bot.nlu.slots import find_age

__all__ = ["Reading", "Understanding"]

_CACHE: dict[int, tuple[Flow, tuple[str, ...], Understanding]] = {}
_UNDECIDED = Decision(None)
_AFTER_FIRST = ("no_call", "busy", "more", "thanks")
"""Of two intents a message under a result says alike, the one answered (:meth:`Understanding.after`)."""


class Reading(NamedTuple):
    """What a message answers to one question (immutable: a named tuple, cheaper to make than a
    frozen dataclass; several are made per typed message).

    Attributes:
        choice: the choice understood, or None.
        value: the slot value it gives (the region code for a place, else the choice's
            :attr:`~bot.engine.flow.Choice.slot_value`); None without a choice.
        exact: the message was exactly a label or id (no confirmation needed).
        candidates: close choices when the message is ambiguous (best first), else empty.
        label: what to repeat back (「〜として進めます」): the place's name or None for the choice label.
        age: the age in years when the person stated one (not a school year), for the ``age`` slot.
    """

    choice: Choice | None
    value: str | None = None
    exact: bool = False
    candidates: tuple[Choice, ...] = ()
    label: dict[str, str] | None = None
    age: int | None = None


def _cues(ch: Choice, adult: frozenset[str] = frozenset()) -> ChoiceCues:
    """The matcher's cues of ``ch``; for an adult (``adult``: every ``adult_keywords`` of its question),
    its own ``adult_keywords`` added, and the others' taken out of its keywords and examples (「学校で
    いじめられてる」 would make an adult's 「いじめられてる」 a doubt between the two)."""
    if not adult:
        return ChoiceCues(ch.id, (ch.id, *ch.label.values()), tuple(ch.keywords), tuple(ch.examples), ch.means_no,
                          ch.catch_all)
    others = adult - set(ch.adult_keywords)
    keywords = (*(k for k in ch.keywords if k not in others), *(k for k in ch.adult_keywords if k not in ch.keywords))
    examples = tuple(x for x in ch.examples if not any(k in x for k in others))
    return ChoiceCues(ch.id, (ch.id, *ch.label.values()), keywords, examples, ch.means_no, ch.catch_all)


class Understanding:
    """The compiled understanding of ``flow``.

    Args:
        flow: a validated flow.
        crisis_words: extra crisis words (the flow's own ``crisis.keywords`` are always added,
            and so are the built-in ones).
    """

    def __init__(self, flow: Flow, crisis_words: Iterable[str] = ()) -> None:
        self.flow = flow
        words = [*DEFAULT_CRISIS_KEYWORDS, *(flow.crisis.keywords if flow.crisis else []), *crisis_words]
        self.detector = CrisisDetector(words)
        self.matchers: dict[str, Matcher] = {
            sid: Matcher([_cues(ch) for ch in st.choices or []]) for sid, st in flow.states.items() if st.choices
        }
        # questions whose words mean something else for a person known to be 18 or over (adult_keywords)
        self.adult_matchers: dict[str, Matcher] = {}
        for sid, st in flow.states.items():
            adult_words = frozenset(k for ch in st.choices or [] for k in ch.adult_keywords)
            if adult_words:
                self.adult_matchers[sid] = Matcher([_cues(ch, adult_words) for ch in st.choices or []])
        after = flow.after.cues if flow.after else []
        self._after_ids = tuple(c.id for c in after)
        self.after_matcher = Matcher([ChoiceCues(c.id, (c.id,), tuple(c.keywords), tuple(c.examples)) for c in after])
        self.skippable = [(sid, st) for sid, st in flow.states.items() if st.skip_if_known and st.save_as]
        # the skippable questions' matchers, read over every first message: one scan finds all their hits
        self._skippable = MatcherGroup([self.matchers[sid] for sid, _ in self.skippable if sid in self.matchers])
        # per question: its choices with an age range (indices too), the others, and whether it asks a place
        self._aged: dict[str, tuple[list[Choice], frozenset[int], frozenset[int]]] = {}
        self._places: dict[str, bool] = {}
        for sid, st in flow.states.items():
            cs = st.choices or []
            aged = frozenset(i for i, c in enumerate(cs) if c.ages is not None)
            self._aged[sid] = ([c for c in cs if c.ages is not None], aged, frozenset(range(len(cs))) - aged)
            self._places[sid] = any(c.regions or (c.value or "").startswith("JP-") for c in cs)
        # the flow's own answers (every choice's id and labels), analysed once: a message typed
        # exactly like one of them gets this very analysis without a segmentation
        self._known: dict[str, Analysis] = {}
        for st in flow.states.values():
            for ch in st.choices or []:
                for text in (ch.id, *ch.label.values()):
                    key = clean(text)
                    if key.strip() and key not in self._known:
                        self._known[key] = analyse_flow_text(text)
        self._known_chars = 2 * max((len(k) for k in self._known), default=0) + 8
        self._out_of_reach: dict[tuple[str, str, str], bool] = {}

    @classmethod
    def for_flow(cls, flow: Flow, crisis_words: Iterable[str] = ()) -> Understanding:
        """The understanding of ``flow``, shared with the loader's example check when it already
        compiled this very flow object (so a flow is compiled once per process)."""
        words = tuple(crisis_words)
        hit = _CACHE.get(id(flow))
        if hit is not None and hit[0] is flow and hit[1] == words:
            return hit[2]
        u = cls(flow, words)
        if len(_CACHE) >= 16:
            _CACHE.clear()
        _CACHE[id(flow)] = (flow, words, u)
        return u

    def known(self, text: str) -> Analysis | None:
        """The analysis of ``text`` when it is exactly one of the flow's choice ids or labels
        once cleaned (:func:`bot.nlu.analysis.clean`: NFKC, lower case, control characters
        removed), else None (then call :func:`~bot.nlu.analysis.analyse`).

        The same object :func:`~bot.nlu.analysis.analyse` would build (an analysis depends only on
        the cleaned text), made when the flow was compiled: a typed label or button id costs a
        dictionary look-up instead of a segmentation. Only the flow's own strings are kept.
        """
        if len(text) > self._known_chars:
            return None
        return self._known.get(clean(text))

    # ------------------------------------------------------------ crisis

    def crisis(self, a: Analysis, norm: str) -> CrisisKind | None:
        """The crisis in a message (``norm``: the whole message normalised, up to the scan limit)."""
        return self.detector.detect(norm, a.cleaned)

    # ------------------------------------------------------------ one question

    def read(self, state_id: str, a: Analysis, *, age: int | None = None, strict: bool = False,
             adult: bool = False) -> Reading:
        """Read ``a`` as the answer to the question ``state_id``.

        Args:
            age: an age given as a bare number at an age question (「19です」), if any.
            strict: only clear cues (keywords, places, ages) — for a message written for another
                question (slot extraction); examples, "no" words and fuzzy matches are not used.
            adult: the person is known to be 18 or over: the choices' ``adult_keywords`` count.
        """
        st = self.flow.states[state_id]
        choices = st.choices or []
        m = (self.adult_matchers.get(state_id) if adult else None) or self.matchers.get(state_id)
        if m is None or (not a.text and age is None):
            return Reading(None)
        exact = m.exact(a.text)
        if exact is not None:  # what Matcher.decide finds first, before any scoring
            ch = choices[exact]
            return Reading(ch, ch.slot_value, exact=True)
        with_ages, aged, unaged = self._aged[state_id]
        agents = unaged if strict and aged else frozenset()
        # a message with nothing of this question in it decides nothing strictly (no scores to rank)
        d = _UNDECIDED if strict and m.silent(a) else m.decide(a, strict=strict, agents=agents)
        if d.exact and d.choice is not None:
            ch = choices[d.choice]
            return Reading(ch, ch.slot_value, exact=True)
        if self._places[state_id]:
            region = find_region(a)
            if region is not None:
                rc = self.region_choice(choices, region.code, region.prefecture)
                if rc is not None:
                    return Reading(rc, region.code, label=dict(region.name))
        if with_ages:
            years = stated = age
            if years is None:
                info = find_age(a, asked=not strict)
                years = info.years if info else None
                stated = info.age if info else None
            hits = [h for h in m.hits(a) if h.weight >= 1.0]
            # a relation named in the message (「娘が中2で…」「高校で教えてます」) means the age or the
            # school is someone else's: the relation decides
            others = any(not h.negated and h.choice not in aged and not (agents and h.choice in agents and
                         _agent_after(a, h.end)) for h in hits)
            if others:
                d2 = m.decide(a, strict=strict, drop=aged, agents=agents)
                if d2.choice is not None:
                    ch = choices[d2.choice]
                    return Reading(ch, ch.slot_value)
            elif years is not None:
                hit = [c for c in with_ages if c.ages and c.ages[0] <= years <= c.ages[1]]
                if len(hit) == 1:
                    return Reading(hit[0], hit[0].slot_value, age=stated)
            elif hits and all(h.negated for h in hits) and len({h.choice for h in hits}) == 1 \
                    and len(with_ages) == 2 and hits[0].choice in aged and not any(a.past_after(h.end) for h in hits):
                # 「未成年じゃないです」: not the one, so the other (but 「中学の時の友達」 says neither)
                ch = next(c for i, c in enumerate(choices) if i in aged and i != hits[0].choice)
                return Reading(ch, ch.slot_value)
        if d.choice is not None:
            ch = choices[d.choice]
            return Reading(ch, ch.slot_value)
        return Reading(None, candidates=tuple(choices[i] for i in d.candidates))

    @staticmethod
    def region_choice(choices: list[Choice], code: str, prefecture: str) -> Choice | None:
        """The choice for a region code: the one naming the code, else its prefecture, else the
        ``"*"`` (anywhere else) choice; None when the question has none of them."""
        for want in (code, prefecture):
            for c in choices:
                if want in c.regions or c.value == want:
                    return c
        return next((c for c in choices if "*" in c.regions), None)

    # ------------------------------------------------------------ under a result

    def after(self, a: Analysis) -> str | None:
        """What ``a`` means typed under a result (:class:`~bot.engine.flow.AfterCue`: ``thanks``,
        ``busy``, ``no_call``, ``more``), or None when it says none of them. A message that says
        two (「つながらなかった、ありがとう」: each a keyword, or two alike) means the one that needs an
        answer most: the phone (no_call, then busy), then something else, then thanks."""
        if not self._after_ids or not a.text:
            return None
        named = {self._after_ids[h.choice] for h in self.after_matcher.hits(a) if not h.negated}
        d = self.after_matcher.decide(a)
        if d.choice is not None and not named - {self._after_ids[d.choice]}:
            return self._after_ids[d.choice]
        close = named | {self._after_ids[i] for i in d.candidates}
        return next((x for x in _AFTER_FIRST if x in close), None)

    def check_after(self, intent: str, text: str) -> str | None:
        """Why the ``after`` example ``text`` of ``intent`` would not be read as it (None when it is)."""
        if command_for(text) is not None:
            return "it is a global command word, so it never reaches the result"
        a = analyse_flow_text(text)
        if self.crisis(a, a.text) is not None:
            return "it triggers the crisis reply"
        got = self.after(a)
        if got == intent:
            return None
        return f"it is read as {got!r}; add keywords to {intent!r} or reword it" if got else \
            "the matcher does not understand it; add keywords"

    # ------------------------------------------------------------ every question

    def extract(self, a: Analysis, skip: Iterable[str] = ()) -> dict[str, tuple[str, str]]:
        """The answers ``a`` gives to the flow's skippable questions (``skip_if_known``), other
        than the states in ``skip``: slot name → (value, state id)."""
        out: dict[str, tuple[str, str]] = {}
        excluded = set(skip)
        if a.text:
            self._skippable.prime(a)
        for sid, st in self.skippable:
            if sid in excluded or st.save_as is None or st.save_as in out:
                continue
            r = self.read(sid, a, strict=True)
            if self._places[sid] and r.label is None and (r.choice is None or r.choice.regions or r.choice.means_no):
                continue  # a place question is answered by a place (or 「住所は言いたくない」), not by 「秘密の話」
            if r.choice is not None and (not r.choice.means_no or r.label is not None):  # a place is no "no"
                out[st.save_as] = (r.value or r.choice.id, sid)
        return self.consistent(out, a) if len(out) > 1 else out

    def consistent(self, found: dict[str, tuple[str, str]], a: Analysis,
                   answered: dict[str, tuple[str, str]] | None = None) -> dict[str, tuple[str, str]]:
        """``found`` (slot → (value, state id), as :meth:`extract` gives) without the answers to
        questions that only one choice of another question leads to, when the same message
        answers that other question otherwise (in ``found``, or ``answered``: the message's answer
        to the question it was written for) — unless it also names that one choice there.

        「写真を勝手に載せられた」 reads 「住所や写真を晒された」 at the question what happened, and
        「ネットに載せられた」 at the intimate-images question, which only 「性的な画像・動画」 leads to:
        the second is dropped (a new user's trial: the result then offered intimate images to a
        pupil whose class photo was posted). 「裸の写真を勝手に載せられた」 names the intimate images:
        both stay; so does 「写真ばらすぞ」 beside stalking (the threat to spread images is named).
        """
        given = {**found, **(answered or {})}
        out: dict[str, tuple[str, str]] = {}
        for slot, (value, sid) in found.items():
            if any(q != sid and self.sole_way(q, sid) is not None and self._puts_out(s2, v2, sid)
                   and not self._names_way(q, s2, a, sid) for s2, (v2, q) in given.items()):
                continue
            out[slot] = (value, sid)
        return out

    def sole_way(self, question: str, sid: str) -> Choice | None:
        """The one choice of ``question`` that keeps question ``sid`` in reach from the flow's start,
        or None when none or several do: ``sid`` then asks about that one answer (the
        intimate-images question, of 「性的な画像・動画」), so an answer to it says that answer too. A
        question most answers lead to (where, what do you want) says nothing of the others."""
        st = self.flow.states[question]
        if st.save_as is None:
            return None
        ways = [c for c in st.choices or [] if not self._puts_out(st.save_as, c.slot_value, sid)]
        return ways[0] if len(ways) == 1 else None

    def _puts_out(self, slot: str, value: str, sid: str) -> bool:
        """Whether ``slot`` = ``value`` puts question ``sid`` out of reach from the flow's start."""
        key = (slot, value, sid)
        hit = self._out_of_reach.get(key)
        if hit is None:
            hit = self._out_of_reach[key] = sid not in reachable(self.flow, self.flow.start, {slot: value})
        return hit

    def _names_way(self, question: str, slot: str, a: Analysis, sid: str) -> bool:
        """Whether ``a`` also names (not negated), at ``question``, a choice that keeps ``sid`` in reach."""
        m = self.matchers.get(question)
        choices = self.flow.states[question].choices or []
        return m is not None and any(not h.negated and not self._puts_out(slot, choices[h.choice].slot_value, sid)
                                     for h in m.hits(a))

    # ------------------------------------------------------------ authors' checks

    def check_example(self, state_id: str, choice_id: str, text: str) -> str | None:
        """Why the example ``text`` of ``choice_id`` would not pick that choice at ``state_id``
        (None when it does)."""
        st: State = self.flow.states[state_id]
        if command_for(text) is not None:
            return "it is a global command word, so it never reaches the question"
        a = analyse_flow_text(text)  # an example written in the flow file
        kind = self.crisis(a, a.text)
        r = self.read(state_id, a)
        if kind is not None:
            # the crisis reply comes first; then the question's on_crisis choice, else the answer the
            # message gives (the engine reads it from the same message: 「殺すってDMが来た」 is 「脅された」)
            on = next((c for c in st.choices or [] if c.on_crisis == kind), None)
            if on is not None:
                return None if on.id == choice_id else "it triggers the crisis reply instead of answering the question"
            if r.choice is None or r.choice.means_no or r.choice.id != choice_id:
                return "it triggers the crisis reply instead of answering the question"
            return None
        if r.choice is not None and r.choice.id == choice_id:
            return None
        if r.choice is not None:
            return f"the matcher reads it as {r.choice.id!r}; add keywords to {choice_id!r} or reword it"
        if r.candidates:
            return (f"the matcher cannot decide between {[c.id for c in r.candidates]}; "
                    "add keywords or reword it")
        return "the matcher does not understand it; add keywords to the choice"

    def place_name(self, code: str, locale: str) -> str | None:
        """The display name of a region code (for confirmations)."""
        return region_name(code, locale)
