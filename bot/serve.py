"""``soudan serve [--host HOST] [--port PORT]``: run the aiohttp application.

Refuses to start (exit status 2) when a flow or directory file is broken (each problem printed as
``file:line: message``), when the store URL is unusable, or when binding to a non-loopback address
with the development ``SOUDAN_SECRET``, the ``.env.example`` placeholder or one shorter than 16
characters.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from aiohttp import web

from bot.app import create_app, metrics_enabled, simulator_enabled
from bot.engine.flow import FlowError
from bot.settings import Settings
from bot.toolkit import lint

__all__ = ["DEV_SECRET", "EXAMPLE_SECRET", "MIN_PUBLIC_SECRET", "check_settings", "main"]

DEV_SECRET = "dev-only-not-secret"
"""The development default of ``SOUDAN_SECRET`` (see :class:`~bot.settings.Settings`)."""

EXAMPLE_SECRET = "change-me-to-a-long-random-value"
"""The placeholder of ``SOUDAN_SECRET`` in ``.env.example`` (as public as the development default)."""

MIN_PUBLIC_SECRET = 16
"""Fewest characters of ``SOUDAN_SECRET`` accepted on a public bind."""


def check_settings(settings: Settings) -> list[str]:
    """Problems that must stop ``soudan serve`` before it binds.

    Returns:
        Messages stating each problem and its fix; empty when the settings are safe to serve.
    """
    problems = []
    secret = settings.secret.get_secret_value()
    fix = ("set SOUDAN_SECRET to a long random value (e.g. `python -c 'import secrets; "
           "print(secrets.token_hex(32))'`) or bind to 127.0.0.1")
    if not settings.loopback and secret in ("", DEV_SECRET, EXAMPLE_SECRET):
        which = "the placeholder from .env.example" if secret == EXAMPLE_SECRET else "the development SOUDAN_SECRET"
        problems.append(f"refusing to listen on {settings.host}:{settings.port} with {which}: {fix}")
    elif not settings.loopback and len(secret) < MIN_PUBLIC_SECRET:
        problems.append(f"refusing to listen on {settings.host}:{settings.port} with a SOUDAN_SECRET of "
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
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    problems = check_settings(settings)
    if problems:
        for p in problems:
            print(f"soudan serve: {p}", file=sys.stderr)
        return 2
    try:
        app = create_app(settings)
        # beyond broken files (refused by create_app), `soudan validate`'s safety rule stops a
        # production server too: a result with no window a person can reach at some hour. Other
        # lint findings (a missing English text, long labels…) are printed as warnings.
        findings = lint.lint(settings.flow_paths(), settings.directory_paths())
        unsafe = [f for f in findings if f.severity == "error" and lint.NO_OPEN_WINDOW in f.message]
        for f in findings:
            if f not in unsafe:
                print(f"{f.path}:{f.line}: warning: {f.message}", file=sys.stderr)
        if unsafe:
            raise FlowError(unsafe)
    except FlowError as exc:
        for err in exc.errors:
            print(err, file=sys.stderr)
        print(f"soudan serve: {len(exc.errors)} problem(s) in flows/directory; fix them (see `soudan validate`)",
              file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"soudan serve: {exc}", file=sys.stderr)
        return 2
    line_on = bool(settings.line_channel_secret and settings.line_channel_access_token)
    print(f"soudan serve: http://{settings.host}:{settings.port}  LINE webhook: "
          f"{'/line/webhook' if line_on else 'off (no LINE credentials)'}  metrics: "
          f"{'on' if metrics_enabled(settings) else 'off'}  simulator: {'on' if simulator_enabled(settings) else 'off'}",
          file=sys.stderr, flush=True)
    try:
        web.run_app(app, host=settings.host, port=settings.port, access_log=None, print=None,
                    shutdown_timeout=10.0)
    except OSError as exc:  # the port is taken, or the address is not this machine's
        print(f"soudan serve: cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}; "
              "choose another --port or stop the program using it", file=sys.stderr)
        return 2
    return 0
