"""Postback data of choice buttons (bot/adapters/line/codecs.py): what the adapter sends comes back
as the same pick; data that is not ours is a stale pick."""

from __future__ import annotations

import pytest

from bot.adapters.line.codecs import menu_command, menu_data, parse_postback, postback_data
from bot.engine.types import Command, CommandName, Pick


@pytest.mark.parametrize("ids", [("a", "b", "c"), (":restart", "doxx-pupil", "zw5ulz66"), ("a&b=c", "s t", "ü%")])
def test_postback_round_trip(ids: tuple[str, str, str]) -> None:
    assert parse_postback(postback_data(*ids)) == Pick(*ids)


@pytest.mark.parametrize(("data", "command"), [
    ("c=:restart", Command(CommandName.RESTART)),
    ("c=:open-now&l=en", Command(CommandName.OPEN_NOW, "en")),
    ("c=:help-now&l=ja", Command(CommandName.HELP_NOW, "ja")),
    ("c=:help-now&l=fr", Command(CommandName.HELP_NOW)),       # an unknown language is ignored
    ("m=open-now&l=en", Command(CommandName.OPEN_NOW, "en")),  # menus of earlier releases
    ("m=open-now", Command(CommandName.OPEN_NOW)),
    ("c=:restart&s=who&v=abc", None),                          # a choice button: a Pick
    ("c=:continue", None), ("c=:handoff", None), ("c=yes", None), ("m=other", None), ("x=1", None), ("", None),
    ("c=:open-now&l=" + "x" * 400, None),
])
def test_a_rich_menu_postback_is_a_command(data: str, command: Command | None) -> None:
    assert menu_command(data) == command


@pytest.mark.parametrize("command", list(CommandName))
def test_menu_data_round_trips(command: CommandName) -> None:
    assert menu_command(menu_data(command)) == Command(command)
    assert menu_command(menu_data(command, "en")) == Command(command, "en")


def test_foreign_or_oversized_postback_is_a_stale_pick() -> None:
    assert parse_postback("action=buyItem&itemId=1") == Pick("", "", "")
    assert parse_postback("c=" + "x" * 400) == Pick("", "", "")
    assert parse_postback("c=:restart") == Pick(":restart", "", "")
