"""``soudan serve`` as a real process: a signed webhook through a whole consultation, and refusals."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot import serve
from bot.devtools.line_fake import FakeLineApi
from bot.settings import DEV_SECRET
from tests.adapters.line.linekit import (
    ACCESS_TOKEN,
    CHANNEL_SECRET,
    DIRECTORY,
    FLOW,
    body_of,
    follow_event,
    postback_event,
    sign,
)

ROOT = Path(__file__).resolve().parents[3]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOUDAN_", "LINE_", "DISCORD_"))}
    env.update(PYTHONPATH=str(ROOT), SOUDAN_SECRET="serve-test-secret", SOUDAN_STORE=f"sqlite:///{tmp_path}/s.db",
               SOUDAN_FLOWS_DIR=str(FLOW.parent), SOUDAN_DIRECTORY_DIR=str(DIRECTORY.parent),
               SOUDAN_SIMULATOR="false", LINE_CHANNEL_SECRET=CHANNEL_SECRET, LINE_CHANNEL_ACCESS_TOKEN=ACCESS_TOKEN)
    env.update(extra)
    return env


async def test_serve_takes_a_signed_webhook_through_a_consultation(fake: FakeLineApi, tmp_path: Path,
                                                                   unused_tcp_port: int) -> None:
    port = unused_tcp_port
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port),
        cwd=tmp_path, env=_env(tmp_path, LINE_API_BASE=fake.url),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(1200):  # up to 120 s for the interpreter to start (a loaded machine, -n auto)
                try:
                    async with http.get(f"{base}/healthz") as r:
                        if r.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                if proc.returncode is not None:
                    break
                await asyncio.sleep(0.1)
            else:
                pytest.fail("soudan serve did not answer /healthz")
            assert proc.returncode is None

            async def send(ev: dict[str, Any]) -> dict[str, Any]:
                body = body_of(ev)
                async with http.post(f"{base}/line/webhook", data=body,
                                     headers={"X-Line-Signature": sign(body)}) as r:
                    assert r.status == 200
                sent: dict[str, Any] = fake.reply_to(ev["replyToken"]).json
                return sent

            first = await send(follow_event(token="s1"))
            items = first["messages"][-1]["quickReply"]["items"]
            safe = items[1]["action"]["data"]
            who = await send(postback_event(safe, token="s2"))
            pupil = who["messages"][-1]["quickReply"]["items"][0]["action"]["data"]
            what = await send(postback_event(pupil, token="s3"))
            doxx = what["messages"][-1]["quickReply"]["items"][0]["action"]["data"]
            result = await send(postback_event(doxx, token="s4"))
            flex = [m for m in result["messages"] if m["type"] == "flex"]
            assert len(flex) == 1 and "0570-003-110" in flex[0]["altText"]

            async with http.get(f"{base}/metrics") as r:
                text = await r.text()
            assert 'soudan_events_total{outcome="handled",platform="line",type="postback"} 3.0' in text
        assert (tmp_path / "s.db").exists()
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
        try:
            async with asyncio.timeout(15):
                _, err = await proc.communicate()
        except TimeoutError:
            proc.kill()
            raise
    assert proc.returncode == 0, err.decode()
    assert "serve-test-secret" not in err.decode() and ACCESS_TOKEN not in err.decode()


def _main(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, host: str, **env: str) -> int:
    for k in list(os.environ):
        if k.startswith(("SOUDAN_", "LINE_", "DISCORD_")):
            monkeypatch.delenv(k)
    for k, v in _env(tmp_path, **env).items():
        if k.startswith(("SOUDAN_", "LINE_")):
            monkeypatch.setenv(k, v)
    monkeypatch.chdir(tmp_path)
    return serve.main(argparse.Namespace(host=host, port=0))


def test_public_bind_with_the_dev_secret_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert _main(monkeypatch, tmp_path, "0.0.0.0", SOUDAN_SECRET=DEV_SECRET) == 2
    assert "development SOUDAN_SECRET" in capsys.readouterr().err


def test_broken_flow_is_refused_with_file_and_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    bad = FLOW.read_text(encoding="utf-8").replace("goto: who", "goto: nowhere")
    (flows / "line-test.yaml").write_text(bad, encoding="utf-8")
    assert _main(monkeypatch, tmp_path, "127.0.0.1", SOUDAN_FLOWS_DIR=str(flows)) == 2
    err = capsys.readouterr().err
    assert f"{flows / 'line-test.yaml'}:" in err and "nowhere" in err


def test_unknown_store_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert _main(monkeypatch, tmp_path, "127.0.0.1", SOUDAN_STORE="mongodb://x") == 2
    assert "unknown store scheme" in capsys.readouterr().err
