"""The browser simulator during a store outage (found by last session's breaker): ``POST /api/chat``
answered HTTP 500 {"error": "internal error; the server log has the details"} and the page showed
「エラー / error: internal error…」 — nothing to tell a person in distress where to turn. It now answers
503 with the apology every adapter sends (``adapters.error``: try again, 110 and 119) as a reply, and
nothing is lost: the stored conversation is where it was and the same message, sent again once the
store is back, goes on from there."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import STORE_KEY
from bot.i18n import t
from bot.store.base import StoreError, StoreUnavailable
from tests.web.test_api import chat


@pytest.fixture
async def client(aiohttp_client: Any, sim_app: Any) -> Any:
    return await aiohttp_client(sim_app)


@pytest.mark.parametrize("error", [StoreUnavailable("redis: connection refused (test)"),
                                   StoreError("the user's lock was not free (test)")])
async def test_a_store_outage_answers_503_with_110_and_119_and_loses_nothing(
        client: Any, monkeypatch: Any, error: StoreError) -> None:
    store = client.server.app[STORE_KEY]
    first = await chat(client, {"type": "start"})
    token = first["session_token"]
    at_who = await chat(client, {"type": "text", "text": "1"}, session_token=token)
    # the same conversation, never interrupted (what the retry must give)
    twin = (await chat(client, {"type": "start"}))["session_token"]
    await chat(client, {"type": "text", "text": "1"}, session_token=twin)
    expected = await chat(client, {"type": "text", "text": "2"}, session_token=twin)

    async def down(*args: Any, **kw: Any) -> Any:
        raise error

    monkeypatch.setattr(store, "step", down)
    data = await chat(client, {"type": "text", "text": "2"}, 503, session_token=token)
    apology = t("adapters.error", "ja")
    assert "110番" in apology and "119番" in apology
    assert data["error"] == apology
    assert data["replies"] == [{"type": "say", "text": apology, "choices": [], "contacts": [], "steps": []}]
    assert data["session_token"] == token and data["retry"] is True
    assert "RuntimeError" not in str(data) and "redis" not in str(data)

    monkeypatch.undo()  # the store is back: the same message goes on from where the conversation was
    again = await chat(client, {"type": "text", "text": "2"}, session_token=token)
    assert again["state"] != at_who["state"]
    assert (again["state"], again["path"]) == (expected["state"], expected["path"])
    assert [r["text"] for r in again["replies"]] == [r["text"] for r in expected["replies"]]


async def test_the_apology_in_english_for_an_english_page(client: Any, monkeypatch: Any) -> None:
    store = client.server.app[STORE_KEY]

    async def down(*args: Any, **kw: Any) -> Any:
        raise StoreUnavailable("down (test)")

    monkeypatch.setattr(store, "step", down)
    data = await chat(client, {"type": "start"}, 503, locale="en")
    assert data["replies"][0]["text"] == t("adapters.error", "en")
    assert "110" in data["error"] and "119" in data["error"]


async def test_the_outage_is_counted_as_an_error(client: Any, monkeypatch: Any) -> None:
    store = client.server.app[STORE_KEY]

    async def down(*args: Any, **kw: Any) -> Any:
        raise StoreUnavailable("down (test)")

    monkeypatch.setattr(store, "step", down)
    await chat(client, {"type": "start"}, 503)
    text = await (await client.get("/metrics")).text()
    assert 'soudan_events_total{outcome="error",platform="web",type="start"} 1.0' in text


async def test_a_suicidal_message_during_the_outage_gets_the_crisis_lines_first(client: Any,
                                                                               monkeypatch: Any) -> None:
    """The breaker (2026-12-02): 「しにたい」 during an outage got only the apology (110/119); the crisis
    card needs no stored session, so the 24-hour lines come first, the apology last."""
    store = client.server.app[STORE_KEY]

    async def down(*args: Any, **kw: Any) -> Any:
        raise StoreUnavailable("redis: connection refused (test)")

    monkeypatch.setattr(store, "step", down)
    data = await chat(client, {"type": "text", "text": "しにたい"}, 503)
    kinds = [r["type"] for r in data["replies"]]
    assert kinds[-1] == "say" and data["replies"][-1]["text"] == t("adapters.error", "ja")
    assert "refer" in kinds[:-1]
    phones = [p for r in data["replies"] for c in r["contacts"] for p in c["phones"]]
    assert "0120-279-338" in phones and "110" in phones  # the test flow's crisis windows: よりそい, 110
