"""Per-server (Discord guild) moderator settings: the private channel and the role that see hand-offs.

Set by a server admin with ``/soudan-moderators`` and stored in one small JSON file
(``SOUDAN_DISCORD_GUILDS_FILE``, default ``var/discord-guilds.json``): guild id → channel id and
role id. These are the server's ids, not anyone's personal data. The file is rewritten atomically
(write to a temporary file, then rename), so a crash never leaves half a file.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

__all__ = ["GuildModerators", "GuildStore"]


@dataclass(frozen=True)
class GuildModerators:
    """Where a server's hand-off cards go.

    Attributes:
        guild: the guild (server) id; channel: the private moderators' channel id; role: the
        moderator role id (only members with it may press 「対応します」).
    """

    guild: int
    channel: int
    role: int


class _Row(BaseModel):
    """One row of the file, as :meth:`GuildStore._write` writes it."""

    guild: int
    channel: int
    role: int


class _File(BaseModel):
    """The whole file: ``{"guilds": [row, …]}``."""

    guilds: list[_Row] = []


class _NotAnId(ValueError):
    """A number in the file that no id can be (a fraction, an exponent such as ``1e999``, NaN, Infinity)."""

    def __init__(self, literal: str) -> None:
        super().__init__(literal)
        self.literal = literal


def _refuse(literal: str) -> Any:
    raise _NotAnId(literal)


def _load(path: Path) -> list[GuildModerators]:
    """The rows of the guild settings file at ``path``.

    Raises:
        ValueError: naming the file (and the line where there is one), what is wrong and the fix.
    """
    fix = "fix it, or delete it and run /soudan-moderators again in each server"
    if path.is_dir():
        raise ValueError(f"{path}: is a directory, not a guild settings file; set SOUDAN_DISCORD_GUILDS_FILE "
                         "to a file path (e.g. var/discord-guilds.json; /soudan-moderators creates it)")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text, so not a soudan guild settings file; {fix}") from None
    except OSError as exc:
        raise ValueError(f"{path}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    try:
        data = json.loads(text, parse_float=_refuse, parse_constant=_refuse)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg} at column {exc.colno}); {fix}") from None
    except RecursionError:  # nested thousands deep: not a file /soudan-moderators wrote
        raise ValueError(f"{path}: nested too deeply to be a soudan guild settings file; {fix}") from None
    except _NotAnId as exc:
        line = text.count("\n", 0, max(text.find(exc.literal), 0)) + 1
        raise ValueError(f"{path}:{line}: {exc.literal} is not a Discord id (ids are whole numbers, as "
                         f"/soudan-moderators writes them); {fix}") from None
    try:
        rows = _File.model_validate(data).guilds
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"]).lstrip(".") or "the file"
        raise ValueError(f"{path}: {where}: {first['msg']} (expected {{\"guilds\": [{{\"guild\": …, "
                         f"\"channel\": …, \"role\": …}}]}}); {fix}") from None
    return [GuildModerators(r.guild, r.channel, r.role) for r in rows]


class GuildStore:
    """The per-guild moderator settings, kept in memory and in ``path`` (None: memory only).

    Raises:
        ValueError: when ``path`` is a directory, cannot be read, or is not the JSON this class
            writes (the message names the file, the line where there is one, what is wrong and the fix).
    """

    def __init__(self, path: str | Path | None) -> None:
        self.path = Path(path) if path is not None else None
        self._by_guild: dict[int, GuildModerators] = {}
        if self.path is not None and self.path.exists():
            for g in _load(self.path):
                self._by_guild[g.guild] = g

    def get(self, guild: int | None) -> GuildModerators | None:
        """The settings of ``guild``, or None when it has none (or for a DM: None)."""
        return self._by_guild.get(guild) if guild is not None else None

    def set(self, value: GuildModerators) -> None:
        """Store (replace) a guild's settings and write the file.

        Raises:
            OSError: when the file cannot be written.
        """
        self._by_guild[value.guild] = value
        self._write()

    def remove(self, guild: int) -> None:
        """Forget a guild's settings (hand-offs are then not offered there)."""
        self._by_guild.pop(guild, None)
        self._write()

    def _write(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps({"guilds": [asdict(g) for g in self._by_guild.values()]}, indent=1)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".guilds-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(body)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
