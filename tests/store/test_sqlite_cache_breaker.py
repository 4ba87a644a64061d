"""The SQLite store's session cache against other writers of the same file: another process's
``forget`` (an unfollow handled by another replica), a restore from a backup, two replicas taking
turns on one user. The next step must be given what the file holds, never the cached session."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from bot.engine.types import Session
from bot.store.sqlite import SQLiteStore
from tests.store.test_sqlite_cache import KEY, seen_by_next_step, to


async def test_a_forget_by_another_process_between_two_steps_is_not_undone(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = SQLiteStore(path)
    try:
        await store.step(KEY, "e1", to("who"), ttl=60)
        await store.step(KEY, "e2", to("what"), ttl=60)  # cached now
        other = textwrap.dedent(f"""
            import asyncio
            from bot.store.sqlite import SQLiteStore
            async def main():
                s = SQLiteStore({str(path)!r})
                await s.forget({KEY!r})
                await s.close()
            asyncio.run(main())
        """)
        subprocess.run([sys.executable, "-c", other], check=True, cwd=Path(__file__).resolve().parents[2])
        assert await seen_by_next_step(store, "e3") is None  # a new conversation, not the forgotten one
        assert await store.get(KEY) is None  # the step kept no session: fn returned Change(None)
    finally:
        await store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM sessions WHERE key = ?", (KEY,)).fetchone()[0] == 0


async def test_a_restore_from_a_backup_between_two_steps_is_what_the_next_step_sees(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = SQLiteStore(path)
    try:
        await store.step(KEY, "e1", to("who"), ttl=60)
        with sqlite3.connect(path) as live, sqlite3.connect(tmp_path / "backup.db") as backup:
            live.backup(backup)  # `sqlite3 s.db ".backup backup.db"`: the session at 'who'
        await store.step(KEY, "e2", to("what"), ttl=60)  # cached at 'what'
        with sqlite3.connect(tmp_path / "backup.db") as backup, sqlite3.connect(path) as live:
            backup.backup(live)  # `sqlite3 s.db ".restore backup.db"`
        seen = await seen_by_next_step(store, "e3")
        assert seen is not None and seen.state == "who" and len(seen.history) == 1
    finally:
        await store.close()


async def test_two_replicas_taking_turns_on_one_user_lose_no_step(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    a, b = SQLiteStore(path), SQLiteStore(path)
    try:
        for i in range(6):
            await (a if i % 2 == 0 else b).step(KEY, f"e{i}", to(f"s{i}"), ttl=60)
        for store in (a, b):
            seen: Session | None = await seen_by_next_step(store, f"x{id(store)}")
            assert seen is not None and seen.state == "s5"
            assert [h.state for h in seen.history] == [f"s{i}" for i in range(6)]
        # both at once in one loop turn (group commits of two stores on one file)
        await asyncio.gather(*(s.step(KEY, f"g{i}{n}", to(f"g{i}{n}"), ttl=60) for n in range(3) for i, s in enumerate((a, b))))
        final = await a.get(KEY)
        assert final is not None and len(final.history) == 6 + 6
        seen = await seen_by_next_step(b, "y")
        assert seen is not None and len(seen.history) == 12
    finally:
        await a.close()
        await b.close()
