"""SQLite session store (aiosqlite, WAL): the embedded default for ``soudan serve``.

One file (``./var/soudan.db`` by default) holds three tables::

    sessions(key TEXT PRIMARY KEY, data TEXT, expires_at REAL)   -- Session.to_json() only
    events(id TEXT PRIMARY KEY, expires_at REAL)                 -- processed platform event ids
    locks(key TEXT PRIMARY KEY, owner TEXT, expires_at REAL)     -- per-user locks across processes

Times are seconds since the epoch. Expired rows are ignored on read and purged lazily (at most
once a minute, on a write); ``secure_delete`` overwrites what is deleted. Several processes may
share the file: WAL lets readers and one writer work at once, each statement is its own short
transaction, and the per-user lock is a row in ``locks`` taken with one atomic upsert, so two
processes never handle one user's events at once.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from bot.engine.types import Session
from bot.store.base import KeyedLocks, SessionStore, StoreError, decode_session

__all__ = ["SCHEMA_VERSION", "SQLiteStore"]

log = logging.getLogger("soudan.store.sqlite")

# aiosqlite logs every statement with its parameters (user keys, session records) at DEBUG.
# Keep that out of a DEBUG log of soudan unless someone configures the logger on purpose.
if logging.getLogger("aiosqlite").level == logging.NOTSET:
    logging.getLogger("aiosqlite").setLevel(logging.INFO)

SCHEMA_VERSION = 1
"""``PRAGMA user_version`` of a store file written by this code."""

PURGE_INTERVAL = 60.0
"""Seconds between sweeps of expired rows (done on a write; reads ignore expired rows anyway)."""

BUSY_TIMEOUT_MS = 5000
"""Milliseconds a statement waits for another process's write to finish before failing."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (key TEXT PRIMARY KEY, data TEXT NOT NULL, expires_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_expires_at ON sessions (expires_at);
CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, expires_at REAL NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS events_expires_at ON events (expires_at);
CREATE TABLE IF NOT EXISTS locks (key TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at REAL NOT NULL)
    WITHOUT ROWID;
"""

# A new id, or an id whose previous record has expired, counts as one change; a live one as none.
_MARK_EVENT = ("INSERT INTO events (id, expires_at) VALUES (?, ?) ON CONFLICT (id) DO UPDATE "
               "SET expires_at = excluded.expires_at WHERE events.expires_at <= ?")
# Take a free or expired lock in one statement (atomic across processes).
_TAKE_LOCK = ("INSERT INTO locks (key, owner, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE "
              "SET owner = excluded.owner, expires_at = excluded.expires_at WHERE locks.expires_at <= ?")


class SQLiteStore(SessionStore):
    """Sessions, event ids and per-user locks in one SQLite file.

    The connection is opened on first use (so the store can be built before the event loop
    runs); the parent folder is created then.

    Args:
        path: the database file, e.g. ``var/soudan.db`` (relative to the working directory).
        clock: current time in seconds since the epoch, for session and event TTLs (tests inject
            one so expiry needs no sleeping); defaults to :func:`time.time`. Lock expiry always
            uses the real clock, because other processes share it.
        lock_poll: longest sleep in seconds between two attempts to take a lock held by another
            process (attempts start at 2 ms and double up to this).

    Raises:
        ValueError: if ``lock_poll`` is not positive.
    """

    backend = "sqlite"

    def __init__(self, path: str | Path, *, clock: Callable[[], float] = time.time,
                 lock_poll: float = 0.05) -> None:
        if lock_poll <= 0:
            raise ValueError("lock_poll must be a positive number of seconds")
        self.path = Path(path)
        self._clock = clock
        self._lock_poll = lock_poll
        self._db: aiosqlite.Connection | None = None
        self._connecting: asyncio.Lock | None = None
        self._locks = KeyedLocks()
        self._last_purge = float("-inf")
        self._closed = False
        self._held: set[str] = set()
        self._scrub: set[str] = set()

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"

    # ------------------------------------------------------------ connection

    def _fail(self, what: str, exc: BaseException) -> StoreError:
        return StoreError(f"SQLite store sqlite:///{self.path}: {what} failed: {exc}. "
                          "Check that the folder is writable and the disk not full, or set SOUDAN_STORE.")

    async def _conn(self) -> aiosqlite.Connection:
        if self._db is not None:
            return self._db
        if self._closed:
            raise StoreError(f"SQLite store sqlite:///{self.path} is closed")
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            if self._db is None:
                self._db = await self._open()
        return self._db

    async def _open(self) -> aiosqlite.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self._fail(f"creating the folder {self.path.parent}", exc) from exc
        db: aiosqlite.Connection | None = None
        try:
            db = await aiosqlite.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
            await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            async with db.execute("PRAGMA journal_mode = WAL") as cur:
                row = await cur.fetchone()
            if row is None or str(row[0]).lower() != "wal":
                log.warning("SQLite did not switch to WAL (journal_mode=%s); concurrency will be lower",
                            row[0] if row else None)
            await db.execute("PRAGMA synchronous = NORMAL")
            # deleted sessions (forget, expiry) are overwritten on disk, not left in free pages
            await db.execute("PRAGMA secure_delete = ON")
            async with db.execute("PRAGMA user_version") as cur:
                row = await cur.fetchone()
            version = int(row[0]) if row else 0
            if version > SCHEMA_VERSION:
                raise StoreError(f"SQLite store sqlite:///{self.path} was written by a newer soudan "
                                 f"(schema {version} > {SCHEMA_VERSION}); upgrade soudan or use another file")
            await db.executescript(_SCHEMA)
            if version < SCHEMA_VERSION:
                await db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except (sqlite3.Error, OSError) as exc:
            if db is not None:
                await db.close()
            raise self._fail("opening the database", exc) from exc
        except BaseException:
            if db is not None:
                await db.close()
            raise
        log.debug("SQLite store opened", extra={"path": str(self.path)})
        return db

    async def _run(self, what: str, sql: str, params: Iterable[Any] = ()) -> int:
        """Execute one statement (its own transaction); returns the number of changed rows."""
        db = await self._conn()
        try:  # one hop to the connection's thread (no cursor round trips: rowcount is local)
            cur = await db.execute(sql, tuple(params))
            return int(cur.rowcount)
        except sqlite3.Error as exc:
            raise self._fail(what, exc) from exc

    async def _one(self, what: str, sql: str, params: Iterable[Any] = ()) -> Any:
        db = await self._conn()
        try:  # one hop: execute and fetch together
            rows = list(await db.execute_fetchall(sql, tuple(params)))
            return rows[0] if rows else None
        except sqlite3.Error as exc:
            raise self._fail(what, exc) from exc

    async def _maybe_purge(self) -> None:
        now = self._clock()
        if now - self._last_purge < PURGE_INTERVAL:
            return
        self._last_purge = now
        await self.purge()

    async def purge(self) -> int:
        """Delete expired sessions, event ids and locks now (and empty the WAL when a session went,
        so that an expired session is not kept in the ``-wal`` file either).

        Returns:
            The number of rows deleted.

        Raises:
            StoreError: when the database cannot be written.
        """
        now = self._clock()
        sessions = await self._run("purge", "DELETE FROM sessions WHERE expires_at <= ?", (now,))
        n = sessions + await self._run("purge", "DELETE FROM events WHERE expires_at <= ?", (now,))
        n += await self._run("purge", "DELETE FROM locks WHERE expires_at <= ?", (time.time(),))
        if sessions:
            await self._truncate_wal()
        return n

    async def ping(self) -> None:
        """See :meth:`SessionStore.ping`."""
        await self._one("ping", "SELECT 1")

    async def close(self) -> None:
        """Close the connection (pending writes are already committed)."""
        self._closed = True
        db, self._db = self._db, None
        if db is not None:
            await db.close()

    # ------------------------------------------------------------ sessions

    async def get(self, key: str) -> Session | None:
        """See :meth:`SessionStore.get`."""
        row = await self._one("reading a session", "SELECT data FROM sessions WHERE key = ? AND expires_at > ?",
                              (key, self._clock()))
        return None if row is None else decode_session(row[0], self.backend)

    async def save(self, key: str, session: Session, ttl: float) -> None:
        """See :meth:`SessionStore.save`."""
        self._check_ttl(ttl)
        await self._run("saving a session",
                        "INSERT INTO sessions (key, data, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) "
                        "DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at",
                        (key, session.to_json(), self._clock() + ttl))
        await self._maybe_purge()

    async def delete(self, key: str) -> None:
        """See :meth:`SessionStore.delete`."""
        await self._run("deleting a session", "DELETE FROM sessions WHERE key = ?", (key,))

    async def forget(self, key: str) -> None:
        """Delete the session of ``key`` and scrub it from the files (``forget``, LINE unfollow).

        ``secure_delete`` zeroes the row in the database pages, but in WAL mode the earlier page
        images, holding the row and the user's lock row, stay in the ``-wal`` file until it is
        reset. So the WAL is checkpointed into the (scrubbed) database and truncated to zero
        bytes — when the user's lock is released if it is held now, else at once.
        """
        await self.delete(key)
        if key in self._held:
            self._scrub.add(key)
        else:
            await self._truncate_wal()

    async def _truncate_wal(self) -> None:
        try:
            row = await self._one("truncating the WAL", "PRAGMA wal_checkpoint(TRUNCATE)")
        except StoreError as exc:  # the row is deleted already; the WAL is reset later anyway
            log.warning("the WAL could not be truncated now (%s); deleted rows stay in it until the next "
                        "checkpoint", type(exc.__cause__ or exc).__name__)
            return
        if row is not None and row[0]:
            log.warning("another process is reading the file, so the WAL was not truncated; deleted rows "
                        "stay in it until the next checkpoint")

    async def count(self) -> int:
        """See :meth:`SessionStore.count`."""
        row = await self._one("counting", "SELECT count(*) FROM sessions WHERE expires_at > ?", (self._clock(),))
        return int(row[0])

    async def keys(self) -> AsyncIterator[str]:
        """See :meth:`SessionStore.keys`."""
        db = await self._conn()
        try:
            async with db.execute("SELECT key FROM sessions WHERE expires_at > ?", (self._clock(),)) as cur:
                async for row in cur:
                    yield str(row[0])
        except sqlite3.Error as exc:
            raise self._fail("listing keys", exc) from exc

    # ------------------------------------------------------------ events

    async def mark_event(self, event_id: str, ttl: float) -> bool:
        """See :meth:`SessionStore.mark_event`.

        One upsert: the insert succeeds for a new id, and overwrites an expired one; a live
        record is left alone and changes no row (``rowcount`` 0 → a redelivery).
        """
        self._check_ttl(ttl)
        now = self._clock()
        changed = await self._run("recording an event id", _MARK_EVENT, (event_id, now + ttl, now))
        if changed:
            await self._maybe_purge()
        return changed == 1

    # ------------------------------------------------------------ locks

    def lock(self, key: str, timeout: float = 10.0) -> AbstractAsyncContextManager[None]:
        """See :meth:`SessionStore.lock`.

        Tasks of this process queue on an :class:`asyncio.Lock`; only the task at the head of the
        queue takes the row in ``locks`` (polling while another process holds it).
        """
        return self._lock(key, timeout)

    @asynccontextmanager
    async def _lock(self, key: str, timeout: float) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with self._locks.hold(key, timeout):
            token = secrets.token_hex(8)
            delay = 0.002
            while True:
                now = time.time()
                if await self._run("taking a lock", _TAKE_LOCK, (key, token, now + timeout, now)) == 1:
                    break
                left = deadline - loop.time()
                if left <= 0:
                    raise StoreError(f"the user's lock was not free within {timeout:g} s "
                                     "(another process is still handling an event of the same user)")
                await asyncio.sleep(min(delay, left))
                delay = min(delay * 2, self._lock_poll)
            self._held.add(key)
            try:
                yield
            finally:
                self._held.discard(key)
                await self._run("releasing a lock", "DELETE FROM locks WHERE key = ? AND owner = ?", (key, token))
                if key in self._scrub:  # forgotten while locked: the lock row named the key too
                    self._scrub.discard(key)
                    await self._truncate_wal()
