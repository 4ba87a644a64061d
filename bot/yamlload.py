"""Strict YAML loading with ``file:line`` errors.

PyYAML implements YAML 1.1, which silently turns ``9:00`` into 540, ``no`` into ``False``,
``0570003110`` into an octal int and ``2026-01-01`` into a date, and keeps the last of two
duplicate keys. :class:`StrictLoader` resolves plain scalars only to ``true``/``false``,
``null``, decimal integers and floats; everything else stays a string. Duplicate keys are an
error. :func:`load_file` returns the data together with a map from each value's path to the
line it was written on, so that model validation errors can name ``file:line``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

__all__ = ["LoadError", "Located", "StrictLoader", "load_file", "load_text"]


@dataclass(frozen=True)
class LoadError(Exception):
    """One problem in a data file.

    Attributes:
        path: the file (as given), or ``"<string>"``.
        line: 1-based line number, or 0 when the whole file is concerned.
        message: what is wrong and, where possible, how to fix it.
        severity: ``"error"`` or ``"warning"``.
    """

    path: str
    line: int
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.severity}: {self.message}"


class StrictLoader(yaml.SafeLoader):
    """A ``SafeLoader`` with YAML-1.2-core-like scalar resolution and no duplicate keys."""


# Drop every implicit resolver, then add back only the safe ones.
StrictLoader.yaml_implicit_resolvers = {}
StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?(?:0|[1-9][0-9]*))$"), list("-+0123456789")
)
StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:[0-9][0-9]*)?\.[0-9]+(?:[eE][-+]?[0-9]+)?)$"),
    list("-+0123456789."),
)


@dataclass
class Located:
    """Parsed YAML data with the line of every value.

    Attributes:
        data: the plain Python value (dicts, lists, str, int, float, bool, None).
        lines: maps a path tuple such as ``("states", "who", "choices", 0, "goto")`` to the
            1-based line where that key (for mapping entries) or item was written.
        path: the file the data came from.
    """

    data: Any
    lines: dict[tuple[str | int, ...], int] = field(default_factory=dict)
    path: str = "<string>"

    def line_of(self, loc: tuple[str | int, ...]) -> int:
        """Line of the deepest known prefix of ``loc`` (1-based; 1 when nothing matches)."""
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get((), 1)


_PLAIN_TAGS = frozenset("tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "map", "seq"))


MAX_BYTES = 2 * 1024 * 1024
"""Largest YAML file accepted (bytes); flows and directory files are a few tens of KiB."""

MAX_NODES = 200_000
"""Most values one file may expand to (aliases count every time they are used)."""

MAX_DEPTH = 50
"""Deepest nesting of mappings and lists accepted."""


class _Budget:
    def __init__(self) -> None:
        self.nodes = 0


def _construct(node: Node, loader: StrictLoader, path: tuple[str | int, ...],
               lines: dict[tuple[str | int, ...], int], file: str, budget: _Budget | None = None) -> Any:
    budget = budget or _Budget()
    budget.nodes += 1
    line = node.start_mark.line + 1
    if budget.nodes > MAX_NODES:
        raise LoadError(file, line, f"the file expands to more than {MAX_NODES:,} values (aliases `*name` "
                                    "repeated inside each other?); write the values out or split the file")
    if len(path) > MAX_DEPTH:
        raise LoadError(file, line, f"values nested more than {MAX_DEPTH} levels deep (an alias that "
                                    "contains itself?); flows and directory entries need only a few levels")
    lines.setdefault(path, line)
    if node.tag not in _PLAIN_TAGS:
        if node.tag == "tag:yaml.org,2002:merge":
            raise LoadError(file, line, "merge keys (`<<:`) are not supported; write the keys out")
        raise LoadError(file, line, f"YAML tags ({node.tag}) are not allowed; write plain values")
    if isinstance(node, MappingNode):
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge" or (
                    isinstance(key_node, ScalarNode) and key_node.value == "<<" and key_node.style is None):
                raise LoadError(file, key_node.start_mark.line + 1,
                                "merge keys (`<<:`) are not supported; write the keys out")
        out: dict[Any, Any] = {}
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, ScalarNode) or key_node.tag not in _PLAIN_TAGS:
                raise LoadError(file, key_line, "a key must be plain text")
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float) or isinstance(key, bool):
                raise LoadError(file, key_line, f"a key must be plain text, not {key!r}; quote it")
            if key in seen:
                raise LoadError(
                    file, key_line,
                    f"duplicate key {key!r} (first written on line {seen[key]}); keep one of them",
                )
            seen[key] = key_line
            child = (*path, key if isinstance(key, str) else str(key))
            lines[child] = key_line
            out[key] = _construct(value_node, loader, child, lines, file, budget)
        return out
    if isinstance(node, SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            lines[(*path, i)] = item.start_mark.line + 1
            items.append(_construct(item, loader, (*path, i), lines, file, budget))
        return items
    assert isinstance(node, ScalarNode)
    return loader.construct_object(node, deep=True)


def load_text(text: str, path: str = "<string>") -> Located:
    """Parse one YAML document strictly.

    Args:
        text: the YAML source.
        path: the name to use in error messages.

    Returns:
        :class:`Located` with the data and the line of every value. An empty document gives
        ``data=None``.

    Raises:
        LoadError: on a YAML syntax error, a duplicate key, a tag or a non-scalar key.
    """
    if len(text) > MAX_BYTES:
        _too_big(path, len(text))
    loader: StrictLoader | None = None
    try:
        loader = StrictLoader(text)
        node = loader.get_single_node()
        if node is None:
            return Located(None, {(): 1}, path)
        lines: dict[tuple[str | int, ...], int] = {}
        data = _construct(node, loader, (), lines, path)
        return Located(data, lines, path)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        problem = exc.problem or str(exc)
        if "expected a single document" in str(exc):
            problem = "a file holds one YAML document; remove the second `---`"
        if "could not determine a constructor" in str(exc):
            problem = "YAML tags (!!python/…, !something) are not allowed; write plain values"
        raise LoadError(path, line, f"YAML syntax: {problem}") from None
    except ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise LoadError(path, line, f"character U+{code:04X} is not allowed in YAML (a control "
                                    "character); delete it") from None
    except yaml.YAMLError as exc:
        raise LoadError(path, 0, f"YAML: {exc}") from None
    except RecursionError:
        raise LoadError(path, 0, f"values nested too deeply (more than {MAX_DEPTH} levels)") from None
    finally:
        if loader is not None:
            loader.dispose()


def _too_big(path: str, size: int) -> NoReturn:
    raise LoadError(path, 0, f"the file is {size:,} bytes; the limit is {MAX_BYTES:,} (split it into "
                             "several files)")


def load_file(path: str | Path) -> Located:
    """Read and strictly parse a UTF-8 YAML file.

    Raises:
        LoadError: when the file cannot be read, is not UTF-8, or is not valid strict YAML.
    """
    p = Path(path)
    try:
        if p.stat().st_size > MAX_BYTES:
            _too_big(str(path), p.stat().st_size)
        text = p.read_bytes().decode("utf-8")
    except OSError as exc:
        raise LoadError(str(path), 0, f"cannot read the file: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise LoadError(str(path), 0, f"the file is not UTF-8 (byte {exc.start}); save it as UTF-8") from None
    return load_text(text, str(path))


def iter_pydantic_errors(exc: Any, located: Located, prefix: tuple[str | int, ...] = ()) -> Iterator[LoadError]:
    """Turn a pydantic ``ValidationError`` into :class:`LoadError` objects with ``file:line``.

    Args:
        exc: a ``pydantic.ValidationError``.
        located: the parsed file the model was validated from.
        prefix: the path of the validated value inside ``located.data``.
    """
    for err in exc.errors(include_url=False):
        loc = tuple(x for x in err["loc"] if not (isinstance(x, str) and x.startswith(("function-", "union["))))
        full = (*prefix, *loc)
        msg = err["msg"]
        kind = err["type"]
        field_name = ".".join(str(x) for x in loc) or "(top level)"
        if err.get("input", ...) is None and kind != "missing":
            msg = (f"{field_name}: the value is empty; write it (in YAML `#` starts a comment, so quote "
                   "values that begin with #, e.g. \"#9110\")")
        elif kind == "extra_forbidden":
            msg = f"unknown key {field_name!r}; check the spelling (see `soudan schema`)"
        elif kind == "missing":
            msg = f"missing required key {field_name!r}"
        elif kind in {"string_type"}:
            got = err.get("input")
            msg = (f"{field_name}: expected text but got {type(got).__name__} {got!r}; "
                   f"put the value in quotes, e.g. \"{got}\"")
        else:
            msg = f"{field_name}: {msg}"
        yield LoadError(located.path, located.line_of(full), msg)
