"""Chatwoot's API: create message, private note, toggle status (aiohttp client)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.adapters.chatwoot.mapping import PLATFORM, render
from bot.engine.types import Reply

__all__ = ["API_TIMEOUT", "ChatwootApi", "ChatwootConfig"]

log = logging.getLogger("soudan.chatwoot")

API_TIMEOUT = 10.0
"""Seconds for one call to Chatwoot's API."""


@dataclass(frozen=True)
class ChatwootConfig:
    """Where Chatwoot is and what the webhooks must name.

    Attributes:
        base_url: Chatwoot's address (``https://chat.example.org``; a local fake in tests).
        bot_token: the Agent Bot's access token (``CHATWOOT_BOT_TOKEN``), sent as ``api_access_token``.
        webhook_secret: the secret path part of the webhook URL (``CHATWOOT_WEBHOOK_SECRET``, ≥ 16 chars).
        account_id, inbox_id: the only account and inbox accepted.
        bot_id: the Agent Bot's id (its own messages are ignored), or None.
    """

    base_url: str
    bot_token: str
    webhook_secret: str
    account_id: int
    inbox_id: int
    bot_id: int | None = None

    def __post_init__(self) -> None:
        if len(self.webhook_secret) < 16:
            raise ValueError("CHATWOOT_WEBHOOK_SECRET must be at least 16 characters (a long random value)")
        if not self.bot_token:
            raise ValueError("CHATWOOT_BOT_TOKEN is empty: copy the Agent Bot's access token from Chatwoot")



@dataclass
class ChatwootApi:
    """Calls to Chatwoot's conversation API with the Agent Bot's token; failures are counted and
    logged (status only), never raised.

    Args:
        config: :class:`ChatwootConfig`.
        metrics: the app's :class:`bot.adapters.Metrics`, or None.

    Attributes:
        session: the HTTP client while open (:meth:`open` / :meth:`close`), else None.
    """

    config: ChatwootConfig
    metrics: Any = None
    session: aiohttp.ClientSession | None = None

    def open(self) -> None:
        """Create the HTTP client (inside the running event loop)."""
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=API_TIMEOUT))

    async def close(self) -> None:
        """Close the HTTP client."""
        session, self.session = self.session, None
        if session is not None:
            await session.close()

    async def post(self, conversation: int, path: str, body: dict[str, Any]) -> None:
        """POST ``body`` to ``/api/v1/accounts/{account}/conversations/{conversation}/{path}``.

        Raises:
            RuntimeError: when the client is not open (app not started).
        """
        if self.session is None:
            raise RuntimeError("the Chatwoot client is not running (app not started)")
        url = (f"{self.config.base_url.rstrip('/')}/api/v1/accounts/{self.config.account_id}"
               f"/conversations/{conversation}/{path}")
        try:
            async with self.session.post(url, json=body, headers={"api_access_token": self.config.bot_token}) as resp:
                if resp.status >= 300:
                    if self.metrics is not None:
                        self.metrics.api_errors.labels(PLATFORM, path, str(resp.status)).inc()
                    log.warning("Chatwoot %s failed: HTTP %s", path, resp.status)
                    return
        except (aiohttp.ClientError, TimeoutError) as exc:
            if self.metrics is not None:
                self.metrics.api_errors.labels(PLATFORM, path, "network").inc()
            log.warning("Chatwoot %s failed: %s", path, type(exc).__name__)
            return
        if self.metrics is not None and path == "messages":
            self.metrics.messages.labels(PLATFORM).inc()

    async def send(self, conversation: int, replies: Sequence[Reply], locale: str) -> None:
        """Post the replies to the conversation, in order."""
        for body in render(replies, locale):
            await self.post(conversation, "messages", body)

    async def note(self, conversation: int, text: str) -> None:
        """A private note (agents only)."""
        await self.post(conversation, "messages", {"content": text, "message_type": "outgoing", "private": True,
                                                    "content_type": "text"})

    async def set_status(self, conversation: int, status: str) -> None:
        """``toggle_status`` to ``pending`` (bot) or ``open`` (people)."""
        await self.post(conversation, "toggle_status", {"status": status})
