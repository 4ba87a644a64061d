"""The simulator's JSON API (bot/web/, docs/web-api.md) through aiohttp's test client."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from bot.app import create_app
from bot.store.memory import MemoryStore
from tests.conftest import TINY_FLOW
from tests.web.conftest import FROZEN, sim_settings

Client = Any


@pytest.fixture
async def client(aiohttp_client: Any, sim_app: Any) -> Client:
    return await aiohttp_client(sim_app)


async def chat(client: Client, input: dict[str, Any], status: int = 200, **body: Any) -> dict[str, Any]:
    resp = await client.post("/api/chat", json={"input": input, **body})
    data: dict[str, Any] = await resp.json()
    assert resp.status == status, data
    return data


def touch(path: Path, text: str) -> None:
    """Rewrite a file and make sure its modification time changes."""
    before = path.stat().st_mtime_ns
    path.write_text(text, encoding="utf-8")
    if path.stat().st_mtime_ns == before:
        os.utime(path, ns=(time.time_ns(), before + 1_000_000))


async def test_the_page_and_static_files_are_served(client: Client) -> None:
    resp = await client.get("/")
    assert resp.status == 200
    html = await resp.text()
    assert '<script src="/static/app.js" defer></script>' in html
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    for name, kind in [("app.js", "javascript"), ("style.css", "css")]:
        r = await client.get(f"/static/{name}")
        assert r.status == 200 and kind in r.headers["Content-Type"]
    assert "//" not in html.replace("http://www.w3.org", "").split("<body>")[0].replace('href="/', "")  # no CDN


async def test_flows_list(client: Client) -> None:
    data = await (await client.get("/api/flows")).json()
    assert data["flows"] == [{"id": "tiny", "title": {"ja": "テスト", "en": "Test"}, "file": data["flows"][0]["file"],
                              "states": 5}]
    assert data["flows"][0]["file"].endswith("flows/tiny.yaml")
    assert data["default_flow"] == "tiny"
    assert data["source"]["ok"] is True and data["source"]["errors"] == []


async def test_a_consultation_to_a_result(client: Client) -> None:
    first = await chat(client, {"type": "start"}, flow="tiny", locale="ja")
    token = first["session_token"]
    assert len(token) >= 16
    assert first["state"] == "who" and first["at"] == FROZEN.isoformat()
    assert [r["type"] for r in first["replies"]] == ["say", "ask"]
    ask = first["replies"][1]
    assert [c["id"] for c in ask["choices"]] == ["pupil", "adult"]

    second = await chat(client, {"type": "pick", "choice": "pupil", "state": ask["state_id"],
                                 "conversation": ask["conversation_id"]}, session_token=token)
    assert second["state"] == "what"
    third = await chat(client, {"type": "text", "text": "悪口"}, session_token=token)
    assert third["state"] == "result-pupil"
    assert third["path"] == ["who", "what", "intro", "result-pupil"]  # the `say` state passed through too
    types = [r["type"] for r in third["replies"]]
    assert types == ["say", "say", "refer", "ask"]  # 「悪口」として進めます… then the `say` state
    assert third["replies"][0]["text"].startswith("「はい、悪口を書かれた」として進めます")
    refer = third["replies"][2]
    [card] = refer["contacts"]
    assert card["id"] == "day_line" and card["status"] == "open"
    assert card["status_text"] == "受付中（17:00まで）"
    assert card["tel"] == ["tel:0570003110"] and card["manual_dial"] == [False]
    assert refer["steps"] == ["証拠を保存しましょう。"]


async def test_the_time_decides_the_status_and_the_fallback(client: Client) -> None:
    at = "2026-12-06T22:00"  # a Sunday night, no offset: Japan time
    r = await chat(client, {"type": "start"}, flow="tiny", at=at)
    token = r["session_token"]
    ask = r["replies"][-1]
    r = await chat(client, {"type": "pick", "choice": "pupil", "state": "who", "conversation": ask["conversation_id"]},
                   session_token=token, at=at)
    r = await chat(client, {"type": "text", "text": "1"}, session_token=token, at=at)
    assert r["at"] == "2026-12-06T22:00:00+09:00"
    contacts = r["replies"][1]["contacts"]
    assert [(c["id"], c["status"]) for c in contacts] == [("night_line", "24h"), ("day_line", "closed")]
    assert "受付時間外" in contacts[1]["status_text"]
    assert "24時間つながる「24時間の窓口」も載せています" in r["replies"][2]["text"]


async def test_english_and_commands(client: Client) -> None:
    r = await chat(client, {"type": "start"}, flow="tiny", locale="en")
    token = r["session_token"]
    assert r["locale"] == "en" and r["replies"][-1]["text"] == "Who are you?"
    r = await chat(client, {"type": "command", "name": "help"}, session_token=token)
    assert r["state"] == "who"
    r = await chat(client, {"type": "command", "name": "stop"}, session_token=token)
    assert r["ended"] is True and r["state"] is None and r["replies"][0]["type"] == "end"


async def test_the_open_now_and_help_now_commands(client: Client) -> None:
    """The LINE rich menu's 「いま受付中」 and 「いますぐ助けが必要」 are engine commands: the web API has them too."""
    r = await chat(client, {"type": "start"}, flow="tiny")
    token = r["session_token"]
    r = await chat(client, {"type": "command", "name": "open-now"}, session_token=token)
    assert r["replies"][0]["type"] == "refer" and r["replies"][0]["text"].startswith("いま受付中の窓口です（")
    assert r["replies"][-1]["text"] == "あなたは？" and r["state"] == "who"
    r = await chat(client, {"type": "command", "name": "help-now"}, session_token=token)
    assert r["replies"][0]["type"] == "refer" and r["replies"][0]["contacts"][0]["id"] == "police_110"


@pytest.mark.parametrize(("name", "first"), [("open-now", "Windows open now ("), ("help-now", "Your safety matters.")])
async def test_a_command_from_someone_new_is_answered_in_the_requests_locale(client: Client, name: str,
                                                                              first: str) -> None:
    """Regression: ``locale`` was used for a start only, so someone new whose first request was the
    open-now or help-now command with ``"locale": "en"`` got the list and the welcome in Japanese."""
    r = await chat(client, {"type": "command", "name": name}, flow="tiny", locale="en")
    assert r["locale"] == "en"
    assert r["replies"][0]["text"].startswith(first)
    assert r["replies"][-1]["text"] == "Who are you?"


async def test_sessions_are_kept_per_token(client: Client) -> None:
    a = await chat(client, {"type": "start"}, flow="tiny", session_token="a" * 20)
    b = await chat(client, {"type": "start"}, flow="tiny", session_token="b" * 20)
    ask = a["replies"][-1]
    await chat(client, {"type": "pick", "choice": "adult", "state": "who", "conversation": ask["conversation_id"]},
               session_token="a" * 20)
    again_b = await chat(client, {"type": "text", "text": "help"}, session_token="b" * 20)
    assert again_b["state"] == "who" and b["state"] == "who"


async def test_a_stale_button_is_recognised(client: Client) -> None:
    r = await chat(client, {"type": "start"}, flow="tiny")
    r2 = await chat(client, {"type": "pick", "choice": "adult", "state": "who", "conversation": "old"},
                    session_token=r["session_token"])
    assert r2["state"] == "who"
    assert "前の質問" in r2["replies"][0]["text"]


@pytest.mark.parametrize("body,status,message", [
    ({"input": {"type": "dance"}}, 400, "input.type"),
    ({"input": {"type": "text"}}, 400, "input.text is required"),
    ({"input": {"type": "pick", "choice": "x"}}, 400, "take state_id and conversation_id"),
    ({"input": {"type": "command"}}, 400, "input.name is required"),
    ({"input": {"type": "start"}, "flow": "nope"}, 404, "unknown flow 'nope'"),
    ({"input": {"type": "start"}, "at": "tomorrow"}, 400, "at: not an ISO time"),
    ({"input": {"type": "start"}, "session_token": "short"}, 400, "session_token must be"),
    ({"input": {"type": "start"}, "extra": 1}, 400, "extra"),
])
async def test_bad_requests_say_what_to_send(client: Client, body: dict[str, Any], status: int, message: str) -> None:
    resp = await client.post("/api/chat", json=body)
    assert resp.status == status
    assert message in (await resp.json())["error"]


async def test_non_json_body(client: Client) -> None:
    resp = await client.post("/api/chat", data=b"hello", headers={"Content-Type": "text/plain"})
    assert resp.status == 400 and "JSON" in (await resp.json())["error"]


async def test_outline(client: Client) -> None:
    data = await (await client.get("/api/flows/tiny/outline?locale=en")).json()
    assert data["title"] == "Test" and data["start"] == "who"
    assert [s["id"] for s in data["states"]] == ["who", "what", "intro", "result-pupil", "result-adult"]
    what = data["states"][1]
    assert what["line"] == TINY_FLOW.splitlines().index("  what:") + 1 and what["kind"] == "ask"
    assert {"choice": "yes", "label": "Yes, insults", "to": "intro", "condition": "who = pupil"} in what["edges"]
    assert data["states"][4]["contacts"] == [{"id": "day_line", "name": "Weekday line"},
                                             {"id": "night_line", "name": "24-hour line"}]
    assert data["mermaid"].startswith("flowchart TD")
    assert (await client.get("/api/flows/nope/outline")).status == 404
    assert (await client.get("/api/flows/tiny/outline?locale=fr")).status == 400


async def test_an_edit_is_picked_up_without_restarting(client: Client, sim_root: Path) -> None:
    flow = sim_root / "flows" / "tiny.yaml"
    touch(flow, flow.read_text(encoding="utf-8").replace("あなたは？", "あなたは誰ですか？"))
    r = await chat(client, {"type": "start"}, flow="tiny")
    assert r["replies"][-1]["text"] == "あなたは誰ですか？"
    assert r["source"]["ok"] is True and r["source"]["version"] == 2


async def test_a_broken_edit_shows_the_error_and_keeps_the_last_good_flows(client: Client, sim_root: Path) -> None:
    flow = sim_root / "flows" / "tiny.yaml"
    good = flow.read_text(encoding="utf-8")
    touch(flow, good.replace("goto: what}", "goto: whta}", 1))
    src = await (await client.get("/api/source")).json()
    assert src["ok"] is False and src["serving"] == "last-good" and src["version"] == 1
    [err] = src["errors"]
    line = next(i for i, t in enumerate(good.splitlines(), 1) if "goto: what}" in t)
    assert err["line"] == line and "'whta'" in err["message"] and err["path"].endswith("flows/tiny.yaml")
    assert err["text"].endswith(f":{line}: error: {err['message']}")
    r = await chat(client, {"type": "start"}, flow="tiny")  # still answers, with the last good flow
    assert r["state"] == "who" and r["source"]["ok"] is False
    touch(flow, good)
    src = await (await client.get("/api/source")).json()
    assert src["ok"] is True and src["serving"] == "current" and src["version"] == 2


async def test_a_broken_file_at_start_up_serves_the_apps_engine(aiohttp_client: Any, sim_root: Path,
                                                                 tiny_engine: Any) -> None:
    (sim_root / "directory" / "test.yaml").write_text("- id: [\n", encoding="utf-8")
    app = create_app(sim_settings(sim_root), engine=tiny_engine, store=MemoryStore(), clock=lambda: FROZEN)
    client = await aiohttp_client(app)
    r = await chat(client, {"type": "start"}, flow="tiny")
    assert r["state"] == "who"
    assert r["source"]["ok"] is False and "YAML syntax" in r["source"]["errors"][0]["message"]


async def test_simulator_off_has_no_page(aiohttp_client: Any, sim_root: Path) -> None:
    app = create_app(sim_settings(sim_root, SOUDAN_SIMULATOR=False), store=MemoryStore())
    client = await aiohttp_client(app)
    assert (await client.get("/")).status == 404
    assert (await client.get("/api/flows")).status == 404


async def test_metrics_count_simulator_events(client: Client) -> None:
    await chat(client, {"type": "start"}, flow="tiny")
    text = await (await client.get("/metrics")).text()
    assert 'soudan_events_total{outcome="handled",platform="web",type="start"} 1.0' in text
