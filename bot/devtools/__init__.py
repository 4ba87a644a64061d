"""Tools for developers: LINE without a LINE account.

- :mod:`bot.devtools.line_fake` — a fake Messaging API that records and validates every call, with
  a viewer page of every message sent (``soudan line fake``);
- :mod:`bot.devtools.line_webhook` — build, sign and post webhook events (``soudan line send``);
- :mod:`bot.devtools.line_dev` — both of them with ``soudan serve`` (``make line-dev``).

Nothing here runs in production; ``soudan serve`` never imports it. This module stays light (no
aiohttp): the ``soudan`` command reads the arguments below for every invocation.
"""

from __future__ import annotations

import argparse

from bot.cli import port_number

__all__ = ["DEFAULT_URL", "DEV_ACCESS_TOKEN", "DEV_API_PORT", "DEV_CHANNEL_SECRET", "dev_arguments",
           "fake_arguments", "send_arguments"]

DEV_CHANNEL_SECRET = "soudan-dev-channel-secret"
"""The channel secret of ``make line-dev`` (and the default of ``soudan line send`` when
``LINE_CHANNEL_SECRET`` is unset). Public: for a local bot talking to the fake API only."""

DEV_ACCESS_TOKEN = "soudan-dev-access-token"
"""The channel access token of ``make line-dev`` (the fake API accepts any bearer token)."""

DEV_API_PORT = 8099
"""Port of the fake Messaging API and its viewer under ``make line-dev``."""

DEFAULT_URL = "http://127.0.0.1:8080/line/webhook"
"""Where ``soudan line send`` posts by default: ``soudan serve``'s LINE webhook on this machine."""


def send_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``soudan line send``."""
    parser.add_argument("text", nargs="?", default=None, help="the message the user sends (a text message event)")
    parser.add_argument("--user", default="u1", help="the LINE user id the event comes from (default u1)")
    parser.add_argument("--postback", metavar="DATA", default=None,
                        help="send a postback event with this data instead (e.g. 'c=:restart')")
    parser.add_argument("--follow", action="store_true", help="send a follow event (the user adds the bot)")
    parser.add_argument("--unfollow", action="store_true", help="send an unfollow event (the user blocks the bot)")
    parser.add_argument("--url", default=None, help=f"the webhook URL (default {DEFAULT_URL}, "
                        "or http://SOUDAN_HOST:SOUDAN_PORT/line/webhook)")
    parser.add_argument("--secret", default=None, help="the channel secret (default LINE_CHANNEL_SECRET, "
                        "else the development secret of make line-dev)")
    parser.add_argument("--viewer", default=f"http://127.0.0.1:{DEV_API_PORT}", metavar="URL",
                        help="a local fake API's viewer to show the event in (default %(default)s; "
                        "skipped when not running, 'none' to skip)")
    parser.add_argument("--print-body", action="store_true", help="print the signed body and its signature")


def fake_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``soudan line fake``."""
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=port_number, default=DEV_API_PORT, help=f"port (default {DEV_API_PORT})")
    parser.add_argument("--webhook", default=None, help="the bot's webhook URL, for the viewer's send box "
                        "(e.g. http://127.0.0.1:8080/line/webhook)")
    parser.add_argument("--secret", default=None, help="the channel secret to sign the viewer's events with "
                        "(default LINE_CHANNEL_SECRET, else the development secret)")
    parser.add_argument("--language", default="ja", help="profile language of every user (default ja; "
                        "en gives an English conversation)")
    parser.add_argument("--quiet", action="store_true", help="print nothing for each message")


def dev_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``soudan line dev``."""
    parser.add_argument("--port", type=port_number, default=8080, help="port of soudan serve (default 8080)")
    parser.add_argument("--api-port", type=port_number, default=DEV_API_PORT,
                        help=f"port of the fake Messaging API and its viewer (default {DEV_API_PORT})")
    parser.add_argument("--language", default="ja", help="LINE profile language of every user (default ja)")
