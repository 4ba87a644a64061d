"""The Discord runner inside ``soudan serve`` (bot/adapters/discord/runner.py): ``/healthz`` says
where Discord stands, the start-up retry loop syncs the slash commands once (or again when they
changed), and a broken guild-settings file stops the server before it starts.

discord.py runs unmodified. Its login goes either to a local stand-in for Discord's REST API (a
rejected token, an unreachable Discord) or to simcord's in-memory Discord (connected, command
sync); only the gateway connection is replaced where a test needs Discord to stay unreachable.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import discord
import discord.http
import pytest
import simcord
from aiohttp import web
from discord import app_commands

from bot.adapters.discord import SoudanClient, runner
from bot.app import create_app
from bot.cli import main
from bot.engine.core import Engine
from bot.store.memory import MemoryStore
from tests.adapters.discord.test_discord_serve import settings


async def health(client: Any) -> dict[str, Any]:
    """``GET /healthz`` as JSON (asserting the 200: Discord's state never makes the server unhealthy)."""
    resp = await client.get("/healthz")
    assert resp.status == 200
    body: dict[str, Any] = await resp.json()
    return body


async def until(check: Callable[[], Any], what: str) -> None:
    """Let the event loop run until ``check()`` is true (at most 3,000 turns of 10 ms: a loaded
    machine is slow, and only a test that is failing anyway waits that long)."""
    for _ in range(3000):
        if await check() if asyncio.iscoroutinefunction(check) else check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


def closed_port() -> int:
    """A local TCP port nobody listens on (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ------------------------------------------------------------------ /healthz


async def test_healthz_says_discord_is_not_configured_without_a_token(aiohttp_client: Any,
                                                                      tiny_engine: Engine) -> None:
    app = create_app(settings(DISCORD_TOKEN=""), engine=tiny_engine, store=MemoryStore())
    body = await health(await aiohttp_client(app))
    assert body["discord"] == "not_configured"
    assert body["line"] is False and body["status"] == "ok"


async def test_healthz_says_the_token_was_rejected(aiohttp_client: Any, aiohttp_server: Any, tiny_engine: Engine,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    logins: list[str] = []

    async def users_me(request: web.Request) -> web.Response:  # Discord's answer to a bad token
        logins.append(request.headers.get("Authorization", ""))
        return web.json_response({"message": "401: Unauthorized", "code": 0}, status=401)

    fake = web.Application()
    fake.router.add_get("/api/v10/users/@me", users_me)
    server = await aiohttp_server(fake)
    monkeypatch.setattr(discord.http.Route, "BASE", str(server.make_url("/api/v10")))
    client = await aiohttp_client(create_app(settings(), engine=tiny_engine, store=MemoryStore()))

    async def rejected() -> bool:
        return bool((await health(client))["discord"] == "token_rejected")

    await until(rejected, "healthz says token_rejected")
    assert logins == ["Bot test-token"]  # discord.py's own login request
    assert "Discord rejected DISCORD_TOKEN" in caplog.text
    assert "test-token" not in caplog.text


async def test_healthz_says_retrying_while_discord_is_unreachable(aiohttp_client: Any, tiny_engine: Engine,
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(discord.http.Route, "BASE", f"http://127.0.0.1:{closed_port()}/api/v10")
    monkeypatch.setattr(runner, "RETRY_FIRST", 0.01)
    client = await aiohttp_client(create_app(settings(), engine=tiny_engine, store=MemoryStore()))
    await until(lambda: "Discord unreachable at start-up" in caplog.text, "a failed start-up attempt")
    body = await health(client)
    assert body["discord"] == "retrying"
    assert body["status"] == "ok"  # LINE and the simulator keep serving


async def test_healthz_says_connected_once_discord_is_ready(aiohttp_client: Any, tiny_engine: Engine,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    envs: list[simcord.Env] = []

    async def start_in_simcord(self: SoudanClient, token: str, *, reconnect: bool = True) -> None:
        env = simcord.Env(self)  # real login and READY through discord.py, against an in-memory Discord
        envs.append(env)
        await env.start()
        while not self.is_closed():
            await asyncio.sleep(0.01)

    monkeypatch.setattr(SoudanClient, "start", start_in_simcord)
    client = await aiohttp_client(create_app(settings(), engine=tiny_engine, store=MemoryStore()))

    async def connected() -> bool:
        return bool((await health(client))["discord"] == "connected")

    try:
        await until(connected, "healthz says connected")
    finally:  # the in-memory Discord patches the event loop: always take it down
        await client.close()
        for env in envs:
            await env.shutdown()
    assert len(envs) == 1


# ------------------------------------------------------------------ command sync across retries


def command_syncs(env: simcord.Env) -> list[Any]:
    """The bodies of every bulk overwrite of the global slash commands the bot sent."""
    return [r.json for r in env.http_requests if r.method == "PUT" and r.path.endswith("/commands")]


def gateway_unreachable(monkeypatch: pytest.MonkeyPatch, failures: int,
                        before: Callable[[SoudanClient, int], None] = lambda bot, n: None) -> list[int]:
    """Make the first ``failures`` gateway connections fail as an unreachable network would (the
    login before each one is real); later ones idle until the client closes. Returns the attempts."""
    attempts: list[int] = []

    async def connect(self: SoudanClient, *, reconnect: bool = True) -> None:
        attempts.append(len(attempts) + 1)
        before(self, len(attempts))
        if len(attempts) <= failures:
            raise OSError("Network is unreachable")
        while not self.is_closed():
            await asyncio.sleep(0.01)

    monkeypatch.setattr(SoudanClient, "connect", connect)
    monkeypatch.setattr(runner, "RETRY_FIRST", 0.01)
    return attempts


async def test_start_up_retries_sync_the_commands_once(simcord_env: simcord.Env,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    bot = simcord_env.bot
    assert isinstance(bot, SoudanClient)
    assert len(command_syncs(simcord_env)) == 1  # simcord's start logged in once
    attempts = gateway_unreachable(monkeypatch, failures=2)
    task = await runner.start_client(bot, "t")
    await until(lambda: len(attempts) == 3, "three start-up attempts")
    assert len(command_syncs(simcord_env)) == 1  # three more logins, no second sync
    assert bot.connection_status.state == "retrying"  # the gateway stand-in never says READY
    await runner.stop_client(bot, task, timeout=1)


async def test_changed_commands_are_synced_again_at_the_next_attempt(simcord_env: simcord.Env,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    bot = simcord_env.bot
    assert isinstance(bot, SoudanClient)

    @app_commands.command(name="soudan-extra", description="extra")
    async def extra(interaction: discord.Interaction[Any]) -> None:  # pragma: no cover - never invoked
        pass

    def add_a_command(client: SoudanClient, attempt: int) -> None:
        if attempt == 1:
            client.tree.add_command(extra)  # the payload changes before the next login

    attempts = gateway_unreachable(monkeypatch, failures=2, before=add_a_command)
    task = await runner.start_client(bot, "t")
    await until(lambda: len(attempts) == 3, "three start-up attempts")
    first, second = command_syncs(simcord_env)  # simcord's start, then the login after the change
    assert "soudan-extra" not in {c["name"] for c in first}
    assert "soudan-extra" in {c["name"] for c in second}
    await runner.stop_client(bot, task, timeout=1)


# ------------------------------------------------------------------ a broken guild-settings file


def serve_with_guilds_file(monkeypatch: pytest.MonkeyPatch, path: Path) -> int:
    """``soudan serve`` (in-process) with Discord on and ``SOUDAN_DISCORD_GUILDS_FILE=path``."""
    for k, v in {"SOUDAN_STORE": "memory://", "DISCORD_TOKEN": "test-token", "SOUDAN_SIMULATOR": "false",
                 "SOUDAN_SECRET": "a-test-secret-long-enough", "SOUDAN_DISCORD_GUILDS_FILE": str(path)}.items():
        monkeypatch.setenv(k, v)
    return main(["serve", "--port", str(closed_port())])


@pytest.mark.parametrize(("body", "line", "what"), [
    ('{"guilds": [\n {"guild": 1e999, "channel": 2, "role": 3}\n]}', 2, "1e999 is not a Discord id"),
    ('{"guilds": [\n {"guild": 1, "channel": 2, "role": 3},\n]}', 3, "not valid JSON"),
])
def test_serve_refuses_a_broken_guild_settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str], body: str, line: int,
                                                    what: str) -> None:
    path = tmp_path / "discord-guilds.json"
    path.write_text(body, encoding="utf-8")
    assert serve_with_guilds_file(monkeypatch, path) == 2
    err = capsys.readouterr().err
    assert f"{path}:{line}: error: {what}" in err
    assert "Traceback" not in err


def test_serve_refuses_a_guild_settings_path_that_is_a_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert serve_with_guilds_file(monkeypatch, tmp_path) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path}: error: is a directory" in err and "set SOUDAN_DISCORD_GUILDS_FILE to a file path" in err
    assert "Traceback" not in err
