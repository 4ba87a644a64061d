"""Regression: ``Content-Encoding: gzip`` over bytes that are not gzip answered 500, unsigned.

aiohttp decompresses the body while it is read; a broken stream made ``request.read()`` raise
``RequestPayloadError`` inside the webhook, so anyone could get a 500 and an ERROR traceback
without a signature. Found while fuzzing headers. Fixed in the kind: a body that cannot be read
is a 400, the connection is closed, and nothing is logged at ERROR; compression bombs stay
capped at 1 MiB (413).
"""

from __future__ import annotations

import gzip
import logging
import zlib
from collections.abc import Callable
from typing import Any

import pytest

from bot.devtools.line_fake import FakeLineApi
from bot.store import SessionStore
from tests.adapters.line.linekit import body_of, follow_event, sign

CASES: dict[str, tuple[Callable[[], bytes], str, int]] = {
    "gzip-garbage": (lambda: b"\x1f\x8b not really gzip", "gzip", 400),
    "gzip-truncated": (lambda: gzip.compress(body_of(follow_event()))[:25], "gzip", 400),
    "gzip-bomb": (lambda: gzip.compress(b"0" * (64 * 1024 * 1024)), "gzip", 413),
    "deflate-bomb": (lambda: zlib.compress(b"{" * (64 * 1024 * 1024)), "deflate", 413),
}
"""Case → (the body, built when its test runs: a 64 MiB bomb takes ~0.5 s to compress, which every
test process paid at collection when the bodies were built on import; Content-Encoding; status)."""


@pytest.mark.parametrize("case", list(CASES))
async def test_unreadable_or_oversized_compressed_bodies(client: Any, fake: FakeLineApi, store: SessionStore,
                                                         caplog: pytest.LogCaptureFixture, case: str) -> None:
    make, encoding, status = CASES[case]
    body = make()
    caplog.set_level(logging.DEBUG)
    resp = await client.post("/line/webhook", data=body,
                             headers={"Content-Encoding": encoding, "X-Line-Signature": sign(body)})
    assert resp.status == status
    await resp.read()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    assert fake.calls == [] and await store.count() == 0
    ok = body_of(follow_event(token="after"))  # the server goes on serving
    assert (await client.post("/line/webhook", data=ok, headers={"X-Line-Signature": sign(ok)})).status == 200
    assert fake.reply_to("after")
