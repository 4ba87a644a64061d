"""A fake LINE Messaging API: an aiohttp app that records every call the real SDK makes.

Point the SDK at it with ``Configuration(host=fake.url)`` (``LINE_API_BASE`` for the app). It
answers ``POST /v2/bot/message/reply`` and ``/v2/bot/message/push`` like LINE does (200 with
``{"sentMessages": [...]}``), and can be told to reject reply tokens (400 "Invalid reply token",
as LINE answers for an expired token) or to fail pushes with a status.

Also runnable on its own for the benchmark and manual tests::

    python -m tests.line.fake_api --port 8099
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

__all__ = ["Call", "FakeLineApi"]


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
        delay: seconds to wait before answering (to test slow APIs).
        record: False to keep no calls (benchmark).
        url: the base URL once served (set by the test fixture).
        count: calls received (also when not recording).
    """

    calls: list[Call] = field(default_factory=list)
    invalid_tokens: set[str] = field(default_factory=set)
    push_failures: list[int] = field(default_factory=list)
    delay: float = 0.0
    record: bool = True
    url: str = ""
    count: int = 0
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def app(self) -> web.Application:
        """The aiohttp application of the fake."""
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_post("/v2/bot/message/reply", self._reply)
        app.router.add_post("/v2/bot/message/push", self._push)
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
        return body

    def _sent(self, body: Any) -> web.Response:
        msgs = body.get("messages") or []
        return web.json_response({"sentMessages": [{"id": str(next(self._ids)), "quoteToken": "q"} for _ in msgs]})

    async def _reply(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        if not request.headers.get("Authorization", "").startswith("Bearer "):
            return web.json_response({"message": "Authentication failed"}, status=401)
        if body.get("replyToken") in self.invalid_tokens:
            return web.json_response({"message": "Invalid reply token"}, status=400)
        return self._sent(body)

    async def _push(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        if self.push_failures:
            status = self.push_failures.pop(0)
            return web.json_response({"message": f"failure {status}"}, status=status)
        return self._sent(body)


def main() -> None:  # pragma: no cover - manual/benchmark use
    """Run the fake on 127.0.0.1 without recording calls."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, default=8099)
    ns = ap.parse_args()
    web.run_app(FakeLineApi(record=False).app(), host="127.0.0.1", port=ns.port, access_log=None, print=None)


if __name__ == "__main__":  # pragma: no cover
    main()
