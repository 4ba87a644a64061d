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


@pytest.mark.parametrize("busy", ["scripts", "commands"])
async def test_an_exhausted_pool_is_not_an_outage(redis_url: str, busy: str) -> None:
    """Every connection busy (the scripts' own ones for a step, redis-py's pool for a read): after
    ``pool_timeout`` the command fails with "pool exhausted", not as an outage; ``/healthz``'s ping
    still answers; once a connection is free again the same command works."""
    st = RedisStore(redis_url, prefix=f"soudan-test:{uuid.uuid4().hex[:12]}:", max_connections=1, pool_timeout=0.2)
    try:
        assert not (await st.step("line:u", "line:e0", fn("who"), ttl=60)).duplicate
        pool = st._r.connection_pool
        if busy == "scripts":
            await st._scripts.take()  # the one turn of the scripts' connection, as a command in flight holds it
        else:
            blocker = await pool.get_connection()  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated
        command = (lambda: st.step("line:u", "line:e", fn("what"), ttl=60)) if busy == "scripts" else \
            (lambda: st.get("line:u"))
        with pytest.raises(StoreError, match="pool exhausted") as err:
            await command()
        assert not isinstance(err.value, StoreUnavailable)
        await st.ping()  # /healthz: Redis itself answers
        if busy == "scripts":
            st._scripts.give()
        else:
            await pool.release(blocker)
        if busy == "scripts":
            assert not (await st.step("line:u", "line:e", fn("what"), ttl=60)).duplicate
        got = await st.get("line:u")
        assert got is not None and got.state == ("what" if busy == "scripts" else "who")
    finally:
        await st.clear()
        await st.close()


async def test_connections_broken_by_a_restart_cost_a_retry_not_an_error(small: RedisStore, redis_url: str) -> None:
    await asyncio.gather(*(small.step(f"line:u{i}", None, fn("who"), ttl=60) for i in range(3)))  # the scripts' one
    await asyncio.gather(*(small.get(f"line:u{i}") for i in range(3)))  # and 3 of redis-py's pool
    link = small._scripts._link
    assert link is not None
    ports = [link.transport.get_extra_info("sockname")[1]]
    ports += [c._writer.get_extra_info("sockname")[1] for c in small._r.connection_pool._available_connections
              if c._writer is not None]
    assert len(ports) >= 2
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
