"""The SQLite store's cache of decoded sessions: a step of a user stepped before skips the read and
the decode — but only while no other connection (another process, another store object, a tool)
wrote the file since (``PRAGMA data_version``). Whatever another writer did between two steps is
what the next step sees; a step that failed or a primitive write leaves nothing stale behind.
"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot.engine.types import HistoryEntry, Session
from bot.store.base import Change, StepFn
from bot.store.codec import encode_session
from bot.store.sqlite import SQLiteStore
from tests.store.test_store_contract import session

KEY = "line:a"


def to(state: str) -> StepFn:
    """A step function: the stored session (or a new one) moved to ``state``, one history entry more."""

    def fn(s: Session | None) -> Change:
        return Change(session(state, history=[*(s.history if s else []), HistoryEntry(state=state, choice="c")]))
    return fn


def scribble_and_fail(s: Session | None) -> Change:
    """A broken step function: it changes the session it was given, then raises."""
    assert s is not None
    s.state = "scribbled"  # the engine never does this; a broken step function might
    s.history.append(HistoryEntry(state="scribbled", choice="c"))
    raise RuntimeError("engine bug")


async def seen_by_next_step(store: SQLiteStore, eid: str) -> Session | None:
    """The session the next step of ``KEY`` is given."""
    seen: list[Session | None] = []

    def fn(s: Session | None) -> Change:
        seen.append(s)
        return Change(s)
    await store.step(KEY, eid, fn, ttl=60)
    return seen[-1]


def session_reads(store: SQLiteStore) -> list[str]:
    """The statements reading the sessions table on the store's connection, from now on."""
    reads: list[str] = []
    assert store._db is not None
    store._db.set_trace_callback(lambda sql: reads.append(sql) if sql.startswith("SELECT data FROM sessions") else None)
    return reads


async def test_a_users_next_step_reads_no_row_when_nobody_else_wrote(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    await store.step(KEY, "line:e1", to("who"), ttl=60)
    reads = session_reads(store)
    got = await seen_by_next_step(store, "line:e2")
    assert got is not None and got.state == "who" and len(got.history) == 1
    assert reads == []  # from the cache
    await store.close()


async def test_a_session_written_by_another_store_object_between_two_steps_is_seen(tmp_path: Path) -> None:
    one, two = SQLiteStore(tmp_path / "s.db"), SQLiteStore(tmp_path / "s.db")
    await one.step(KEY, "line:e1", to("who"), ttl=60)
    await two.step(KEY, "line:e2", to("elsewhere"), ttl=60)
    got = await seen_by_next_step(one, "line:e3")
    assert got is not None and got.state == "elsewhere" and len(got.history) == 2
    await two.step(KEY, "line:e4", lambda _s: Change(None, forget=True), ttl=60)
    assert await seen_by_next_step(one, "line:e5") is None
    await one.close()
    await two.close()


async def test_a_session_written_by_another_process_between_two_steps_is_seen(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    store = SQLiteStore(db)
    await store.step(KEY, "line:e1", to("who"), ttl=60)
    assert (await seen_by_next_step(store, "line:e2")) is not None  # cached now
    other = textwrap.dedent(f"""
        import asyncio
        from bot.store.sqlite import SQLiteStore
        from tests.store.test_sqlite_cache import to

        async def main():
            st = SQLiteStore({str(db)!r})
            await st.step({KEY!r}, "line:e3", to("elsewhere"), ttl=60)
            await st.close()
        asyncio.run(main())
    """)
    done = subprocess.run([sys.executable, "-c", other], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    got = await seen_by_next_step(store, "line:e4")
    assert got is not None and got.state == "elsewhere" and len(got.history) == 2
    assert (await store.step(KEY, "line:e3", to("again"), ttl=60)).duplicate
    await store.close()


async def test_a_record_written_by_a_tool_between_two_steps_is_seen(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    await store.step(KEY, "line:e1", to("who"), ttl=60)
    with sqlite3.connect(store.path) as db:
        db.execute("UPDATE sessions SET data = ? WHERE key = ?", (encode_session(session("edited")), KEY))
    got = await seen_by_next_step(store, "line:e2")
    assert got is not None and got.state == "edited"
    await store.close()


async def test_after_a_failing_step_the_next_one_sees_the_last_committed_session(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    await store.step(KEY, "line:e1", to("who"), ttl=60)
    for eid in ("line:e2", "line:e3"):
        with pytest.raises(RuntimeError):
            await store.step(KEY, eid, scribble_and_fail, ttl=60)
    got = await seen_by_next_step(store, "line:e4")
    assert got is not None and got.state == "who" and len(got.history) == 1
    await store.close()


async def test_of_steps_of_one_user_in_one_moment_a_failing_one_leaves_the_previous_session(tmp_path: Path) -> None:
    """Several tasks at once: grouped in one transaction; the cache follows what was committed."""
    store = SQLiteStore(tmp_path / "s.db")
    await store.step(KEY, "line:e0", to("who"), ttl=60)
    fns = [to("what"), to("when"), scribble_and_fail, to("where")]
    results = await asyncio.gather(*(store.step(KEY, f"line:e{i + 1}", fn, ttl=60)
                                     for i, fn in enumerate(fns)), return_exceptions=True)
    assert isinstance(results[2], RuntimeError)
    got = await seen_by_next_step(store, "line:e9")
    assert got is not None and got.state == "where"
    assert [h.state for h in got.history] == ["who", "what", "when", "where"]
    await store.close()


async def test_a_primitive_save_or_delete_between_two_steps_is_seen(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    await store.step(KEY, "line:e1", to("who"), ttl=60)
    await store.save(KEY, session("saved"), 60)
    got = await seen_by_next_step(store, "line:e2")
    assert got is not None and got.state == "saved"
    await store.delete(KEY)
    assert await seen_by_next_step(store, "line:e3") is None
    await store.close()


async def test_a_cached_session_expires_like_a_stored_one(tmp_path: Path) -> None:
    t = [1_800_000_000.0]
    store = SQLiteStore(tmp_path / "s.db", clock=lambda: t[0])
    await store.step(KEY, "line:e1", to("who"), ttl=60)
    t[0] += 61
    assert await seen_by_next_step(store, "line:e2") is None
    await store.close()


async def test_the_step_function_gets_a_session_the_store_does_not_keep(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    kept: list[Session] = []

    def keep(s: Session | None) -> Change:
        new = session("who")
        kept.append(new)
        return Change(new)
    await store.step(KEY, "line:e1", keep, ttl=60)
    kept[0].state = "changed after the step"  # the caller's object, not the cached one
    got = await seen_by_next_step(store, "line:e2")
    assert got is not None and got.state == "who"
    await store.close()
