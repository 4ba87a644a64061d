"""Regression: after ``forget`` the SQLite store still held the user's session in ``-wal``.

``PRAGMA secure_delete`` zeroes a deleted row in the database pages, but the store runs in WAL
mode: the earlier images of those pages — with the session, its key and the user's lock row — stay
in ``soudan.db-wal`` until the WAL is reset, which can take as long as the server runs. Found by
``tests/hardening/test_privacy.py``. Fixed in the kind: ``forget`` checkpoints and truncates the
WAL once the user's lock (whose row names the key too) is released.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.engine.types import Session
from bot.store.sqlite import SQLiteStore
from bot.timeutil import JST

KEY = "line:" + "5eed" * 8
MARK = "convmark0"


def _files(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))


def _session() -> Session:
    now = dt.datetime(2026, 12, 1, 10, 0, tzinfo=JST)
    return Session(flow_id="f", flow_version="1", conversation_id=MARK, state="who", started_at=now,
                   updated_at=now, expires_at=now + dt.timedelta(hours=1))


async def test_forget_under_the_users_lock_leaves_nothing_in_any_file(tmp_path: Path) -> None:
    db = tmp_path / "soudan.db"
    store = SQLiteStore(db)
    try:
        async with store.lock(KEY):
            await store.save(KEY, _session(), 3600)
        for i in range(5):  # other people go on talking
            await store.save(f"line:other{i}", _session().model_copy(update={"conversation_id": f"other{i}"}), 3600)
        assert KEY.encode() in _files(db) and MARK.encode() in _files(db)
        async with store.lock(KEY):  # as Conversations.handle does for 「データ削除」
            await store.forget(KEY)
        data = _files(db)
        assert KEY.encode() not in data and KEY.split(":")[1].encode() not in data
        assert MARK.encode() not in data
        assert b"other4" in data  # the others' sessions are untouched
        assert await store.get("line:other4") is not None
    finally:
        await store.close()


async def test_forget_without_a_lock_scrubs_at_once(tmp_path: Path) -> None:
    db = tmp_path / "soudan.db"
    store = SQLiteStore(db)
    try:
        await store.save(KEY, _session(), 3600)
        await store.forget(KEY)
        assert MARK.encode() not in _files(db) and KEY.encode() not in _files(db)
        assert await store.get(KEY) is None
    finally:
        await store.close()


async def test_an_expired_session_is_not_kept_in_the_wal_either(tmp_path: Path) -> None:
    """The same kind: the sweep of expired sessions (24 h TTL) also empties the WAL."""
    db = tmp_path / "soudan.db"
    now = [1_800_000_000.0]
    store = SQLiteStore(db, clock=lambda: now[0])
    try:
        await store.save(KEY, _session(), 60)
        now[0] += 120
        await store.save("line:other", _session().model_copy(update={"conversation_id": "other"}), 3600)
        await store.purge()  # (the save above may have swept already: at most once a minute, on a write)
        assert await store.get(KEY) is None
        assert MARK.encode() not in _files(db) and KEY.encode() not in _files(db)
    finally:
        await store.close()
