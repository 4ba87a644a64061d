"""The engine over the shipped flows and directory, loaded once per test process.

Loading ``flows/`` and ``directory/`` (YAML parsing, the flow cross-check, the compiled
understanding) costs about a third of a second; the suite used to do it some 120 times. An
:class:`~bot.engine.core.Engine` is what ``soudan serve`` shares between every conversation at once
(sessions live in the store, never in the engine), so the tests that only run conversations through
the shipped files share one as well: :func:`engine` here, or the session-scoped ``shipped_engine``
fixture (tests/conftest.py) that returns it. Tests of loading itself (a broken file, a folder, the
command line's own start-up) still build their own.

It is a plain cached function, not only a fixture, because some modules need the shipped flows at
collection time (to parametrize over their states).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from bot.engine.core import Engine
from bot.handoff.team import load_teams
from bot.loading import load_engine
from bot.settings import ROOT, Settings

TEAMS_EXAMPLE = ROOT / "deploy" / "teams.example.yaml"
"""The example teams file (``SOUDAN_TEAMS_FILE`` of the hand-off and Chatwoot tests)."""


@cache
def engine(teams_file: Path | None = None) -> Engine:
    """The engine ``soudan serve`` builds from the shipped files (``Settings(_env_file=None)``: the
    environment's ``SOUDAN_*`` apply, no ``.env``), handing over to the teams of ``teams_file``
    (none: no hand-off); one per ``teams_file`` and process, built on first use.

    Raises:
        bot.errors.ProblemsError: when a shipped file is broken (every test using it fails).
    """
    if teams_file is None:
        return load_engine(Settings(_env_file=None))
    return engine().with_teams(load_teams(teams_file))  # what load_engine does with a teams file
