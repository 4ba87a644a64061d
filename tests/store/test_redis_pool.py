"""The Redis store under load and after a restart (a real server): a burst far larger than the
connection pool waits for connections instead of failing; running out for longer is "pool
exhausted", not an outage (``/healthz``'s ping still answers); connections broken by a restart
(killed server-side here) cost one retry, not an error.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from bot.store import StoreError
from bot.store.base import Change, StoreUnavailable
from bot.store.redis import RedisStore
from tests.store.test_store_contract import session

pytestmark = pytest.mark.redis


@pytest.fixture
async def small(redis_url: str) -> AsyncIterator[RedisStore]:
    st = RedisStore(redis_url, prefix=f"soudan-test:{uuid.uuid4().hex[:12]}:", max_connections=3, pool_timeout=5)
    yield st
    await st.clear()
    await st.close()


def fn(state: str):  # type: ignore[no-untyped-def]
    return lambda _s: Change(session(state))


async def test_a_burst_of_150_people_waits_for_the_three_connections(small: RedisStore) -> None:
    results = await asyncio.gather(*(small.step(f"line:u{i}", f"line:e{i}", fn("what"), ttl=60) for i in range(150)))
    assert all(not r.duplicate for r in results)
    assert await small.count() == 150


async def test_an_exhausted_pool_is_not_an_outage(redis_url: str) -> None:
    st = RedisStore(redis_url, prefix=f"soudan-test:{uuid.uuid4().hex[:12]}:", max_connections=1, pool_timeout=0.2)
    try:
        blocker = await st._r.connection_pool.get_connection()  # type: ignore[no-untyped-call]  # busy: redis-py leaves it unannotated
        with pytest.raises(StoreError, match="pool exhausted") as err:
            await st.step("line:u", "line:e", fn("what"), ttl=60)
        assert not isinstance(err.value, StoreUnavailable)
        await st.ping()  # /healthz: Redis itself answers
        await st._r.connection_pool.release(blocker)
        assert not (await st.step("line:u", "line:e", fn("what"), ttl=60)).duplicate
    finally:
        await st.clear()
        await st.close()


async def test_connections_broken_by_a_restart_cost_a_retry_not_an_error(small: RedisStore, redis_url: str) -> None:
    await asyncio.gather(*(small.step(f"line:u{i}", None, fn("who"), ttl=60) for i in range(3)))  # 3 pooled
    pool = small._r.connection_pool
    ports = [c._writer.get_extra_info("sockname")[1] for c in pool._available_connections
             if c._writer is not None]
    assert ports
    admin = aioredis.from_url(redis_url)
    try:
        for port in ports:  # what a Redis restart does to them
            await admin.client_kill(f"127.0.0.1:{port}")
    finally:
        await admin.aclose()
    for i in range(3):
        r = await small.step(f"line:u{i}", f"line:after{i}", fn("what"), ttl=60)
        assert not r.duplicate
    got = await small.get("line:u0")
    assert got is not None and got.state == "what"


async def test_an_unreachable_redis_is_an_outage() -> None:
    st = RedisStore("redis://127.0.0.1:1/0", socket_timeout=0.5)
    try:
        with pytest.raises(StoreUnavailable):
            await st.step("line:u", "line:e", fn("what"), ttl=60)
        with pytest.raises(StoreUnavailable):
            await st.ping()
    finally:
        await st.close()
