"""The fake Messaging API as a developer meets it: the viewer's feed of what the bot sent, the
viewer page, the send box, the terminal print, and LINE's answers to invalid rich menus."""

from __future__ import annotations

import io
import json
import re
import urllib.error
import urllib.request
from typing import Any

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from linebot.v3.messaging import (
    ApiClient,
    Configuration,
    MessagingApi,
    MessagingApiBlob,
    RichMenuArea,
    RichMenuBounds,
    RichMenuRequest,
    RichMenuSize,
)
from linebot.v3.messaging.exceptions import ApiException
from PIL import Image

from bot.devtools.line_fake import UNKNOWN_USER, FakeLineApi, describe, richmenu_problems


async def send(fake: FakeLineApi, payload: dict[str, Any]) -> int:
    """Post to the viewer's send box; returns the bot's HTTP status as the fake reports it."""
    async with ClientSession() as http, http.post(f"{fake.url}/_viewer/send", json=payload) as resp:
        assert resp.status == 200, await resp.text()
        return int((await resp.json())["status"])


async def feed(fake: FakeLineApi, after: int = 0) -> dict[str, Any]:
    async with ClientSession() as http, http.get(f"{fake.url}/_viewer/feed", params={"after": after}) as resp:
        assert resp.status == 200
        return dict(await resp.json())


async def test_the_send_box_talks_to_the_bot_and_the_feed_shows_both_sides(bot_server: TestServer,
                                                                            fake: FakeLineApi) -> None:
    lines: list[str] = []
    fake.printer = lines.append
    assert await send(fake, {"user": "u1", "follow": True}) == 200
    assert await send(fake, {"user": "u1", "text": "死にたい"}) == 200
    items = (await feed(fake))["items"]
    assert [(i["user"], i["side"], i["kind"]) for i in items] == [
        ("u1", "user", "follow"), ("u1", "bot", "reply"), ("u1", "user", "message"), ("u1", "bot", "reply")]
    assert items[2]["note"] == "死にたい"
    greeting = items[1]["messages"]
    assert greeting[0]["text"].startswith("こんにちは")
    assert next(i["action"]["label"] for i in greeting[-1]["quickReply"]["items"]) == "危険を感じる"
    crisis = items[3]["messages"]
    assert "あなたはひとりではありません" in crisis[0]["text"]
    cards = crisis[1]["contents"]["contents"]
    assert crisis[1]["type"] == "flex" and any("tel:0120279338" in str(c) for c in cards)
    # the terminal print: who, what, the Flex card texts and buttons, the chips
    printed = "\n".join(lines)
    assert "bot → u1 (reply): こんにちは" in printed
    assert "[危険を感じる]" in printed
    assert "よりそいホットライン" in printed and "<電話 0120-279-338> tel:0120279338" in printed
    # the feed is incremental
    later = await feed(fake, after=items[-1]["seq"])
    assert later["items"] == [] and later["canSend"] is True


async def test_a_quick_reply_tap_from_the_viewer_moves_the_conversation_on(bot_server: TestServer,
                                                                           fake: FakeLineApi) -> None:
    await send(fake, {"user": "u9", "follow": True})
    chips = (await feed(fake))["items"][-1]["messages"][-1]["quickReply"]["items"]
    none = next(c["action"] for c in chips if c["action"]["label"] == "どれもあてはまらない")
    assert await send(fake, {"user": "u9", "data": none["data"], "label": none["displayText"]}) == 200
    items = (await feed(fake))["items"]
    assert items[-2]["side"] == "user" and items[-2]["note"] == "どれもあてはまらない"
    assert items[-1]["messages"][-1]["text"] == "ありがとうございます。相談するのは、だれですか？"


async def test_replies_are_filed_under_the_user_of_the_reply_token_or_none(fake: FakeLineApi) -> None:
    cfg = Configuration(host=fake.url, access_token="t")
    async with ClientSession() as http:
        ev = {"destination": "U", "events": [{"type": "message", "replyToken": "tok-1",
                                             "source": {"type": "user", "userId": "u5"}, "message": {"text": "x"}}]}
        async with http.post(f"{fake.url}/_dev/events", json=ev) as resp:
            assert resp.status == 200
        for token in ("tok-1", "tok-unknown"):
            body = {"replyToken": token, "messages": [{"type": "text", "text": "はい"}]}
            async with http.post(f"{cfg.host}/v2/bot/message/reply", json=body,
                                 headers={"Authorization": "Bearer t"}) as resp:
                assert resp.status == 200
    bot = [i for i in (await feed(fake))["items"] if i["side"] == "bot"]
    assert [i["user"] for i in bot] == ["u5", None]


async def test_a_reply_to_an_event_signed_by_hand_says_why_its_user_is_unknown(fake: FakeLineApi) -> None:
    """The terminal printed 「bot → ?」 and the viewer showed nothing for a reply to an event signed
    by hand (not sent by `soudan line send`): LINE's reply call names no user. Now both say so and
    how to see the user (POST the body to /_dev/events too), and that way it is filed under them."""
    lines: list[str] = []
    fake.printer = lines.append
    async with ClientSession() as http:
        for token in ("tok-hand", "tok-shown"):
            if token == "tok-shown":
                ev = {"destination": "U", "events": [{"type": "message", "replyToken": token,
                                                     "source": {"type": "user", "userId": "u7"}, "message": {"text": "x"}}]}
                async with http.post(f"{fake.url}/_dev/events", json=ev) as resp:
                    assert resp.status == 200
            body = {"replyToken": token, "messages": [{"type": "text", "text": "こんにちは"}]}
            async with http.post(f"{fake.url}/v2/bot/message/reply", json=body,
                                 headers={"Authorization": "Bearer t"}) as resp:
                assert resp.status == 200
    bot = [i for i in (await feed(fake))["items"] if i["side"] == "bot"]
    assert [(i["user"], i["note"]) for i in bot] == [(None, UNKNOWN_USER), ("u7", "")]
    assert "names no user" in UNKNOWN_USER and "soudan line send" in UNKNOWN_USER and "/_dev/events" in UNKNOWN_USER
    printed = "\n".join(lines)
    assert "bot → ? (reply): こんにちは" in printed and f"(? {UNKNOWN_USER})" in printed
    assert "bot → u7 (reply): こんにちは" in printed and printed.count("user unknown") == 1


async def test_an_invalid_reply_is_refused_and_shown_in_red(fake: FakeLineApi) -> None:
    body = {"replyToken": "t", "messages": [{"type": "text", "text": "x" * 5001}]}
    async with ClientSession() as http, http.post(f"{fake.url}/v2/bot/message/reply", json=body,
                                                  headers={"Authorization": "Bearer t"}) as resp:
        assert resp.status == 400
    refused = (await feed(fake))["items"][-1]
    assert refused["kind"] == "refused" and "over 5000" in refused["note"]
    fake.invalid.clear()  # expected here


async def test_the_viewer_page_needs_nothing_from_the_internet(fake: FakeLineApi) -> None:
    async with ClientSession() as http, http.get(f"{fake.url}/") as resp:
        assert resp.status == 200 and resp.content_type == "text/html"
        html = await resp.text()
        assert "default-src 'self'" in resp.headers["Content-Security-Policy"]
    assert "/_viewer/feed" in html and "quickReply" in html and "carousel" in html
    assert re.findall(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html) == []


def test_describe_prints_texts_cards_and_chips() -> None:
    msgs = [{"type": "text", "text": "一行目\n二行目", "quickReply": {"items": [
        {"type": "action", "action": {"type": "postback", "label": "はい", "data": "c=yes"}}]}},
        {"type": "flex", "altText": "窓口", "contents": {"type": "bubble", "body": {"type": "box", "layout": "vertical",
         "contents": [{"type": "text", "text": "窓口A"}]}, "footer": {"type": "box", "layout": "vertical", "contents": [
             {"type": "button", "action": {"type": "uri", "label": "電話 110", "uri": "tel:110"}}]}}}]
    assert describe(msgs) == ["一行目", "二行目", "  [はい]", "[Flex] 窓口", "    窓口A", "    <電話 110> tel:110"]


# ------------------------------------------------------------------ rich menus, through the real SDK

def _png(w: int, h: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (w, h), "white").save(out, "PNG")
    return out.getvalue()


def _menu(**kw: Any) -> RichMenuRequest:
    values: dict[str, Any] = {
        "size": RichMenuSize(width=2500, height=843), "selected": True, "name": "test", "chatBarText": "メニュー",
        "areas": [RichMenuArea(bounds=RichMenuBounds(x=0, y=0, width=1250, height=843),
                               action={"type": "postback", "data": "c=:restart", "label": "はじめる"})]}
    values.update(kw)
    return RichMenuRequest(**values)


def test_a_valid_menu_is_created_uploaded_made_default_and_listed(fake_sync: FakeLineApi) -> None:
    with ApiClient(Configuration(host=fake_sync.url, access_token="t")) as client:
        api, blob = MessagingApi(client), MessagingApiBlob(client)
        rid = api.create_rich_menu(_menu()).rich_menu_id
        with pytest.raises(ApiException) as no_image:
            api.set_default_rich_menu(rid)  # LINE: the image first
        assert no_image.value.status == 400
        blob.set_rich_menu_image(rid, _png(2500, 843), _headers={"Content-Type": "image/png"})
        api.set_default_rich_menu(rid)
        assert [m.name for m in api.get_rich_menu_list().richmenus] == ["test"]
        api.link_rich_menu_id_to_user("u1", rid)
        assert api.get_rich_menu_id_of_user("u1").rich_menu_id == rid
    assert fake_sync.default_richmenu == rid and fake_sync.richmenu_for("u2") == fake_sync.richmenus[rid]
    paths = [(c.method, c.path) for c in fake_sync.all_calls]
    assert ("POST", f"/v2/bot/richmenu/{rid}/content") in paths and ("GET", "/v2/bot/richmenu/list") in paths


def _post_json(url: str, body: Any) -> tuple[int, str]:
    """POST raw JSON (a body the SDK's own models would refuse to build)."""
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json", "Authorization": "Bearer t"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


AREA = {"bounds": {"x": 0, "y": 0, "width": 1250, "height": 843}, "action": {"type": "postback", "data": "c=:help"}}


@pytest.mark.parametrize(("change", "why"), [
    ({"chatBarText": "とても長いメニューのバーの文字です"}, "chatBarText"),
    ({"size": {"width": 2500, "height": 2500}}, "width/height at least 1.45"),
    ({"areas": [{**AREA, "bounds": {"x": 2000, "y": 0, "width": 1250, "height": 843}}]}, "outside the 2500x843 image"),
    ({"areas": [{**AREA, "action": {"type": "postback", "data": "x" * 301}}]}, "data"),
    ({"areas": []}, "areas"),
    ({"areas": [AREA] * 21}, "areas"),
    ({"selected": "yes"}, "selected"),
])
def test_an_invalid_menu_gets_400_with_the_reason(fake_sync: FakeLineApi, change: dict[str, Any], why: str) -> None:
    body = {**_menu().to_dict(), **change}
    status, text = _post_json(f"{fake_sync.url}/v2/bot/richmenu", body)
    assert status == 400 and why in text, text
    assert fake_sync.richmenus == {}
    fake_sync.invalid.clear()


def test_an_action_the_sdk_does_not_know_is_refused_by_the_sdk_model() -> None:
    body = _menu().to_dict()
    body["areas"][0]["action"] = {"type": "teleport"}
    assert richmenu_problems(body)[0].startswith("SDK model RichMenuRequest")


@pytest.mark.parametrize(("image", "ctype", "why"), [
    (_png(2500, 1686), "image/png", "the rich menu is 2500x843"),
    (_png(2500, 843), "image/jpeg", "does not match Content-Type"),
    (b"not an image", "image/png", "not a readable image"),
    (_png(2500, 843), "image/gif", "must be image/png or image/jpeg"),
])
def test_a_wrong_image_gets_400(fake_sync: FakeLineApi, image: bytes, ctype: str, why: str) -> None:
    with ApiClient(Configuration(host=fake_sync.url, access_token="t")) as client:
        rid = MessagingApi(client).create_rich_menu(_menu()).rich_menu_id
        with pytest.raises(ApiException) as refused:
            MessagingApiBlob(client).set_rich_menu_image(rid, image, _headers={"Content-Type": ctype})
    assert refused.value.status == 400 and why in str(refused.value.body)
    assert rid not in fake_sync.richmenu_images
    fake_sync.invalid.clear()


async def test_odd_bodies_get_400_or_are_shown_not_500(fake: FakeLineApi) -> None:
    # found by trying: a reply body that is a JSON list, and a shown event whose message is a list,
    # were 500 Internal Server Error from the fake
    async with ClientSession() as http:
        for path in ("/v2/bot/message/reply", "/v2/bot/message/push"):
            async with http.post(f"{fake.url}{path}", json=[1], headers={"Authorization": "Bearer t"}) as resp:
                assert resp.status == 400 and "must be a JSON object" in (await resp.json())["message"]
        ev = {"destination": "U", "events": [
            {"type": "message", "source": {"type": "user", "userId": "u7"}, "replyToken": 5, "message": [1]},
            {"type": "postback", "source": {"type": "user", "userId": "u7"}, "postback": "c=x"}]}
        async with http.post(f"{fake.url}/_dev/events", json=ev) as resp:
            assert resp.status == 200
    shown = [(i["user"], i["kind"], i["note"]) for i in (await feed(fake))["items"]]
    assert shown == [("u7", "message", ""), ("u7", "postback", "")]
