"""SQLite session store (the standard library's ``sqlite3``, WAL): the embedded default.

One file (``./var/soudan.db`` by default) holds three tables (schema 2, ``PRAGMA user_version``)::

    sessions(key TEXT PRIMARY KEY, data BLOB, expires_at INTEGER) WITHOUT ROWID
        -- bot.store.codec.encode_session() only; expires_at in ms since the epoch
    events(id TEXT PRIMARY KEY, expires_at INTEGER, outbox BLOB, lease REAL) WITHOUT ROWID
        -- processed platform event ids; outbox: what to send until confirmed sent (else NULL);
        -- lease: until when (s since the epoch) the committing process may send it
    locks(key TEXT PRIMARY KEY, owner TEXT, expires_at REAL) WITHOUT ROWID
        -- per-user locks of the primitive API (SessionStore.lock)

**Steps run in the event loop.** :meth:`SQLiteStore.step` does read → the engine step → record the
event id with its outbox (one upsert; an id already recorded means a redelivery: the step's change
is dropped and the stored outbox answers) → write the session, inside a transaction (``BEGIN
IMMEDIATE`` … ``COMMIT``) synchronously, with no await in between: nothing else of this process
runs meanwhile, and ``BEGIN IMMEDIATE`` (SQLite's single writer lock) excludes other processes, so
no lock row is needed. A step (or a confirmation of a sent reply) is committed at once, in a transaction of its
own, when it is alone: no other task committed one in this turn of the event loop. Otherwise it
is group-committed: the steps and confirmations asked for in one turn share one transaction, at
the start of the next turn, one after the other, each step in a savepoint of its own (an
exception in one step's engine function undoes that step only); every caller returns once its
transaction has committed. Such a transaction takes tens of microseconds in WAL mode with
``synchronous=NORMAL`` (a commit appends to the WAL without fsync).

**Decoded sessions are cached** (the :data:`CACHE_SIZE` users stepped last), as committed by this
connection: a step of such a user skips reading and decoding the row while ``PRAGMA data_version``
(read inside the write transaction) says that no other connection — another process, a worker
thread's purge, a tool — committed since; when one did, the whole cache is dropped. A session is
taken out of the cache for its step and put back only once that step has committed.

The work that can take longer runs in threads: checkpoints (``wal_autocheckpoint`` is off on the
loop's connection, a thread checkpoints every :data:`CHECKPOINT_EVERY` commits), purging expired
rows (every :data:`PURGE_INTERVAL` seconds), counting and listing keys. The loop never waits for another
process: the connection's busy timeout is 0, and a busy database is retried after an
``asyncio.sleep`` (up to :data:`BUSY_TIMEOUT` seconds).

**One process may own the file** (``exclusive=True``, ``sqlite:///var/soudan.db?exclusive=1``):
the loop's connection then takes SQLite's lock on the file when it opens it and keeps it
(``PRAGMA locking_mode = EXCLUSIVE``), so a transaction takes and drops no lock — six ``fcntl``
calls fewer per step — and ``PRAGMA data_version`` is not read (no other connection can write).
Nothing else can open the file meanwhile: another process (a second ``soudan serve``, the
``sqlite3`` shell, a backup) gets "database is locked", and a store opened while another process
has the file open is refused with a :class:`StoreError` saying so — SQLite's locks decide, so
neither side can corrupt the other. Checkpoints (and the WAL reset of ``forget``) then run on the
loop's own connection, lent to a worker thread while the loop holds off: a step asked for
meanwhile waits for the group commit after it; purges, counts and key lists scan the tables in
chunks of :data:`SCAN_CHUNK` rows on the loop's connection, steps going on in between.

Files of schema 1 (the aiosqlite store of before: JSON records) are migrated when opened; their
JSON records still load. ``secure_delete`` overwrites what is deleted, and ``forget`` resets the WAL
so no earlier page image of the record stays in ``-wal``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import secrets
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from bot.engine.types import Session
from bot.store.base import Busy, KeyedLocks, SessionStore, StepFn, StepResult, StoreError
from bot.store.codec import copy_session, decode_session, encode_session

__all__ = ["BUSY_TIMEOUT", "CACHE_SIZE", "CHECKPOINT_EVERY", "PAGE_SIZE", "PURGE_INTERVAL", "SCAN_CHUNK",
           "SCHEMA_VERSION", "SQLiteStore"]

log = logging.getLogger("soudan.store.sqlite")

T = TypeVar("T")

SCHEMA_VERSION = 2
"""``PRAGMA user_version`` of a store file written by this code (1: JSON records, rowid tables)."""

PURGE_INTERVAL = 60.0
"""Seconds between sweeps of expired rows (started by a write, run in a thread; reads ignore
expired rows anyway)."""

BUSY_TIMEOUT = 5.0
"""Seconds a write waits for another process's write to finish before failing."""

CHECKPOINT_EVERY = 500
"""Commits between two WAL checkpoints (run in a thread, never in the event loop)."""

PAGE_SIZE = 8192
"""Bytes per database page of a file this store creates (files made before keep their 4,096).

A row of a WITHOUT ROWID table keeps at most ~1,000 bytes in its B-tree page on 4 KB pages, ~2,030
on 8 KB ones, the rest in overflow pages. A LINE outbox (the rendered replies' JSON, 1.1–1.7 KB for
a question) did not fit on 4 KB pages: each step wrote an overflow page, and each confirmation
(the outbox set to NULL) freed it again — zeroed (``secure_delete``), the freelist updated — so a
LINE event wrote ~8.6 WAL frames (strace: 17.2 ``pwrite64`` per step and confirmation with the
shipped flows' outboxes, 9.0 on 8 KB pages; callgrind 326k → 303k instructions per event). A step
without an outbox costs ~10k instructions more on 8 KB pages (217k → 228k: bigger frames to
checksum and copy) for 0.5 ``pwrite64`` fewer. Found by linefast3."""

SCAN_CHUNK = 2000
"""Rows an ``exclusive`` store reads at a time when it scans a table (purge, count, keys): the
loop's connection does the scan, so steps go on between two chunks."""

CACHE_SIZE = 4096
"""Sessions this process keeps decoded after committing them (the most recently stepped users),
so that the next step of the same user skips the read and the decode while no other connection
has written the file (``PRAGMA data_version``)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (key TEXT PRIMARY KEY, data BLOB NOT NULL, expires_at INTEGER NOT NULL)
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL, outbox BLOB, lease REAL)
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS locks (key TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at REAL NOT NULL)
    WITHOUT ROWID;
"""

_MIGRATE_1 = """
ALTER TABLE sessions RENAME TO sessions_v1;
ALTER TABLE events RENAME TO events_v1;
DROP TABLE IF EXISTS locks;
""" + _SCHEMA + """
INSERT INTO sessions (key, data, expires_at) SELECT key, data, CAST(expires_at * 1000 AS INTEGER) FROM sessions_v1;
INSERT INTO events (id, expires_at) SELECT id, CAST(expires_at * 1000 AS INTEGER) FROM events_v1;
DROP TABLE sessions_v1;
DROP TABLE events_v1;
PRAGMA user_version = 2;
"""

_SENT = "UPDATE events SET outbox = NULL, lease = NULL WHERE id = ? AND outbox IS NOT NULL"
_SAVE = "INSERT OR REPLACE INTO sessions (key, data, expires_at) VALUES (?, ?, ?)"
# A step's event: a new id, or one whose record has expired, counts as one change; a live one as
# none (a redelivery: nothing is written, the step's change is dropped).
_NEW_EVENT = ("INSERT INTO events (id, expires_at, outbox, lease) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE "
              "SET expires_at = excluded.expires_at, outbox = excluded.outbox, lease = excluded.lease "
              "WHERE events.expires_at <= ?")
# A new id, or an id whose previous record has expired, counts as one change; a live one as none.
_MARK_EVENT = ("INSERT INTO events (id, expires_at) VALUES (?, ?) ON CONFLICT (id) DO UPDATE "
               "SET expires_at = excluded.expires_at, outbox = NULL, lease = NULL WHERE events.expires_at <= ?")
# Take a free or expired lock in one statement (atomic across processes).
_TAKE_LOCK = ("INSERT INTO locks (key, owner, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE "
              "SET owner = excluded.owner, expires_at = excluded.expires_at WHERE locks.expires_at <= ?")


def _ms(t: float) -> int:
    return math.floor(t * 1000)


def _is_busy(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(exc) or "busy" in str(exc)  # pragma: no cover - Python < 3.11


def _tx(db: sqlite3.Connection, body: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``body`` in one write transaction (``BEGIN IMMEDIATE`` … ``COMMIT``)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        out = body(db)
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return out


class _Later(Exception):
    """A write that cannot be committed at once: it waits for the group commit of the next turn."""


def _fail_all(waiting: list[tuple[Any, asyncio.Future[Any]]], exc: BaseException) -> None:
    """Give each waiting caller its own :class:`StoreError` for ``exc``."""
    for _, fut in waiting:
        if not fut.done():
            err = StoreError(str(exc))
            err.__cause__ = exc.__cause__ if isinstance(exc, StoreError) else exc
            fut.set_exception(err)


class SQLiteStore(SessionStore):
    """Sessions, event ids with their outboxes, and per-user locks in one SQLite file.

    The file is opened on first use (the parent folder is created then).

    Args:
        path: the database file, e.g. ``var/soudan.db`` (relative to the working directory).
        clock: current time in seconds since the epoch, for session and event TTLs (tests inject
            one so expiry needs no sleeping); defaults to :func:`time.time`. Locks and send leases
            always use the real clock, because other processes share them.
        lock_poll: longest sleep in seconds between two attempts to take a lock held by another
            process (attempts start at 2 ms and double up to this).
        exclusive: this process owns the file (see the module doc): no other process can open it
            while the store is open, and the store is refused when another already has it open.

    Raises:
        ValueError: if ``lock_poll`` is not positive.
    """

    backend = "sqlite"

    def __init__(self, path: str | Path, *, clock: Callable[[], float] = time.time,
                 lock_poll: float = 0.05, exclusive: bool = False) -> None:
        if lock_poll <= 0:
            raise ValueError("lock_poll must be a positive number of seconds")
        self.path = Path(path)
        self._clock = clock
        self._lock_poll = lock_poll
        self.exclusive = exclusive
        self._lent: asyncio.Future[None] | None = None  # exclusive: a worker thread has the loop's connection
        self._db: sqlite3.Connection | None = None
        self._cur: sqlite3.Cursor | None = None  # the loop connection's cursor for steps (one per call costs)
        self._locks = KeyedLocks()
        self._last_purge = float("-inf")
        self._closed = False
        self._held: set[str] = set()
        self._scrub: set[str] = set()
        self._commits = 0
        self._jobs: set[asyncio.Task[Any]] = set()
        self._checkpointing = False
        self._purging: asyncio.Lock | None = None
        self._confirms: list[tuple[str, asyncio.Future[None]]] = []  # sent() calls of this loop turn
        self._flushing = False  # a _commit_pending is scheduled
        self._steps: list[tuple[Callable[[sqlite3.Cursor], StepResult | Busy],
                                asyncio.Future[StepResult | Busy]]] = []  # steps of this loop turn
        self._alone: asyncio.Task[Any] | None = None  # the task that committed alone in this loop turn
        # decoded sessions as committed by this connection, valid while data_version stays the same
        self._cache: dict[str, tuple[Session, int]] = {}  # key → (session, expires_at in ms)
        self._version: int | None = None  # PRAGMA data_version when the cache was last checked
        self._checked = False  # data_version was read in the current transaction
        self._pending: dict[str, tuple[Session, int] | None] = {}  # this transaction's session writes

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r}{', exclusive=True' if self.exclusive else ''})"

    # ------------------------------------------------------------ connection

    def _fail(self, what: str, exc: BaseException) -> StoreError:
        return StoreError(f"SQLite store sqlite:///{self.path}: {what} failed: {exc}. "
                          "Check that the folder is writable and the disk not full, or set SOUDAN_STORE.")

    def _connect(self, *, loop: bool) -> sqlite3.Connection:
        """A connection: the loop's (busy timeout 0, no auto-checkpoint) or a thread's (waits)."""
        # an exclusive store lends its loop connection to worker threads (the loop holds off meanwhile)
        db = sqlite3.connect(self.path, isolation_level=None, timeout=0 if loop else BUSY_TIMEOUT,
                             check_same_thread=loop and not self.exclusive)
        try:
            db.execute("PRAGMA synchronous = NORMAL")
            # deleted sessions (forget, expiry) are overwritten on disk, not left in free pages
            db.execute("PRAGMA secure_delete = ON")
            if loop:
                db.execute("PRAGMA wal_autocheckpoint = 0")
        except BaseException:
            db.close()
            raise
        return db

    def _conn(self) -> sqlite3.Connection:
        if self._db is not None:
            return self._db
        if self._closed:
            raise StoreError(f"SQLite store sqlite:///{self.path} is closed")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self._fail(f"creating the folder {self.path.parent}", exc) from exc
        db: sqlite3.Connection | None = None
        try:
            db = self._connect(loop=True)
            db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")  # only while opening
            db.execute(f"PRAGMA page_size = {PAGE_SIZE}")  # a new file only (an existing one keeps its own)
            row = db.execute("PRAGMA journal_mode = WAL").fetchone()
            if row is None or str(row[0]).lower() != "wal":
                log.warning("SQLite did not switch to WAL (journal_mode=%s); concurrency will be lower",
                            row[0] if row else None)
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise StoreError(f"SQLite store sqlite:///{self.path} was written by a newer soudan "
                                 f"(schema {version} > {SCHEMA_VERSION}); upgrade soudan or use another file")
            if version == 1:
                db.executescript("BEGIN IMMEDIATE;" + _MIGRATE_1 + "COMMIT;")
                log.info("SQLite store migrated from schema 1 to 2 (old records still load)")
            elif version == 0:
                db.executescript(_SCHEMA)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            if self.exclusive:
                self._own(db)
            db.execute("PRAGMA busy_timeout = 0")
        except sqlite3.Error as exc:
            if db is not None:
                db.close()
            if _is_busy(exc):
                raise StoreError(
                    f"SQLite store sqlite:///{self.path}: the file is locked by another process "
                    + ("(this store needs it alone: exclusive=1 — stop the other process, or drop exclusive=1 "
                       "to share the file)" if self.exclusive else
                       "(a soudan with exclusive=1 holds it alone, or a write took longer than "
                       f"{BUSY_TIMEOUT:g} s)")) from exc
            raise self._fail("opening the database", exc) from exc
        except OSError as exc:
            if db is not None:
                db.close()
            raise self._fail("opening the database", exc) from exc
        except BaseException:
            if db is not None:
                db.close()
            raise
        log.debug("SQLite store opened", extra={"path": str(self.path)})
        self._db = db
        self._cur = db.cursor()
        return db

    @staticmethod
    def _own(db: sqlite3.Connection) -> None:
        """Take the file for this connection alone, and keep it until it closes (``exclusive``).

        An empty write transaction in exclusive locking mode takes the lock at once (it waits up
        to the opening's busy timeout for another process's write; any other process that has
        the file open, even idle, holds a shared lock that keeps it from being taken).

        Raises:
            sqlite3.OperationalError: ``SQLITE_BUSY`` when another process has the file open.
        """
        db.execute("PRAGMA locking_mode = EXCLUSIVE")
        db.execute("BEGIN IMMEDIATE")
        db.execute("COMMIT")

    def _cursor(self) -> sqlite3.Cursor:
        """The loop connection's cursor for steps (opening the file on first use)."""
        if self._cur is None or self._db is None:
            self._conn()
        assert self._cur is not None
        return self._cur

    async def _do(self, what: str, body: Callable[[sqlite3.Connection], T], *, write: bool = True,
                  after: Callable[[], None] | None = None) -> T:
        """Run ``body`` on the loop's connection (in a write transaction when ``write``), retrying
        after a sleep while another process writes; ``after`` (instead of the bookkeeping of a
        write) runs once it committed."""
        delay, deadline = 0.001, None
        while True:
            await self._until_returned()  # a worker thread may have the connection (exclusive)
            db = self._conn()
            try:
                out = _tx(db, body) if write else body(db)
            except sqlite3.Error as exc:
                if not _is_busy(exc):
                    raise self._fail(what, exc) from exc
                now = time.monotonic()
                if deadline is None:
                    deadline = now + BUSY_TIMEOUT
                elif now >= deadline:
                    raise StoreError(f"SQLite store sqlite:///{self.path}: {what} failed: the database stayed "
                                     f"busy (another process writing) for {BUSY_TIMEOUT:g} s") from exc
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.02)
                continue
            if after is not None:
                after()
            elif write:
                self._wrote()
            return out

    def _wrote(self) -> None:
        self._commits += 1
        if self._commits % CHECKPOINT_EVERY == 0 and not self._checkpointing:
            self._checkpointing = True
            self._background(self._checkpoint("PASSIVE"))
        now = self._clock()
        if now - self._last_purge >= PURGE_INTERVAL:
            self._last_purge = now
            self._background(self.purge())

    def _background(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._jobs.add(task)
        task.add_done_callback(self._job_done)

    def _job_done(self, task: asyncio.Task[Any]) -> None:
        self._jobs.discard(task)
        exc = None if task.cancelled() else task.exception()
        if exc is not None:
            log.warning("SQLite background job failed: %s", type(exc.__cause__ or exc).__name__)

    async def _thread(self, what: str, body: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``body`` in a worker thread on a connection of its own (slow work: scans, checkpoints)."""
        if self._closed:
            raise StoreError(f"SQLite store sqlite:///{self.path} is closed")
        self._conn()  # the file exists and has the schema
        if self.exclusive:
            return await self._lend(what, body)

        def job() -> T:
            db = self._connect(loop=False)
            try:
                return body(db)
            finally:
                db.close()
        try:
            return await asyncio.to_thread(job)
        except sqlite3.Error as exc:
            raise self._fail(what, exc) from exc

    async def _lend(self, what: str, body: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``body`` in a worker thread on the loop's own connection (``exclusive``: no other
        connection can open the file). The loop does not touch the connection until the thread is
        done — also when the caller is cancelled meanwhile: steps and other operations asked for
        wait (:meth:`_do`, the group commit); one thread at a time."""
        loop = asyncio.get_running_loop()
        await self._until_returned()
        db = self._conn()
        lent = self._lent = loop.create_future()

        def done(job: asyncio.Future[T]) -> None:
            self._lent = None
            lent.set_result(None)
            if not job.cancelled():
                job.exception()  # retrieved here too: the caller may have been cancelled
        job = loop.run_in_executor(None, body, db)
        job.add_done_callback(done)
        try:
            return await asyncio.shield(job)
        except sqlite3.Error as exc:
            raise self._fail(what, exc) from exc

    async def _checkpoint(self, mode: str) -> bool:
        """Checkpoint the WAL in a thread; True when it was complete (TRUNCATE: the WAL is empty)."""
        try:
            row = await self._thread("a WAL checkpoint", lambda db: db.execute(f"PRAGMA wal_checkpoint({mode})").fetchone())
        finally:
            if mode == "PASSIVE":
                self._checkpointing = False
        return row is not None and not row[0]

    async def purge(self) -> int:
        """Delete expired sessions, event ids and locks now (in a thread; the event loop goes on),
        and empty the WAL when a session went, so an expired session is not kept in ``-wal`` either.

        Returns:
            The number of rows deleted.

        Raises:
            StoreError: when the database cannot be written.
        """
        now_ms, real = _ms(self._clock()), time.time()

        def body(db: sqlite3.Connection) -> tuple[int, int]:
            # read the expired keys without holding the write lock (a full scan on a big file),
            # then delete them by key in small transactions
            gone = [0, 0]
            for i, (table, col) in enumerate((("sessions", "key"), ("events", "id"))):
                keys = [r[0] for r in db.execute(f"SELECT {col} FROM {table} WHERE expires_at <= ?", (now_ms,))]
                for lo in range(0, len(keys), 500):
                    with db:
                        db.execute("BEGIN IMMEDIATE")
                        gone[i] += db.executemany(f"DELETE FROM {table} WHERE {col} = ? AND expires_at <= ?",
                                                  [(k, now_ms) for k in keys[lo:lo + 500]]).rowcount
            db.execute("BEGIN IMMEDIATE")
            gone[1] += db.execute("DELETE FROM locks WHERE expires_at <= ?", (real,)).rowcount
            db.execute("COMMIT")
            return gone[0], gone[1]
        if self._purging is None:
            self._purging = asyncio.Lock()
        async with self._purging:  # one sweep at a time (a background one may be running)
            if self.exclusive:
                sessions, others = await self._purge_in_chunks(now_ms, real)
            else:
                sessions, others = await self._thread("purge", body)
            if sessions:
                await self._truncate_wal()
        return sessions + others

    async def _scan(self, what: str, table: str, col: str) -> AsyncIterator[list[tuple[str, int]]]:
        """``exclusive``: the (key, expires_at) rows of ``table`` in key order, :data:`SCAN_CHUNK`
        at a time, each chunk read on the loop's connection (a millisecond or so: steps go on
        between two chunks; a whole scan in a lent thread would hold them up for all of it)."""
        after = ""
        sql = f"SELECT {col}, expires_at FROM {table} WHERE {col} > ? ORDER BY {col} LIMIT {SCAN_CHUNK}"

        def chunk(db: sqlite3.Connection) -> list[tuple[str, int]]:
            return db.execute(sql, (after,)).fetchall()
        while True:
            rows = await self._do(what, chunk, write=False)
            if rows:
                yield rows
            if len(rows) < SCAN_CHUNK:
                return
            after = rows[-1][0]
            await asyncio.sleep(0)

    async def _purge_in_chunks(self, now_ms: int, real: float) -> tuple[int, int]:
        """:meth:`purge` of an ``exclusive`` store: chunk by chunk on the loop's connection."""
        gone = [0, 0]
        for i, (table, col) in enumerate((("sessions", "key"), ("events", "id"))):
            sql = f"DELETE FROM {table} WHERE {col} BETWEEN ? AND ? AND expires_at <= ?"
            async for rows in self._scan("purge", table, col):
                if not any(expires <= now_ms for _, expires in rows):
                    continue

                def delete(db: sqlite3.Connection, lo: str = rows[0][0], hi: str = rows[-1][0], sql: str = sql) -> int:
                    # one range DELETE over the chunk's keys (a row written since has a later expiry)
                    return db.execute(sql, (lo, hi, now_ms)).rowcount
                gone[i] += await self._do("purge", delete)
        gone[1] += await self._do("purge", lambda db: db.execute(
            "DELETE FROM locks WHERE expires_at <= ?", (real,)).rowcount)
        return gone[0], gone[1]

    async def ping(self) -> None:
        """See :meth:`SessionStore.ping`."""
        await self._do("ping", lambda db: db.execute("SELECT 1").fetchone(), write=False)

    async def close(self) -> None:
        """Finish background jobs and close the connection (every write is already committed)."""
        if self._jobs:
            await asyncio.wait(set(self._jobs), timeout=BUSY_TIMEOUT * 2)
        await self._until_returned()  # a worker thread may still have the connection (its caller gave up)
        self._closed = True
        db, self._db, self._cur = self._db, None, None
        if db is not None:
            db.close()

    # ------------------------------------------------------------ the step

    def _begin(self, db: sqlite3.Cursor) -> None:
        """Start a step transaction's bookkeeping (after ``BEGIN IMMEDIATE``): its session writes,
        given to the cache once it has committed; ``data_version`` is read at the first cache hit
        (and in the first transaction, before anything is cached)."""
        self._pending = {}
        if self.exclusive:  # no other connection can write the file: the cache holds
            self._checked = True
            return
        self._checked = False
        if self._version is None:
            self._fresh(db)

    def _fresh(self, db: sqlite3.Cursor) -> bool:
        """Whether the cached sessions are still those of the file: no other connection (another
        process, this process's worker threads, a tool) committed since the last look. If one
        did, the cache is emptied. Called inside the write transaction, so it holds until COMMIT."""
        self._checked = True
        version = db.execute("PRAGMA data_version").fetchone()[0]
        if version == self._version:
            return True
        self._version = version
        self._cache.clear()
        return False

    def _session(self, db: sqlite3.Cursor, key: str, now_ms: int) -> Session | None:
        """The session of ``key`` as this transaction sees it, handed over to the caller (the
        store keeps no reference to it): written by an earlier step of this transaction, or
        cached while the file did not change, or else read and decoded."""
        pending = self._pending
        if key in pending:
            got = pending[key]
            pending[key] = None  # taken (this step may still fail): the cache drops the key at COMMIT
            if got is not None:
                return got[0] if got[1] > now_ms else None
        elif key in self._cache and (self._checked or self._fresh(db)):
            cached, expires = self._cache.pop(key)  # taken: a failed step leaves the key uncached
            if expires > now_ms:
                return cached
        row = db.execute("SELECT data FROM sessions WHERE key = ? AND expires_at > ?", (key, now_ms)).fetchone()
        return decode_session(row[0], self.backend) if row is not None else None

    def _committed(self) -> None:
        """After a step transaction's COMMIT: its sessions go to the cache (the oldest leave it)."""
        cache = self._cache
        for key, got in self._pending.items():
            cache.pop(key, None)
            if got is not None:
                cache[key] = got
        self._pending = {}
        while len(cache) > CACHE_SIZE:
            del cache[next(iter(cache))]
        self._wrote()

    def _undo(self, db: sqlite3.Cursor) -> None:
        """After a failed step transaction: roll back, and forget the cache (conservative)."""
        self._pending = {}
        self._cache.clear()
        if db.connection.in_transaction:
            db.execute("ROLLBACK")

    def _now(self, what: str, run: Callable[[sqlite3.Cursor], T]) -> T:
        """Run ``run`` in a write transaction of its own at once — when nothing waits for the next
        group commit and no other task of this loop turn committed alone already (those steps
        are grouped instead).

        Raises:
            _Later: the step must wait for the group commit (the file is busy, or it is not alone).
            StoreError: when the database fails (nothing was committed).
        """
        if self._flushing or self._lent is not None:
            raise _Later
        task = asyncio.current_task()
        if self._alone is not task:
            if self._alone is not None:
                raise _Later
            self._alone = task
            asyncio.get_running_loop().call_soon(self._next_turn)
        db = self._cursor()
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            if _is_busy(exc):
                raise _Later from None
            raise self._fail(what, exc) from exc
        self._begin(db)
        try:
            out = run(db)
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._undo(db)
            if _is_busy(exc):
                raise _Later from None
            raise self._fail(what, exc) from exc
        except BaseException:
            self._undo(db)
            raise
        self._committed()
        return out

    def _next_turn(self) -> None:
        self._alone = None

    @staticmethod
    def _seen(db: sqlite3.Cursor, event_id: str, now_ms: int, lease: float) -> StepResult | Busy | None:
        """What a step of ``event_id`` gives when the id was seen before (within its TTL): nothing
        to do, its pending outbox to send again (renewing the send lease), or :class:`Busy` while
        another sender's lease runs; None for an id not seen."""
        row = db.execute("SELECT expires_at, outbox, lease FROM events WHERE id = ?", (event_id,)).fetchone()
        if row is None or row[0] <= now_ms:
            return None
        if row[1] is None:
            return StepResult(None)
        t = time.time()
        if (row[2] or 0.0) > t:
            return Busy(row[2], "the reply of this event is being sent by another task or process")
        db.execute("UPDATE events SET lease = ? WHERE id = ?", (t + lease, event_id))
        return StepResult(None, bytes(row[1]), resend=True)

    async def _step_once(self, key: str, event_id: str | None, fn: StepFn, ttl: float, event_ttl: float,
                         lease: float) -> StepResult | Busy:
        """See :meth:`SessionStore.step`: one transaction on the loop's connection, ``fn`` inside it
        (at once, or in the group commit of the next loop turn)."""
        now = self._clock()
        now_ms = _ms(now)
        forgot: list[bool] = []

        def body(db: sqlite3.Cursor) -> StepResult | Busy:
            # fn runs first, the event is recorded with its change in one statement (a redelivery
            # writes nothing and drops the change): one statement less than asking first
            forgot.clear()
            try:
                change = fn(self._session(db, key, now_ms))
            except Exception:
                seen = None if event_id is None else self._seen(db, event_id, now_ms, lease)
                if seen is not None:  # a redelivery: what fn would have done does not matter
                    return seen
                raise
            if event_id is not None and not db.execute(_NEW_EVENT, (
                    event_id, _ms(now + event_ttl), change.outbox, time.time() + lease, now_ms)).rowcount:
                seen = self._seen(db, event_id, now_ms, lease)  # the id is live: a redelivery
                return StepResult(None) if seen is None else seen
            kept: tuple[Session, int] | None = None
            if change.session is None or change.forget:
                if db.execute("DELETE FROM sessions WHERE key = ?", (key,)).rowcount and change.forget:
                    forgot.append(True)
            else:
                expires = _ms(now + ttl)
                db.execute(_SAVE, (key, encode_session(change.session), expires))
                kept = (copy_session(change.session), expires)
            self._pending[key] = kept
            return StepResult(change, change.outbox)
        try:
            out = self._now("a step (event id, session, outbox)", body)
        except _Later:
            fut: asyncio.Future[StepResult | Busy] = asyncio.get_running_loop().create_future()
            self._steps.append((body, fut))
            self._schedule()
            out = await fut
        if forgot:
            await self._truncate_wal()
        return out

    def _schedule(self) -> None:
        """Commit what was asked for in this turn of the event loop at the start of the next."""
        if not self._flushing:
            self._flushing = True
            self._background(self._commit_pending())

    async def _commit_pending(self) -> None:
        """Run the steps and confirmations asked for since the last turn in one transaction."""
        self._flushing = False
        steps, self._steps = self._steps, []
        confirms, self._confirms = self._confirms, []
        results: list[tuple[bool, Any]] = []

        def run(_db: sqlite3.Connection) -> None:
            results.clear()  # a retry (busy database) runs every step again
            db = self._cursor()
            self._begin(db)
            if confirms:
                db.executemany(_SENT, [(e,) for e, _ in confirms])
            for body, fut in steps:
                if fut.done():  # the caller gave up before its step ran: it does not happen
                    results.append((False, None))
                    continue
                db.execute("SAVEPOINT step")
                try:
                    results.append((True, body(db)))
                except sqlite3.Error:
                    raise  # the database failed: the whole transaction is undone
                except Exception as exc:  # noqa: BLE001 — this step's own failure (its engine function): undo it alone
                    db.execute("ROLLBACK TO step")
                    results.append((False, exc))
                db.execute("RELEASE step")
        try:
            await self._do("a step or a sent confirmation (event id, session, outbox)", run, after=self._committed)
        except BaseException as exc:  # every caller gets the failure; nothing was committed
            self._pending = {}
            self._cache.clear()
            _fail_all([*steps, *confirms], exc)
            if not isinstance(exc, StoreError):
                raise
            return
        for _, done in confirms:
            if not done.done():
                done.set_result(None)
        for (_, fut), (ok, value) in zip(steps, results, strict=True):
            if fut.done():
                continue
            if ok:
                fut.set_result(value)
            else:
                fut.set_exception(value)

    async def sent(self, event_id: str) -> None:
        """See :meth:`SessionStore.sent`.

        At once in a transaction of its own, or — when other tasks of this loop turn write too —
        group-committed with the steps and confirmations asked for in the same turn, in one
        transaction at the start of the next turn; the caller returns once that transaction has
        committed (or gets its :class:`StoreError`: the outbox stays pending).
        """
        try:
            self._now("a sent confirmation", lambda db: db.execute(_SENT, (event_id,)))
            return
        except _Later:
            pass
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._confirms.append((event_id, fut))
        self._schedule()
        await fut

    async def release(self, event_id: str, outbox: bytes | None = None) -> None:
        """See :meth:`SessionStore.release` (the outbox column is rewritten when ``outbox`` is given)."""
        await self._do("releasing a send lease", lambda db: db.execute(
            "UPDATE events SET lease = 0, outbox = coalesce(?, outbox) WHERE id = ? AND outbox IS NOT NULL",
            (outbox, event_id)))

    # ------------------------------------------------------------ sessions

    async def get(self, key: str) -> Session | None:
        """See :meth:`SessionStore.get`."""
        row = await self._do("reading a session", lambda db: db.execute(
            "SELECT data FROM sessions WHERE key = ? AND expires_at > ?", (key, _ms(self._clock()))).fetchone(),
            write=False)
        return None if row is None else decode_session(row[0], self.backend)

    async def save(self, key: str, session: Session, ttl: float) -> None:
        """See :meth:`SessionStore.save`."""
        self._check_ttl(ttl)
        data = encode_session(session)

        def body(db: sqlite3.Connection) -> None:
            self._cache.pop(key, None)  # in the transaction: no step can cache the key again before COMMIT
            db.execute(_SAVE, (key, data, _ms(self._clock() + ttl)))
        await self._do("saving a session", body)

    async def delete(self, key: str) -> None:
        """See :meth:`SessionStore.delete`."""

        def body(db: sqlite3.Connection) -> None:
            self._cache.pop(key, None)  # in the transaction, like save
            db.execute("DELETE FROM sessions WHERE key = ?", (key,))
        await self._do("deleting a session", body)

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
            complete = await self._checkpoint("TRUNCATE")
        except StoreError as exc:  # the row is deleted already; the WAL is reset later anyway
            log.warning("the WAL could not be truncated now (%s); deleted rows stay in it until the next "
                        "checkpoint", type(exc.__cause__ or exc).__name__)
            return
        if not complete:
            log.warning("another process is reading the file, so the WAL was not truncated; deleted rows "
                        "stay in it until the next checkpoint")

    async def _until_returned(self) -> None:
        """Wait until no worker thread has the connection (``exclusive``: a thread job borrows the
        loop's own connection, :meth:`_thread`)."""
        while self._lent is not None:
            await asyncio.shield(self._lent)

    async def count(self) -> int:
        """See :meth:`SessionStore.count` (a scan, in a thread; ``exclusive``: :meth:`keys`, in chunks)."""
        if self.exclusive:
            return sum([1 async for _ in self.keys()])
        now_ms = _ms(self._clock())
        row = await self._thread("counting", lambda db: db.execute(
            "SELECT count(*) FROM sessions WHERE expires_at > ?", (now_ms,)).fetchone())
        return int(row[0])

    async def keys(self) -> AsyncIterator[str]:
        """See :meth:`SessionStore.keys` (a scan, in a thread; ``exclusive``: in chunks)."""
        now_ms = _ms(self._clock())
        if self.exclusive:
            async for chunk in self._scan("listing keys", "sessions", "key"):
                for key, expires in chunk:
                    if expires > now_ms:
                        yield key
            return
        rows = await self._thread("listing keys", lambda db: db.execute(
            "SELECT key FROM sessions WHERE expires_at > ?", (now_ms,)).fetchall())
        for row in rows:
            yield str(row[0])

    # ------------------------------------------------------------ events

    async def mark_event(self, event_id: str, ttl: float) -> bool:
        """See :meth:`SessionStore.mark_event`.

        One upsert: the insert succeeds for a new id, and overwrites an expired one; a live
        record is left alone and changes no row (``rowcount`` 0 → a redelivery).
        """
        self._check_ttl(ttl)
        now_ms = _ms(self._clock())
        changed = await self._do("recording an event id", lambda db: db.execute(
            _MARK_EVENT, (event_id, _ms(self._clock() + ttl), now_ms)).rowcount)
        return changed == 1

    # ------------------------------------------------------------ locks

    def lock(self, key: str, timeout: float = 10.0) -> AbstractAsyncContextManager[None]:
        """See :meth:`SessionStore.lock` (the primitive API; :meth:`step` needs no lock).

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
                args = (key, token, now + timeout, now)

                def take(db: sqlite3.Connection, a: tuple[Any, ...] = args) -> int:
                    return int(db.execute(_TAKE_LOCK, a).rowcount)
                if await self._do("taking a lock", take) == 1:
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
                await self._do("releasing a lock", lambda db: db.execute(
                    "DELETE FROM locks WHERE key = ? AND owner = ?", (key, token)))
                if key in self._scrub:  # forgotten while locked: the lock row named the key too
                    self._scrub.discard(key)
                    await self._truncate_wal()
