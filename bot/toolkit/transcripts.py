"""Transcripts (``flows/tests/*.yaml``) and ``soudan test`` (DESIGN.md §4).

A transcript is a conversation written down by a person who knows how it should go::

    # yaml-language-server: $schema=../../schema/transcript.schema.json
    flow: net-harm
    at: "2026-12-01T10:00:00+09:00"   # the frozen time (opening hours depend on it)
    locale: ja                        # optional
    turns:
      - say: "2"                      # text the user sends…
        expect:
          state: who                  # the state reached
      - pick: pupil                   # …or the button of a choice in the current question
        expect:
          contacts: [moj_minna_110]   # windows that must be offered (others may be too)
          contains: ["証拠"]           # text the replies must contain

``soudan test [PATH…]`` runs every transcript through the engine at its frozen time and prints
``PASS``/``FAIL`` per file with the first difference (the turn, what was expected, what was
seen), then a coverage report per flow: the states and choices no transcript visits. The exit
status is 1 when a transcript fails or is invalid.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from bot.engine.core import Engine
from bot.engine.flow import Urgency
from bot.engine.types import Ask, HandoffSignal, Refer, Reply
from bot.errors import ProblemsError
from bot.handoff.team import Team
from bot.testing import FakeChat
from bot.timeutil import parse_at
from bot.yamlload import LoadError, Located, iter_pydantic_errors, load_file

__all__ = [
    "COMMAND_CHOICES", "Coverage", "Difference", "Expect", "LoadedTranscript", "Transcript", "TranscriptResult",
    "Turn", "collect_paths", "coverage", "load_transcript", "main", "run", "run_transcript",
]

COMMAND_CHOICES = (":back", ":restart", ":stop", ":also", ":more-windows", ":handoff", ":handoff-yes", ":handoff-no", ":handoff-cancel")
"""The buttons shown under a result (``pick: ":restart"`` presses 「最初から相談する」; ``:also``
「「…」も相談する」, offered when the messages named another harm; ``:more-windows`` 「ほかの窓口（N件）」,
offered when a result has more windows than it shows at first; the hand-off ones appear with a
transcript ``team``: offer, consent yes/no, cancel)."""


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


StrList = Annotated[list[str], BeforeValidator(_one_or_many, json_schema_input_type=str | list[str])]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Expect(_Strict):
    """What must be true after a turn (every key optional).

    Attributes:
        state: the state reached (a state id of the flow).
        contacts: contact ids that must be among the windows offered (others may be offered too).
        contains: texts that must appear in the replies (messages, button labels, next steps,
            window names and their open/closed lines).
        urgency: the urgency of the referral shown in this turn (``immediate``, ``high`` or
            ``normal``; the crisis reply is ``immediate``).
        first: the contact id of the first window offered (the order people see).
        not_contacts: contact ids that must not be offered.
        not_contains: texts that must not appear in the replies.
    """

    state: str | None = None
    contacts: list[str] | None = None
    contains: StrList | None = None
    urgency: Urgency | None = None
    handoff: Literal["offered", "requested", "withdrawn", "timed_out", "taken", "released"] | None = None
    first: str | None = None
    not_contacts: list[str] | None = None
    not_contains: StrList | None = None


class Turn(_Strict):
    """One user turn: ``say`` (typed text) or ``pick`` (a button of the current question)."""

    say: str | None = None
    pick: str | None = None
    wait: float | None = Field(None, ge=0, le=7 * 24 * 3600)
    expect: Expect | None = None

    @model_validator(mode="after")
    def _one(self) -> Turn:
        if sum(x is not None for x in (self.say, self.pick, self.wait)) != 1:
            raise ValueError("a turn needs exactly one of `say: \"text\"`, `pick: choice_id` or `wait: seconds`")
        return self

    def describe(self) -> str:
        """``say "2"``, ``pick pupil`` or ``wait 600 s``."""
        if self.wait is not None:
            return f"wait {self.wait:g} s"
        return f'say "{self.say}"' if self.say is not None else f"pick {self.pick}"


def _check_at(value: Any) -> Any:
    example = "write it in quotes with a time and +09:00, e.g. \"2026-12-01T10:00:00+09:00\""
    if not isinstance(value, str):
        raise PydanticCustomError("time", "{msg}", {"msg": f"`at` must be a date and time; {example}"})
    try:
        t = parse_at(value)
    except ValueError as exc:
        raise PydanticCustomError("time", "{msg}", {"msg": f"{exc}; {example}"}) from None
    if dt.datetime.fromisoformat(value.strip()).tzinfo is None:
        raise PydanticCustomError("time", "{msg}", {"msg": f"the time {value!r} has no time zone; {example}"})
    return t


class Transcript(_Strict):
    """A transcript file (DESIGN.md §4).

    Attributes:
        flow: the flow id.
        at: the frozen time, with its offset (``+09:00``).
        locale: ``ja`` or ``en`` (default: the flow's).
        team: a team of people the results with ``handoff: true`` offer (the keys of a teams
            file entry, :class:`bot.handoff.team.Team`), to test hand-offs; none by default.
        turns: the user turns, in order; ``wait: seconds`` lets time pass (the server's periodic
            check then runs: a hand-off nobody took may time out).
    """

    flow: str
    at: Annotated[AwareDatetime, BeforeValidator(_check_at)]
    locale: Literal["ja", "en"] | None = None
    team: Team | None = None
    turns: list[Turn] = Field(min_length=1)


@dataclass
class LoadedTranscript:
    """A valid transcript with the lines it was written on."""

    transcript: Transcript
    path: str
    located: Located

    def line(self, *loc: str | int) -> int:
        """The line of a key path such as ``("turns", 2)``."""
        return self.located.line_of(tuple(loc))


def load_transcript(path: str | Path, engine: Engine | None = None) -> tuple[LoadedTranscript | None, list[LoadError]]:
    """Parse and check one transcript file.

    Args:
        path: the YAML file.
        engine: when given, the flow, expected states, contact ids and picked choices are checked
            against its flows and directory.

    Returns:
        ``(loaded, errors)``; ``loaded`` is None when there is any error.
    """
    try:
        located = load_file(path)
    except LoadError as exc:
        return None, [exc]
    if not isinstance(located.data, dict):
        return None, [LoadError(str(path), 1, "a transcript must be a mapping with flow, at and turns")]
    try:
        t = Transcript.model_validate(located.data)
    except ValidationError as exc:
        return None, list(iter_pydantic_errors(exc, located, model=Transcript))
    lt = LoadedTranscript(t, str(path), located)
    errors: list[LoadError] = []
    if engine is not None:
        def err(msg: str, *loc: str | int) -> None:
            errors.append(LoadError(lt.path, lt.line(*loc), msg))

        flow = engine.flows.get(t.flow)
        if flow is None:
            err(f"unknown flow {t.flow!r}; the flows are {', '.join(sorted(engine.flows))}", "flow")
            return None, errors
        choice_ids = {c.id for st in flow.states.values() for c in st.choices or []}
        for i, turn in enumerate(t.turns):
            if turn.pick is not None and turn.pick not in choice_ids and turn.pick not in COMMAND_CHOICES:
                err(f"turn {i + 1}: {turn.pick!r} is not a choice id of flow {t.flow!r}; use a choice `id` "
                    f"(not its label), or {', '.join(COMMAND_CHOICES)} under a result", "turns", i, "pick")
            ex = turn.expect
            if ex is None:
                continue
            if ex.state is not None and ex.state not in flow.states:
                err(f"turn {i + 1}: {ex.state!r} is not a state of flow {t.flow!r}", "turns", i, "expect", "state")
            for key in ("contacts", "not_contacts"):
                for k, cid in enumerate(getattr(ex, key) or []):
                    if cid not in engine.directory:
                        err(f"turn {i + 1}: contact {cid!r} is not in the directory (directory/*.yaml)",
                            "turns", i, "expect", key, k)
            if ex.first is not None and ex.first not in engine.directory:
                err(f"turn {i + 1}: contact {ex.first!r} is not in the directory (directory/*.yaml)",
                    "turns", i, "expect", "first")
    return (None, errors) if errors else (lt, [])


@dataclass(frozen=True)
class Difference:
    """The first place where a transcript and the bot disagree.

    Attributes:
        turn: 1-based turn number.
        line: the line of the turn in the file.
        turn_text: the turn as written (``say "2"``, ``pick pupil``).
        what: ``state``, ``contacts``, ``contains`` or ``pick``.
        expected: what the transcript expects.
        seen: what the bot did.
        replies: a short rendering of the replies of that turn.
    """

    turn: int
    line: int
    turn_text: str
    what: str
    expected: str
    seen: str
    replies: str

    def __str__(self) -> str:
        return (f"turn {self.turn} ({self.turn_text}): expected {self.what} {self.expected}, saw {self.seen}\n"
                f"      the bot replied: {self.replies}")


@dataclass
class TranscriptResult:
    """The outcome of one transcript."""

    path: str
    flow: str
    turns: int
    difference: Difference | None = None
    states: set[str] = field(default_factory=set)
    choices: set[tuple[str, str]] = field(default_factory=set)

    @property
    def passed(self) -> bool:
        """True when every expectation held."""
        return self.difference is None


def _summary(replies: Sequence[Reply], locale: str, limit: int = 240) -> str:
    parts: list[str] = []
    for r in replies:
        s = r.text.replace("\n", " ")
        if isinstance(r, Ask):
            s += " [" + " / ".join(f"{c.id}: {c.label}" for c in r.choices) + "]"
        if isinstance(r, Refer):
            s += " {windows: " + ", ".join(v.contact.id for v in r.contacts) + "}"
        parts.append(s)
    out = " | ".join(parts)
    return out if len(out) <= limit else out[: limit - 1] + "…"


def run_transcript(engine: Engine, lt: LoadedTranscript) -> TranscriptResult:
    """Run one transcript through ``engine`` at its frozen time; stop at the first difference."""
    t = lt.transcript
    if t.team is not None:
        engine = engine.with_teams({t.team.id: t.team})
    chat = FakeChat(engine, flow=t.flow, at=t.at, locale=t.locale, team=t.team.id if t.team else None)
    result = TranscriptResult(lt.path, t.flow, len(t.turns))
    chat.start()
    seen_events = len(chat.handoffs)
    for i, turn in enumerate(t.turns):
        n, line = i + 1, lt.line("turns", i)

        def diff(what: str, expected: str, seen: str, *, _n: int = n, _line: int = line,
                 _turn: Turn = turn) -> Difference:
            return Difference(_n, _line, _turn.describe(), what, expected, seen,
                              _summary(chat.replies, chat.current_locale))

        if turn.pick is not None:
            ids = [c.id for c in chat.buttons]
            if turn.pick not in ids:
                result.difference = diff("a button", repr(turn.pick),
                                         f"state {chat.state!r} with buttons {ids}")
                break
            chat.pick(turn.pick)
        elif turn.wait is not None:
            chat.at = chat.at + dt.timedelta(seconds=turn.wait)
            chat.send(HandoffSignal("check"))
        else:
            assert turn.say is not None
            chat.say(turn.say)
        events = [e.kind for e in chat.handoffs[seen_events:]]
        seen_events = len(chat.handoffs)
        ex = turn.expect
        if ex is None:
            continue
        if ex.state is not None and chat.state != ex.state:
            result.difference = diff("state", repr(ex.state),
                                     repr(chat.state) if chat.state else "the conversation ended")
            break
        offered = chat.contact_ids
        missing = [c for c in ex.contacts or [] if c not in offered]
        if missing:
            result.difference = diff("contacts", f"{ex.contacts} (missing {missing})",
                                     f"{offered}" if offered else "no windows offered")
            break
        unwanted = [c for c in ex.not_contacts or [] if c in offered]
        if unwanted:
            result.difference = diff("contacts without", f"{unwanted}", f"{offered}")
            break
        if ex.first is not None and (not offered or offered[0] != ex.first):
            result.difference = diff("first window", repr(ex.first), f"{offered}" if offered else "no windows offered")
            break
        if ex.urgency is not None and ex.urgency not in chat.urgencies:
            result.difference = diff("urgency", repr(ex.urgency),
                                     ", ".join(u or "none declared" for u in chat.urgencies) or "no referral")
            break
        if ex.handoff is not None and ex.handoff not in events:
            result.difference = diff("hand-off event", repr(ex.handoff), ", ".join(events) or "none")
            break
        text = chat.text
        absent = [s for s in ex.contains or [] if s not in text]
        if absent:
            result.difference = diff("text containing", repr(absent[0]), "it nowhere in the replies")
            break
        present = [s for s in ex.not_contains or [] if s in text]
        if present:
            result.difference = diff("text without", repr(present[0]), "it in the replies")
            break
    result.states = set(chat.visited_states)
    result.choices = set(chat.visited_choices)
    return result


@dataclass
class Coverage:
    """What the transcripts of one flow visit.

    Attributes:
        flow: the flow id; states / choices: every state id and ``(state, choice)`` pair;
        visited_states / visited_choices: those some transcript visited.
    """

    flow: str
    states: list[str]
    choices: list[tuple[str, str]]
    visited_states: set[str]
    visited_choices: set[tuple[str, str]]

    @property
    def missed_states(self) -> list[str]:
        """States no transcript visits, in file order."""
        return [s for s in self.states if s not in self.visited_states]

    @property
    def missed_choices(self) -> list[tuple[str, str]]:
        """Choices no transcript takes, in file order."""
        return [c for c in self.choices if c not in self.visited_choices]

    @staticmethod
    def _pct(part: int, whole: int) -> float:
        return 100.0 * part / whole if whole else 100.0

    @property
    def state_percent(self) -> float:
        """Visited states, percent."""
        return self._pct(len(self.states) - len(self.missed_states), len(self.states))

    @property
    def choice_percent(self) -> float:
        """Taken choices, percent."""
        return self._pct(len(self.choices) - len(self.missed_choices), len(self.choices))


def coverage(engine: Engine, results: Iterable[TranscriptResult]) -> list[Coverage]:
    """Coverage of every flow of ``engine`` by ``results`` (sorted by flow id)."""
    res = list(results)
    out = []
    for fid in sorted(engine.flows):
        f = engine.flows[fid]
        states = list(f.states)
        choices = [(sid, c.id) for sid, st in f.states.items() for c in st.choices or []]
        vs = {s for r in res if r.flow == fid for s in r.states}
        vc = {c for r in res if r.flow == fid for c in r.choices}
        out.append(Coverage(fid, states, choices, vs & set(states), vc & set(choices)))
    return out


def _shown(path: str | Path) -> str:
    """``path`` relative to the current folder when it is inside it (``flows/tests/x.yaml``)."""
    try:
        return Path(path).resolve().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


def collect_paths(paths: Sequence[str | Path]) -> list[Path]:
    """YAML files (transcripts; flows and directory files for ``soudan validate``): the files given,
    and ``*.yaml`` in the folders given (not recursively), sorted."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        out.extend(sorted(p.glob("*.yaml")) if p.is_dir() else [p])
    return out


def run(paths: Sequence[str | Path], engine: Engine, out: IO[str] | None = None,
        flow_files: dict[str, str] | None = None) -> int:
    """Run transcripts and print the report.

    Args:
        paths: transcript files or folders.
        engine: the engine with the flows and directory to test.
        out: where to print (default: standard output).
        flow_files: flow id → file, to name files in the coverage report.

    Returns:
        0 when every transcript passed, 1 otherwise (or when there are none).
    """
    out = out or sys.stdout
    files = collect_paths(paths)
    if not files:
        where = ", ".join(str(p) for p in paths)
        print(f"no transcripts found in {where}; write one (see docs/writing-flows.md)", file=out)
        return 1
    results: list[TranscriptResult] = []
    invalid = 0
    for path in files:
        lt, errors = load_transcript(path, engine)
        if lt is None:
            invalid += 1
            print(f"FAIL {_shown(path)}: the transcript is not valid", file=out)
            for e in errors:
                print(f"  {e}", file=out)
            continue
        r = run_transcript(engine, lt)
        results.append(r)
        if r.passed:
            print(f"PASS {_shown(path)} ({r.turns} turn{'s' if r.turns != 1 else ''})", file=out)
        else:
            d = r.difference
            assert d is not None
            print(f"FAIL {_shown(path)}:{d.line}: {d}", file=out)
    print(file=out)
    # Named files (`soudan test flows/tests/club-photo.yaml`): coverage of the flows they use only;
    # a folder (the default flows/tests/) reports every flow, so a flow without transcripts shows 0 %.
    only_used = all(Path(p).is_file() for p in paths)
    used = {r.flow for r in results}
    covs = [c for c in coverage(engine, results) if not only_used or c.flow in used] if results else []
    for cov in covs:  # none ran (all invalid): no 0 % lists
        where = f" ({_shown(flow_files[cov.flow])})" if flow_files and cov.flow in flow_files else ""
        n_s = len(cov.states) - len(cov.missed_states)
        n_c = len(cov.choices) - len(cov.missed_choices)
        print(f"coverage of flow {cov.flow}{where}: states {n_s}/{len(cov.states)} ({cov.state_percent:.0f}%), "
              f"choices {n_c}/{len(cov.choices)} ({cov.choice_percent:.0f}%)", file=out)
        if cov.missed_states:
            print(f"  states no transcript visits: {', '.join(cov.missed_states)}", file=out)
        if cov.missed_choices:
            print("  choices no transcript takes: " + ", ".join(f"{s}.{c}" for s, c in cov.missed_choices),
                  file=out)
    failed = invalid + sum(1 for r in results if not r.passed)
    total = len(files)
    print(f"\n{total} transcript(s): {total - failed} passed, {failed} failed", file=out)
    return 1 if failed else 0


def main(args: argparse.Namespace) -> int:
    """``soudan test [PATH…]`` (default ``flows/tests/``): load the flows, run the transcripts."""
    from bot.loading import load
    from bot.settings import Settings

    settings = Settings()
    paths = list(getattr(args, "paths", None) or []) or [settings.flows_dir / "tests"]
    try:
        loaded = load(settings.flow_paths(), settings.directory_paths(), default_flow=settings.default_flow,
                      idle_timeout=settings.session_ttl)
    except ProblemsError as exc:
        for e in exc.errors:
            print(e)
        print("the flows or the directory have errors; fix them first (`soudan validate`)")
        return 1
    except ValueError as exc:  # e.g. SOUDAN_DEFAULT_FLOW names no flow
        print(f"soudan test: {exc}")
        return 1
    return run(paths, loaded.engine, flow_files={k: v.path for k, v in loaded.flows.items()})
