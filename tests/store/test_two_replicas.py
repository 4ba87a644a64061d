"""Two ``soudan serve`` processes on two ports share one Redis: one user's LINE events, sent
alternately and concurrently to both (and each redelivered to the other one), make one correct
conversation, and every event is handled — and answered — exactly once.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import hashlib
import hmac
import json
import os
import signal
import socket
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.store.base import user_key
from bot.store.redis import RedisStore
from tests.store.flowkit import DIRECTORY

pytestmark = pytest.mark.redis

ROOT = Path(__file__).resolve().parents[2]
CHANNEL_SECRET = "replica-test-channel-secret"
SOUDAN_SECRET = "replica-test-soudan-secret"
USER = "U" + "0123456789abcdef" * 2
STEPS = 12
"""Questions in a row: each answer "1" moves one question on, so a lost update shows up as a
shorter history, and a double transition as a longer one."""


def write_chain(root: Path, steps: int = STEPS) -> tuple[Path, Path]:
    """A flow of ``steps`` questions in a row (q1 … qN, answer 1 → next) and a result."""
    flows, directory = root / "flows", root / "directory"
    flows.mkdir(parents=True)
    directory.mkdir(parents=True)
    (directory / "test.yaml").write_text(DIRECTORY, encoding="utf-8")
    lines = ["id: chain", "title: 連続の質問", "start: q1", "fallback: [night_line]", "states:"]
    for i in range(1, steps + 1):
        nxt = f"q{i + 1}" if i < steps else "result"
        lines += [f"  q{i}:", f"    ask: 質問{i}です。", "    choices:",
                  f"      - id: next{i}", f"        label: 次へ{i}", f"        goto: {nxt}",
                  f"      - id: stop{i}", f"        label: 結果へ{i}", "        goto: result"]
    lines += ["  result:", "    refer:", "      text: 連続の質問の結果です。", "      contacts: [night_line]"]
    (flows / "chain.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return flows, directory


class FakeLine:
    """The Messaging API reply endpoint, recording each reply by its token."""

    def __init__(self) -> None:
        self.replies: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)

    async def reply(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.replies[body["replyToken"]].append(body)
        return web.json_response({"sentMessages": [{"id": str(len(self.replies)), "quoteToken": "q"}]})

    async def push(self, request: web.Request) -> web.Response:  # pragma: no cover - not expected
        return web.json_response({"sentMessages": []})


@pytest.fixture
async def fake_line() -> AsyncIterator[tuple[FakeLine, str]]:
    fake = FakeLine()
    app = web.Application()
    app.router.add_post("/v2/bot/message/reply", fake.reply)
    app.router.add_post("/v2/bot/message/push", fake.push)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield fake, f"http://127.0.0.1:{port}"
    await runner.cleanup()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def event(kind: str, eid: str, token: str, text: str | None = None, redelivery: bool = False) -> dict[str, Any]:
    ev: dict[str, Any] = {"type": kind, "mode": "active", "timestamp": int(time.time() * 1000),
                          "source": {"type": "user", "userId": USER}, "webhookEventId": eid,
                          "deliveryContext": {"isRedelivery": redelivery}, "replyToken": token}
    if kind == "follow":
        ev["follow"] = {"isUnblocked": False}
    else:
        ev["message"] = {"type": "text", "id": eid, "text": text, "quoteToken": "q"}
    return ev


def signed(ev: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"destination": "Ubot", "events": [ev]}, ensure_ascii=False).encode()
    sig = base64.b64encode(hmac.new(CHANNEL_SECRET.encode(), body, hashlib.sha256).digest()).decode()
    return body, {"X-Line-Signature": sig, "Content-Type": "application/json"}


async def test_two_replicas_on_one_redis_make_one_conversation(
        redis_url: str, tmp_path: Path, fake_line: tuple[FakeLine, str]) -> None:
    fake, api = fake_line
    flows, directory = write_chain(tmp_path)
    prefix = f"soudan-test:{uuid.uuid4().hex[:12]}:"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOUDAN_", "LINE_", "DISCORD_"))}
    env.update(PYTHONPATH=str(ROOT), SOUDAN_SECRET=SOUDAN_SECRET, SOUDAN_STORE=f"{redis_url}?prefix={prefix}",
               SOUDAN_FLOWS_DIR=str(flows), SOUDAN_DIRECTORY_DIR=str(directory), SOUDAN_SIMULATOR="false",
               LINE_CHANNEL_SECRET=CHANNEL_SECRET, LINE_CHANNEL_ACCESS_TOKEN="replica-test-token",
               LINE_API_BASE=api, LINE_PUSH_FALLBACK="false")
    ports = [free_port(), free_port()]
    procs = [await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(p), cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE) for p in ports]
    bases = [f"http://127.0.0.1:{p}" for p in ports]
    store = RedisStore(redis_url, prefix=prefix)
    try:
        async with aiohttp.ClientSession() as http:
            for base, proc in zip(bases, procs, strict=True):
                for _ in range(1200):  # up to 120 s for the interpreter to start (a loaded machine, -n auto)
                    try:
                        async with http.get(f"{base}/healthz") as r:
                            if r.status == 200 and (await r.json())["store"] == "redis":
                                break
                    except aiohttp.ClientError:
                        pass
                    assert proc.returncode is None, "soudan serve exited at start-up"
                    await asyncio.sleep(0.1)
                else:
                    pytest.fail(f"{base}/healthz did not answer")

            async def send(replica: int, ev: dict[str, Any]) -> int:
                body, headers = signed(ev)
                async with http.post(f"{bases[replica]}/line/webhook", data=body, headers=headers) as r:
                    return r.status

            assert await send(0, event("follow", "e0", "t0")) == 200
            # STEPS answers, alternating replicas, all at once — and every one redelivered to the
            # other replica at the same time
            jobs = []
            for i in range(1, STEPS + 1):
                first = i % 2
                jobs.append(send(first, event("message", f"e{i}", f"t{i}", "1")))
                jobs.append(send(1 - first, event("message", f"e{i}", f"t{i}", "1", redelivery=True)))
            statuses = await asyncio.gather(*jobs)
            assert statuses == [200] * (2 * STEPS)

            for _ in range(100):  # replies may still be on their way (background after the budget)
                if len(fake.replies) >= STEPS + 1:
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(0.3)

        # each event answered exactly once
        assert sorted(fake.replies) == sorted(f"t{i}" for i in range(STEPS + 1))
        assert all(len(v) == 1 for v in fake.replies.values())
        # and the answers show the in-order transitions (question 2 … N, then the result), each once
        shown = [json.dumps(fake.replies[f"t{i}"][0], ensure_ascii=False) for i in range(1, STEPS + 1)]
        expected = [f"質問{i}です。" for i in range(2, STEPS + 1)] + ["連続の質問の結果です。"]
        assert [sum(text in s for s in shown) for text in expected] == [1] * STEPS
        final = await store.get(user_key("line", USER, SOUDAN_SECRET))
        assert final is not None and final.state == "result"
        assert [(e.state, e.choice) for e in final.history] == [(f"q{i}", f"next{i}") for i in range(1, STEPS + 1)]
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.send_signal(signal.SIGINT)
        logs: list[str] = []
        for proc in procs:
            try:
                async with asyncio.timeout(15):
                    _, stderr = await proc.communicate()
                logs.append(stderr.decode())
            except TimeoutError:
                proc.kill()
                await proc.wait()
                logs.append("(did not stop within 15 s of SIGINT)")
        await store.clear()
        await store.close()
    for proc, log in zip(procs, logs, strict=True):
        assert proc.returncode == 0, log
        assert USER not in log and SOUDAN_SECRET not in log
