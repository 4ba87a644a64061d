"""Build the engine from the YAML on disk, refusing to start on any error.

:func:`build_engine` is the one way to make an :class:`~bot.engine.core.Engine` from files (the
server, the simulator, ``soudan chat``/``test``, :mod:`bot.testing`, tests and benchmarks);
:func:`load` gives the same engine with the loaded flows' sources and the directory's warnings.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from bot.contacts.directory import Directory
from bot.engine.core import Engine
from bot.engine.flow import LoadedFlow, load_flows
from bot.settings import SESSION_TTL, Settings
from bot.timeutil import now_jst
from bot.yamlload import LoadError

if TYPE_CHECKING:
    from bot.handoff.team import Team

__all__ = ["MAIN_FLOW", "Loaded", "build_engine", "load", "load_all", "load_engine", "load_settings"]

MAIN_FLOW = "net-harm"
"""The shipped screening flow (``flows/net-harm.yaml``): where conversations start when it is loaded
and ``SOUDAN_DEFAULT_FLOW`` names no other, so that a flow an author adds beside it (say
``flows/club.yaml``, sorted first) is reached by ``--flow`` and the simulator's picker but does not
take over every new LINE and Discord conversation."""


_Key = tuple[tuple[tuple[str, bytes | None], ...], tuple[tuple[str, bytes | None], ...], dt.date]
_loaded: dict[_Key, tuple[weakref.ref[Directory], dict[str, LoadedFlow]]] = {}
"""Loads in use: the files' paths and contents and ``today`` → (the directory, the flows). An
entry lasts as long as its directory object (which every engine built from it holds)."""


def _contents(paths: Sequence[Path]) -> tuple[tuple[str, bytes | None], ...]:
    """Each path with a digest of its bytes (None: unreadable), in order."""
    out: list[tuple[str, bytes | None]] = []
    for p in paths:
        try:
            out.append((str(p), hashlib.blake2b(Path(p).read_bytes(), digest_size=20).digest()))
        except OSError:
            out.append((str(p), None))
    return tuple(out)


def _keep(key: _Key, directory: Directory, flows: dict[str, LoadedFlow]) -> None:
    def gone(ref: weakref.ref[Directory]) -> None:
        if _loaded.get(key, (None,))[0] is ref:
            del _loaded[key]

    _loaded[key] = (weakref.ref(directory, gone), flows)


def load_all(flow_paths: Sequence[Path], directory_paths: Sequence[Path],
             today: dt.date | None = None) -> tuple[Directory, dict[str, LoadedFlow], list[LoadError]]:
    """Load the directory and the flows and cross-check them.

    The same files with the same bytes (and the same ``today``) give the same parse while an engine
    built from it is alive: ``soudan serve`` loads its engine, the simulator's and the start-up lint
    from one parse, and a test process running ``soudan`` commands beside the shipped engine parses
    the shipped files once. Files are compared by path and content (a digest of the bytes, not the
    modification time: an edit is always seen); what is given back is shared and read-only, as an
    engine is (frozen flow models, a read-only directory; the dict and the list are new at each
    call). Once nothing holds the directory of a parse, it is forgotten (and its flows are no longer
    loaded in this process: :attr:`bot.engine.types.Session.finished`). Files with errors are
    parsed again at every call.

    Returns:
        ``(directory, flows, warnings)``.

    Raises:
        DirectoryError: listing every error of the directory files (``file:line: message``).
        FlowError: listing every error of the flow files (checked only once the directory loads).
    """
    today = today or now_jst().date()
    key = (_contents(flow_paths), _contents(directory_paths), today)
    hit = _loaded.get(key)
    directory = hit[0]() if hit is not None else None
    if directory is not None and hit is not None:
        flows = hit[1]
    else:
        directory = Directory.load(directory_paths, today=today)
        flows = load_flows(flow_paths, directory.ids)
        if key == (_contents(flow_paths), _contents(directory_paths), today):  # no file changed meanwhile
            _keep(key, directory, flows)
    return directory, dict(flows), list(directory.warnings)


@dataclass(frozen=True)
class Loaded:
    """What :func:`load` gives.

    Attributes:
        engine: the engine over the flows and the directory.
        flows: flow id → the loaded flow with its file and lines (:class:`LoadedFlow`).
        warnings: the directory's warnings (``file:line`` each); none of them stops a start.
    """

    engine: Engine
    flows: dict[str, LoadedFlow]
    warnings: list[LoadError]


def _expand(paths: Iterable[str | Path]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        out.extend(sorted(q for q in p.glob("*.yaml") if q.is_file()) if p.is_dir() else [p])
    return out


def load(flow_paths: Iterable[str | Path], directory_paths: Iterable[str | Path], *,
         default_flow: str | None = None, idle_timeout: float = SESSION_TTL,
         teams: Mapping[str, Team] | None = None, today: dt.date | None = None) -> Loaded:
    """Load flow and directory files and build the engine over them.

    Args:
        flow_paths: ``flows/*.yaml`` files; a folder stands for its ``*.yaml`` (sorted; the
            transcripts in ``flows/tests/`` are not read).
        directory_paths: ``directory/*.yaml`` files or folders, likewise.
        default_flow: the flow a conversation starts in (default: :data:`MAIN_FLOW` when it is
            among the flows, else the first id in sorted order).
        idle_timeout: seconds a session lives without activity (default 24 hours).
        teams: team id → team a result can hand over to (none: no hand-off).
        today: the day the directory's freshness warnings are computed for (default: today, JST).

    Raises:
        bot.errors.ProblemsError: a :class:`~bot.errors.DirectoryError` or :class:`FlowError` listing
            every problem of the files (``file:line: message``).
        ValueError: when ``default_flow`` is not one of the flows.
    """
    directory, flows, warnings = load_all(_expand(flow_paths), _expand(directory_paths), today=today)
    if default_flow is None and MAIN_FLOW in flows:
        default_flow = MAIN_FLOW
    engine = Engine({k: v.flow for k, v in flows.items()}, directory, default_flow=default_flow,
                    idle_timeout=idle_timeout, teams=teams)
    return Loaded(engine, flows, warnings)


def build_engine(flow_paths: Iterable[str | Path], directory_paths: Iterable[str | Path], *,
                 default_flow: str | None = None, idle_timeout: float = SESSION_TTL,
                 teams: Mapping[str, Team] | None = None, today: dt.date | None = None) -> Engine:
    """The engine over these flow and directory files (arguments and errors as for :func:`load`)."""
    return load(flow_paths, directory_paths, default_flow=default_flow, idle_timeout=idle_timeout,
                teams=teams, today=today).engine


def load_engine(settings: Settings) -> Engine:
    """The engine for ``settings`` (flows and directory from their folders, teams from its file).

    Raises:
        bot.errors.ProblemsError: when a flow, directory or teams file is broken (a FlowError,
            DirectoryError or TeamError); the process must not start.
        ValueError: when ``SOUDAN_DEFAULT_FLOW`` names no flow.
    """
    return load_settings(settings).engine


def load_settings(settings: Settings) -> Loaded:
    """What :func:`load_engine` loads, with the flows' sources and the directory's warnings (for
    ``soudan serve``'s start-up lint, which then reads no file again). The engine hands over to the
    teams of ``SOUDAN_TEAMS_FILE``.

    Raises:
        as :func:`load_engine`.
    """
    from bot.handoff.team import load_teams

    loaded = load(settings.flow_paths(), settings.directory_paths(), default_flow=settings.default_flow,
                  idle_timeout=settings.session_ttl)
    teams = load_teams(settings.teams_file)  # after the flows: their errors are reported first
    return replace(loaded, engine=loaded.engine.with_teams(teams)) if teams else loaded
