"""Crisis words in a LINE group (trial 2026-12-02, F6): 「このグループで晒されてる、しにたい」 got only the
1:1 invitation and 「いま危険なときは110番へ」 — no 24-hour line, no 119. Groups are still not screened
(no session, nothing kept); a message with crisis words gets the crisis card with the invitation."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from bot.app import create_app
from bot.devtools.line_fake import FakeLineApi
from bot.loading import load_engine
from bot.settings import Settings
from bot.store import open_store
from bot.timeutil import JST
from tests.adapters.line.linekit import body_of, settings_for, sign, text_event

NIGHT = dt.datetime(2026, 12, 6, 23, 0, tzinfo=JST)  # a Sunday, 23:00
GROUP = {"type": "group", "groupId": "Cgroup-crisis", "userId": "U" + "a" * 32}
INVITE = "グループやトークルームでは相談をお受けしていません。"


async def _client(aiohttp_client: Any, fake: FakeLineApi) -> tuple[Any, Any]:
    store = open_store("memory://")
    app = create_app(settings_for(fake), engine=load_engine(Settings(_env_file=None)), store=store,
                     clock=lambda: NIGHT)
    return await aiohttp_client(app), store


async def _send(client: Any, ev: dict[str, Any]) -> None:
    body = body_of(ev)
    assert (await client.post("/line/webhook", data=body, headers={"X-Line-Signature": sign(body)})).status == 200


async def test_suicidal_words_in_a_group_get_the_24_hour_lines_and_the_invitation(aiohttp_client: Any,
                                                                                  fake: FakeLineApi) -> None:
    client, store = await _client(aiohttp_client, fake)
    await _send(client, text_event("このグループで晒されてる、しにたい", source=GROUP, token="g1"))
    msgs = fake.reply_to("g1").json["messages"]
    wire = json.dumps(msgs, ensure_ascii=False)
    assert "0120-279-338" in wire  # よりそいホットライン (24 h), directory/support.yaml
    assert "119" in wire and "110" in wire
    assert msgs[-1]["text"].startswith(INVITE)
    assert len(msgs) <= 5 and fake.pushes == []
    # the invitation was already sent: an ordinary message is silent; more crisis words within 10
    # minutes too (a group flooded with cards removes the bot); another group gets its own card
    await _send(client, text_event("おはよう", source=GROUP, token="g2"))
    await _send(client, text_event("もう死にたい", source=GROUP, token="g3"))
    assert [c for c in fake.calls if c.json.get("replyToken") in ("g2", "g3")] == []
    await _send(client, text_event("もう死にたい", source={**GROUP, "groupId": "Cother"}, token="g4"))
    assert "0120-279-338" in json.dumps(fake.reply_to("g4").json, ensure_ascii=False)
    assert await store.count() == 0  # nobody in a group is screened or kept


async def test_with_the_store_down_a_group_still_gets_the_crisis_card(aiohttp_client: Any, fake: FakeLineApi,
                                                                      monkeypatch: Any) -> None:
    """The breaker (2026-12-02): the group's card needs no session, yet it failed on the store's
    event mark and the webhook answered 500 with nothing sent."""
    from bot.store import StoreError

    client, store = await _client(aiohttp_client, fake)

    async def down(*args: Any, **kw: Any) -> Any:
        raise StoreError("store unreachable (test)")

    monkeypatch.setattr(store, "mark_event", down)
    await _send(client, text_event("しにたい", source=GROUP, token="s1"))
    msgs = fake.reply_to("s1").json["messages"]
    assert "0120-279-338" in json.dumps(msgs, ensure_ascii=False) and msgs[-1]["text"].startswith(INVITE)


async def test_a_threat_in_a_group_gets_110_first(aiohttp_client: Any, fake: FakeLineApi) -> None:
    client, _ = await _client(aiohttp_client, fake)
    await _send(client, text_event("殺すって言われた", source=GROUP, token="d1"))
    wire = json.dumps(fake.reply_to("d1").json["messages"], ensure_ascii=False)
    assert wire.index("110") < wire.index(INVITE)


async def test_an_ordinary_group_message_still_gets_only_the_invitation(aiohttp_client: Any,
                                                                        fake: FakeLineApi) -> None:
    client, _ = await _client(aiohttp_client, fake)
    await _send(client, text_event("死ぬほど笑った", source=GROUP, token="o1"))  # an idiom, not a crisis
    msgs = fake.reply_to("o1").json["messages"]
    assert len(msgs) == 1 and msgs[0]["text"].startswith(INVITE)
