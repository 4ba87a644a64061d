"""Issue #12 on the directory side: statuses that carry their instant, hours per channel, what
each card says, blank texts refused, old sources warned about (shipped data and tiny files)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.line.flex import render as line_render
from bot.adapters.terminal import render_plain
from bot.contacts.command import contact_json
from bot.contacts.directory import Directory, DirectoryError
from bot.contacts.model import Contact
from bot.contacts.render import card_details, card_status, shown_status
from bot.engine.types import ContactView, Refer
from bot.timeutil import JST

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def directory() -> Directory:
    return Directory.load(Directory.default_paths(), today=dt.date(2026, 12, 1))


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=JST)


def test_a_next_day_closing_time_has_its_date_in_the_json_of_soudan_contacts(directory: Directory) -> None:
    # fact 12: the status keeps its instant, so every renderer words it the same way
    st = directory.status("inochi_no_denwa", at("2026-12-10 08:30"))
    assert st.at == at("2026-12-10 08:30")
    assert contact_json(directory.get("inochi_no_denwa"), st)["status_text"] == "受付中（12/11 8:00まで）"


def test_9110_is_open_in_office_hours_and_varies_by_region_otherwise(directory: Directory) -> None:
    c = directory.get("police_9110")
    assert card_status(c, directory.status(c, at("2026-12-01 10:00"))) == "受付中（17:00まで）"
    night = directory.status(c, at("2026-12-01 21:00"))
    assert night.kind.value == "unknown" and night.varies
    assert card_status(c, night) == "この時間は地域により異なる（公式サイトで確認）"
    assert card_status(c, directory.status(c, at("2026-12-06 10:00")), "en").startswith("Varies by region")


def test_gunma_card_words_phone_and_form_separately(directory: Directory) -> None:
    c = directory.get("gunma_net_window")
    assert card_status(c, directory.status(c, at("2026-12-01 20:00"))) == \
        "電話は受付時間外（次は 12/2 9:00〜）・メールとフォームは受付24時間（その場での返答はありません）"
    assert card_status(c, directory.status(c, at("2026-12-01 10:00"))) == \
        "電話は受付中（12:00まで）・メールとフォームは受付24時間（その場での返答はありません）"


def test_a_form_accepted_any_time_is_not_badged_like_a_24_hour_phone(directory: Directory) -> None:
    for cid in ("police_cyber_online", "safeline"):
        c = directory.get(cid)
        line = card_status(c, directory.status(c, at("2026-12-06 03:00")))
        assert line == "フォーム（受付は24時間・その場での返答はありません）", cid
    c = directory.get("police_110")
    assert card_status(c, directory.status(c, at("2026-12-06 03:00"))) == "24時間"


def test_no_card_says_24_hours_twice(directory: Directory) -> None:
    c = directory.get("police_110")  # hours_text 「24時間365日」
    assert shown_status(c, directory.status(c, at("2026-12-01 10:00"))) is None
    view = ContactView(c, directory.status(c, at("2026-12-01 10:00")))
    text = render_plain([Refer("x", (view,))], "ja")
    assert "24時間365日" in text and "→ 24時間" not in text


def test_eligibility_caveats_cost_and_mail_reach_line_and_the_terminal(directory: Directory) -> None:
    now = at("2026-12-01 10:00")
    views = tuple(ContactView(c, st, now) for c, st in directory.order(["gunma_net_window", "safeline", "childline"], now))
    plain = render_plain([Refer("x", views)], "ja")
    flex = json.dumps(line_render([Refer("x", views)], "ja", now), ensure_ascii=False)
    for expected in ("対象: 県内在住・在学・在勤", "メール: netsoudan@step-gunma.org", "子ども本人も通報できる",
                     "通報の秘密は守られます", "対象: 18歳までの子ども", "費用: 相談無料"):
        assert expected in plain, expected
        assert expected in flex, expected
    assert "mailto:" not in flex  # LINE cannot open mailto: links


def _texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["text"]] if node.get("type") == "text" else []
        return own + [t for v in node.values() for t in _texts(v)]
    if isinstance(node, list):
        return [t for v in node for t in _texts(v)]
    return []


def test_the_flex_builder_never_emits_an_empty_text(directory: Directory) -> None:
    now = at("2026-12-06 03:00")
    views = tuple(ContactView(c, st, now) for c, st in directory.order(list(directory.ids), now))
    texts = _texts(line_render([Refer("x", views)], "ja", now))
    assert texts and all(t.strip() for t in texts)


def test_card_details_give_the_who_first(directory: Directory) -> None:
    assert card_details(directory.get("moj_women_hotline"))[0].startswith("対象: 女性の方")


ENTRY = """\
- id: x
  name: {{ja: "窓口", en: "Window"}}
  org: {org}
  phones: ["110"]
  hours: "24/7"
  hours_text: {hours_text}
  cost: free
  topics: [EMG]
  source: https://example.org/page
  verified: "2026-11-30"
{extra}"""


def _write(tmp_path: Path, **kw: str) -> Path:
    p = tmp_path / "d.yaml"
    values = {"org": '{ja: "機関", en: "Org"}', "hours_text": '{ja: "24時間", en: "24 hours"}', "extra": ""}
    values.update(kw)
    p.write_text(ENTRY.format(**values), encoding="utf-8")
    return p


@pytest.mark.parametrize(("field", "value", "line"), [
    ("org", '{ja: "", en: "Org"}', 3),
    ("hours_text", '"   "', 6),
    ("hours_text", '{ja: "24時間", en: ""}', 6),
])
def test_a_blank_text_is_an_error_naming_its_line(tmp_path: Path, field: str, value: str, line: int) -> None:
    p = _write(tmp_path, **{field: value})
    with pytest.raises(DirectoryError) as info:
        Directory.load([p], today=dt.date(2026, 12, 1))
    assert f"{p}:{line}:" in str(info.value) and "empty or blank" in str(info.value)


@pytest.mark.parametrize(("date", "warned"), [
    ("2023-11-30", True), ("2023-12-01", False), ("2022", True), ("2023-11", True), ("2024-01", False)])
def test_validate_warns_on_sources_older_than_three_years(tmp_path: Path, date: str, warned: bool) -> None:
    p = _write(tmp_path, extra=f'  source_date: "{date}"\n')
    d = Directory.load([p], today=dt.date(2026, 12, 1))
    assert bool(d.warnings) is warned
    if warned:
        assert d.warnings[0].line == 11 and "more than three years" in d.warnings[0].message


def test_a_source_date_that_is_not_a_date_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DirectoryError, match="source_date must be"):
        Directory.load([_write(tmp_path, extra='  source_date: "last year"\n')])


def test_local_windows_follow_the_region_code(directory: Directory) -> None:
    def ids(cs: Iterable[Contact]) -> list[str]:
        return [c.id for c in cs]

    assert ids(directory.local("JP-10/shibukawa", ["DEF"])) == ["shibukawa_window", "gunma_net_window"]
    assert ids(directory.local("JP-10", ["DEF"])) == ["gunma_net_window"]
    assert ids(directory.local("JP-10", [], also=["DIS"])) == ["gunma_net_window"]
    assert ids(directory.local("JP-13", ["BUL"])) == ["kotaeru"]
    assert ids(directory.local("JP-13", ["BUL"], adult=True)) == []
    assert directory.local("other", ["DEF"]) == directory.local("skip", ["DEF"]) == directory.local(None, ["DEF"]) == []
    assert directory.local("JP-27", ["DEF"]) == []


def test_every_renderer_dates_a_next_day_closing_time_without_being_told_the_instant(directory: Directory) -> None:
    from bot.adapters.common import status_line

    st = directory.status("inochi_no_denwa", at("2026-12-10 08:30"))
    view = ContactView(directory.get("inochi_no_denwa"), st)  # as Discord's /soudan-contacts builds it
    assert status_line(view, "ja") == "受付中（12/11 8:00まで）"
    assert status_line(view, "en") == "Open (until 12/11 8:00)"
