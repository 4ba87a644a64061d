"""``open_store`` URLs, error messages that state the fix, and backend details that the
contract suite cannot see (SQLite file layout and purging, Redis key names, import isolation).
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from bot.settings import Settings
from bot.store import StoreError, open_store
from bot.store.base import redact_url
from bot.store.codec import encode_session
from bot.store.memory import MemoryStore
from bot.store.redis import RedisStore
from bot.store.sqlite import SCHEMA_VERSION, SQLiteStore
from tests.imports import packages_imported
from tests.store.test_store_contract import session

ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- URLs

def test_memory_url() -> None:
    assert isinstance(open_store("memory://"), MemoryStore)


async def test_sqlite_relative_url_is_under_the_working_directory(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    st = open_store("sqlite:///var/soudan.db")
    assert isinstance(st, SQLiteStore) and st.path == Path("var/soudan.db")
    assert not (tmp_path / "var").exists()  # nothing happens before first use
    await st.save("line:a", session(), 60)
    await st.close()
    assert (tmp_path / "var" / "soudan.db").is_file()


async def test_sqlite_absolute_url(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "x.db"
    st = open_store(f"sqlite:///{target}")  # tmp_path is absolute: four slashes
    assert isinstance(st, SQLiteStore) and st.path == target
    await st.ping()
    await st.close()
    assert target.is_file()


def test_the_default_setting_is_a_sqlite_file_under_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOUDAN_STORE", raising=False)
    st = open_store(Settings(_env_file=None).store)
    assert isinstance(st, SQLiteStore) and st.path == Path("var/soudan.db")


def test_redis_url_with_prefix_and_password() -> None:
    st = open_store("redis://:hunter2@redis.example:6380/3?prefix=app1:")
    assert isinstance(st, RedisStore)
    assert st.prefix == "app1:"
    assert "hunter2" not in repr(st)
    assert open_store("rediss://redis.example/0").prefix == "soudan:"  # type: ignore[attr-defined]


def test_redis_on_a_unix_socket() -> None:
    st = open_store("unix:///run/redis/redis.sock?db=2&prefix=app1:")
    assert isinstance(st, RedisStore)
    assert st.prefix == "app1:"
    kwargs = st._r.connection_pool.connection_kwargs
    assert kwargs["path"] == "/run/redis/redis.sock" and int(kwargs["db"]) == 2


@pytest.mark.parametrize("url,fix", [
    ("postgres://db/soudan", "unknown store scheme 'postgres'"),
    ("var/soudan.db", "unknown store scheme '(none)'"),
    ("sqlite://var/soudan.db", "three slashes"),
    ("sqlite:///", "names no database file"),
    ("sqlite:///var/", "names no database file"),
    ("sqlite:///:memory:", "use memory://"),
    ("redis:///0", "names no host"),
    ("unix://", "names no socket file"),
    ("unix:///run/redis/", "names no socket file"),
])
def test_bad_urls_are_refused_with_the_fix(url: str, fix: str) -> None:
    with pytest.raises(ValueError, match="SOUDAN_STORE") as err:
        open_store(url)
    assert fix in str(err.value)
    if "scheme" in fix:
        assert "sqlite:///var/soudan.db" in str(err.value) and "redis://" in str(err.value)


def test_unknown_scheme_message_hides_the_password() -> None:
    with pytest.raises(ValueError) as err:
        open_store("mysql://root:hunter2@db/x")
    assert "hunter2" not in str(err.value)


@pytest.mark.parametrize("url,shown", [
    ("redis://:pw@h:6379/0", "redis://:***@h:6379/0"),
    ("redis://user:pw@h/1?prefix=x", "redis://user:***@h/1"),
    ("redis://h:6379/0", "redis://h:6379/0"),
    ("sqlite:///var/x.db", "sqlite:///var/x.db"),
])
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


# ---------------------------------------------------------------- connection failures

async def test_unreachable_redis_raises_store_error_naming_the_url_without_password() -> None:
    st = open_store("redis://:hunter2@127.0.0.1:1/0")
    with pytest.raises(StoreError) as err:
        await st.get("line:a")
    text = str(err.value)
    assert "redis://:***@127.0.0.1:1/0" in text and "hunter2" not in text
    assert "redis-server" in text  # says what to check
    await st.close()


async def test_unwritable_sqlite_location_raises_store_error_naming_the_path(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    st = open_store(f"sqlite:///{blocker}/sub/soudan.db")
    with pytest.raises(StoreError) as err:
        await st.ping()
    assert str(blocker) in str(err.value) and "writable" in str(err.value)


async def test_a_file_that_is_not_a_database_raises_store_error(tmp_path: Path) -> None:
    bad = tmp_path / "x.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match=r"x\.db"):
        await SQLiteStore(bad).ping()


async def test_a_file_from_a_newer_soudan_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer soudan"):
        await SQLiteStore(path).ping()


# ---------------------------------------------------------------- SQLite details

async def test_sqlite_uses_wal_and_the_documented_tables(tmp_path: Path) -> None:
    st = SQLiteStore(tmp_path / "x.db")
    await st.save("line:a", session(), 60)
    await st.mark_event("line:e", 60)
    async with st.lock("line:a"):
        with sqlite3.connect(tmp_path / "x.db") as db:
            assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert db.execute("SELECT count(*) FROM locks").fetchone()[0] == 1
    await st.close()
    with sqlite3.connect(tmp_path / "x.db") as db:
        cols = {t: [r[1] for r in db.execute(f"PRAGMA table_info({t})")] for t in ("sessions", "events", "locks")}
        assert cols == {"sessions": ["key", "data", "expires_at"], "events": ["id", "expires_at", "outbox", "lease"],
                        "locks": ["key", "owner", "expires_at"]}
        assert db.execute("SELECT data FROM sessions").fetchone()[0] == encode_session(session())
        assert db.execute("PRAGMA user_version").fetchone()[0] == 2
        assert db.execute("SELECT count(*) FROM locks").fetchone()[0] == 0  # released


async def test_sqlite_purges_expired_rows_lazily(tmp_path: Path) -> None:
    now = [1_800_000_000.0]
    st = SQLiteStore(tmp_path / "x.db", clock=lambda: now[0])
    await st.save("line:old", session(), 1)
    await st.mark_event("line:old-event", 1)
    now[0] += 120
    await st.save("line:new", session(), 60)  # a write after the purge interval sweeps
    await st.close()
    with sqlite3.connect(tmp_path / "x.db") as db:
        assert [r[0] for r in db.execute("SELECT key FROM sessions")] == ["line:new"]
        assert db.execute("SELECT count(*) FROM events").fetchone()[0] == 0


def test_sqlite_refuses_a_non_positive_poll_interval(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="lock_poll"):
        SQLiteStore(tmp_path / "x.db", lock_poll=0)


# ---------------------------------------------------------------- Redis details

@pytest.mark.redis
async def test_redis_key_names_and_ttls(redis_url: str) -> None:
    st = RedisStore(redis_url, prefix="soudan-test-keys:")
    try:
        await st.clear()
        await st.save("line:a", session(), 100)
        await st.mark_event("line:e", 200)
        assert 99_000 <= await st._r.pttl("soudan-test-keys:s:line:a") <= 100_000
        assert 199_000 <= await st._r.pttl("soudan-test-keys:e:line:e") <= 200_000
        assert await st._r.get("soudan-test-keys:s:line:a") == encode_session(session())
        async with st.lock("line:a", timeout=5):
            assert 0 < await st._r.pttl("soudan-test-keys:l:line:a") <= 5000
        assert await st._r.exists("soudan-test-keys:l:line:a") == 0
        await st.forget("line:a")
        assert await st._r.exists("soudan-test-keys:s:line:a") == 0
    finally:
        await st.clear()
        await st.close()


def test_a_prefix_is_required() -> None:
    with pytest.raises(ValueError, match="prefix"):
        RedisStore("redis://127.0.0.1/0", prefix="")


# ---------------------------------------------------------------- import isolation (DESIGN.md §8)

def test_redis_is_imported_only_by_the_redis_backend() -> None:
    code = ("from bot.store import open_store\nimport bot.service, bot.store.sqlite\n"
            "open_store('memory://'); open_store('sqlite:///x.db')")
    assert packages_imported(code, ["redis"]) == []
    offenders = [p for p in (ROOT / "bot").rglob("*.py")
                 if p != ROOT / "bot/store/redis.py"
                 and any(line.strip().startswith(("import redis", "from redis")) for line in p.read_text().splitlines())]
    assert offenders == []


async def test_sqlite_forget_leaves_no_trace_of_the_record_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    st = SQLiteStore(path)
    marker = "marker-slot-value-0123456789"
    await st.save("line:a", session(slots={"who": marker}), 60)
    await st.forget("line:a")
    await st.close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = path.read_bytes() + (path.with_name("x.db-wal").read_bytes() if path.with_name("x.db-wal").exists() else b"")
    assert marker.encode() not in data


async def test_a_schema_1_file_is_migrated_and_its_records_still_load(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:  # the layout and JSON records of the aiosqlite store of before
        db.executescript("""
            CREATE TABLE sessions (key TEXT PRIMARY KEY, data TEXT NOT NULL, expires_at REAL NOT NULL);
            CREATE INDEX sessions_expires_at ON sessions (expires_at);
            CREATE TABLE events (id TEXT PRIMARY KEY, expires_at REAL NOT NULL) WITHOUT ROWID;
            CREATE TABLE locks (key TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at REAL NOT NULL) WITHOUT ROWID;
            PRAGMA user_version = 1;""")
        future = time.time() + 3600
        db.execute("INSERT INTO sessions VALUES (?, ?, ?)", ("line:a", session("what").to_json(), future))
        db.execute("INSERT INTO events VALUES (?, ?)", ("line:old-event", future))
    st = SQLiteStore(path)
    got = await st.get("line:a")
    assert got is not None and got.state == "what"
    assert await st.mark_event("line:old-event", 60) is False  # the processed ids are kept
    await st.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 2

