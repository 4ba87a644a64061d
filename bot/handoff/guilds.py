"""Per-server (Discord guild) moderator settings: the private channel and the role that see hand-offs.

Set by a server admin with ``/soudan-moderators`` and stored in one small JSON file
(``SOUDAN_DISCORD_GUILDS_FILE``, default ``var/discord-guilds.json``): guild id → channel id and
role id. These are the server's ids, not anyone's personal data. The file is rewritten atomically
(write to a temporary file, then rename), so a crash never leaves half a file.
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bot.errors import GuildsError, Problem

__all__ = ["MAX_ID", "GuildModerators", "GuildStore", "GuildsError", "snowflake"]


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


FIX = "fix it, or delete it and run /soudan-moderators again in each server"
"""How to repair a broken file (every message ends with it, except for a path that is a folder)."""

MAX_ID = 2**63
"""Discord ids (snowflakes) are positive whole numbers below this (a signed 64-bit integer)."""

_KEYS = ("guild", "channel", "role")
_NOT_AN_ID = "is not a Discord id (a positive whole number below 2**63, as /soudan-moderators writes it)"
_SHAPE = '(expected {"guilds": [{"guild": …, "channel": …, "role": …}]})'


class _NotAnId(ValueError):
    """A number literal in the file that no id can be (a fraction, an exponent such as ``1e999``,
    NaN, Infinity, a whole number of more than 19 digits)."""

    def __init__(self, literal: str) -> None:
        super().__init__(literal)
        self.literal = literal


def _refuse(literal: str) -> Any:
    raise _NotAnId(literal)


def _whole(literal: str) -> int:
    if len(literal.lstrip("-")) > 19:  # beyond 2**63 (and int()'s 4,300-digit limit): not an id
        raise _NotAnId(literal)
    return int(literal)


def snowflake(value: object) -> int | None:
    """``value`` as a Discord id, or None when it is not one.

    Args:
        value: a JSON value: an integer (not a boolean) or a string of ASCII digits.

    Returns:
        The id (``0 < id < 2**63``), or None for anything else (``true``, ``-1``, ``"1e26"``,
        ``"١٢"``, ``" 12"``, 10**26…).
    """
    if type(value) is int:
        n = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        n = int(value)
    else:
        return None
    return n if 0 < n < MAX_ID else None


def _shown(value: object) -> str:
    """A value as it is written in JSON (clipped), for a message."""
    return _clip(json.dumps(value, ensure_ascii=False))


def _clip(text: str) -> str:
    return text if len(text) <= 40 else text[:39] + "…"


class _Decoder(json.JSONDecoder):
    """JSON with the offset of every object (``starts[id(obj)]``), to name the line of a row.

    Uses the json module's pure-Python scanner (its C scanner reports no offsets); the file holds
    one small row per server.
    """

    def __init__(self) -> None:
        super().__init__(parse_float=_refuse, parse_constant=_refuse, parse_int=_whole)
        self.starts: dict[int, tuple[int, int, dict[str, Any]]] = {}

        def parse_object(s_and_end: tuple[str, int], *args: Any) -> tuple[dict[str, Any], int]:
            obj, end = json.decoder.JSONObject(s_and_end, *args)  # type: ignore[attr-defined]
            self.starts[id(obj)] = (s_and_end[1] - 1, end, obj)  # (the dict kept alive with its id)
            return obj, end

        self.parse_object = parse_object
        self.scan_once = json.scanner.py_make_scanner(self)  # type: ignore[attr-defined]


def _load(path: Path) -> list[GuildModerators]:
    """The rows of the guild settings file at ``path``.

    Raises:
        GuildsError: one :class:`~bot.errors.Problem` naming the file, the line where there is one,
            what is wrong and the fix (codes ``guilds-file``, ``json-syntax``, ``wrong-type``,
            ``missing-key``, ``not-a-discord-id``, ``duplicate-guild``).
    """
    def fail(line: int, message: str, *, code: str) -> GuildsError:
        return GuildsError([Problem(str(path), line, message, code=code)])

    if path.is_dir():
        raise fail(0, "is a directory, not a guild settings file; set SOUDAN_DISCORD_GUILDS_FILE to a file "
                      "path (e.g. var/discord-guilds.json; /soudan-moderators creates it)", code="guilds-file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise fail(0, f"not UTF-8 text, so not a soudan guild settings file; {FIX}", code="guilds-file") from None
    except OSError as exc:
        raise fail(0, f"cannot be read ({exc.strerror or type(exc).__name__})", code="guilds-file") from None
    decoder = _Decoder()
    try:
        data = decoder.decode(text)
    except json.JSONDecodeError as exc:
        raise fail(exc.lineno, f"not valid JSON ({exc.msg} at column {exc.colno}); {FIX}", code="json-syntax") from None
    except RecursionError:  # nested thousands deep: not a file /soudan-moderators wrote
        raise fail(0, f"nested too deeply to be a soudan guild settings file; {FIX}", code="json-syntax") from None
    except _NotAnId as exc:
        raise fail(_line(text, max(text.find(exc.literal), 0)),
                   f"{_clip(exc.literal)} {_NOT_AN_ID}; {FIX}", code="not-a-discord-id") from None

    def line_of(obj: object, key: str | None = None) -> int:
        start, end, _ = decoder.starts.get(id(obj), (0, 0, None))
        at = text.find(f'"{key}"', start, end) if key is not None else -1
        return _line(text, at if at >= 0 else start)

    if not isinstance(data, dict):
        raise fail(1, f"the file is {_kind(data)}, not a JSON object {_SHAPE}; {FIX}", code="wrong-type")
    rows = data.get("guilds", [])
    if not isinstance(rows, list):
        raise fail(line_of(data, "guilds"), f"guilds is {_kind(rows)}, not a list {_SHAPE}; {FIX}", code="wrong-type")
    out: list[GuildModerators] = []
    row_of: dict[int, int] = {}  # guild id → index of its row
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise fail(line_of(data, "guilds"), f"guilds[{i}] is {_kind(row)}, not an object {_SHAPE}; {FIX}",
                       code="wrong-type")
        ids: list[int] = []
        for key in _KEYS:
            if key not in row:
                raise fail(line_of(row), f"guilds[{i}] has no {key!r} {_SHAPE}; {FIX}", code="missing-key")
            n = snowflake(row[key])
            if n is None:
                raise fail(line_of(row, key), f"guilds[{i}].{key}: {_shown(row[key])} {_NOT_AN_ID}; {FIX}",
                           code="not-a-discord-id")
            ids.append(n)
        if ids[0] in row_of:  # which channel should see the hand-offs? Not guessed: they hold consultations
            raise fail(line_of(row, "guild"), f"guilds[{i}].guild: {ids[0]} is the server of guilds[{row_of[ids[0]]}] "
                       f"too (one row per server); {FIX}", code="duplicate-guild")
        row_of[ids[0]] = i
        out.append(GuildModerators(*ids))
    return out


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _kind(value: object) -> str:
    """What a JSON value is, in words."""
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a number"


class GuildStore:
    """The per-guild moderator settings, kept in memory and in ``path`` (None: memory only).

    Raises:
        bot.errors.GuildsError: when ``path`` is a directory, cannot be read, or is not the JSON this
            class writes (its problem names the file, the line where there is one, what is wrong and
            the fix, with a code: see :func:`_load`).
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
