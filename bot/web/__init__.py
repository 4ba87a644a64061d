"""The browser simulator at ``/`` of ``soudan serve``, and its JSON API (docs/web-api.md).

A phone-like chat page for the people who write flows: pick a flow, set the date and time
(Japan time) to see which windows are open, press the buttons, and see the result cards with
call buttons — the same engine, the same directory, the same replies as LINE and Discord.

The page (``static/``) talks to a small JSON API:

- ``GET /api/flows`` — the flows, the default flow and the state of the files on disk;
- ``GET /api/flows/{id}/outline?locale=ja`` — the states of a flow (for the outline beside the
  chat), with the line of each state in its file and the Mermaid source of the diagram;
- ``GET /api/source`` — whether the files on disk load, with every error as ``file:line``;
- ``POST /api/chat`` — one user input; returns the replies in the JSON form of
  :func:`bot.adapters.common.reply_to_dict`.

Reloading
    Every request compares the modification times of ``flows/*.yaml`` and
    ``directory/*.yaml`` with the last load and reloads when something changed. When the new
    files do not load, the simulator **keeps answering with the last version that loaded** and
    says so in every answer (``source.ok = false``, ``source.errors``); the page shows the errors
    in a red banner until the files are fixed. Only the simulator reloads: LINE and Discord keep
    the engine the server started with (restart the server to publish a change).

Sessions
    Simulator conversations live in the app's session store through
    :class:`bot.service.Conversations` under the platform name ``"web"``; the user id is a
    random token the page keeps in ``sessionStorage`` (``session_token``), hashed like every
    platform user id.

The simulator is on by default only when the server listens on a loopback address
(``SOUDAN_SIMULATOR`` overrides, see :func:`bot.app.simulator_enabled`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import secrets
from pathlib import Path
from typing import Any, Literal, cast

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.adapters.common import reply_to_dict
from bot.contacts.phones import needs_manual_dial, tel_uri
from bot.engine.core import Engine
from bot.engine.flow import FlowError, LoadedFlow
from bot.engine.types import Command, CommandName, Input, Pick, Reply, Session, Start, Text
from bot.i18n import pick
from bot.service import Conversations
from bot.settings import Settings
from bot.timeutil import JST, iso, parse_at
from bot.yamlload import LoadError

__all__ = ["SIMULATOR_KEY", "ChatRequest", "FlowSource", "Simulator", "conversation_path", "setup"]

log = logging.getLogger("soudan.web")

STATIC = Path(__file__).with_name("static")
"""The page: index.html, app.js, style.css (no build step, nothing from a CDN)."""

PLATFORM = "web"
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")


# ------------------------------------------------------------------ flows on disk

class FlowSource:
    """The flows and the directory on disk, reloaded when a file changes.

    Args:
        settings: where the files are (``flows_dir``, ``directory_dir``) and engine options.
        fallback: an engine to serve when the files on disk do not load at start-up (the app's).

    Attributes:
        engine: the engine serving the simulator (the last version that loaded).
        flows: flow id → :class:`LoadedFlow` of that engine (for file lines), when loaded here.
        errors: problems of the files on disk now (empty when they load).
        warnings: warnings of the last successful load (e.g. old ``verified`` dates).
        loaded_at: when :attr:`engine` was loaded (aware, JST).
        version: increases at every successful reload.
    """

    def __init__(self, settings: Settings, fallback: Engine | None = None) -> None:
        self.settings = settings
        self.flows: dict[str, LoadedFlow] = {}
        self.errors: list[LoadError] = []
        self.warnings: list[LoadError] = []
        self.version = 0
        self.loaded_at = dt.datetime.now(JST)
        self._stamp = self._snapshot()
        loaded = self._load()
        if loaded is None and fallback is None:
            raise FlowError(self.errors)
        self.engine: Engine = loaded if loaded is not None else fallback  # type: ignore[assignment]

    def _files(self) -> list[Path]:
        return [*self.settings.flow_paths(), *self.settings.directory_paths()]

    def _snapshot(self) -> tuple[tuple[str, int, int], ...]:
        out = []
        for p in self._files():
            try:
                st = p.stat()
            except OSError:
                continue
            out.append((str(p), st.st_mtime_ns, st.st_size))
        return tuple(out)

    def _load(self) -> Engine | None:
        from bot.loading import load_all

        try:
            directory, flows, warnings = load_all(self.settings.flow_paths(), self.settings.directory_paths())
            engine = Engine({k: v.flow for k, v in flows.items()}, directory,
                            default_flow=self.settings.default_flow, idle_timeout=self.settings.session_ttl)
        except FlowError as exc:
            self.errors = exc.errors
            return None
        except ValueError as exc:  # e.g. SOUDAN_DEFAULT_FLOW names a flow that is gone
            self.errors = [LoadError(str(self.settings.flows_dir), 0, str(exc))]
            return None
        except Exception as exc:  # never let an edit on disk break the page: report it instead
            log.exception("simulator: reloading the flows failed")
            self.errors = [LoadError(str(self.settings.flows_dir), 0,
                                     f"the files could not be loaded ({type(exc).__name__}); run `soudan validate`")]
            return None
        self.errors = []
        self.warnings = warnings
        self.flows = flows
        self.version += 1
        self.loaded_at = dt.datetime.now(JST)
        return engine

    def current(self) -> Engine:
        """The engine to use now, after reloading if a file changed since the last check."""
        stamp = self._snapshot()
        if stamp != self._stamp:
            self._stamp = stamp
            engine = self._load()
            if engine is not None:
                self.engine = engine
                log.info("simulator reloaded flows (version %d)", self.version)
            else:
                log.warning("simulator: the edited files do not load; serving the last version that did")
        return self.engine

    def status(self) -> dict[str, Any]:
        """The ``source`` object of every API answer (see docs/web-api.md)."""
        return {
            "ok": not self.errors,
            "errors": [_problem(e) for e in self.errors],
            "warnings": [_problem(e) for e in self.warnings],
            "serving": "current" if not self.errors else "last-good",
            "version": self.version,
            "loaded_at": iso(self.loaded_at),
        }


def _problem(e: LoadError) -> dict[str, Any]:
    return {"path": _rel(e.path), "line": e.line, "message": e.message, "severity": e.severity,
            "text": str(e).replace(e.path, _rel(e.path), 1)}


def _rel(path: str) -> str:
    from bot.settings import ROOT

    try:
        return Path(path).resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return path


# ------------------------------------------------------------------ requests

class ChatInput(BaseModel):
    """``input`` of ``POST /api/chat``."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["start", "text", "pick", "command"]
    text: str | None = Field(None, max_length=5000)
    choice: str | None = Field(None, max_length=200)
    state: str | None = Field(None, max_length=200)
    conversation: str | None = Field(None, max_length=64)
    name: CommandName | None = None


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
    return Command(i.name)


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


def conversation_path(engine: Engine, session: Session) -> list[str]:
    """The states this conversation went through, in order, ``say`` states included.

    Rebuilt from the session's answers (history), so it is exact after ``back`` too.
    """
    from bot.testing import resolve_goto, say_chain

    f = engine.flows.get(session.flow_id)
    if f is None or f.start not in f.states:
        return [session.state]
    path = say_chain(f, f.start)
    for i, h in enumerate(session.history):
        st = f.states.get(h.state)
        ch = next((c for c in (st.choices or []) if c.id == h.choice), None) if st else None
        if ch is None or st is None:
            if st is not None and st.kind == "refer" and st.next and h.choice == ":continue":
                path += say_chain(f, st.next)
            continue
        # the slots after this answer (a typed place stores its region code, not the choice id)
        slots = dict(session.history[i + 1].slots if i + 1 < len(session.history) else session.slots)
        path += say_chain(f, resolve_goto(ch, slots))
    if not path or path[-1] != session.state:
        path.append(session.state)
    return path


# ------------------------------------------------------------------ the simulator

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
        files = {k: _rel(v.path) for k, v in self.source.flows.items()}
        return {
            "flows": [{"id": fid, "title": f.title, "file": files.get(fid), "states": len(f.states)}
                      for fid, f in sorted(engine.flows.items())],
            "default_flow": engine.default_flow,
            "source": self.source.status(),
        }

    def outline(self, flow_id: str, locale: str) -> dict[str, Any]:
        """``GET /api/flows/{id}/outline``: states in file order, for the page's outline.

        Raises:
            BadRequest: 404 for an unknown flow.
        """
        from bot.toolkit.graph import build, to_mermaid

        engine = self.source.current()
        flow = engine.flows.get(flow_id)
        if flow is None:
            raise BadRequest(f"unknown flow {flow_id!r}; the flows are {sorted(engine.flows)}", 404)
        lf = self.source.flows.get(flow_id)
        g = build(flow, engine.directory, locale)
        edges: dict[str, list[dict[str, Any]]] = {}
        for e in g.edges:
            edges.setdefault(e.src, []).append(
                {"choice": e.choice, "label": e.label, "to": e.dst, "condition": e.condition})
        states = []
        for n in g.nodes:
            states.append({
                "id": n.id, "kind": n.kind, "text": n.text, "start": n.start,
                "line": lf.line("states", n.id) if lf else None,
                "edges": edges.get(n.id, []),
                "contacts": [{"id": cid, "name": name} for cid, name in n.contacts],
                "steps": list(n.steps),
            })
        return {
            "id": flow.id, "title": pick(flow.title, locale), "start": flow.start,
            "file": _rel(lf.path) if lf else None, "states": states,
            "crisis": list(g.crisis), "fallback": list(g.fallback),
            "mermaid": to_mermaid(g), "source": self.source.status(),
        }


SIMULATOR_KEY = web.AppKey("simulator", Simulator)


# ------------------------------------------------------------------ handlers (HTTP only)

def _json(data: Any, status: int = 200) -> web.Response:
    """A JSON answer with Japanese left readable (UTF-8, not ``\\u`` escapes)."""
    return web.json_response(data, status=status, dumps=_dumps)


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


def _error(message: str, status: int) -> web.Response:
    return _json({"error": message}, status)


async def _index(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC / "index.html", headers={
        "Content-Security-Policy": CSP, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer"})


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
    app.router.add_get("/", _index)
    app.router.add_static("/static/", STATIC, append_version=False)
    app.router.add_get("/api/flows", _flows)
    app.router.add_get("/api/flows/{flow}/outline", _outline)
    app.router.add_get("/api/source", _source)
    app.router.add_post("/api/chat", _chat)
