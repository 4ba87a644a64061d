"""A local fake of Chatwoot's conversation API and builders of its Agent Bot webhook bodies.

Shapes follow Chatwoot's source (chatwoot/chatwoot): ``AgentBotListener`` posts
``message.webhook_data`` / ``conversation.webhook_data`` merged with ``event``; ``Message#webhook_data``
is ``{id, content, created_at, message_type, content_type, content_attributes, source_id, sender,
contact, inbox, conversation, account}``; a conversation's is its push data (``id`` = display id,
``inbox_id``, ``status``…) plus ``id`` and ``account_id``. The API side accepts
``POST /api/v1/accounts/{account}/conversations/{conversation}/messages`` and ``…/toggle_status``
with the ``api_access_token`` header, as Chatwoot does, and records every call.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

ACCOUNT, INBOX, BOT = 3, 7, 11
TOKEN = "fake-bot-token-0123456789"
SECRET = "chatwoot-webhook-secret-5f0c2a9e71"
TUESDAY_18 = dt.datetime(2026, 12, 1, 18, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
"""Counsellors of deploy/teams.example.yaml are in (weekdays 17:00-21:00)."""


class Clock:
    """A settable clock (``now``), starting at :data:`TUESDAY_18`."""

    def __init__(self) -> None:
        self.now = TUESDAY_18

    def __call__(self) -> dt.datetime:
        return self.now
_ids = itertools.count(1000)


@dataclass
class Call:
    path: str
    conversation: int
    json: dict[str, Any]


@dataclass
class FakeChatwoot:
    """The fake API. ``calls`` in order; ``status[conversation]`` follows ``toggle_status``."""

    url: str = ""
    calls: list[Call] = field(default_factory=list)
    status: dict[int, str] = field(default_factory=dict)
    refused: int = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/v1/accounts/{account}/conversations/{conv}/messages", self._messages)
        app.router.add_post("/api/v1/accounts/{account}/conversations/{conv}/toggle_status", self._toggle)
        return app

    def _check(self, request: web.Request) -> int:
        if request.headers.get("api_access_token") != TOKEN or request.match_info["account"] != str(ACCOUNT):
            self.refused += 1
            raise web.HTTPUnauthorized(text='{"error":"Invalid Access Token"}', content_type="application/json")
        return int(request.match_info["conv"])

    async def _messages(self, request: web.Request) -> web.Response:
        conv = self._check(request)
        body = await request.json()
        assert body.get("message_type") == "outgoing" and body.get("content_type") in ("text", "input_select")
        if body["content_type"] == "input_select":
            items = body["content_attributes"]["items"]
            assert items and all(set(i) == {"title", "value"} for i in items)
        self.calls.append(Call("messages", conv, body))
        return web.json_response({"id": next(_ids), **body})

    async def _toggle(self, request: web.Request) -> web.Response:
        conv = self._check(request)
        body = await request.json()
        assert body["status"] in ("open", "pending", "resolved", "snoozed")
        self.status[conv] = body["status"]
        self.calls.append(Call("toggle_status", conv, body))
        return web.json_response({"meta": {}, "payload": {"success": True, "current_status": body["status"],
                                                          "conversation_id": conv}})

    def public(self, conv: int) -> list[dict[str, Any]]:
        return [c.json for c in self.calls if c.path == "messages" and c.conversation == conv and not c.json["private"]]

    def notes(self, conv: int) -> list[str]:
        return [c.json["content"] for c in self.calls if c.path == "messages" and c.conversation == conv
                and c.json["private"]]


def conversation(conv: int, status: str = "pending", *, account: int = ACCOUNT, inbox: int = INBOX) -> dict[str, Any]:
    return {"id": conv, "account_id": account, "inbox_id": inbox, "status": status, "channel": "Channel::WebWidget",
            "can_reply": True, "contact_inbox": {"contact_id": 5, "inbox_id": inbox, "source_id": "src"},
            "meta": {"sender": {"id": 5, "name": "Visitor", "type": "contact"}, "assignee": None},
            "messages": []}


def incoming(conv: int, content: str | None, *, mid: int | None = None, status: str = "pending",
             account: int = ACCOUNT, inbox: int = INBOX) -> dict[str, Any]:
    """``message_created`` for a message the person wrote."""
    return {"event": "message_created", "id": mid if mid is not None else next(_ids), "content": content,
            "created_at": "2026-12-01T09:00:00.000Z", "message_type": "incoming", "content_type": "text",
            "content_attributes": {}, "source_id": None, "sender": {"id": 5, "name": "Visitor", "type": "contact"},
            "contact": {"id": 5, "name": "Visitor"}, "inbox": {"id": inbox, "name": "SNS相談"},
            "conversation": conversation(conv, status, account=account, inbox=inbox),
            "account": {"id": account, "name": "Helpline"}}


def submitted(conv: int, value: str, title: str, *, mid: int | None = None, status: str = "pending") -> dict[str, Any]:
    """``message_updated`` when the person picked an ``input_select`` option."""
    body = incoming(conv, title, mid=mid, status=status)
    body.update(event="message_updated", message_type="outgoing", content_type="input_select",
                sender={"id": BOT, "name": "soudan", "type": "agent_bot"},
                content_attributes={"items": [], "submitted_values": [{"title": title, "value": value}]})
    return body


def agent_reply(conv: int, content: str, *, status: str = "open") -> dict[str, Any]:
    """``message_created`` for a counsellor's public reply."""
    body = incoming(conv, content, status=status)
    body.update(message_type="outgoing", sender={"id": 21, "name": "相談員", "email": "c@example.org", "type": "user"})
    return body


def conversation_event(event: str, conv: int, status: str) -> dict[str, Any]:
    return {**conversation(conv, status), "event": event}
