"""Build the engine from the YAML on disk, refusing to start on any error."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from bot.contacts.directory import Directory, DirectoryError
from bot.engine.core import Engine
from bot.engine.flow import FlowError, LoadedFlow, load_flows
from bot.settings import Settings
from bot.yamlload import LoadError

__all__ = ["load_all", "load_engine"]


def load_all(flow_paths: Sequence[Path], directory_paths: Sequence[Path],
             today: dt.date | None = None) -> tuple[Directory, dict[str, LoadedFlow], list[LoadError]]:
    """Load the directory and the flows and cross-check them.

    Returns:
        ``(directory, flows, warnings)``.

    Raises:
        FlowError: listing every error of the directory and the flows (``file:line: message``).
    """
    try:
        directory = Directory.load(directory_paths, today=today)
    except DirectoryError as exc:
        raise FlowError(exc.errors) from None
    flows = load_flows(flow_paths, directory.ids)
    return directory, flows, list(directory.warnings)


def load_engine(settings: Settings) -> Engine:
    """The engine for ``settings`` (flows and directory from their folders).

    Raises:
        FlowError: when a flow, directory or teams file is broken; the process must not start.
    """
    from bot.handoff.team import load_teams

    directory, flows, _ = load_all(settings.flow_paths(), settings.directory_paths())
    return Engine({k: v.flow for k, v in flows.items()}, directory, default_flow=settings.default_flow,
                  idle_timeout=settings.session_ttl, teams=load_teams(settings.teams_file))
