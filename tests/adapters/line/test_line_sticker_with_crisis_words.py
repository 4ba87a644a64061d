"""A LINE sticker that says 「死にたい」 got 「スタンプ・画像・ファイルなどは読み取れません」.

A sticker carries words: LINE sends its ``keywords`` and, for a message sticker, the ``text`` the
person typed into it (up to 100 characters). Those words are read for crisis words only: a sticker
that carries them gets the crisis card, as the same words typed would (the conversation goes on
where it was, and nothing of the words is kept); every other sticker gets the reply it gets today
(its keywords are never read as an answer). In a group, the group's crisis card with the
invitation; during a store outage, the card before the apology. The shipped flows and directory,
the real line-bot-sdk against the fake Messaging API.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.app import CONVERSATIONS_KEY, create_app
from bot.devtools.line_fake import FakeLineApi
from bot.engine.core import Engine
from bot.i18n import t
from bot.store import StoreError, open_store
from tests.adapters.line.linekit import (
    WEEKDAY_10,
    body_of,
    follow_event,
    message_event,
    settings_for,
    sign,
    text_event,
)

YORISOI = "0120-279-338"  # よりそいホットライン (24 h), directory/support.yaml
UNSUPPORTED = t("engine.unsupported", "ja")
APOLOGY = t("adapters.error", "ja") + "\n\n" + t("adapters.error", "en")
GROUP = {"type": "group", "groupId": "Cgroup-sticker", "userId": "U" + "c" * 32}
INVITE = "グループやトークルームでは相談をお受けしていません。"


def sticker(*, token: str, keywords: list[str] | None = None, text: str | None = None,
            source: dict[str, Any] | None = None) -> dict[str, Any]:
    ev = message_event("sticker", token=token)
    if keywords is not None:
        ev["message"]["keywords"] = keywords
    if text is not None:
        ev["message"].update(text=text, stickerResourceType="MESSAGE")
    if source is not None:
        ev["source"] = source
    return ev


@pytest.fixture
async def app(aiohttp_client: Any, fake: FakeLineApi, shipped_engine: Engine) -> Any:
    return await aiohttp_client(create_app(settings_for(fake), engine=shipped_engine, store=open_store("memory://"),
                                           clock=lambda: WEEKDAY_10))


async def _post(client: Any, *events: dict[str, Any]) -> int:
    body = body_of(*events)
    resp = await client.post("/line/webhook", data=body, headers={"X-Line-Signature": sign(body)})
    await resp.read()
    return int(resp.status)


def _wire(fake: FakeLineApi, token: str) -> tuple[list[dict[str, Any]], str]:
    msgs = fake.reply_to(token).json["messages"]
    return msgs, json.dumps(msgs, ensure_ascii=False)


def _shown(msgs: list[dict[str, Any]]) -> list[Any]:
    """What a person sees of the messages: texts, cards' alt texts, the quick-reply labels."""
    return [(m.get("text") or m.get("altText"), [i["action"]["label"] for i in m.get("quickReply", {}).get("items", [])])
            for m in msgs]


@pytest.mark.parametrize("words,typed", [({"text": "もう死にたい"}, "もう死にたい"),
                                         ({"keywords": ["つらい", "消えたい"]}, "消えたい"),
                                         ({"keywords": ["Sad", "しにたい"], "text": "おやすみ"}, "しにたい")],
                         ids=["message-sticker-text", "keywords", "one-keyword"])
async def test_a_sticker_with_crisis_words_gets_the_crisis_card(app: Any, fake: FakeLineApi,
                                                                words: dict[str, Any], typed: str) -> None:
    other = "U" + "d" * 32
    assert await _post(app, follow_event(token="f"), follow_event(token="f2", user=other)) == 200
    assert await _post(app, sticker(token="s", **words)) == 200
    msgs, wire = _wire(fake, "s")
    assert YORISOI in wire and "119" in wire
    assert UNSUPPORTED not in wire
    assert len(msgs) <= 5 and fake.pushes == []
    # what the same words typed at the same question get (the conversation goes on from there)
    assert await _post(app, text_event(typed, token="t", user=other)) == 200
    assert _shown(msgs) == _shown(fake.reply_to("t").json["messages"])


@pytest.mark.parametrize("words", [{}, {"keywords": ["Love You", "Love"], "text": "Just sticker"},
                                   {"keywords": ["はい", "OK", "1"]}, {"keywords": ["死ぬほど笑った"]}],
                         ids=["no-words", "lines-sample", "answer-like", "idiom"])
async def test_other_stickers_get_the_reply_they_got_before(app: Any, fake: FakeLineApi,
                                                            words: dict[str, Any]) -> None:
    assert await _post(app, follow_event(token="f")) == 200
    first_question = fake.reply_to("f").json["messages"][-1]["text"]
    assert await _post(app, sticker(token="s", **words)) == 200
    msgs, wire = _wire(fake, "s")
    assert msgs[0]["text"] == UNSUPPORTED and msgs[-1]["text"] == first_question
    assert YORISOI not in wire


async def test_a_first_message_that_is_such_a_sticker_gets_the_card_too(app: Any, fake: FakeLineApi) -> None:
    assert await _post(app, sticker(token="s", text="死にたい")) == 200
    assert YORISOI in _wire(fake, "s")[1]


async def test_an_older_sticker_payload_the_sdk_cannot_read_still_gets_the_card(app: Any, fake: FakeLineApi) -> None:
    """No ``quoteToken`` nor ``stickerResourceType`` (LINE's older bodies): the SDK's model refuses
    it; the words are read from the JSON."""
    ev = sticker(token="s", keywords=["消えたい"])
    del ev["message"]["quoteToken"], ev["message"]["stickerResourceType"]
    assert await _post(app, ev) == 200
    assert YORISOI in _wire(fake, "s")[1]


async def test_in_a_group_such_a_sticker_gets_the_groups_crisis_card(app: Any, fake: FakeLineApi) -> None:
    assert await _post(app, sticker(token="g", keywords=["死にたい"], source=GROUP)) == 200
    msgs, wire = _wire(fake, "g")
    assert YORISOI in wire and msgs[-1]["text"].startswith(INVITE)
    assert await app.server.app[CONVERSATIONS_KEY].store.count() == 0  # nobody in a group is kept


async def test_during_a_store_outage_such_a_sticker_gets_the_card_before_the_apology(
        app: Any, fake: FakeLineApi, monkeypatch: pytest.MonkeyPatch) -> None:
    async def down(*args: Any, **kw: Any) -> Any:
        raise StoreError("store unreachable (test)")

    monkeypatch.setattr(app.server.app[CONVERSATIONS_KEY].store, "step", down)
    assert await _post(app, sticker(token="s", text="死にたい")) == 200
    msgs, wire = _wire(fake, "s")
    assert YORISOI in wire and msgs[-1] == {"type": "text", "text": APOLOGY}
