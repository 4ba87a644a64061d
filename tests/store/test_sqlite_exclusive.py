"""The SQLite store owning its file (``sqlite:///…?exclusive=1``): no other process or connection
can open the file while the store has it, a store is refused while another process has the file
open, a killed owner leaves nothing locked, and the work that runs in threads (purge, count, keys,
the WAL reset of ``forget``) runs on the store's own connection, steps asked for meanwhile
committed after it. (The contract tests run over this backend too: ``sqlite-exclusive``.)
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot.store import StoreError, open_store
from bot.store import sqlite as sqlite_store
from bot.store.sqlite import SQLiteStore
from tests.store.backends import FakeClock
from tests.store.test_store_contract import listed, session
from tests.store.test_store_step import step


def _other_reads(path: Path) -> object:
    """What another connection gets when it reads the file: the rows, or the error's text."""
    db = sqlite3.connect(path, timeout=0.1)
    try:
        return db.execute("SELECT count(*) FROM sessions").fetchone()[0]
    except sqlite3.OperationalError as exc:
        return str(exc)
    finally:
        db.close()


def test_the_url_option() -> None:
    assert open_store("sqlite:///var/x.db?exclusive=1").exclusive is True  # type: ignore[attr-defined]
    assert open_store("sqlite:///var/x.db?exclusive=0").exclusive is False  # type: ignore[attr-defined]
    assert open_store("sqlite:///var/x.db").exclusive is False  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match=r"only \?exclusive=1"):
        open_store("sqlite:///var/x.db?exclusiv=1")
    with pytest.raises(ValueError, match=r"only \?exclusive=1"):
        open_store("sqlite:///var/x.db?exclusive=maybe")


async def test_nothing_else_opens_the_file_while_the_store_has_it(tmp_path: Path) -> None:
    path = tmp_path / "soudan.db"
    st = SQLiteStore(path, exclusive=True)
    try:
        r = await step(st, "line:e1", "what")
        assert not r.duplicate
        assert _other_reads(path) == "database is locked"  # a second process, the sqlite3 shell, a backup
        second = SQLiteStore(path)
        with pytest.raises(StoreError, match="locked by another process"):
            await second.ping()
        await second.close()
        assert (await st.get("line:a")) is not None
    finally:
        await st.close()
    assert _other_reads(path) == 1  # closed: the file is everyone's again, the step committed


async def test_a_store_is_refused_while_another_process_has_the_file_open(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "soudan.db"
    shared = SQLiteStore(path)
    await shared.save("line:a", session("what"), 60)  # open and idle, like a second soudan serve
    monkeypatch.setattr(sqlite_store, "BUSY_TIMEOUT", 0.2)
    st = SQLiteStore(path, exclusive=True)
    try:
        with pytest.raises(StoreError, match="needs it alone: exclusive=1"):
            await st.get("line:a")
        await shared.close()
        got = await st.get("line:a")  # the other is gone: now it opens
        assert got is not None and got.state == "what"
    finally:
        await st.close()
        await shared.close()


def test_a_killed_owner_leaves_the_file_free(tmp_path: Path) -> None:
    path = tmp_path / "soudan.db"
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import asyncio, sys
        from bot.store.sqlite import SQLiteStore
        from tests.store.test_store_contract import session
        async def main():
            st = SQLiteStore({str(path)!r}, exclusive=True)
            await st.save("line:a", session("what"), 600)
            print("held", flush=True)
            await asyncio.sleep(60)
        asyncio.run(main())
        """)], stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2])
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        assert _other_reads(path) == "database is locked"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)

        async def reopen() -> str | None:
            st = SQLiteStore(path, exclusive=True)
            try:
                got = await st.get("line:a")
                return None if got is None else got.state
            finally:
                await st.close()
        assert asyncio.run(reopen()) == "what"
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)


async def test_background_work_runs_on_the_stores_connection_and_steps_wait_for_it(tmp_path: Path) -> None:
    path = tmp_path / "soudan.db"
    clock = FakeClock()
    st = SQLiteStore(path, clock=clock, exclusive=True)
    try:
        for i in range(5):
            await st.save(f"line:old{i}", session("old"), 10)
        await st.save("line:keep", session("keep"), 3600)
        await st.save("line:gone", session("gone"), 3600)
        for _ in range(5):  # the sweep the first write started runs now (nothing has expired yet)
            await asyncio.sleep(0)
        clock.advance(30)  # past their TTL, not yet the next sweep of its own (PURGE_INTERVAL)
        # a sweep (in chunks, on the store's connection), a forget (its WAL reset in a thread, on the
        # store's connection) and steps asked for meanwhile
        purged, _, *steps = await asyncio.gather(st.purge(), st.forget("line:gone"),
                                                 step(st, "line:e1", "what"), step(st, "line:e2", "when"))
        assert purged == 5
        assert [r.duplicate for r in steps] == [False, False]
        assert await st.count() == 2
        assert await listed(st) == ["line:a", "line:keep"]
        got = await st.get("line:a")
        assert got is not None and got.state == "when" and [h.state for h in got.history] == ["what", "when"]
        await st.forget("line:a")  # scrubbed from the WAL too: checkpointed and truncated
        assert (tmp_path / "soudan.db-wal").stat().st_size == 0
        assert await st.get("line:a") is None
    finally:
        await st.close()


async def test_with_a_tiny_chunk_size_every_row_is_listed_counted_and_purged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_store, "SCAN_CHUNK", 3)
    clock = FakeClock()
    st = SQLiteStore(tmp_path / "soudan.db", clock=clock, exclusive=True)
    try:
        for i in range(10):
            await st.save(f"line:u{i:02d}", session("who"), 10 if i % 2 else 3600)
        assert await st.count() == 10
        clock.advance(30)
        assert await listed(st) == [f"line:u{i:02d}" for i in range(0, 10, 2)]
        assert await st.count() == 5
        assert await st.purge() == 5
        assert await listed(st) == [f"line:u{i:02d}" for i in range(0, 10, 2)]
    finally:
        await st.close()
