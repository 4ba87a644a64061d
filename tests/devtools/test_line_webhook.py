"""``soudan line send``: a signed webhook event from a line of text, as the bot's webhook sees it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from linebot.v3.webhook import WebhookParser

from bot.app import create_app
from bot.cli import main
from bot.devtools import DEV_CHANNEL_SECRET
from bot.devtools.line_fake import FakeLineApi
from bot.devtools.line_webhook import body_of, event, sign
from bot.engine.core import Engine
from tests.conftest import Soudan, bare_settings
from tests.devtools.conftest import WEEKDAY_10, Served, dev_settings


@pytest.fixture
def bot_url(served: Served, fake_sync: FakeLineApi, shipped_engine: Engine) -> str:
    """The real app's LINE webhook URL (served from a thread), talking to ``fake_sync``."""
    app = create_app(dev_settings(fake_sync.url), engine=shipped_engine, clock=lambda: WEEKDAY_10)
    return served.serve(app) + "/line/webhook"


def test_send_a_text_prints_200_and_the_bot_replies(bot_url: str, fake_sync: FakeLineApi,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["line", "send", "いじめられてる", "--user", "u1", "--url", bot_url,
                 "--viewer", fake_sync.url]) == 0
    assert capsys.readouterr().out.strip() == "200 OK"
    reply = fake_sync.replies[-1].json["messages"]
    assert reply[0]["text"].startswith("こんにちは") and reply[-1]["text"].startswith("まず、あなたの安全を確かめさせてください")
    # the viewer shows what the user sent, and files the reply under them
    assert [(e.user, e.side, e.note) for e in fake_sync.feed][:1] == [("u1", "user", "いじめられてる")]
    assert fake_sync.feed[-1].user == "u1" and fake_sync.feed[-1].side == "bot"


def test_send_follow_and_postback(bot_url: str, fake_sync: FakeLineApi, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["line", "send", "--follow", "--user", "u2", "--url", bot_url, "--viewer", "none"]) == 0
    assert fake_sync.replies[-1].json["messages"][0]["text"].startswith("こんにちは")
    assert main(["line", "send", "--postback", "c=:help", "--user", "u2", "--url", bot_url, "--viewer", "none"]) == 0
    assert "この相談では、質問に答えると" in fake_sync.replies[-1].json["messages"][0]["text"]
    assert capsys.readouterr().out.split() == ["200", "OK", "200", "OK"]


def test_a_wrong_secret_gets_400_and_exit_status_1(bot_url: str, fake_sync: FakeLineApi,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["line", "send", "こんにちは", "--url", bot_url, "--secret", "wrong", "--viewer", "none"]) == 1
    out = capsys.readouterr()
    assert out.out.startswith("400")
    assert "--secret" in out.err and "LINE_CHANNEL_SECRET" in out.err
    assert fake_sync.calls == []


def test_a_server_without_line_says_how_to_turn_the_webhook_on(served: Served, shipped_engine: Engine,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """`make serve` without LINE credentials, then `soudan line send`: the 404 says why, not only 「404: Not Found」."""
    url = served.serve(create_app(bare_settings(), engine=shipped_engine, clock=lambda: WEEKDAY_10)) + "/line/webhook"
    assert main(["line", "send", "こんにちは", "--url", url, "--viewer", "none"]) == 1
    out = capsys.readouterr()
    assert out.out.startswith("404")
    assert f"{url} has no LINE webhook" in out.err and "make line-dev" in out.err


def test_no_bot_running_is_a_clear_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["line", "send", "x", "--url", "http://127.0.0.1:9/line/webhook", "--viewer", "none"]) == 2
    assert "is the bot running? (make line-dev" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--follow", "text"], [], ["--postback", "c=:help", "--follow"]])
def test_exactly_one_kind_of_event(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["line", "send", *argv, "--viewer", "none"]) == 2
    assert "give exactly one of" in capsys.readouterr().err


def test_print_body_shows_the_signed_bytes(bot_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["line", "send", "へい", "--url", bot_url, "--viewer", "none", "--print-body"]) == 0
    body, sig_line, status = capsys.readouterr().out.splitlines()
    assert sig_line == "X-Line-Signature: " + sign(body.encode(), DEV_CHANNEL_SECRET) and status == "200 OK"
    ev = json.loads(body)["events"][0]
    assert ev["message"]["text"] == "へい" and len(ev["webhookEventId"]) == 26 and len(ev["replyToken"]) == 32


def test_events_parse_with_the_sdk_and_the_signature_is_hmac_sha256_base64() -> None:
    events: list[dict[str, Any]] = [event("message", "u1", text="いじめられてる"), event("postback", "u1", data="c=:help"),
                                    event("follow", "u1"), event("unfollow", "u1")]
    body = body_of(*events)
    expected = base64.b64encode(hmac.new(b"s3cret", body, hashlib.sha256).digest()).decode()
    assert sign(body, "s3cret") == expected
    parsed = WebhookParser("s3cret").parse(body.decode(), expected)
    assert [type(e).__name__ for e in parsed] == ["MessageEvent", "PostbackEvent", "FollowEvent", "UnfollowEvent"]
    assert len({e["webhookEventId"] for e in events}) == 4 and "replyToken" not in events[3]


@pytest.mark.parametrize("args,wrong", [
    (["x", "--url", "http://[::1/line/webhook"], "--url must be an http(s) URL"),
    (["x", "--url", "http://127.0.0.1:99999/line/webhook"], "--url must be an http(s) URL"),
    (["x", "--url", "http:///line/webhook"], "--url must be an http(s) URL"),
    (["x", "--url", "http://127.0.0.1:9/line/webhook", "--viewer", "http://[bad"], "--viewer must be an http(s) URL"),
    (["\udcff\udcfe", "--url", "http://127.0.0.1:9/line/webhook"], "the message text is not valid UTF-8"),
    (["--postback", "c=\udcff", "--url", "http://127.0.0.1:9/line/webhook"], "--postback is not valid UTF-8"),
])
def test_odd_arguments_are_a_clear_message_not_a_traceback(args: list[str], wrong: str, soudan: Soudan) -> None:
    # found by trying: an unclosed IPv6 bracket raised ValueError, bytes that are not UTF-8 on the
    # command line (surrogate escapes) raised UnicodeEncodeError, both as tracebacks
    ran = soudan("line", "send", *args)
    assert ran.returncode == 2
    assert ran.stderr.startswith(f"soudan line send: {wrong}") and "Traceback" not in ran.stderr
    assert ran.stdout == ""
