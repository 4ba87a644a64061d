"""``soudan serve [--host HOST] [--port PORT]``: run the aiohttp application.

Refuses to start (exit status 2) when a flow or directory file is broken (each problem printed as
``file:line: message``), when the store URL is unusable, or when binding to a non-loopback address
with the development ``SOUDAN_SECRET``, the ``.env.example`` placeholder or one shorter than 16
characters.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import logging
import signal
import sys
from collections.abc import Callable
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from bot.app import create_app, metrics_enabled, simulator_enabled
from bot.errors import ProblemsError
from bot.loading import load_settings
from bot.settings import DEV_SECRET, Settings
from bot.timeutil import JST
from bot.toolkit import lint

__all__ = [
    "EXAMPLE_SECRET",
    "HEADER_TIMEOUT",
    "KEEPALIVE_TIMEOUT",
    "MIN_PUBLIC_SECRET",
    "REFUSE",
    "SHUTDOWN_TIMEOUT",
    "HttpRunner",
    "LogFormatter",
    "check_settings",
    "configure_logging",
    "freeze_heap",
    "loop_factory",
    "main",
    "serve",
]

log = logging.getLogger("soudan.serve")

EXAMPLE_SECRET = "change-me-to-a-long-random-value"
"""The placeholder of ``SOUDAN_SECRET`` in ``.env.example`` (as public as the development default)."""

REFUSE = frozenset({lint.NO_OPEN_WINDOW})
"""Codes of ``soudan validate`` findings (:data:`bot.errors.CODES`) that stop ``soudan serve``; other
findings are printed as warnings. Any error while loading the files stops it too."""

MIN_PUBLIC_SECRET = 16
"""Fewest characters of ``SOUDAN_SECRET`` accepted on a public bind."""


# ------------------------------------------------------------------ HTTP server settings

HEADER_TIMEOUT = 10.0
"""Seconds a client has to send a request line and its headers, from its first byte (or from the
connection) — slowloris connections are closed after this, not after the keep-alive."""

KEEPALIVE_TIMEOUT = 75.0
"""Seconds an idle keep-alive connection stays open (aiohttp's default; above most load balancers' 60)."""

SHUTDOWN_TIMEOUT = 10.0
"""Seconds requests in flight get to finish when the server stops."""


class _HeaderTimeoutHandler(RequestHandler):
    """aiohttp's request handler with a deadline for each request's line and headers.

    The timer starts when the connection opens, and again when the first bytes of a further
    request arrive on an idle keep-alive connection; it stops when the headers are complete.
    Body bytes of a request being handled never start it.
    """

    __slots__ = ("_header_timeout", "_header_timer")

    def __init__(self, manager: web.Server, *, header_timeout: float, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._header_timeout = header_timeout
        self._header_timer: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        if self._header_timer is None:
            self._header_timer = self._loop.call_later(self._header_timeout, self._expired)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _expired(self) -> None:
        self._header_timer = None
        transport = self.transport
        if transport is not None:
            log.info("closed a connection that sent no complete request headers within %g s", self._header_timeout)
            self.force_close()  # may close the transport itself and drop it (self.transport = None)
            transport.close()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        before = self._request_count
        idle = self._waiter is not None and not self._messages  # waiting for the next request
        super().data_received(data)
        if self._request_count > before:
            self._disarm()
        elif idle:
            self._arm()

    def connection_lost(self, exc: BaseException | None) -> None:
        self._disarm()
        super().connection_lost(exc)


class LogFormatter(logging.Formatter):
    """``2026-12-01T21:03:04+09:00 INFO soudan.app: message`` — the time in ISO 8601 with its offset,
    in Japan time (the UI and the opening hours speak JST)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return dt.datetime.fromtimestamp(record.created, JST).isoformat(timespec="seconds")


def configure_logging(level: str) -> None:
    """Log to stderr at ``level`` (``SOUDAN_LOG_LEVEL``) with :class:`LogFormatter` lines."""
    handler = logging.StreamHandler()
    handler.setFormatter(LogFormatter())
    logging.basicConfig(level=level.upper(), handlers=[handler])


class HttpRunner(web.AppRunner):
    """An :class:`aiohttp.web.AppRunner` whose connections have a request-header deadline.

    Args:
        app: the application.
        header_timeout: seconds for a request line and headers (see :data:`HEADER_TIMEOUT`).
        **kwargs: as for ``AppRunner`` (``keepalive_timeout``, ``access_log``, ``shutdown_timeout``…).

    Raises:
        ValueError: if ``header_timeout`` is not positive.
    """

    def __init__(self, app: web.Application, *, header_timeout: float = HEADER_TIMEOUT, **kwargs: Any) -> None:
        if not header_timeout > 0:
            raise ValueError("header_timeout must be a positive number of seconds")
        super().__init__(app, **kwargs)
        self.header_timeout = header_timeout

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()  # built by the app, with its handler arguments
        server.__class__ = _HeaderTimeoutServer  # same object, only the protocol factory differs
        server.header_timeout = self.header_timeout  # type: ignore[attr-defined]
        return server


class _HeaderTimeoutServer(web.Server):
    header_timeout: float = HEADER_TIMEOUT

    def __call__(self) -> RequestHandler:
        return _HeaderTimeoutHandler(self, loop=self._loop, header_timeout=self.header_timeout, **self._kwargs)


async def serve(app: web.Application, host: str, port: int, *, header_timeout: float = HEADER_TIMEOUT,
                access_log: logging.Logger | None = None, on_ready: Callable[[], None] | None = None) -> None:
    """Serve ``app`` on ``host:port`` until SIGINT or SIGTERM, then stop gracefully.

    ``access_log`` is None (no access log: it would carry client addresses and paths) unless given.
    ``on_ready`` is called once the port is bound and the signals are handled (the banner of
    ``soudan serve``: it never appears for a server that could not listen).

    Raises:
        OSError: when the address cannot be bound (port in use, not this machine's address).
    """
    runner = HttpRunner(app, header_timeout=header_timeout, keepalive_timeout=KEEPALIVE_TIMEOUT,
                        access_log=access_log, shutdown_timeout=SHUTDOWN_TIMEOUT)
    await runner.setup()
    threshold = gc.get_threshold()
    try:
        await web.TCPSite(runner, host, port).start()
        freeze_heap()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        if on_ready is not None:
            on_ready()
        await stop.wait()
    finally:
        await runner.cleanup()
        gc.unfreeze()  # what the process made before serving is collectable again (a caller going on)
        gc.set_threshold(*threshold)  # and collected as before


GC_THRESHOLD = (10_000, 10, 10)
"""The cyclic garbage collector's thresholds while serving (Python's default: 700, 10, 10).

A webhook event leaves ~55 more container objects alive than it frees (new users' sessions in
the SQLite store's cache, connections' state), so at 700 the young generation was collected
every ~13 events: ~100 collections per 1,300 line_bench events, ~45 µs of CPU per event here
under load. At 10,000 one collection came in the same run. Cyclic garbage (rare: reference
counting frees the rest) waits longer, a few MB at most."""


def freeze_heap() -> None:
    """Move every object alive now (the loaded flows, directory and language tables, the libraries,
    the app) out of reach of the cyclic garbage collector (``gc.freeze``), after one collection.

    They live as long as the process, but each full collection walked all of them again (~170k
    objects: tens of milliseconds with the event loop stopped, every few thousand events under
    load); after this a collection only walks what was made since. Nothing changes for objects
    made later, and the frozen ones are still freed by reference counting. :func:`serve` calls it
    once listening and undoes it (``gc.unfreeze``) when it stops.

    The collector's thresholds become :data:`GC_THRESHOLD` (``serve`` puts the earlier ones back
    when it stops).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)


def loop_factory(choice: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The event loop factory for ``soudan serve`` (``SOUDAN_EVENT_LOOP``).

    uvloop (libuv's event loop for asyncio, a well-kept library; a dependency except on Windows)
    runs aiohttp's server and client and the stores' connections; a LINE webhook event takes ~10 %
    fewer instructions on it than on asyncio's own loop (callgrind over 300 events of line_bench's
    workload: 3.02M → 2.71M), so ``auto``, the default, picks it when it is importable.

    Args:
        choice: ``auto`` (uvloop when importable, else asyncio's loop), ``uvloop`` or ``asyncio``.

    Returns:
        ``uvloop.new_event_loop``, or None for asyncio's default loop.

    Raises:
        ValueError: for ``uvloop`` when it is not installed.
    """
    if choice == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        if choice == "uvloop":
            raise ValueError("SOUDAN_EVENT_LOOP=uvloop but uvloop is not installed "
                             "(pip install uvloop, or set SOUDAN_EVENT_LOOP=asyncio or auto)") from None
        return None
    return uvloop.new_event_loop


def check_settings(settings: Settings) -> list[str]:
    """Problems that must stop ``soudan serve`` before it binds.

    Returns:
        Messages stating each problem and its fix; empty when the settings are safe to serve.
    """
    problems = []
    secret = settings.secret.get_secret_value()
    fix = ("set SOUDAN_SECRET to a long random value (e.g. `python -c 'import secrets; "
           "print(secrets.token_hex(32))'`)" + ("" if settings.loopback else " or bind to 127.0.0.1"))
    # real people's ids are keyed with it when real LINE (not a local fake API) or Discord is set, also
    # behind a proxy on the same host (trial F8): the placeholder would let anyone link the store to them
    real = bool(settings.discord_token) or bool(settings.line_channel_secret and not settings.line_api_base)
    where = (f"on {settings.host}:{settings.port}" if not settings.loopback
             else "for LINE or Discord (their users' ids are keyed with it, also behind a proxy)")
    guarded = not settings.loopback or real
    if guarded and secret in ("", DEV_SECRET, EXAMPLE_SECRET):
        which = "the placeholder from .env.example" if secret == EXAMPLE_SECRET else "the development SOUDAN_SECRET"
        problems.append(f"refusing to listen {where} with {which}: {fix}")
    elif guarded and len(secret) < MIN_PUBLIC_SECRET:
        problems.append(f"refusing to listen {where} with a SOUDAN_SECRET of "
                        f"{len(secret)} characters (at least {MIN_PUBLIC_SECRET}): {fix}")
    if not secret:
        problems.append("SOUDAN_SECRET is empty: set it to a long random value")
    return problems


def main(args: argparse.Namespace | Any) -> int:
    """Run the server until interrupted.

    Args:
        args: parsed arguments with ``host`` (str or None) and ``port`` (int or None); None means
            ``SOUDAN_HOST`` / ``SOUDAN_PORT`` (default 127.0.0.1:8080).

    Returns:
        0 after a clean stop, 2 when the server refused to start.
    """
    overrides: dict[str, Any] = {}
    if getattr(args, "host", None):
        overrides["SOUDAN_HOST"] = args.host
    if getattr(args, "port", None) is not None:
        overrides["SOUDAN_PORT"] = args.port
    try:
        settings = Settings(**overrides)
    except ValueError as exc:
        print(f"soudan serve: bad settings: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    problems = check_settings(settings)
    if problems:
        for p in problems:
            print(f"soudan serve: {p}", file=sys.stderr)
        return 2
    try:
        factory = loop_factory(settings.event_loop)  # before the files are loaded: a missing uvloop fails at once
    except ValueError as exc:
        print(f"soudan serve: {exc}", file=sys.stderr)
        return 2
    try:
        loaded = load_settings(settings)  # broken files stop it here
        app = create_app(settings, engine=loaded.engine)
        # beyond broken files, `soudan validate`'s safety rule stops a production server too: a
        # result with no window a person can reach at some hour. Other lint findings (a missing
        # English text, long labels…) are printed as warnings. The lint reads what was loaded.
        findings = lint.lint_loaded(loaded.engine.directory, loaded.flows, settings.directory_paths())
        unsafe = [f for f in findings if f.severity == "error" and f.code in REFUSE]
        for f in findings:
            if f not in unsafe:
                print(f"{f.path}:{f.line}: warning: {f.message}", file=sys.stderr)
        if unsafe:
            raise ProblemsError(unsafe)
    except ProblemsError as exc:
        for err in exc.errors:
            print(err, file=sys.stderr)
        print(f"soudan serve: {len(exc.errors)} problem(s) in the file(s) above; fix them (`soudan validate` "
              "checks flows, directory and teams)", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"soudan serve: {exc}", file=sys.stderr)
        return 2
    line_on = bool(settings.line_channel_secret and settings.line_channel_access_token)

    def banner() -> None:
        print(f"soudan serve: http://{settings.host}:{settings.port}  LINE webhook: "
              f"{'/line/webhook' if line_on else 'off (no LINE credentials)'}  metrics: "
              f"{'on' if metrics_enabled(settings) else 'off'}  simulator: "
              f"{'on' if simulator_enabled(settings) else 'off'}  event loop: "
              f"{'uvloop' if factory is not None else 'asyncio'}", file=sys.stderr, flush=True)

    try:
        with asyncio.Runner(loop_factory=factory) as runner:
            runner.run(serve(app, settings.host, settings.port, access_log=None, on_ready=banner))
    except OSError as exc:  # the port is taken, or the address is not this machine's
        print(f"soudan serve: cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}; "
              "choose another --port or stop the program using it", file=sys.stderr)
        return 2
    return 0
