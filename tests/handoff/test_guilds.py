"""The per-server moderator settings file (bot/handoff/guilds.py): what it keeps, and the error a
broken file gives — the file, the line where there is one, what is wrong — instead of a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.handoff.guilds import GuildModerators, GuildStore


def test_settings_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "var" / "discord-guilds.json"
    GuildStore(path).set(GuildModerators(111, 222, 333))
    assert GuildStore(path).get(111) == GuildModerators(111, 222, 333)
    assert json.loads(path.read_text(encoding="utf-8")) == {"guilds": [{"guild": 111, "channel": 222, "role": 333}]}


def test_ids_written_as_digit_strings_are_read(tmp_path: Path) -> None:
    path = tmp_path / "g.json"
    path.write_text('{"guilds": [{"guild": "111", "channel": "222", "role": "333"}]}', encoding="utf-8")
    assert GuildStore(path).get(111) == GuildModerators(111, 222, 333)


@pytest.mark.parametrize(("body", "message"), [
    ('{"guilds": [\n  {"guild": 1e999, "channel": 2, "role": 3}\n]}',
     ":2: 1e999 is not a Discord id (ids are whole numbers"),
    ('{"guilds": [\n  {"guild": 1, "channel": 2.5, "role": 3}\n]}', ":2: 2.5 is not a Discord id"),
    ('{"guilds": [\n  {"guild": 1, "channel": 2, "role": NaN}\n]}', ":2: NaN is not a Discord id"),
    ('{"guilds": [\n  {"guild": 1, "channel": 2, "role": 3},\n]}', ":3: not valid JSON (Expecting value at column 1)"),
    ('{"guilds": [{"guild": 1, "channel": 2}]}', ": guilds[0].role: Field required"),
    ('{"guilds": [{"guild": "x", "channel": 2, "role": 3}]}', ": guilds[0].guild: Input should be a valid integer"),
    ('[1, 2, 3]', ": the file: Input should be a valid dictionary"),
    ('{"guilds": ' + '[' * 100_000 + ']' * 100_000 + '}', ": nested too deeply"),  # was a RecursionError traceback
])
def test_a_broken_file_is_named_with_what_is_wrong(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "discord-guilds.json"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ValueError, match="^" + str(path).replace(".", r"\.")) as err:
        GuildStore(path)
    assert message in str(err.value)
    assert "run /soudan-moderators again" in str(err.value)


def test_a_directory_is_refused_with_the_setting_to_change(tmp_path: Path) -> None:
    with pytest.raises(ValueError) as err:
        GuildStore(tmp_path)
    assert str(err.value).startswith(f"{tmp_path}: is a directory, not a guild settings file; "
                                     "set SOUDAN_DISCORD_GUILDS_FILE to a file path")


def test_a_file_that_is_not_text_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "g.json"
    path.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(ValueError, match="not UTF-8 text"):
        GuildStore(path)
