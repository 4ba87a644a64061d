"""Regression: a signed webhook body nested too deep for ``json.loads`` answered 500.

``json.loads`` raises ``RecursionError`` (a ``RuntimeError``, not a ``ValueError``) for deep
nesting; the webhook caught only the parser's ``ValueError`` family, so aiohttp logged a traceback
and answered 500 — and LINE would redeliver it. Found by ``tests/hardening/test_webhook_fuzz.py``.
Fixed in the kind: every way the body fails to parse is a 400 with nothing processed.
"""

from __future__ import annotations

import logging

import pytest

from bot.devtools.line_fake import FakeLineApi
from bot.store import SessionStore
from tests.adapters.line.linekit import Post, sign


@pytest.mark.parametrize("opening,closing", [(b"[", b"]"), (b'{"a":', b"}")], ids=["arrays", "objects"])
async def test_deep_nesting_is_400(post: Post, fake: FakeLineApi, store: SessionStore, caplog: pytest.LogCaptureFixture,
                                   opening: bytes, closing: bytes) -> None:
    caplog.set_level(logging.DEBUG)
    depth = 100_000
    body = b'{"destination": "U", "events": [' + opening * depth + b"1" + closing * depth + b"]}"
    resp = await post(raw=body, signature=sign(body))
    assert resp.status == 400
    assert fake.calls == [] and await store.count() == 0
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
