"""Directory search understands everyday words for situations, and the JSON carries status text."""

from __future__ import annotations

import json

import pytest

from bot.contacts.directory import Directory, rank
from bot.timeutil import parse_at
from tests.conftest import Soudan

pytestmark = pytest.mark.usefixtures("directory_read_once")  # tests/contacts/conftest.py


def test_everyday_words_find_windows_of_that_situation() -> None:
    d = Directory.load(Directory.default_paths())
    now = parse_at("2026-12-01T10:00+09:00")
    assert {c.id for c, _ in d.search("いじめ", now=now)} >= {"mext_24h_sos", "childline", "moj_kodomo_110"}
    assert {c.id for c, _ in d.search("ストーカー", now=now)} >= {"police_9110", "dv_plus"}
    assert {c.id for c, _ in d.search("bullying", now=now)} >= {"mext_24h_sos"}


def test_contacts_json_has_status_text(soudan: Soudan) -> None:
    p = soudan("contacts", "人権110番", "--json", "--at", "2026-12-01T10:00+09:00")
    assert p.returncode == 0, p.stderr
    rows = {r["id"]: r for r in json.loads(p.stdout)}
    assert rows["moj_minna_110"]["status_text"] == "受付中（17:15まで）"


def test_a_word_typed_in_kana_finds_the_window_written_in_kanji() -> None:
    # 「けいさつ」 on a phone keyboard before conversion: the names say 警察, 人権, いのちの電話
    d = Directory.load(Directory.default_paths())
    now = parse_at("2026-12-01T10:00+09:00")
    police = {"police_110", "police_9110", "police_8103"}
    assert police <= {c.id for c, _ in d.search("けいさつ", now=now)}
    assert police <= {c.id for c, _ in d.search("ケイサツ", now=now)}
    assert "moj_minna_110" in {c.id for c, _ in d.search("じんけん", now=now)}
    assert [c.id for c, _ in d.search("いのちのでんわ", now=now)] == ["inochi_no_denwa"]
    assert d.search("けいさつ ほうむしょう", now=now) == []  # every word must match, as with kanji


def test_a_latin_word_matches_at_the_start_of_a_word_only(soudan: Soudan) -> None:
    # 「LINE」 (a teacher looking for a LINE consultation) found 25 windows: every "online",
    # "hotline", "safeline" and "ChildLine" contains it; found by a new-user trial
    p = soudan("contacts", "LINE", "--json", "--at", "2026-12-01T10:00+09:00")
    assert p.returncode == 0, p.stderr
    found = {r["id"] for r in json.loads(p.stdout)}
    # LINE in a window's name, role or channel wording (法務局LINEじんけん相談, まもろうよこころ,
    # こたエール); English wording does not count: "a support line", "Safe Line" are not LINE
    assert found == {"moj_line", "mamorouyo_kokoro", "kotaeru"}
    assert not found & {"sia_hibou_hotline", "moj_women_hotline", "police_cyber_online", "childline", "safeline"}
    d = Directory.load(Directory.default_paths())
    now = parse_at("2026-12-01T10:00+09:00")
    assert "sia_hibou_hotline" in {c.id for c, _ in d.search("hotline", now=now)}
    assert [c.id for c, _ in d.search("safe line", now=now)] == ["safeline"]  # the English name as typed
    assert "mext_24h_sos" in {c.id for c, _ in d.search("bully", now=now)}  # a prefix still matches


def test_search_lists_windows_reachable_now_before_closed_ones() -> None:
    # 22:00 JST on a weekday: the 24-hour children's line comes before the closed daytime lines
    d = Directory.load(Directory.default_paths())
    found = d.search("いじめ", now=parse_at("2026-12-01T22:00+09:00"))
    ids = [c.id for c, _ in found]
    assert ids.index("mext_24h_sos") < ids.index("moj_kodomo_110")
    assert ids.index("mext_24h_sos") < ids.index("childline")
    assert [rank(st) for _, st in found] == sorted(rank(st) for _, st in found)


def test_jisatsu_finds_the_same_windows_as_shinitai() -> None:
    # 「自殺」 found only the two lines with 自殺 in their names, 「死にたい」 every window for distress;
    # found by a new-user trial
    d = Directory.load(Directory.default_paths())
    now = parse_at("2026-12-01T22:00+09:00")
    jisatsu = {c.id for c, _ in d.search("自殺", now=now)}
    assert {c.id for c, _ in d.search("死にたい", now=now)} <= jisatsu
    assert {"yorisoi", "inochi_no_denwa", "childline"} <= jisatsu


def test_a_word_written_another_way_finds_the_same_windows(soudan: Soudan) -> None:
    # 「子ども」 (how schools write it) found nothing while 「子供」 found one window and 「こども」 four;
    # found by a new-user trial
    runs = {q: soudan("contacts", q, "--json", "--at", "2026-12-01T10:00+09:00") for q in ("子ども", "子供", "こども")}
    found = {q: {r["id"] for r in json.loads(p.stdout)} for q, p in runs.items()}
    assert {"moj_kodomo_110", "mext_24h_sos", "jisou_189"} <= found["子ども"]
    assert found["子ども"] == found["子供"] == found["こども"]
    d = Directory.load(Directory.default_paths())
    now = parse_at("2026-12-01T10:00+09:00")
    assert {c.id for c, _ in d.search("付きまとい", now=now)} == {c.id for c, _ in d.search("つきまとい", now=now)}
    assert d.search("学校 ストーカー", now=now) == []  # every word must still match
