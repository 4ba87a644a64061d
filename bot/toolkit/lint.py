"""Extra checks of ``soudan validate`` for people who write flows and the directory.

The loaders (:func:`bot.engine.flow.load_flows`, :meth:`bot.contacts.directory.Directory.load`)
already refuse broken files: YAML traps, unknown keys, missing states or contacts, unreachable
states, states with no way out, phone numbers that do not validate, and they warn about
``verified`` dates older than a year. :func:`lint` runs only on files that loaded and adds the
rules below; it never repeats a loader message.

Rules (each message names ``file:line`` and the fix):

``no-open-window`` (error)
    A result (``refer``) offers no window that is open or 24 hours at some sampled time — the
    flow's ``fallback`` contacts count, as the engine adds them. Times sampled every 30 minutes
    over the 8 days from ``today`` plus 31 December, 2 January and the next public holiday.
    The crisis reply has no fallback: one of its contacts must be available at every sample.
``line-limits`` / ``discord-limits`` (warning)
    An ``ask`` with more choices than LINE (13 quick-reply items) or Discord (25 buttons) shows,
    or a choice label longer than LINE (20 UTF-16 units) or Discord (80 characters) allows. The
    adapters then fall back to numbered choices, which works but reads worse.
``payload-limits`` (warning)
    The button data of a choice — LINE postback data ``c=<choice>&s=<state>&v=<id>`` (≤300
    characters) or Discord ``custom_id`` ``soudan:c:<choice>:<state>:<id>`` (≤100) — is too long
    for the platform. The adapters cope (LINE sends the choice number as text, Discord replaces
    the id by a hash), but the ids are too long to read; shorten the state or choice id.
``missing-translation`` (error)
    A user-facing text has no English (``en``) version: flow title, ``ask``, ``say``, choice
    labels, ``refer`` text and steps, crisis text and steps; directory ``name``, ``org`` and
    ``hours_text``.
``refer-size`` (warning)
    A result names fewer than 2 or more than 4 contacts (DESIGN.md: 2–4 windows per result).
``local-windows`` (warning)
    A result's ``local:`` topics match no regional entry of the directory in any region, so it can
    never add a local window (a typo in a code, or the entry's main topic differs).
``urgency`` (error)
    A result (``refer`` state) declares no ``urgency`` (``immediate``, ``high`` or ``normal``):
    the hand-off summary and the counts by urgency need it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from bot.adapters.discord.ids import MAX_CUSTOM_ID, choice_custom_id, parse_choice_custom_id
from bot.adapters.discord.render import MAX_COMPONENTS
from bot.adapters.discord.render import MAX_LABEL as DISCORD_LABEL
from bot.adapters.line.codecs import MAX_POSTBACK, postback_data
from bot.adapters.line.flex import MAX_LABEL, MAX_QUICK_REPLY
from bot.adapters.text import utf16_len
from bot.contacts.directory import Directory, DirectoryError
from bot.contacts.holidays import holidays_between
from bot.engine.flow import Flow, FlowError, LoadedFlow, load_flows
from bot.timeutil import JST, now_jst
from bot.yamlload import LoadError, load_file

__all__ = [
    "CONVERSATION_ID_LEN", "DISCORD_MAX_BUTTONS", "DISCORD_MAX_CUSTOM_ID", "DISCORD_MAX_LABEL",
    "LINE_MAX_ITEMS", "LINE_MAX_LABEL", "LINE_MAX_POSTBACK", "MAX_CONTACTS", "MIN_CONTACTS",
    "lint", "lint_directory", "lint_flow", "lint_loaded", "sample_times",
]

LINE_MAX_ITEMS = MAX_QUICK_REPLY
"""Quick-reply items per LINE message (:data:`bot.adapters.line.flex.MAX_QUICK_REPLY`)."""
LINE_MAX_LABEL = MAX_LABEL
"""Longest LINE action label, in UTF-16 units (:data:`bot.adapters.line.flex.MAX_LABEL`)."""
LINE_MAX_POSTBACK = MAX_POSTBACK
"""Longest LINE postback data, in characters (:data:`bot.adapters.line.codecs.MAX_POSTBACK`)."""
DISCORD_MAX_BUTTONS = MAX_COMPONENTS
"""Buttons per Discord message, 5 rows of 5 (:data:`bot.adapters.discord.render.MAX_COMPONENTS`)."""
DISCORD_MAX_LABEL = DISCORD_LABEL
"""Longest Discord button label, in UTF-16 units (:data:`bot.adapters.discord.render.MAX_LABEL`)."""
DISCORD_MAX_CUSTOM_ID = MAX_CUSTOM_ID
"""Longest Discord ``custom_id``, in characters (:data:`bot.adapters.discord.ids.MAX_CUSTOM_ID`)."""
CONVERSATION_ID_LEN = 10
"""Length assumed for the conversation id inside button data (the engine uses 8; 10 is the safe side)."""
MIN_CONTACTS, MAX_CONTACTS = 2, 4
"""Recommended number of windows per result."""

_CONV = "x" * CONVERSATION_ID_LEN

SAMPLE_STEP = dt.timedelta(minutes=30)
SAMPLE_DAYS = 8



NO_OPEN_WINDOW = "no-open-window"
"""Code of the error for a result no one can reach at some hour (``soudan serve`` refuses to start on it)."""

def _hashed(choice_id: str, state_id: str) -> bool:
    """True when the Discord adapter writes a hash for the ids in a choice button's ``custom_id``."""
    pick = parse_choice_custom_id(choice_custom_id(choice_id, state_id, _CONV))
    return pick is None or (pick.choice_id, pick.state_id) != (choice_id, state_id)


def sample_times(today: dt.date) -> list[dt.datetime]:
    """The instants (aware, JST) at which results are checked for an open window.

    Every 30 minutes over the :data:`SAMPLE_DAYS` days from ``today`` (every weekday and the
    weekend), plus 31 December and 2 January (year-end closures) and the first public holiday
    after those days.
    """
    days = [today + dt.timedelta(days=i) for i in range(SAMPLE_DAYS)]
    year_end = dt.date(today.year, 12, 31)
    extra = [year_end, dt.date(today.year + 1, 1, 2)]
    later = [d for d in holidays_between(days[-1] + dt.timedelta(days=1), today + dt.timedelta(days=400))
             if d not in extra]
    if later:
        extra.append(later[0])
    out: list[dt.datetime] = []
    for d in sorted(set(days) | set(extra)):
        t = dt.datetime(d.year, d.month, d.day, tzinfo=JST)
        end = t + dt.timedelta(days=1)
        while t < end:
            out.append(t)
            t += SAMPLE_STEP
    return out


def _fmt(t: dt.datetime) -> str:
    return f"{t:%a %Y-%m-%d %H:%M}"


def _ranges(times: Sequence[dt.datetime], limit: int = 3) -> str:
    """``times`` (sorted samples) as up to ``limit`` readable ranges, e.g. ``Sat 2026-12-05 17:00–24:00``."""
    spans: list[tuple[dt.datetime, dt.datetime]] = []
    for t in times:
        if spans and t - spans[-1][1] == SAMPLE_STEP and t.date() == spans[-1][0].date():
            spans[-1] = (spans[-1][0], t)
        else:
            spans.append((t, t))
    parts = []
    for a, b in spans[:limit]:
        end = b + SAMPLE_STEP
        parts.append(f"{_fmt(a)}–{'24:00' if end.date() != a.date() else f'{end:%H:%M}'}")
    more = f" and {len(spans) - limit} more" if len(spans) > limit else ""
    return ", ".join(parts) + more


class _Availability:
    """Cached "can a person reach this contact at t" (open or 24 h, by phone, chat or LINE)."""

    def __init__(self, directory: Directory, samples: Sequence[dt.datetime]) -> None:
        self.directory = directory
        self.samples = list(samples)
        self._cache: dict[str, list[bool]] = {}

    def of(self, cid: str) -> list[bool]:
        if cid not in self._cache:
            c = self.directory.get(cid)
            hours = self.directory.hours(cid)
            self._cache[cid] = hours.open_at(self.samples) if c.reachable_live else [False] * len(self.samples)
        return self._cache[cid]

    def gaps(self, ids: Iterable[str]) -> list[dt.datetime]:
        """Sampled instants at which none of ``ids`` is available."""
        rows = [self.of(c) for c in ids if c in self.directory]
        return [t for i, t in enumerate(self.samples) if not any(r[i] for r in rows)]


def _windows(lf: LoadedFlow, avail: _Availability, err: Callable[..., None]) -> None:
    f = lf.flow
    for sid, st in f.states.items():
        if st.refer is None:
            continue
        gaps = avail.gaps([*st.refer.contacts, *f.fallback])
        if gaps:
            err(NO_OPEN_WINDOW, f"result {sid!r}: none of its windows (nor the flow's `fallback`) is open or 24 hours during "
                f"{_ranges(gaps)}; add a 24-hour line "
                "(hours: \"24/7\") to its `contacts` or to the flow's `fallback` list",
                "states", sid, "refer", "contacts")
    if f.crisis is not None:
        for path, ids, _steps in f.crisis.parts():
            where = (*path, "contacts")
            gaps = avail.gaps(ids) if ids else []
            if gaps:
                err("crisis-no-open-window", f"the crisis reply has no window open during {_ranges(gaps)}; "
                    "crisis contacts must include lines open 24 hours (110, 119, a 24-hour phone line)",
                    *where)


def _limits(lf: LoadedFlow, warn: Callable[..., None]) -> None:
    for sid, st in lf.flow.states.items():
        choices = st.choices or []
        if len(choices) > LINE_MAX_ITEMS:
            warn("too-many-choices", f"state {sid!r} has {len(choices)} choices; LINE shows at most {LINE_MAX_ITEMS} buttons, so "
                 "LINE users will have to type a number. Split the question in two, or keep it at "
                 f"{LINE_MAX_ITEMS} choices or fewer", "states", sid, "choices")
        if len(choices) > DISCORD_MAX_BUTTONS:
            warn("too-many-choices", f"state {sid!r} has {len(choices)} choices; Discord shows at most {DISCORD_MAX_BUTTONS} "
                 "buttons. Split the question in two", "states", sid, "choices")
        for i, ch in enumerate(choices):
            for loc, label in ch.label.items():
                n = utf16_len(label)
                if n > LINE_MAX_LABEL:
                    warn("long-label", f"choice {ch.id!r} label ({loc}) is {n} characters; LINE buttons hold "
                         f"{LINE_MAX_LABEL}, so LINE will show numbered buttons instead of words. Shorten it "
                         f"to {LINE_MAX_LABEL} or fewer: {label!r}", "states", sid, "choices", i, "label")
                if n > DISCORD_MAX_LABEL:
                    warn("long-label", f"choice {ch.id!r} label ({loc}) is {n} characters; Discord buttons hold "
                         f"{DISCORD_MAX_LABEL}. Shorten it", "states", sid, "choices", i, "label")
            data = postback_data(ch.id, sid, _CONV)
            if len(data) > LINE_MAX_POSTBACK:
                warn("long-button-data", f"choice {ch.id!r} of state {sid!r}: its LINE button data would be {len(data)} characters "
                     f"(limit {LINE_MAX_POSTBACK}), so LINE buttons will send the choice number instead; "
                     "shorten the state id or the choice id", "states", sid, "choices", i, "id")
            if _hashed(ch.id, sid):
                room = DISCORD_MAX_CUSTOM_ID - len(choice_custom_id("", "", _CONV))
                plain = DISCORD_MAX_CUSTOM_ID - room + len(ch.id) + len(sid)  # as written without a hash
                warn("long-button-data", f"choice {ch.id!r} of state {sid!r}: its Discord button id would be "
                     f"{plain} characters "
                     f"(limit {DISCORD_MAX_CUSTOM_ID}), so Discord will carry a hash instead; shorten the state "
                     f"id and the choice id together to {room} "
                     "characters or fewer", "states", sid, "choices", i, "id")


def _refer_size(lf: LoadedFlow, warn: Callable[..., None]) -> None:
    for sid, st in lf.flow.states.items():
        if st.refer is None:
            continue
        n = len(st.refer.contacts)
        if n < MIN_CONTACTS:
            warn("few-windows", f"result {sid!r} names {n} window; offer {MIN_CONTACTS} to {MAX_CONTACTS} so the person has "
                 "a second place to call if the first is busy or closed", "states", sid, "refer", "contacts")
        elif n > MAX_CONTACTS:
            warn("many-windows", f"result {sid!r} names {n} windows; {MAX_CONTACTS} at most keeps the choice manageable — "
                 "keep the best fitting ones", "states", sid, "refer", "contacts")


def _local(lf: LoadedFlow, directory: Directory, warn: Callable[..., None]) -> None:
    regions = sorted({r for c in directory for r in c.eligibility.regions or ()})
    for sid, st in lf.flow.states.items():
        spec = st.refer.local if st.refer is not None else None
        if spec is None:
            continue
        if not any(directory.local(r, spec.topics, also=spec.also) for r in regions):
            codes = " ".join(t.value for t in [*spec.topics, *spec.also])
            warn("no-local-window", f"result {sid!r} asks for local windows ({codes}) but no regional directory entry has those "
                 "topics (main topic for `topics`, any topic for `also`); check the codes or add the entries",
                 "states", sid, "refer", "local")


def _urgency(lf: LoadedFlow, err: Callable[..., None]) -> None:
    for sid, st in lf.flow.states.items():
        if st.refer is not None and st.urgency is None:
            err("no-urgency", f"result {sid!r} declares no urgency; add `urgency: immediate` (life or safety at stake now), "
                "`urgency: high` (act today) or `urgency: normal` beside `refer:`", "states", sid)


def _flow_texts(f: Flow) -> Iterable[tuple[dict[str, str], tuple[str | int, ...], str]]:
    """Every user-facing text of a flow: ``(text, location, what)``."""
    yield f.title, ("title",), "the flow title"
    if f.crisis is not None:
        yield f.crisis.text, ("crisis", "text"), "the crisis text"
        for key, part in (("danger", f.crisis.danger), ("injured", f.crisis.injured)):
            if part is not None:
                yield part.text, ("crisis", key, "text"), f"the crisis text for {key}"
        for path, _ids, steps in f.crisis.parts():
            of = " ".join(path[1:])  # 'adult', 'danger', 'injured adult'…
            for k, step in enumerate(steps):
                yield step, (*path, "steps", k), f"crisis step {k + 1}" + (f" for {of}" if of else "")
    for sid, st in f.states.items():
        if st.ask is not None:
            yield st.ask, ("states", sid, "ask"), f"the question of {sid!r}"
        if st.say is not None:
            yield st.say, ("states", sid, "say"), f"the message of {sid!r}"
        for i, ch in enumerate(st.choices or []):
            yield ch.label, ("states", sid, "choices", i, "label"), f"the label of choice {ch.id!r} in {sid!r}"
        if st.refer is not None:
            yield st.refer.text, ("states", sid, "refer", "text"), f"the result text of {sid!r}"
            for k, step in enumerate(st.refer.steps):
                yield step, ("states", sid, "refer", "steps", k), f"step {k + 1} of {sid!r}"


def _translations(lf: LoadedFlow, warn: Callable[..., None]) -> None:
    for text, loc, what in _flow_texts(lf.flow):
        if not text.get("en"):
            warn("missing-translation", f"{what} has no English translation; write it as {{ja: ..., en: ...}}", *loc)


def lint_flow(lf: LoadedFlow, directory: Directory, samples: Sequence[dt.datetime] | None = None,
              *, _avail: _Availability | None = None) -> list[LoadError]:
    """The lint problems of one loaded flow.

    Args:
        lf: a flow that loaded without errors.
        directory: the directory it was checked against.
        samples: instants for the ``no-open-window`` rule (default: :func:`sample_times` of today).

    Returns:
        Errors and warnings with ``file:line``, in rule order.
    """
    out: list[LoadError] = []

    def add(severity: str) -> Callable[..., None]:
        def emit(code: str, message: str, *loc: str | int) -> None:
            out.append(LoadError(lf.path, lf.line(*loc), message, severity, code))
        return emit

    err, warn = add("error"), add("warning")
    avail = _avail or _Availability(directory, samples or sample_times(now_jst().date()))
    _windows(lf, avail, err)
    _limits(lf, warn)
    _refer_size(lf, warn)
    _local(lf, directory, warn)
    _translations(lf, err)
    _urgency(lf, err)
    return out


def lint_directory(dir_paths: Sequence[str | Path]) -> list[LoadError]:
    """Missing English ``name``, ``org`` and ``hours_text`` of directory entries (errors: every
    window must be readable in both locales).

    Files that do not parse are skipped (the loader reports them).
    """
    out: list[LoadError] = []
    for path in dir_paths:
        try:
            located = load_file(path)
        except LoadError:
            continue
        if not isinstance(located.data, list):
            continue
        for i, item in enumerate(located.data):
            if not isinstance(item, dict):
                continue
            cid = item.get("id", f"entry {i + 1}")
            for key in ("name", "org", "hours_text"):
                value = item.get(key)
                if value is None:
                    continue
                if isinstance(value, str) or (isinstance(value, dict) and not value.get("en")):
                    out.append(LoadError(located.path, located.line_of((i, key)),
                                         f"{cid}: `{key}` has no English translation; write it as "
                                         "{ja: ..., en: ...}", "error", "missing-translation"))
    return out


def lint(flow_paths: Sequence[str | Path], dir_paths: Sequence[str | Path], *,
         today: dt.date | None = None) -> list[LoadError]:
    """Run every lint rule over flows and the directory.

    Called by ``soudan validate`` after the loaders found no error.

    Args:
        flow_paths: ``flows/*.yaml`` files.
        dir_paths: ``directory/*.yaml`` files.
        today: the first sampled day for opening hours (default: today in JST).

    Returns:
        Errors and warnings (``LoadError`` with ``severity``); empty when all is well. When the
        files do not load, only the directory translation warnings are returned (the loader
        reports the errors).
    """
    try:
        directory = Directory.load(dir_paths, today=today)
        flows = load_flows(flow_paths, directory.ids) if flow_paths else {}
    except (DirectoryError, FlowError):
        return lint_directory(dir_paths)
    return lint_loaded(directory, flows, dir_paths, today=today)


def lint_loaded(directory: Directory, flows: Mapping[str, LoadedFlow], dir_paths: Sequence[str | Path], *,
                today: dt.date | None = None) -> list[LoadError]:
    """Every lint rule over flows and a directory already loaded (what :func:`lint` does after
    loading them): ``soudan serve`` and ``soudan validate`` lint what they loaded instead of
    reading the files again.

    Args:
        directory: the directory loaded from ``dir_paths``.
        flows: flow id → flow loaded against ``directory`` (:func:`bot.loading.load`'s ``flows``).
        dir_paths: the directory files (the translation rule reads their lines).
        today: the first sampled day for opening hours (default: today in JST).

    Returns:
        Errors and warnings, as :func:`lint`.
    """
    out = lint_directory(dir_paths)
    avail = _Availability(directory, sample_times(today or now_jst().date()))
    for lf in flows.values():
        out.extend(lint_flow(lf, directory, _avail=avail))
    return out
