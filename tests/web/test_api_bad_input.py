"""Faults a bad-input session found in the simulator API (regressions): a time out of range and a
deeply nested body gave 500s; errors (404/413/500) were text, not JSON; a session token with a
trailing newline was accepted; an unknown flow on a non-start input was a 404; a control
character written into a flow while the server ran gave a 500 and then silence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.web.test_api import chat, touch


@pytest.fixture
async def client(aiohttp_client: Any, sim_app: Any) -> Any:
    return await aiohttp_client(sim_app)


@pytest.mark.parametrize("at", ["9999-12-31T23:59+09:00", "0001-01-01T00:00+09:00"])
async def test_api_time_out_of_range_is_400(client: Any, at: str) -> None:
    data = await chat(client, {"type": "start"}, 400, at=at)
    assert "out of range" in data["error"]


async def test_api_errors_are_json(client: Any) -> None:
    resp = await client.post("/api/chat", data="{\"input\": " + "[" * 100_000, headers={"Content-Type": "application/json"})
    assert resp.status == 400 and "error" in await resp.json()
    resp = await client.get("/api/nothing-here")
    assert resp.status == 404 and "error" in await resp.json()
    resp = await client.post("/api/chat", data=b"x" * (2 * 1024 * 1024), headers={"Content-Type": "application/json"})
    assert resp.status == 413 and "too large" in (await resp.json())["error"]


async def test_session_token_must_match_exactly(client: Any) -> None:
    await chat(client, {"type": "start"}, 400, session_token="a" * 20 + "\n")


async def test_flow_is_ignored_except_on_start(client: Any) -> None:
    r = await chat(client, {"type": "start"}, flow="tiny")
    r = await chat(client, {"type": "text", "text": "1"}, session_token=r["session_token"], flow="gone")
    assert r["state"] == "what"


async def test_a_control_character_edited_in_shows_an_error_and_keeps_serving(client: Any, sim_root: Path) -> None:
    r = await chat(client, {"type": "start"}, flow="tiny")
    flow = sim_root / "flows" / "tiny.yaml"
    touch(flow, flow.read_text(encoding="utf-8").replace("title: {ja: テスト", "title: {ja: \"テ\x00スト\""))
    token = r["session_token"]
    r = await chat(client, {"type": "text", "text": "1"}, session_token=token)
    assert r["state"] == "what" and r["source"]["serving"] == "last-good"
    assert any("U+0000" in e["message"] for e in r["source"]["errors"])
    src = await (await client.get("/api/source")).json()  # still reported on the next request
    assert src["ok"] is False and any("U+0000" in e["message"] for e in src["errors"])


async def test_half_an_emoji_does_not_lose_a_crisis_message(client: Any) -> None:
    """「しにたい」 followed by a lone surrogate (half an emoji, e.g. cut by the page's maxlength; sent by
    JSON.stringify as ``\\ud83d``) was refused with 400 and the message was lost (breaker 2026-12-02)."""
    body = '{"input": {"type": "text", "text": "しにたい\\ud83d"}}'.encode()
    resp = await client.post("/api/chat", data=body, headers={"Content-Type": "application/json"})
    data = await resp.json()
    assert resp.status == 200, data
    assert any(r["type"] == "refer" and r["contacts"] for r in data["replies"])  # the crisis card
