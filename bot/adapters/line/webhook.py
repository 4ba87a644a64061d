"""The LINE webhook, HTTP only: ``POST /line/webhook`` verifies, parses and answers.

1. No ``X-Line-Signature`` header → 400. A body over 1 MiB → 413 (``Content-Length`` checked
   before reading; the read itself is capped by the app's ``client_max_size``).
2. The raw bytes are decoded as UTF-8 (not UTF-8 → 400) and the SDK's
   :class:`linebot.v3.webhook.SignatureValidator` checks the HMAC-SHA256 over exactly those
   bytes (a wrong or non-ASCII signature → 400). Malformed JSON, or no ``events`` list → 400.
   Each event is read on its own (:func:`~.events.read_event`): a text message or postback of a
   user, each field of the JSON type the SDK requires, straight from the JSON (the same job,
   without the SDK's pydantic models, a tenth of the webhook's CPU), any other event with the
   SDK's models as its ``WebhookParser`` applies them. An event that cannot be read (an older or
   hand-made payload: no ``webhookEventId``, ``deliveryContext``, ``mode`` or ``timestamp``) is
   skipped — logged with its position, type and the fields at fault, never its content or user
   id, and counted as ``malformed`` — and the other events are answered (the SDK's parser would
   refuse the whole body, and a 「死にたい」 beside it would go unanswered). A body none of whose
   events can be read → 400. Nothing is processed for a 400/413.
3. The events become jobs (:func:`~.events.to_job`) handled by :class:`~.handler.EventHandler`
   inside the request, and the answer (200) is sent when they are done — or after
   :data:`RESPONSE_BUDGET` seconds, whichever is first: slower work (a slow store or API) goes on
   in the background and is drained when the app stops. Reply tokens live about a minute, so this
   is always in time. When the replies could not be delivered for a transient reason, the answer
   is 500 so that LINE's redelivery (if enabled) can try again; events already handled are then
   skipped as duplicates by their ``webhookEventId``. When the store fails within the budget, the
   answer is 500 too if redelivery is on (``LINE_REDELIVERY=on``); with it off (LINE's default)
   the person gets the short apology with 110 and 119 through the reply token and the answer is 200.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError

from bot.adapters import Metrics
from bot.adapters.line.client import LineApi
from bot.adapters.line.events import PLATFORM, Job, MalformedEvent, read_event
from bot.adapters.line.handler import EventHandler
from bot.adapters.line.sdk import AsyncApiClient, SignatureValidator
from bot.service import Conversations
from bot.settings import MAX_BODY  # largest webhook body accepted (1 MiB); larger → 413

__all__ = ["DRAIN_TIMEOUT", "MAX_BODY", "RESPONSE_BUDGET", "LineAdapter", "setup"]

log = logging.getLogger("soudan.line")

RESPONSE_BUDGET = 5.0
"""Seconds the webhook waits for its events to be handled before answering 200 anyway."""

DRAIN_TIMEOUT = 15.0
"""Seconds the app waits at shutdown for events still being handled in the background."""



@dataclass
class LineAdapter:
    """The LINE webhook of one application.

    Args:
        channel_secret: the channel secret (signature key).
        access_token: the channel access token.
        conversations: the shared :class:`~bot.service.Conversations`.
        metrics: the app's :class:`~bot.adapters.Metrics`.
        api_base: Messaging API host (``https://api.line.me`` when None); a local fake in tests.
        push_fallback: push the messages when the reply call fails (e.g. expired reply token).
        redelivery: the channel's webhook redelivery is on (``LINE_REDELIVERY``): a store failure
            is answered 500 for LINE to redeliver; off (the default), with the apology and 200.
        budget: seconds to wait for the events before answering 200 (see :data:`RESPONSE_BUDGET`).

    Attributes:
        api: the :class:`~.client.LineApi` that sends.
        handler: the :class:`~.handler.EventHandler` that handles the events.

    Raises:
        ValueError: if the secret or the token is empty.
    """

    channel_secret: str
    access_token: str
    conversations: Conversations
    metrics: Metrics
    api_base: str | None = None
    push_fallback: bool = True
    redelivery: bool = False
    budget: float = RESPONSE_BUDGET
    _tasks: set[asyncio.Task[bool]] = field(default_factory=set)

    def __post_init__(self) -> None:
        if not self.channel_secret or not self.access_token:
            raise ValueError("LINE needs both LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN")
        self.signatures = SignatureValidator(self.channel_secret)
        self.api = LineApi(self.access_token, self.metrics, api_base=self.api_base,
                           push_fallback=self.push_fallback)
        self.handler = EventHandler(self.conversations, self.metrics, self.api, redelivery=self.redelivery)
        self._counters: dict[str, Any] = {}

    @property
    def client(self) -> AsyncApiClient | None:
        """The SDK's ``AsyncApiClient`` while the app runs (None before start and after stop)."""
        return self.api.client

    async def client_ctx(self, app: web.Application) -> AsyncIterator[None]:
        """``cleanup_ctx`` hook: create the API client in the running loop; drain and close it at exit."""
        await self.api.open()
        try:
            yield
        finally:
            await self.drain()
            await self.api.close()

    async def drain(self, timeout: float = DRAIN_TIMEOUT) -> None:
        """Wait (up to ``timeout`` seconds) for events still being handled in the background."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    async def process(self, jobs: Sequence[Job]) -> bool:
        """Handle jobs (:meth:`.handler.EventHandler.process`); False when some must be redelivered."""
        return await self.handler.process(jobs)

    def _answer(self, status: int, text: str) -> web.Response:
        c = self._counters.get(str(status))
        if c is None:
            c = self._counters[str(status)] = self.metrics.requests.labels(PLATFORM, str(status))
        c.inc()
        return web.Response(status=status, text=text)

    async def webhook(self, request: web.Request) -> web.Response:
        """``POST /line/webhook``: verify, parse, handle the events, answer (see the module doc)."""
        signature = request.headers.get("X-Line-Signature")
        if not signature:
            return self._answer(400, "missing X-Line-Signature")
        if request.content_length is not None and request.content_length > MAX_BODY:
            return self._answer(413, "body too large (max 1 MiB)")
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._answer(413, "body too large (max 1 MiB)")
        except RequestPayloadError:  # e.g. "Content-Encoding: gzip" over bytes that are not gzip
            request.content.feed_eof()  # aiohttp must not drain the broken body (and log it again) …
            resp = self._answer(400, "body could not be read (Content-Encoding)")
            resp.force_close()  # … and the connection, its parser in an unknown state, is not reused
            return resp
        if len(raw) > MAX_BODY:
            return self._answer(413, "body too large (max 1 MiB)")
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            return self._answer(400, "body is not UTF-8")
        # a base64 HMAC; bytes not UTF-8 arrive as surrogates the SDK cannot encode
        if not signature.isascii() or not self.signatures.validate(body, signature):
            return self._answer(400, "invalid signature")
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):  # RecursionError: nested too deep to parse
            return self._answer(400, "malformed webhook body")
        events = payload.get("events") if type(payload) is dict else None
        if type(events) is not list:
            return self._answer(400, "malformed webhook body")
        jobs, malformed = self._jobs(events)
        if malformed and not jobs:
            return self._answer(400, "malformed webhook body (no event could be read)")
        for m in malformed:
            self.handler.count(m.kind, "malformed")
        for j in jobs:
            if j.action == "ignore":
                self.handler.count(j.kind, "ignored")
        work = [j for j in jobs if j.action != "ignore"]
        if not work:
            return self._answer(200, "OK")
        task = asyncio.ensure_future(self.handler.process(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        if await self._within_budget(task) and not task.cancelled() and task.exception() is None \
                and not task.result():
            return self._answer(500, "not every event was answered (store or LINE API unavailable); please redeliver")
        return self._answer(200, "OK")


    async def _within_budget(self, task: asyncio.Task[bool]) -> bool:
        """Wait for ``task`` at most :attr:`budget` seconds (never cancelling it); True when it is
        done. ``asyncio.wait({task}, timeout=...)`` with one future and a timer, not its sets."""
        if task.done():
            return True
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()

        def wake(_: object = None) -> None:
            if not waiter.done():
                waiter.set_result(None)

        timer = loop.call_later(self.budget, wake)
        task.add_done_callback(wake)
        try:
            await waiter
        finally:
            timer.cancel()
            task.remove_done_callback(wake)
        return task.done()

    @staticmethod
    def _jobs(events: list[Any]) -> tuple[list[Job], list[MalformedEvent]]:
        """The jobs of a body's events, each read on its own, and the events that could not be
        read (each logged: position, type, fields at fault — never content or ids)."""
        jobs: list[Job] = []
        malformed: list[MalformedEvent] = []
        for i, raw in enumerate(events):
            try:
                jobs.append(read_event(raw, i))
            except MalformedEvent as exc:
                malformed.append(exc)
                log.warning("LINE: event %d of %d of a webhook body skipped: a %s event the SDK cannot read "
                            "(fields: %s)", i + 1, len(events), exc.kind, ", ".join(exc.fields))
        return jobs, malformed


def setup(app: web.Application, *, path: str = "/line/webhook", budget: float = RESPONSE_BUDGET) -> LineAdapter:
    """Plug the LINE webhook into the aiohttp app (see :data:`bot.app.PLUGINS`): the route and the
    API client's ``cleanup_ctx``.

    Reads ``LINE_CHANNEL_SECRET``, ``LINE_CHANNEL_ACCESS_TOKEN``, ``LINE_API_BASE``,
    ``LINE_PUSH_FALLBACK`` and ``LINE_REDELIVERY`` from ``app[SETTINGS_KEY]``, shares ``app[CONVERSATIONS_KEY]`` and
    ``app[METRICS_KEY]``, and stores the adapter as ``app[LINE_KEY]``.

    Args:
        app: the application (not yet started).
        path: the webhook path.
        budget: seconds to wait for the events before answering.

    Returns:
        The adapter.

    Raises:
        ValueError: if a credential is empty.
    """
    from bot.app import CONVERSATIONS_KEY, LINE_KEY, METRICS_KEY, SETTINGS_KEY

    settings = app[SETTINGS_KEY]
    secret = settings.line_channel_secret.get_secret_value() if settings.line_channel_secret else ""
    token = settings.line_channel_access_token.get_secret_value() if settings.line_channel_access_token else ""
    adapter = LineAdapter(secret, token, app[CONVERSATIONS_KEY], app[METRICS_KEY], api_base=settings.line_api_base,
                          push_fallback=settings.line_push_fallback, redelivery=settings.line_redelivery,
                          budget=budget)
    app.router.add_post(path, adapter.webhook)
    app.cleanup_ctx.append(adapter.client_ctx)
    app[LINE_KEY] = adapter
    return adapter
