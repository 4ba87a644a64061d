"""A fake LINE Messaging API: an aiohttp app that records every call the real SDK makes.

Point the SDK at it with ``Configuration(host=fake.url)`` (``LINE_API_BASE`` for the app). It
answers ``POST /v2/bot/message/reply`` and ``/v2/bot/message/push`` like LINE does (200 with
``{"sentMessages": [...]}``), and can be told to reject reply tokens (400 "Invalid reply token",
as LINE answers for an expired token) or to fail pushes with a status.

Like the real API it refuses (400, recorded in ``invalid``) a body that is not a valid request:
every body is parsed with the SDK's own ``ReplyMessageRequest`` / ``PushMessageRequest`` models
(≤5 messages, ≤13 quick-reply items, postback data ≤300…) and checked for the limits the SDK does
not enforce: text ≤5,000 UTF-16 units, action labels ≤20, ``displayText`` ≤300, ``altText`` ≤400.

Also runnable on its own for the benchmark and manual tests::

    python -m bot.devtools.line_fake --port 8099
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

__all__ = ["Call", "FakeLineApi", "problems"]


def _u16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


_FLEX_TYPES = {"carousel", "bubble", "box", "text", "button", "separator", "image", "icon", "span", "filler",
               "video", "uri", "postback", "message", "datetimepicker", "clipboard"}


def _walk(node: Any, out: list[str], where: str, in_flex: bool = False) -> None:
    if isinstance(node, dict):
        kind = node.get("type")
        if in_flex and kind is not None and kind not in _FLEX_TYPES:
            out.append(f"{where}: unknown Flex type {kind!r}")
        if kind == "bubble" and not isinstance(node.get("body", {}), dict):
            out.append(f"{where}: bubble body must be a box")
        if kind == "text" and "text" in node and where.count("contents") == 0 and _u16(node["text"]) > 5000:
            out.append(f"{where}: text over 5000 UTF-16 units")
        if kind in ("postback", "uri", "message") and "label" in node and _u16(node["label"]) > 20:
            out.append(f"{where}: action label {node['label']!r} over 20")
        if kind == "postback" and len(node.get("displayText") or "") > 300:
            out.append(f"{where}: displayText over 300")
        if kind == "message" and "label" in node and len(node.get("text") or "") > 300:
            out.append(f"{where}: message action text over 300")
        if kind == "flex" and _u16(node.get("altText", "")) > 400:
            out.append(f"{where}: altText over 400")
        if kind == "carousel" and len(node.get("contents", [])) > 12:
            out.append(f"{where}: more than 12 bubbles")
        if kind == "flex" and not isinstance(node.get("contents"), dict):
            out.append(f"{where}: flex message without contents")
        for k, v in node.items():
            _walk(v, out, f"{where}.{k}", in_flex or (kind == "flex" and k == "contents"))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _walk(v, out, f"{where}[{i}]", in_flex)


def problems(path: str, body: Any) -> list[str]:
    """Why LINE would refuse this reply/push body (empty when it is valid)."""
    from linebot.v3.messaging import PushMessageRequest, ReplyMessageRequest

    model = ReplyMessageRequest if path.endswith("/reply") else PushMessageRequest
    try:
        model.from_dict(body)
    except Exception as exc:  # the SDK's pydantic v1 ValidationError and friends
        return [f"SDK model {model.__name__}: {exc}"]
    out: list[str] = []
    _walk(body.get("messages"), out, "messages")
    return out


@dataclass
class Call:
    """One request received by the fake.

    Attributes:
        path: the URL path (``/v2/bot/message/reply``…).
        headers: request headers (case-insensitive lookup through ``header()``).
        json: the parsed JSON body.
    """

    path: str
    headers: dict[str, str]
    json: Any

    def header(self, name: str) -> str | None:
        """A header value by case-insensitive name."""
        low = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == low), None)


@dataclass
class FakeLineApi:
    """State and behaviour of the fake.

    Attributes:
        calls: every call received, in order.
        invalid_tokens: reply tokens answered with 400 "Invalid reply token".
        push_failures: statuses to answer the next pushes with (consumed in order).
        refuse_flex: answer 400 to a reply that contains a Flex message (as LINE does for a
            message it cannot accept), to test the plain-text fallback.
        delay: seconds to wait before answering (to test slow APIs).
        record: False to keep no calls (benchmark).
        validate: check every body as LINE would (off for the benchmark).
        invalid: problems found in bodies that were refused.
        url: the base URL once served (set by the test fixture).
        profiles: user ids whose profile was asked for (kept apart from ``calls``).
        languages: user id → profile ``language``; other users get 404 (as for a user who
            has not added the bot as a friend).
        count: calls received (also when not recording).
        strict: behave like LINE about repeats: a reply token is accepted once (then 400 "Invalid
            reply token"), a push whose ``X-Line-Retry-Key`` was accepted before gets 409.
        accepted: the reply and push calls answered 2xx (what reached the person), in order.
    """

    calls: list[Call] = field(default_factory=list)
    invalid_tokens: set[str] = field(default_factory=set)
    push_failures: list[int] = field(default_factory=list)
    refuse_flex: bool = False
    delay: float = 0.0
    languages: dict[str, str] = field(default_factory=dict)
    profiles: list[str] = field(default_factory=list)
    record: bool = True
    validate: bool = True
    invalid: list[str] = field(default_factory=list)
    url: str = ""
    count: int = 0
    strict: bool = False
    accepted: list[Call] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=itertools.count)
    _used: set[str] = field(default_factory=set)

    def app(self) -> web.Application:
        """The aiohttp application of the fake."""
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_post("/v2/bot/message/reply", self._reply)
        app.router.add_post("/v2/bot/message/push", self._push)
        app.router.add_get("/v2/bot/profile/{user_id}", self._profile)
        return app

    @property
    def replies(self) -> list[Call]:
        """The reply calls received."""
        return [c for c in self.calls if c.path == "/v2/bot/message/reply"]

    @property
    def pushes(self) -> list[Call]:
        """The push calls received."""
        return [c for c in self.calls if c.path == "/v2/bot/message/push"]

    def reply_to(self, token: str) -> Call:
        """The one reply call made with ``token``.

        Raises:
            AssertionError: if there is not exactly one.
        """
        found = [c for c in self.replies if c.json.get("replyToken") == token]
        assert len(found) == 1, f"{len(found)} replies with token {token!r}: {[c.json for c in self.replies]}"
        return found[0]

    async def wait_calls(self, n: int, timeout: float = 5.0) -> None:
        """Wait until at least ``n`` calls were received (for background deliveries)."""
        async with asyncio.timeout(timeout):
            while len(self.calls) < n:
                await asyncio.sleep(0.01)

    async def _record(self, request: web.Request) -> Any:
        body = await request.json()
        self.count += 1
        if self.record:
            self.calls.append(Call(request.path, dict(request.headers), body))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.validate:
            found = problems(request.path, body)
            if found:
                self.invalid.extend(found)
                raise web.HTTPBadRequest(text='{"message": "The request body has 1 error(s)"}',
                                         content_type="application/json")
        return body

    def _sent(self, body: Any) -> web.Response:
        msgs = body.get("messages") or []
        return web.json_response({"sentMessages": [{"id": str(next(self._ids)), "quoteToken": "q"} for _ in msgs]})

    async def _reply(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        if not request.headers.get("Authorization", "").startswith("Bearer "):
            return web.json_response({"message": "Authentication failed"}, status=401)
        token = body.get("replyToken")
        if token in self.invalid_tokens or (self.strict and token in self._used):
            return web.json_response({"message": "Invalid reply token"}, status=400)
        if self.refuse_flex and any(m.get("type") == "flex" for m in body.get("messages") or []):
            return web.json_response({"message": "The request body has 1 error(s)"}, status=400)
        self._used.add(token)
        self.accepted.append(Call(request.path, dict(request.headers), body))
        return self._sent(body)

    async def _profile(self, request: web.Request) -> web.Response:
        self.count += 1
        uid = request.match_info["user_id"]
        self.profiles.append(uid)
        if uid not in self.languages:
            return web.json_response({"message": "Not found"}, status=404)
        return web.json_response({"userId": uid, "displayName": "x", "language": self.languages[uid]})

    async def _push(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        if self.push_failures:
            status = self.push_failures.pop(0)
            return web.json_response({"message": f"failure {status}"}, status=status)
        key = "retry:" + (request.headers.get("X-Line-Retry-Key") or str(next(self._ids)))
        if self.strict and key in self._used:
            return web.json_response({"message": "The retry key is already accepted"}, status=409)
        self._used.add(key)
        self.accepted.append(Call(request.path, dict(request.headers), body))
        return self._sent(body)


def main() -> None:  # pragma: no cover - manual/benchmark use
    """Run the fake on 127.0.0.1 without recording calls."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, default=8099)
    ns = ap.parse_args()
    web.run_app(FakeLineApi(record=False, validate=False).app(), host="127.0.0.1", port=ns.port, access_log=None, print=None)


if __name__ == "__main__":  # pragma: no cover
    main()
