"""Running the Discord client inside ``soudan serve``: start-up, the start-up retry loop, shutdown.

:func:`setup` (called by :func:`bot.app.create_app` through :data:`bot.app.PLUGINS`) adds a
``cleanup_ctx`` that starts the client when the aiohttp app starts and closes it when it stops,
so LINE and Discord share one engine and one store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import discord

from bot.adapters.discord.client import ConnectionState, ConnectionStatus, SoudanClient, where
from bot.handoff.guilds import GuildStore

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["RETRY_FIRST", "RETRY_MAX", "setup", "start_client", "stop_client"]

log = logging.getLogger("soudan.discord")

RETRY_FIRST = 5.0
"""Seconds before retrying a start-up that failed because Discord could not be reached."""
RETRY_MAX = 300.0
"""Longest wait between such retries, in seconds (the wait doubles each time)."""


def _transient(exc: BaseException) -> bool:
    """Whether a start-up failure is worth retrying (network trouble, Discord 5xx)."""
    if isinstance(exc, discord.HTTPException):
        return exc.status >= 500
    return isinstance(exc, OSError | TimeoutError | discord.GatewayNotFound | discord.ConnectionClosed) or \
        type(exc).__module__.startswith("aiohttp")


async def start_client(client: SoudanClient, token: str) -> asyncio.Task[None]:
    """Start ``client`` in the background (login, gateway, reconnects — discord.py's job).

    Once connected, reconnects and rate limits are discord.py's. Before that, a start-up that
    fails because Discord cannot be reached is retried after :data:`RETRY_FIRST` seconds, doubling
    up to :data:`RETRY_MAX` (each retry logs in again; the slash commands are synced only at the
    first login or when they changed, see :meth:`SoudanClient.setup_hook`). A rejected token is
    logged with the fix and not retried. In every case the rest of the server keeps running, and
    ``client.connection_status`` says where Discord stands (:class:`ConnectionState`, shown by ``/healthz``).

    Returns:
        The task running the client; give it to :func:`stop_client`.
    """
    status = client.connection_status

    async def run() -> None:
        delay = RETRY_FIRST
        while not client.is_closed():
            try:
                await client.start(token, reconnect=True)
                status.state = ConnectionState.STOPPED
                return
            except discord.LoginFailure:
                status.state = ConnectionState.TOKEN_REJECTED
                log.error("Discord rejected DISCORD_TOKEN: copy a fresh token from the Developer Portal "
                          "(Bot → Reset Token) into DISCORD_TOKEN; Discord is off until restart")
                return
            except discord.PrivilegedIntentsRequired:  # pragma: no cover - we ask for none
                status.state = ConnectionState.STOPPED
                log.error("Discord refused the gateway intents; this bot needs no privileged intent")
                return
            except Exception as exc:  # noqa: BLE001 — the start-up loop decides per exception (_transient) whether to retry or stop
                if not _transient(exc):
                    status.state = ConnectionState.STOPPED
                    log.error("Discord client stopped: %s at %s", type(exc).__name__, where(exc))
                    return
                status.state = ConnectionState.RETRYING
                log.warning("Discord unreachable at start-up (%s); retrying in %.0f s", type(exc).__name__, delay)
                with contextlib.suppress(Exception):
                    await client.http.close()  # each login attempt opens an HTTP session: close it …
                client.http.connector = discord.utils.MISSING  # … and its connector: the next try makes new ones
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX)

    return asyncio.create_task(run(), name="soudan-discord")


async def stop_client(client: SoudanClient, task: asyncio.Task[None], timeout: float = 10.0) -> None:
    """Close ``client`` and wait up to ``timeout`` seconds for its task (then cancel it).

    A task that ends cancelled by the close itself (closing discord.py's HTTP connector cancels a
    start-up attempt's pending host lookup, and the start-up loop lets ``CancelledError`` through)
    is stopped, not an error; the caller's own cancellation still propagates.
    """
    with contextlib.suppress(Exception):
        await client.close()
    try:
        await asyncio.wait_for(asyncio.shield(task), timeout)
    except TimeoutError:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    except asyncio.CancelledError:
        if not task.cancelled():
            raise


def setup(app: web.Application) -> None:
    """Plug Discord into the aiohttp app (see :mod:`bot.app`): run the client while the app runs.

    Reads ``DISCORD_TOKEN`` and the guild settings file (``SOUDAN_DISCORD_GUILDS_FILE``) from
    ``app[SETTINGS_KEY]``, shares ``app[CONVERSATIONS_KEY]``, ``app[CLOCK_KEY]``,
    ``app[METRICS_KEY]`` and ``app[DESK_KEY]`` with the other adapters, and puts the client's
    :class:`ConnectionStatus` at ``app[DISCORD_STATE_KEY]`` for ``/healthz``.

    Raises:
        ValueError: when ``DISCORD_TOKEN`` is not set.
        bot.errors.GuildsError: when the guild settings file is broken (its problem names the file,
            the line where there is one, and the fix): the server refuses to start rather than run
            without its moderators' settings.
    """
    from bot.app import CLOCK_KEY, CONVERSATIONS_KEY, DESK_KEY, DISCORD_STATE_KEY, METRICS_KEY, SETTINGS_KEY

    settings = app[SETTINGS_KEY]
    token = settings.discord_token.get_secret_value() if settings.discord_token else ""
    if not token:
        raise ValueError("DISCORD_TOKEN is empty: set it to the bot token from the Discord Developer Portal")
    # discord.py logs raw gateway payloads (message text) at DEBUG: never let that reach the logs.
    dlog = logging.getLogger("discord")
    if dlog.getEffectiveLevel() < logging.INFO:
        dlog.setLevel(logging.INFO)

    guilds = GuildStore(settings.discord_guilds_file)
    status = ConnectionStatus()
    app[DISCORD_STATE_KEY] = lambda: status.state.value

    async def discord_ctx(app: web.Application) -> AsyncIterator[None]:
        client = SoudanClient(app[CONVERSATIONS_KEY], clock=app[CLOCK_KEY], metrics=app[METRICS_KEY],
                              desk=app[DESK_KEY], guilds=guilds, connection_status=status)
        task = await start_client(client, token)
        log.info("Discord client starting")
        try:
            yield
        finally:
            await stop_client(client, task)

    app.cleanup_ctx.append(discord_ctx)

