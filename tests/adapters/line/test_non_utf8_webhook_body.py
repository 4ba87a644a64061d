"""Regression: a webhook body that is not valid UTF-8, with any signature.

The kind of fault: decoding with ``errors="replace"`` (or re-encoding) before the HMAC check, or
letting ``UnicodeDecodeError`` escape as a 500. Whatever the signature — valid over the raw bytes,
wrong, or missing — the answer is 400 and nothing is processed.
"""

from __future__ import annotations

import pytest

from bot.devtools.line_fake import FakeLineApi
from bot.store import SessionStore
from tests.adapters.line.linekit import Post, body_of, follow_event, sign, text_event

VALID = body_of(follow_event(eid="01NONUTF8FOLLOW0000000000"), text_event("相談", eid="01NONUTF8TEXT00000000000"))


@pytest.mark.parametrize("body", [
    VALID.replace("相談".encode(), "相談".encode("shift_jis")),   # another encoding
    VALID.replace(b'"Ubot"', b'"U\xff"'),                        # a stray byte
    VALID[:-3] + b"\xe3\x81",                                    # truncated sequence at the end
    VALID.replace("相談".encode(), b"\xed\xa0\x80"),              # an encoded surrogate (CESU)
], ids=["shift-jis", "stray-byte", "truncated", "surrogate"])
@pytest.mark.parametrize("signature", ["valid", "wrong", "missing"])
async def test_non_utf8_is_400_and_nothing_is_processed(post: Post, client: object, fake: FakeLineApi,
                                                        store: SessionStore, body: bytes, signature: str) -> None:
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    sig = {"valid": sign(body), "wrong": sign(body, "other"), "missing": ""}[signature]
    resp = await post(raw=body, signature=sig)
    assert resp.status == 400
    assert fake.calls == [] and fake.profiles == []
    assert await store.count() == 0
    for eid in ("01NONUTF8FOLLOW0000000000", "01NONUTF8TEXT00000000000"):  # never marked as handled
        assert await store.mark_event(f"line:{eid}", 60) is True
