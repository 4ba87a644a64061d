"""「データを消してほしい」 on LINE (tests/engine/test_forget_asks_first.py for the engine): the question
「この相談の記録…をすべて消しますか？」 comes with the quick replies 「消す」「やめる」, whose postbacks
delete — or keep the consultation — through the real line-bot-sdk against the fake Messaging API."""

from __future__ import annotations

import json
from typing import Any

from aiohttp.test_utils import TestClient

from bot.app import CONVERSATIONS_KEY
from bot.devtools.line_fake import FakeLineApi
from tests.adapters.line.linekit import USER, Post, follow_event, postback_event, text_event


def quick(fake: FakeLineApi, token: str) -> dict[str, str]:
    """label → postback data of the last message's quick replies."""
    items = fake.reply_to(token).json["messages"][-1]["quickReply"]["items"]
    return {i["action"]["label"]: i["action"]["data"] for i in items}


def said(fake: FakeLineApi, token: str) -> str:
    return json.dumps(fake.reply_to(token).json["messages"], ensure_ascii=False)


async def test_the_deletion_is_asked_first_and_the_buttons_work(post: Post, fake: FakeLineApi,
                                                                client: TestClient[Any, Any]) -> None:
    store = client.app[CONVERSATIONS_KEY]
    key = store.key("line", USER)
    assert (await post(follow_event(token="f"))).status == 200
    assert (await post(text_event("データを消してほしい", token="d1"))).status == 200
    assert "すべて消しますか" in said(fake, "d1") and "削除しました" not in said(fake, "d1")
    buttons = quick(fake, "d1")
    assert list(buttons) == ["消す", "やめる"]
    assert await store.store.get(key) is not None

    assert (await post(postback_event(buttons["やめる"], token="d2"))).status == 200
    assert "記録は消していません" in said(fake, "d2") and await store.store.get(key) is not None

    assert (await post(text_event("データ削除", token="d3"))).status == 200
    assert (await post(postback_event(quick(fake, "d3")["消す"], token="d4"))).status == 200
    assert "この相談の記録をすべて削除しました" in said(fake, "d4")
    assert await store.store.get(key) is None
