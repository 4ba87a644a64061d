"""Strict YAML loading with ``file:line`` errors.

PyYAML implements YAML 1.1, which silently turns ``9:00`` into 540, ``no`` into ``False``,
``0570003110`` into an octal int and ``2026-01-01`` into a date, and keeps the last of two
duplicate keys. :class:`StrictLoader` resolves plain scalars only to ``true``/``false``,
``null``, decimal integers and floats; everything else stays a string. Duplicate keys are an
error. :func:`load_file` returns the data together with a map from each value's path to the
line it was written on, so that model validation errors can name ``file:line``.

Parsing runs on libyaml (PyYAML's C parser, ~15 times faster: loading the shipped flows and
directory is most of ``soudan serve``'s and ``soudan validate``'s start-up) when PyYAML has it; the
nodes it builds are the ones of PyYAML's Python parser, so the data and lines are the same. A file
that libyaml does not parse, or that holds characters the two readers treat differently (control
characters, ``\r``, NEL, U+2028/2029, a BOM), is parsed again by the Python parser, so every
error message and line is the one that parser gives.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import Reader, ReaderError
from yaml.resolver import Resolver

from bot.errors import Problem

__all__ = ["LoadError", "Located", "StrictLoader", "load_file", "load_text", "model_keys", "nearest"]


LoadError = Problem
"""The YAML loader's name for :class:`bot.errors.Problem` (it raises the one problem that stops a file)."""


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

LIBYAML: bool = yaml.__with_libyaml__
"""True when PyYAML has its C parser (libyaml), which :func:`load_text` then parses with."""

if LIBYAML:
    from yaml._yaml import CParser

    class _FastLoader(CParser, SafeConstructor, Resolver):
        """:class:`StrictLoader`'s scalar resolution and construction over libyaml's parser."""

        yaml_implicit_resolvers = StrictLoader.yaml_implicit_resolvers

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

_PYTHON_ONLY = re.compile(Reader.NON_PRINTABLE.pattern + r"|[\t\r\x85\u2028\u2029\ufeff]|[|>][-+0-9]*#|\?[],}]")
"""What sends a text to the Python parser: what its reader refuses (a control character: its error
names the character and line), the line breaks and BOM that libyaml may count or skip differently,
and what libyaml accepts where the Python parser says it is wrong (a tab, which it takes as a
space in places; ``|#``, a block scalar's header run into a comment). The differential test in
tests/test_yamlload.py searches for more."""


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


def _construct(node: Node, loader: SafeConstructor, path: tuple[str | int, ...],
               lines: dict[tuple[str | int, ...], int], file: str, budget: _Budget | None = None) -> Any:
    budget = budget or _Budget()
    budget.nodes += 1
    line = node.start_mark.line + 1
    if budget.nodes > MAX_NODES:
        raise LoadError(file, line, f"the file expands to more than {MAX_NODES:,} values (aliases `*name` "
                                    "repeated inside each other?); write the values out or split the file",
                        code="yaml-too-deep")
    if len(path) > MAX_DEPTH:
        raise LoadError(file, line, f"values nested more than {MAX_DEPTH} levels deep (an alias that "
                                    "contains itself?); flows and directory entries need only a few levels",
                        code="yaml-too-deep")
    lines.setdefault(path, line)
    if node.tag not in _PLAIN_TAGS:
        if node.tag == "tag:yaml.org,2002:merge":
            raise LoadError(file, line, "merge keys (`<<:`) are not supported; write the keys out",
                            code="yaml-unsupported")
        raise LoadError(file, line, f"YAML tags ({node.tag}) are not allowed; write plain values",
                        code="yaml-unsupported")
    if isinstance(node, MappingNode):
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge" or (
                    isinstance(key_node, ScalarNode) and key_node.value == "<<" and not key_node.style):
                raise LoadError(file, key_node.start_mark.line + 1,
                                "merge keys (`<<:`) are not supported; write the keys out", code="yaml-unsupported")
        out: dict[Any, Any] = {}
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, ScalarNode) or key_node.tag not in _PLAIN_TAGS:
                raise LoadError(file, key_line, "a key must be plain text", code="yaml-unsupported")
            key = _scalar(key_node, loader, file)
            if not isinstance(key, str | int | float) or isinstance(key, bool):
                raise LoadError(file, key_line, f"a key must be plain text, not {key!r}; quote it",
                                code="yaml-unsupported")
            if key in seen:
                raise LoadError(
                    file, key_line,
                    f"duplicate key {key!r} (first written on line {seen[key]}); keep one of them",
                    code="yaml-duplicate-key",
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
    return _scalar(node, loader, file)


_TAG_WORDS = {"tag:yaml.org,2002:bool": "a boolean (true or false)", "tag:yaml.org,2002:int": "a whole number",
              "tag:yaml.org,2002:float": "a number"}


def _scalar(node: ScalarNode, loader: SafeConstructor, file: str) -> Any:
    """The value of a scalar node; a :class:`LoadError` at its line when an explicit tag asks for a
    type its text is not (``!!bool maybe``, ``!!int x``, an empty ``!!float``: PyYAML's constructor raises a bare
    KeyError/ValueError/IndexError there, with no file or line)."""
    try:
        return loader.construct_object(node, deep=True)
    except (KeyError, ValueError, IndexError) as exc:
        raise LoadError(file, node.start_mark.line + 1,
                        f"{node.value!r} is not {_TAG_WORDS.get(node.tag, node.tag)}, which its tag `!!"
                        f"{node.tag.rsplit(':', 1)[-1]}` asks for; write a plain value without the tag",
                        code="yaml-unsupported") from exc


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
    fast = _load_libyaml(text, path)
    return fast if fast is not None else _load_python(text, path)


def _load_libyaml(text: str, path: str) -> Located | None:
    """:func:`load_text` on libyaml; None when the document is empty or anything fails (the Python
    parser then gives the result or the error, in its words and at its line), and when the text
    is one the two parsers may read differently (:data:`_PYTHON_ONLY`, no line break at the end:
    libyaml puts an empty value there on the next line)."""
    if not LIBYAML or not text.endswith("\n") or _PYTHON_ONLY.search(text):
        return None
    loader: _FastLoader | None = None
    try:
        loader = _FastLoader(text)
        node = loader.get_single_node()
        if node is None:
            return None
        if _read_otherwise(node):
            return None
        lines: dict[tuple[str | int, ...], int] = {}
        return Located(_construct(node, loader, (), lines, path), lines, path)
    except (yaml.YAMLError, ValueError, RecursionError):  # a LoadError of _construct is raised as it is
        return None
    finally:
        if loader is not None:
            loader.dispose()


def _read_otherwise(root: Node) -> bool:
    """True when the Python parser would read libyaml's tree ``root`` otherwise: a plain scalar with
    ``?`` inside ``[...]``/``{...}`` (libyaml keeps ``[a?]`` one scalar; the Python parser ends the
    scalar at ``?``, a syntax error), an empty plain scalar tagged as text (the bare tag ``!``)."""
    seen: set[int] = set()
    todo: list[tuple[Node, bool]] = [(root, False)]
    while todo:
        node, in_flow = todo.pop()
        if id(node) in seen:  # an alias: checked where its anchor is
            continue
        seen.add(id(node))
        if isinstance(node, ScalarNode):
            if in_flow and not node.style and "?" in node.value:
                return True
            if not node.style and not node.value and node.tag == "tag:yaml.org,2002:str":
                return True  # `a: !` (the bare tag, empty): libyaml gives '', the Python parser None
        elif isinstance(node, SequenceNode):
            flow = in_flow or bool(node.flow_style)
            todo.extend((item, flow) for item in node.value)
        elif isinstance(node, MappingNode):
            flow = in_flow or bool(node.flow_style)
            todo.extend((n, flow) for pair in node.value for n in pair)
    return False


def _load_python(text: str, path: str) -> Located:
    """:func:`load_text` on PyYAML's Python parser (the reference: its errors are the ones reported)."""
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
        if "expected a single document" in str(exc):
            mark = exc.problem_mark or exc.context_mark
            raise LoadError(path, mark.line + 1 if mark else 0, "YAML syntax: a file holds one YAML document; "
                            "remove the second `---`", code="yaml-unsupported") from None
        if "could not determine a constructor" in str(exc):
            mark = exc.problem_mark or exc.context_mark
            raise LoadError(path, mark.line + 1 if mark else 0, "YAML syntax: YAML tags (!!python/…, !something) "
                            "are not allowed; write plain values", code="yaml-unsupported") from None
        line, problem = _syntax(exc, text)
        raise LoadError(path, line, f"YAML syntax: {problem}", code="yaml-syntax") from None
    except ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise LoadError(path, line, f"character U+{code:04X} is not allowed in YAML (a control "
                                    "character); delete it", code="yaml-control-character") from None
    except yaml.YAMLError as exc:
        raise LoadError(path, 0, f"YAML: {exc}", code="yaml-syntax") from None
    except RecursionError:
        raise LoadError(path, 0, f"values nested too deeply (more than {MAX_DEPTH} levels)",
                        code="yaml-too-deep") from None
    finally:
        if loader is not None:
            loader.dispose()


def _indent(text: str, line: int) -> int:
    """Spaces before the first character of 1-based ``line`` of ``text``."""
    lines = text.splitlines()
    s = lines[line - 1] if 0 < line <= len(lines) else ""
    return len(s) - len(s.lstrip(" "))


def _content(text: str, line: int) -> bool:
    """True when 1-based ``line`` of ``text`` has content (it is not blank and not a comment)."""
    lines = text.splitlines()
    s = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    return bool(s) and not s.startswith("#")


def _previous(text: str, line: int) -> int:
    """The 1-based number of the last line before ``line`` with content (0 when none)."""
    return next((n for n in range(line - 1, 0, -1) if _content(text, n)), 0)


def _spaces(n: int) -> str:
    return "1 space" if n == 1 else f"{n} spaces"


def _squeezed(text: str, line: int) -> str | None:
    """The message for line ``line`` (1-based) when it is a key with no space after its colon."""
    lines = text.splitlines()
    m = re.search(r"^\s*(?:- )?[^\s:#'\"]+:[^\s/]", lines[line - 1]) if 0 < line <= len(lines) else None
    if m is None:
        return None
    return f"a colon without a space after it ({m.group(0).strip()}…) does not start a key; write a space after the colon"


def _syntax(exc: yaml.MarkedYAMLError, text: str) -> tuple[int, str]:
    """``(line, message)`` for a YAML syntax error: in plain words, at the line to fix.

    PyYAML reports where it noticed the problem, in parser terms ("expected <block end>, but
    found '<block mapping start>'"), which for an unclosed bracket or quote is a later line."""
    problem, context = exc.problem or str(exc), exc.context or ""
    mark, ctx = exc.problem_mark, exc.context_mark
    line = mark.line + 1 if mark else (ctx.line + 1 if ctx else 0)
    if ctx is not None and context.startswith("while scanning a quoted scalar"):
        q = text[ctx.index] if ctx.index < len(text) else '"'
        return ctx.line + 1, (f"the quotation mark {q} opened on this line is never closed; "
                              f"end the text with {q} on the same line")
    if ctx is not None and context.startswith(("while parsing a flow sequence", "while parsing a flow mapping")):
        o, c = ("[", "]") if "sequence" in context else ("{", "}")
        return ctx.line + 1, (f"the {'list' if o == '[' else 'mapping'} opened with {o} on this line is not "
                              f"closed; end it with {c} on the same line (or quote a text that contains {o})")
    if "found character '\\t'" in problem:
        return line, "a tab is used for indenting; YAML indents with spaces only — replace the tab with spaces"
    m = re.match(r"found character '(.)' that cannot start any token", problem)
    if m:
        return line, f"a value cannot begin with {m.group(1)}; put the value in quotes, e.g. \"{m.group(1)}…\""
    m = re.match(r"found undefined alias '(.*)'", problem)
    if m:
        return line, (f"*{m.group(1)} refers to an anchor &{m.group(1)} that is not defined above it; "
                      "if * is part of the text, put the value in quotes")
    if problem.startswith("could not find expected ':'") and ctx is not None \
            and context.startswith("while scanning a simple key"):
        # a line with no `key: value` among keys, e.g. `goto:end` (a colon without a space)
        squeezed = _squeezed(text, ctx.line + 1)
        return ctx.line + 1, squeezed or ("this line is not `key: value` like the keys around it; write a colon "
                                          "and a space after the key, or put a text that goes on in quotes")
    if problem.startswith("mapping values are not allowed here"):
        prev = _previous(text, line)
        squeezed = _squeezed(text, prev) if prev else None
        if squeezed:
            return prev, squeezed
        if prev and _indent(text, line) > _indent(text, prev):
            return line, (f"this line is indented more than line {prev} above it, so it is read as part of "
                          f"that line's value; indent it by {_spaces(_indent(text, prev))} like the key it "
                          "belongs with (or, if the text goes on, put the value in quotes)")
        return line, ("a value contains ': ' (a colon and a space), which starts a new key here; put the "
                      "value in quotes, e.g. title: \"a: b\"")
    if problem.startswith("expected <block end>") and ctx is not None and mark is not None:
        n = _indent(text, line)
        if mark.line == ctx.line or ("'<scalar>'" in problem and mark.column > n):
            return line, "text follows a closing quotation mark on this line; put the whole value in quotes"
        start = ctx.line + 1
        if n == ctx.column and text.splitlines()[ctx.line].lstrip(" ").startswith("-"):
            return line, (f"the list above it (from line {start}) goes on with items that begin with '- '; begin "
                          "this line with '- ' too, or indent it under an item")
        if n == ctx.column:
            return line, (f"this line begins with '- ' (a list item) among the keys above it (from line {start}); "
                          "write the key it belongs to above it and indent the list under that key")
        used = [str(i) for i in sorted({_indent(text, k) for k in range(start, line) if _content(text, k)} - {n})]
        some = f"{', '.join(used[:-1])} or {used[-1]}" if len(used) > 1 else "".join(used) or "other"
        return line, (f"this line is indented by {_spaces(n)}, like none of the lines above it (from line "
                      f"{start}: {some} spaces); indent it like the key it belongs with")
    return line, problem


def _too_big(path: str, size: int) -> NoReturn:
    raise LoadError(path, 0, f"the file is {size:,} bytes; the limit is {MAX_BYTES:,} (split it into "
                             "several files)", code="yaml-file")


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
        raise LoadError(str(path), 0, f"cannot read the file: {exc.strerror}", code="yaml-file") from None
    except UnicodeDecodeError as exc:
        raise LoadError(str(path), 0, f"the file is not UTF-8 (byte {exc.start}); save it as UTF-8",
                        code="yaml-file") from None
    return load_text(text, str(path))


def nearest(name: str, names: Iterable[str]) -> str:
    """`` (did you mean 'what'?)`` for the closest of ``names`` to a misspelt ``name`` ("" when none is close)."""
    close = difflib.get_close_matches(name, list(names), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def model_keys(model: Any) -> frozenset[str]:
    """Every key (field name and alias) of pydantic ``model`` and of the models inside its fields
    (through lists, mappings, unions and optionals), for "did you mean" hints."""
    import typing

    keys: set[str] = set()
    seen: set[Any] = set()
    todo = [model]
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        fields = getattr(m, "model_fields", None)
        if isinstance(fields, dict):
            for name, f in fields.items():
                keys.add(name)
                if getattr(f, "alias", None):
                    keys.add(f.alias)
                todo.append(f.annotation)
        todo.extend(a for a in typing.get_args(m) if a is not None)
    return frozenset(keys)


def iter_pydantic_errors(exc: Any, located: Located, prefix: tuple[str | int, ...] = (),
                         model: Any = None) -> Iterator[LoadError]:
    """Turn a pydantic ``ValidationError`` into :class:`LoadError` objects with ``file:line``.

    Args:
        exc: a ``pydantic.ValidationError``.
        located: the parsed file the model was validated from.
        prefix: the path of the validated value inside ``located.data``.
        model: the model validated (a pydantic model class), to suggest the nearest known key
            for an unknown one (``lable`` → ``label``); None: no suggestion.
    """
    for err in exc.errors(include_url=False):
        loc = tuple(x for x in err["loc"] if not (isinstance(x, str) and x.startswith(("function-", "union["))))
        full = (*prefix, *loc)
        msg = err["msg"]
        kind = err["type"]
        field_name = ".".join(str(x) for x in loc) or "(top level)"
        code = "wrong-type" if kind.endswith("_type") else "invalid-value"
        if err.get("input", ...) is None and kind != "missing":
            msg = (f"{field_name}: the value is empty; write it (in YAML `#` starts a comment, so quote "
                   "values that begin with #, e.g. \"#9110\")")
            code = "empty-value"
        elif kind == "extra_forbidden":
            last = str(loc[-1]) if loc else field_name
            hint = nearest(last, sorted(model_keys(model))) if model else ""
            msg = f"unknown key {field_name!r}{hint}; check the spelling (see `soudan schema`)"
            code = "unknown-key"
        elif kind == "missing":
            msg = f"missing required key {field_name!r}"
            code = "missing-key"
        elif kind in {"string_type"} and isinstance(err.get("input"), list | dict):
            got = err.get("input")  # quoting it would make a text of the brackets: no fix
            msg = (f"{field_name}: expected one text but got a {'list' if isinstance(got, list) else 'mapping'} "
                   f"{got!r}; write the value alone, without [ ] or {{ }}")
        elif kind in {"string_type"}:
            got = err.get("input")
            msg = (f"{field_name}: expected text but got {type(got).__name__} {got!r}; "
                   f"put the value in quotes, e.g. \"{got}\"")
        else:
            msg = f"{field_name}: {msg}"
        yield LoadError(located.path, located.line_of(full), msg, code=code)
