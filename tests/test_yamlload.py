"""Fault: hostile or broken YAML (control characters, alias bombs, deep nesting, merge keys, two
documents) crashed the loader with a traceback or froze the process. Each is now a `file:line` error."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.engine.flow import load_flow
from bot.settings import ROOT
from bot.yamlload import (
    LIBYAML,
    MAX_BYTES,
    LoadError,
    Located,
    _load_libyaml,
    _load_python,
    load_file,
    load_text,
)
from tests.profiles import examples

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


# ---------------------------------------------------------------- libyaml gives what the Python parser gives

def _python_or_error(text: str) -> Located | str:
    """What the Python parser (the reference) gives for ``text``: its data, or its error."""
    try:
        return _load_python(text, "f.yaml")
    except LoadError as exc:
        return str(exc)


def _libyaml_or_error(text: str) -> Located | str | None:
    """What libyaml gives: its data, its error (from the node checks), or None (sent to Python)."""
    try:
        return _load_libyaml(text, "f.yaml")
    except LoadError as exc:
        return str(exc)


def test_libyaml_is_there_so_loading_is_fast() -> None:
    # PyYAML's wheels ship libyaml; without it every file would parse ~15 times slower, unnoticed
    assert LIBYAML


def test_the_shipped_flows_and_directory_load_the_same_through_libyaml() -> None:
    # what routes a person: the flows and every window, value for value and line for line
    files = sorted({*ROOT.glob("flows/*.yaml"), *ROOT.glob("directory/*.yaml")})
    assert len(files) >= 10
    for p in files:
        text = p.read_text(encoding="utf-8")
        assert _load_libyaml(text, str(p)) == _load_python(text, str(p)), p


def test_every_yaml_file_of_the_repository_takes_the_fast_path() -> None:
    files = sorted({*ROOT.glob("flows/**/*.yaml"), *ROOT.glob("directory/*.yaml"), *ROOT.glob("bot/**/*.yaml"),
                    *ROOT.glob("deploy/**/*.yaml"), *ROOT.glob("tests/**/*.yaml")})
    assert len(files) > 100
    slow = [p for p in files if _load_libyaml(p.read_text(encoding="utf-8"), str(p)) is None]
    assert slow == []


def test_texts_libyaml_cannot_take_go_to_the_python_parser() -> None:
    assert _load_libyaml("a: [1\n", "f.yaml") is None  # a syntax error: said in the Python parser's words
    assert _load_libyaml("", "f.yaml") is None
    assert load_text("", "f.yaml") == Located(None, {(): 1}, "f.yaml")
    assert load_text("a: 1\r\nb: 2\r\n", "f.yaml") == _load_python("a: 1\r\nb: 2\r\n", "f.yaml")


# fragments that make YAML structure: indentation, keys, lists, flow collections, quotes, anchors,
# comments, block scalars, tags, merge keys, typed-looking scalars
_FRAGMENTS = st.sampled_from([
    "\n", "\n", "\n", " ", " ", "  ", "    ", "- ", "-", ": ", ":", "a", "b", "key", "日本", "[", "]", "{", "}",
    ", ", ",", "'", '"', "''", "\\", "#", " # c", "&x ", "*x", "&y ", "*y", "|", ">", "|-", "!!str ", "!t ",
    "<<", "? ", "1", "-1", "0.5", "09:00", "true", "no", "null", "~", "---", "...", "%YAML 1.1", "\t", "@",
    "`", "%", "0x1F", "1e3", "2026-01-01", "a: b", "x:y", "- a: 1", "  - b", "こんにちは、世界", "?",
    "https://a.jp/b?c=1", "{ja: ", "en: ", '"?"', "- {id: x, label: ", "\n  ", "\n    - ", "\r\n", "\x85",
])


@given(st.lists(_FRAGMENTS, max_size=40).map("".join), st.sampled_from(["\n", "\n", ""]))
@settings(max_examples=examples(300))
def test_libyaml_gives_the_python_parsers_data_lines_and_errors(text: str, end: str) -> None:
    # whatever libyaml's path returns (data with lines, or an error of the node checks) is what the
    # Python parser gives; where the two could differ it returns None and the Python parser decides
    text += end
    fast = _libyaml_or_error(text)
    if fast is not None:
        assert fast == _python_or_error(text)
    try:
        assert load_text(text, "f.yaml") == _python_or_error(text)
    except LoadError as exc:
        assert str(exc) == _python_or_error(text)


@pytest.mark.parametrize("text,line,words", [
    ("a: 1\nlive: !!bool maybe\n", 2, "'maybe' is not a boolean (true or false)"),
    ("a: 1\nb:\n  - !!int x\n", 3, "'x' is not a whole number"),
    ("a: !!float 1,5\n", 1, "'1,5' is not a number"),
    ("!!bool maybe: 1\n", 1, "'maybe' is not a boolean (true or false)"),
    ("a:\n  b: !!float\n", 2, "'' is not a number"),
    ("a: !!int\n", 1, "'' is not a whole number"),
])
def test_a_value_its_tag_cannot_read_is_a_clear_error(text: str, line: int, words: str) -> None:
    # 「live: !!bool maybe」 in a directory file crashed `soudan validate` (and start-up) with a
    # KeyError traceback from PyYAML's constructor, naming neither the file nor the line
    for load in (load_text, _load_python):
        with pytest.raises(LoadError) as err:
            load(text, "f.yaml")
        assert str(err.value).startswith(f"f.yaml:{line}: error: ")
        assert words in str(err.value)


def test_a_directory_file_with_a_value_its_tag_cannot_read_names_its_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    src = ROOT / "directory" / "support.yaml"
    text = src.read_text(encoding="utf-8")
    assert "\n  live: true\n" in text
    (tmp_path / "directory").mkdir()
    bad = tmp_path / "directory" / "support.yaml"
    bad.write_text(text.replace("\n  live: true\n", "\n  live: !!bool maybe\n", 1), encoding="utf-8")
    line = bad.read_text(encoding="utf-8").splitlines().index("  live: !!bool maybe") + 1
    out = subprocess.run([sys.executable, "-m", "bot", "validate", str(bad)], capture_output=True, text=True,
                         cwd=ROOT, check=False)
    assert out.returncode == 1
    assert f"support.yaml:{line}: error: 'maybe' is not a boolean" in out.stdout + out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize("text", ["a: !\n", "- !\n", "a: !  \nb: 1\n"])
def test_an_empty_value_with_the_bare_tag_reads_as_in_the_python_parser(text: str) -> None:
    # libyaml gave '' for `a: !` where the Python parser gives None (an empty value)
    assert load_text(text, "f.yaml") == _load_python(text, "f.yaml")
