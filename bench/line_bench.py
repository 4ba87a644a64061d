"""LINE webhook load test: soudan's full webhook against a minimal line-bot-sdk echo bot.

In one run, on loopback only:

1. a minimal fake Messaging API (a raw asyncio responder, :func:`serve_fake`) is started;
2. (a) the baseline — the echo bot a developer writes first from the SDK's aiohttp example
   (``WebhookParser.parse`` + ``AsyncMessagingApi.reply_message`` of the same text) — and
   (b) ``soudan serve`` with its embedded SQLite store and the shipped flows are each started in
   their own process, both replying to the same fake API;
3. each is warmed up, then loaded for ``--duration`` seconds with correctly signed webhook POSTs, one
   text-message event
   per request, every request with its own user id, ``webhookEventId`` and reply token (so
   soudan creates a session per request: lock, idempotency mark, load, step, save, render, reply);
4. events/s and p50/p99 latency of both, and the ratio b/a of events/s, are printed; beside them,
   per server and round, the CPU time per event (user and system apart, from ``/proc``), context
   switches per event, and how long the server waited for a CPU other processes held
   (``schedstat``), and per round the echo bot's CPU per event over soudan's. On a busy machine
   (a server waited for a CPU more than :data:`WAIT_WARN` of the time) a warning says that the
   events/s ratios do not measure the code: the scheduler shares a CPU per thread, and the echo
   bot's thread pool then gets more of it than soudan's one busy thread.

With two or more CPUs the server under test is pinned to one CPU and wrk and the fake API to the
others (``taskset`` / ``sched_setaffinity``), so both servers get the same dedicated core.

The load generator is wrk (Debian package ``wrk``) with a Lua script that replays pre-signed
requests (``--requests`` of them, distinct); without wrk a bounded Python loader (aiohttp) is used,
which tops out near a few thousand requests/s on its own. Every run is bounded in time
(``--duration`` seconds per target) and in the requests prepared.

Run: ``.venv/bin/python -m bench.line_bench [--requests N] [--connections C] [--loader wrk|python]``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-channel-secret"
TOKEN = "bench-access-token"
TARGET = 1.2
"""Issue #13: soudan on SQLite reaches at least this share of the echo bot's events/s (median of the paired rounds)."""

WRK_LUA = r"""
local path = "%(path)s"
local reqs, n, i = {}, 0, 0
for line in io.lines(path) do
  local tab = line:find("\t", 1, true)
  n = n + 1
  reqs[n] = wrk.format("POST", "/line/webhook",
    {["Host"] = "%(host)s", ["Content-Type"] = "application/json", ["X-Line-Signature"] = line:sub(1, tab - 1)},
    line:sub(tab + 1))
end
function request()
  i = i + 1
  if i > n then i = 1 end
  return reqs[i]
end
function done(summary, latency, requests)
  io.write(string.format('WRKJSON {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, ' ..
    '"non2xx": %%d, "errors": %%d, "prepared": %%d}\n', summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), summary.errors.status, summary.errors.connect +
    summary.errors.read + summary.errors.write + summary.errors.timeout, n))
end
"""


@dataclass
class Result:
    """Figures of one target.

    Attributes:
        name: ``echo`` or ``soudan``.
        events_per_s: events handled per second (one event per request).
        p50_ms, p99_ms: request latency percentiles in milliseconds.
        requests: requests answered in the measurement.
        failures: non-2xx answers and socket errors.
        cpu_us: CPU time of the server process (user + system) per event in microseconds during
            the measurement (from ``/proc``; 0.0 where unavailable): steadier than events/s on a
            machine shared with other work.
        user_us, sys_us: the two parts of ``cpu_us`` (user space; the kernel, for the process's
            system calls and the network stack's work done on its behalf).
        switches: context switches of the server process (all threads, voluntary + involuntary)
            per event.
        waited: the time the server's threads spent runnable but waiting for a CPU (taken by other
            processes), summed over its threads, as a share of the measurement's duration (from
            ``/proc/<pid>/task/*/schedstat``; 0.0 where unavailable). Above a few per cent the CPU
            was shared, and events/s then depend on the scheduler's per-thread shares (a server
            with more busy threads gets more of a shared CPU), not only on the work per event.
    """

    name: str
    events_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    failures: int
    cpu_us: float = 0.0
    user_us: float = 0.0
    sys_us: float = 0.0
    switches: float = 0.0
    waited: float = 0.0


# ------------------------------------------------------------------ the baseline echo bot

def serve_echo(port: int, api_base: str) -> None:  # pragma: no cover - runs in a subprocess
    """The minimal line-bot-sdk echo bot on aiohttp (the SDK's aiohttp example, trimmed)."""
    from aiohttp import web
    from linebot.v3.exceptions import InvalidSignatureError
    from linebot.v3.messaging import (
        AsyncApiClient,
        AsyncMessagingApi,
        Configuration,
        ReplyMessageRequest,
        TextMessage,
    )
    from linebot.v3.webhook import WebhookParser
    from linebot.v3.webhooks import MessageEvent, TextMessageContent

    parser = WebhookParser(SECRET)
    state: dict[str, AsyncMessagingApi] = {}

    async def client_ctx(app: web.Application):  # type: ignore[no-untyped-def]
        client = AsyncApiClient(Configuration(host=api_base, access_token=TOKEN))
        state["api"] = AsyncMessagingApi(client)
        yield
        await client.close()

    async def callback(request: web.Request) -> web.Response:
        signature = request.headers.get("X-Line-Signature", "")
        body = await request.text()
        try:
            events = parser.parse(body, signature)
        except InvalidSignatureError:
            return web.Response(status=400, text="Invalid signature")
        for event in events:
            if isinstance(event, MessageEvent) and isinstance(event.message, TextMessageContent):
                await state["api"].reply_message(ReplyMessageRequest(
                    reply_token=event.reply_token, messages=[TextMessage(text=event.message.text)]))
        return web.Response(text="OK")

    async def healthz(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.cleanup_ctx.append(client_ctx)
    app.router.add_post("/line/webhook", callback)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


# ------------------------------------------------------------------ the fake Messaging API

_FAKE_BODY = b'{"sentMessages":[{"id":"1","quoteToken":"q"}]}'
_FAKE_RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                  + str(len(_FAKE_BODY)).encode() + b"\r\nX-Line-Request-Id: bench\r\n\r\n" + _FAKE_BODY)


class _FakeApiProtocol(asyncio.Protocol):
    """Answers every HTTP/1.1 request with a 200 and a fixed ``sentMessages`` body (keep-alive).

    A fake that does as little as possible: it stands for LINE's servers, which do not run on
    the machine under test, so it must take little CPU from the servers being measured. The
    tests' ``FakeLineApi`` (which records and validates) is used for correctness instead.
    """

    def __init__(self) -> None:
        self.buf = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buf[:end].lower()
            i = head.find(b"content-length:")
            length = int(head[i + 15:head.find(b"\r\n", i) if head.find(b"\r\n", i) > 0 else None]) if i >= 0 else 0
            if len(self.buf) < end + 4 + length:
                return
            self.buf = self.buf[end + 4 + length:]
            assert self.transport is not None
            self.transport.write(_FAKE_RESPONSE)


def serve_fake(port: int) -> None:  # pragma: no cover - runs in a subprocess
    """Run the minimal fake Messaging API on 127.0.0.1:``port`` until killed."""

    async def run() -> None:
        server = await asyncio.get_running_loop().create_server(_FakeApiProtocol, "127.0.0.1", port)
        async with server:
            await server.serve_forever()

    asyncio.run(run())


# ------------------------------------------------------------------ requests

def _sign(body: bytes) -> str:
    return base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()


def make_requests(prefix: str, n: int) -> list[tuple[str, bytes]]:
    """``n`` signed webhook bodies, each a text event of its own user with its own ids.

    A user id is ``U`` and 32 characters, as LINE's (``prefix``, then ``i`` in hex); until
    2026-12-01 it was cut to that length after 31 hex digits, so 16 consecutive requests shared a
    user (and queued behind each other's reply on the per-user lock).
    """
    out = []
    for i in range(n):
        ev = {
            "type": "message", "mode": "active", "timestamp": 1_780_000_000_000 + i,
            "source": {"type": "user", "userId": f"U{prefix}{i:0{32 - len(prefix)}x}"},
            "webhookEventId": f"01{prefix.upper()}{i:024d}", "deliveryContext": {"isRedelivery": False},
            "replyToken": f"{prefix}{i:030x}",
            "message": {"type": "text", "id": str(10**15 + i), "text": "こんにちは、相談したいです", "quoteToken": "q"},
        }
        body = json.dumps({"destination": "Ubench", "events": [ev]}, ensure_ascii=False,
                          separators=(",", ":")).encode()
        out.append((_sign(body), body))
    return out


# ------------------------------------------------------------------ processes

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(port: int, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {proc.returncode}")
        with contextlib.suppress(OSError), urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
            if r.status in (200, 503):
                return
        time.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not start within {timeout} s")


def _cpus() -> tuple[set[int], set[int]] | None:
    """(CPUs for the server under test, CPUs for the load generator and the fake), or None.

    With two or more CPUs the server gets one of its own and wrk and the fake API share the
    others, as in a deployment where LINE's traffic and API do not run on the bot's machine.
    """
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return None
    if len(cpus) < 2:
        return None
    return {cpus[-1]}, set(cpus[:-1])


def _pinned(cpus: set[int] | None) -> Callable[[], None] | None:
    if not cpus:
        return None

    def pin() -> None:
        os.sched_setaffinity(0, cpus)

    return pin


@contextlib.contextmanager
def _process(cmd: list[str], env: dict[str, str], port: int | None, cwd: Path,
             cpus: set[int] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            preexec_fn=_pinned(cpus))
    try:
        if port is not None:
            _wait_http(port, proc)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _cpu_seconds(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of process ``pid`` and its threads so far ((0.0, 0.0) without ``/proc``)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def _tasks(pid: int) -> list[Path]:
    """The ``/proc/<pid>/task/<tid>`` folders of process ``pid``'s threads (empty without ``/proc``)."""
    try:
        return list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return []


def _waited(pid: int) -> float:
    """Seconds the threads of process ``pid`` have waited runnable for a CPU so far, summed (0.0 without ``/proc``)."""
    total = 0
    for task in _tasks(pid):
        with contextlib.suppress(OSError, ValueError, IndexError):
            total += int((task / "schedstat").read_text().split()[1])
    return total / 1e9


def _switches(pid: int) -> int:
    """Context switches (voluntary + involuntary) of every thread of process ``pid`` so far (0 without ``/proc``)."""
    total = 0
    for task in _tasks(pid):
        with contextlib.suppress(OSError):
            for line in (task / "status").read_text().splitlines():
                if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                    total += int(line.split()[1])
    return total


# ------------------------------------------------------------------ loaders

def load_wrk(port: int, reqs: list[tuple[str, bytes]], connections: int, duration: float, tmp: Path,
             name: str, cpus: set[int] | None = None) -> Result:
    """Replay ``reqs`` with wrk (one thread) for ``duration`` seconds.

    wrk is time-bounded; ``reqs`` must hold more requests than it can send in that time, else
    it starts over (repeats are redeliveries, cheaper for soudan) and a warning is printed.
    """
    data = tmp / f"{name}.tsv"
    with data.open("wb") as f:
        for sig, body in reqs:
            f.write(sig.encode() + b"\t" + body + b"\n")
    script = tmp / f"{name}.lua"
    script.write_text(WRK_LUA % {"path": str(data), "host": f"127.0.0.1:{port}"}, encoding="utf-8")
    cmd = [*(["taskset", "-c", ",".join(map(str, sorted(cpus)))] if cpus and shutil.which("taskset") else []),
           "wrk", "-t1", f"-c{connections}", f"-d{max(1, int(duration))}s", "--timeout", "10s", "-s", str(script),
           f"http://127.0.0.1:{port}"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    d = json.loads(line[len("WRKJSON "):])
    if d["requests"] > d["prepared"]:
        print(f"warning: {name}: {d['requests']} requests sent but only {d['prepared']} prepared; "
              "raise --requests", file=sys.stderr)
    secs = d["duration_us"] / 1e6
    return Result(name, d["requests"] / secs, d["p50_us"] / 1e3, d["p99_us"] / 1e3, d["requests"],
                  d["non2xx"] + d["errors"])


def load_python(port: int, reqs: list[tuple[str, bytes]], connections: int, duration: float, name: str) -> Result:
    """Send ``reqs`` with at most ``connections`` in flight (aiohttp), within ``duration`` seconds."""
    import aiohttp

    async def run() -> Result:
        lat: list[float] = []
        failures = 0
        it = iter(reqs)
        url = f"http://127.0.0.1:{port}/line/webhook"
        deadline = time.perf_counter() + duration

        async def worker(http: aiohttp.ClientSession) -> None:
            nonlocal failures
            for sig, body in it:
                if time.perf_counter() > deadline:
                    return
                t0 = time.perf_counter()
                try:
                    async with http.post(url, data=body, headers={"X-Line-Signature": sig,
                                                                  "Content-Type": "application/json"}) as r:
                        await r.read()
                        if r.status != 200:
                            failures += 1
                except aiohttp.ClientError:
                    failures += 1
                lat.append(time.perf_counter() - t0)

        conn = aiohttp.TCPConnector(limit=connections)
        async with aiohttp.ClientSession(connector=conn) as http:
            t0 = time.perf_counter()
            await asyncio.gather(*(worker(http) for _ in range(connections)))
            took = time.perf_counter() - t0
        lat.sort()
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else 0.0
        return Result(name, len(lat) / took, statistics.median(lat) * 1e3 if lat else 0.0, p99 * 1e3, len(lat),
                      failures)

    return asyncio.run(run())


# ------------------------------------------------------------------ main

def _flow_dirs() -> tuple[Path, Path]:
    flows, directory = ROOT / "flows", ROOT / "directory"
    if any(flows.glob("*.yaml")) and any(directory.glob("*.yaml")):
        return flows, directory
    fx = ROOT / "tests" / "line" / "fixtures"
    return fx / "flows", fx / "directory"


def run(requests: int, connections: int, duration: float, loader: str, warmup: int,
        rounds: int = 3, store: str | None = None, event_loop: str = "auto",
        only: frozenset[str] = frozenset()) -> tuple[Result | None, Result | None, list[float]]:
    """Run both targets ``rounds`` times, alternating (echo then soudan in each round).

    ``only``: the targets to run (``echo``, ``soudan``; empty: both) — one alone is for profiling
    it (no ratio then).

    Returns:
        ``(best baseline round, best soudan round, per-round ratios soudan/echo)``; a target not
        run is None. A round's two
        measurements run back to back, so its ratio is little affected by other work drifting on a
        shared machine; the figures of every round are printed as they come.
    """
    flows, directory = _flow_dirs()
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("SOUDAN_", "LINE_", "DISCORD_"))}
    base_env["PYTHONPATH"] = str(ROOT)
    use_wrk = loader == "wrk" or (loader == "auto" and shutil.which("wrk") is not None)
    best: dict[str, Result] = {}
    ratios: list[float] = []
    cpu_ratios.clear()
    waits.clear()
    last_echo = last_echo_cpu = 0.0
    with tempfile.TemporaryDirectory(prefix="soudan-line-bench-") as tmpname:
        tmp = Path(tmpname)
        api_port = _free_port()
        api = f"http://127.0.0.1:{api_port}"
        fake_cmd = [sys.executable, "-m", "bench.line_bench", "--serve-fake", str(api_port)]
        pins = _cpus()
        server_cpus, load_cpus = pins if pins else (None, None)
        if load_cpus:  # the Python loader runs in this process: keep it off the server's CPU
            os.sched_setaffinity(0, load_cpus)
        with _process(fake_cmd, base_env, None, ROOT, load_cpus):
            time.sleep(1.0)
            for rnd in range(rounds):
                targets = [
                    ("echo", [sys.executable, "-m", "bench.line_bench", "--serve-echo", "{port}", api], {}),
                    ("soudan", [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", "{port}"], {
                        "SOUDAN_SECRET": "bench-soudan-secret", "SOUDAN_STORE": store or f"sqlite:///{tmp}/bench-{rnd}.db",
                        "SOUDAN_FLOWS_DIR": str(flows), "SOUDAN_DIRECTORY_DIR": str(directory),
                        "SOUDAN_LOG_LEVEL": "WARNING", "SOUDAN_SIMULATOR": "false", "SOUDAN_EVENT_LOOP": event_loop,
                        "LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN, "LINE_API_BASE": api}),
                ]
                for name, cmd, extra in targets:
                    if only and name not in only:
                        continue
                    port = _free_port()
                    env = {**base_env, **extra}
                    cmd = [c.replace("{port}", str(port)) for c in cmd]
                    with _process(cmd, env, port, ROOT, server_cpus) as proc:
                        if only:
                            print(f"  round {rnd + 1} {name} pid {proc.pid}", flush=True)
                        load_python(port, make_requests(f"w{rnd}{name[0]}", warmup), min(connections, 16), duration,
                                    name)
                        reqs = make_requests(f"{rnd}{name[0]}", requests)
                        (user0, sys0), sw0 = _cpu_seconds(proc.pid), _switches(proc.pid)
                        wait0, wall0 = _waited(proc.pid), time.monotonic()
                        if use_wrk:
                            res = load_wrk(port, reqs, connections, duration, tmp, name, load_cpus)
                        else:
                            res = load_python(port, reqs, connections, duration, name)
                        (user1, sys1), sw1 = _cpu_seconds(proc.pid), _switches(proc.pid)
                        res.waited = (_waited(proc.pid) - wait0) / max(time.monotonic() - wall0, 1e-9)
                        if res.requests:
                            res.user_us = (user1 - user0) / res.requests * 1e6
                            res.sys_us = (sys1 - sys0) / res.requests * 1e6
                            res.cpu_us = res.user_us + res.sys_us
                            res.switches = (sw1 - sw0) / res.requests
                    print(f"  round {rnd + 1} {name:<7} {res.events_per_s:>7.0f} events/s  p50 {res.p50_ms:.1f} ms  "
                          f"p99 {res.p99_ms:.1f} ms  failures {res.failures}  CPU {res.cpu_us:.0f} us/event "
                          f"(user {res.user_us:.0f} + sys {res.sys_us:.0f})  {res.switches:.2f} switches/event  "
                          f"waited for a CPU {res.waited:.0%}",
                          flush=True)
                    waits.append(res.waited)
                    if name not in best or res.events_per_s > best[name].events_per_s:
                        best[name] = res
                    if name == "echo":
                        last_echo, last_echo_cpu = res.events_per_s, res.cpu_us
                    elif last_echo:
                        ratios.append(res.events_per_s / last_echo)
                        if res.cpu_us and last_echo_cpu:
                            cpu_ratios.append(last_echo_cpu / res.cpu_us)
                            print(f"  round {rnd + 1} ratio {ratios[-1]:.2f} (events/s), CPU per event echo/soudan "
                                  f"{last_echo_cpu / res.cpu_us:.2f}", flush=True)
    return best.get("echo"), best.get("soudan"), ratios


cpu_ratios: list[float] = []
"""Per round of the last :func:`run`: the echo bot's CPU per event over soudan's (>1: soudan does less)."""
waits: list[float] = []
"""Per measurement of the last :func:`run`: the share of its duration the server waited for a CPU."""

WAIT_WARN = 0.05
"""A measurement whose server waited for a CPU longer than this share of its duration makes the
events/s ratios suspect (the machine was busy): a warning is printed."""


def _loop_name(choice: str) -> str:
    """What ``SOUDAN_EVENT_LOOP=choice`` runs soudan on here (``auto``: uvloop when importable)."""
    if choice != "auto":
        return choice
    import importlib.util

    return "auto (uvloop)" if importlib.util.find_spec("uvloop") is not None else "auto (asyncio)"


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the benchmark and print the figures.

    Returns:
        0 (the ratio is reported, not enforced).
    """
    ap = argparse.ArgumentParser(description="LINE webhook load test: soudan vs a minimal SDK echo bot")
    ap.add_argument("--requests", type=int, default=60_000,
                    help="distinct signed requests prepared per target (default 60000; the Python loader stops there)")
    ap.add_argument("--connections", type=int, default=32, help="concurrent connections (default 32)")
    ap.add_argument("--duration", type=float, default=10.0, help="time per target in seconds (default 10)")
    ap.add_argument("--warmup", type=int, default=500, help="warm-up requests per target (default 500)")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    ap.add_argument("--loader", choices=["auto", "wrk", "python"], default="auto")
    ap.add_argument("--store", default=None,
                    help="SOUDAN_STORE for soudan (default: a fresh SQLite file per round, the embedded default)")
    ap.add_argument("--event-loop", choices=["auto", "uvloop", "asyncio"], default="auto",
                    help="SOUDAN_EVENT_LOOP for soudan (default auto, soudan's default: uvloop when installed); "
                         "the echo bot runs on asyncio's loop, as the SDK's example does")
    ap.add_argument("--only", choices=["echo", "soudan"], default=None,
                    help="run one target alone (to profile it: its pid is printed; no ratio)")
    ap.add_argument("--serve-echo", nargs=2, metavar=("PORT", "API_BASE"), help=argparse.SUPPRESS)
    ap.add_argument("--serve-fake", type=int, metavar="PORT", help=argparse.SUPPRESS)
    ns = ap.parse_args(argv if argv is not None else sys.argv[1:] if __name__ == "__main__" else [])
    if ns.serve_fake:
        serve_fake(ns.serve_fake)
        return 0
    if ns.serve_echo:
        serve_echo(int(ns.serve_echo[0]), ns.serve_echo[1])
        return 0
    loader = "wrk" if ns.loader == "wrk" or (ns.loader == "auto" and shutil.which("wrk")) else "python"
    pins = _cpus()
    where = (f"server pinned to CPU {sorted(pins[0])}, load generator and fake API on CPU {sorted(pins[1])}"
             if pins else "no CPU pinning")
    print(f"LINE webhook, loopback, {os.cpu_count()} CPUs ({where}), loader {loader}, {ns.connections} connections, "
          f"{ns.duration:g} s per target, up to {ns.requests} distinct requests, soudan event loop {_loop_name(ns.event_loop)} "
          "(one text event each, distinct users and event ids)")
    a, b, ratios = run(ns.requests, ns.connections, ns.duration, ns.loader, ns.warmup, max(1, ns.rounds), ns.store,
                         ns.event_loop, frozenset([ns.only]) if ns.only else frozenset())
    print(f"best of {max(1, ns.rounds)} round(s):")
    print(f"{'target':<40} {'events/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9} {'failures':>9} "
          f"{'CPU us/event':>12} {'user':>6} {'sys':>6} {'switches':>8} {'CPU wait':>8}")
    store = (ns.store or "sqlite").split(":")[0]
    for r, label in ((a, "(a) line-bot-sdk echo bot (baseline)"), (b, f"(b) soudan webhook + {store} store")):
        if r is None:
            continue
        print(f"{label:<40} {r.events_per_s:>9.0f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} {r.requests:>9} {r.failures:>9} "
              f"{r.cpu_us:>12.0f} {r.user_us:>6.0f} {r.sys_us:>6.0f} {r.switches:>8.2f} {r.waited:>8.0%}")
    if a is None or b is None:
        return 0
    best_ratio = b.events_per_s / a.events_per_s if a.events_per_s else 0.0
    med = statistics.median(ratios) if ratios else 0.0
    print(f"ratio b/a (events/s), best round of each: {best_ratio:.2f}")
    print(f"ratio b/a (events/s), per round: {', '.join(f'{r:.2f}' for r in ratios)}; median {med:.2f} "
          f"(target >= {TARGET}: {'met' if med >= TARGET else 'NOT met'})")
    if cpu_ratios:
        print(f"CPU per event a/b, per round: {', '.join(f'{r:.2f}' for r in cpu_ratios)}; "
              f"median {statistics.median(cpu_ratios):.2f}")
    if waits and max(waits) > WAIT_WARN:
        print(f"warning: a server waited for a CPU up to {max(waits):.0%} of a measurement (other processes on "
              "its CPU): events/s then follow the scheduler's per-thread shares (the echo bot's thread pool gets "
              "more of a shared CPU than soudan's one busy thread), so the events/s ratios do not measure the "
              "code; compare CPU per event, or run on an idle machine")
    return 0


if __name__ == "__main__":
    sys.exit(main())
