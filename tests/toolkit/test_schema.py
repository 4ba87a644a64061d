"""``soudan schema``: generated JSON Schemas, committed in schema/ (bot/toolkit/schema.py)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from bot.settings import ROOT, Settings
from bot.toolkit import schema
from bot.toolkit.schema import FILES, all_schemas, render


@pytest.mark.parametrize("name", sorted(FILES))
def test_committed_schema_files_are_up_to_date(name: str) -> None:
    committed = (ROOT / "schema" / FILES[name]).read_text(encoding="utf-8")
    assert committed == render(all_schemas()[name]), (
        f"schema/{FILES[name]} is out of date: run `soudan schema --write schema/` and commit it")


def test_text_is_a_string_or_ja_en_mapping() -> None:
    flow = all_schemas()["flow"]
    text = flow["$defs"]["Text"]
    assert {"type": "string"} in text["anyOf"]
    mapping = next(s for s in text["anyOf"] if s.get("type") == "object")
    assert mapping["required"] == ["ja"] and mapping["additionalProperties"] is False
    assert flow["$defs"]["Choice"]["properties"]["label"] == {"$ref": "#/$defs/Text", "title": "Label"}
    assert "x-soudan-text" not in render(flow)
    assert flow["additionalProperties"] is False  # unknown keys are flagged while typing


def test_each_schema_describes_its_file() -> None:
    s = all_schemas()
    assert s["directory"]["type"] == "array" and s["directory"]["items"] == {"$ref": "#/$defs/Contact"}
    assert set(s["transcript"]["required"]) == {"flow", "at", "turns"}
    assert s["transcript"]["properties"]["at"]["format"] == "date-time"
    for v in s.values():
        assert v["$schema"].startswith("https://json-schema.org/")


def test_print_and_write(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert schema.main(argparse.Namespace(write=None)) == 0
    combined = json.loads(capsys.readouterr().out)
    assert set(combined) == {"flow", "directory", "transcript"}
    assert schema.main(argparse.Namespace(write=str(tmp_path / "out"))) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(FILES.values())


def shipped_yaml() -> list[tuple[Path, str]]:
    s = Settings()
    out = [(p, "../schema/flow.schema.json") for p in s.flow_paths()]
    out += [(p, "../schema/directory.schema.json") for p in s.directory_paths()]
    out += [(p, "../../schema/transcript.schema.json") for p in sorted((s.flows_dir / "tests").glob("*.yaml"))]
    return out


@pytest.mark.parametrize("path,target", shipped_yaml(), ids=lambda v: v.name if isinstance(v, Path) else "")
def test_shipped_yaml_points_editors_at_the_schema(path: Path, target: str) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == f"# yaml-language-server: $schema={target}", f"{path}: first line should be that comment"
    assert (path.parent / target).resolve().is_file()
