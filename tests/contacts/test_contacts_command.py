"""``soudan contacts``: JSON for tools, a table for people, clear errors."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from bot.contacts.command import main

ROOT = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], query: str | None = None, *, topic: str | None = None,
        open_now: bool = False, at: str | None = "2026-12-01T10:00+09:00",
        as_json: bool = True) -> tuple[int, str, str]:
    code = main(argparse.Namespace(query=query, topic=topic, open_now=open_now, at=at, json=as_json))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_for_a_weekday_morning(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "0570-003-110")
    assert code == 0 and "error" not in err
    [item] = json.loads(out)
    assert item == {
        "id": "moj_minna_110",
        "name": "みんなの人権110番（全国共通人権相談ダイヤル）",
        "phones": ["0570-003-110"],
        "status": "open",
        "status_text": "受付中（17:15まで）",
        "send_only": False,
        "open_until": "2026-12-01T17:15:00+09:00",
        "next_open": None,
        "hours_text": "平日 8:30〜17:15（土日祝・12/29〜1/3を除く）",
        "topics": ["DEF", "DOX", "HAR", "BUL", "NCII"],
        "source": "http://www.moj.go.jp/JINKEN/jinken20.html",
        "verified": "2026-11-30",
    }


def test_json_topic_filter_and_statuses(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, topic="ncii", at="2026-12-06T10:00+09:00")
    items = {i["id"]: i for i in json.loads(out)}
    assert code == 0 and all("NCII" in i["topics"] for i in items.values())
    assert items["moj_minna_110"]["status"] == "closed"
    assert items["moj_minna_110"]["next_open"] == "2026-12-07T08:30:00+09:00"
    assert items["safeline"]["status"] == "24h"
    assert items["moj_women_hotline"]["open_until"] is None


def test_open_now_keeps_only_reachable_windows(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, open_now=True, at="2026-12-31T03:00+09:00")
    assert {i["status"] for i in json.loads(out)} == {"24h"}


def test_at_without_offset_is_japan_time_and_utc_is_converted(capsys: pytest.CaptureFixture[str]) -> None:
    _, naive, _ = run(capsys, "moj_minna_110", at="2026-12-01T10:00")
    _, utc, _ = run(capsys, "moj_minna_110", at="2026-12-01T01:00+00:00")
    assert json.loads(naive) == json.loads(utc)
    assert json.loads(naive)[0]["status"] == "open"


def test_table_for_people(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "gunma_net_window", at="2026-12-01T12:30+09:00", as_json=False)
    assert code == 0
    assert "群馬県 インターネット上の誹謗中傷相談窓口" in out
    assert "027-212-0091" in out
    assert "受付時間外（次は 12/1 13:00〜）" in out


def test_table_shows_web_address_when_there_is_no_phone(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "safeline", as_json=False)
    # a form accepted at any time is not badged like a 24-hour phone line (issue #12)
    assert "https://www.safe-line.jp/" in out and "フォーム（受付は24時間・その場での返答はありません）" in out


def test_no_match(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "存在しない窓口", as_json=False)
    assert code == 0 and "該当する窓口はありません" in out
    code, out, _ = run(capsys, "存在しない窓口")
    assert json.loads(out) == []


def test_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, at="tomorrow")
    assert code == 2 and "not an ISO time" in err and "2026-12-31T22:00+09:00" in err
    code, _, err = run(capsys, topic="XYZ")
    assert code == 2 and "NCII" in err


def test_directory_errors_exit_1(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "bad.yaml").write_text("- id: x\n  phones: [110]\n", encoding="utf-8")
    monkeypatch.setenv("SOUDAN_DIRECTORY_DIR", str(tmp_path))
    code, out, err = run(capsys)
    assert code == 1 and out == ""
    assert f"{tmp_path / 'bad.yaml'}:2: error:" in err


def test_directory_warnings_are_one_line_pointing_to_validate(capsys: pytest.CaptureFixture[str]) -> None:
    """Regression (new-user trial): six old-source warnings were printed before every answer."""
    code, out, err = run(capsys, "警察", as_json=False)
    assert code == 0 and "110" in out
    assert len([ln for ln in err.splitlines() if ln.strip()]) <= 1
    assert not err or "soudan validate" in err
