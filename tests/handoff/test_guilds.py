"""The per-server moderator settings file (bot/handoff/guilds.py): what it keeps, and the error a
broken file gives — the file, the line where there is one, what is wrong — instead of a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.handoff.guilds import GuildModerators, GuildsError, GuildStore


def test_settings_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "var" / "discord-guilds.json"
    GuildStore(path).set(GuildModerators(111, 222, 333))
    assert GuildStore(path).get(111) == GuildModerators(111, 222, 333)
    assert json.loads(path.read_text(encoding="utf-8")) == {"guilds": [{"guild": 111, "channel": 222, "role": 333}]}


def test_ids_written_as_digit_strings_are_read(tmp_path: Path) -> None:
    path = tmp_path / "g.json"
    path.write_text('{"guilds": [{"guild": "111", "channel": "222", "role": "333"}]}', encoding="utf-8")
    assert GuildStore(path).get(111) == GuildModerators(111, 222, 333)


@pytest.mark.parametrize(("body", "line", "code", "message"), [
    ('{"guilds": [\n  {"guild": 1e999, "channel": 2, "role": 3}\n]}', 2, "not-a-discord-id",
     "1e999 is not a Discord id (a positive whole number below 2**63"),
    ('{"guilds": [\n  {"guild": 1, "channel": 2.5, "role": 3}\n]}', 2, "not-a-discord-id", "2.5 is not a Discord id"),
    ('{"guilds": [\n  {"guild": 1, "channel": 2, "role": NaN}\n]}', 2, "not-a-discord-id", "NaN is not a Discord id"),
    ('{"guilds": [\n  {"guild": 1, "channel": 2, "role": 3},\n]}', 3, "json-syntax",
     "not valid JSON (Expecting value at column 1)"),
    ('{"guilds": [\n {"guild": 1,\n  "channel": 2}]}', 2, "missing-key", "guilds[0] has no 'role'"),
    ('{"guilds": [{"guild": "x", "channel": 2, "role": 3}]}', 1, "not-a-discord-id",
     'guilds[0].guild: "x" is not a Discord id'),
    ('[1, 2, 3]', 1, "wrong-type", "the file is a list, not a JSON object"),
    ('{"guilds": {"guild": 1}}', 1, "wrong-type", "guilds is an object, not a list"),
    ('{"guilds": [7]}', 1, "wrong-type", "guilds[0] is a number, not an object"),
    # two rows for one server (a hand edit): the hand-offs went to the last row's channel, unsaid
    ('{"guilds": [\n {"guild": 1, "channel": 2, "role": 3},\n {"guild": "1", "channel": 4, "role": 5}\n]}', 3,
     "duplicate-guild", "guilds[1].guild: 1 is the server of guilds[0] too"),
    ('{"guilds": ' + '[' * 100_000 + ']' * 100_000 + '}', 0, "json-syntax", "nested too deeply"),  # was a RecursionError
])
def test_a_broken_file_is_a_problem_with_line_code_and_fix(tmp_path: Path, body: str, line: int, code: str,
                                                           message: str) -> None:
    path = tmp_path / "discord-guilds.json"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(GuildsError) as err:
        GuildStore(path)
    [problem] = err.value.errors
    assert (problem.path, problem.line, problem.code, problem.severity) == (str(path), line, code, "error")
    assert message in problem.message
    assert problem.message.endswith("run /soudan-moderators again in each server")
    assert str(err.value).startswith(f"{path}:{line}: error: " if line else f"{path}: error: ")


@pytest.mark.parametrize(("value", "shown"), [
    ("true", "true"), ("false", "false"), ("null", "null"), ("0", "0"), ("-1", "-1"),
    ("1e26", "1e26"), ("1E3", "1E3"), ("100000000000000000000000000", "100000000000000000000000000"),
    ("9223372036854775808", "9223372036854775808"),  # 2**63
    ("1" * 5000, "1" * 5000),  # beyond int()'s digit limit: no ValueError traceback
    ('"1e26"', '"1e26"'), ('"-1"', '"-1"'), ('" 12"', '" 12"'), ('"１２"', '"１２"'), ('"1_000"', '"1_000"'),
    ('""', '""'), ('[1]', "[1]"), ('{"id": 1}', '{"id": 1}'),
])
def test_values_that_are_not_discord_ids_are_refused(tmp_path: Path, value: str, shown: str) -> None:
    """Discord ids (snowflakes) are positive whole numbers below 2**63, written as integers or digit strings."""
    path = tmp_path / "g.json"
    path.write_text('{"guilds": [\n {"guild": 111,\n  "channel": ' + value + ',\n  "role": 333}\n]}', encoding="utf-8")
    with pytest.raises(GuildsError) as err:
        GuildStore(path)
    [problem] = err.value.errors
    assert (problem.line, problem.code) == (3, "not-a-discord-id")
    assert f"{shown[:39]}" in problem.message and "is not a Discord id" in problem.message


def test_the_largest_ids_are_read(tmp_path: Path) -> None:
    path = tmp_path / "g.json"
    top = 2**63 - 1
    path.write_text(f'{{"guilds": [{{"guild": {top}, "channel": "{top}", "role": 1}}]}}', encoding="utf-8")
    assert GuildStore(path).get(top) == GuildModerators(top, top, 1)


def test_messages_name_no_internal_model(tmp_path: Path) -> None:
    """pydantic's wording named the private models (「instance of _File」); the messages say what the file holds."""
    path = tmp_path / "g.json"
    for body in ('[1]', '{"guilds": 1}', '{"guilds": [1]}', '{"guilds": [{}]}', '{"guilds": [{"guild": true}]}'):
        path.write_text(body, encoding="utf-8")
        with pytest.raises(GuildsError) as err:
            GuildStore(path)
        assert "_File" not in str(err.value) and "_Row" not in str(err.value) and "pydantic" not in str(err.value)
        assert '{"guilds": [{"guild": …, "channel": …, "role": …}]}' in str(err.value) or "Discord id" in str(err.value)


def test_a_directory_is_refused_with_the_setting_to_change(tmp_path: Path) -> None:
    with pytest.raises(GuildsError) as err:
        GuildStore(tmp_path)
    assert err.value.errors[0].code == "guilds-file"
    assert str(err.value).startswith(f"{tmp_path}: error: is a directory, not a guild settings file; "
                                     "set SOUDAN_DISCORD_GUILDS_FILE to a file path")


def test_a_file_that_is_not_text_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "g.json"
    path.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(GuildsError, match="not UTF-8 text") as err:
        GuildStore(path)
    assert err.value.errors[0].code == "guilds-file"
