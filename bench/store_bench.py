"""Session-store benchmark: the cost of a conversation step through ``Conversations.handle``.

For each store (memory, SQLite, Redis) it runs whole consultations (start → answers → result),
each step through :meth:`bot.service.Conversations.handle` — one exactly-once
:meth:`~bot.store.SessionStore.step`: event-id check, load, engine step, save of session and event
id together — and prints the median µs per step, with its ratio to a baseline measured in the same
run: the engine step alone, the same inputs, no store; and the ratios SQLite/memory and
Redis/memory (issue #13's targets: ≤ 2 and ≤ 3) against the plain memory store (which keeps
session copies, no encoding), and against the memory store keeping encoded records like SQLite
and Redis do (``MemoryStore(encoded=True)``: the same work but the I/O).

Then, for SQLite and Redis, the same measure with 1 000 and 100 000 other sessions stored
(``--sizes`` adds 1 000 000: a few more minutes), and the bytes one stored session takes.

Run: ``.venv/bin/python -m bench.store_bench [--sizes 1000,100000,1000000] [--conversations N]``.
Redis: ``SOUDAN_BENCH_REDIS_URL`` (default ``redis://127.0.0.1:6379/14``: a database of its own,
not the tests' 15, so that a million filled sessions do not slow the tests' ``SCAN``s, and the tests'
keys do not change what the benchmark measures; a URL naming the tests' database is refused). Keys
go under the prefix ``soudan-bench:<random>:`` and are deleted afterwards, also when the run is
interrupted (Ctrl-C); the filled sessions expire by themselves after :data:`FILL_TTL` seconds, so
even a killed run leaves nothing for long. Timings are machine-dependent: compare ratios, not
absolute figures.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import os
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from bot.engine.core import Engine
from bot.engine.types import Input, Session, Start, Text
from bot.loading import load_engine
from bot.service import Conversations
from bot.settings import Settings
from bot.store import StoreError
from bot.store.base import SessionStore, redact_url
from bot.store.codec import encode_session
from bot.store.memory import MemoryStore
from bot.store.redis import RedisStore
from bot.store.sqlite import SQLiteStore
from bot.timeutil import JST

NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=JST)
REDIS_URL = os.environ.get("SOUDAN_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
"""The benchmark's Redis database (never the tests', see :func:`check_redis_url`)."""
SECRET = "bench-secret"
TTL = 24 * 3600.0
FILL_TTL = 2 * 3600.0
"""Seconds the filled ("other") sessions live: they outlast any run (a 1M run takes minutes) and
go by themselves if the run was killed before its clean-up."""


def consultation(engine: Engine) -> list[Input]:
    """Inputs of one whole consultation to a result: Start, then typed answers."""
    for script in (["4", "2", "1", "4", "1"], ["1"] * 12):  # the first is the net-harm path of engine_bench
        s = engine.step(None, Start(), NOW).session
        used = []
        for a in script:
            assert s is not None
            s = engine.step(s, Text(a), NOW).session
            used.append(a)
            if s is not None and engine.finished(s):
                return [Start(), *(Text(x) for x in used)]
    raise SystemExit("no script reaches a result with these flows; update bench/store_bench.py")


ROUNDS = 3
"""Each figure is measured in this many rounds; the lowest round median is reported (the others
are disturbed by whatever else the machine does), with the highest as the spread."""


class Figure:
    """Round medians of one measure, in µs per step."""

    def __init__(self, medians: list[float]) -> None:
        self.best, self.worst = min(medians), max(medians)

    def show(self, base: Figure | None = None) -> str:
        ratio = f"{self.best / base.best:6.1f}x" if base else "   1.0x"
        return f"{self.best:8.1f} µs/step {ratio}  (rounds up to {self.worst:7.1f})"


def bench_baseline(engine: Engine, inputs: Sequence[Input], conversations: int) -> Figure:
    """µs of ``engine.step`` alone over the same inputs."""
    medians = []
    for _ in range(ROUNDS):
        samples = []
        for _ in range(conversations):
            s: Session | None = None
            for inp in inputs:
                t0 = time.perf_counter()
                s = engine.step(s, inp, NOW).session
                samples.append(time.perf_counter() - t0)
        medians.append(statistics.median(samples) * 1e6)
    return Figure(medians)


async def bench_store(engine: Engine, store: SessionStore, inputs: Sequence[Input], conversations: int,
                      tag: str) -> Figure:
    """µs of one ``Conversations.handle`` call (event id, load, step, save — one ``SessionStore.step``),
    new users each time."""
    conv = Conversations(engine, store, SECRET, clock=lambda: NOW)
    medians = []
    for r in range(ROUNDS):
        samples = []
        for i in range(conversations):
            user = f"{tag}-{r}-{i}"
            for j, inp in enumerate(inputs):
                t0 = time.perf_counter()
                await conv.handle("line", user, inp, event_id=f"{user}-{j}", now=NOW)
                samples.append(time.perf_counter() - t0)
        medians.append(statistics.median(samples) * 1e6)
    return Figure(medians)


def sample_session(engine: Engine, inputs: Sequence[Input]) -> Session:
    """A session halfway through a consultation."""
    s: Session | None = None
    for inp in inputs[: max(2, len(inputs) - 1)]:
        s = engine.step(s, inp, NOW).session
    assert s is not None
    return s


# ---------------------------------------------------------------- filling stores

def fill_key(i: int) -> str:
    """The store key of the ``i``-th filled ("other") session: ``line:`` and 32 hex digits spread
    over the key space like real user keys (:func:`bot.store.base.user_key`, an HMAC). Keys counted
    up (``line:000…01``) would all sort before every real user's, so a filled SQLite file would put
    them in pages the measured steps never touch: the 1M figure would not measure a 1M table."""
    return f"line:{hashlib.blake2b(i.to_bytes(8, 'big'), digest_size=16).hexdigest()}"


def fill_sqlite(path: Path, start: int, stop: int, record: bytes) -> None:
    exp = int((time.time() + TTL) * 1000)
    with sqlite3.connect(path) as db:
        db.executemany("INSERT OR REPLACE INTO sessions (key, data, expires_at) VALUES (?, ?, ?)",
                       ((fill_key(i), record, exp) for i in range(start, stop)))


def sqlite_bytes(path: Path) -> int:
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        free = db.execute("PRAGMA freelist_count").fetchone()[0]
        size = db.execute("PRAGMA page_size").fetchone()[0]
    return int((pages - free) * size)


def check_redis_url(url: str, tests_url: str) -> None:
    """Refuse a benchmark database that is the tests' (same host, port and database number).

    Args:
        url: the benchmark's Redis URL; tests_url: the suite's (``SOUDAN_TEST_REDIS_URL``).

    Raises:
        SystemExit: with a message naming both, when they are the same database.
    """
    from redis.connection import ConnectionPool

    def where(u: str) -> tuple[object, object, object, int]:
        p = ConnectionPool.from_url(u).connection_kwargs
        return (p.get("host", "localhost"), p.get("port", 6379), p.get("path"), int(p.get("db", 0) or 0))
    if where(url) == where(tests_url):
        raise SystemExit(f"SOUDAN_BENCH_REDIS_URL names the tests' Redis database ({redact_url(tests_url)}): "
                         "a filled benchmark would slow every Redis test; pick another database number")


async def fill_redis(store: RedisStore, start: int, stop: int, record: bytes) -> None:
    ms = int(FILL_TTL * 1000)
    for lo in range(start, stop, 2000):
        pipe = store._r.pipeline(transaction=False)
        for i in range(lo, min(stop, lo + 2000)):
            pipe.set(store._s(fill_key(i)), record, px=ms)
        await pipe.execute()


async def redis_bytes_per_key(store: RedisStore, n: int) -> float:
    keys = [store._s(fill_key(i)) for i in range(0, n, max(1, n // 200))]
    sizes = [await store._r.memory_usage(k) or 0 for k in keys]
    return statistics.median(sizes)


# ---------------------------------------------------------------- main

async def run(sizes: Sequence[int], conversations: int, *, redis_url: str = REDIS_URL,
              redis_prefix: str | None = None) -> None:
    """Measure and print every figure (see the module docstring).

    Args:
        sizes: numbers of other sessions to measure SQLite and Redis with (ascending).
        conversations: consultations per round.
        redis_url: the benchmark's Redis database; redis_prefix: its key prefix (default
            ``soudan-bench:<random>:``); every key under it is deleted at the end.

    Raises:
        SystemExit: ``redis_url`` is the tests' database (:func:`check_redis_url`).
    """
    check_redis_url(redis_url, os.environ.get("SOUDAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))
    engine = load_engine(Settings(_env_file=None))
    inputs = consultation(engine)
    sample = sample_session(engine, inputs)
    record = encode_session(sample)
    steps = conversations * len(inputs)
    print(f"consultation: {len(inputs)} steps (Start + {len(inputs) - 1} typed answers); "
          f"{conversations} consultations = {steps} steps per round, {ROUNDS} rounds; "
          "figure = lowest round median, ratio to the baseline")
    print(f"stored record: {len(record)} bytes (compact MessagePack, bot.store.codec; mid-consultation) — "
          f"{len(sample.to_json().encode())} bytes as the JSON of Session.to_json")
    base = bench_baseline(engine, inputs, conversations)
    print(f"{'baseline: engine.step alone, no store':50s} {base.show()}")

    mem = MemoryStore()
    plain = await bench_store(engine, mem, inputs, conversations, "m")
    print(f"{'Conversations.handle + memory':50s} {plain.show(base)}")
    # SQLite and Redis are compared with the memory store keeping the codec's bytes like they do:
    # the same work (encode and decode each step) but the I/O
    m = await bench_store(engine, MemoryStore(encoded=True), inputs, conversations, "me")
    print(f"{'Conversations.handle + memory, records encoded':50s} {m.show(base)}")

    def vs(f: Figure) -> str:
        return f"  = {f.best / plain.best:4.2f}x memory, {f.best / m.best:4.2f}x memory (encoded)"

    with tempfile.TemporaryDirectory(prefix="soudan-bench-") as tmp:
        path = Path(tmp) / "bench.db"
        sq = SQLiteStore(path)
        await sq.ping()
        print(f"{'Conversations.handle + SQLite (empty file)':50s} "
              f"{(f := await bench_store(engine, sq, inputs, conversations, 's0')).show(base)}{vs(f)}")
        filled = 0
        for n in sizes:
            before = sqlite_bytes(path)
            fill_sqlite(path, filled, n, record)
            per = (sqlite_bytes(path) - before) / (n - filled)  # sessions only (table + indexes)
            filled = n
            us = await bench_store(engine, sq, inputs, conversations, f"s{n}")
            print(f"{f'Conversations.handle + SQLite, {n:,} sessions':50s} {us.show(base)}{vs(us)}  "
                  f"file {sqlite_bytes(path) / 1e6:7.1f} MB, {per:6.0f} B/session")
        await sq.close()

    rd = RedisStore(redis_url, prefix=redis_prefix or f"soudan-bench:{uuid.uuid4().hex[:8]}:")
    try:
        await rd.ping()
    except StoreError as exc:
        print(f"Redis: skipped ({exc})")
        await rd.close()
        return
    try:
        print(f"{'Conversations.handle + Redis (empty)':50s} "
              f"{(f := await bench_store(engine, rd, inputs, conversations, 'r0')).show(base)}{vs(f)}")
        filled = 0
        for n in sizes:
            await fill_redis(rd, filled, n, record)
            filled = n
            us = await bench_store(engine, rd, inputs, conversations, f"r{n}")
            per_key = await redis_bytes_per_key(rd, n)
            print(f"{f'Conversations.handle + Redis, {n:,} sessions':50s} {us.show(base)}{vs(us)}  "
                  f"MEMORY USAGE {per_key:6.0f} B/session")
    finally:  # also on Ctrl-C (asyncio.run cancels this task, then lets it clean up)
        try:
            n = await rd.clear()
            print(f"Redis: {n:,} benchmark keys deleted ({rd.prefix}*)")
        finally:
            await rd.close()


def main(argv: Sequence[str] | None = None) -> None:
    """Print the figures (see the module docstring)."""
    p = argparse.ArgumentParser(prog="python -m bench.store_bench", description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="1000,100000",
                   help="numbers of stored sessions to measure with (default 1000,100000; add 1000000)")
    p.add_argument("--conversations", type=int, default=200,
                   help="consultations per round (default 200; 3 rounds per figure)")
    args = p.parse_args(argv)
    sizes = sorted({int(x) for x in args.sizes.split(",") if x.strip()})
    asyncio.run(run(sizes, args.conversations))


if __name__ == "__main__":
    main()
