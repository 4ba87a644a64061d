"""`soudan chat` as a user or a script meets it: plain text, JSON lines, refusal on broken files."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import TINY_DIRECTORY, TINY_FLOW, Soudan, write


def tiny_env(tmp_path: Path) -> dict[str, str]:
    write(tmp_path, "flows/tiny.yaml", TINY_FLOW)
    write(tmp_path, "directory/test.yaml", TINY_DIRECTORY)
    return {"SOUDAN_FLOWS_DIR": str(tmp_path / "flows"), "SOUDAN_DIRECTORY_DIR": str(tmp_path / "directory")}


def test_jsonl_first_object_comes_before_any_input_and_each_turn_has_one(tmp_path: Path, soudan: Soudan) -> None:
    p = soudan("chat", "--jsonl", "--at", "2026-12-06T10:00+09:00", stdin="2\n１\n", env=tiny_env(tmp_path))
    assert p.returncode == 0, p.stderr
    objs = [json.loads(line) for line in p.stdout.splitlines()]
    assert len(objs) == 3
    assert objs[0]["state"] == "who"
    assert [r["type"] for r in objs[0]["replies"]] == ["say", "ask"]
    assert objs[0]["replies"][1]["choices"] == [{"id": "pupil", "label": "学生"}, {"id": "adult", "label": "おとな"}]
    assert objs[2]["state"] == "result-adult"
    refer = next(r for r in objs[2]["replies"] if r["type"] == "refer")
    # Sunday 10:00 JST: the weekday line is closed and says when it opens next; the 24h line is first
    assert [(c["id"], c["phones"], c["status"]) for c in refer["contacts"]] == [
        ("night_line", ["0120-279-338"], "24h"), ("day_line", ["0570-003-110"], "closed")]
    assert refer["contacts"][1]["next_open"] == "2026-12-07T09:00:00+09:00"
    assert refer["contacts"][1]["open_until"] is None


def test_plain_text_numbers_choices_and_ends_on_stop(tmp_path: Path, soudan: Soudan) -> None:
    p = soudan("chat", "--at", "2026-12-01T10:00+09:00", stdin="おとな\n2\n終了\nこの行は読まれない\n", env=tiny_env(tmp_path))
    assert p.returncode == 0, p.stderr
    assert "  1. 学生\n  2. おとな" in p.stdout
    assert "☎ 0570-003-110" in p.stdout and "受付中（17:00まで）" in p.stdout
    assert p.stdout.rstrip().endswith("つらいときは、ひとりで抱え込まずに相談してください。")


def test_english(tmp_path: Path, soudan: Soudan) -> None:
    p = soudan("chat", "--lang", "en", "--at", "2026-12-01T10:00+09:00", stdin="Adult\nNo\n", env=tiny_env(tmp_path))
    assert "Who are you?" in p.stdout and "  1. Student" in p.stdout
    assert "Open (until 17:00)" in p.stdout and "24 hours" in p.stdout


def test_a_broken_flow_refuses_to_start_with_file_and_line(tmp_path: Path, soudan: Soudan) -> None:
    env = tiny_env(tmp_path)
    write(tmp_path, "flows/tiny.yaml", TINY_FLOW.replace("goto: what}", "goto: whta}", 1))
    p = soudan("chat", stdin="1\n", env=env)
    assert p.returncode == 2
    assert f"{tmp_path}/flows/tiny.yaml:14: error: choice 'pupil' goes to 'whta'" in p.stderr
    assert p.stdout == ""


def test_bad_at_value(tmp_path: Path, soudan: Soudan) -> None:
    p = soudan("chat", "--at", "tomorrow", env=tiny_env(tmp_path))
    assert p.returncode == 2 and "2026-12-31T22:00+09:00" in p.stderr


def test_the_shipped_flow_starts_with_safety(tmp_path: Path, soudan: Soudan) -> None:
    p = soudan("chat", "--jsonl", "--at", "2026-12-01T10:00+09:00")
    assert p.returncode == 0, p.stderr
    first = json.loads(p.stdout.splitlines()[0])
    ask = first["replies"][-1]
    assert ask["type"] == "ask" and "安全" in ask["text"]


def test_validate_passes_on_the_shipped_files(soudan: Soudan) -> None:
    p = soudan("validate")
    assert p.returncode == 0, p.stdout + p.stderr
    assert " 0 error(s)" in p.stdout


def test_validate_fails_with_file_line(tmp_path: Path, soudan: Soudan) -> None:
    env = tiny_env(tmp_path)
    write(tmp_path, "flows/tiny.yaml", TINY_FLOW.replace("contacts: [day_line]", "contacts: [nobody]"))
    p = soudan("validate", str(tmp_path / "flows"), str(tmp_path / "directory"), env=env)
    assert p.returncode == 1
    assert f"{tmp_path}/flows/tiny.yaml:32: error: contact 'nobody' is not in the directory" in p.stdout


def test_validate_a_directory_file_on_its_own(tmp_path: Path, soudan: Soudan) -> None:
    bad = write(tmp_path, "old.yaml", TINY_DIRECTORY.replace('"0570-003-110"', '"0570-003-11"'))
    p = soudan("validate", str(bad))
    assert p.returncode == 1
    assert f"{bad}:4: error:" in p.stdout and "0570-003-11" in p.stdout
    assert "0 flow file(s), 1 directory file(s): 1 error(s)" in p.stdout
    good = write(tmp_path, "ok.yaml", TINY_DIRECTORY)
    assert soudan("validate", str(good)).returncode == 0
