"""Helpers of the LINE tests: paths, credentials, signing and webhook event builders."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import hmac
import itertools
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from bot.devtools.line_fake import FakeLineApi
from bot.engine.core import Engine
from bot.loading import build_engine
from bot.settings import Settings
from bot.timeutil import JST

Post = Callable[..., Awaitable[Any]]
"""``await post(*events, raw=…, signature=…, headers=…)`` → the webhook's response (a fixture)."""

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
FLOW = FIXTURES / "flows" / "line-test.yaml"
DIRECTORY = FIXTURES / "directory" / "line-test.yaml"
ALL_EVENTS = FIXTURES / "line-webhook-all-event-types.json"

CHANNEL_SECRET = "test-channel-secret"
ACCESS_TOKEN = "test-access-token"
SOUDAN_SECRET = "test-soudan-secret"
WEEKDAY_10 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=JST)  # a Tuesday, windows open
USER = "U0123456789abcdef0123456789abcdef"

_ids = itertools.count(1)


def sign(body: bytes, secret: str = CHANNEL_SECRET) -> str:
    """``X-Line-Signature`` of raw body bytes: base64(HMAC-SHA256(secret, body))."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def body_of(*events: dict[str, Any]) -> bytes:
    """A webhook body (UTF-8 JSON, non-ASCII kept as is, like LINE sends)."""
    return json.dumps({"destination": "Ubot", "events": list(events)}, ensure_ascii=False).encode()


def _base(kind: str, user: str | None, ts: int | None, token: str | None, eid: str | None,
          source: dict[str, Any] | None) -> dict[str, Any]:
    n = next(_ids)
    ev: dict[str, Any] = {
        "type": kind,
        "mode": "active",
        "timestamp": ts if ts is not None else 1_700_000_000_000 + n,
        "source": source or {"type": "user", "userId": user or USER},
        "webhookEventId": eid or f"01TESTEVENT{n:015d}",
        "deliveryContext": {"isRedelivery": False},
    }
    if kind not in ("unfollow", "leave", "memberLeft"):
        ev["replyToken"] = token or f"token-{n}"
    return ev


def text_event(text: str, *, user: str | None = None, ts: int | None = None, token: str | None = None,
               eid: str | None = None, source: dict[str, Any] | None = None) -> dict[str, Any]:
    """A text message event."""
    ev = _base("message", user, ts, token, eid, source)
    ev["message"] = {"type": "text", "id": str(next(_ids)), "text": text, "quoteToken": "q"}
    return ev


def message_event(kind: str, *, user: str | None = None, token: str | None = None,
                  eid: str | None = None) -> dict[str, Any]:
    """A non-text message event (sticker, image…)."""
    ev = _base("message", user, None, token, eid, None)
    msg: dict[str, Any] = {"type": kind, "id": str(next(_ids))}
    if kind == "sticker":
        msg.update(packageId="1", stickerId="1", stickerResourceType="STATIC", quoteToken="q")
    elif kind in ("image", "video", "audio"):
        msg["contentProvider"] = {"type": "line"}
        if kind != "audio":
            msg["quoteToken"] = "q"
        if kind != "image":
            msg["duration"] = 1000
    elif kind == "file":
        msg.update(fileName="a.pdf", fileSize=10)
    elif kind == "location":
        msg.update(title="t", address="a", latitude=35.0, longitude=139.0)
    ev["message"] = msg
    return ev


def postback_event(data: str, *, user: str | None = None, ts: int | None = None, token: str | None = None,
                   eid: str | None = None) -> dict[str, Any]:
    """A postback event (a quick-reply button press)."""
    ev = _base("postback", user, ts, token, eid, None)
    ev["postback"] = {"data": data}
    return ev


def follow_event(*, user: str | None = None, ts: int | None = None, token: str | None = None,
                 eid: str | None = None) -> dict[str, Any]:
    """A follow event (the user added the bot)."""
    ev = _base("follow", user, ts, token, eid, None)
    ev["follow"] = {"isUnblocked": False}
    return ev


def unfollow_event(*, user: str | None = None, eid: str | None = None) -> dict[str, Any]:
    """An unfollow event (no reply token)."""
    return _base("unfollow", user, None, None, eid, None)


def quick_reply_data(call_json: dict[str, Any]) -> list[tuple[str, str]]:
    """``(label, data)`` of the quick-reply postback buttons of the last message of a call."""
    items = call_json["messages"][-1]["quickReply"]["items"]
    return [(i["action"]["label"], i["action"].get("data", "")) for i in items]


@functools.cache
def make_engine() -> Engine:
    """The engine over the test flow and directory, built once per test process and shared (an
    engine holds no conversation state: sessions live in the store)."""
    return build_engine([FLOW], [DIRECTORY], idle_timeout=3600, today=WEEKDAY_10.date())


def settings_for(fake: FakeLineApi, **extra: Any) -> Settings:
    """Settings with test credentials pointing at the fake API (no .env, memory store)."""
    values: dict[str, Any] = {
        "SOUDAN_SECRET": SOUDAN_SECRET, "SOUDAN_STORE": "memory://", "LINE_CHANNEL_SECRET": CHANNEL_SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN, "LINE_API_BASE": fake.url, "SOUDAN_SIMULATOR": False,
    }
    values.update(extra)
    return Settings(_env_file=None, **values)


# ------------------------------------------------------------------ /metrics

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(client: Any) -> Samples:
    """``GET /metrics`` of a test client, parsed as Prometheus would: {(sample name, labels): value}."""
    resp = await client.get("/metrics")
    assert resp.status == 200
    text = await resp.text()
    out: Samples = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample of :func:`scrape`'s result (0 when absent)."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)
