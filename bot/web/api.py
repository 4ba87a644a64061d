"""The simulator's conversations and the JSON shapes of its API (docs/web-api.md).

:class:`Simulator` answers ``POST /api/chat`` (:class:`ChatRequest` → replies in the JSON form of
:func:`bot.adapters.common.reply_to_dict`), ``GET /api/flows`` and ``GET /api/flows/{id}/outline``
over the app's session store; the HTTP side is :mod:`bot.web.routes`.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.adapters.common import outage_replies, reply_to_dict
from bot.adapters.text import without_lone_surrogates
from bot.contacts.phones import needs_manual_dial, tel_uri
from bot.engine.core import Engine
from bot.engine.types import Command, CommandName, Input, Pick, Reply, Start, Text
from bot.i18n import t
from bot.service import Conversations
from bot.timeutil import iso, parse_at
from bot.web.replay import conversation_path, flow_outline
from bot.web.source import FlowSource, rel

__all__ = ["PLATFORM", "SIMULATOR_KEY", "BadRequest", "ChatInput", "ChatRequest", "Simulator", "render_replies",
           "to_input", "unavailable"]

PLATFORM = "web"
"""The platform name of simulator conversations (store keys, metrics label)."""
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
"""A valid ``session_token``."""


class ChatInput(BaseModel):
    """``input`` of ``POST /api/chat``."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["start", "text", "pick", "command"]
    text: str | None = Field(None, max_length=5000)
    choice: str | None = Field(None, max_length=200)
    state: str | None = Field(None, max_length=200)
    conversation: str | None = Field(None, max_length=64)
    name: CommandName | None = None

    @field_validator("text", mode="before")
    @classmethod
    def _whole_characters(cls, value: object) -> object:
        """Half an emoji (a lone surrogate, e.g. a message cut inside a pair by a browser's
        ``maxlength``) is not a reason to lose the message: 「しにたい\\ud83d」 is read as
        「しにたい\ufffd」 (:func:`~bot.adapters.text.without_lone_surrogates`), before the string
        check that would refuse it."""
        return without_lone_surrogates(value) if isinstance(value, str) else value


class ChatRequest(BaseModel):
    """Body of ``POST /api/chat`` (docs/web-api.md)."""

    model_config = ConfigDict(extra="forbid")

    session_token: str | None = None
    flow: str | None = None
    at: str | None = Field(None, max_length=40)
    locale: Literal["ja", "en"] | None = None
    input: ChatInput


class BadRequest(Exception):
    """A request the API refuses; ``message`` says what to send instead."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def to_input(req: ChatRequest) -> Input:
    """The engine input of a request.

    Raises:
        BadRequest: when a field the input type needs is missing.
    """
    i = req.input
    if i.type == "start":
        return Start(req.flow, req.locale)
    if i.type == "text":
        if i.text is None:
            raise BadRequest("input.text is required for type 'text'")
        return Text(i.text)
    if i.type == "pick":
        if i.choice is None or i.state is None or i.conversation is None:
            raise BadRequest("input.choice, input.state and input.conversation are required for type 'pick' "
                             "(take state_id and conversation_id from the ask reply)")
        return Pick(i.choice, i.state, i.conversation)
    if i.name is None:
        raise BadRequest(f"input.name is required for type 'command': one of {[c.value for c in CommandName]}")
    return Command(i.name, req.locale)  # someone new gets the answer (and the welcome) in it


def unavailable(req: ChatRequest, engine: Engine, now: dt.datetime) -> dict[str, Any]:
    """The answer (HTTP 503) of ``POST /api/chat`` when the store failed: what every adapter answers
    then (:func:`~bot.adapters.common.outage_replies`: a typed message's crisis card first — the
    24-hour lines even while the store is down —, then the apology ``adapters.error``: try again in
    a moment, 110 and 119) as the replies, the apology also as ``error``, in the request's
    ``locale`` (Japanese without one), with the request's ``session_token`` and ``retry: true`` —
    nothing was committed, so the same input may be sent again."""
    loc = req.locale or "ja"
    text = req.input.text if req.input.type == "text" else None
    replies = outage_replies(engine, text, now, loc)
    return {"error": t("adapters.error", loc), "retry": True, "session_token": req.session_token,
            "replies": render_replies(replies, loc)}


def render_replies(replies: list[Reply], locale: str) -> list[dict[str, Any]]:
    """Replies in JSON: :func:`reply_to_dict` plus, for each contact, ``tel`` links and
    ``manual_dial`` flags (a ``#`` number may not dial from a link on iPhone)."""
    out = []
    for r in replies:
        d = reply_to_dict(r, locale)
        for c in d["contacts"]:
            c["tel"] = [tel_uri(p) for p in c["phones"]]
            c["manual_dial"] = [needs_manual_dial(p) for p in c["phones"]]
        out.append(d)
    return out


class Simulator:
    """The simulator of one app: the flow source and the conversations over the app's store."""

    def __init__(self, app: web.Application) -> None:
        from bot.app import CLOCK_KEY, ENGINE_KEY, METRICS_KEY, SETTINGS_KEY, STORE_KEY

        self.settings = app[SETTINGS_KEY]
        self.source = FlowSource(self.settings, fallback=app[ENGINE_KEY])
        self.store = app[STORE_KEY]
        self.clock = app[CLOCK_KEY]
        self.metrics = app[METRICS_KEY]
        self._secret = self.settings.secret.get_secret_value()
        self._conversations: tuple[Engine, Conversations] | None = None

    def conversations(self) -> Conversations:
        """Conversations over the current engine (a new one after each reload)."""
        engine = self.source.current()
        if self._conversations is None or self._conversations[0] is not engine:
            self._conversations = (engine, Conversations(engine, self.store, self._secret, clock=self.clock))
        return self._conversations[1]

    async def chat(self, req: ChatRequest) -> dict[str, Any]:
        """Handle one ``POST /api/chat``.

        Raises:
            BadRequest: for an unknown flow, a malformed token or time, a missing input field.
        """
        conv = self.conversations()
        engine = conv.engine
        token = req.session_token or secrets.token_urlsafe(18)
        if not TOKEN.fullmatch(token):
            raise BadRequest("session_token must be 16–64 characters of A–Z, a–z, 0–9, '-' or '_'")
        if req.input.type == "start" and req.flow is not None and req.flow not in engine.flows:
            raise BadRequest(f"unknown flow {req.flow!r}; the flows are {sorted(engine.flows)}", 404)
        try:
            now = parse_at(req.at) if req.at else self.clock()
        except ValueError as exc:
            raise BadRequest(f"at: {exc}") from None
        inp = to_input(req)
        handled = await conv.handle(PLATFORM, token, inp, now=now)
        self.metrics.events.labels(PLATFORM, req.input.type, "handled").inc()
        self.metrics.step_seconds.labels(PLATFORM).observe(handled.seconds)
        s = handled.session
        locale = s.locale if s else (req.locale or "ja")
        return {
            "path": conversation_path(engine, s) if s else [],
            "session_token": token,
            "flow": s.flow_id if s else req.flow,
            "state": s.state if s else None,
            "conversation_id": s.conversation_id if s else None,
            "locale": locale,
            "at": iso(now),
            "ended": s is None,
            "replies": render_replies(handled.replies, locale),
            "source": self.source.status(),
        }

    def flows(self) -> dict[str, Any]:
        """``GET /api/flows``."""
        engine = self.source.current()
        files = {k: rel(v.path) for k, v in self.source.flows.items()}
        return {
            "flows": [{"id": fid, "title": f.title, "file": files.get(fid), "states": len(f.states)}
                      for fid, f in sorted(engine.flows.items())],
            "default_flow": engine.default_flow,
            "source": self.source.status(),
        }

    def outline(self, flow_id: str, locale: str) -> dict[str, Any]:
        """``GET /api/flows/{id}/outline``: states in file order, for the page's outline
        (:func:`bot.web.replay.flow_outline` plus ``source``).

        Raises:
            BadRequest: 404 for an unknown flow.
        """
        engine = self.source.current()
        flow = engine.flows.get(flow_id)
        if flow is None:
            raise BadRequest(f"unknown flow {flow_id!r}; the flows are {sorted(engine.flows)}", 404)
        return {**flow_outline(flow, engine.directory, self.source.flows.get(flow_id), locale),
                "source": self.source.status()}


SIMULATOR_KEY = web.AppKey("simulator", Simulator)
