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
