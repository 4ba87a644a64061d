"""The small Messaging API client (bot.adapters.line.wire.ApiPool) against a scripted raw HTTP server:
how answers are framed (Content-Length, chunked, up to the end), kept-alive reuse, and failures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.adapters import Metrics
from bot.adapters.line import wire
from bot.adapters.line.client import LineApi
from bot.adapters.line.wire import ApiPool


class Scripted:
    """A raw HTTP server: each request read gets the next scripted answer (bytes written as they are;
    None: say nothing; ``b"CLOSE"``: close at once). Records requests and connections."""

    def __init__(self) -> None:
        self.answers: list[bytes | None] = []
        self.requests: list[bytes] = []
        self.connections = 0
        self.port = 0
        self.server: asyncio.Server | None = None

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                self.requests.append(head + await reader.readexactly(length))
                answer = self.answers.pop(0) if self.answers else ok()
                if answer == b"CLOSE":
                    break
                if answer is None:
                    await asyncio.sleep(3600)
                    break
                writer.write(answer)
                await writer.drain()
                if b"Connection: close" in answer or (b"Content-Length" not in answer and b"chunked" not in answer):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def ok(body: bytes = b"{}", extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + extra + b"Content-Length: " + \
        str(len(body)).encode() + b"\r\n\r\n" + body


@pytest.fixture
async def server() -> AsyncIterator[Scripted]:
    s = Scripted()
    await s.start()
    yield s
    assert s.server is not None
    s.server.close()


@pytest.fixture
async def pool(server: Scripted) -> AsyncIterator[ApiPool]:
    p = ApiPool(f"http://127.0.0.1:{server.port}", {"Authorization": "Bearer tok"}, None)
    yield p
    await p.close()


async def test_a_post_carries_the_fixed_and_the_call_headers_and_the_body(pool: ApiPool, server: Scripted) -> None:
    got = await pool.post("/v2/bot/message/push", b'{"to":"U1"}', {"X-Line-Retry-Key": "k1"})
    assert (got.status, got.body) == (200, b"{}")
    req = server.requests[0]
    assert req.startswith(b"POST /v2/bot/message/push HTTP/1.1\r\n")
    for h in (b"Host: 127.0.0.1:%d" % server.port, b"Authorization: Bearer tok", b"X-Line-Retry-Key: k1",
              b"Content-Type: application/json", b"Content-Length: 11"):
        assert h + b"\r\n" in req
    assert req.endswith(b'\r\n\r\n{"to":"U1"}')


async def test_answers_are_read_by_length_by_chunks_and_to_the_end(pool: ApiPool, server: Scripted) -> None:
    server.answers = [
        ok(b'{"a":1}'),
        b"HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"".join(b"%x%s\r\n%s\r\n" % (len(c), b";ext=1" if i == 1 else b"", c)
                   for i, c in enumerate([b'{"messa', b'ge":"Invalid rep', b"ly token", b'"}']))
        + b"0\r\nX-Trailer: 1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"to the\":\"end\"}",
    ]
    first = await pool.post("/p", b"{}")
    second = await pool.post("/p", b"{}")
    third = await pool.post("/p", b"{}")
    assert first.body == b'{"a":1}'
    assert (second.status, second.reason, second.body) == (400, "Bad Request", b'{"message":"Invalid reply token"}')
    assert third.body == b'{"to the":"end"}'
    assert server.connections == 1  # kept alive until the answer without a length closed it


async def test_a_connection_is_reused_and_a_closed_one_replaced(pool: ApiPool, server: Scripted) -> None:
    server.answers = [ok(), ok(), ok(extra=b"Connection: close\r\n"), ok()]
    for _ in range(4):
        assert (await pool.post("/p", b"{}")).status == 200
    assert server.connections == 2


async def test_an_idle_connection_past_the_keep_alive_is_not_reused(pool: ApiPool, server: Scripted,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    assert (await pool.post("/p", b"{}")).status == 200
    monkeypatch.setattr(wire, "IDLE_TIMEOUT", 0.0)
    assert (await pool.post("/p", b"{}")).status == 200
    assert server.connections == 2


@pytest.mark.parametrize("answer", [b"CLOSE", b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}",
                                    b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", b"SMTP ready\r\n\r\n"])
async def test_no_complete_answer_is_a_connection_error(pool: ApiPool, server: Scripted, answer: bytes) -> None:
    server.answers = [answer + (b"" if answer == b"CLOSE" else b"\r\n")]
    if b"Content-Length: 10" in answer:  # the server closes after fewer bytes than promised
        server.answers = [answer.replace(b"Content-Length: 10", b"Content-Length: 10\r\nConnection: close")]
    with pytest.raises(aiohttp.ClientConnectionError):
        await pool.post("/p", b"{}")
    assert (await pool.post("/p", b"{}")).status == 200  # the next call gets a fresh connection


async def test_no_answer_in_time_is_a_timeout(pool: ApiPool, server: Scripted) -> None:
    server.answers = [None]
    with pytest.raises(TimeoutError):
        await pool.post("/p", b"{}", timeout=0.2)
    assert (await pool.post("/p", b"{}")).status == 200
    assert server.connections == 2


async def test_nobody_listening_is_a_connection_error() -> None:
    port = _closed_port()
    p = ApiPool(f"http://127.0.0.1:{port}", {}, None)
    with pytest.raises(aiohttp.ClientConnectionError):
        await p.post("/p", b"{}")
    await p.close()
    with pytest.raises(RuntimeError):
        await p.post("/p", b"{}")


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("base", ["ftp://api.line.me", "https://"])
def test_only_http_origins(base: str) -> None:
    with pytest.raises(ValueError):
        ApiPool(base, {}, None)


async def _api(server: Scripted, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> LineApi:
    for v in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NETRC"):
        monkeypatch.delenv(v, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.netrc
    api = LineApi("tok", Metrics(), api_base=f"http://127.0.0.1:{server.port}")
    await api.open()
    assert api.pool is not None
    return api


async def test_line_api_replies_on_the_pool_and_maps_its_answers(server: Scripted, monkeypatch: pytest.MonkeyPatch,
                                                                 tmp_path: Any) -> None:
    """A refused reply token (400 with LINE's message) is reported as 400; an unreachable API as 0;
    a push that meets a 409 counts as sent — as with the SDK's session."""
    api = await _api(server, monkeypatch, tmp_path)
    msg = [{"type": "text", "text": "こんにちは"}]
    try:
        server.answers = [ok(b'{"sentMessages":[]}'),
                          b"HTTP/1.1 400 Bad Request\r\nContent-Length: 33\r\n\r\n{\"message\":\"Invalid reply token\"}",
                          b"HTTP/1.1 409 Conflict\r\nContent-Length: 2\r\n\r\n{}", b"CLOSE"]
        assert await api.reply("r1", msg) == 200
        assert b'"replyToken":"r1"' in server.requests[-1] and "こんにちは".encode() in server.requests[-1]
        assert b"User-Agent: line-bot-sdk-python/" in server.requests[-1]
        assert await api.reply("r2", msg) == 400
        assert await api.push("U1", msg, "key") == "sent"
        assert await api.reply("r3", msg) == 0
    finally:
        await api.close()
    assert api.pool is None


async def test_with_a_proxy_the_sdk_session_sends(server: Scripted, monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Any) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    api = LineApi("tok", Metrics(), api_base=f"http://127.0.0.1:{server.port}")
    await api.open()
    try:
        assert api.pool is None
        assert await api.reply("r1", [{"type": "text", "text": "x"}]) == 200
        assert len(server.requests) == 1
    finally:
        await api.close()



@pytest.fixture
def certificate(tmp_path: Any) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 and its key (openssl)."""
    import shutil
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


async def test_https_is_verified_against_the_context(certificate: tuple[str, str]) -> None:
    """Over https the answer comes through TLS when the context trusts the server's certificate; a
    context that does not trust it refuses the connection (verification stays on)."""
    import contextlib
    import ssl

    cert, key = certificate
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            await reader.readuntil(b"\r\n\r\n")
            writer.write(ok(b'{"tls":true}'))
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=server_ctx)
    port = server.sockets[0].getsockname()[1]
    try:
        trusted = ApiPool(f"https://127.0.0.1:{port}", {}, ssl.create_default_context(cafile=cert))
        assert (await trusted.post("/p", b"{}")).body == b'{"tls":true}'
        await trusted.close()
        untrusted = ApiPool(f"https://127.0.0.1:{port}", {}, ssl.create_default_context())
        with pytest.raises(aiohttp.ClientConnectionError, match="certificate"):
            await untrusted.post("/p", b"{}")
        await untrusted.close()
    finally:
        server.close()
