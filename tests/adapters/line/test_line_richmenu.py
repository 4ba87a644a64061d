"""The rich menu: tapping each area gives the reply a person expects (shipped flows, real SDK, signed
webhooks), the English menu follows an English conversation, and ``soudan line richmenu`` sets the
menus up against the fake Messaging API (which checks them with the SDK's models and LINE's rules)."""

from __future__ import annotations

import io
import json
import secrets
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.adapters.line import richmenu as rm
from bot.cli import main
from bot.devtools.line_fake import FakeLineApi
from bot.engine.core import Engine
from bot.engine.open_now import MAX_OPEN_NOW
from bot.store import SessionStore
from bot.store.base import user_key
from tests import shipped
from tests.adapters.line import linekit
from tests.adapters.line.linekit import SOUDAN_SECRET, USER, Post, follow_event, postback_event, text_event
from tests.devtools.conftest import Served


@pytest.fixture(scope="module")
def engine() -> Engine:
    """The shipped flows and directory: the replies people get."""
    return shipped.engine()


def tap(area: str, locale: str = "ja", **kw: Any) -> dict[str, Any]:
    """The webhook event LINE sends when ``area`` of the ``locale`` menu is tapped (every area is a postback)."""
    index = [a.key for a in rm.AREAS].index(area)
    action = rm.menu_request(locale)["areas"][index]["action"]
    assert action["type"] == "postback"
    return postback_event(action["data"], **kw)


def texts(fake: FakeLineApi, token: str) -> list[str]:
    return [m.get("text") or m.get("altText", "") for m in fake.reply_to(token).json["messages"]]


def tels(fake: FakeLineApi, token: str) -> list[str]:
    return [u for u in json.dumps(fake.reply_to(token).json).split('"') if u.startswith("tel:")]


# ------------------------------------------------------------------ the four areas

async def test_start_begins_again_from_the_first_question(post: Post, fake: FakeLineApi) -> None:
    await post(follow_event(token="f"))
    await post(text_event("どれもあてはまらない", token="a"))  # now at the second question
    await post(tap("start", token="s"))
    got = texts(fake, "s")
    assert got[0] == "最初からご案内します。" and got[-1].startswith("まず、あなたの安全を確かめさせてください")


async def test_start_for_someone_new_is_the_greeting(post: Post, fake: FakeLineApi) -> None:
    await post(tap("start", token="s"))
    assert texts(fake, "s")[0].startswith("こんにちは。ネットの誹謗中傷")


async def test_open_now_lists_the_windows_open_now_and_leaves_the_consultation(post: Post, fake: FakeLineApi,
                                                                                store: SessionStore) -> None:
    await post(follow_event(token="f"))
    await post(text_event("どれもあてはまらない", token="a"))
    before = await store.get(user_key("line", USER, SOUDAN_SECRET))
    await post(tap("open_now", token="o"))
    got = texts(fake, "o")
    assert got[0].startswith("いま受付中の窓口です（")
    # in the middle of a consultation the question follows again, with its quick replies
    assert got[-2] == "相談の続きは、こちらの質問からどうぞ。"
    assert got[-1].startswith("ありがとうございます。相談するのは、だれですか？")
    last = fake.reply_to("o").json["messages"][-1]
    assert "18歳未満（小・中・高校生）" in [i["action"]["label"] for i in last["quickReply"]["items"]]
    flex = fake.reply_to("o").json["messages"][1]
    bubbles = flex["contents"]["contents"]
    assert flex["type"] == "flex" and 1 <= len(bubbles) <= MAX_OPEN_NOW
    assert "tel:110" not in tels(fake, "o") and "tel:119" not in tels(fake, "o")  # the help-now area has those
    assert "受付中" in json.dumps(bubbles, ensure_ascii=False)
    after = await store.get(user_key("line", USER, SOUDAN_SECRET))
    assert after is not None and before is not None and after.state == before.state


async def test_open_now_for_someone_new_then_the_first_question(post: Post, fake: FakeLineApi) -> None:
    await post(tap("open_now", token="o"))
    got = texts(fake, "o")
    assert got[0].startswith("いま受付中の窓口です（") and got[-1].startswith("まず、あなたの安全を確かめさせてください")
    last = fake.reply_to("o").json["messages"][-1]
    assert last["quickReply"]["items"]  # something to answer: never a dead end


async def test_open_now_of_the_english_menu_for_someone_new_is_in_english(post: Post, fake: FakeLineApi) -> None:
    await post(tap("open_now", "en", token="o"))
    got = texts(fake, "o")
    assert got[0].startswith("Windows open now (") and got[-1].startswith("First, let me check that you are safe")
    assert "受付中" not in json.dumps(fake.reply_to("o").json["messages"][1], ensure_ascii=False)  # Flex in English


@pytest.mark.parametrize("old", [
    {"type": "postback", "data": "m=open-now&l=ja"},
    {"type": "message", "text": "今すぐ助けて"},
], ids=["open-now", "help-now"])
async def test_menus_made_by_earlier_releases_still_work(post: Post, fake: FakeLineApi, old: dict[str, str]) -> None:
    """Menus already set up keep their areas until `soudan line richmenu` runs again."""
    await post(follow_event(token="f"))
    ev = postback_event(old["data"], token="m") if old["type"] == "postback" else text_event(old["text"], token="m")
    await post(ev)
    got = texts(fake, "m")
    if old["type"] == "postback":
        assert got[0].startswith("いま受付中の窓口です（") and got[-2] == "相談の続きは、こちらの質問からどうぞ。"
    else:
        # at the safety question: the emergency result, 110 first, with 119 (one card, not two)
        assert "すぐ110番" in got[0] and tels(fake, "m")[:1] == ["tel:110"] and "tel:119" in tels(fake, "m")


async def test_open_now_twice_by_redelivery_answers_once(post: Post, fake: FakeLineApi) -> None:
    ev = tap("open_now", token="o", eid="01OPENNOWREDELIVERED")
    await post(ev)
    await post(ev)
    assert len(fake.replies) == 1


async def test_help_now_gets_110_first(post: Post, fake: FakeLineApi) -> None:
    await post(follow_event(token="f"))
    await post(tap("help_now", token="h"))
    got = texts(fake, "h")
    assert "すぐ110番" in got[0]  # the emergency result (「いますぐ110番してください」) with 119 on the same card
    assert tels(fake, "h")[0] == "tel:110" and "tel:119" in tels(fake, "h")


async def test_help_now_mid_consultation_then_the_question_again(post: Post, fake: FakeLineApi) -> None:
    await post(follow_event(token="f"))
    await post(text_event("どれもあてはまらない", token="a"))  # now at the second question
    await post(tap("help_now", token="h"))
    got = texts(fake, "h")
    assert "すぐに110番" in got[0] and tels(fake, "h")[0] == "tel:110"
    assert got[-1].startswith("ありがとうございます。相談するのは、だれですか？")
    last = fake.reply_to("h").json["messages"][-1]
    assert "18歳未満（小・中・高校生）" in [i["action"]["label"] for i in last["quickReply"]["items"]]


def test_every_area_is_a_postback_of_an_engine_command() -> None:
    for loc in ("ja", "en"):
        assert [a["action"]["data"] for a in rm.menu_request(loc)["areas"]] == [
            "c=:restart", f"c=:open-now&l={loc}", f"c=:help-now&l={loc}", "c=:help"]


async def test_usage_explains_and_names_data_deletion(post: Post, fake: FakeLineApi) -> None:
    await post(follow_event(token="f"))
    await post(tap("usage", token="u"))
    got = texts(fake, "u")
    assert got[0].startswith("この相談では、質問に答えると") and "「データ削除」記録をすべて消す" in got[0]


async def test_the_english_menu_answers_in_english(post: Post, fake: FakeLineApi) -> None:
    fake.languages[USER] = "en"
    await post(follow_event(token="f"))
    for area in ("usage", "open_now", "help_now", "start"):
        await post(tap(area, "en", token=area))
    assert texts(fake, "usage")[0].startswith("Answer the questions and I will suggest")
    assert texts(fake, "open_now")[0].startswith("Windows open now (")
    assert tels(fake, "help_now")[0] == "tel:110" and "call 110" in texts(fake, "help_now")[0]
    assert texts(fake, "start")[0] == "Starting again from the beginning."


# ------------------------------------------------------------------ per-user menus

def _install(fake: FakeLineApi) -> dict[str, str]:
    """Both menus in the fake, as ``soudan line richmenu`` leaves them (ja the default)."""
    ids = {}
    for loc in ("ja", "en"):
        rid = f"richmenu-{secrets.token_hex(8)}"
        fake.richmenus[rid] = {"richMenuId": rid, **rm.menu_request(loc)}
        fake.richmenu_images[rid] = ("image/png", b"")
        ids[loc] = rid
    fake.default_richmenu = ids["ja"]
    return ids


async def test_an_english_conversation_gets_the_english_menu_and_japanese_the_default(post: Post,
                                                                                      fake: FakeLineApi) -> None:
    ids = _install(fake)
    fake.languages[USER] = "en"
    await post(follow_event(token="f"))
    assert fake.user_richmenus == {USER: ids["en"]}
    assert fake.richmenu_for(USER)["chatBarText"] == "Menu"  # type: ignore[index]
    await post(text_event("日本語", token="j"))
    assert texts(fake, "j")[0] == "日本語で続けます。"
    assert fake.user_richmenus == {} and fake.richmenu_for(USER)["chatBarText"] == "メニュー"  # type: ignore[index]


async def test_a_japanese_conversation_makes_no_rich_menu_call(post: Post, fake: FakeLineApi) -> None:
    _install(fake)
    await post(follow_event(token="f"))
    await post(text_event("どれもあてはまらない", token="a"))
    assert [c.path for c in fake.all_calls if "richmenu" in c.path] == []


async def test_without_an_english_menu_nothing_is_linked_and_the_reply_is_sent(post: Post, fake: FakeLineApi) -> None:
    fake.languages[USER] = "en"
    await post(follow_event(token="f"))
    assert texts(fake, "f")[0].startswith("Hello.") and fake.user_richmenus == {}


# ------------------------------------------------------------------ soudan line richmenu

_render = cache(rm.menu_image)
"""The real renderer, each (locale, font) drawn once per process: every ``soudan line richmenu``
renders both images before anything else (~0.35 s of CPU each: 2500×1686, PNG optimised), and
the same arguments draw the same bytes."""


@pytest.fixture(autouse=True)
def _rendered_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rm, "menu_image", _render)


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLineApi]:
    """A fake Messaging API served from a thread, and the environment pointing the command at it."""
    served = Served()
    fake = FakeLineApi()
    fake.url = served.serve(fake.app())
    monkeypatch.setenv("LINE_API_BASE", fake.url)
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", "test-token")
    yield fake
    served.close()
    assert fake.invalid == [], fake.invalid


def _old(fake: FakeLineApi, name: str) -> str:
    rid = f"richmenu-{secrets.token_hex(8)}"
    fake.richmenus[rid] = {"richMenuId": rid, **rm.menu_request("ja"), "name": name}
    return rid


def test_richmenu_sets_up_both_menus_and_replaces_only_its_own(api: FakeLineApi,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    old, other = _old(api, "soudan-ja-000000000000"), _old(api, "another-tool")
    assert main(["line", "richmenu"]) == 0
    ours = {m["name"][:10]: rid for rid, m in api.richmenus.items() if m["name"].startswith("soudan-")}
    assert sorted(ours) == ["soudan-en-", "soudan-ja-"] and old not in api.richmenus and other in api.richmenus
    assert api.default_richmenu == ours["soudan-ja-"]
    for rid in ours.values():
        ctype, png = api.richmenu_images[rid]
        assert ctype == "image/png" and Image.open(io.BytesIO(png)).size == rm.SIZE
    uploads = [c for c in api.all_calls if c.path.endswith("/content") and c.method == "POST"]
    assert len(uploads) == 2  # through the SDK's blob API
    menus = {api.richmenus[r]["chatBarText"]: api.richmenus[r] for r in ours.values()}
    assert [a["action"]["label"] for a in menus["メニュー"]["areas"]] == [
        "相談をはじめる", "窓口をさがす（いま受付中）", "いますぐ助けが必要", "使い方・データ削除"]
    assert "is the default rich menu" in capsys.readouterr().out
    # again: the menus of the first run are replaced, not added to
    assert main(["line", "richmenu"]) == 0
    assert sorted(m["name"][:10] for m in api.richmenus.values()) == ["another-to", "soudan-en-", "soudan-ja-"]


def test_a_refusal_leaves_the_old_menus_in_place(api: FakeLineApi, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    old = _old(api, "soudan-ja-000000000000")
    api.richmenu_images[old] = ("image/png", b"")
    api.default_richmenu = old
    small = io.BytesIO()
    Image.new("RGB", (100, 100)).save(small, "PNG")
    monkeypatch.setattr(rm, "menu_image", lambda locale, font: small.getvalue())  # not the menu's size
    assert main(["line", "richmenu"]) == 1
    assert "LINE refused: 400" in capsys.readouterr().err
    assert list(api.richmenus) == [old] and api.default_richmenu == old
    api.invalid.clear()  # the refusal was the point


def test_dry_run_writes_the_files_and_calls_nothing(api: FakeLineApi, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["line", "richmenu", "--dry-run", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "richmenu-en.json", "richmenu-en.png", "richmenu-ja.json", "richmenu-ja.png"]
    body = json.loads((tmp_path / "richmenu-ja.json").read_text(encoding="utf-8"))
    assert body["areas"][0]["action"] == {"type": "postback", "label": "相談をはじめる", "data": "c=:restart",
                                          "displayText": "相談をはじめる"}
    assert api.all_calls == []
    assert "ja: soudan-ja-" in capsys.readouterr().out


def test_an_out_folder_that_cannot_be_written_is_a_clear_message(api: FakeLineApi, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    # found by trying: --out naming a file raised FileExistsError as a traceback
    taken = tmp_path / "a-file"
    taken.write_text("x", encoding="utf-8")
    assert main(["line", "richmenu", "--dry-run", "--out", str(taken)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"soudan line richmenu: cannot write into {taken}/:") and "choose another --out" in err
    assert taken.read_text(encoding="utf-8") == "x" and api.all_calls == []


def test_no_access_token_is_a_clear_message(api: FakeLineApi, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", "")
    assert main(["line", "richmenu"]) == 2
    assert "LINE_CHANNEL_ACCESS_TOKEN is not set (use --dry-run" in capsys.readouterr().err
    assert api.all_calls == []


def test_no_japanese_font_is_a_clear_message(monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(rm, "_FONT_CANDIDATES", ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",))
    monkeypatch.setattr("shutil.which", lambda name: None)
    monkeypatch.delenv(rm.FONT_ENV, raising=False)
    assert main(["line", "richmenu", "--dry-run"]) == 2
    assert "apt-get install -y fonts-noto-cjk" in capsys.readouterr().err
    monkeypatch.setenv(rm.FONT_ENV, "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    with pytest.raises(rm.FontNotFound, match="not a font file with Japanese glyphs"):
        rm.find_font()


@pytest.mark.parametrize("locale", ["ja", "en"])
async def test_usage_offers_the_deletion_one_tap_away(post: Post, fake: FakeLineApi, store: SessionStore,
                                                     locale: str) -> None:
    """「使い方・データ削除」 showed the help only: someone who pressed it to delete their data had to
    type 「データ削除」. The help is followed by the question again with one more quick reply,
    「データを消す」, which asks the deletion question (nothing is deleted before 「消す」)."""
    words = {"ja": ("データを消す", "この相談の記録（これまでの答え）をすべて消しますか？", "消す", "やめる"),
             "en": ("Delete my data", "Delete every record this bot keeps", "Delete", "Cancel")}[locale]
    if locale == "en":
        fake.languages[USER] = "en"
    await post(follow_event(token="f"))
    question = linekit.quick_reply_data(fake.reply_to("f").json)
    await post(tap("usage", locale, token="u"))
    chips = linekit.quick_reply_data(fake.reply_to("u").json)
    assert chips[:-1] == question  # the question's own buttons, as before, in their order
    label, data = chips[-1]
    assert label == words[0]
    shown = fake.reply_to("u").json["messages"][-1]["quickReply"]["items"][-1]["action"]["displayText"]
    assert shown == words[0]
    key = user_key("line", USER, SOUDAN_SECRET)
    assert await store.get(key) is not None  # nothing deleted by the help or the chip's offer

    await post(postback_event(data, token="d"))
    assert words[1] in texts(fake, "d")[-1]
    assert [lb for lb, _ in linekit.quick_reply_data(fake.reply_to("d").json)] == [words[2], words[3]]
    assert await store.get(key) is not None  # asked first
    yes = dict(linekit.quick_reply_data(fake.reply_to("d").json))[words[2]]
    await post(postback_event(yes, token="y"))
    assert await store.get(key) is None


async def test_a_typed_number_after_the_usage_still_answers_the_question(post: Post, fake: FakeLineApi) -> None:
    """The offered chip is a button only: 「1」 typed answers the question's first choice."""
    await post(follow_event(token="f"))
    await post(tap("usage", token="u"))
    await post(text_event("1", token="one"))
    assert "すべて消しますか" not in json.dumps(fake.reply_to("one").json, ensure_ascii=False)
    assert texts(fake, "one")[-1] != texts(fake, "f")[-1]  # the safety question answered: the next one
