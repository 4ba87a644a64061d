"""A whole consultation over the webhook, from follow to referral, checked on the exact JSON that the
real line-bot-sdk sent to the fake Messaging API."""

from __future__ import annotations

from typing import Any

from bot.adapters.line.flex import _status_line
from bot.devtools.line_fake import FakeLineApi
from bot.engine.core import Engine
from bot.store import SessionStore
from bot.store.base import user_key
from tests.adapters.line.linekit import (
    ACCESS_TOKEN,
    USER,
    WEEKDAY_10,
    Post,
    follow_event,
    postback_event,
    quick_reply_data,
    text_event,
)

WELCOME = ("こんにちは。ネットの誹謗中傷や嫌がらせなどについて、相談できる窓口をご案内します。"
           "いくつか質問にお答えください。いつでも「最初から」「戻る」「ヘルプ」「終了」と送れます。")


def _pb(label: str, data: str, shown: str | None = None) -> dict[str, Any]:
    return {"type": "action", "action": {"type": "postback", "label": label, "data": data,
                                         "displayText": shown or label}}


def _status(engine: Engine, contact_id: str) -> str | None:
    from bot.engine.types import ContactView

    c = engine.directory.get(contact_id)
    assert c is not None
    return _status_line(ContactView(c, engine.directory.status(c, WEEKDAY_10)), "ja")


async def test_follow_to_referral(post: Post, fake: FakeLineApi, engine: Engine, store: SessionStore) -> None:
    # follow → greeting and the first question with quick-reply buttons
    assert (await post(follow_event(token="tok-follow"))).status == 200
    call = fake.reply_to("tok-follow")
    assert call.header("Authorization") == f"Bearer {ACCESS_TOKEN}"
    v = quick_reply_data(call.json)[0][1].split("v=")[1]
    assert call.json == {
        "replyToken": "tok-follow",
        "notificationDisabled": False,
        "messages": [
            {"type": "text", "text": WELCOME},
            {"type": "text", "text": "いま、身の危険を感じていますか？",
             "quickReply": {"items": [_pb("はい、危険を感じる", f"c=danger&s=safety&v={v}"),
                                      _pb("いいえ", f"c=safe&s=safety&v={v}")]}},
        ],
    }

    # "いいえ" pressed → next question
    assert (await post(postback_event(f"c=safe&s=safety&v={v}", token="tok-2"))).status == 200
    assert fake.reply_to("tok-2").json == {
        "replyToken": "tok-2",
        "notificationDisabled": False,
        "messages": [
            {"type": "text", "text": "あなたについて教えてください。",
             "quickReply": {"items": [_pb("小・中・高校生", f"c=pupil&s=who&v={v}"),
                                      _pb("18歳以上", f"c=adult&s=who&v={v}")]}},
        ],
    }

    # typed answer (free text) works too
    assert (await post(text_event("中学生です", token="tok-3"))).status == 200
    # a label over 20 characters: numbered list in the text, buttons "1".."n" with the full label shown
    assert fake.reply_to("tok-3").json == {
        "replyToken": "tok-3",
        "notificationDisabled": False,
        "messages": [
            {"type": "text", "text": "「小・中・高校生」として進めます。違っていたら「戻る」と送ってください。"},
            {"type": "text",
             "text": "どんなことが起きていますか？\n\n1. 住所や写真を晒された\n"
                     "2. SNSで何か月も悪口を書かれ続けていて、学校にも行きづらい\n\n番号を送って答えることもできます。",
             "quickReply": {"items": [_pb("1", f"c=doxx&s=what&v={v}", "住所や写真を晒された"),
                                      _pb("2", f"c=long&s=what&v={v}",
                                          "SNSで何か月も悪口を書かれ続けていて、学校にも行きづらい")]}},
        ],
    }

    # "1" pressed → referral: lead text, Flex carousel of windows, steps, what next (quick reply)
    assert (await post(postback_event(f"c=doxx&s=what&v={v}", token="tok-4"))).status == 200
    manual = "「#」で始まる番号は、電話アプリで番号を入力して発信してください（ボタンが使えない機種があります）。"
    assert fake.reply_to("tok-4").json == {
        "replyToken": "tok-4",
        "notificationDisabled": False,
        "messages": [
            {"type": "text", "text": "学生の相談先です。"},
            {"type": "flex",
             "altText": "相談窓口: 平日の相談窓口 0570-003-110 / 警察相談専用電話 #9110 03-3501-0110",
             "contents": {"type": "carousel", "contents": [
                 {"type": "bubble", "size": "kilo",
                  "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": [
                      {"type": "text", "text": "平日の相談窓口", "size": "md", "weight": "bold", "wrap": True},
                      {"type": "text", "text": "テスト機関", "size": "xs", "color": "#888888", "wrap": True},
                      {"type": "text", "text": _status(engine, "day_line"), "size": "sm", "color": "#1B7F3B",
                       "weight": "bold", "wrap": True},
                      {"type": "text", "text": "平日 9:00〜17:00", "size": "xs", "color": "#555555", "wrap": True},
                      {"type": "separator", "margin": "md"},
                      {"type": "text", "text": "☎ 0570-003-110（ナビダイヤル・通話料有料）", "size": "sm",
                       "wrap": True, "margin": "sm"},
                  ]},
                  "footer": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": [
                      {"type": "button", "style": "primary", "height": "sm",
                       "action": {"type": "uri", "label": "電話 0570-003-110", "uri": "tel:0570003110"}},
                      {"type": "button", "style": "link", "height": "sm",
                       "action": {"type": "uri", "label": "相談フォーム", "uri": "https://example.org/day/form"}},
                  ]}},
                 {"type": "bubble", "size": "kilo",
                  "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": [
                      {"type": "text", "text": "警察相談専用電話", "size": "md", "weight": "bold", "wrap": True},
                      {"type": "text", "text": "都道府県警察", "size": "xs", "color": "#888888", "wrap": True},
                      {"type": "text", "text": _status(engine, "police_9110"), "size": "sm", "color": "#1B7F3B",
                       "weight": "bold", "wrap": True},
                      {"type": "text", "text": "平日 8:30〜17:15", "size": "xs", "color": "#555555", "wrap": True},
                      {"type": "separator", "margin": "md"},
                      {"type": "text", "text": "☎ #9110（全国共通）", "size": "sm", "wrap": True, "margin": "sm"},
                      {"type": "text", "text": "☎ 03-3501-0110（東京都）", "size": "sm", "wrap": True,
                       "margin": "sm"},
                      {"type": "text", "text": manual, "size": "xxs", "color": "#888888", "wrap": True},
                  ]},
                  "footer": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": [
                      {"type": "button", "style": "primary", "height": "sm",
                       "action": {"type": "uri", "label": "電話 #9110", "uri": "tel:%239110"}},
                      {"type": "button", "style": "secondary", "height": "sm",
                       "action": {"type": "uri", "label": "電話 03-3501-0110", "uri": "tel:0335010110"}},
                      {"type": "button", "style": "link", "height": "sm",
                       "action": {"type": "uri", "label": "ウェブサイト", "uri": "https://example.org/9110"}},
                  ]}},
             ]}},
            {"type": "text", "text": "これからできること\n1. 画面を保存しましょう。"},
            {"type": "text", "text": "ほかにできることはありますか？",
             "quickReply": {"items": [_pb("ひとつ戻る", f"c=:back&s=doxx-pupil&v={v}"),
                                      _pb("最初から相談する", f"c=:restart&s=doxx-pupil&v={v}"),
                                      _pb("終了する", f"c=:stop&s=doxx-pupil&v={v}")]}},
        ],
    }
    assert len(fake.calls) == 4
    session = await store.get(user_key("line", USER, "test-soudan-secret"))
    assert session is not None and session.state == "doxx-pupil" and session.slots == {"who": "pupil"}


async def test_stale_button_reshows_the_current_question(post: Post, fake: FakeLineApi) -> None:
    await post(follow_event(token="f"))
    old = quick_reply_data(fake.reply_to("f").json)
    await post(postback_event(old[1][1], token="a"))  # いいえ → who
    await post(postback_event(old[0][1], token="b"))  # the old "はい" again: stale, no jump
    msgs = fake.reply_to("b").json["messages"]
    assert msgs[0]["text"] == "このボタンは前の質問のものです。今の質問にお答えください。"
    assert msgs[-1]["text"] == "あなたについて教えてください。"


async def test_crisis_words_interrupt_with_emergency_cards(post: Post, fake: FakeLineApi) -> None:
    await post(follow_event(token="f"))
    await post(text_event("もう死にたい", token="c"))
    msgs = fake.reply_to("c").json["messages"]
    assert len(msgs) <= 5
    flex = [m for m in msgs if m["type"] == "flex"]
    assert len(flex) == 1
    assert "110" in flex[0]["altText"] and "0120-279-338" in flex[0]["altText"]
    uris = [b["action"]["uri"] for bub in flex[0]["contents"]["contents"] for b in bub["footer"]["contents"]]
    assert "tel:110" in uris and "tel:0120279338" in uris
    assert "quickReply" in msgs[-1]


async def test_unsupported_message_kinds_get_a_kind_reply_that_reasks(post: Post, fake: FakeLineApi) -> None:
    from tests.adapters.line.linekit import message_event

    await post(follow_event(token="f"))
    for kind in ("sticker", "image", "video", "audio", "location", "file"):
        await post(message_event(kind, token=f"k-{kind}"))
        msgs = fake.reply_to(f"k-{kind}").json["messages"]
        assert msgs[0]["text"].startswith("スタンプ・画像・ファイルなどは読み取れません"), kind
        assert msgs[-1]["text"] == "いま、身の危険を感じていますか？"
        assert len(msgs[-1]["quickReply"]["items"]) == 2
