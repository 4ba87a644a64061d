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


class GuildStore:
    """The per-guild moderator settings, kept in memory and in ``path`` (None: memory only).

    Raises:
        ValueError: when the file exists but is not the JSON this class writes (the message names it).
    """

    def __init__(self, path: str | Path | None) -> None:
        self.path = Path(path) if path is not None else None
        self._by_guild: dict[int, GuildModerators] = {}
        if self.path is not None and self.path.exists():
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                for row in data.get("guilds", []):
                    g = GuildModerators(int(row["guild"]), int(row["channel"]), int(row["role"]))
                    self._by_guild[g.guild] = g
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise ValueError(f"{self.path}: not a soudan guild settings file ({type(exc).__name__}); "
                                 "delete it and run /soudan-moderators again") from None

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
