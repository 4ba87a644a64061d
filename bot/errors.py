"""What soudan raises, and what to catch.

Problems in files (flows, the directory, the teams file, the guild settings file, transcripts)
    :class:`Problem` — one problem at ``file:line``: a message for the person who edits the file,
    a severity (``error``/``warning``) and a machine-readable :attr:`Problem.code` (see
    :data:`CODES`). It is a value (warnings, lint findings, the simulator's problem list); the
    YAML loader raises the one problem that stops a file from parsing (``bot.yamlload.LoadError``
    is the same class).

    :class:`ProblemsError` — files failed to load; ``errors`` lists every :class:`Problem`. Catch
    it around loading (``soudan serve``/``validate``, the simulator's reload). Its kinds say which
    files: :class:`FlowError` (``flows/*.yaml``), :class:`DirectoryError` (``directory/*.yaml``),
    :class:`TeamError` (``SOUDAN_TEAMS_FILE``), :class:`GuildsError` (``SOUDAN_DISCORD_GUILDS_FILE``).

At run time
    ``bot.store.StoreError`` (and ``StoreUnavailable``): the session store failed; the adapters
    answer 500/503 so that the platform redelivers. ``ValueError``: bad arguments or settings
    (an unknown ``SOUDAN_DEFAULT_FLOW``, a naive datetime). Nothing else is meant to be caught.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["CODES", "DirectoryError", "FlowError", "GuildsError", "Problem", "ProblemsError", "TeamError"]

CODES: dict[str, str] = {
    # YAML (bot.yamlload)
    "yaml-syntax": "the file is not valid YAML (the message says what is wrong at the line)",
    "yaml-file": "the file cannot be read, is not UTF-8 or is too large",
    "yaml-control-character": "a control character (U+0000…) in the text",
    "yaml-duplicate-key": "a key written twice in one mapping",
    "yaml-unsupported": "a YAML tag, a merge key (<<:), a second document or a key that is not text",
    "yaml-too-deep": "values nested or expanded (aliases) beyond the limits",
    # the shape of a file (pydantic validation)
    "unknown-key": "a key the format does not have (a spelling mistake?)",
    "missing-key": "a required key is missing",
    "empty-value": "a value is empty",
    "wrong-type": "a value of the wrong type (e.g. a number where text belongs)",
    "invalid-value": "a value the format does not accept",
    "not-a-list": "a directory or teams file that is not a YAML list",
    "not-a-mapping": "a flow file that is not a mapping",
    # flows (bot.engine.flow)
    "unknown-state": "a goto, next or start that names no state of the flow",
    "unknown-contact": "a contact id that is not in the directory",
    "duplicate-contact": "a window listed twice in one result",
    "bad-slot-name": "a save_as slot name with characters other than a-z 0-9 _ -",
    "unknown-region": "a region code that is not in bot/nlu/regions.yaml",
    "unknown-slot": "a condition (or after.keep) on a slot that no state saves",
    "after-again-not-question": "after.again names a state that is not a question with save_as",
    "impossible-slot-value": "a condition on a value the slot never takes",
    "short-crisis-keyword": "a crisis keyword shorter than 2 letters once folded",
    "example-mismatch": "an example answer the matcher does not read as its own choice",
    "unreachable-state": "a state no path from the start reaches",
    "say-loop": "say states that lead to each other forever",
    "no-result": "a flow without any refer state",
    "dead-end": "a state from which no result can be reached",
    "duplicate-flow-id": "two flow files with the same id",
    "no-flows": "no flow files were found",
    # the directory (bot.contacts.directory)
    "duplicate-contact-id": "a contact id used twice across the directory files",
    "empty-directory": "the directory has no contacts",
    "stale-verified": "a contact verified more than a year ago",
    "future-verified": "a verified date after today",
    "old-source": "a contact's source page is more than three years old",
    # the teams file (bot.handoff.team)
    "duplicate-team-id": "a team id used twice",
    # the Discord guild settings file (bot.handoff.guilds)
    "guilds-file": "the guild settings file cannot be read, is a folder or is not UTF-8 text",
    "json-syntax": "the file is not valid JSON, or is nested too deeply to be one soudan writes",
    "not-a-discord-id": "a value that is not a Discord id (a positive whole number below 2**63)",
    "duplicate-guild": "two rows of the guild settings file for one server",
    # soudan validate's rules (bot.toolkit.lint)
    "no-open-window": "a result with no window a person can reach at some hour (soudan serve refuses)",
    "crisis-no-open-window": "the crisis reply has no window open at some hour",
    "too-many-choices": "more choices than LINE or Discord can show as buttons",
    "long-label": "a button label longer than LINE or Discord shows",
    "long-button-data": "a LINE postback or Discord custom_id longer than the platform allows",
    "few-windows": "a result with fewer than 2 windows",
    "many-windows": "a result with more than 4 windows",
    "no-local-window": "a result asks for local windows that no regional entry has",
    "missing-translation": "a text without its English translation",
    "no-urgency": "a result that declares no urgency",
    "long-text": "a text longer than a platform shows in one message",
}
"""Every :attr:`Problem.code`, with what it means (``soudan serve`` refuses to start on
``no-open-window`` and on any error while loading)."""


@dataclass(frozen=True)
class Problem(Exception):
    """One problem in a data file.

    Attributes:
        path: the file (as given), or ``"<string>"``.
        line: 1-based line number, or 0 when the whole file is concerned.
        message: what is wrong and, where possible, how to fix it.
        severity: ``"error"`` or ``"warning"``.
        code: what kind of problem it is, one of :data:`CODES` (``""`` when not classified);
            programs decide on it, never on the message's words.
    """

    path: str
    line: int
    message: str
    severity: str = "error"
    code: str = ""

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.severity}: {self.message}"


class ProblemsError(Exception):
    """Files failed to load. ``errors`` lists every :class:`Problem` with ``file:line``."""

    def __init__(self, errors: Sequence[Problem]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


class FlowError(ProblemsError):
    """A flow file (``flows/*.yaml``) is broken, or no flow was found."""


class DirectoryError(ProblemsError):
    """A directory file (``directory/*.yaml``) is broken, or the directory is empty."""


class TeamError(ProblemsError):
    """The teams file (``SOUDAN_TEAMS_FILE``) is broken."""


class GuildsError(ProblemsError):
    """The Discord guild settings file (``SOUDAN_DISCORD_GUILDS_FILE``) is broken."""
