"""Discord inside ``soudan serve``: the app factory's plugin hook starts and stops the client.

The client's network start (login + gateway) is replaced by a stand-in that waits until the client
is closed, so these tests check the wiring — one engine, one store, started with the app and
closed with it — without any network.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
import pytest

from bot.adapters import discord as dadapter
from bot.adapters.discord import SoudanClient, runner
from bot.app import CONVERSATIONS_KEY, create_app
from bot.engine.core import Engine
from bot.service import Conversations
from bot.settings import Settings
from bot.store.memory import MemoryStore
from tests.conftest import WEEKDAY_10


def settings(**extra: Any) -> Settings:
    values: dict[str, Any] = {"SOUDAN_SECRET": "s", "SOUDAN_STORE": "memory://", "SOUDAN_SIMULATOR": False,
                              "DISCORD_TOKEN": "test-token"}
    values.update(extra)
    return Settings(_env_file=None, **values)


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[tuple[SoudanClient, str]]:
    """Replace the network start with one that idles until the client is closed; record the calls."""
    calls: list[tuple[SoudanClient, str]] = []

    async def fake_start(self: SoudanClient, token: str, *, reconnect: bool = True) -> None:
        calls.append((self, token))
        while not self.is_closed():
            await asyncio.sleep(0.01)

    monkeypatch.setattr(SoudanClient, "start", fake_start)
    return calls


async def test_serve_runs_discord_on_the_shared_conversations(aiohttp_client: Any, tiny_engine: Engine,
                                                              started: list[tuple[SoudanClient, str]]) -> None:
    store = MemoryStore()
    app = create_app(settings(), engine=tiny_engine, store=store, clock=lambda: WEEKDAY_10)
    client = await aiohttp_client(app)
    assert (await client.get("/healthz")).status == 200
    await asyncio.sleep(0.05)
    [(bot, token)] = started
    assert token == "test-token"
    assert bot.conversations is app[CONVERSATIONS_KEY]  # one engine, one store for LINE and Discord
    assert bot.conversations.store is store
    assert bot.clock() == WEEKDAY_10
    assert logging.getLogger("discord").getEffectiveLevel() >= logging.INFO
    await client.close()
    assert bot.is_closed()


async def test_no_token_no_discord(aiohttp_client: Any, tiny_engine: Engine,
                                   started: list[tuple[SoudanClient, str]]) -> None:
    app = create_app(settings(DISCORD_TOKEN=""), engine=tiny_engine, store=MemoryStore())
    client = await aiohttp_client(app)
    assert (await client.get("/healthz")).status == 200
    assert started == []


async def test_rejected_token_is_logged_and_the_server_keeps_serving(
        aiohttp_client: Any, tiny_engine: Engine, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    async def bad_start(self: SoudanClient, token: str, *, reconnect: bool = True) -> None:
        raise discord.LoginFailure("Improper token has been passed.")

    monkeypatch.setattr(SoudanClient, "start", bad_start)
    app = create_app(settings(), engine=tiny_engine, store=MemoryStore())
    client = await aiohttp_client(app)
    await asyncio.sleep(0.05)
    assert (await client.get("/healthz")).status == 200
    assert "Discord rejected DISCORD_TOKEN" in caplog.text
    assert "test-token" not in caplog.text


async def test_stop_client_cancels_a_stuck_task(tiny_engine: Engine) -> None:
    conv = Conversations(tiny_engine, MemoryStore(), "s")
    bot = SoudanClient(conv, sync_commands=False)

    async def stuck() -> None:
        await asyncio.sleep(3600)

    task = asyncio.create_task(stuck())
    await dadapter.stop_client(bot, task, timeout=0.05)
    assert task.cancelled()
    assert bot.is_closed()


async def test_stop_client_during_a_start_up_attempt_that_the_close_cancels(tiny_engine: Engine,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # found under load: the app's cleanup closed the client while a start-up retry was resolving
    # Discord's host; closing the connector cancelled that lookup, the task ended cancelled and
    # stop_client raised CancelledError out of the app's cleanup
    conv = Conversations(tiny_engine, MemoryStore(), "s")
    bot = SoudanClient(conv, sync_commands=False)
    lookup: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def resolving(token: str, *, reconnect: bool = True) -> None:
        await lookup  # the host lookup that closing the connector cancels

    real_close = bot.close

    async def close() -> None:
        lookup.cancel()
        await real_close()

    monkeypatch.setattr(bot, "start", resolving)
    monkeypatch.setattr(bot, "close", close)
    task = await dadapter.start_client(bot, "t")
    await asyncio.sleep(0)  # the attempt is waiting on the lookup
    await dadapter.stop_client(bot, task, timeout=1)  # returns: the task is stopped
    assert task.cancelled()
    assert bot.is_closed()


def test_setup_refuses_an_empty_token(tiny_engine: Engine) -> None:
    from aiohttp import web

    from bot.app import SETTINGS_KEY

    app = web.Application()
    app[SETTINGS_KEY] = settings(DISCORD_TOKEN="")
    with pytest.raises(ValueError, match="DISCORD_TOKEN"):
        dadapter.setup(app)


def test_intents_are_minimal() -> None:
    intents = dadapter.default_intents()
    assert intents.guilds and intents.dm_messages
    assert not intents.message_content and not intents.members and not intents.presences
    assert not intents.guild_messages


async def test_unreachable_discord_at_start_up_is_retried(tiny_engine: Engine, monkeypatch: pytest.MonkeyPatch,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    attempts: list[int] = []

    async def flaky_start(self: SoudanClient, token: str, *, reconnect: bool = True) -> None:
        attempts.append(1)
        if len(attempts) < 3:
            raise OSError("Temporary failure in name resolution")
        while not self.is_closed():
            await asyncio.sleep(0.01)

    monkeypatch.setattr(SoudanClient, "start", flaky_start)
    monkeypatch.setattr(runner, "RETRY_FIRST", 0.01)
    bot = SoudanClient(Conversations(tiny_engine, MemoryStore(), "s"), sync_commands=False)
    task = await dadapter.start_client(bot, "t")
    await asyncio.sleep(0.2)
    assert len(attempts) == 3 and not task.done()
    assert caplog.text.count("Discord unreachable at start-up (OSError)") == 2
    await dadapter.stop_client(bot, task, timeout=1)
    assert task.done() and not task.cancelled()


async def test_a_bug_at_start_up_is_not_retried(tiny_engine: Engine, monkeypatch: pytest.MonkeyPatch,
                                                caplog: pytest.LogCaptureFixture) -> None:
    async def broken(self: SoudanClient, token: str, *, reconnect: bool = True) -> None:
        raise KeyError("x")

    monkeypatch.setattr(SoudanClient, "start", broken)
    bot = SoudanClient(Conversations(tiny_engine, MemoryStore(), "s"), sync_commands=False)
    task = await dadapter.start_client(bot, "t")
    await asyncio.wait_for(task, 1)
    assert "Discord client stopped: KeyError at test_discord_serve.py:" in caplog.text
