"""The Messaging API client: reply, push (with retry keys), profile, and the SDK session patch.

Messages are posted through line-bot-sdk's ``AsyncApiClient`` (created in the running loop by
:meth:`LineApi.open`, closed by :meth:`LineApi.close`). A failed reply (expired token, network)
falls back to a push with ``X-Line-Retry-Key`` when push fallback is on; a reply LINE refuses for
its content (400) is sent again as plain text (:func:`~.flex.plain_version`). API errors are
counted and logged, never raised.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import ssl
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import aiohttp

from bot.adapters import Metrics
from bot.adapters.line.codecs import encode_json
from bot.adapters.line.events import PLATFORM
from bot.adapters.line.flex import Msg, plain_version
from bot.adapters.line.sdk import ApiException, AsyncApiClient, Configuration

__all__ = ["API_BASE", "API_TIMEOUT", "PROFILE_TIMEOUT", "REPLY_TOKEN_USED_WITHIN", "Delivery", "LineApi"]

log = logging.getLogger("soudan.line")

API_BASE = "https://api.line.me"
"""The Messaging API host (``LINE_API_BASE`` overrides it: a local fake)."""

REPLY_PATH = "/v2/bot/message/reply"
PUSH_PATH = "/v2/bot/message/push"
PROFILE_PATH = "/v2/bot/profile/"
PROFILE_TIMEOUT = 2.0
"""Seconds to wait for the profile (language) on a follow event before greeting in Japanese."""

PUSH_RETRY_DELAY = 0.5
"""Seconds between a failed push (network error or 5xx) and its one retry under the same key."""

API_TIMEOUT = 10.0
"""Seconds allowed for one Messaging API call (the SDK's own default is 5 minutes)."""

_API_CLIENT_TIMEOUT = aiohttp.ClientTimeout(total=API_TIMEOUT)

REPLY_TOKEN_USED_WITHIN = 30.0
"""Seconds after a first send during which a resend whose reply is refused (400) counts the reply as
made by that first send (a reply token is single-use, and lives at least about this long): the
first attempt died after LINE had accepted it. Later, a refused token is taken as expired and the
messages are pushed."""

Delivery = Literal["sent", "gave-up", "retry"]
"""Outcome of sending: accepted, refused for good (or nothing to send with), or worth a redelivery."""

_PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "ws_proxy", "wss_proxy", "netrc")


def _env_needed() -> bool:
    """True when proxy variables or a ``.netrc`` could change how the API is reached."""
    if any(os.environ.get(v) or os.environ.get(v.upper()) for v in _PROXY_VARS):
        return True
    try:
        return (Path.home() / ".netrc").exists()
    except (OSError, RuntimeError):  # no home directory
        return True


@functools.lru_cache(maxsize=8)
def _tls_context(cafile: str | None, cert_file: str | None, key_file: str | None) -> ssl.SSLContext:
    """One client TLS context per (CA file, client certificate, key) for the whole process.

    Building one loads the system CA bundle (12–40 ms here); an ``ssl.SSLContext`` may be shared by
    any number of sessions, and these settings never change while the process runs.

    Raises:
        OSError, ssl.SSLError: when a named file cannot be read (not cached then).
    """
    ctx = ssl.create_default_context(cafile=cafile)
    if cert_file:
        ctx.load_cert_chain(cert_file, keyfile=key_file)
    return ctx


class _SharedTls:
    """The ``ssl`` module as the SDK's ``async_rest`` sees it while :func:`_api_client` builds a
    client: ``create_default_context`` gives the process's context (:func:`_tls_context`); every
    other name is the real module's."""

    def __init__(self, ctx: ssl.SSLContext) -> None:
        self._ctx = ctx

    def create_default_context(self, *args: Any, **kwargs: Any) -> ssl.SSLContext:
        return self._ctx

    def __getattr__(self, name: str) -> Any:
        return getattr(ssl, name)


def _api_client(cfg: Configuration) -> AsyncApiClient:
    """``AsyncApiClient(cfg)`` on the process's TLS context (:func:`_tls_context`).

    The SDK builds a context of its own for every client (``ssl.create_default_context``: the CA
    bundle loaded again, 12–40 ms). While the client is built, its ``async_rest`` module is given
    the shared context instead — only for a configuration under which the SDK changes nothing in
    the context it gets (verification on, no client certificate), and only when the SDK still has
    that shape; otherwise the client is built as it comes.

    Raises:
        OSError, ssl.SSLError: when ``cfg.ssl_ca_cert`` cannot be read.
    """
    from linebot.v3.messaging import async_rest

    if not (cfg.verify_ssl and not cfg.cert_file and getattr(async_rest, "ssl", None) is ssl):
        return AsyncApiClient(cfg)
    async_rest.ssl = _SharedTls(_tls_context(cfg.ssl_ca_cert, None, None))
    try:
        return AsyncApiClient(cfg)  # synchronous: nothing else runs while the module is swapped
    finally:
        async_rest.ssl = ssl


async def _without_env_lookups(client: AsyncApiClient, cfg: Configuration) -> None:
    """Give the SDK client an HTTP session without per-request environment lookups.

    The SDK's aiohttp session is made with ``trust_env=True``: every API call then runs two
    thread-pool jobs (proxy variables and ``~/.netrc``), a large part of a reply's cost under
    load. When no proxy variable and no ``.netrc`` exist, those lookups can only find nothing, so
    the session is replaced by an identical one (same connection limit and TLS settings) without
    them. With a proxy configured the SDK's session is kept as it is. If the SDK's internals
    change shape, nothing is replaced.
    """
    rest = getattr(client, "rest_client", None)
    old = getattr(rest, "pool_manager", None)
    if rest is None or not isinstance(old, aiohttp.ClientSession) or _env_needed():
        return
    ssl_ctx = _tls_context(cfg.ssl_ca_cert, cfg.cert_file, cfg.key_file)
    connector = aiohttp.TCPConnector(limit=cfg.connection_pool_maxsize, ssl=ssl_ctx)
    rest.pool_manager = aiohttp.ClientSession(connector=connector, trust_env=False)
    await old.close()




@dataclass
class LineApi:
    """The Messaging API calls of one application, with their metrics.

    Args:
        access_token: the channel access token.
        metrics: the app's :class:`~bot.adapters.Metrics` (``replies``, ``messages``,
            ``api_errors``, ``undelivered``).
        api_base: Messaging API host (``https://api.line.me`` when None); a local fake in tests.
        push_fallback: push the messages when the reply call fails (e.g. expired reply token).

    Attributes:
        client: the SDK's ``AsyncApiClient`` while open (None before :meth:`open` and after
            :meth:`close`).
    """

    access_token: str
    metrics: Metrics
    api_base: str | None = None
    push_fallback: bool = True
    client: AsyncApiClient | None = None

    def __post_init__(self) -> None:
        self._counters: dict[str, Any] = {}
        self._messages = self.metrics.messages.labels(PLATFORM)

    async def open(self) -> None:
        """Create the SDK client (in the running event loop) with the session patch applied."""
        # the SDK leaves the host None unless given; our own calls need it (issue #15 trial)
        cfg = Configuration(host=self.api_base or API_BASE, access_token=self.access_token)
        client = _api_client(cfg)
        await _without_env_lookups(client, cfg)
        self.client = client

    async def close(self) -> None:
        """Close the SDK client (its connection pool); calls after this raise ``RuntimeError``."""
        client, self.client = self.client, None
        if client is not None:
            await client.close()

    def _sent(self, method: str, n: int) -> None:
        c = self._counters.get(method)
        if c is None:
            c = self._counters[method] = self.metrics.replies.labels(PLATFORM, method)
        c.inc()
        self._messages.inc(n)

    async def deliver(self, reply_token: str | None, user_id: str | None, batches: Sequence[list[Msg]],
                      key: Callable[[], str] | None, *, retry_base: str | None = None, resend: bool = False,
                      age: float = 0.0, encoded: Sequence[bytes] | None = None, refused: bool = False) -> Delivery:
        """Reply with the first batch; push the rest, or everything when the reply failed.

        :meth:`deliver_outbox` without its second answer (see there for the arguments).
        """
        result, _ = await self.deliver_outbox(reply_token, user_id, batches, key, retry_base=retry_base,
                                              resend=resend, age=age, encoded=encoded, refused=refused)
        return result

    async def deliver_outbox(self, reply_token: str | None, user_id: str | None, batches: Sequence[list[Msg]],
                             key: Callable[[], str] | None, *, retry_base: str | None = None, resend: bool = False,
                             age: float = 0.0, encoded: Sequence[bytes] | None = None,
                             refused: bool = False) -> tuple[Delivery, bool]:
        """Reply with the first batch; push the rest, or everything when the reply failed.

        Args:
            reply_token: the event's reply token, if any.
            user_id: the raw LINE user id for pushes (None for a group).
            batches: message batches (≤5 messages each), in order.
            key: gives the hashed user key for logs (computed only when something is logged).
            retry_base: 32 hex digits fixed by the outbox: the push of batch ``i`` carries the
                ``X-Line-Retry-Key`` derived from it and ``i`` (a resend reuses them); None: random.
            resend: True when these batches were committed earlier and may have been sent in part
                (a refused reply then means the first attempt used the token, unless ``refused``).
            age: seconds since the batches were first committed.
            encoded: each batch already as its JSON array (the outbox's bytes), when at hand: the
                reply sends them as they are.
            refused: the outbox says that an earlier attempt's reply was refused (or there was
                none) and its push failed: the token was not used, so a refused reply now means
                the first batch must be pushed too (its retry key makes LINE drop a second copy).

        Returns:
            ``(result, unreplied)``: ``result`` is ``"sent"`` (LINE accepted everything),
            ``"gave-up"`` (refused for good, or nothing to send with: counted as undelivered) or
            ``"retry"`` (a transient failure: worth a redelivery); ``unreplied`` is True when this
            attempt delivered nothing by reply (a redelivery after ``"retry"`` must push the
            first batch: store it with the outbox and pass it back as ``refused``).
        """
        start = 0
        if reply_token:
            status = await self.reply(reply_token, batches[0], encoded[0] if encoded else None)
            if status == 200 or (resend and status == 400 and age < REPLY_TOKEN_USED_WITHIN and not refused):
                start = 1  # 400 on a resend: the first attempt used the token before it died
        return await self._push_rest(user_id, batches, start, key, retry_base), start == 0

    async def _push_rest(self, user_id: str | None, batches: Sequence[list[Msg]], start: int,
                         key: Callable[[], str] | None, retry_base: str | None) -> Delivery:
        """Push ``batches[start:]`` (see :meth:`deliver`)."""
        rest = list(batches[start:])
        if not rest:
            return "sent"
        if not (self.push_fallback and user_id):
            self.metrics.undelivered.labels(PLATFORM).inc()
            log.warning("LINE: %d message batch(es) for %s not delivered (push fallback %s)", len(rest),
                        key() if key else "a group", "enabled but no user id" if self.push_fallback else "disabled")
            return "gave-up"
        base = uuid.UUID(retry_base) if retry_base else uuid.uuid4()
        for i, batch in enumerate(rest, start):
            result = await self.push(user_id, batch, str(uuid.uuid5(base, str(i))))
            if result != "sent":
                self.metrics.undelivered.labels(PLATFORM).inc()
                log.warning("LINE: push to %s failed; messages not delivered%s", key() if key else "?",
                            " (will be sent again on a redelivery)" if result == "retry" else "")
                return result
        return "sent"

    def api_error(self, operation: str, exc: BaseException) -> None:
        """Count and log (type and status only) a failed ``operation`` (``reply``, ``push``, ``profile``)."""
        status = str(exc.status) if isinstance(exc, ApiException) and exc.status else "network"
        self.metrics.api_errors.labels(PLATFORM, operation, status).inc()
        log.warning("LINE %s failed: %s %s", operation, type(exc).__name__, status)

    async def post(self, path: str, body: Msg, headers: dict[str, str] | None = None) -> None:
        """POST ``body`` (the API's JSON, as built by :func:`~.flex.render`) to the Messaging API
        (:meth:`send` of its UTF-8 JSON).

        Raises:
            ApiException: for a non-2xx answer (``.status``, ``.body``).
            aiohttp.ClientError, TimeoutError: when the API cannot be reached in time.
        """
        await self.send(path, encode_json(body), headers)

    async def send(self, path: str, data: bytes, headers: dict[str, str] | None = None) -> None:
        """POST the JSON bytes ``data`` to the Messaging API on the SDK client's HTTP session.

        The SDK client supplies the host (``LINE_API_BASE`` or api.line.me), the
        ``Authorization``/``User-Agent`` headers, its proxy setting and its connection pool (the one
        aiohttp session, patched by :func:`_without_env_lookups`); a non-2xx answer raises its
        ``ApiException`` as the SDK does. The body is JSON built by :func:`~.flex.render` (a reply's
        already-rendered outbox bytes): the SDK's pydantic models and its generic ``call_api``
        (which walks every value of the body again) would cost more than the rest of the webhook
        together; the tests check every body against those models and LINE's limits instead.

        Raises:
            ApiException: for a non-2xx answer (``.status``, ``.reason``, ``.body`` bytes).
            aiohttp.ClientError, TimeoutError: when the API cannot be reached within
                :data:`API_TIMEOUT` seconds.
            RuntimeError: when the client is not open.
        """
        client = self.client
        if client is None:
            raise RuntimeError("the LINE API client is not running (app not started)")
        rest = client.rest_client
        h = {**client.default_headers, "Accept": "application/json", "Content-Type": "application/json",
             **(headers or {})}
        extra: dict[str, Any] = {"proxy": rest.proxy, "proxy_headers": rest.proxy_headers} if rest.proxy else {}
        async with rest.pool_manager.post(client.configuration.host + path, data=data, headers=h,
                                          timeout=_API_CLIENT_TIMEOUT, **extra) as resp:
            answer = await resp.read()
            if not 200 <= resp.status <= 299:
                exc = ApiException(status=resp.status, reason=resp.reason)
                exc.body, exc.headers = answer, resp.headers
                raise exc

    async def call(self, method: str, path: str) -> bytes:
        """Call the Messaging API without a body (the rich-menu links); returns the response body.

        Raises:
            ApiException: for a non-2xx answer. aiohttp.ClientError, TimeoutError: no answer in time.
            RuntimeError: when the client is not open.
        """
        client = self.client
        if client is None:
            raise RuntimeError("the LINE API client is not running (app not started)")
        h = {**client.default_headers, "Accept": "application/json"}
        resp = await client.request(method, client.configuration.host + path, headers=h,
                                    _request_timeout=PROFILE_TIMEOUT)
        return bytes(resp.data or b"")

    async def profile_locale(self, user_id: str) -> str | None:
        """The conversation locale from the user's LINE profile ``language``, or None.

        ``ja`` → Japanese; any other language → English (the second locale, the better guess for
        someone whose LINE is not in Japanese). None when the profile cannot be read (the user
        blocked the bot, an API error, a timeout): the flow's default (Japanese) applies, and
        「English」 switches at any time.
        """
        client = self.client
        if client is None:
            return None
        h = {**client.default_headers, "Accept": "application/json"}
        try:
            resp = await client.request("GET", client.configuration.host + PROFILE_PATH + quote(user_id, safe=""),
                                        headers=h, _request_timeout=PROFILE_TIMEOUT)
            language = json.loads(resp.data or b"{}").get("language")
        except (ApiException, aiohttp.ClientError, TimeoutError, ValueError, AttributeError) as exc:
            self.api_error("profile", exc)
            return None
        if not isinstance(language, str) or not language:
            return None
        return "ja" if language.lower().startswith("ja") else "en"

    async def reply(self, token: str, messages: list[Msg], encoded: bytes | None = None) -> int:
        """Reply; returns 200, the API's error status, or 0 when the API could not be reached.

        Args:
            token: the reply token.
            messages: the messages (≤5, the API's JSON objects).
            encoded: the same messages already as a JSON array (UTF-8), when at hand (an outbox):
                sent as they are instead of encoding ``messages`` again.
        """
        try:
            if encoded is not None:
                await self.send(REPLY_PATH, b'{"replyToken":' + json.dumps(token).encode() + b',"messages":' + encoded
                                + b',"notificationDisabled":false}')
            else:
                await self.post(REPLY_PATH, {"replyToken": token, "messages": messages, "notificationDisabled": False})
        except ApiException as exc:
            self.api_error("reply", exc)
            if exc.status != 400 or "reply token" in str(exc.body or ""):
                return int(exc.status or 0)
            # LINE refused the message itself (a 400 leaves the reply token unused): send the same
            # reply as plain text rather than nothing (issue #12)
            messages = plain_version(messages)
            try:
                await self.post(REPLY_PATH, {"replyToken": token, "messages": messages,
                                              "notificationDisabled": False})
            except ApiException as exc2:
                self.api_error("reply", exc2)
                return int(exc2.status or 0)
            except (aiohttp.ClientError, TimeoutError) as exc2:
                self.api_error("reply", exc2)
                return 0
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.api_error("reply", exc)
            return 0
        self._sent("reply", len(messages))
        return 200

    async def push(self, user_id: str, messages: list[Msg],
                   retry_key: str | None = None) -> Delivery:
        """Push with a retry key; one retry (same key) on a network error or 5xx; 409 = already sent.

        Returns:
            ``"sent"``, ``"gave-up"`` (a 4xx: LINE refuses it for good) or ``"retry"`` (network
            or 5xx twice).
        """
        retry_key = retry_key or str(uuid.uuid4())
        body = {"to": user_id, "messages": messages, "notificationDisabled": False}
        for attempt in range(2):
            try:
                await self.post(PUSH_PATH, body, {"X-Line-Retry-Key": retry_key})
            except ApiException as exc:
                if exc.status == 409:  # accepted before under this retry key
                    return "sent"
                self.api_error("push", exc)
                if not (exc.status and exc.status >= 500):
                    return "gave-up"
                if attempt:
                    return "retry"
            except (aiohttp.ClientError, TimeoutError) as exc:
                self.api_error("push", exc)
                if attempt:
                    return "retry"
            else:
                self._sent("push", len(messages))
                return "sent"
            await asyncio.sleep(PUSH_RETRY_DELAY)
        return "retry"  # pragma: no cover

