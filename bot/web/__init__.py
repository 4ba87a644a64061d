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

Modules
    :mod:`bot.web.routes` (HTTP handlers, :func:`setup`), :mod:`bot.web.page` (the page and its
    static files), :mod:`bot.web.api` (:class:`Simulator`, the request and answer shapes),
    :mod:`bot.web.source` (files on disk, reloading), :mod:`bot.web.replay` (conversation path,
    flow outline).
"""

from bot.web.api import SIMULATOR_KEY, ChatRequest, Simulator
from bot.web.replay import conversation_path
from bot.web.routes import setup
from bot.web.source import FlowSource

__all__ = ["SIMULATOR_KEY", "ChatRequest", "FlowSource", "Simulator", "conversation_path", "setup"]
