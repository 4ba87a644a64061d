"""A fake LINE Messaging API with a viewer: what the bot sent, rendered like LINE.

An aiohttp app that answers the Messaging API calls the bot makes through the real line-bot-sdk —
reply, push, profile, and the rich-menu calls (create, list, get, delete, image upload, default,
link to a user) — and records every one of them. Point the SDK at it with
``Configuration(host=fake.url)`` (``LINE_API_BASE`` for the app): all calls, the blob API's image
upload included, then go to it.

Like the real API it refuses (400, recorded in ``invalid``) a body that is not a valid request:
reply and push bodies are parsed with the SDK's own ``ReplyMessageRequest`` / ``PushMessageRequest``
models (≤5 messages, ≤13 quick-reply items, postback data ≤300…) and checked for the limits the SDK
does not enforce (text ≤5,000 UTF-16 units, action labels ≤20, ``displayText`` ≤300, ``altText``
≤400); rich menus are parsed with ``RichMenuRequest`` and checked for LINE's rules (size, at most
20 areas inside the image, ``chatBarText`` ≤14 characters…), their image for type, ≤1 MB and
the menu's exact size. It can be told to reject reply tokens (400 "Invalid reply token", as LINE
answers for an expired token) or to fail pushes with a status.

The viewer (``GET /``, a self-contained page: no CDN) shows every message sent, per user, as
LINE draws it: text bubbles, quick-reply chips, Flex bubbles and carousels with their texts and
buttons, and the rich menu each user sees. It polls ``GET /_viewer/feed``. When the fake knows
the bot's webhook (``webhook_url``, ``channel_secret``), the page can also send messages and tap
quick replies and rich-menu areas: the fake signs and posts the webhook event like LINE does.

Run it (with the viewer) for development — ``make line-dev`` starts it with ``soudan serve``::

    .venv/bin/soudan line fake --port 8099 --webhook http://127.0.0.1:8080/line/webhook
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import io
import itertools
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from aiohttp import web

__all__ = ["UNKNOWN_USER", "Call", "Entry", "FakeLineApi", "main", "problems", "richmenu_problems"]

UNKNOWN_USER = ("user unknown: a reply call names no user, only its reply token, and this token was not "
                "in an event sent by `soudan line send` or the viewer (an event signed by hand?). "
                "POST the same webhook body to this fake's /_dev/events before the webhook to see "
                "the reply under its user.")
"""Why a reply is shown without its user (the note of its feed entry and of the terminal print)."""

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
    except Exception as exc:  # noqa: BLE001 — the SDK's pydantic v1 ValidationError and friends: each becomes a recorded problem
        return [f"SDK model {model.__name__}: {exc}"]
    out: list[str] = []
    _walk(body.get("messages"), out, "messages")
    return out



MAX_AREAS = 20
"""Most tappable areas of one rich menu."""

MAX_CHAT_BAR_TEXT = 14
"""Most characters of a rich menu's ``chatBarText`` (the label of the bar that opens it)."""

MAX_IMAGE_BYTES = 1024 * 1024
"""Largest rich-menu image LINE accepts (bytes)."""


def richmenu_problems(body: Any) -> list[str]:
    """Why LINE would refuse this rich menu (the body of ``POST /v2/bot/richmenu``); empty when valid.

    Parsed with the SDK's ``RichMenuRequest`` (every area's action through its own model), then
    checked for the rules of the Messaging API reference the model does not enforce: width
    800–2,500 px, height ≥250 px, width/height ≥1.45, ``selected`` a boolean, ``name`` 1–300
    characters, ``chatBarText`` 1–14, 1–20 areas each inside the image, action labels ≤20,
    postback data ≤300, ``displayText`` and message text ≤300, URIs ≤1,000.
    """
    from linebot.v3.messaging import RichMenuRequest

    try:
        RichMenuRequest.from_dict(body)
    except Exception as exc:  # noqa: BLE001 — the SDK's pydantic v1 ValidationError, ValueError for an unknown action: a recorded problem
        return [f"SDK model RichMenuRequest: {exc}"]
    if not isinstance(body, dict):
        return ["the rich menu must be a JSON object"]
    out: list[str] = []
    size = body.get("size") or {}
    w, h = size.get("width"), size.get("height")
    if not (isinstance(w, int) and isinstance(h, int)):
        return ["size.width and size.height are required integers"]
    if not 800 <= w <= 2500 or h < 250 or w / h < 1.45:
        out.append(f"size {w}x{h}: width 800-2500, height at least 250 and width/height at least 1.45")
    if not isinstance(body.get("selected"), bool):
        out.append("selected must be true or false")
    name, bar = body.get("name"), body.get("chatBarText")
    if not isinstance(name, str) or not 1 <= len(name) <= 300:
        out.append("name must be 1-300 characters")
    if not isinstance(bar, str) or not 1 <= len(bar) <= MAX_CHAT_BAR_TEXT:
        out.append(f"chatBarText must be 1-{MAX_CHAT_BAR_TEXT} characters")
    areas = body.get("areas")
    if not isinstance(areas, list) or not 1 <= len(areas) <= MAX_AREAS:
        return [*out, f"areas must be a list of 1-{MAX_AREAS} areas"]
    for i, area in enumerate(areas):
        where = f"areas[{i}]"
        b = area.get("bounds") or {}
        x, y, bw, bh = (b.get(k) for k in ("x", "y", "width", "height"))
        if not (isinstance(x, int) and isinstance(y, int) and isinstance(bw, int) and isinstance(bh, int)) \
                or min(x, y, bw, bh) < 0:
            out.append(f"{where}.bounds needs x, y, width, height (integers ≥0)")
        elif bw == 0 or bh == 0 or x + bw > w or y + bh > h:
            out.append(f"{where}.bounds {x},{y} {bw}x{bh} is empty or outside the {w}x{h} image")
        action = area.get("action")
        if not isinstance(action, dict):
            out.append(f"{where}.action is required")
            continue
        if _u16(str(action.get("label") or "")) > 20:
            out.append(f"{where}.action.label over 20")
        if len(str(action.get("data") or "")) > 300:
            out.append(f"{where}.action.data over 300")
        if len(str(action.get("displayText") or "")) > 300 or (action.get("type") == "message"
                                                                  and len(str(action.get("text") or "")) > 300):
            out.append(f"{where}.action text over 300")
        if len(str(action.get("uri") or "")) > 1000:
            out.append(f"{where}.action.uri over 1000")
    return out


def _image_problems(content_type: str, data: bytes, size: dict[str, Any]) -> list[str]:
    """Why LINE would refuse this rich-menu image for a menu of ``size``."""
    if content_type not in ("image/png", "image/jpeg"):
        return [f"Content-Type must be image/png or image/jpeg, not {content_type or 'none'}"]
    if len(data) > MAX_IMAGE_BYTES:
        return [f"image is {len(data)} bytes, over 1 MB"]
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt, dims = img.format, img.size
    except Exception as exc:  # noqa: BLE001 — pillow raises several kinds for bytes that are not an image
        return [f"not a readable image: {type(exc).__name__}"]
    if fmt not in ("PNG", "JPEG") or (fmt == "PNG") != (content_type == "image/png"):
        return [f"image format {fmt} does not match Content-Type {content_type}"]
    if dims != (size.get("width"), size.get("height")):
        return [f"image is {dims[0]}x{dims[1]}, the rich menu is {size.get('width')}x{size.get('height')}"]
    return []


@dataclass
class Call:
    """One request received by the fake.

    Attributes:
        path: the URL path (``/v2/bot/message/reply``…).
        headers: request headers (case-insensitive lookup through ``header()``).
        json: the parsed JSON body (None for a GET or DELETE; for an image upload, a dict with
            ``contentType`` and ``bytes``).
        method: the HTTP method.
    """

    path: str
    headers: dict[str, str]
    json: Any
    method: str = "POST"

    def header(self, name: str) -> str | None:
        """A header value by case-insensitive name."""
        low = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == low), None)


@dataclass
class Entry:
    """One line of the viewer's feed.

    Attributes:
        seq: position in the feed (1, 2, …).
        at: when it happened (aware, JST).
        user: the LINE user id it belongs to, or None when the fake cannot tell (a reply token it
            did not see in an event: the note says so, :data:`UNKNOWN_USER`).
        side: ``bot`` (sent by the bot), ``user`` (an event the user sent through the viewer or
            ``soudan line send``) or ``api`` (a refused call, a rich-menu change).
        kind: ``reply``, ``push``, ``refused``, ``message``, ``postback``, ``follow``, ``richmenu``….
        messages: the Messaging API message objects (``bot``), or the event (``user``).
        note: a short text (why a call was refused, what changed).
    """

    seq: int
    at: dt.datetime
    user: str | None
    side: str
    kind: str
    messages: list[Any] = field(default_factory=list)
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        """The entry as the viewer reads it."""
        return {"seq": self.seq, "at": self.at.isoformat(timespec="seconds"), "user": self.user, "side": self.side,
                "kind": self.kind, "messages": self.messages, "note": self.note}


def _now() -> dt.datetime:
    from bot.timeutil import JST

    return dt.datetime.now(JST)


def describe(messages: list[Any]) -> list[str]:
    """Messages as terminal lines: texts as they are, Flex cards as their texts and buttons,
    quick replies as ``[label]`` chips."""
    out: list[str] = []
    for m in messages if isinstance(messages, list) else []:
        if not isinstance(m, dict):
            continue
        if m.get("type") == "flex":
            out.append(f"[Flex] {m.get('altText', '')}")
            out.extend("    " + line for text in _flex_texts(m.get("contents")) for line in text.splitlines() if line)
        elif m.get("type") == "text":
            out.extend(str(m.get("text", "")).splitlines() or [""])
        else:
            out.append(f"[{m.get('type')}]")
        items = (m.get("quickReply") or {}).get("items") or []
        if items:
            out.append("  " + " ".join(f"[{(i.get('action') or {}).get('label', '')}]" for i in items))
    return out


def _flex_texts(node: Any) -> list[str]:
    """Texts and button labels of a Flex container, in reading order (bubbles apart by a blank line)."""
    if isinstance(node, list):
        return [t for v in node for t in _flex_texts(v)]
    if not isinstance(node, dict):
        return []
    kind = node.get("type")
    if kind == "text":
        return [str(node.get("text", ""))]
    if kind == "button":
        action = node.get("action") or {}
        return [f"<{action.get('label', '')}> {action.get('uri', action.get('data', ''))}".rstrip()]
    if kind == "carousel":
        return [t for b in node.get("contents", []) for t in [*_flex_texts(b), ""]]
    return [t for key in ("header", "hero", "body", "footer", "contents") if key in node
            for t in _flex_texts(node[key])]


@dataclass
class FakeLineApi:
    """State and behaviour of the fake.

    Attributes:
        calls: the reply and push calls received, in order.
        all_calls: every call received, in order: reply, push, profile, rich menu, image upload.
        invalid_tokens: reply tokens answered with 400 "Invalid reply token".
        push_failures: statuses to answer the next pushes with (consumed in order).
        refuse_flex: answer 400 to a reply that contains a Flex message (as LINE does for a
            message it cannot accept), to test the plain-text fallback.
        delay: seconds to wait before answering (to test slow APIs).
        in_flight, max_in_flight: reply and push calls being answered now, and the most at once
            (to see that calls overlap, without timing them).
        record: False to keep no calls (benchmark).
        validate: check every body as LINE would (off for the benchmark).
        invalid: problems found in bodies that were refused.
        url: the base URL once served (set by the test fixture or :func:`serve`).
        profiles: user ids whose profile was asked for (kept apart from ``calls``).
        languages: user id → profile ``language``; other users get ``default_language``.
        default_language: the profile language of users not in ``languages``; None: they get
            404 (as for a user who has not added the bot as a friend).
        count: calls received (also when not recording).
        strict: behave like LINE about repeats: a reply token is accepted once (then 400 "Invalid
            reply token"), a push whose ``X-Line-Retry-Key`` was accepted before gets 409.
        accepted: the reply and push calls answered 2xx (what reached the person), in order.
        richmenus: rich menu id → the rich menu (the request with its ``richMenuId``).
        richmenu_images: rich menu id → ``(content type, image bytes)``.
        default_richmenu: the id of the default rich menu, or None.
        user_richmenus: user id → the id of the rich menu linked to that user.
        feed: the viewer's entries, oldest first (at most ``feed_limit``).
        webhook_url, channel_secret: the bot's webhook and its channel secret, for the viewer's
            send box (None: the page only shows).
        printer: called with each line to print about a sent message (None: print nothing).
    """

    calls: list[Call] = field(default_factory=list)
    all_calls: list[Call] = field(default_factory=list)
    invalid_tokens: set[str] = field(default_factory=set)
    push_failures: list[int] = field(default_factory=list)
    refuse_flex: bool = False
    delay: float = 0.0
    in_flight: int = 0
    max_in_flight: int = 0
    languages: dict[str, str] = field(default_factory=dict)
    default_language: str | None = None
    profiles: list[str] = field(default_factory=list)
    record: bool = True
    validate: bool = True
    invalid: list[str] = field(default_factory=list)
    url: str = ""
    count: int = 0
    strict: bool = False
    accepted: list[Call] = field(default_factory=list)
    richmenus: dict[str, dict[str, Any]] = field(default_factory=dict)
    richmenu_images: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    default_richmenu: str | None = None
    user_richmenus: dict[str, str] = field(default_factory=dict)
    feed: list[Entry] = field(default_factory=list)
    feed_limit: int = 5000
    webhook_url: str | None = None
    channel_secret: str | None = None
    printer: Callable[[str], None] | None = None
    _ids: itertools.count[int] = field(default_factory=itertools.count)
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _used: set[str] = field(default_factory=set)
    _token_users: dict[str, str] = field(default_factory=dict)

    def app(self) -> web.Application:
        """The aiohttp application of the fake (the API and the viewer)."""
        app = web.Application(client_max_size=4 * 1024 * 1024)
        r = app.router
        r.add_post("/v2/bot/message/reply", self._reply)
        r.add_post("/v2/bot/message/push", self._push)
        r.add_get("/v2/bot/profile/{user_id}", self._profile)
        r.add_post("/v2/bot/richmenu", self._create_richmenu)
        r.add_post("/v2/bot/richmenu/validate", self._validate_richmenu)
        r.add_get("/v2/bot/richmenu/list", self._list_richmenus)
        r.add_get("/v2/bot/richmenu/{id}", self._get_richmenu)
        r.add_delete("/v2/bot/richmenu/{id}", self._delete_richmenu)
        r.add_post("/v2/bot/richmenu/{id}/content", self._set_image)
        r.add_get("/v2/bot/richmenu/{id}/content", self._get_image)
        r.add_post("/v2/bot/user/all/richmenu/{id}", self._set_default)
        r.add_get("/v2/bot/user/all/richmenu", self._get_default)
        r.add_delete("/v2/bot/user/all/richmenu", self._clear_default)
        r.add_post("/v2/bot/user/{user}/richmenu/{id}", self._link)
        r.add_get("/v2/bot/user/{user}/richmenu", self._get_link)
        r.add_delete("/v2/bot/user/{user}/richmenu", self._unlink)
        r.add_get("/", self._page)
        r.add_get("/_viewer/feed", self._feed)
        r.add_post("/_viewer/send", self._send)
        r.add_post("/_dev/events", self._dev_events)
        r.add_post("/_dev/profiles/{user}", self._dev_profile)
        return app

    # -------------------------------------------------------------- queries (tests)

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

    def richmenu_for(self, user: str) -> dict[str, Any] | None:
        """The rich menu ``user`` sees: the one linked to them, else the default, else None."""
        rid = self.user_richmenus.get(user) or self.default_richmenu
        return self.richmenus.get(rid) if rid else None

    async def wait_calls(self, n: int, timeout: float = 5.0) -> None:
        """Wait until at least ``n`` reply/push calls were received (for background deliveries)."""
        async with asyncio.timeout(timeout):
            while len(self.calls) < n:
                await asyncio.sleep(0.01)

    # -------------------------------------------------------------- recording

    def note(self, user: str | None, side: str, kind: str, messages: list[Any] | None = None, note: str = "") -> None:
        """Add an entry to the viewer's feed (and print it when ``printer`` is set)."""
        if not self.record:
            return
        e = Entry(next(self._seq), _now(), user, side, kind, list(messages or []), note)
        self.feed.append(e)
        if len(self.feed) > self.feed_limit:
            del self.feed[: len(self.feed) - self.feed_limit]
        if self.printer is not None:
            who = user or "?"
            head = f"[{e.at:%H:%M:%S}] "
            if side == "bot":
                lines = describe(e.messages)
                self.printer(f"{head}bot → {who} ({kind}): " + (lines[0] if lines else ""))
                for line in lines[1:]:
                    self.printer(" " * len(head) + "  " + line)
                if user is None and note:
                    self.printer(" " * len(head) + "  (? " + note + ")")
            else:
                self.printer(f"{head}{'' if side == 'api' else who + ' → bot '}({kind}) {note}".rstrip())

    def _log(self, request: web.Request, body: Any = None) -> None:
        self.count += 1
        if self.record:
            self.all_calls.append(Call(request.path, dict(request.headers), body, request.method))

    async def _record(self, request: web.Request) -> Any:
        try:
            body = await request.json()
        except ValueError:
            raise web.HTTPBadRequest(text='{"message": "The request body could not be parsed as JSON"}',
                                     content_type="application/json") from None
        if not isinstance(body, dict):  # LINE answers 400 for a list or a bare value, never 500
            raise web.HTTPBadRequest(text='{"message": "The request body must be a JSON object"}',
                                     content_type="application/json")
        self._log(request, body)
        if self.record:
            self.calls.append(Call(request.path, dict(request.headers), body))
        if self.delay:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                await asyncio.sleep(self.delay)
            finally:
                self.in_flight -= 1
        if self.validate:
            found = problems(request.path, body)
            if found:
                self.invalid.extend(found)
                self.note(self._user_of(request.path, body), "api", "refused", body.get("messages") or [],
                          "400 — " + "; ".join(found))
                raise web.HTTPBadRequest(text='{"message": "The request body has 1 error(s)"}',
                                         content_type="application/json")
        return body

    def _user_of(self, path: str, body: Any) -> str | None:
        if path.endswith("/push"):
            return str(body.get("to")) if isinstance(body, dict) else None
        return self._token_users.get(str(body.get("replyToken"))) if isinstance(body, dict) else None

    def _sent(self, path: str, body: Any) -> web.Response:
        msgs = body.get("messages") or []
        user = self._user_of(path, body)
        self.note(user, "bot", path.rsplit("/", 1)[1], msgs, UNKNOWN_USER if user is None else "")
        return web.json_response({"sentMessages": [{"id": str(next(self._ids)), "quoteToken": "q"} for _ in msgs]})

    # -------------------------------------------------------------- messages

    async def _reply(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        if not request.headers.get("Authorization", "").startswith("Bearer "):
            return web.json_response({"message": "Authentication failed"}, status=401)
        token = body.get("replyToken")
        if token in self.invalid_tokens or (self.strict and token in self._used):
            self.note(self._user_of(request.path, body), "api", "refused", body.get("messages") or [],
                      "400 — Invalid reply token")
            return web.json_response({"message": "Invalid reply token"}, status=400)
        if self.refuse_flex and any(m.get("type") == "flex" for m in body.get("messages") or []):
            return web.json_response({"message": "The request body has 1 error(s)"}, status=400)
        self._used.add(token)
        self.accepted.append(Call(request.path, dict(request.headers), body))
        return self._sent(request.path, body)

    async def _profile(self, request: web.Request) -> web.Response:
        uid = request.match_info["user_id"]
        self._log(request)
        self.profiles.append(uid)
        language = self.languages.get(uid, self.default_language)
        if language is None:
            return web.json_response({"message": "Not found"}, status=404)
        return web.json_response({"userId": uid, "displayName": "x", "language": language})

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
        return self._sent(request.path, body)

    # -------------------------------------------------------------- rich menus

    @staticmethod
    def _error(status: int, message: str, details: list[str] | None = None) -> web.Response:
        body: dict[str, Any] = {"message": message}
        if details:
            body["details"] = [{"message": d} for d in details]
        return web.json_response(body, status=status)

    async def _menu_body(self, request: web.Request) -> tuple[Any, web.Response | None]:
        try:
            body = await request.json()
        except ValueError:
            self._log(request)
            return None, self._error(400, "The request body could not be parsed as JSON")
        self._log(request, body)
        found = richmenu_problems(body) if self.validate else []
        if found:
            self.invalid.extend(found)
            self.note(None, "api", "refused", [], "rich menu 400 — " + "; ".join(found))
            return body, self._error(400, "A message (richmenu) in the request body is invalid", found)
        return body, None

    async def _create_richmenu(self, request: web.Request) -> web.Response:
        body, refused = await self._menu_body(request)
        if refused is not None:
            return refused
        rid = f"richmenu-{secrets.token_hex(16)}"
        self.richmenus[rid] = {"richMenuId": rid, **body}
        self.note(None, "api", "richmenu", [], f"created {body.get('name')!r} ({rid})")
        return web.json_response({"richMenuId": rid})

    async def _validate_richmenu(self, request: web.Request) -> web.Response:
        _, refused = await self._menu_body(request)
        return refused or web.json_response({})

    def _menu(self, request: web.Request) -> tuple[str, web.Response | None]:
        rid = request.match_info["id"]
        return rid, None if rid in self.richmenus else self._error(404, "Not found")

    async def _list_richmenus(self, request: web.Request) -> web.Response:
        self._log(request)
        return web.json_response({"richmenus": list(self.richmenus.values())})

    async def _get_richmenu(self, request: web.Request) -> web.Response:
        self._log(request)
        rid, missing = self._menu(request)
        return missing or web.json_response(self.richmenus[rid])

    async def _delete_richmenu(self, request: web.Request) -> web.Response:
        self._log(request)
        rid, missing = self._menu(request)
        if missing:
            return missing
        menu = self.richmenus.pop(rid)
        self.richmenu_images.pop(rid, None)
        if self.default_richmenu == rid:
            self.default_richmenu = None
        self.user_richmenus = {u: m for u, m in self.user_richmenus.items() if m != rid}
        self.note(None, "api", "richmenu", [], f"deleted {menu.get('name')!r} ({rid})")
        return web.json_response({})

    async def _set_image(self, request: web.Request) -> web.Response:
        data = await request.read()
        ctype = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        self._log(request, {"contentType": ctype, "bytes": len(data)})
        rid, missing = self._menu(request)
        if missing:
            return missing
        if rid in self.richmenu_images:
            return self._error(400, "An image has already been uploaded to the richmenu")
        found = _image_problems(ctype, data, self.richmenus[rid]["size"]) if self.validate else []
        if found:
            self.invalid.extend(found)
            self.note(None, "api", "refused", [], "rich menu image 400 — " + "; ".join(found))
            return self._error(400, "Invalid image", found)
        self.richmenu_images[rid] = (ctype, data)
        return web.json_response({})

    async def _get_image(self, request: web.Request) -> web.Response:
        self._log(request)
        rid = request.match_info["id"]
        if rid not in self.richmenu_images:
            return self._error(404, "Not found")
        ctype, data = self.richmenu_images[rid]
        return web.Response(body=data, content_type=ctype)

    def _applicable(self, request: web.Request) -> tuple[str, web.Response | None]:
        rid, missing = self._menu(request)
        if missing:
            return rid, self._error(400, "richmenu not found")
        if rid not in self.richmenu_images:
            return rid, self._error(400, "must upload richmenu image before applying it to user")
        return rid, None

    async def _set_default(self, request: web.Request) -> web.Response:
        self._log(request)
        rid, refused = self._applicable(request)
        if refused:
            return refused
        self.default_richmenu = rid
        self.note(None, "api", "richmenu", [], f"default rich menu: {self.richmenus[rid].get('name')!r}")
        return web.json_response({})

    async def _get_default(self, request: web.Request) -> web.Response:
        self._log(request)
        if self.default_richmenu is None:
            return self._error(404, "no default richmenu")
        return web.json_response({"richMenuId": self.default_richmenu})

    async def _clear_default(self, request: web.Request) -> web.Response:
        self._log(request)
        self.default_richmenu = None
        return web.json_response({})

    async def _link(self, request: web.Request) -> web.Response:
        self._log(request)
        rid, refused = self._applicable(request)
        if refused:
            return refused
        user = request.match_info["user"]
        self.user_richmenus[user] = rid
        self.note(user, "api", "richmenu", [], f"linked {self.richmenus[rid].get('name')!r}")
        return web.json_response({})

    async def _get_link(self, request: web.Request) -> web.Response:
        self._log(request)
        rid = self.user_richmenus.get(request.match_info["user"])
        if rid is None:
            return self._error(404, "the user has no richmenu linked")
        return web.json_response({"richMenuId": rid})

    async def _unlink(self, request: web.Request) -> web.Response:
        self._log(request)
        user = request.match_info["user"]
        if self.user_richmenus.pop(user, None) is not None:
            self.note(user, "api", "richmenu", [], "unlinked: the default rich menu applies")
        return web.json_response({})

    # -------------------------------------------------------------- viewer

    async def _page(self, request: web.Request) -> web.Response:
        html = resources.files("bot.devtools").joinpath("line_viewer.html").read_text(encoding="utf-8")
        return web.Response(text=html, content_type="text/html", charset="utf-8",
                            headers={"Cache-Control": "no-store", "Content-Security-Policy":
                                     "default-src 'self'; img-src 'self' data:; style-src 'unsafe-inline'; "
                                     "script-src 'unsafe-inline'"})

    async def _feed(self, request: web.Request) -> web.Response:
        """``GET /_viewer/feed?after=N``: the entries after ``N`` and each user's rich menu."""
        try:
            after = int(request.query.get("after", "0"))
        except ValueError:
            return self._error(400, "after must be an integer")
        items = [e.as_json() for e in self.feed if e.seq > after]
        users = sorted({e.user for e in self.feed if e.user})
        menus: dict[str, Any] = {}
        for u in ["", *users]:
            m = self.richmenu_for(u) if u else self.richmenus.get(self.default_richmenu or "")
            if m is not None:
                rid = m["richMenuId"]
                image = self.richmenu_images.get(rid)
                menus[u or "*"] = {**m, "image": _data_uri(image) if image else None}
        return web.json_response({"items": items, "next": self.feed[-1].seq if self.feed else after,
                                  "richmenus": menus, "canSend": bool(self.webhook_url and self.channel_secret)})

    async def _send(self, request: web.Request) -> web.Response:
        """``POST /_viewer/send`` ``{"user", "text" | "data" | "follow"}``: sign and post an event to the bot."""
        from bot.devtools import line_webhook as lw

        if not (self.webhook_url and self.channel_secret):
            return self._error(409, "this fake does not know the bot's webhook (start it with --webhook)")
        try:
            req = await request.json()
            user = str(req["user"]).strip()
        except (ValueError, KeyError, TypeError):
            return self._error(400, 'send {"user": "u1", "text": "…"} (or "data", or "follow": true)')
        if not user:
            return self._error(400, "user must not be empty")
        if req.get("follow"):
            ev = lw.event("follow", user)
        elif req.get("data") is not None:
            ev = lw.event("postback", user, data=str(req["data"]))
        else:
            ev = lw.event("message", user, text=str(req.get("text", "")))
        self._user_event(ev, str(req.get("label") or ""))
        try:
            status, text = await lw.post(self.webhook_url, lw.body_of(ev), self.channel_secret, timeout=30.0)
        except (OSError, TimeoutError) as exc:  # aiohttp.ClientError is an OSError
            self.note(user, "api", "webhook", [], f"the bot could not be reached: {type(exc).__name__}")
            return web.json_response({"status": 0, "error": type(exc).__name__}, status=502)
        if status != 200:
            self.note(user, "api", "webhook", [], f"the bot answered {status} {text.strip()[:200]}")
        return web.json_response({"status": status})

    def _user_event(self, ev: dict[str, Any], label: str = "") -> None:
        """Remember an event's reply token (replies are shown under its user) and show the event."""
        src = ev.get("source") or {}
        user = src.get("userId") if isinstance(src, dict) else None
        if not isinstance(user, str):
            return
        token = ev.get("replyToken")
        if isinstance(token, str):
            self._token_users[token] = user
            if len(self._token_users) > 10_000:
                self._token_users.pop(next(iter(self._token_users)))
        kind = str(ev.get("type"))
        part = ev.get({"message": "message", "postback": "postback"}.get(kind, ""))
        part = part if isinstance(part, dict) else {}  # a hand-made body may hold anything here
        if kind == "message":
            note = str(part.get("text", ""))
        elif kind == "postback":
            note = label or str(part.get("data", ""))
        else:
            note = ""
        self.note(user, "user", kind, [ev], note)

    async def _dev_events(self, request: web.Request) -> web.Response:
        """``POST /_dev/events`` (a webhook body): show the events ``soudan line send`` posted."""
        try:
            body = await request.json()
            events = body["events"]
        except (ValueError, KeyError, TypeError):
            return self._error(400, "send a webhook body")
        for ev in events if isinstance(events, list) else []:
            if isinstance(ev, dict):
                self._user_event(ev)
        return web.json_response({})

    async def _dev_profile(self, request: web.Request) -> web.Response:
        """``POST /_dev/profiles/{user}`` ``{"language": "en"}``: the language of a user's profile."""
        try:
            language = str((await request.json())["language"])
        except (ValueError, KeyError, TypeError):
            return self._error(400, 'send {"language": "en"}')
        self.languages[request.match_info["user"]] = language
        return web.json_response({})


def _data_uri(image: tuple[str, bytes]) -> str:
    import base64

    return f"data:{image[0]};base64,{base64.b64encode(image[1]).decode()}"


def main(args: argparse.Namespace) -> int:
    """``soudan line fake``: serve the fake Messaging API and its viewer until Ctrl-C."""
    import os

    from bot.devtools import DEV_CHANNEL_SECRET

    secret = args.secret or os.environ.get("LINE_CHANNEL_SECRET") or DEV_CHANNEL_SECRET

    def out(line: str) -> None:
        print(line, flush=True)

    fake = FakeLineApi(webhook_url=args.webhook, channel_secret=secret, default_language=args.language or None,
                       printer=None if args.quiet else out)
    host = f"[{args.host}]" if ":" in args.host else args.host
    fake.url = f"http://{host}:{args.port}"
    print(f"fake LINE Messaging API and viewer: {fake.url}/  (LINE_API_BASE={fake.url})", flush=True)
    try:
        web.run_app(fake.app(), host=args.host, port=args.port, access_log=None, print=None)
    except OSError as exc:
        print(f"soudan line fake: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    from bot.devtools import fake_arguments

    _p = argparse.ArgumentParser(prog="python -m bot.devtools.line_fake", description=__doc__.split("\n")[0])
    fake_arguments(_p)
    sys.exit(main(_p.parse_args()))
