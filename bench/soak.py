"""Soak run: a bounded load of signed LINE events against a real ``soudan serve``, then proof.

``.venv/bin/python -m bench.soak [--events 20000] [--users 2000] [--store sqlite|redis] [--rate 150]
[--kills N] [--in-process]``

On loopback only:

1. a counting fake Messaging API runs in its own process (reply, push, profile; it counts the
   reply calls per reply token and answers the profile language from the user id: Japanese,
   English or no profile);
2. ``soudan serve`` runs as a real subprocess with test LINE credentials, ``LINE_API_BASE`` at the
   fake, the shipped flows, and a SQLite file or a Redis prefix of its own;
3. ``--users`` simulated people send ``--events`` signed events in all (follow, typed answers —
   numbers, labels, keywords, free text, commands, crisis words —, stickers, rich-menu and stale
   postbacks, 「終了」, 「データ削除」, unfollow and re-follow). Each person's events go in order, as
   LINE sends them: one or two per body, sometimes two people in one body, bodies shuffled (the
   timestamps give the order). Mixed in: **concurrent duplicates** (the same body sent twice at
   once) and **redeliveries** (an earlier event sent again, ``isRedelivery: true``, concurrently
   with the person's next one). ``--rate`` paces the events per second (0: as fast as it goes);
4. the server's resident memory (``VmRSS``) is sampled all along;
5. with ``--kills N``, the server is killed with SIGKILL N times at random moments of the load and
   restarted on the same store; whatever got no 200 (or no answer) is redelivered until it gets a
   200, each person's later events waiting for it, as LINE does; after the load every event is
   delivered once more. The fake API then behaves like LINE about repeats: a reply token is
   accepted once (a second reply gets 400), a push retry key once (409).

Then, after a clean stop of the server, it checks and prints:

- every person's stored session equals the replay of that person's events, in order, through the
  engine (``Engine.step`` with the same inputs; compared on flow, version, state, slots, history,
  locale (whether it is at a result follows from the state) — the conversation id and timestamps derive from the clock), and people
  whose last event was 「終了」, 「データ削除」 or an unfollow have nothing stored;
- no event was processed twice: every reply token was accepted exactly once at the fake API and
  nothing was pushed, and (without kills) the server's own counters (``/metrics``) saw exactly the
  duplicates that were sent;
- memory: RSS before the load, after 10 % of it (warm), at the end, and the maximum.

Exit status 1 when a session differs, an event was answered twice or never, or a request failed.
Timings are printed, never checked. ``make test`` runs the small forms: 400 events without kills
(``tests/hardening/test_soak_small.py``) and 120 events with a kill (``tests/store/test_kill.py``),
per store, with ``--in-process`` (:func:`run`'s ``in_process``: the fake API, and the server
when nothing is killed, in the test's own process).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import contextlib
import datetime as dt
import functools
import hashlib
import hmac
import json
import logging
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHANNEL_SECRET = "soak-channel-secret"
ACCESS_TOKEN = "soak-access-token"
SOUDAN_SECRET = "soak-soudan-secret-0123456789"
REDIS_URL = os.environ.get("SOUDAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

COMMANDS = ["戻る", "最初から", "ヘルプ", "English", "日本語", "restart", "back"]
FREE = ["よくわからない", "相談したいです", "どうしたらいいですか", "", "   ", "？？", "ありがとう", "😢",
        "長い相談です。" * 80]


# ------------------------------------------------------------------ the people and their events

@dataclass
class Event:
    """One event of one person (``kind``: text, postback, follow, unfollow, sticker)."""

    uid: str
    kind: str
    value: str
    eid: str
    token: str | None
    ts: int

    def json(self, redelivery: bool = False) -> dict[str, Any]:
        ev: dict[str, Any] = {
            "type": "message", "mode": "active", "timestamp": self.ts,
            "source": {"type": "user", "userId": self.uid}, "webhookEventId": self.eid,
            "deliveryContext": {"isRedelivery": redelivery},
        }
        if self.token:
            ev["replyToken"] = self.token
        if self.kind == "text":
            ev["message"] = {"type": "text", "id": self.eid[-12:], "text": self.value, "quoteToken": "q"}
        elif self.kind == "sticker":
            ev["message"] = {"type": "sticker", "id": self.eid[-12:], "packageId": "1", "stickerId": "1",
                             "stickerResourceType": "STATIC", "quoteToken": "q"}
        elif self.kind == "postback":
            ev["type"] = "postback"
            ev["postback"] = {"data": self.value}
        else:
            ev["type"] = self.kind
            if self.kind == "follow":
                ev["follow"] = {"isUnblocked": False}
        return ev


@dataclass
class Person:
    uid: str
    events: list[Event] = field(default_factory=list)
    sent: int = 0


def profile_language(uid: str) -> str | None:
    """The language the fake API answers for a user (from the last hex digit of the id)."""
    d = int(uid[-1], 16)
    return "ja" if d < 10 else "en" if d < 13 else None


@functools.cache
def shipped_engine() -> Any:
    """The engine over the shipped flows and directory (``Settings(_env_file=None)``), loaded once
    per process: the vocabulary, the replay and an in-process server share it."""
    from bot.loading import load_engine
    from bot.settings import Settings

    return load_engine(Settings(_env_file=None))


def _vocabulary() -> list[str]:
    engine = shipped_engine()
    words: set[str] = set()
    for f in engine.flows.values():
        for st in f.states.values():
            for ch in st.choices or []:
                words.update(v for v in ch.label.values())
                words.update(ch.keywords)
    return sorted(words)


def make_people(events: int, users: int, seed: int) -> list[Person]:
    """``users`` people with ``events`` events in all, deterministic for a seed."""
    rng = random.Random(seed)
    run = uuid.UUID(int=rng.getrandbits(128)).hex[:8].upper()
    vocab = _vocabulary()
    counts = [events // users] * users
    for i in rng.sample(range(users), events % users):
        counts[i] += 1
    people = []
    for i, n in enumerate(counts):
        uid = "U" + f"{rng.getrandbits(128):032x}"
        p = Person(uid)
        ts = 1_790_000_000_000 + i * 7
        followed = True
        for k in range(n):
            ts += rng.randint(500, 5000)
            eid = f"01SOAK{run}{i:06d}{k:05d}"
            token: str | None = f"t{run}{i:06d}{k:05d}"
            r = rng.random()
            if k == 0:
                kind, value = ("follow", "") if r < 0.8 else ("text", "こんにちは")
            elif not followed:
                kind, value = ("follow", "")
            elif r < 0.40:
                kind, value = "text", str(rng.randint(1, 6))
            elif r < 0.55:
                kind, value = "text", rng.choice(vocab)
            elif r < 0.63:
                kind, value = "text", rng.choice(COMMANDS)
            elif r < 0.70:
                kind, value = "text", rng.choice(FREE)
            elif r < 0.72:
                kind, value = "text", rng.choice(["死にたい", "殺される", "I want to kill myself"])
            elif r < 0.77:
                kind, value = "sticker", ""
            elif r < 0.83:
                kind, value = "postback", rng.choice(["c=:restart", "c=:back", "c=:help", "c=safe&s=safety&v=zzzzzzzz",
                                                      "c=pupil&s=who&v=stale000", "foreign=1"])
            elif r < 0.86:
                kind, value = "text", rng.choice(["終了", "stop"])
            elif r < 0.88:
                kind, value = "text", rng.choice(["データ削除", "forget"])
            elif r < 0.91:
                kind, value = "unfollow", ""
            elif r < 0.93:
                kind, value = "follow", ""
            else:
                kind, value = "text", str(rng.randint(1, 3))
            if kind == "unfollow":
                token = None
                followed = False
            elif kind == "follow":
                followed = True
            p.events.append(Event(uid, kind, value, eid, token, ts))
        people.append(p)
    return people


def replay(people: list[Person]) -> dict[str, Any]:
    """Each person's expected session after their events (None: nothing stored)."""
    from bot.adapters.line.codecs import parse_postback
    from bot.engine.types import Input, Session, Start, Text, Unsupported
    from bot.timeutil import JST

    engine = shipped_engine()
    out: dict[str, Any] = {}
    for p in people:
        s: Session | None = None
        now = dt.datetime.now(JST)
        for ev in p.events:
            now += dt.timedelta(seconds=1)
            if ev.kind == "unfollow":
                s = None
                continue
            inp: Input
            if ev.kind == "follow":
                lang = profile_language(p.uid)
                inp = Start(None, None if lang is None else "ja" if lang.startswith("ja") else "en")
            elif ev.kind == "text":
                inp = Text(ev.value)
            elif ev.kind == "postback":
                inp = parse_postback(ev.value)
            else:
                inp = Unsupported("sticker")
            s = engine.step(s, inp, now).session
        out[p.uid] = s
    return out


def comparable(session: Any) -> dict[str, Any] | None:
    """The fields of a session that do not derive from the clock."""
    if session is None:
        return None
    d = session.model_dump(mode="json")
    return {k: d[k] for k in ("flow_id", "flow_version", "state", "slots", "history", "locale")}


# ------------------------------------------------------------------ the fake Messaging API

def serve_fake(port: int) -> None:  # pragma: no cover - runs in a subprocess
    """Counting fake Messaging API on 127.0.0.1:``port`` (``GET /_stats`` returns the counts)."""
    from aiohttp import web

    web.run_app(fake_app(), host="127.0.0.1", port=port, access_log=None, print=None)


def fake_app() -> Any:
    """The counting fake Messaging API as an ``aiohttp.web.Application`` (reply, push, profile and
    ``GET /_stats``; a reply token is accepted once, a push retry key once, as LINE does)."""
    from aiohttp import web

    replies: collections.Counter[str] = collections.Counter()  # accepted, per reply token
    pushes: collections.Counter[str] = collections.Counter()  # accepted, per user
    retry_keys: set[str] = set()
    stats = {"profiles": 0, "messages": 0, "refused_replies": 0, "repeated_pushes": 0}
    sent = json.dumps({"sentMessages": [{"id": "1", "quoteToken": "q"}]})

    async def reply(request: web.Request) -> web.Response:  # like LINE: a reply token works once
        body = await request.json()
        token = body.get("replyToken", "")
        if replies[token]:
            stats["refused_replies"] += 1
            return web.json_response({"message": "Invalid reply token"}, status=400)
        replies[token] += 1
        stats["messages"] += len(body.get("messages") or [])
        return web.Response(text=sent, content_type="application/json")

    async def push(request: web.Request) -> web.Response:  # like LINE: a retry key is accepted once
        body = await request.json()
        key = request.headers.get("X-Line-Retry-Key") or uuid.uuid4().hex
        if key in retry_keys:
            stats["repeated_pushes"] += 1
            return web.json_response({"message": "The retry key is already accepted"}, status=409)
        retry_keys.add(key)
        pushes[body.get("to", "")] += 1
        stats["messages"] += len(body.get("messages") or [])
        return web.Response(text=sent, content_type="application/json")

    async def profile(request: web.Request) -> web.Response:
        stats["profiles"] += 1
        uid = request.match_info["uid"]
        lang = profile_language(uid) if re.fullmatch(r"U[0-9a-f]{32}", uid) else None
        if lang is None:
            return web.json_response({"message": "Not found"}, status=404)
        return web.json_response({"userId": uid, "displayName": "x", "language": lang})

    async def get_stats(request: web.Request) -> web.Response:
        return web.json_response({"replies": replies, "pushes": pushes, **stats})

    app = web.Application(client_max_size=8 * 1024 * 1024)
    app.router.add_post("/v2/bot/message/reply", reply)
    app.router.add_post("/v2/bot/message/push", push)
    app.router.add_get("/v2/bot/profile/{uid}", profile)
    app.router.add_get("/_stats", get_stats)
    return app


# ------------------------------------------------------------------ processes

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


async def _wait_http(url: str, proc: asyncio.subprocess.Process | subprocess.Popen[bytes], timeout: float = 120) -> None:
    """Wait until ``url`` answers below 500, polling every 0.1 s; raise when ``proc`` exits or after
    ``timeout`` seconds (2 minutes: a server's start-up on a machine busy with other work, the
    suite's other workers among it, took over 30 s; an answer ends the wait at once)."""
    import aiohttp

    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if proc.returncode is not None:
                raise RuntimeError(f"{url}: the process exited with {proc.returncode}")
            with contextlib.suppress(aiohttp.ClientError, OSError):
                async with http.get(url) as r:
                    if r.status < 500:
                        return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


async def _started(proc: asyncio.subprocess.Process, url: str, timeout: float = 120) -> asyncio.subprocess.Process:
    """``proc`` once ``url`` answers (see :func:`_wait_http`); when it does not (the wait failed or
    was cancelled), the process is killed and reaped before the error goes on, so a failed start
    leaves no server running."""
    try:
        await _wait_http(url, proc, timeout)
    except BaseException:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()
        raise
    return proc


@contextlib.contextmanager
def _fake_api(port: int) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen([sys.executable, "-m", "bench.soak", "--serve-fake", str(port)], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ------------------------------------------------------------------ the run

@dataclass
class Report:
    """What a soak run saw (see the module docstring)."""

    store: str
    users: int
    events: int
    requests: int = 0
    deliveries: int = 0
    duplicates_sent: int = 0
    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    answered_twice: list[str] = field(default_factory=list)
    never_answered: list[str] = field(default_factory=list)
    unexpected_tokens: list[str] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)
    stored_sessions: int = 0
    expected_sessions: int = 0
    tokens: int = 0
    states: collections.Counter[str] = field(default_factory=collections.Counter)
    pushes: int = 0
    profiles: int = 0
    rss_kib: list[tuple[float, int]] = field(default_factory=list)
    rss_warm_kib: int = 0
    server_errors: list[str] = field(default_factory=list)
    kills: int = 0
    final_statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    refused_replies: int = 0

    @property
    def ok(self) -> bool:
        common = (self.mismatches or self.answered_twice or self.never_answered or self.unexpected_tokens
                  or self.pushes or self.stored_sessions != self.expected_sessions)
        if self.kills:  # statuses and counters of killed processes are lost; the last round must be clean
            return not (common or set(self.final_statuses) - {200})
        return not (common or set(self.statuses) - {200}
                    or self.metrics.get("duplicate", -1) != self.duplicates_sent
                    or self.metrics.get("handled", 0) + self.metrics.get("forgotten", 0) != self.events)

    def lines(self) -> list[str]:
        rss = [k for _, k in self.rss_kib]
        lat = sorted(self.latencies_ms)

        def p(q: float) -> float:
            return lat[min(len(lat) - 1, int(q * len(lat)))] if lat else float("nan")

        out = [
            f"store {self.store}: {self.users} people, {self.events} events in {self.requests} requests "
            f"({self.deliveries} event deliveries: {self.duplicates_sent} duplicates — concurrent copies and "
            f"redeliveries) in {self.seconds:.1f} s = {self.events / self.seconds if self.seconds else 0:.0f} events/s; "
            f"request latency p50 {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms",
            f"HTTP answers: {dict(sorted(self.statuses.items()))}",
            f"sessions: {self.stored_sessions} stored, {self.expected_sessions} expected by replay; "
            f"{len(self.mismatches)} differ from the replay",
            f"final states by replay: {', '.join(f'{k} {n}' for k, n in self.states.most_common(6))}",
            f"replies: {self.tokens - len(self.never_answered)} of {self.tokens} reply tokens answered; "
            f"{len(self.answered_twice)} answered twice, {len(self.never_answered)} never, "
            f"{len(self.unexpected_tokens)} unknown; {self.pushes} pushes; {self.profiles} profile look-ups; "
            f"{self.refused_replies} replies refused (token used: resends after a kill)",
            f"server counters: handled {self.metrics.get('handled', 0):.0f}, forgotten "
            f"{self.metrics.get('forgotten', 0):.0f}, duplicate {self.metrics.get('duplicate', 0):.0f} "
            f"(sent {self.duplicates_sent}), error {self.metrics.get('error', 0):.0f}",
        ]
        if rss:
            out.append(f"server RSS: first {rss[0] / 1024:.1f} MiB, warm (10 %) {self.rss_warm_kib / 1024:.1f} MiB, "
                       f"last {rss[-1] / 1024:.1f} MiB, max {max(rss) / 1024:.1f} MiB "
                       f"({len(rss)} samples; last − warm = {(rss[-1] - self.rss_warm_kib) / 1024:+.1f} MiB); "
                       "through the run: " + " → ".join(f"{rss[min(len(rss) - 1, len(rss) * q // 4)] / 1024:.1f}"
                                                        for q in range(5)) + " MiB")
        if self.kills:
            out.append(f"kills: {self.kills} SIGKILLs of the server mid-load, each followed by a restart; "
                       f"last round (every event redelivered): {dict(sorted(self.final_statuses.items()))}")
        out.extend(f"MISMATCH {m}" for m in self.mismatches[:10])
        out.extend(f"ANSWERED TWICE {t}" for t in self.answered_twice[:10])
        out.extend(f"NEVER ANSWERED {t}" for t in self.never_answered[:10])
        out.extend(f"server log: {e}" for e in self.server_errors[:10])
        out.append("OK" if self.ok else "FAILED")
        return out


def _sign(body: bytes) -> str:
    return base64.b64encode(hmac.new(CHANNEL_SECRET.encode(), body, hashlib.sha256).digest()).decode()


def _body(events: list[dict[str, Any]]) -> bytes:
    return json.dumps({"destination": "Usoak", "events": events}, ensure_ascii=False, separators=(",", ":")).encode()


def _metrics(text: str) -> dict[str, float]:
    out: dict[str, float] = collections.defaultdict(float)
    for m in re.finditer(r'^soudan_events_total\{([^}]*)\} ([0-9.e+]+)$', text, re.M):
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
        if labels.get("platform") == "line":
            out[labels["outcome"]] += float(m.group(2))
    return dict(out)


async def run(events: int = 20_000, users: int = 2_000, store: str = "sqlite", rate: float = 150.0,
              concurrency: int = 32, seed: int = 7, dup_rate: float = 0.04, redelivery_rate: float = 0.05,
              redis_url: str = REDIS_URL, quiet: bool = False, kills: int = 0, lease: float = 1.0,
              in_process: bool = False) -> Report:
    """One soak run; see the module docstring. Returns the :class:`Report` (``.ok``).

    ``in_process``: the fake Messaging API and (without ``kills``) the server run in this process
    and event loop, behind real loopback HTTP, instead of as subprocesses — the small forms in
    ``tests/`` use it to spare the interpreter start-ups; the server is then the same
    ``create_app`` behind the same :class:`bot.serve.HttpRunner` as ``soudan serve`` (its command
    line is tested in tests/adapters/line/test_line_serve.py), and the RSS figures are this
    process's. With ``kills`` the server stays a subprocess: it is what gets SIGKILLed.
    """
    import aiohttp

    from bot.store import open_store
    from bot.store.base import user_key

    def say(*parts: object) -> None:
        if not quiet:
            print(*parts, flush=True)

    people = make_people(events, users, seed)
    expected = replay(people)
    report = Report(store, users, events)
    rng = random.Random(seed + 1)
    tmp = Path(tempfile.mkdtemp(prefix="soudan-soak-"))
    if store in ("sqlite", "sqlite-exclusive"):  # exclusive: the server owns the file (?exclusive=1)
        url = f"sqlite:///{tmp / 'soudan.db'}" + ("?exclusive=1" if store == "sqlite-exclusive" else "")
    elif store == "redis":
        url = f"{redis_url}?prefix=soak-{uuid.uuid4().hex[:8]}:"
    else:
        raise ValueError("--store must be sqlite, sqlite-exclusive or redis (the run reads the server's store "
                         "afterwards)")

    api_port, port = _free_port(), _free_port()
    base = f"http://127.0.0.1:{port}"
    server_env = dict(SOUDAN_SECRET=SOUDAN_SECRET, SOUDAN_STORE=url, SOUDAN_SIMULATOR="false",
                      SOUDAN_METRICS="true", SOUDAN_LOG_LEVEL="WARNING", SOUDAN_FLOWS_DIR=str(ROOT / "flows"),
                      SOUDAN_DIRECTORY_DIR=str(ROOT / "directory"), LINE_CHANNEL_SECRET=CHANNEL_SECRET,
                      LINE_CHANNEL_ACCESS_TOKEN=ACCESS_TOKEN, LINE_API_BASE=f"http://127.0.0.1:{api_port}",
                      SOUDAN_SEND_LEASE=str(lease), LINE_REDELIVERY="on")  # the load redelivers what got no 200
    async with contextlib.AsyncExitStack() as fake_stack:
        if in_process:
            await fake_stack.enter_async_context(_site(fake_app(), api_port))
        else:
            fake = fake_stack.enter_context(_fake_api(api_port))
            await _wait_http(f"http://127.0.0.1:{api_port}/_stats", fake)
        if in_process and not kills:
            async with _app_site(server_env, port) as errors:
                say(f"soak: {store} ({url.split('?')[0]}), server in this process, {users} people, "
                    f"{events} events, rate {rate or 'unpaced'} events/s")
                await _load(people, base, report, rng, rate, concurrency, dup_rate, redelivery_rate, os.getpid(), say)
                async with aiohttp.ClientSession() as http, http.get(f"{base}/metrics") as r:
                    report.metrics = _metrics(await r.text())
            report.server_errors = errors  # complete: the server stopped cleanly on leaving the block
        else:
            report.server_errors = await _subprocess_server(
                server_env, tmp, url, base, people, report, rng, rate, concurrency, dup_rate, redelivery_rate,
                seed, kills, say)
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{api_port}/_stats") as r:
            stats = await r.json()

    # ---- proof
    replies: dict[str, int] = stats["replies"]
    report.pushes = sum(stats["pushes"].values())
    report.refused_replies = stats["refused_replies"]
    report.profiles = stats["profiles"]
    tokens = {ev.token for p in people for ev in p.events if ev.token}
    report.tokens = len(tokens)
    report.states.update(s.state if s is not None else "(nothing stored)" for s in expected.values())
    report.answered_twice = sorted(t for t, n in replies.items() if n > 1)
    report.never_answered = sorted(t for t in tokens if replies.get(t, 0) == 0)
    report.unexpected_tokens = sorted(set(replies) - tokens)
    st = open_store(url)
    try:
        for p in people:
            got = comparable(await st.get(user_key("line", p.uid, SOUDAN_SECRET)))
            want = comparable(expected[p.uid])
            if got != want:
                report.mismatches.append(f"{p.uid}: stored {got} != replay {want}")
        report.stored_sessions = await st.count()
        report.expected_sessions = sum(1 for s in expected.values() if s is not None)
    finally:
        if store == "redis":
            await st.clear()  # type: ignore[attr-defined]
        await st.close()
    if store != "redis":
        for f in tmp.glob("soudan.db*"):
            f.unlink()
    for line in report.lines():
        say(line)
    return report


@contextlib.asynccontextmanager
async def _site(app: Any, port: int, runner_class: Any = None) -> AsyncIterator[None]:
    """``app`` served on 127.0.0.1:``port`` in this event loop until the block ends."""
    from aiohttp import web

    runner = (runner_class or web.AppRunner)(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", port).start()
        yield
    finally:
        await runner.cleanup()


class _ErrorLines(logging.Handler):
    """Collects the server's ERROR log lines (and whether a traceback came with them)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name} ERROR {record.getMessage()}" + (" Traceback" if record.exc_info else ""))


@contextlib.asynccontextmanager
async def _app_site(env: dict[str, str], port: int) -> AsyncIterator[list[str]]:
    """The server in this process: ``create_app`` over settings from ``env`` (no ``.env`` file)
    behind :class:`bot.serve.HttpRunner` on 127.0.0.1:``port``, with the shipped engine of this
    process; yields the list its ERROR log lines are collected into."""
    from bot.app import create_app
    from bot.serve import HttpRunner
    from bot.settings import Settings

    app = create_app(Settings(_env_file=None, **env), engine=shipped_engine())  # type: ignore[arg-type]
    handler = _ErrorLines()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        async with _site(app, port, HttpRunner):
            yield handler.lines
    finally:
        root.removeHandler(handler)


async def _subprocess_server(server_env: dict[str, str], tmp: Path, url: str, base: str, people: list[Person],
                             report: Report, rng: random.Random, rate: float, concurrency: int, dup_rate: float,
                             redelivery_rate: float, seed: int, kills: int, say: Callable[..., None]) -> list[str]:
    """The load against ``soudan serve`` as a subprocess (killed and restarted ``kills`` times),
    then its ``/metrics`` and a clean stop; returns its ERROR and traceback log lines."""
    import aiohttp

    port = int(base.rsplit(":", 1)[1])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOUDAN_", "LINE_", "DISCORD_"))}
    env.update(PYTHONPATH=str(ROOT), **server_env)
    errlog = (tmp / "serve.log").open("wb")

    async def start() -> asyncio.subprocess.Process:
        p = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port),
            cwd=tmp, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=errlog)
        return await _started(p, f"{base}/healthz")

    proc = await start()
    try:
        say(f"soak: {report.store} ({url.split('?')[0]}), server pid {proc.pid}, {report.users} people, "
            f"{report.events} events, rate {rate or 'unpaced'} events/s" + (f", {kills} kills" if kills else ""))
        if kills:
            load = asyncio.ensure_future(_load(people, base, report, rng, rate, concurrency, dup_rate,
                                               redelivery_rate, proc.pid, say, persist=True))
            when = random.Random(seed + 2)  # the load's own random choices stay those of the seed
            for _ in range(kills):
                await asyncio.wait({load}, timeout=when.uniform(0.1, 0.4))
                if load.done():
                    break
                proc.kill()  # SIGKILL: no cleanup, no drain, whatever was in flight is cut
                await proc.wait()
                report.kills += 1
                proc = await start()
            await load
            await _redeliver_all(people, base, report)
        else:
            await _load(people, base, report, rng, rate, concurrency, dup_rate, redelivery_rate, proc.pid, say)
        async with aiohttp.ClientSession() as http, http.get(f"{base}/metrics") as r:
            report.metrics = _metrics(await r.text())
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(proc.wait(), 30)
        except TimeoutError:
            proc.kill()
            await proc.wait()
        errlog.close()
    return [line for line in (tmp / "serve.log").read_text(errors="replace").splitlines()
            if " ERROR " in line or "Traceback" in line]


async def _load(people: list[Person], base: str, report: Report, rng: random.Random, rate: float,
                concurrency: int, dup_rate: float, redelivery_rate: float, pid: int,
                say: Callable[..., None], persist: bool = False) -> None:
    """The load (see the module doc). ``persist``: redeliver a body until it gets a 200, as LINE
    does, before the person's next events (the server may be down or killed meanwhile)."""
    import aiohttp

    url = f"{base}/line/webhook"
    total = sum(len(p.events) for p in people)
    sent_events = 0
    t0 = time.perf_counter()
    warm_at = max(1, total // 10)
    done = asyncio.Event()

    async def sample_rss() -> None:
        while not done.is_set():
            kib = _rss_kib(pid)
            if kib is not None:
                report.rss_kib.append((time.perf_counter() - t0, kib))
                if not report.rss_warm_kib and sent_events >= warm_at:
                    report.rss_warm_kib = kib
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), 0.25)

    async def post(http: aiohttp.ClientSession, body: bytes) -> None:
        t = time.perf_counter()
        if persist:
            await _deliver(http, url, body, report.statuses)
        else:
            async with http.post(url, data=body, headers={"X-Line-Signature": _sign(body),
                                                           "Content-Type": "application/json"}) as r:
                await r.read()
                report.statuses[r.status] += 1
        report.requests += 1
        report.latencies_ms.append((time.perf_counter() - t) * 1000)

    async def pace(n: int) -> None:
        nonlocal sent_events
        sent_events += n
        if rate > 0:
            ahead = t0 + sent_events / rate - time.perf_counter()
            if ahead > 0:
                await asyncio.sleep(ahead)

    async def worker(mine: list[Person], http: aiohttp.ClientSession) -> None:
        live = [p for p in mine if p.events]
        while live:
            chosen = rng.sample(live, 2 if len(live) > 1 and rng.random() < 0.2 else 1)
            batch: list[Event] = []
            for p in chosen:
                take = 2 if rng.random() < 0.25 else 1
                batch += p.events[p.sent:p.sent + take]
                p.sent = min(len(p.events), p.sent + take)
            bodies = [ev.json() for ev in batch]
            if rng.random() < 0.5:
                rng.shuffle(bodies)  # LINE may put them in any order: the timestamps give it
            body = _body(bodies)
            await pace(len(batch))
            jobs = [post(http, body)]
            report.deliveries += len(batch)
            if rng.random() < dup_rate:  # the same body twice at once
                jobs.append(post(http, body))
                report.deliveries += len(batch)
                report.duplicates_sent += len(batch)
            for p in chosen:
                earlier = p.events[:p.sent - 1] if p.sent > 1 else []
                if earlier and rng.random() < redelivery_rate:  # an earlier event again, alongside
                    jobs.append(post(http, _body([rng.choice(earlier).json(redelivery=True)])))
                    report.deliveries += 1
                    report.duplicates_sent += 1
            await asyncio.gather(*jobs)
            live = [p for p in mine if p.sent < len(p.events)]

    connector = aiohttp.TCPConnector(limit=concurrency * 3)
    sampler = asyncio.create_task(sample_rss())
    try:
        async with aiohttp.ClientSession(connector=connector) as http:
            shares = [people[i::concurrency] for i in range(concurrency)]
            await asyncio.gather(*(worker(s, http) for s in shares if s))
    finally:
        report.seconds = time.perf_counter() - t0
        done.set()
        await sampler
    if not report.rss_warm_kib and report.rss_kib:
        report.rss_warm_kib = report.rss_kib[0][1]
    if report.latencies_ms:
        say(f"load done: {report.requests} requests in {report.seconds:.1f} s, "
            f"median {statistics.median(report.latencies_ms):.1f} ms")


async def _deliver(http: Any, url: str, body: bytes, statuses: collections.Counter[int]) -> None:
    """POST until a 200, as LINE's redelivery does (0 counts a request that got no answer)."""
    import aiohttp

    redelivery = body
    for attempt in range(600):
        try:
            async with http.post(url, data=redelivery, headers={"X-Line-Signature": _sign(redelivery),
                                                                 "Content-Type": "application/json"}) as r:
                await r.read()
                statuses[r.status] += 1
                if r.status == 200:
                    return
        except (aiohttp.ClientError, OSError):
            statuses[0] += 1
        if attempt == 0:  # what LINE sends again is marked as a redelivery
            doc = json.loads(body)
            for ev in doc["events"]:
                ev["deliveryContext"] = {"isRedelivery": True}
            redelivery = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
        await asyncio.sleep(0.1)
    raise RuntimeError("an event got no 200 within a minute of redeliveries")


async def _redeliver_all(people: list[Person], base: str, report: Report) -> None:
    """Every event of every person once more, in each person's order, people concurrently."""
    import aiohttp

    url = f"{base}/line/webhook"
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as http:
        async def person(p: Person) -> None:
            for ev in p.events:
                await _deliver(http, url, _body([ev.json(redelivery=True)]), report.final_statuses)
        sem = asyncio.Semaphore(64)

        async def bounded(p: Person) -> None:
            async with sem:
                await person(p)
        await asyncio.gather(*(bounded(p) for p in people))


def main(argv: list[str] | None = None) -> int:
    """Command line (see the module docstring)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=20_000, help="events in all (default 20000)")
    ap.add_argument("--users", type=int, default=2_000, help="simulated people (default 2000)")
    ap.add_argument("--store", choices=["sqlite", "sqlite-exclusive", "redis"], default="sqlite",
                    help="sqlite-exclusive: the server owns the file (?exclusive=1)")
    ap.add_argument("--rate", type=float, default=150.0, help="events per second; 0 = unpaced (default 150)")
    ap.add_argument("--concurrency", type=int, default=32, help="people talking at once (default 32)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--redis-url", default=REDIS_URL, help=f"for --store redis (default {REDIS_URL})")
    ap.add_argument("--kills", type=int, default=0, help="SIGKILL and restart the server this often mid-load")
    ap.add_argument("--lease", type=float, default=1.0, help="SOUDAN_SEND_LEASE of the server (default 1 s)")
    ap.add_argument("--in-process", action="store_true",
                    help="the fake API, and the server unless --kills, in this process (the tests' small forms)")
    ap.add_argument("--serve-fake", type=int, metavar="PORT", help=argparse.SUPPRESS)
    ns = ap.parse_args(argv)
    if ns.serve_fake:
        serve_fake(ns.serve_fake)
        return 0
    if ns.users < 1 or ns.events < ns.users:
        ap.error("--events must be at least --users (each person sends one event at least)")
    report = asyncio.run(run(ns.events, ns.users, ns.store, ns.rate, ns.concurrency, ns.seed,
                             redis_url=ns.redis_url, kills=ns.kills, lease=ns.lease, in_process=ns.in_process))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
