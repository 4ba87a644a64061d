"""Session-store benchmark: the cost of a conversation step through ``Conversations.handle``.

For each store (memory, SQLite — shared and ``?exclusive=1`` —, Redis) it runs whole consultations (start → answers → result),
each step through :meth:`bot.service.Conversations.handle` — one exactly-once
:meth:`~bot.store.SessionStore.step`: event-id check, load, engine step, save of session and event
id together — and prints the median µs per step, with its ratio to a baseline measured in the same
run: the engine step alone, the same inputs, no store; and the ratios SQLite/memory and
Redis/memory (issue #13's targets: ≤ 2 and ≤ 3) against the plain memory store (which keeps
session copies, no encoding), and against the memory store keeping encoded records like SQLite
and Redis do (``MemoryStore(encoded=True)``: the same work but the I/O).

**Paired rounds.** The stores are measured in turn within each round (memory, memory with
encoded records, SQLite, SQLite owning its file (``?exclusive=1``: no lock taken per
transaction), Redis; the order rotates from round to round), and each ratio is the
median over the rounds of that round's store median / that round's memory median: on a shared
machine whose load changes from minute to minute, the stores of one round saw the same load,
where stores measured one after the other for a minute each did not. Each store's µs figure is
the lowest round median (with the highest as the spread).

This is done with the SQLite file and the Redis database empty, then holding 1 000 and 100 000
other sessions (``--sizes`` adds 1 000 000: a few more minutes), with the bytes one stored session
takes.

It runs on the event loop ``soudan serve`` runs on (``--event-loop``, as ``SOUDAN_EVENT_LOOP``:
``auto``, uvloop when installed): a Redis step waits for its answer in the loop (a step on
SQLite or memory does not), and on uvloop that costs ~40k instructions fewer per step.

Run: ``.venv/bin/python -m bench.store_bench [--sizes 1000,100000,1000000] [--conversations N]
[--event-loop auto|uvloop|asyncio]``.
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
import contextlib
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
from bot.serve import loop_factory
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


ROUNDS = 9
"""Paired rounds per figure (each store measured once per round, in turn; see the module doc)."""


class Figure:
    """Round medians of one measure, in µs per step."""

    def __init__(self, medians: list[float]) -> None:
        self.medians = medians
        self.best, self.worst = min(medians), max(medians)

    def show(self, base: Figure | None = None) -> str:
        ratio = f"{self.best / base.best:6.1f}x" if base else "   1.0x"
        return f"{self.best:8.1f} µs/step {ratio}  (rounds up to {self.worst:7.1f})"

    def paired(self, other: Figure) -> tuple[float, float, float]:
        """The median, lowest and highest over the rounds of this round median / ``other``'s."""
        ratios = [a / b for a, b in zip(self.medians, other.medians, strict=True)]
        return statistics.median(ratios), min(ratios), max(ratios)


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


async def bench_stores(engine: Engine, stores: dict[str, SessionStore], inputs: Sequence[Input],
                       conversations: int, tag: str) -> dict[str, Figure]:
    """µs of one ``Conversations.handle`` call (event id, load, step, save — one ``SessionStore.step``),
    new users each time, for each store, in :data:`ROUNDS` paired rounds (the stores in turn within
    a round, the order rotating)."""
    convs = {name: Conversations(engine, st, SECRET, clock=lambda: NOW) for name, st in stores.items()}
    names = list(convs)
    medians: dict[str, list[float]] = {name: [] for name in names}
    for r in range(ROUNDS):
        for name in names[r % len(names):] + names[:r % len(names)]:
            conv = convs[name]
            samples = []
            for i in range(conversations):
                user = f"{tag}-{name}-{r}-{i}"
                for j, inp in enumerate(inputs):
                    t0 = time.perf_counter()
                    await conv.handle("line", user, inp, event_id=f"{user}-{j}", now=NOW)
                    samples.append(time.perf_counter() - t0)
            medians[name].append(statistics.median(samples) * 1e6)
    return {name: Figure(m) for name, m in medians.items()}


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
    with contextlib.closing(sqlite3.connect(path)) as db, db:  # closed: an exclusive store opens the file next
        db.executemany("INSERT OR REPLACE INTO sessions (key, data, expires_at) VALUES (?, ?, ?)",
                       ((fill_key(i), record, exp) for i in range(start, stop)))


def sqlite_bytes(path: Path) -> int:
    with contextlib.closing(sqlite3.connect(path)) as db:
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
          f"{conversations} consultations = {steps} steps per store per round, {ROUNDS} paired rounds; "
          "figure = lowest round median, ratio to the baseline; 'x memory' = median over the rounds of "
          "the round's ratio")
    print(f"stored record: {len(record)} bytes (compact MessagePack, bot.store.codec; mid-consultation) — "
          f"{len(sample.to_json().encode())} bytes as the JSON of Session.to_json")
    base = bench_baseline(engine, inputs, conversations)
    print(f"{'baseline: engine.step alone, no store':50s} {base.show()}")

    def vs(f: Figure, plain: Figure, m: Figure) -> str:
        r, lo, hi = f.paired(plain)
        return f"  = {r:4.2f}x memory (rounds {lo:4.2f}-{hi:4.2f}), {f.paired(m)[0]:4.2f}x memory (encoded)"

    redis = RedisStore(redis_url, prefix=redis_prefix or f"soudan-bench:{uuid.uuid4().hex[:8]}:")
    rd: RedisStore | None = redis
    try:
        await redis.ping()
    except StoreError as exc:
        print(f"Redis: skipped ({exc})")
        await redis.close()
        rd = None
    try:
        with tempfile.TemporaryDirectory(prefix="soudan-bench-") as tmp:
            path, path_x = Path(tmp) / "bench.db", Path(tmp) / "bench-exclusive.db"
            sq = SQLiteStore(path)
            await sq.ping()
            sqx = SQLiteStore(path_x, exclusive=True)  # ?exclusive=1: one process owns the file
            await sqx.ping()
            filled = 0
            for n in [0, *sizes]:
                per = 0.0
                if n:
                    before = sqlite_bytes(path)
                    fill_sqlite(path, filled, n, record)
                    per = (sqlite_bytes(path) - before) / (n - filled)  # sessions only (table + indexes)
                    await sqx.close()  # nothing else can open its file while it is open
                    fill_sqlite(path_x, filled, n, record)
                    sqx = SQLiteStore(path_x, exclusive=True)
                    await sqx.ping()
                    if rd is not None:
                        await fill_redis(rd, filled, n, record)
                    filled = n
                # SQLite and Redis are compared with the memory store keeping the codec's bytes like they do
                # too: the same work (encode and decode each step) but the I/O
                stores: dict[str, SessionStore] = {"memory": MemoryStore(), "encoded": MemoryStore(encoded=True),
                                                   "sqlite": sq, "sqlite-x": sqx}
                if rd is not None:
                    stores["redis"] = rd
                figs = await bench_stores(engine, stores, inputs, conversations, f"n{n}")
                plain, m = figs["memory"], figs["encoded"]
                print(f"{'Conversations.handle + memory' + (f', beside {n:,}' if n else ''):50s} {plain.show(base)}")
                print(f"{'Conversations.handle + memory, records encoded':50s} {m.show(base)}")
                label = f"SQLite, {n:,} sessions" if n else "SQLite (empty file)"
                extra = f"  file {sqlite_bytes(path) / 1e6:7.1f} MB, {per:6.0f} B/session" if n else ""
                print(f"{'Conversations.handle + ' + label:50s} {figs['sqlite'].show(base)}"
                      f"{vs(figs['sqlite'], plain, m)}{extra}")
                print(f"{'Conversations.handle + the same, ?exclusive=1':50s} {figs['sqlite-x'].show(base)}"
                      f"{vs(figs['sqlite-x'], plain, m)}")
                if rd is not None:
                    label = f"Redis, {n:,} sessions" if n else "Redis (empty)"
                    extra = f"  MEMORY USAGE {await redis_bytes_per_key(rd, n):6.0f} B/session" if n else ""
                    print(f"{'Conversations.handle + ' + label:50s} {figs['redis'].show(base)}"
                          f"{vs(figs['redis'], plain, m)}{extra}")
            await sq.close()
            await sqx.close()
    finally:  # also on Ctrl-C (asyncio.run cancels this task, then lets it clean up)
        if rd is not None:
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
    p.add_argument("--conversations", type=int, default=70,
                   help="consultations per store per round (default 70; 9 paired rounds per figure)")
    p.add_argument("--event-loop", choices=["auto", "uvloop", "asyncio"], default="auto",
                   help="the event loop, as SOUDAN_EVENT_LOOP for soudan serve (default auto, serve's "
                        "default: uvloop when installed)")
    args = p.parse_args(argv)
    sizes = sorted({int(x) for x in args.sizes.split(",") if x.strip()})
    factory = loop_factory(args.event_loop)
    print(f"event loop: {'uvloop' if factory is not None else 'asyncio'} (SOUDAN_EVENT_LOOP={args.event_loop})")
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(run(sizes, args.conversations))


if __name__ == "__main__":
    main()
