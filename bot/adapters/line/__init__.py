"""LINE Messaging API adapter (line-bot-sdk v3): the webhook, event mapping, rendering and sending.

This is the only package that imports ``linebot``. It runs inside ``soudan serve`` when
``LINE_CHANNEL_SECRET`` and ``LINE_CHANNEL_ACCESS_TOKEN`` are both set: :func:`setup` (called by
:func:`bot.app.create_app` through :data:`bot.app.PLUGINS`) adds ``POST /line/webhook`` and the API
client's ``cleanup_ctx``.

Modules (one room each; the public names are re-exported here)
--------------------------------------------------------------
- :mod:`.webhook` — HTTP only: signature, body limits, status codes, the response budget
  (:class:`LineAdapter`, :func:`setup`);
- :mod:`.handler` — handling the events: per-chat order, the outbox (exactly once), the group
  invitation, forgetting on unfollow (:class:`EventHandler`);
- :mod:`.events` — event mapping (pure): SDK events → jobs with an engine input;
- :mod:`.flex` — rendering (pure, no SDK): replies → message JSON within LINE's limits
  (:func:`render`, :func:`plain_version`);
- :mod:`.client` — the Messaging API: reply, push with retry keys, profile, retry, the SDK session
  patch (:class:`LineApi`);
- :mod:`.codecs` — postback data and LINE emoji (pure, no SDK).

Names are imported on first use, so ``bot.adapters.line.codecs`` and ``.flex`` load without
line-bot-sdk (``soudan validate`` checks the very postback data the adapter sends).

Privacy: message text, reply tokens and raw LINE ids are never logged; logs carry the keyed hash
of the user (:meth:`bot.service.Conversations.key`) at most.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.adapters.lazy import lazy_exports

if TYPE_CHECKING:
    from bot.adapters.line.client import API_TIMEOUT, PROFILE_TIMEOUT, REPLY_TOKEN_USED_WITHIN, LineApi
    from bot.adapters.line.codecs import MAX_POSTBACK, parse_postback, postback_data, strip_emojis
    from bot.adapters.line.events import EVENT_TYPES, MESSAGE_TYPES, PLATFORM, event_kind
    from bot.adapters.line.flex import (
        MAX_ALT_TEXT,
        MAX_BUBBLES,
        MAX_DISPLAY_TEXT,
        MAX_LABEL,
        MAX_MESSAGES,
        MAX_PHONE_BUTTONS,
        MAX_QUICK_REPLY,
        MAX_TEXT,
        Msg,
        group_invite,
        plain_version,
        render,
    )
    from bot.adapters.line.handler import INVITE_TTL, EventHandler, Undelivered
    from bot.adapters.line.webhook import DRAIN_TIMEOUT, MAX_BODY, RESPONSE_BUDGET, LineAdapter, setup

_HOME = {
    "client": ("API_TIMEOUT", "PROFILE_TIMEOUT", "REPLY_TOKEN_USED_WITHIN", "LineApi"),
    "codecs": ("MAX_POSTBACK", "parse_postback", "postback_data", "strip_emojis"),
    "events": ("EVENT_TYPES", "MESSAGE_TYPES", "PLATFORM", "event_kind"),
    "flex": ("MAX_ALT_TEXT", "MAX_BUBBLES", "MAX_DISPLAY_TEXT", "MAX_LABEL", "MAX_MESSAGES", "MAX_PHONE_BUTTONS",
             "MAX_QUICK_REPLY", "MAX_TEXT", "Msg", "group_invite", "plain_version", "render"),
    "handler": ("INVITE_TTL", "EventHandler", "Undelivered"),
    "webhook": ("DRAIN_TIMEOUT", "MAX_BODY", "RESPONSE_BUDGET", "LineAdapter", "setup"),
}
__all__ = [
    "API_TIMEOUT", "DRAIN_TIMEOUT", "EVENT_TYPES", "INVITE_TTL", "MAX_ALT_TEXT", "MAX_BODY", "MAX_BUBBLES",
    "MAX_DISPLAY_TEXT", "MAX_LABEL", "MAX_MESSAGES", "MAX_PHONE_BUTTONS", "MAX_POSTBACK", "MAX_QUICK_REPLY",
    "MAX_TEXT", "MESSAGE_TYPES", "PLATFORM", "PROFILE_TIMEOUT", "REPLY_TOKEN_USED_WITHIN", "RESPONSE_BUDGET",
    "EventHandler", "LineAdapter", "LineApi", "Msg", "Undelivered", "event_kind", "group_invite",
    "parse_postback", "plain_version", "postback_data", "render", "setup", "strip_emojis",
]


__getattr__, __dir__ = lazy_exports(__name__, _HOME, __all__)
