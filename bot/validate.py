"""``soudan validate``: load flows and the directory, print every problem as ``file:line``."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from bot.contacts.directory import Directory, DirectoryError
from bot.errors import ProblemsError
from bot.loading import load_all
from bot.settings import Settings
from bot.toolkit import lint
from bot.toolkit.transcripts import collect_paths
from bot.yamlload import LoadError, load_file

__all__ = ["collect", "main", "split_paths"]


def _is_directory_file(path: Path) -> bool:
    """True for a contact-directory file: in a ``directory`` folder, or a YAML list."""
    if path.parent.name == "directory":
        return True
    try:
        return isinstance(load_file(path).data, list)
    except LoadError:
        return False  # reported when the file is loaded as a flow


def split_paths(paths: list[str], settings: Settings) -> tuple[list[Path], list[Path]]:
    """Flow files and directory files for ``paths`` (files or folders); defaults from settings.

    A directory file is one in a folder named ``directory`` or one whose top level is a list;
    every other YAML file is a flow. Folders are searched for ``*.yaml`` (not recursively, so
    ``flows/tests`` transcripts are skipped). When only flows are given, the directory comes from
    settings (``directory/``) so that contact ids can be checked; when only directory files are
    given, they are checked on their own.
    """
    if not paths:
        return settings.flow_paths(), settings.directory_paths()
    flows: list[Path] = []
    dirs: list[Path] = []
    for f in collect_paths(paths):
        (dirs if _is_directory_file(f) else flows).append(f)
    if flows and not dirs:
        dirs = settings.directory_paths()
    return flows, dirs


def collect(flow_paths: list[Path], dir_paths: list[Path]) -> list[LoadError]:
    """Every error and warning for these files (directory files alone when no flow is given)."""
    if not flow_paths:
        try:
            problems = list(Directory.load(dir_paths).warnings)
        except DirectoryError as exc:
            return list(exc.errors)
        return problems + lint.lint_directory(dir_paths)
    try:
        directory, flows, warnings = load_all(flow_paths, dir_paths)
    except ProblemsError as exc:
        return exc.errors
    return list(warnings) + lint.lint_loaded(directory, flows, dir_paths)


def main(args: argparse.Namespace) -> int:
    """Run the check (and the teams file ``SOUDAN_TEAMS_FILE`` when set); exit 1 when there is any
    error (warnings alone give 0)."""
    settings = Settings()
    flows, dirs = split_paths(list(args.paths), settings)
    problems = collect(flows, dirs)
    teams = ""
    if settings.teams_file:  # `soudan serve` refuses a broken teams file too, and points here
        from bot.handoff.team import TeamError, load_teams

        teams = ", 1 teams file"
        try:
            load_teams(settings.teams_file)
        except TeamError as exc:
            problems = [*problems, *exc.errors]
    fmt = getattr(args, "format", "text")
    problems, hidden = _named_first(problems, list(args.paths))
    for e in (dataclasses.replace(p, path=_relative(p.path)) for p in problems):
        if fmt == "github":
            level = "error" if e.severity == "error" else "warning"
            print(f"::{level} file={e.path},line={e.line or 1}::{e.message}")
        else:
            print(e)
    errors = sum(1 for e in problems if e.severity == "error")
    warns = len(problems) - errors
    print(f"{len(flows)} flow file(s), {len(dirs)} directory file(s){teams}: {errors} error(s), {warns} warning(s)")
    if hidden:
        print(f"(and {hidden} warning(s) in files you did not name; `soudan validate` alone shows them)")
    return 1 if errors else 0


def _relative(path: str) -> str:
    """``path`` relative to the working folder when it lies inside it (``flows/net-harm.yaml``,
    as the author would type it), else as given: the defaults are absolute paths of the checkout."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return path


def _named_first(problems: list[LoadError], paths: list[str]) -> tuple[list[LoadError], int]:
    """The problems to print and the number of warnings left out.

    When files or folders were named (``soudan validate flows/club.yaml``), warnings about
    files that were only loaded to check the named ones (the shipped directory, when a flow
    alone is named) are counted, not printed: a flow author sees their own file's problems.
    Errors are always printed, wherever they are (the named file cannot load without them).
    """
    if not paths:
        return problems, 0
    named = {p.resolve() for p in collect_paths(paths)}
    shown = [e for e in problems if e.severity == "error" or not e.path or Path(e.path).resolve() in named]
    return shown, len(problems) - len(shown)
