"""The shipped directory (directory/*.yaml): it loads, its data is honest, and its statuses at
chosen instants are what a person should be told — whatever the server's time zone."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from bot.contacts.directory import Directory
from bot.contacts.model import Contact, Topic
from bot.contacts.render import format_status
from bot.contacts.status import Status, StatusKind
from bot.timeutil import JST

ROOT = Path(__file__).resolve().parents[2]
# The research notes live beside the repository (../shared/domain/contacts.md); sources checked
# beyond them are listed, with what they verify, in docs/sources.md.
CONTACTS_MD = ROOT.parent / "shared" / "domain" / "contacts.md"
EXTRA_SOURCES = ROOT / "docs" / "sources.md"
UTC = dt.UTC

SHIPPED = {
    "police_110", "fire_ambulance_119", "police_9110", "police_cyber_online", "police_8103", "ihc",
    "moj_minna_110", "moj_women_hotline", "moj_kodomo_110", "moj_line", "moj_foreign",
    "sia_hibou_hotline", "safeline", "ihaho", "ipa_anshin", "houterasu_support", "houterasu_victim",
    "onestop_8891", "curetime", "dv_plus", "dv_navi_8008", "jisou_189", "consumer_188",
    "mext_24h_sos", "childline", "anata_no_ibasho", "yorisoi", "inochi_no_denwa", "kokoro_touitsu",
    "inochi_sos", "mamorouyo_kokoro", "kotaeru", "tokyo_womens_plaza", "tokyo_nana",
    "tokyo_women_center", "gunma_net_window", "shibukawa_window", "tokyo_womens_plaza_men",
}

OLD_SOURCES = {"yorisoi", "moj_foreign", "police_8103", "onestop_8891", "jisou_189", "consumer_188"}
"""Entries whose source page is dated more than three years before 2026-12-01 (issue #12 fact 13):
``soudan validate`` warns about each until a newer official page is cited."""


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=JST)


def test_loads_without_errors_and_warns_only_on_old_sources() -> None:
    directory = Directory.load(Directory.default_paths(), today=dt.date(2026, 12, 1))
    assert set(directory.ids) == SHIPPED
    warned = {w.message.split(":")[0] for w in directory.warnings}
    assert warned == OLD_SOURCES
    assert all("source page dates from" in w.message and w.line > 0 for w in directory.warnings)


def test_every_file_declares_the_schema_first() -> None:
    for path in Directory.default_paths():
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../schema/directory.schema.json", path


def test_no_text_is_cut_by_a_yaml_comment() -> None:
    # In plain YAML text " #" starts a comment and silently drops the rest (e.g. "相談は #9110へ").
    for path in Directory.default_paths():
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.lstrip().startswith("#"):
                continue
            bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', line)
            assert " #" not in bare, f"{path.name}:{n}: quote this text: {line.strip()}"


@pytest.mark.skipif(not CONTACTS_MD.exists(), reason="research notes not available")
def test_every_number_and_url_comes_from_the_research_notes(directory: Directory) -> None:
    notes = CONTACTS_MD.read_text(encoding="utf-8") + EXTRA_SOURCES.read_text(encoding="utf-8")
    for c in directory:
        assert c.source in notes, (c.id, c.source)
        for ch in c.channels:
            assert ch.url.removeprefix("mailto:") in notes, (c.id, ch.url)
        for p in c.phones:
            assert p.number in notes, (c.id, p.number)
        # Read on or after the day the research notes were written (2026-11-30), never in the future.
        verified = dt.date.fromisoformat(c.verified)
        assert dt.date(2026, 11, 30) <= verified <= dt.datetime.now(JST).date(), (c.id, c.verified)


def test_unverified_details_are_not_shipped(directory: Directory) -> None:
    assert directory.get("kotaeru").phones == []  # phone UNVERIFIED
    assert directory.get("ipa_anshin").phones == [] and directory.get("ipa_anshin").hours is None
    assert all("line.me" not in ch.url for ch in directory.get("moj_line").channels)  # LINE ID unverified
    assert [ch.url for ch in directory.get("anata_no_ibasho").channels] == ["https://www.mhlw.go.jp/mamorouyokokoro/"]
    assert directory.get("inochi_sos").hours is None
    assert [p.number for p in directory.get("inochi_no_denwa").phones] == ["0120-783-556"]
    assert directory.get("police_cyber_online").phones == []  # 警視庁 number UNVERIFIED
    for cid in ("inochi_sos", "kotaeru", "ipa_anshin", "moj_foreign", "moj_line", "curetime"):
        caveats = " ".join(t["ja"] for t in directory.get(cid).caveats) + directory.get(cid).hours_text["ja"]
        assert "公式サイト" in caveats, cid


def test_every_entry_has_english(directory: Directory) -> None:
    for c in directory:
        assert "en" in c.name and "en" in c.hours_text, c.id
        for t in c.caveats:
            assert "en" in t, c.id


def test_numbers_as_written_in_the_notes(directory: Directory) -> None:
    assert [p.number for p in directory.get("mext_24h_sos").phones] == ["0120-0-78310"]
    assert [p.number for p in directory.get("moj_minna_110").phones] == ["0570-003-110"]
    assert [p.number for p in directory.get("police_9110").phones] == ["#9110"]
    assert Topic.EMG in directory.get("police_110").topics and Topic.EMG in directory.get("fire_ambulance_119").topics


def test_24_hour_lines(directory: Directory) -> None:
    now = at("2026-12-31 03:00")
    always = {c.id for c in directory if directory.status(c, now).kind is StatusKind.ALWAYS}
    assert always == {"police_110", "fire_ambulance_119", "police_8103", "dv_plus", "jisou_189",
                      "mext_24h_sos", "yorisoi", "tokyo_nana", "anata_no_ibasho",
                      "sia_hibou_hotline", "safeline", "ihc", "police_cyber_online"}


# -- statuses at chosen instants (the process time zone must not matter) --------------------------

CASES = [
    # weekday morning
    ("moj_minna_110", "2026-12-01 10:00", "受付中（17:15まで）"),
    ("houterasu_support", "2026-12-01 10:00", "受付中（21:00まで）"),
    # lunch break: phone 9–12 and 13–16
    ("gunma_net_window", "2026-12-01 12:30", "受付時間外（次は 12/1 13:00〜）"),
    # Sunday
    ("moj_minna_110", "2026-12-06 10:00", "受付時間外（次は 12/7 8:30〜）"),
    ("houterasu_support", "2026-12-06 10:00", "受付時間外（次は 12/7 9:00〜）"),
    ("tokyo_womens_plaza", "2026-12-06 10:00", "受付中（21:00まで）"),
    ("childline", "2026-12-06 10:00", "受付時間外（次は 12/6 16:00〜）"),
    ("consumer_188", "2026-12-06 10:00", "受付中（16:00まで）"),
    # 2026-09-22 国民の休日 and 2027-03-22 振替休日: weekday-only lines are closed
    ("moj_minna_110", "2026-09-22 10:00", "受付時間外（次は 9/24 8:30〜）"),
    ("shibukawa_window", "2026-09-22 10:00", "受付時間外（次は 9/24 8:30〜）"),
    ("gunma_net_window", "2027-03-22 10:00", "受付時間外（次は 3/23 9:00〜）"),
    ("moj_kodomo_110", "2027-03-22 10:00", "受付時間外（次は 3/23 8:30〜）"),
    # year end: closed on 12/31, open again on 1/4
    ("moj_minna_110", "2026-12-31 10:00", "受付時間外（次は 1/4 8:30〜）"),
    ("tokyo_womens_plaza", "2026-12-31 10:00", "受付時間外（次は 1/4 9:00〜）"),
    ("childline", "2026-12-31 17:00", "受付時間外（次は 1/4 16:00〜）"),
    ("moj_minna_110", "2027-01-04 10:00", "受付中（17:15まで）"),
    # overnight: いのちの電話 free dial, the 10th 8:00 → the 11th 8:00
    ("inochi_no_denwa", "2026-12-11 02:00", "受付中（8:00まで）"),
    ("inochi_no_denwa", "2026-12-10 07:00", "時間不明（公式サイトで確認）"),
    ("inochi_no_denwa", "2026-12-07 18:00", "時間不明（公式サイトで確認）"),
    ("inochi_no_denwa", "2026-12-10 10:00", "受付中（12/11 8:00まで）"),
    ("inochi_no_denwa", "2026-12-11 09:00", "時間不明（公式サイトで確認）"),
    # unverified hours and unknown holiday rules
    ("houterasu_victim", "2026-09-22 10:00", "時間不明（公式サイトで確認）"),
    ("police_9110", "2026-12-01 10:00", "受付中（17:00まで）"),
    ("police_9110", "2026-12-01 20:00", "この時間は地域により異なる（公式サイトで確認）"),
    ("consumer_188", "2026-12-01 10:00", "時間不明（公式サイトで確認）"),
    ("yorisoi", "2026-12-31 03:00", "24時間"),
]


@pytest.mark.parametrize(("cid", "when", "text"), CASES)
def test_status_at(directory: Directory, process_tz: str, cid: str, when: str, text: str) -> None:
    now = at(when)
    assert format_status(directory.status(cid, now), "ja") == text


@pytest.mark.parametrize(("cid", "when", "text"), CASES)
def test_status_with_now_in_utc(directory: Directory, process_tz: str, cid: str, when: str, text: str) -> None:
    now = at(when).astimezone(UTC)
    st = directory.status(cid, now)
    assert format_status(st, "ja") == text
    for t in (st.open_until, st.next_open):
        assert t is None or t.utcoffset() == dt.timedelta(hours=9)


def test_exact_times(directory: Directory) -> None:
    st = directory.status("moj_minna_110", at("2026-12-01 10:00"))
    assert (st.kind, st.open_until) == (StatusKind.OPEN, at("2026-12-01 17:15"))
    st = directory.status("gunma_net_window", at("2026-12-01 12:30"))
    assert (st.kind, st.next_open) == (StatusKind.CLOSED, at("2026-12-01 13:00"))
    st = directory.status("inochi_no_denwa", at("2026-12-11 02:00"))
    assert (st.kind, st.open_until) == (StatusKind.OPEN, at("2026-12-11 08:00"))


# -- search, order, fallback ----------------------------------------------------------------------

def ids(rows: list[tuple[Contact, Status]]) -> list[str]:
    return [c.id for c, _ in rows]


def test_search_by_phone_digits_full_width_and_hyphens(directory: Directory) -> None:
    now = at("2026-12-01 10:00")
    assert ids(directory.search("０５７０－００３－１１０", now=now)) == ["moj_minna_110"]
    assert ids(directory.search("0570003110", now=now)) == ["moj_minna_110"]
    assert ids(directory.search("#9110", now=now)) == ["police_9110"]
    assert ids(directory.search("＃８１０３", now=now)) == ["police_8103"]


def test_search_by_name_org_id_and_topic(directory: Directory) -> None:
    now = at("2026-12-01 10:00")
    assert "moj_women_hotline" in ids(directory.search("女性の人権", now=now))
    assert set(ids(directory.search("セーファーインターネット", now=now))) == {"sia_hibou_hotline", "safeline"}
    assert ids(directory.search("SAFELINE", now=now)) == ["safeline"]
    assert "yorisoi" in ids(directory.search("Yorisoi Hotline", now=now))
    assert ids(directory.search("法テラス 犯罪", now=now)) == ["houterasu_victim"]
    assert directory.search("存在しない窓口", now=now) == []


def test_search_topic_and_open_now(directory: Directory) -> None:
    sunday = at("2026-12-06 10:00")
    rows = directory.search(None, Topic.NCII, True, sunday)
    assert rows and all(Topic.NCII in c.topics and st.is_available for c, st in rows)
    assert "moj_minna_110" not in ids(rows)
    assert "moj_minna_110" in ids(directory.search(None, "ncii", False, sunday))
    with pytest.raises(ValueError):
        directory.search(None, "XYZ", False, sunday)


def test_order_puts_available_first_and_keeps_the_given_order(directory: Directory) -> None:
    order = ["moj_minna_110", "gunma_net_window", "yorisoi", "kotaeru"]
    assert ids(directory.order(order, at("2026-12-01 10:00"))) == order
    # Sunday: the 24-hour line, then the window whose hours are unknown (it may be open), then
    # the closed ones — never a surely open one after a closed one (issue #12 fact 10)
    assert ids(directory.order(order, at("2026-12-06 10:00"))) == [
        "yorisoi", "kotaeru", "moj_minna_110", "gunma_net_window"]
    with pytest.raises(KeyError):
        directory.order(["nope"], at("2026-12-01 10:00"))


@pytest.mark.parametrize(("topics", "expected"), [
    (None, "yorisoi"), ([Topic.DIS], "yorisoi"), ([Topic.DEF], "yorisoi"), (["DV"], "dv_plus"),
    ([Topic.CHILD], "jisou_189"), ([Topic.BUL], "mext_24h_sos"), ([Topic.SV], "police_8103"),
    ([Topic.EMG], "police_110"),
])
def test_fallback_is_a_24_hour_live_line(directory: Directory, topics: list[Topic] | None, expected: str) -> None:
    now = at("2026-12-31 03:00")
    c = directory.fallback(now, topics)
    assert c.id == expected
    assert directory.status(c, now).kind is StatusKind.ALWAYS and c.reachable_live
