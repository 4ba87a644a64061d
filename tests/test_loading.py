"""bot.loading: the one factory that builds an Engine from files."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bot.engine.flow import FlowError
from bot.engine.types import Ask, Start
from bot.loading import build_engine, load
from bot.settings import Settings
from tests.conftest import WEEKDAY_10, Soudan

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


def test_the_same_bytes_are_parsed_once_and_an_edit_is_always_seen(
        tiny_paths: tuple[list[Path], list[Path]]) -> None:
    """Two loads of unchanged files share one parse (soudan serve's engine, simulator and lint); a
    file edited to the same size within the same modification time is read again all the same."""
    flows, dirs = tiny_paths
    first, again = load(flows, dirs), load(flows, dirs)
    assert again.flows["tiny"].flow is first.flows["tiny"].flow and again.engine.directory is first.engine.directory
    assert again.engine is not first.engine and again.flows is not first.flows  # each caller its own engine and dict
    before = os.stat(flows[0])
    text = flows[0].read_text(encoding="utf-8")
    assert "label: {ja: 学生," in text
    flows[0].write_text(text.replace("label: {ja: 学生,", "label: {ja: 生徒,"), encoding="utf-8")  # same length
    os.utime(flows[0], ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(flows[0]).st_size == before.st_size
    edited = load(flows, dirs)
    out = edited.engine.step(None, Start(), WEEKDAY_10)
    assert isinstance(out.replies[-1], Ask) and out.replies[-1].choices[0].label == "生徒"
    out = first.engine.step(None, Start(), WEEKDAY_10)  # the first engine keeps what it loaded
    assert isinstance(out.replies[-1], Ask) and out.replies[-1].choices[0].label == "学生"


def test_an_unknown_default_flow_is_refused(tiny_paths: tuple[list[Path], list[Path]]) -> None:
    with pytest.raises(ValueError, match="default flow 'nope' is not one of \\['tiny'\\]"):
        build_engine(*tiny_paths, default_flow="nope")


def test_a_broken_file_is_refused_with_its_line(tmp_path: Path, tiny_paths: tuple[list[Path], list[Path]]) -> None:
    bad = tmp_path / "flows" / "bad.yaml"
    bad.write_text("id: bad\ntitle: x\nstart: a\nstates:\n  a: {say: hi, next: nowhere}\n", encoding="utf-8")
    with pytest.raises(FlowError) as exc:
        build_engine([tmp_path / "flows"], tiny_paths[1])
    assert str(exc.value) == f"{bad}:5: error: `next` goes to 'nowhere', which is not a state of this flow"


CLUB_FLOW = """\
id: club
title: {ja: "部活動のSNSトラブル", en: "Club SNS trouble"}
version: "1"
locale: ja
start: who
fallback: [yorisoi]
states:
  who:
    ask: {ja: "部活のことで相談するのは、だれですか？", en: "Who is asking about the club?"}
    choices:
      - id: pupil
        label: {ja: "生徒", en: "A pupil"}
        goto: done
  done:
    urgency: normal
    refer:
      text: {ja: "ひとりで抱えこまないでください。", en: "You do not have to face this alone."}
      contacts: [mext_24h_sos, moj_kodomo_110]
      steps:
        - {ja: "画面を保存しておきましょう。", en: "Save screenshots."}
"""


def test_a_flow_added_beside_the_shipped_one_does_not_take_over_new_conversations(
        tmp_path: Path, soudan: Soudan) -> None:
    """An author adds flows/club.yaml (sorted before net-harm.yaml) as docs/writing-flows.md shows:
    new conversations still start in the shipped screening flow; the new one is there by --flow,
    or by SOUDAN_DEFAULT_FLOW."""
    flows = tmp_path / "flows"
    flows.mkdir()
    shutil.copy(Settings(_env_file=None).flows_dir / "net-harm.yaml", flows / "net-harm.yaml")
    (flows / "club.yaml").write_text(CLUB_FLOW, encoding="utf-8")
    env = {"SOUDAN_FLOWS_DIR": str(flows)}
    plain = soudan("chat", env=env)
    assert plain.returncode == 0, plain.stderr
    assert "まず、あなたの安全を確かめさせてください" in plain.stdout and "部活" not in plain.stdout
    club = soudan("chat", "--flow", "club", env=env)
    assert "部活のことで相談するのは" in club.stdout
    chosen = soudan("chat", env={**env, "SOUDAN_DEFAULT_FLOW": "club"})
    assert "部活のことで相談するのは" in chosen.stdout and "安全を確かめ" not in chosen.stdout
