"""The Chatwoot webhook, HTTP only: ``POST /chatwoot/webhook/{secret}``.

Chatwoot's webhooks are not signed in a stable release. The webhook URL carries a long random
secret (``/chatwoot/webhook/<CHATWOOT_WEBHOOK_SECRET>``), compared in constant time
(:func:`hmac.compare_digest`); a wrong or missing secret is answered 404 and nothing is read.
Every body must then name the configured account (``CHATWOOT_ACCOUNT_ID``) and inbox
(``CHATWOOT_INBOX_ID``), else 403; messages sent by the bot itself (``sender`` of type
``agent_bot`` with ``CHATWOOT_BOT_ID``) are ignored. Bodies over 256 KiB → 413, not JSON or
not an event → 400; a failure while handling → 500 (Chatwoot retries). Keep the URL out of logs:
soudan never logs it.

Privacy: the store key is the keyed hash of ``<account>:<conversation>``; nothing typed is logged.
"""

from __future__ import annotations

import hmac
import json
import logging
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.adapters.chatwoot.client import ChatwootConfig
from bot.adapters.chatwoot.handler import ChatwootAdapter
from bot.adapters.chatwoot.mapping import PLATFORM, chatwoot_id, event_label

__all__ = ["MAX_BODY", "ChatwootWebhook", "setup"]

log = logging.getLogger("soudan.chatwoot")

MAX_BODY = 256 * 1024
"""Largest webhook body read, in bytes (413 above)."""


@dataclass
class ChatwootWebhook:
    """The HTTP side of the Chatwoot adapter: checks a request, then hands the body to the adapter.

    Args:
        config: :class:`~.client.ChatwootConfig` (the secret, the account and the inbox).
        adapter: the :class:`~.handler.ChatwootAdapter` that handles the event.
        metrics: the app's :class:`bot.adapters.Metrics`, or None.
    """

    config: ChatwootConfig
    adapter: ChatwootAdapter
    metrics: Any = None

    def _answer(self, status: int, text: str) -> web.Response:
        if self.metrics is not None:
            self.metrics.requests.labels(PLATFORM, str(status)).inc()
        return web.Response(status=status, text=text)

    async def webhook(self, request: web.Request) -> web.Response:
        """``POST /chatwoot/webhook/{secret}`` (see the module doc for the checks)."""
        given = request.match_info.get("secret", "")
        if not hmac.compare_digest(given.encode("utf-8", "surrogatepass"), self.config.webhook_secret.encode()):
            return self._answer(404, "not found")
        if request.content_length is not None and request.content_length > MAX_BODY:
            return self._answer(413, "body too large")
        raw = await request.read()
        if len(raw) > MAX_BODY:
            return self._answer(413, "body too large")
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            return self._answer(400, "body is not JSON")
        if not isinstance(body, dict) or not isinstance(body.get("event"), str):
            return self._answer(400, "not a Chatwoot event")
        conv = body.get("conversation") if "conversation" in body else body
        conv = conv if isinstance(conv, dict) else {}
        account = chatwoot_id((body.get("account") or {}).get("id")) if isinstance(body.get("account"), dict) else \
            chatwoot_id(conv.get("account_id"))
        inbox = chatwoot_id((body.get("inbox") or {}).get("id")) if isinstance(body.get("inbox"), dict) else \
            chatwoot_id(conv.get("inbox_id"))
        if account != self.config.account_id or inbox != self.config.inbox_id:
            return self._answer(403, "wrong account or inbox")
        conv_id = chatwoot_id(conv.get("id"))
        if isinstance(body.get("conversation"), dict) and chatwoot_id(conv.get("inbox_id", inbox)) != inbox:
            return self._answer(403, "wrong account or inbox")
        if conv_id is None:
            return self._answer(400, "no conversation id")
        try:
            await self.adapter.handle(body, conv, conv_id)
        except Exception as exc:  # noqa: BLE001 — never crash the webhook; never log the body (it holds what the person wrote)
            self.adapter.count(event_label(body.get("event")), "error")
            log.error("Chatwoot %s event failed: %s", event_label(body.get("event")), type(exc).__name__)
            return self._answer(500, "failed; please retry")
        return self._answer(200, "OK")


def setup(app: web.Application) -> None:
    """Plug Chatwoot into the app (see :mod:`bot.app`): ``POST /chatwoot/webhook/{secret}``.

    Raises:
        ValueError: when a CHATWOOT_* setting is missing or the secret is shorter than 16 characters.
    """
    from bot.app import CONVERSATIONS_KEY, DESK_KEY, METRICS_KEY, SETTINGS_KEY

    s = app[SETTINGS_KEY]
    if not (s.chatwoot_url and s.chatwoot_bot_token and s.chatwoot_webhook_secret and s.chatwoot_account_id
            and s.chatwoot_inbox_id):
        raise ValueError("Chatwoot needs CHATWOOT_URL, CHATWOOT_BOT_TOKEN, CHATWOOT_WEBHOOK_SECRET, "
                         "CHATWOOT_ACCOUNT_ID and CHATWOOT_INBOX_ID")
    config = ChatwootConfig(s.chatwoot_url, s.chatwoot_bot_token.get_secret_value(),
                            s.chatwoot_webhook_secret.get_secret_value(), s.chatwoot_account_id,
                            s.chatwoot_inbox_id, s.chatwoot_bot_id)
    adapter = ChatwootAdapter(config, app[CONVERSATIONS_KEY], app[DESK_KEY], app[METRICS_KEY])
    app.cleanup_ctx.append(adapter.client_ctx)
    app.router.add_post("/chatwoot/webhook/{secret}", ChatwootWebhook(config, adapter, app[METRICS_KEY]).webhook)
