"""Fault: hostile or broken YAML (control characters, alias bombs, deep nesting, merge keys, two
documents) crashed the loader with a traceback or froze the process. Each is now a `file:line` error."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine.flow import load_flow
from bot.yamlload import MAX_BYTES, LoadError, load_file, load_text

LAUGHS = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{n}: &{n} [{','.join(['*' + p] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True))


@pytest.mark.parametrize("text,line,words", [
    ('a: "x\x00y"\n', 1, "U+0000"),
    ('a: b\nc: "a\x01b"\n', 2, "U+0001"),
    ("extra: &r [*r]\n", 1, "nested more than"),
    ("extra: " + "[" * 5000 + "]" * 5000 + "\n", None, "nested"),
    (LAUGHS, None, "expands to more than"),
    ("a: &a {x: 1}\nb:\n  <<: *a\n", 3, "merge keys"),
    ("a: 1\n---\nb: 2\n", 2, "one YAML document"),
    ("a: 1\ntrue: c\n", 2, "a key must be plain text"),
])
def test_hostile_yaml_is_a_clear_error(text: str, line: int | None, words: str) -> None:
    with pytest.raises(LoadError) as exc:
        load_text(text, "f.yaml")
    assert words in exc.value.message
    if line is not None:
        assert exc.value.line == line


def test_a_control_character_in_a_flow_names_the_line(tmp_path: Path) -> None:
    p = tmp_path / "f.yaml"
    p.write_text("id: x\ntitle: \"だ\x00れ\"\n", encoding="utf-8")
    lf, errs = load_flow(p)
    assert lf is None and str(errs[0]) == f"{p}:2: error: character U+0000 is not allowed in YAML (a control character); delete it"


def test_a_huge_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    p = tmp_path / "big.yaml"
    p.write_bytes(b"# x\n" * (MAX_BYTES // 4 + 1))
    with pytest.raises(LoadError, match="the limit is"):
        load_file(p)


# ---------------------------------------------------------------- syntax errors in plain words (#15)

FLOW_HEAD = "id: x\nstates:\n  who:\n    ask: はい\n"


@pytest.mark.parametrize("text,line,message", [
    # a line indented between two levels: the parser says "expected <block end>, but found '<block mapping start>'"
    (FLOW_HEAD + "   choices: []\n", 5, "this line is indented by 3 spaces, like none of the lines above it "
     "(from line 3: 2 or 4 spaces); indent it like the key it belongs with"),
    # a line indented deeper than the key above: "mapping values are not allowed here"
    (FLOW_HEAD + "      next: b\n", 5, "this line is indented more than line 4 above it, so it is read as part "
     "of that line's value; indent it by 4 spaces like the key it belongs with (or, if the text goes on, put the "
     "value in quotes)"),
    # an unclosed quote: the parser reports the end of the file (line 4)
    ('id: x\ntitle: "abc\nstart: a\n', 2, 'the quotation mark " opened on this line is never closed; end the text '
     'with " on the same line'),
    # an unclosed list: the parser reports the next line
    ("id: x\nlist: [a, b\nstart: a\n", 2, "the list opened with [ on this line is not closed; end it with ] on the "
     "same line (or quote a text that contains [)"),
    ("id: x\n\tstart: a\n", 2, "a tab is used for indenting; YAML indents with spaces only — replace the tab with "
     "spaces"),
    ("id: x\ntitle: a: b\n", 2, "a value contains ': ' (a colon and a space), which starts a new key here; put the "
     "value in quotes, e.g. title: \"a: b\""),
    ("a:1\nb: 2\n", 1, "a colon without a space after it (a:1…) does not start a key; write a space after the colon"),
    # among keys, `goto:end` (no space) was "could not find expected ':'" at the next line
    ("a:\n  b: 1\n  goto:end\n  c: 2\n", 3, "a colon without a space after it (goto:e…) does not start a key; "
     "write a space after the colon"),
    ("a:\n  - id: x\n    goto:end\n  - id: y\n", 3, "a colon without a space after it (goto:e…) does not start a "
     "key; write a space after the colon"),
    ("a:\n  b: 1\n  just words\n  c: 2\n", 3, "this line is not `key: value` like the keys around it; write a "
     "colon and a space after the key, or put a text that goes on in quotes"),
    ("a:\n  - x\n  y: 1\n", 3, "the list above it (from line 2) goes on with items that begin with '- '; begin this "
     "line with '- ' too, or indent it under an item"),
    ("a: @x\n", 1, 'a value cannot begin with @; put the value in quotes, e.g. "@…"'),
    ('a: "x" y\n', 1, "text follows a closing quotation mark on this line; put the whole value in quotes"),
])
def test_a_syntax_error_says_what_is_wrong_at_its_line(text: str, line: int, message: str) -> None:
    with pytest.raises(LoadError) as exc:
        load_text(text, "f.yaml")
    assert str(exc.value) == f"f.yaml:{line}: error: YAML syntax: {message}"
    assert exc.value.code == "yaml-syntax"


def test_a_list_where_one_text_belongs_is_not_told_to_quote_it(tmp_path: Path) -> None:
    # `goto: [what]` was told: put the value in quotes, e.g. "['what']" — a state name with brackets
    from tests.conftest import TINY_FLOW, write

    p = write(tmp_path, "flows/tiny.yaml", TINY_FLOW.replace("goto: result-adult}", "goto: [result-adult]}", 1))
    lf, errs = load_flow(p)
    line = next(i for i, t in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if "[result-adult]" in t)
    assert lf is None and str(errs[0]) == (
        f"{p}:{line}: error: states.what.choices.1.goto.str: expected one text but got a list ['result-adult']; "
        "write the value alone, without [ ] or { }")
