"""A result shows the 2–3 windows that fit first, the others one button away (routing.md §0: 「at each
step show at most 2–3 windows, open now first」; bot/engine/core.py Engine.windows).

Before: a result listed every window of the result and of the region at once — a Tokyo adult
stalked at 03:00 got seven cards, a Shibukawa resident who wanted posts deleted six."""

from __future__ import annotations

from typing import Any

import pytest

from bot.adapters.line.flex import render
from bot.engine.core import Engine
from bot.engine.types import Refer
from bot.testing import FakeChat

NIGHT = "2026-12-02T03:00:00+09:00"  # Wednesday 03:00 JST
WEEKDAY_10 = "2026-12-02T10:00:00+09:00"
EVENING = "2026-12-05T20:00:00+09:00"  # Saturday 20:00: チャイルドライン open until 21:00


def chat(engine: Engine, at: str, *picks: str) -> FakeChat:
    c = FakeChat(engine, flow="net-harm", at=at)
    c.start()
    for p in picks:
        c.pick(p)
    return c


def labels(c: FakeChat) -> list[str]:
    return [b.label for b in c.buttons]


def test_tokyo_stalking_at_night_shows_three_windows_and_the_others_behind_a_button(shipped_engine: Engine) -> None:
    c = chat(shipped_engine, NIGHT, "none", "adult", "stk", "tokyo", "unknown")
    assert c.state == "stk"
    assert c.contact_ids == ["police_110", "police_9110", "tokyo_womens_plaza_men"]
    assert labels(c) == ["ほかの窓口（4件）", "ひとつ戻る", "最初から相談する", "終了する"]
    c.press("ほかの窓口（4件）")
    assert c.state == "stk"
    listing = [r for r in c.replies if isinstance(r, Refer)]
    assert [r.text for r in listing] == ["ほかの窓口です（4件）。上の窓口につながらないときや、ほかも知りたいときにどうぞ。"]
    assert c.contact_ids == ["tokyo_women_center", "moj_women_hotline", "moj_minna_110", "tokyo_womens_plaza"]
    assert "受付時間外（次は 12/2 8:30〜）" in c.text  # the closed ones say when they open
    assert labels(c)[0] == "ほかの窓口（4件）"  # the same menu: a typed number picks what it picked before


@pytest.mark.parametrize("typed", ["ほかの窓口", "他の窓口は？", "1"])
def test_typed_other_windows_lists_them(shipped_engine: Engine, typed: str) -> None:
    c = chat(shipped_engine, NIGHT, "none", "adult", "stk", "tokyo", "unknown")
    c.say(typed)
    assert c.contact_ids == ["tokyo_women_center", "moj_women_hotline", "moj_minna_110", "tokyo_womens_plaza"]


def test_the_regions_window_open_now_is_shown_once_beside_the_national_ones(shipped_engine: Engine) -> None:
    """Shibukawa, weekday 10:00: the city's window (open) and the 法務局 and SIA first — not the city's
    and the prefecture's window and the 法務局, with the deletion form out of sight."""
    c = chat(shipped_engine, WEEKDAY_10, "none", "adult", "def", "shibukawa", "delete")
    assert c.contact_ids == ["shibukawa_window", "moj_minna_110", "sia_hibou_hotline"]
    c.pick(":more-windows")
    assert c.contact_ids == ["gunma_net_window", "ihaho"]


def test_a_number_a_window_shown_answers_is_not_shown_twice(shipped_engine: Engine) -> None:
    """Tokyo, sexual assault: #8891 from Tokyo reaches NaNa (its card says so), so the police
    lines are shown beside it rather than #8891 a second time."""
    c = chat(shipped_engine, WEEKDAY_10, "assault", "tokyo")
    assert c.state == "sv"
    assert c.contact_ids == ["tokyo_nana", "police_8103", "police_110"]
    c.pick(":more-windows")
    assert c.contact_ids == ["onestop_8891"]


def test_the_24_hour_line_added_at_night_is_among_those_shown(shipped_engine: Engine) -> None:
    c = chat(shipped_engine, NIGHT, "none", "adult", "def", "shibukawa", "delete")
    assert c.contact_ids[0] == "yorisoi"
    assert len(c.contact_ids) == 3
    assert "24時間つながる「よりそいホットライン」も載せています" in c.text


def test_a_result_with_three_windows_has_no_button(shipped_engine: Engine) -> None:
    c = chat(shipped_engine, WEEKDAY_10, "none", "adult", "thr")
    c.pick(c.buttons[0].id)  # the kind of threat
    assert len(c.contact_ids) <= 3
    assert not any(b.id == ":more-windows" for b in c.buttons)


def test_for_a_pupil_the_childrens_lines_open_now_come_first(shipped_engine: Engine) -> None:
    c = chat(shipped_engine, EVENING, "none", "pupil", "bul", "tokyo")
    assert c.state == "youth_net"
    assert c.contact_ids == ["mext_24h_sos", "childline", "kotaeru"]
    assert c.statuses == {"mext_24h_sos": "24h", "childline": "open", "kotaeru": "unknown"}


def test_line_shows_three_cards_and_the_button_then_the_others(shipped_engine: Engine) -> None:
    """On LINE: one carousel of three cards and 「ほかの窓口（4件）」 among the quick replies; its
    postback lists the other four."""
    c = chat(shipped_engine, NIGHT, "none", "adult", "stk", "tokyo", "unknown")

    def carousel(batches: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
        return [m for b in batches for m in b if m.get("type") == "flex"]

    flex = carousel(render(c.replies, "ja", c.at))
    assert len(flex) == 1 and len(flex[0]["contents"]["contents"]) == 3
    items = [i for b in render(c.replies, "ja", c.at) for m in b for i in m.get("quickReply", {}).get("items", [])]
    more = next(i for i in items if i["action"]["label"] == "ほかの窓口（4件）")
    assert more["action"]["data"].startswith("c=:more-windows&s=stk&")
    c.pick(":more-windows")
    flex = carousel(render(c.replies, "ja", c.at))
    assert len(flex) == 1 and len(flex[0]["contents"]["contents"]) == 4
