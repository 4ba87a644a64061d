"""A small HTTP/1.1 client for the Messaging API's JSON POSTs (replies and pushes).

One reply costs the server about as much in aiohttp's client (``ClientSession.post``: a request
object, header multidicts, cookie handling, tracing hooks, timers, a response object) as the rest
of a webhook's HTTP handling. The Messaging API needs none of that: a POST of JSON bytes with a
few fixed headers to one host, answered with a short JSON body. :class:`ApiPool` sends exactly that
over kept-alive connections (``asyncio`` protocols, TLS for ``https``), and reads the status, the
headers and the body (``Content-Length``, ``chunked``, or up to the end of the connection).

It is used only when no proxy and no ``.netrc`` can apply (see
:func:`bot.adapters.line.client._env_needed`); otherwise the SDK's aiohttp session sends as before.

Errors are aiohttp's, so callers need not know which client sent: :class:`aiohttp.ClientConnectionError`
(cannot connect, the connection closed before a complete answer, a malformed or oversized answer)
and :class:`TimeoutError` (no complete answer within the timeout).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping
from typing import NamedTuple, cast
from urllib.parse import urlsplit

import aiohttp
from multidict import CIMultiDict

__all__ = ["IDLE_TIMEOUT", "MAX_ANSWER", "Answer", "ApiPool"]

IDLE_TIMEOUT = 15.0
"""Seconds a connection may stay idle in the pool before it is closed instead of reused (aiohttp's
default keep-alive): a server's own idle time-out then does not close it under a request."""

MAX_ANSWER = 1 << 20
"""Largest answer (status line, headers and body, bytes) read; a longer one fails the call."""

_LIMIT = 100
"""Idle connections kept at most (more are closed once their answer is read)."""


class Answer(NamedTuple):
    """An HTTP answer.

    Attributes:
        status: the status code.
        reason: the reason phrase.
        headers: the headers (case-insensitive names).
        body: the body bytes.
    """

    status: int
    reason: str
    headers: CIMultiDict[str]
    body: bytes


class _Connection(asyncio.Protocol):
    """One kept-alive connection: sends a request, parses its answer."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._buf = bytearray()
        self._waiter: asyncio.Future[Answer] | None = None
        self._head: tuple[int, str, CIMultiDict[str], int | None, bool, bool] | None = None
        self._eof = False

    # -------------------------------------------------------------- asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not asyncio.Transport subclasses

    def data_received(self, data: bytes) -> None:
        if self._waiter is None or self._waiter.done():  # nothing asked: a server talking out of turn
            self.close()
            return
        self._buf += data
        self._parse()

    def eof_received(self) -> bool:
        self._eof = True
        if self._waiter is not None and not self._waiter.done():
            self._parse()
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._eof = True
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            self._parse()
            if not waiter.done():
                waiter.set_exception(aiohttp.ServerDisconnectedError(
                    "the Messaging API closed the connection before a complete answer"))

    # -------------------------------------------------------------- use

    def close(self) -> None:
        """Close the connection (it is not reused)."""
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def request(self, data: bytes) -> asyncio.Future[Answer]:
        """Send the request bytes ``data``; the future gets the answer."""
        assert self.transport is not None
        waiter = self._waiter = self.loop.create_future()
        self._buf.clear()
        self._head = None
        self.transport.write(data)
        return waiter

    def expire(self) -> None:
        """The time-out: the waiting call gets :class:`TimeoutError`, the connection is closed."""
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(TimeoutError("no complete answer from the Messaging API in time"))
        self.close()

    def _fail(self, why: str) -> None:
        assert self._waiter is not None
        self._waiter.set_exception(aiohttp.ClientConnectionError(why))
        self.close()

    def _parse(self) -> None:
        waiter = self._waiter
        assert waiter is not None
        buf = self._buf
        if len(buf) > MAX_ANSWER:
            self._fail("the Messaging API's answer is too large")
            return
        if self._head is None:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            lines = bytes(buf[:end]).decode("latin-1").split("\r\n")
            del buf[:end + 4]
            parts = lines[0].split(" ", 2)
            if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
                self._fail("the Messaging API's answer is not HTTP/1.x")
                return
            status = int(parts[1])
            headers: CIMultiDict[str] = CIMultiDict()
            for line in lines[1:]:
                name, sep, value = line.partition(":")
                if not sep:
                    self._fail("a malformed header in the Messaging API's answer")
                    return
                headers.add(name.strip(), value.strip())
            conn = headers.get("Connection", "").lower()
            keep = "close" not in conn if parts[0] == "HTTP/1.1" else "keep-alive" in conn
            chunked = "chunked" in headers.get("Transfer-Encoding", "").lower()
            length: int | None = None
            if status in (204, 304) or 100 <= status < 200:
                length = 0
            elif not chunked and "Content-Length" in headers:
                value = headers["Content-Length"]
                if not value.isdigit():
                    self._fail("a malformed Content-Length in the Messaging API's answer")
                    return
                length = int(value)
            elif not chunked:
                keep = False  # the body ends with the connection
            self._head = (status, parts[2] if len(parts) > 2 else "", headers, length, chunked, keep)
        status, reason, headers, length, chunked, keep = self._head
        if chunked:
            body = self._dechunk()
            if body is None:
                return
        elif length is not None:
            if len(buf) < length:
                return
            body = bytes(buf[:length])
        else:
            if not self._eof:
                return
            body = bytes(buf)
        if not keep:
            self.close()
        waiter.set_result(Answer(status, reason, headers, body))

    def _dechunk(self) -> bytes | None:
        """The body of a complete ``chunked`` answer (trailers ignored), or None while incomplete."""
        buf, pos, out = self._buf, 0, bytearray()
        while True:
            end = buf.find(b"\r\n", pos)
            if end < 0:
                return None
            size_text = bytes(buf[pos:end]).split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                self._fail("a malformed chunk in the Messaging API's answer")
                return None
            pos = end + 2
            if size == 0:  # the last chunk; then trailers (ignored) and an empty line
                return bytes(out) if buf.find(b"\r\n\r\n", end) >= 0 else None
            if len(buf) < pos + size + 2:
                return None
            out += buf[pos:pos + size]
            pos += size + 2


class ApiPool:
    """Kept-alive connections to one ``http`` or ``https`` origin for JSON POSTs.

    Args:
        base: the origin, e.g. ``https://api.line.me`` (a path is ignored).
        headers: headers sent with every request (e.g. ``Authorization``, ``User-Agent``).
        ssl_context: the TLS context for ``https`` (verification as configured in it).

    Raises:
        ValueError: for a scheme other than ``http``/``https`` or no host.
    """

    def __init__(self, base: str, headers: Mapping[str, str], ssl_context: ssl.SSLContext | None) -> None:
        url = urlsplit(base)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"not an http(s) origin: {base!r}")
        self.host = url.hostname
        self.port = url.port or (443 if url.scheme == "https" else 80)
        self.ssl = (ssl_context or ssl.create_default_context()) if url.scheme == "https" else None
        host = self.host if ":" not in self.host else f"[{self.host}]"
        default_port = self.port == (443 if self.ssl else 80)
        fixed = {"Host": host if default_port else f"{host}:{self.port}", **headers}
        self._fixed = "".join(f"{k}: {v}\r\n" for k, v in fixed.items()).encode("latin-1")
        self._idle: list[_Connection] = []
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop of the first call (one loop per pool)

    async def post(self, path: str, data: bytes, headers: Mapping[str, str] | None = None,
                   timeout: float = 10.0) -> Answer:
        """POST ``data`` (``Content-Type: application/json``) to ``path``; the answer, whatever its status.

        Raises:
            aiohttp.ClientConnectionError: cannot connect, or no complete and well-formed answer.
            TimeoutError: no complete answer within ``timeout`` seconds (the connection is closed).
            RuntimeError: after :meth:`close`.
        """
        if self._closed:
            raise RuntimeError("the Messaging API client is closed")
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode("latin-1") if headers else b""
        head = (b"POST " + path.encode("ascii") + b" HTTP/1.1\r\n" + self._fixed + extra
                + b"Content-Type: application/json\r\nContent-Length: " + str(len(data)).encode() + b"\r\n\r\n")
        loop = self._loop
        if loop is None:
            loop = self._loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        conn = await self._acquire(loop, deadline)
        # a timer of the loop rather than asyncio.timeout(): no task look-up per call (each a
        # getpid system call in Python 3.11's asyncio)
        timer = loop.call_at(deadline, conn.expire)
        try:
            answer = await conn.request(head + data)
        except BaseException:  # a failure, the time-out, or the caller cancelled: not reused
            conn.close()
            raise
        finally:
            timer.cancel()
        if not conn.closed and len(self._idle) < _LIMIT and not self._closed:
            conn.idle_since = loop.time()
            self._idle.append(conn)
        else:
            conn.close()
        return answer

    async def _acquire(self, loop: asyncio.AbstractEventLoop, deadline: float) -> _Connection:
        now = loop.time()
        while self._idle:
            conn = self._idle.pop()
            if not conn.closed and now - conn.idle_since < IDLE_TIMEOUT:
                return conn
            conn.close()
        try:
            async with asyncio.timeout_at(deadline):
                _, conn = await loop.create_connection(lambda: _Connection(loop), self.host, self.port, ssl=self.ssl,
                                                       server_hostname=self.host if self.ssl else None)
        except TimeoutError:
            raise
        except OSError as exc:  # refused, unreachable, name not resolved, TLS handshake refused
            raise aiohttp.ClientConnectionError(f"cannot connect to the Messaging API at "
                                                f"{self.host}:{self.port}: {exc}") from exc
        return conn

    async def close(self) -> None:
        """Close every idle connection; later calls raise ``RuntimeError``."""
        self._closed = True
        idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
