"""bench/store_bench.py and the tests' Redis: the benchmark keeps to a database of its own and
leaves no key behind."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import redis.asyncio as aioredis

from bench import store_bench
from tests.redis_kit import REDIS_URL


def test_the_benchmark_refuses_the_tests_database() -> None:
    with pytest.raises(SystemExit, match="names the tests' Redis database"):
        store_bench.check_redis_url("redis://127.0.0.1:6379/15", "redis://127.0.0.1:6379/15")
    with pytest.raises(SystemExit):
        store_bench.check_redis_url("redis://:secret@127.0.0.1:6379/15", "redis://127.0.0.1/15")
    store_bench.check_redis_url("redis://127.0.0.1:6379/14", "redis://127.0.0.1:6379/15")  # no error
    store_bench.check_redis_url(store_bench.REDIS_URL, REDIS_URL)  # the defaults differ


@pytest.mark.redis
def test_a_small_run_deletes_every_key_it_wrote(redis_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    bench_url = redis_url.rsplit("/", 1)[0] + "/14"
    prefix = f"soudan-bench:test-cleanup:{uuid.uuid4().hex[:8]}:"  # of this run: suites running at once don't meet

    async def left() -> int:
        r = aioredis.from_url(bench_url)
        try:
            return len([k async for k in r.scan_iter(match=prefix + "*", count=1000)])
        finally:
            await r.aclose()
    asyncio.run(store_bench.run([50], 2, redis_url=bench_url, redis_prefix=prefix))
    out = capsys.readouterr().out
    assert "Conversations.handle + Redis, 50 sessions" in out
    assert asyncio.run(left()) == 0
