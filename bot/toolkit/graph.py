"""``soudan graph FLOW [--format mermaid|dot]``: a flow as a diagram.

States are nodes (a question, a message, a result with the names of its windows), choices are
labelled edges, and a choice that branches on an earlier answer gets one edge per branch with
its condition (``who = pupil``, ``otherwise``). The crisis interception and the fallback lines
are drawn as separate notes because they apply to every state.

``docs/flows.md`` embeds the Mermaid of every shipped flow; regenerate it after editing a flow::

    python -m bot.toolkit.graph --docs docs/flows.md

(a test fails while it is out of date).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.contacts.directory import Directory
from bot.engine.flow import Flow
from bot.errors import ProblemsError
from bot.i18n import pick

__all__ = ["Edge", "Graph", "Node", "build", "docs_markdown", "main", "to_dot", "to_mermaid"]

TEXT_CHARS = 36
"""Longest question or message text shown in a node (longer ones end with …)."""


@dataclass(frozen=True)
class Node:
    """A state of the flow, ready to draw.

    Attributes:
        id: the state id.
        kind: ``ask``, ``say`` or ``refer``.
        text: the question, message or result text (in the chosen locale).
        contacts: ``(contact id, contact name)`` of a result.
        steps: next steps of a result.
        start: True for the start state.
    """

    id: str
    kind: str
    text: str
    contacts: tuple[tuple[str, str], ...] = ()
    steps: tuple[str, ...] = ()
    start: bool = False


@dataclass(frozen=True)
class Edge:
    """A way from one state to another.

    Attributes:
        src, dst: state ids.
        choice: the choice id (None for ``say`` → ``next``).
        label: the choice label (empty for ``next``).
        condition: ``slot = value`` of a branch, ``otherwise`` for a default branch, else None.
    """

    src: str
    dst: str
    choice: str | None = None
    label: str = ""
    condition: str | None = None


@dataclass
class Graph:
    """A flow as nodes and edges, plus the crisis and fallback notes."""

    flow_id: str
    title: str
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    crisis: tuple[str, ...] = ()
    fallback: tuple[str, ...] = ()


def _name(directory: Directory | None, cid: str, locale: str) -> str:
    if directory is not None and cid in directory:
        return pick(directory.get(cid).name, locale)
    return cid


def build(flow: Flow, directory: Directory | None = None, locale: str = "ja") -> Graph:
    """The drawable graph of ``flow`` (contact names from ``directory``; ids when it is None)."""
    g = Graph(flow.id, pick(flow.title, locale))
    for sid, st in flow.states.items():
        if st.kind == "ask":
            assert st.ask is not None
            g.nodes.append(Node(sid, "ask", pick(st.ask, locale), start=sid == flow.start))
            for ch in st.choices or []:
                label = pick(ch.label, locale)
                if isinstance(ch.goto, str):
                    g.edges.append(Edge(sid, ch.goto, ch.id, label))
                    continue
                for br in ch.goto:
                    if br.when is None:
                        cond = "otherwise"
                    else:
                        cond = " and ".join(f"{k} = {v if isinstance(v, str) else ' or '.join(v)}"
                                            for k, v in br.when.items())
                    g.edges.append(Edge(sid, br.to, ch.id, label, cond))
        elif st.kind == "say":
            assert st.say is not None and st.next is not None
            g.nodes.append(Node(sid, "say", pick(st.say, locale), start=sid == flow.start))
            g.edges.append(Edge(sid, st.next))
        else:
            assert st.refer is not None
            g.nodes.append(Node(sid, "refer", pick(st.refer.text, locale),
                                tuple((c, _name(directory, c, locale)) for c in st.refer.contacts),
                                tuple(pick(s, locale) for s in st.refer.steps), start=sid == flow.start))
    if flow.crisis is not None:
        g.crisis = tuple(_name(directory, c, locale) for c in flow.crisis.contacts)
    g.fallback = tuple(_name(directory, c, locale) for c in flow.fallback)
    return g


def _short(text: str, n: int = TEXT_CHARS) -> str:
    t = " ".join(text.split())
    return t if len(t) <= n else t[: n - 1] + "…"


# ------------------------------------------------------------------ Mermaid

def _mm(text: str) -> str:
    """Text safe inside a Mermaid ``"..."`` label."""
    return (text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
            .replace("|", "#124;"))


def _ids(g: Graph) -> dict[str, str]:
    out: dict[str, str] = {}
    used: set[str] = set()
    for n in g.nodes:
        base = "s_" + re.sub(r"[^A-Za-z0-9_]", "_", n.id)
        nid, k = base, 2
        while nid in used:
            nid, k = f"{base}_{k}", k + 1
        used.add(nid)
        out[n.id] = nid
    return out


def to_mermaid(g: Graph) -> str:
    """A Mermaid ``flowchart`` (renders on GitHub and in most Markdown viewers)."""
    ids = _ids(g)
    lines = ["flowchart TD", f"  %% {g.flow_id}: {_mm(g.title)} — generated by `soudan graph {g.flow_id}`",
             '  n_start(["start"])']
    for n in g.nodes:
        head = f"<b>{_mm(n.id)}</b><br/>{_mm(_short(n.text))}"
        nid = ids[n.id]
        if n.kind == "ask":
            lines.append(f'  {nid}("{head}"):::ask')
        elif n.kind == "say":
            lines.append(f'  {nid}>"{head}"]:::say')
        else:
            windows = "<br/>".join(f"☎ {_mm(name)}" for _, name in n.contacts)
            lines.append(f'  {nid}[["{head}<br/>{windows}"]]:::refer')
    start = next((n for n in g.nodes if n.start), None)
    if start is not None:
        lines.append(f"  n_start --> {ids[start.id]}")
    for e in g.edges:
        if e.src not in ids or e.dst not in ids:
            continue
        label = _mm(_short(e.label, 24)) if e.label else ""
        if e.condition:
            label = f"{label}<br/>[{_mm(e.condition)}]" if label else f"[{_mm(e.condition)}]"
        arrow = f'-->|"{label}"|' if label else "-->"
        lines.append(f"  {ids[e.src]} {arrow} {ids[e.dst]}")
    if g.crisis:
        names = "<br/>".join(f"☎ {_mm(c)}" for c in g.crisis)
        lines.append(f'  n_crisis{{{{"<b>crisis words, in any state</b><br/>{names}"}}}}:::crisis')
    if g.fallback:
        names = "<br/>".join(f"☎ {_mm(c)}" for c in g.fallback)
        lines.append(f'  n_fallback[/"<b>added when every window of a result is closed</b><br/>{names}"/]:::note')
    lines += [
        "  classDef ask fill:#e3f2fd,stroke:#1565c0,color:#0d1b2a",
        "  classDef say fill:#f5f5f5,stroke:#616161,color:#212121",
        "  classDef refer fill:#e8f5e9,stroke:#2e7d32,color:#1b3a1e",
        "  classDef crisis fill:#ffebee,stroke:#c62828,color:#4a0d0d",
        "  classDef note fill:#fffde7,stroke:#f9a825,color:#3e2f00",
    ]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ Graphviz dot

def _dq(text: str) -> str:
    """A Graphviz double-quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(g: Graph) -> str:
    """A Graphviz ``digraph`` (render with ``dot -Tsvg``)."""
    lines = [f"// {g.flow_id}: {g.title} — generated by `soudan graph {g.flow_id} --format dot`",
             f"digraph {_dq(g.flow_id)} {{",
             '  graph [rankdir=TB, fontname="sans-serif"];',
             '  node [fontname="sans-serif", fontsize=10];',
             '  edge [fontname="sans-serif", fontsize=9];',
             '  "__start" [shape=circle, label="start", width=0.6];']
    for n in g.nodes:
        text = f"{n.id}\n{_short(n.text)}"
        if n.kind == "ask":
            attrs = 'shape=box, style="rounded,filled", fillcolor="#e3f2fd"'
        elif n.kind == "say":
            attrs = 'shape=note, style=filled, fillcolor="#f5f5f5"'
        else:
            text += "".join(f"\n☎ {name}" for _, name in n.contacts)
            attrs = 'shape=box, style="filled,bold", fillcolor="#e8f5e9"'
        lines.append(f"  {_dq(n.id)} [{attrs}, label={_dq(text)}];")
    start = next((n for n in g.nodes if n.start), None)
    if start is not None:
        lines.append(f'  "__start" -> {_dq(start.id)};')
    for e in g.edges:
        label = _short(e.label, 24) if e.label else ""
        if e.condition:
            label = f"{label}\n[{e.condition}]" if label else f"[{e.condition}]"
        attr = f" [label={_dq(label)}]" if label else ""
        lines.append(f"  {_dq(e.src)} -> {_dq(e.dst)}{attr};")
    if g.crisis:
        text = "crisis words, in any state" + "".join(f"\n☎ {c}" for c in g.crisis)
        lines.append(f'  "__crisis" [shape=hexagon, style=filled, fillcolor="#ffebee", label={_dq(text)}];')
    if g.fallback:
        text = "added when every window of a result is closed" + "".join(f"\n☎ {c}" for c in g.fallback)
        lines.append(f'  "__fallback" [shape=parallelogram, style=filled, fillcolor="#fffde7", label={_dq(text)}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ docs/flows.md

def docs_markdown(flows: dict[str, tuple[Flow, str]], directory: Directory | None) -> str:
    """The text of ``docs/flows.md``: the Mermaid diagram of each flow.

    Args:
        flows: flow id → (flow, file path as shown in the page).
        directory: for contact names.
    """
    out = ["# Flows / フロー図", "",
           "<!-- Generated by `python -m bot.toolkit.graph --docs docs/flows.md` from flows/*.yaml. "
           "Do not edit by hand. -->", "",
           "Each diagram shows the questions (blue), messages (grey) and results (green, with their windows). "
           "An arrow is a choice; `[who = pupil]` means the arrow is taken only when that earlier answer was given.",
           "",
           "質問（青）・メッセージ（灰）・結果（緑、案内する窓口つき）の図です。矢印は選択肢で、"
           "`[who = pupil]` はその前の答えがそうだったときだけ通る道です。", ""]
    for fid in sorted(flows):
        flow, path = flows[fid]
        g = build(flow, directory)
        n_choices = sum(len(st.choices or []) for st in flow.states.values())
        results = sum(1 for st in flow.states.values() if st.kind == "refer")
        out += [f"## {g.title} (`{fid}`)", "",
                f"`{path}` — {len(flow.states)} states, {n_choices} choices, {results} results.", "",
                "```mermaid", to_mermaid(g).rstrip("\n"), "```", ""]
    return "\n".join(out)


def shipped_docs() -> str:
    """``docs/flows.md`` for the flows and directory of the settings (``flows/``, ``directory/``).

    Raises:
        bot.errors.ProblemsError: when the files do not load.
    """
    from bot.loading import load_all
    from bot.settings import ROOT, Settings

    s = Settings()
    directory, flows, _ = load_all(s.flow_paths(), s.directory_paths())

    def rel(p: str) -> str:
        try:
            return Path(p).resolve().relative_to(ROOT).as_posix()
        except ValueError:
            return p

    return docs_markdown({k: (v.flow, rel(v.path)) for k, v in flows.items()}, directory)


# ------------------------------------------------------------------ commands

def main(args: argparse.Namespace) -> int:
    """``soudan graph FLOW [--format mermaid|dot]``: print the diagram of a flow (id or file)."""
    from bot.loading import load_all
    from bot.settings import Settings

    s = Settings()
    flow_paths = s.flow_paths()
    target = Path(args.flow)
    if target.suffix in (".yaml", ".yml") and target.is_file():
        flow_paths = [target]
    try:
        directory, flows, _ = load_all(flow_paths, s.directory_paths())
    except ProblemsError as exc:
        for e in exc.errors:
            print(e, file=sys.stderr)
        print("soudan graph: fix the errors first (`soudan validate`)", file=sys.stderr)
        return 1
    if len(flow_paths) == 1 and flow_paths[0] == target:
        (lf,) = flows.values()
    elif args.flow in flows:
        lf = flows[args.flow]
    else:
        print(f"soudan graph: unknown flow {args.flow!r}; the flows are {', '.join(sorted(flows))}", file=sys.stderr)
        return 2
    g = build(lf.flow, directory)
    print(to_dot(g) if getattr(args, "format", "mermaid") == "dot" else to_mermaid(g), end="")
    return 0


def _docs_main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bot.toolkit.graph",
                                description="write or check docs/flows.md (Mermaid of the shipped flows)")
    p.add_argument("--docs", metavar="PATH", default="docs/flows.md", help="the Markdown file to write")
    p.add_argument("--check", action="store_true", help="exit 1 when the file is out of date; write nothing")
    a = p.parse_args(argv)
    text = shipped_docs()
    path = Path(a.docs)
    if a.check:
        ok = path.is_file() and path.read_text(encoding="utf-8") == text
        print(f"{path}: {'up to date' if ok else 'out of date; run python -m bot.toolkit.graph --docs ' + str(path)}")
        return 0 if ok else 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(_docs_main())
