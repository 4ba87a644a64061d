"""Build, sign and post LINE webhook events like LINE's platform does (``soudan line send``).

A webhook body is UTF-8 JSON ``{"destination": ..., "events": [...]}``; LINE signs it with the
channel secret and sends the signature in ``X-Line-Signature``: the base64 of the HMAC-SHA256 of
the exact body bytes. By hand, with the development secret of ``make line-dev``::

    body='{"destination":"Udev","events":[]}'
    sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac soudan-dev-channel-secret -binary | base64)
    curl -i -H "Content-Type: application/json" -H "X-Line-Signature: $sig" \\
         --data-binary "$body" http://127.0.0.1:8080/line/webhook

Signing must cover the bytes that are sent: re-serialising the JSON (other spacing, ``\\u`` escapes)
breaks the signature (the bot answers 400).

Each event gets a fresh ``webhookEventId`` (a redelivered id would be ignored) and, when LINE would
give one, a fresh ``replyToken``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import secrets
import sys
import time
from typing import Any, Literal
from urllib.parse import urlsplit

import aiohttp

__all__ = [
    "EventKind",
    "body_of",
    "event",
    "main",
    "post",
    "sign",
]

from bot.devtools import DEFAULT_URL, DEV_CHANNEL_SECRET

EventKind = Literal["message", "postback", "follow", "unfollow"]


def sign(body: bytes, secret: str) -> str:
    """``X-Line-Signature`` of ``body``: base64(HMAC-SHA256(secret, body)), as LINE computes it.

    Args:
        body: the exact request body bytes.
        secret: the channel secret.
    """
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _event_id() -> str:
    """A fresh webhook event id in LINE's shape (26 characters of Crockford base32, a ULID)."""
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    n = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    return "".join(alphabet[(n >> (5 * i)) & 31] for i in reversed(range(26)))


def event(kind: EventKind, user: str, *, text: str = "", data: str = "", unblocked: bool = False,
          timestamp_ms: int | None = None) -> dict[str, Any]:
    """One webhook event from a 1:1 chat with ``user``.

    Args:
        kind: ``message`` (a text message ``text``), ``postback`` (``data``), ``follow`` (the
            user added the bot; ``unblocked`` says whether they had blocked it before) or
            ``unfollow`` (blocked: no reply token).
        user: the LINE user id (any string for the fake; LINE's look like ``U`` + 32 hex digits).
        timestamp_ms: the event time in milliseconds since the epoch (default: now).

    Returns:
        The event as LINE sends it, with a fresh ``webhookEventId`` and ``replyToken``.
    """
    ev: dict[str, Any] = {
        "type": kind,
        "mode": "active",
        "timestamp": timestamp_ms if timestamp_ms is not None else int(time.time() * 1000),
        "source": {"type": "user", "userId": user},
        "webhookEventId": _event_id(),
        "deliveryContext": {"isRedelivery": False},
    }
    if kind != "unfollow":
        ev["replyToken"] = secrets.token_hex(16)
    if kind == "message":
        ev["message"] = {"type": "text", "id": str(secrets.randbelow(10**18)), "text": text,
                         "quoteToken": secrets.token_urlsafe(16)}
    elif kind == "postback":
        ev["postback"] = {"data": data}
    elif kind == "follow":
        ev["follow"] = {"isUnblocked": unblocked}
    return ev


def body_of(*events: dict[str, Any], destination: str = "Udev") -> bytes:
    """A webhook body: UTF-8 JSON with the events, non-ASCII kept as is (as LINE sends it)."""
    return json.dumps({"destination": destination, "events": list(events)}, ensure_ascii=False).encode()


async def post(url: str, body: bytes, secret: str, *, timeout: float = 30.0) -> tuple[int, str]:
    """POST a signed webhook body to ``url``.

    Returns:
        ``(HTTP status, response text)``.

    Raises:
        aiohttp.ClientError, TimeoutError: when ``url`` cannot be reached in ``timeout`` seconds.
    """
    headers = {"Content-Type": "application/json", "X-Line-Signature": sign(body, secret),
               "User-Agent": "LineBotWebhook/2.0"}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as http, \
            http.post(url, data=body, headers=headers) as resp:
        return resp.status, await resp.text()


async def _show(viewer: str, body: bytes) -> None:
    """Show the event in a local fake API's viewer (best effort: skipped when it is not running)."""
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2.0)) as http, \
                http.post(viewer.rstrip("/") + "/_dev/events", data=body,
                          headers={"Content-Type": "application/json"}) as resp:
            await resp.read()
    except (aiohttp.ClientError, TimeoutError, OSError):
        pass


def _default_url() -> str:
    host, port = os.environ.get("SOUDAN_HOST"), os.environ.get("SOUDAN_PORT")
    if not host and not port:
        return DEFAULT_URL
    host = host or "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{'127.0.0.1' if host in ('0.0.0.0', '[::]') else host}:{port or 8080}/line/webhook"


def _not_http_url(url: str) -> tuple[str, str] | None:
    """``(url, what is wrong)`` when ``url`` is not an http(s) URL with a host and a valid port, else None."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError as exc:
        return url, str(exc)
    if parts.scheme not in ("http", "https"):
        return url, "the scheme must be http or https"
    if not parts.hostname:
        return url, "no host"
    return None


def main(args: argparse.Namespace) -> int:
    """``soudan line send``: build one event, sign it, post it and print the HTTP status.

    Returns:
        0 when the bot answered 2xx, 1 for another status, 2 for bad arguments or no connection.
    """
    import asyncio

    from bot.settings import Settings

    chosen = [k for k, on in (("text", args.text is not None), ("--postback", args.postback is not None),
                              ("--follow", args.follow), ("--unfollow", args.unfollow)) if on]
    if len(chosen) != 1:
        print("soudan line send: give exactly one of a message text, --postback DATA, --follow or --unfollow"
              + (f" (got {', '.join(chosen)})" if chosen else ""), file=sys.stderr)
        return 2
    if not args.user:
        print("soudan line send: --user must not be empty", file=sys.stderr)
        return 2
    url = args.url or _default_url()
    wrong = _not_http_url(url) or (_not_http_url(args.viewer) if args.viewer and args.viewer != "none" else None)
    if wrong:
        print(f"soudan line send: {'--url' if wrong[0] == url else '--viewer'} must be an http(s) URL such as "
              f"http://127.0.0.1:8080/line/webhook, not {wrong[0]!r} ({wrong[1]})", file=sys.stderr)
        return 2
    for name, value in (("the message text", args.text), ("--postback", args.postback), ("--user", args.user),
                        ("--secret", args.secret)):
        try:
            (value or "").encode("utf-8")
        except UnicodeEncodeError:  # bytes that are not UTF-8 on the command line (surrogate escapes)
            print(f"soudan line send: {name} is not valid UTF-8 text; check the terminal's encoding", file=sys.stderr)
            return 2
    secret = args.secret
    if secret is None:
        configured = Settings().line_channel_secret
        secret = configured.get_secret_value() if configured is not None else DEV_CHANNEL_SECRET
    if args.follow:
        ev = event("follow", args.user)
    elif args.unfollow:
        ev = event("unfollow", args.user)
    elif args.postback is not None:
        ev = event("postback", args.user, data=args.postback)
    else:
        ev = event("message", args.user, text=args.text)
    body = body_of(ev)
    if args.print_body:
        print(body.decode())
        print(f"X-Line-Signature: {sign(body, secret)}")
    if args.viewer and args.viewer != "none" and urlsplit(args.viewer).hostname in ("127.0.0.1", "localhost", "::1"):
        asyncio.run(_show(args.viewer, body))
    try:
        status, text = asyncio.run(post(url, body, secret))
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        print(f"soudan line send: could not reach {url}: {type(exc).__name__} {exc}".rstrip(), file=sys.stderr)
        print("  is the bot running? (make line-dev, or .venv/bin/soudan serve)", file=sys.stderr)
        return 2
    print(f"{status} {text.strip()}".strip())
    hint = _HINTS.get(status)
    if hint:
        print(f"  {hint.format(url=url)}", file=sys.stderr)
    return 0 if 200 <= status < 300 else 1


_HINTS = {
    404: "{url} has no LINE webhook: `soudan serve` turns it on only with LINE_CHANNEL_SECRET and "
         "LINE_CHANNEL_ACCESS_TOKEN set (`make line-dev` sets development ones), or --url names another path",
    400: "the bot refused the event: most often the signature, when --secret (default LINE_CHANNEL_SECRET, else "
         "the development secret of `make line-dev`) is not the server's LINE_CHANNEL_SECRET",
}
"""What to check after an HTTP status of the webhook (printed to standard error under the status)."""
