"""The aiohttp application factory behind ``soudan serve``.

:func:`create_app` builds one :class:`aiohttp.web.Application` from :class:`~bot.settings.Settings`:

- ``GET /healthz`` — 200 ``{"status": "ok", ...}`` when the store answers, else 503; beside the store
  and the flows it says whether LINE is on (``"line": true``) and where Discord stands
  (``"discord": "connected" | "starting" | "reconnecting" | "retrying" | "token_rejected" |
  "stopped" | "not_configured"``) — Discord's state never makes it 503 (LINE keeps serving).
- ``GET /metrics`` — Prometheus text (when ``SOUDAN_METRICS`` is on; default: on for a loopback
  bind only). A registry per app, so tests can build many apps.
- Plugins listed in :data:`PLUGINS` — ``POST /line/webhook`` (when ``LINE_CHANNEL_SECRET`` and
  ``LINE_CHANNEL_ACCESS_TOKEN`` are both set: :mod:`bot.adapters.line`), the Discord client (when
  ``DISCORD_TOKEN`` is set), the browser simulator (``SOUDAN_SIMULATOR``, default on for a loopback
  bind) and the Chatwoot agent bot.

How to plug in (LINE, Discord, simulator, anything else)
--------------------------------------------------
A plugin is a module with ``setup(app: web.Application) -> None``, named in :data:`PLUGINS` with
the setting that enables it. ``create_app`` calls ``setup(app)`` after the shared objects are in
place and before the app starts; ``setup`` adds routes and/or a ``cleanup_ctx`` (start a client
when the app starts, stop it when it stops — the Discord client belongs there). Inside, read:

- ``app[SETTINGS_KEY]`` — :class:`~bot.settings.Settings`;
- ``app[ENGINE_KEY]`` — the :class:`~bot.engine.core.Engine`;
- ``app[CONVERSATIONS_KEY]`` — the :class:`~bot.service.Conversations` (``.handle(platform,
  raw_user_id, inp, event_id=..., now=...)``, ``.forget``, ``.store``); usable once the app has
  started (the store connects lazily);
- ``app[METRICS_KEY]`` — :class:`~bot.adapters.Metrics` (label ``platform`` with your name);
- ``app[DESK_KEY]`` — the hand-off :class:`~bot.handoff.desk.Desk` (register a sink to offer your
  platform's team; call ``dispatch`` after each handled step);
- ``app[CLOCK_KEY]`` — the clock to pass as ``now`` (tests inject a frozen one).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import importlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.adapters import Metrics
from bot.engine.core import Engine
from bot.handoff.desk import Desk
from bot.metrics import ConsultationMetrics, sweep_dropoffs
from bot.service import Conversations
from bot.settings import MAX_BODY, Settings
from bot.store import SessionStore, StoreError, open_store
from bot.timeutil import now_jst

__all__ = [
    "CLOCK_KEY", "CONSULTATIONS_KEY", "CONVERSATIONS_KEY", "DESK_KEY", "DISCORD_STATE_KEY", "ENGINE_KEY", "LINE_KEY", "METRICS_KEY", "PLUGINS",
    "SETTINGS_KEY", "STORE_KEY", "SWEEP_INTERVAL", "Plugin", "create_app", "metrics_enabled", "simulator_enabled",
    "sweep_once",
]

log = logging.getLogger("soudan.app")

MAX_REQUEST_BODY = MAX_BODY
"""``client_max_size`` of the app, in bytes (:data:`bot.settings.MAX_BODY`): larger request bodies get 413."""

HEALTH_TIMEOUT = 2.0
"""Seconds ``/healthz`` waits for the store."""

SWEEP_INTERVAL = 60.0
"""Seconds between two runs of the app's periodic sweep (drop-off counts, hand-off time-outs)."""

Clock = Callable[[], dt.datetime]

SETTINGS_KEY = web.AppKey("settings", Settings)
ENGINE_KEY = web.AppKey("engine", Engine)
STORE_KEY = web.AppKey("store", SessionStore)
CONVERSATIONS_KEY = web.AppKey("conversations", Conversations)
METRICS_KEY = web.AppKey("metrics", Metrics)
CONSULTATIONS_KEY = web.AppKey("consultations", ConsultationMetrics)
"""The consultation counters (:class:`bot.metrics.ConsultationMetrics`), in the same registry."""
DESK_KEY = web.AppKey("handoff_desk", Desk)
"""The hand-off desk (:class:`bot.handoff.desk.Desk`): adapters that reach a team register a sink."""
CLOCK_KEY: web.AppKey[Clock] = web.AppKey("clock")
LINE_KEY: web.AppKey[object] = web.AppKey("line")
"""The :class:`bot.adapters.line.LineAdapter`, present only when LINE credentials are set."""
DISCORD_STATE_KEY: web.AppKey[Callable[[], str]] = web.AppKey("discord_state")
"""Returns where the Discord client stands (``connected``, ``retrying``, ``token_rejected``…, see
:class:`bot.adapters.discord.ConnectionState`); present only when ``DISCORD_TOKEN`` is set."""


def metrics_enabled(settings: Settings) -> bool:
    """``SOUDAN_METRICS`` when set, else on for a loopback bind only."""
    return settings.metrics if settings.metrics is not None else settings.loopback


def simulator_enabled(settings: Settings) -> bool:
    """``SOUDAN_SIMULATOR`` when set, else on for a loopback bind only."""
    return settings.simulator if settings.simulator is not None else settings.loopback


@dataclass(frozen=True)
class Plugin:
    """An optional part of the app.

    Attributes:
        module: dotted module name exposing ``setup(app: web.Application) -> None``.
        enabled: whether the settings ask for it.
        what: human name for logs.
    """

    module: str
    enabled: Callable[[Settings], bool]
    what: str


def line_enabled(settings: Settings) -> bool:
    """True when both LINE credentials are set (a warning is logged when only one is)."""
    secret, token = settings.line_channel_secret, settings.line_channel_access_token
    have = [bool(v and v.get_secret_value()) for v in (secret, token)]
    if any(have) and not all(have):
        log.warning("LINE is off: set both LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN")
    return all(have)


PLUGINS: list[Plugin] = [
    Plugin("bot.adapters.line", line_enabled, "LINE webhook"),
    Plugin("bot.adapters.discord", lambda s: s.discord_token is not None and bool(s.discord_token.get_secret_value()),
           "Discord client"),
    Plugin("bot.web", simulator_enabled, "browser simulator"),
    Plugin("bot.adapters.chatwoot", lambda s: bool(s.chatwoot_url and s.chatwoot_bot_token and s.chatwoot_webhook_secret),
           "Chatwoot agent bot"),
]
"""Optional parts set up by :func:`create_app`, in order (see the module docstring)."""


async def _healthz(request: web.Request) -> web.Response:
    app = request.app
    store = app[CONVERSATIONS_KEY].store
    body: dict[str, object] = {
        "status": "ok",
        "store": getattr(store, "backend", type(store).__name__),
        "flows": sorted(app[ENGINE_KEY].flows),
        "line": LINE_KEY in app,
        "discord": app[DISCORD_STATE_KEY]() if DISCORD_STATE_KEY in app else "not_configured",
    }
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT):
            await store.ping()
    except (StoreError, TimeoutError) as exc:
        body.update(status="unavailable", error=type(exc).__name__)
        return web.json_response(body, status=503)
    return web.json_response(body)


async def _metrics(request: web.Request) -> web.Response:
    data = generate_latest(request.app[METRICS_KEY].registry)
    return web.Response(body=data, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def sweep_once(app: web.Application) -> None:
    """One run of the periodic sweep: hand-offs nobody picked up in time are timed out
    (:meth:`bot.handoff.desk.Desk.sweep`), drop-offs are counted (:func:`bot.metrics.sweep_dropoffs`).

    A store failure is logged and retried at the next run.
    """
    try:
        now = app[CLOCK_KEY]()
        await app[DESK_KEY].sweep(now)
        await sweep_dropoffs(app[STORE_KEY], app[CONSULTATIONS_KEY], now)
    except StoreError as exc:
        log.warning("sweep: store failed: %s", exc)
    except Exception as exc:  # noqa: BLE001 — the periodic sweep must keep running; never log session contents
        log.error("sweep failed: %s", type(exc).__name__)


async def _sweep_ctx(app: web.Application) -> AsyncIterator[None]:
    async def loop() -> None:
        while True:
            await asyncio.sleep(SWEEP_INTERVAL)
            await sweep_once(app)

    task = asyncio.ensure_future(loop())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def create_app(settings: Settings, *, engine: Engine | None = None, store: SessionStore | None = None,
               clock: Clock | None = None) -> web.Application:
    """Build the application.

    Args:
        settings: runtime settings.
        engine: the engine; loaded from ``settings`` (flows and directory folders) when None.
        store: the session store; when None, ``open_store(settings.store)`` is used and closed
            with the app. A store passed in belongs to the caller and is not closed.
        clock: returns the current aware datetime (defaults to now in Asia/Tokyo).

    Returns:
        The application, not yet started (``web.run_app`` or an aiohttp test client starts it).

    Raises:
        bot.engine.flow.FlowError: when ``engine`` is None and a flow or directory file is broken.
        ValueError: for an unknown store URL, or an empty ``SOUDAN_SECRET``.
    """
    app = web.Application(client_max_size=MAX_REQUEST_BODY)
    if engine is None:
        from bot.loading import load_engine

        engine = load_engine(settings)
    owned = store is None
    the_store = store if store is not None else open_store(settings.store)
    now = clock or now_jst
    metrics = Metrics()
    counts = ConsultationMetrics(metrics.registry, engine.finished, the_store, settings.secret.get_secret_value())
    conversations = Conversations(engine, the_store, settings.secret.get_secret_value(), clock=now,
                                  observer=counts.observe, send_lease=settings.send_lease)

    app[SETTINGS_KEY] = settings
    app[ENGINE_KEY] = engine
    app[STORE_KEY] = the_store
    app[CONVERSATIONS_KEY] = conversations
    app[METRICS_KEY] = metrics
    app[CONSULTATIONS_KEY] = counts
    app[DESK_KEY] = Desk(conversations, engine.handoffs.teams)
    app[CLOCK_KEY] = now

    async def store_ctx(_app: web.Application) -> AsyncIterator[None]:
        try:
            await the_store.ping()
        except StoreError as exc:  # keep serving: /healthz reports it and events fail per request
            log.error("session store not reachable at start-up: %s", exc)
        try:
            yield
        finally:
            if owned:
                await the_store.close()

    app.cleanup_ctx.append(store_ctx)
    app.cleanup_ctx.append(_sweep_ctx)
    app.router.add_get("/healthz", _healthz)
    if metrics_enabled(settings):
        app.router.add_get("/metrics", _metrics)

    for plugin in PLUGINS:
        if plugin.enabled(settings):
            importlib.import_module(plugin.module).setup(app)
    return app
