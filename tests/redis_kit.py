"""The one Redis-or-skip helper of the suite.

Redis tests run against a real server: ``SOUDAN_TEST_REDIS_URL`` (default
``redis://127.0.0.1:6379/15``). When it does not answer, :func:`redis_or_skip` skips the test
locally and FAILS it when ``CI`` is set (``.ci/run`` starts a server first, so a missing Redis
there is a broken CI, never a quiet skip). The ``redis_url`` fixture (tests/conftest.py) calls it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.store import StoreError
from bot.store.redis import RedisStore

REDIS_URL = os.environ.get("SOUDAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
"""The test server's URL (tests write under a key prefix of their own and delete it afterwards)."""

SHORT_TTL = 0.05
"""A TTL (seconds) that lapses at once: 50 ms. Redis takes it to the millisecond (the store sends
``PX``/``PEXPIRE``), so TTL tests wait :meth:`Backend.advance` ``(2 * SHORT_TTL)`` on a real server
instead of seconds; a longer wait only makes the expiry surer, so no timing can make them fail."""

HOW = ("start one with `redis-server --daemonize yes --port 6379 --save ''` or run .ci/run; "
       "SOUDAN_TEST_REDIS_URL picks another server")

_problem: list[str] = []


def redis_problem() -> str | None:
    """Why the test Redis does not answer a PING (``None`` when it does); asked once per process."""
    if not _problem:
        async def ping() -> None:
            st = RedisStore(REDIS_URL)
            try:
                await st.ping()
            finally:
                await st.close()
        try:  # in a thread of its own: the caller may be inside a running event loop
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                pool.submit(asyncio.run, ping()).result()
            _problem.append("")
        except StoreError as exc:
            _problem.append(str(exc))
    return _problem[0] or None


def redis_or_skip() -> str:
    """The test Redis URL; skips the calling test (locally) or fails it (``CI`` set) when Redis
    does not answer."""
    problem = redis_problem()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but Redis is not reachable: {problem} ({HOW})")
        pytest.skip(f"Redis not reachable ({problem}); {HOW}")
    return REDIS_URL


@contextmanager
def private_server(*args: str) -> Iterator[subprocess.Popen[bytes]]:
    """A ``redis-server`` of a test's own, started with ``args`` (its port or socket, folder…) and
    stopped when the block ends; the test is skipped when redis-server is not installed."""
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.skip("redis-server is not installed (this test starts a server of its own)")
    proc = subprocess.Popen([exe, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - a server that ignores SIGTERM
            proc.kill()
            proc.wait()


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on now (for a private server)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RestartableServer:
    """A ``redis-server`` of a test's own on a free port of 127.0.0.1, its data in ``folder``
    (append-only file: kept across a :meth:`restart`, as a production server's is).

    Use as a context manager (started on entry, stopped on exit); skips the test when
    redis-server is not installed.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the server and return once it accepts connections (up to ~10 s)."""
        exe = shutil.which("redis-server")
        if exe is None:
            pytest.skip("redis-server is not installed (this test starts a server of its own)")
        self._proc = subprocess.Popen([exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                       "--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.folder)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(1000):
            assert self._proc.poll() is None, "redis-server did not start"
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(64).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.01)  # a bounded wait for the start, never a timing claim
        raise AssertionError("redis-server did not answer within ~10 s")

    def stop(self) -> None:
        """Stop the server (SIGTERM, as a restart does; the connections to it break)."""
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover - a server that ignores SIGTERM
                self._proc.kill()
                self._proc.wait()
            self._proc = None

    def restart(self) -> None:
        """Stop the server and start it again on the same port, with its data."""
        self.stop()
        self.start()

    def __enter__(self) -> RestartableServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
