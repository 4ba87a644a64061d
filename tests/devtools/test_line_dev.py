"""``make line-dev`` (``soudan line dev``): one command, no credentials, the viewer shows the replies,
Ctrl-C stops both processes. One subprocess smoke test; the environment it gives the bot, in-process."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from bot.cli import main
from bot.devtools import DEV_ACCESS_TOKEN, DEV_CHANNEL_SECRET
from bot.devtools.line_dev import bot_env
from tests.conftest import Soudan

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_line_dev_serves_the_bot_and_the_viewer_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port, api = _free_port(), _free_port()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}  # a fresh machine: no credentials
    proc = subprocess.Popen([sys.executable, "-m", "bot", "line", "dev", "--port", str(port), "--api-port", str(api)],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)  # its own process group: a failure kills the bot it started too
    try:
        assert proc.stdout is not None
        seen: list[str] = []
        for line in proc.stdout:  # until the banner (printed once the bot answers /healthz)
            seen.append(line)
            if "(Ctrl-C stops both)" in line:
                break
        banner = "".join(seen)
        assert f"LINE viewer (every message the bot sends): http://127.0.0.1:{api}/" in banner, banner
        assert 'line send "いじめられてる" --user u1' in banner
        webhook = f"http://127.0.0.1:{port}/line/webhook"
        assert main(["line", "send", "死にたい", "--user", "u1", "--url", webhook,
                     "--viewer", f"http://127.0.0.1:{api}"]) == 0
        # the fake imports line-bot-sdk to check the first reply: on a loaded machine, seconds
        with urllib.request.urlopen(f"http://127.0.0.1:{api}/_viewer/feed", timeout=120) as resp:
            items = json.loads(resp.read())["items"]
        bot = [i for i in items if i["side"] == "bot" and i["user"] == "u1"]
        assert bot and "あなたはひとりではありません" in bot[0]["messages"][0]["text"]
        proc.send_signal(signal.SIGINT)
        rest = proc.communicate(timeout=60)[0]
        assert proc.returncode == 0, rest
        assert "bot → u1 (reply): 話してくれてありがとう。" in rest  # the terminal print
    finally:
        if proc.poll() is None or proc.returncode != 0:
            with contextlib.suppress(ProcessLookupError):  # the soudan serve it started, if it is still there
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_the_bot_gets_development_credentials_and_never_real_ones() -> None:
    real = {"LINE_CHANNEL_SECRET": "real-secret", "LINE_CHANNEL_ACCESS_TOKEN": "real-token",
            "LINE_API_BASE": "https://api.line.me", "DISCORD_TOKEN": "real-discord", "SOUDAN_STORE": "redis://x"}
    env = bot_env("http://127.0.0.1:8099", 8080, real)
    assert env["LINE_CHANNEL_SECRET"] == DEV_CHANNEL_SECRET and env["LINE_CHANNEL_ACCESS_TOKEN"] == DEV_ACCESS_TOKEN
    assert env["LINE_API_BASE"] == "http://127.0.0.1:8099" and env["DISCORD_TOKEN"] == ""
    assert env["SOUDAN_STORE"] == "redis://x"  # a store the developer chose is kept
    assert bot_env("http://127.0.0.1:8099", 8080, {})["SOUDAN_STORE"] == "memory://"


@pytest.mark.parametrize("args,message", [
    (["line", "fake", "--port", "70000"], "soudan line fake: error: argument --port: port 70000 is out of range; use 1–65535"),
    (["line", "dev", "--api-port", "99999"], "soudan line dev: error: argument --api-port: port 99999 is out of range"),
    (["line", "dev", "--port", "abc"], "soudan line dev: error: argument --port: not a port number: 'abc'"),
])
def test_a_port_out_of_range_is_a_usage_error_not_a_traceback(args: list[str], message: str, soudan: Soudan) -> None:
    # found by trying: soudan line fake --port 70000 raised OverflowError from bind() as a traceback
    ran = soudan(*args)
    assert ran.returncode == 2 and message in ran.stderr and "Traceback" not in ran.stderr
