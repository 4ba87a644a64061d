"""``soudan line dev`` (``make line-dev``): the fake Messaging API with its viewer, and the bot wired to it.

Starts, on this machine and without any LINE account or credentials:

1. the fake Messaging API and its viewer (:mod:`bot.devtools.line_fake`) on 127.0.0.1:``--api-port``
   (8099), which prints each message the bot sends;
2. ``soudan serve`` on 127.0.0.1:``--port`` (8080) in a child process, with ``LINE_API_BASE``
   pointing at the fake, the development channel secret and access token
   (:data:`~bot.devtools.line_webhook.DEV_CHANNEL_SECRET`) and, unless ``SOUDAN_STORE`` is set,
   an in-memory store.

Then prints the viewer's URL and a ``soudan line send`` example. Ctrl-C (or SIGTERM) stops both.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path

from aiohttp import web

from bot.devtools import DEV_ACCESS_TOKEN, DEV_API_PORT, DEV_CHANNEL_SECRET
from bot.devtools.line_fake import FakeLineApi

__all__ = ["bot_env", "main"]

SLOW_START = 20.0
"""Seconds after which ``soudan line dev`` says that ``soudan serve`` is still starting."""

STOP_TIMEOUT = 15.0
"""Seconds ``soudan serve`` gets to stop after Ctrl-C before it is killed."""


def bot_env(api_url: str, port: int, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of the ``soudan serve`` child: LINE on, talking to the fake at ``api_url``.

    Args:
        api_url: the fake's base URL (``LINE_API_BASE``).
        port: ``SOUDAN_PORT``.
        base: the environment to start from (default: this process's).

    Real credentials (from the environment or ``.env``) are replaced by the development ones:
    nothing can reach LINE's servers.
    """
    env = dict(os.environ if base is None else base)
    env.update(LINE_API_BASE=api_url, LINE_CHANNEL_SECRET=DEV_CHANNEL_SECRET,
               LINE_CHANNEL_ACCESS_TOKEN=DEV_ACCESS_TOKEN, SOUDAN_HOST="127.0.0.1", SOUDAN_PORT=str(port),
               PYTHONUNBUFFERED="1")
    env.setdefault("SOUDAN_STORE", "memory://")
    env["DISCORD_TOKEN"] = ""  # this loop is about LINE: a token (also from .env) would connect a real bot
    return env


async def _ready(url: str, child: asyncio.Task[int]) -> bool:
    """Wait until ``url`` answers (the bot is listening); False when the child exited first.

    On a busy machine ``soudan serve`` may take a while to load the flows and the dictionary:
    after :data:`SLOW_START` seconds a line says it is still starting; the wait goes on (Ctrl-C
    stops it).
    """
    import aiohttp

    loop = asyncio.get_running_loop()
    told = loop.time() + SLOW_START
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2.0)) as http:
        while not child.done():
            try:
                async with http.get(url) as resp:
                    await resp.read()
                    return True
            except (aiohttp.ClientError, TimeoutError, OSError):
                if loop.time() > told:
                    print("soudan line dev: soudan serve is still starting…", file=sys.stderr, flush=True)
                    told = float("inf")
                await asyncio.sleep(0.2)
    return False


def _soudan() -> list[str]:
    """The command that runs ``soudan`` with this interpreter (the venv's, under ``make``)."""
    return [sys.executable, "-m", "bot"]


async def _run(args: argparse.Namespace) -> int:
    api_url = f"http://127.0.0.1:{args.api_port}"
    webhook = f"http://127.0.0.1:{args.port}/line/webhook"
    fake = FakeLineApi(webhook_url=webhook, channel_secret=DEV_CHANNEL_SECRET, default_language=args.language,
                       printer=lambda line: print(line, flush=True), url=api_url)
    runner = web.AppRunner(fake.app(), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", args.api_port).start()
    except OSError as exc:
        await runner.cleanup()
        print(f"soudan line dev: cannot listen on 127.0.0.1:{args.api_port} for the fake API: "
              f"{exc.strerror or exc}; choose another --api-port", file=sys.stderr)
        return 2
    child = await asyncio.create_subprocess_exec(*_soudan(), "serve", env=bot_env(api_url, args.port))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    waiter = asyncio.create_task(child.wait())
    stopper = asyncio.create_task(stop.wait())
    ready = asyncio.create_task(_ready(f"http://127.0.0.1:{args.port}/healthz", waiter))
    await asyncio.wait({ready, waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
    ready.cancel()
    if not waiter.done() and not stop.is_set():
        exe = ".venv/bin/soudan" if Path(".venv/bin/soudan").exists() else "soudan"
        where = "" if args.port == 8080 else f" --url {webhook}"
        where += "" if args.api_port == DEV_API_PORT else f" --viewer {api_url}"
        print(f"\n  LINE viewer (every message the bot sends): {api_url}/\n"
              f"  the bot's LINE webhook:                    {webhook}\n"
              f"  try:  {exe} line send \"いじめられてる\" --user u1{where}\n"
              f"        {exe} line send --follow --user u2{where}\n"
              f"  (Ctrl-C stops both)\n", flush=True)
    await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
    status = 0
    if waiter.done():
        status = 2
        print(f"soudan line dev: soudan serve exited with status {waiter.result()}; stopping", file=sys.stderr)
    else:
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(asyncio.shield(waiter), STOP_TIMEOUT)
        except TimeoutError:
            child.kill()
            await waiter
    stopper.cancel()
    await runner.cleanup()
    return status


def main(args: argparse.Namespace) -> int:
    """Run both until Ctrl-C. Returns 0 after Ctrl-C, 2 when either could not start."""
    try:
        return asyncio.run(_run(args))
    except KeyboardInterrupt:  # pragma: no cover - a second Ctrl-C during shutdown
        return 130


if __name__ == "__main__":  # pragma: no cover
    from bot.devtools import dev_arguments

    _p = argparse.ArgumentParser(prog="python -m bot.devtools.line_dev", description=__doc__.split("\n")[0])
    dev_arguments(_p)
    sys.exit(main(_p.parse_args()))
