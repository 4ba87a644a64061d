"""bot.contacts has no import circle: the status kind lives with the status (hours → status, model → hours)."""

from __future__ import annotations

import ast
from pathlib import Path

import bot.contacts

PACKAGE = Path(bot.contacts.__file__).parent


def _imports(path: Path) -> set[str]:
    """The bot.contacts modules ``path`` imports, at module level or inside functions."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot.contacts."):
            out.add(node.module.removeprefix("bot.contacts."))
    return out


def test_no_module_of_the_package_imports_itself_back() -> None:
    graph = {p.stem: _imports(p) for p in PACKAGE.glob("*.py")}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(n == goal or (n not in seen and reaches(n, goal, seen | {n})) for n in graph.get(start, ()))

    assert graph["status"] == set() and "model" not in graph["hours"]
    assert [m for m in graph if reaches(m, m, set())] == []
