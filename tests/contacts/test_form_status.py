"""A window reached only by a web form (Safe Line, 誹謗中傷ホットライン, the police online form) takes
messages at any time but nobody answers it now. It was counted as 「いま受付中」 and listed before a
24-hour phone line at night (last session's trials). Now: the lines a person answers now come
first, forms after; their status says 「フォーム（受付は24時間・その場での返答はありません）」 on every
platform; `--open-now` and 「いま受付中」 list only windows where someone answers."""

from __future__ import annotations

import json

import pytest

from bot.adapters.discord.render import contact_card
from bot.adapters.discord.render import render as discord_render
from bot.adapters.line.flex import render as line_render
from bot.contacts.directory import Directory, rank
from bot.contacts.render import card_status, shown_status
from bot.engine.open_now import open_now
from bot.engine.types import ContactView, Refer
from bot.settings import Settings
from bot.testing import FakeChat
from bot.timeutil import parse_at
from tests.conftest import Soudan

NIGHT = parse_at("2026-12-01T23:00+09:00")  # Tuesday night: daytime lines closed
FORMS = ("sia_hibou_hotline", "safeline", "police_cyber_online", "ihc")


@pytest.fixture(scope="module")
def directory() -> Directory:
    return Directory.load(Directory.default_paths())


def test_form_only_windows_say_nobody_answers_now_in_both_languages(directory: Directory) -> None:
    for cid in FORMS:
        c = directory.get(cid)
        st = directory.status(c, NIGHT)
        assert st.is_available and st.send_only and not st.is_staffed, cid
        assert card_status(c, st) == "フォーム（受付は24時間・その場での返答はありません）", cid
        assert card_status(c, st, "en") == "Form (accepted 24 hours; no answer right away)", cid
        assert shown_status(c, st) == card_status(c, st)  # never hidden as 「24時間」 twice
    for cid in ("yorisoi", "mext_24h_sos", "anata_no_ibasho"):  # phones and a 24-hour chat are answered
        st = directory.status(cid, NIGHT)
        assert st.is_staffed and not st.send_only, cid


def test_search_at_night_lists_the_24_hour_lines_before_the_forms(directory: Directory) -> None:
    ids = [c.id for c, _ in directory.search("いじめ", now=NIGHT)]
    assert ids.index("mext_24h_sos") < ids.index("sia_hibou_hotline") < ids.index("moj_kodomo_110")
    assert ids.index("anata_no_ibasho") < ids.index("safeline")
    ranks = [rank(st) for _, st in directory.search(now=NIGHT)]
    assert ranks == sorted(ranks)


def test_open_now_leaves_out_forms(soudan: Soudan) -> None:
    p = soudan("contacts", "--open-now", "--json", "--at", "2026-12-01T23:00+09:00")
    assert p.returncode == 0, p.stderr
    rows = json.loads(p.stdout)
    ids = {r["id"] for r in rows}
    assert {"yorisoi", "mext_24h_sos", "police_8103"} <= ids
    assert not ids & set(FORMS)
    assert all(r["send_only"] is False for r in rows)
    p = soudan("contacts", "セーフライン", "--json", "--at", "2026-12-01T23:00+09:00")
    [row] = json.loads(p.stdout)
    assert row["send_only"] is True and row["status_text"] == "フォーム（受付は24時間・その場での返答はありません）"


def test_a_result_at_night_gives_the_24_hour_line_before_the_form() -> None:
    s = Settings()
    chat = FakeChat.from_files(s.flow_paths(), s.directory_paths(), at=NIGHT)
    chat.start()
    for pick in ("none", "adult", "def", "skip", "delete"):
        chat.pick(pick)
    assert chat.contact_ids == ["yorisoi", "sia_hibou_hotline", "ihaho"]
    assert "フォーム（受付は24時間・その場での返答はありません）" in chat.text
    chat.pick(":more-windows")
    assert chat.contact_ids == ["moj_minna_110"]  # closed at night: behind 「ほかの窓口（1件）」


def test_line_and_discord_cards_use_the_same_status_and_no_open_colour(directory: Directory) -> None:
    views = tuple(ContactView(c, st, NIGHT) for c, st in directory.order(["safeline", "yorisoi"], NIGHT))
    assert [v.contact.id for v in views] == ["yorisoi", "safeline"]
    flex = json.dumps(line_render([Refer("窓口です。", views)], "ja", NIGHT), ensure_ascii=False)
    assert "フォーム（受付は24時間・その場での返答はありません）" in flex
    embeds, _ = contact_card(views[1], "en")
    now_field = [f["value"] for e in embeds for f in e["fields"] if f["value"].startswith("Form (")]
    assert now_field == ["Form (accepted 24 hours; no answer right away)"]
    assert embeds[0]["color"] == 0x808080  # not the green of a line answered now
    assert contact_card(views[0], "en")[0][0]["color"] == 0x2E8B57
    msgs = discord_render([Refer("窓口です。", views)], "ja")
    titles = [e["title"] for m in msgs for e in m.embeds]
    assert titles.index("よりそいホットライン") < titles.index("セーフライン（リベンジポルノ等の削除依頼）")


def _texts(node: object) -> list[dict[str, object]]:
    """Every Flex text component in a rendered LINE message tree."""
    if isinstance(node, dict):
        own = [node] if node.get("type") == "text" else []
        return own + [t for v in node.values() for t in _texts(v)]
    if isinstance(node, list):
        return [t for v in node for t in _texts(v)]
    return []


def test_the_line_card_of_a_form_is_not_green(directory: Directory) -> None:
    views = tuple(ContactView(directory.get(i), directory.status(i, NIGHT), NIGHT) for i in ("safeline", "yorisoi"))
    texts = _texts(line_render([Refer("窓口です。", views)], "ja", NIGHT))
    form = [t for t in texts if str(t["text"]).startswith("フォーム（受付は24時間")]
    assert form and all(t["color"] == "#555555" for t in form)


def test_the_open_now_menu_lists_only_windows_a_person_answers(directory: Directory) -> None:
    refer = open_now(directory, NIGHT, "ja")  # LINE's 「窓口をさがす（いま受付中）」, typed 「いま受付中」
    assert refer.contacts
    assert all(v.status.is_staffed for v in refer.contacts)
    assert not {v.contact.id for v in refer.contacts} & set(FORMS)


def test_the_simulator_json_says_which_window_is_a_form(directory: Directory) -> None:
    # the browser simulator (bot/web/static/app.js) greys a card whose send_only is true
    from bot.adapters.common import contact_to_dict

    form = contact_to_dict(ContactView(directory.get("safeline"), directory.status("safeline", NIGHT), NIGHT), "ja")
    line = contact_to_dict(ContactView(directory.get("yorisoi"), directory.status("yorisoi", NIGHT), NIGHT), "ja")
    assert (form["send_only"], form["status_shown"]) == (True, "フォーム（受付は24時間・その場での返答はありません）")
    assert (line["send_only"], line["status"]) == (False, "24h")
