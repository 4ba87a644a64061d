"""Adapter package facades (bot/adapters/lazy.py): the pure modules load without the platform SDKs,
and every public name of a package is the object its submodule defines."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

import bot.adapters.discord as discord_pkg
import bot.adapters.line as line_pkg
from bot.adapters.discord import client, components, ids, runner
from bot.adapters.line import codecs, flex, webhook
from tests.imports import packages_imported

ROOT = Path(__file__).resolve().parents[2]
discord_render = importlib.import_module("bot.adapters.discord.render")  # the module, not the function


def test_the_pure_modules_load_without_discord_py_or_line_bot_sdk() -> None:
    code = ("import bot.adapters.discord.ids, bot.adapters.discord.render\n"
            "import bot.adapters.line.codecs, bot.adapters.line.flex\nimport bot.toolkit.lint")
    assert packages_imported(code, ["discord", "linebot"]) == []


def test_every_public_name_is_its_submodules_object() -> None:
    for pkg, modules in ((discord_pkg, (client, components, ids, discord_render, runner)),
                         (line_pkg, (codecs, flex, webhook))):
        for name in pkg.__all__:
            home = [m for m in modules if name in vars(m)]
            if home:
                assert getattr(pkg, name) is vars(home[0])[name], (pkg.__name__, name)
    assert discord_pkg.render is discord_render.render  # the function, though a submodule has that name
    assert discord_pkg.SoudanClient is client.SoudanClient and line_pkg.LineAdapter is webhook.LineAdapter
    assert set(discord_pkg.__all__) <= set(dir(discord_pkg))


def test_an_unknown_name_is_an_attribute_error_naming_it() -> None:
    with pytest.raises(AttributeError, match=r"'bot\.adapters\.discord' has no attribute 'SoudanBot'"):
        discord_pkg.SoudanBot  # noqa: B018
