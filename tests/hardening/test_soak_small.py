"""The soak run (``bench/soak.py``) in a small form: 400 events from 40 people, each store.

The server — ``create_app`` behind ``soudan serve``'s own HTTP runner, on a real loopback port,
with the real line-bot-sdk and the real store — and the counting fake Messaging API run in this
process (``in_process=True``: no interpreter start-ups; ``soudan serve`` as a subprocess is
tested in tests/adapters/line/test_line_serve.py and killed in tests/store/test_kill.py; the
large run, ``.venv/bin/python -m bench.soak``, uses subprocesses). It takes signed LINE events
with concurrent duplicates and redeliveries mixed in; afterwards every person's stored session must equal the replay of their
events through the engine, every reply token must have been answered exactly once, and the
server's own counters must have seen exactly the duplicates that were sent. Timings and memory
are printed (``-s``), never asserted.
"""

from __future__ import annotations

import pytest

from bench import soak
from tests.redis_kit import redis_or_skip


@pytest.mark.parametrize("store", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def test_small_soak(store: str) -> None:
    if store == "redis":
        assert redis_or_skip() == soak.REDIS_URL  # both read SOUDAN_TEST_REDIS_URL
    report = await soak.run(events=400, users=40, store=store, rate=0, concurrency=16, seed=11,
                            dup_rate=0.08, redelivery_rate=0.08, quiet=True, in_process=True)
    print("\n".join(report.lines()))
    assert report.mismatches == []
    assert report.answered_twice == [] and report.never_answered == [] and report.unexpected_tokens == []
    assert set(report.statuses) == {200}
    assert report.stored_sessions == report.expected_sessions > 0
    assert report.duplicates_sent > 0 and report.metrics["duplicate"] == report.duplicates_sent
    assert report.metrics.get("handled", 0) + report.metrics.get("forgotten", 0) == report.events
    assert report.metrics.get("error", 0) == 0 and report.server_errors == []
    assert len(report.states) >= 4, report.states  # conversations went to different places
    assert report.ok
