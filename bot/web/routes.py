"""The simulator's HTTP side: the JSON API handlers, the page and :func:`setup`.

Every answer under ``/api/`` is JSON, errors included (:func:`_api_errors`).
"""

from __future__ import annotations

import json
import logging
from typing import Any, cast

from aiohttp import web
from pydantic import ValidationError

from bot.store import StoreError
from bot.web.api import PLATFORM, SIMULATOR_KEY, BadRequest, ChatRequest, Simulator, unavailable
from bot.web.page import STATIC, index

__all__ = ["setup"]

log = logging.getLogger("soudan.web")


def _json(data: Any, status: int = 200) -> web.Response:
    """A JSON answer with Japanese left readable (UTF-8, not ``\\u`` escapes)."""
    return web.json_response(data, status=status, dumps=_dumps)


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


def _error(message: str, status: int) -> web.Response:
    return _json({"error": message}, status)


async def _flows(request: web.Request) -> web.Response:
    return _json(request.app[SIMULATOR_KEY].flows())


async def _source(request: web.Request) -> web.Response:
    sim = request.app[SIMULATOR_KEY]
    sim.source.current()
    return _json(sim.source.status())


async def _outline(request: web.Request) -> web.Response:
    locale = request.query.get("locale", "ja")
    if locale not in ("ja", "en"):
        return _error("locale must be ja or en", 400)
    try:
        return _json(request.app[SIMULATOR_KEY].outline(request.match_info["flow"], locale))
    except BadRequest as exc:
        return _error(exc.message, exc.status)


async def _chat(request: web.Request) -> web.Response:
    try:
        body = await request.json()
    except (ValueError, RecursionError):
        return _error("the body must be JSON (Content-Type: application/json), nested at most a few levels", 400)
    try:
        req = ChatRequest.model_validate(body)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(x) for x in first["loc"]) or "body"
        return _error(f"{where}: {first['msg']}", 400)
    sim = request.app[SIMULATOR_KEY]
    try:
        return _json(await sim.chat(req))
    except BadRequest as exc:
        sim.metrics.events.labels(PLATFORM, req.input.type, "error").inc()
        return _error(exc.message, exc.status)
    except StoreError as exc:  # nothing was committed: the page keeps the conversation and may send it again
        log.error("simulator chat failed in the store: %s", type(exc).__name__)
        sim.metrics.events.labels(PLATFORM, req.input.type, "error").inc()
        return _json(unavailable(req, sim.source.current(), sim.clock()), 503)


@web.middleware
async def _api_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """Every answer under ``/api/`` is JSON, errors included (404, 405, 413, 500)."""
    if not request.path.startswith("/api/"):
        return cast(web.StreamResponse, await handler(request))
    try:
        return cast(web.StreamResponse, await handler(request))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _error(exc.reason if exc.status != 413 else "the body is too large (1 MiB at most)", exc.status)
    except Exception:
        log.exception("simulator API failed")
        return _error("internal error; the server log has the details", 500)


def setup(app: web.Application) -> None:
    """Add the simulator page and its API to ``app`` (called by :func:`bot.app.create_app`).

    Raises:
        bot.engine.flow.FlowError: never for broken files on disk when the app has an engine
            (the app's engine is served and the errors are shown on the page).
    """
    app[SIMULATOR_KEY] = Simulator(app)
    app.middlewares.append(_api_errors)
    app.router.add_get("/", index)
    app.router.add_static("/static/", STATIC, append_version=False)
    app.router.add_get("/api/flows", _flows)
    app.router.add_get("/api/flows/{flow}/outline", _outline)
    app.router.add_get("/api/source", _source)
    app.router.add_post("/api/chat", _chat)
