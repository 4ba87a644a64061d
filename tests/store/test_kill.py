"""``soudan serve`` killed with SIGKILL at random points of a bounded signed load (the small form
of ``bench/soak.py --kills``), per persistent store (a SQLite file, a real Redis): restarted on the
same store, sent every redelivery, and then every person's session equals the replay of their
events, every reply token was accepted exactly once by a LINE-like fake API (a second reply with a
token gets 400, so a double send cannot hide) and nothing was pushed. The fake API runs in this
process (``in_process=True``); the server is a real subprocess, since it is what gets killed.
Timings are printed (``-s``), never asserted.
"""

from __future__ import annotations

import pytest

from bench import soak


@pytest.mark.parametrize("store", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def test_killed_at_random_points_the_server_loses_and_doubles_nothing(
        store: str, request: pytest.FixtureRequest) -> None:
    if store == "redis":
        request.getfixturevalue("redis_url")  # skips (or fails in CI) without a server
    report = await soak.run(events=120, users=12, store=store, rate=240, concurrency=8, seed=5,
                            dup_rate=0.08, redelivery_rate=0.08, quiet=True, kills=1, lease=0.3, in_process=True)
    print("\n".join(report.lines()))
    assert report.kills >= 1
    assert report.mismatches == []
    assert report.answered_twice == [] and report.never_answered == [] and report.unexpected_tokens == []
    assert report.pushes == 0
    assert set(report.final_statuses) == {200}
    assert report.stored_sessions == report.expected_sessions > 0
    assert report.ok


async def test_a_server_that_never_answers_is_killed_when_its_start_fails() -> None:
    """A start-up wait that gives up leaves no server behind (a failed kill test once left two
    ``soudan serve`` processes running for 38 minutes)."""
    import asyncio
    import sys

    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", "import time; time.sleep(120)")
    with pytest.raises(RuntimeError, match="did not answer within"):
        await soak._started(proc, "http://127.0.0.1:9/healthz", timeout=0.3)  # port 9 (discard): nobody serves
    assert proc.returncode is not None  # killed and reaped, not left sleeping
