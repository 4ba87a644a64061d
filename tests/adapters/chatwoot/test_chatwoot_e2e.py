"""Chatwoot end to end: real HTTP webhooks into soudan, real HTTP calls to a local fake of
Chatwoot's API — a new conversation screened to a result, the hand-off with consent, the private
note, status changes, soudan silent while people have the conversation, the time-out, withdrawal,
duplicate and out-of-order webhooks, and bad or unauthenticated webhooks refused with nothing processed."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from tests.adapters.chatwoot.chatwoot_fake import (
    ACCOUNT,
    BOT,
    SECRET,
    Clock,
    FakeChatwoot,
    agent_reply,
    conversation_event,
    incoming,
    submitted,
)

TYPED = "先生には言えない 秘密の話 山田花子 090-1234-5678"


async def hook(client: Any, body: dict[str, Any], secret: str = SECRET) -> int:
    resp = await client.post(f"/chatwoot/webhook/{secret}", data=json.dumps(body, ensure_ascii=False).encode(),
                             headers={"Content-Type": "application/json"})
    await resp.read()
    return int(resp.status)


def last_select(fake: FakeChatwoot, conv: int) -> dict[str, str]:
    msgs = [m for m in fake.public(conv) if m["content_type"] == "input_select"]
    assert msgs, fake.public(conv)
    return {i["title"]: i["value"] for i in msgs[-1]["content_attributes"]["items"]}


async def press(client: Any, fake: FakeChatwoot, conv: int, choice: str, *, status: str = "pending") -> None:
    """Press the option whose value is for ``choice`` (a choice id, or ``:handoff`` style)."""
    items = last_select(fake, conv)
    title = next((t for t, v in items.items() if v.split("|")[0] == choice), None)
    assert title is not None, items
    assert await hook(client, submitted(conv, items[title], title, status=status)) == 200


async def screen_to_result(client: Any, fake: FakeChatwoot, conv: int) -> None:
    assert await hook(client, incoming(conv, TYPED)) == 200
    assert "こんにちは" in fake.public(conv)[0]["content"]
    for choice in ["none", "pupil", "def"]:
        await press(client, fake, conv, choice)
    region = [v.split("|")[0] for v in last_select(fake, conv).values()]
    await press(client, fake, conv, "skip" if "skip" in region else "other")


async def test_screened_to_a_result_then_handed_to_counsellors(client: Any, fake: FakeChatwoot, clock: Clock) -> None:
    conv = 101
    await screen_to_result(client, fake, conv)
    assert "相談員と話す" in last_select(fake, conv)
    await press(client, fake, conv, ":handoff")
    consent = fake.public(conv)[-1]
    assert "あなたが書いた文章は伝えません" in consent["content"] and TYPED not in consent["content"]
    assert fake.notes(conv) == [] and conv not in fake.status          # nothing shared before the second tap
    await press(client, fake, conv, ":handoff-yes")
    [note] = fake.notes(conv)
    assert note.startswith("【soudan 引き継ぎ】") and "緊急度：" in note and "選んだ答え：" in note
    assert TYPED not in note and "山田" not in note
    assert fake.status[conv] == "open"

    # while people have it, soudan is silent
    before = len(fake.public(conv))
    assert await hook(client, incoming(conv, "まだですか？", status="open")) == 200
    assert len(fake.public(conv)) == before
    # a counsellor's reply marks it taken: no time-out later
    assert await hook(client, agent_reply(conv, "相談員の佐藤です。お話を聞かせてください。")) == 200
    assert "相談員の人が対応します" in fake.public(conv)[-1]["content"]
    clock.now += dt.timedelta(hours=2)
    from bot.app import sweep_once

    await sweep_once(client.app)
    assert fake.status[conv] == "open" and len(fake.notes(conv)) == 1
    # resolving it hands the conversation back to the bot
    assert await hook(client, conversation_event("conversation_resolved", conv, "resolved")) == 200
    assert "会話が終わりました" in fake.public(conv)[-1]["content"]
    for call in fake.calls:
        assert TYPED not in json.dumps(call.json, ensure_ascii=False)


async def test_nobody_answering_gives_the_24_hour_lines_and_the_bot_back(client: Any, fake: FakeChatwoot,
                                                                          clock: Clock) -> None:
    from bot.app import sweep_once

    conv = 102
    await screen_to_result(client, fake, conv)
    await press(client, fake, conv, ":handoff")
    await press(client, fake, conv, ":handoff-yes")
    clock.now += dt.timedelta(minutes=11)
    await sweep_once(client.app)
    texts = [m["content"] for m in fake.public(conv)]
    assert any("いま対応できる人がいませんでした" in t for t in texts)
    assert any("よりそいホットライン" in t or "24時間子供SOSダイヤル" in t for t in texts)
    assert "時間内に対応がなかった" in fake.notes(conv)[-1]
    assert fake.status[conv] == "pending"


async def test_withdrawing_while_waiting_reaches_soudan_even_though_the_conversation_is_open(
        client: Any, fake: FakeChatwoot) -> None:
    conv = 103
    await screen_to_result(client, fake, conv)
    await press(client, fake, conv, ":handoff")
    await press(client, fake, conv, ":handoff-yes")
    assert await hook(client, incoming(conv, "やっぱりやめる", status="open")) == 200
    assert "引き継ぎを取り消しました" in fake.public(conv)[-1]["content"]
    assert "取り消しました" in fake.notes(conv)[-1] and fake.status[conv] == "pending"


async def test_duplicates_and_out_of_order_webhooks_are_handled_once(client: Any, fake: FakeChatwoot) -> None:
    conv = 104
    first = incoming(conv, "こんにちは", mid=5000)
    assert await hook(client, first) == 200
    n = len(fake.public(conv))
    assert await hook(client, first) == 200                            # Chatwoot retried the job
    assert len(fake.public(conv)) == n
    assert await hook(client, incoming(conv, "2", mid=5002)) == 200     # picks choice 2
    m = len(fake.public(conv))
    assert await hook(client, incoming(conv, "1", mid=5001)) == 200     # older message, arriving late
    assert len(fake.public(conv)) == m
    items = last_select(fake, conv)
    value = next(iter(items.values()))
    assert await hook(client, submitted(conv, value, next(iter(items)), mid=5003)) == 200
    k = len(fake.public(conv))
    assert await hook(client, submitted(conv, value, next(iter(items)), mid=5003)) == 200   # same press again
    assert len(fake.public(conv)) == k


async def test_bad_and_unauthenticated_webhooks_are_refused_and_nothing_is_processed(client: Any,
                                                                                      fake: FakeChatwoot) -> None:
    conv = 105
    body = incoming(conv, TYPED)
    assert await hook(client, body, secret="wrong-secret-wrong-secret") == 404
    assert await hook(client, body, secret=SECRET[:-1]) == 404
    assert await hook(client, incoming(conv, "hi", account=ACCOUNT + 1)) == 403
    assert await hook(client, incoming(conv, "hi", inbox=999)) == 403
    resp = await client.post(f"/chatwoot/webhook/{SECRET}", data=b"{not json")
    assert resp.status == 400
    resp = await client.post(f"/chatwoot/webhook/{SECRET}", data=json.dumps([1, 2]).encode())
    assert resp.status == 400
    resp = await client.post(f"/chatwoot/webhook/{SECRET}", data=b"x" * (300 * 1024))
    assert resp.status == 413
    assert fake.calls == []
    # the bot's own messages are never answered
    own = incoming(conv, "こんにちは")
    own.update(message_type="outgoing", sender={"id": BOT, "type": "agent_bot"})
    assert await hook(client, own) == 200
    assert fake.calls == []
    metrics = await (await client.get("/metrics")).text()
    assert TYPED not in metrics and SECRET not in metrics


async def test_two_replicas_share_the_handoff_through_the_store(aiohttp_client: Any, fake: FakeChatwoot,
                                                                 clock: Clock) -> None:
    """The hand-off is requested on one replica, the counsellor's reply reaches the other: taken, and
    the first replica's sweep never times it out."""
    from bot.app import create_app, sweep_once
    from bot.settings import ROOT, Settings
    from bot.store.memory import MemoryStore
    from tests import shipped
    from tests.adapters.chatwoot.chatwoot_fake import INBOX, TOKEN

    store = MemoryStore()
    settings = Settings(_env_file=None, SOUDAN_SECRET="s" * 24, SOUDAN_STORE="memory://", SOUDAN_SIMULATOR=False,
                        SOUDAN_TEAMS_FILE=str(ROOT / "deploy/teams.example.yaml"), CHATWOOT_URL=fake.url,
                        CHATWOOT_BOT_TOKEN=TOKEN, CHATWOOT_WEBHOOK_SECRET=SECRET, CHATWOOT_ACCOUNT_ID=ACCOUNT,
                        CHATWOOT_INBOX_ID=INBOX, CHATWOOT_BOT_ID=BOT)
    engine = shipped.engine(settings.teams_file)  # each replica its own app, the same files
    a = await aiohttp_client(create_app(settings, engine=engine, store=store, clock=clock))
    b = await aiohttp_client(create_app(settings, engine=engine, store=store, clock=clock))
    conv = 106
    await screen_to_result(a, fake, conv)
    await press(a, fake, conv, ":handoff")
    await press(a, fake, conv, ":handoff-yes")
    assert await hook(b, agent_reply(conv, "相談員です。")) == 200
    assert "相談員の人が対応します" in fake.public(conv)[-1]["content"]
    clock.now += dt.timedelta(minutes=30)
    await sweep_once(a.app)
    assert not any("いま対応できる人がいませんでした" in m["content"] for m in fake.public(conv))
    assert fake.status[conv] == "open"
