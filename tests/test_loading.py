"""bot.loading: the one factory that builds an Engine from files."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine.flow import FlowError
from bot.engine.types import Ask, Start
from bot.loading import build_engine, load
from tests.conftest import WEEKDAY_10

ROOT = Path(__file__).resolve().parents[1]


def test_a_folder_stands_for_its_yaml_files_and_transcripts_are_not_flows() -> None:
    engine = build_engine([ROOT / "flows"], [ROOT / "directory"])
    assert sorted(engine.flows) == ["net-harm"]
    assert "police_110" in engine.directory


def test_load_gives_the_sources_beside_the_engine(tiny_paths: tuple[list[Path], list[Path]]) -> None:
    loaded = load(*tiny_paths)
    assert loaded.flows["tiny"].path == str(tiny_paths[0][0])
    out = loaded.engine.step(None, Start(), WEEKDAY_10)
    assert isinstance(out.replies[-1], Ask) and out.session is not None and out.session.state == "who"


def test_an_unknown_default_flow_is_refused(tiny_paths: tuple[list[Path], list[Path]]) -> None:
    with pytest.raises(ValueError, match="default flow 'nope' is not one of \\['tiny'\\]"):
        build_engine(*tiny_paths, default_flow="nope")


def test_a_broken_file_is_refused_with_its_line(tmp_path: Path, tiny_paths: tuple[list[Path], list[Path]]) -> None:
    bad = tmp_path / "flows" / "bad.yaml"
    bad.write_text("id: bad\ntitle: x\nstart: a\nstates:\n  a: {say: hi, next: nowhere}\n", encoding="utf-8")
    with pytest.raises(FlowError) as exc:
        build_engine([tmp_path / "flows"], tiny_paths[1])
    assert str(exc.value) == f"{bad}:5: error: `next` goes to 'nowhere', which is not a state of this flow"
