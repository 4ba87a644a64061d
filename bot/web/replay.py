"""Session replay and flow outline for the simulator's side panel (pure: no HTTP).

- :func:`conversation_path` — the states a conversation went through, rebuilt from its history;
- :func:`flow_outline` — a flow's states in file order with their edges, file lines and the
  Mermaid source of its diagram.
"""

from __future__ import annotations

from typing import Any

from bot.contacts.directory import Directory
from bot.engine.core import Engine
from bot.engine.flow import Flow, LoadedFlow
from bot.engine.types import Session
from bot.i18n import pick
from bot.web.source import rel

__all__ = ["conversation_path", "flow_outline"]


def conversation_path(engine: Engine, session: Session) -> list[str]:
    """The states this conversation went through, in order, ``say`` states included.

    Rebuilt from the session's answers (history), so it is exact after ``back`` too.
    """
    f = engine.flows.get(session.flow_id)
    if f is None or f.start not in f.states:
        return [session.state]
    path = f.say_chain(f.start) + f.replay(session.history, session.slots)
    if not path or path[-1] != session.state:
        path.append(session.state)
    return path


def flow_outline(flow: Flow, directory: Directory, loaded: LoadedFlow | None, locale: str) -> dict[str, Any]:
    """The outline of ``flow`` (``GET /api/flows/{id}/outline`` without ``source``, docs/web-api.md).

    Args:
        flow: the flow; directory: the engine's directory (contact names);
        loaded: the flow as loaded from its file (for ``file`` and each state's ``line``), or None;
        locale: ``"ja"`` or ``"en"``.

    Returns:
        ``{"id", "title", "start", "file", "states": [...], "crisis", "fallback", "mermaid"}``.
    """
    from bot.toolkit.graph import build, to_mermaid

    lf = loaded
    g = build(flow, directory, locale)
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
        "file": rel(lf.path) if lf else None, "states": states,
        "crisis": list(g.crisis), "fallback": list(g.fallback),
        "mermaid": to_mermaid(g),
    }
