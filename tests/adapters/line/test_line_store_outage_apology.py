"""A store outage on LINE was silent (found by last session's breaker): the webhook answered 500 and
sent nothing, for LINE to redeliver — but webhook redelivery is off by default in LINE's console,
so nothing came back and the person who wrote got no answer at all. ``LINE_REDELIVERY`` says how the
channel is set: off (the default) sends the short apology (try again; 110 and 119) through the reply
token and answers 200; on keeps the 500 and sends nothing, so that the redelivery's reply is the one
reply (exactly once, tests/store/test_faults.py). The real line-bot-sdk against the fake Messaging API."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import CONVERSATIONS_KEY, create_app
from bot.devtools.line_fake import FakeLineApi
from bot.engine.core import Engine
from bot.i18n import t
from bot.settings import Settings
from bot.store import StoreError, open_store
from tests.adapters.line.linekit import WEEKDAY_10, body_of, follow_event, settings_for, sign, text_event

APOLOGY = t("adapters.error", "ja") + "\n\n" + t("adapters.error", "en")


async def _app(aiohttp_client: Any, fake: FakeLineApi, engine: Engine, **extra: Any) -> Any:
    app = create_app(settings_for(fake, **extra), engine=engine, store=open_store("memory://"),
                     clock=lambda: WEEKDAY_10)
    return await aiohttp_client(app)


async def _post(client: Any, *events: dict[str, Any]) -> int:
    body = body_of(*events)
    resp = await client.post("/line/webhook", data=body, headers={"X-Line-Signature": sign(body)})
    await resp.read()
    return int(resp.status)


def _down(client: Any, monkeypatch: Any) -> None:
    async def down(*args: Any, **kw: Any) -> Any:
        raise StoreError("store unreachable (test)")

    monkeypatch.setattr(client.server.app[CONVERSATIONS_KEY].store, "step", down)


@pytest.mark.parametrize("extra", [{}, {"LINE_REDELIVERY": "off"}, {"LINE_REDELIVERY": False}], ids=["default", "off", "false"])
async def test_redelivery_off_a_store_outage_gets_the_apology_with_110_and_119(
        aiohttp_client: Any, fake: FakeLineApi, engine: Engine, monkeypatch: Any, extra: dict[str, Any]) -> None:
    client = await _app(aiohttp_client, fake, engine, **extra)
    _down(client, monkeypatch)
    assert await _post(client, text_event("いじめられてる", token="t-down", eid="01DOWNOFF")) == 200
    sent = fake.reply_to("t-down").json["messages"]
    assert sent == [{"type": "text", "text": APOLOGY}]
    assert "110番" in APOLOGY and "119番" in APOLOGY
    assert fake.pushes == []  # a reply only: no push counted against the quota

    monkeypatch.undo()  # the store is back: the person's next message is answered as usual
    assert await _post(client, text_event("いじめられてる", token="t-next", eid="01DOWNOFF2")) == 200
    assert "こんにちは" in str(fake.reply_to("t-next").json)


async def test_with_the_store_down_a_suicidal_message_gets_the_crisis_card_before_the_apology(
        aiohttp_client: Any, fake: FakeLineApi, monkeypatch: Any) -> None:
    """The breaker (2026-12-02): 「しにたい」 during an outage got the apology (110/119) only; the crisis
    card needs no session, so the 24-hour lines are sent too (the shipped flows and directory)."""
    import json

    from bot.loading import load_engine

    client = await _app(aiohttp_client, fake, load_engine(Settings(_env_file=None)))
    _down(client, monkeypatch)
    assert await _post(client, text_event("しにたい", token="t-crisis", eid="01DOWNCRISIS")) == 200
    sent = fake.reply_to("t-crisis").json["messages"]
    assert "0120-279-338" in json.dumps(sent, ensure_ascii=False)  # よりそいホットライン, directory/support.yaml
    assert sent[-1] == {"type": "text", "text": APOLOGY} and len(sent) <= 5


async def test_redelivery_on_a_store_outage_answers_500_and_the_redelivery_replies_once(
        aiohttp_client: Any, fake: FakeLineApi, engine: Engine, monkeypatch: Any) -> None:
    client = await _app(aiohttp_client, fake, engine, LINE_REDELIVERY="on")
    _down(client, monkeypatch)
    ev = follow_event(token="t-on", eid="01DOWNON")
    assert await _post(client, ev) == 500
    assert fake.calls == []  # nothing sent: the reply token is kept for the redelivery
    monkeypatch.undo()
    assert await _post(client, ev) == 200  # LINE's redelivery
    assert "こんにちは" in str(fake.reply_to("t-on").json)
    assert fake.pushes == [] and len(fake.replies) == 1  # exactly one message: the real reply
    assert await _post(client, ev) == 200
    assert len(fake.replies) == 1


def test_the_setting_reads_on_and_off() -> None:
    def redelivery(**kw: Any) -> bool:
        return Settings(_env_file=None, SOUDAN_SECRET="x", SOUDAN_STORE="memory://", **kw).line_redelivery

    assert redelivery() is False  # LINE's console default
    assert redelivery(LINE_REDELIVERY="on") is True
    assert redelivery(LINE_REDELIVERY="off") is False
