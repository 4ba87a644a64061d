"""The Redis store under load and after a restart (a real server): a burst far larger than the
connection pool waits for connections instead of failing; running out for longer is "pool
exhausted", not an outage (``/healthz``'s ping still answers); connections broken by a restart
of a real server cost one retry, not an error.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.store import StoreError
from bot.store.base import Change, StoreUnavailable
from bot.store.redis import RedisStore
from tests.redis_kit import RestartableServer
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


@pytest.mark.parametrize("busy", ["a step", "a read"])
async def test_an_exhausted_pool_is_not_an_outage(redis_url: str, busy: str) -> None:
    """Every connection busy (of the scripts' pool for a step, of the client's for a read): after
    ``pool_timeout`` the command fails with "pool exhausted", not as an outage; ``/healthz``'s ping
    still answers; once a connection is free again the same command works."""
    st = RedisStore(redis_url, prefix=f"soudan-test:{uuid.uuid4().hex[:12]}:", max_connections=1, pool_timeout=0.2)
    try:
        assert not (await st.step("line:u", "line:e0", fn("who"), ttl=60)).duplicate
        pool = st._pool if busy == "a step" else st._r.connection_pool
        blocker = await pool.get_connection()  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated
        command = (lambda: st.step("line:u", "line:e", fn("what"), ttl=60)) if busy == "a step" else \
            (lambda: st.get("line:u"))
        with pytest.raises(StoreError, match="pool exhausted") as err:
            await command()
        assert not isinstance(err.value, StoreUnavailable)
        await st.ping()  # /healthz: Redis itself answers
        await pool.release(blocker)
        await command()
        got = await st.get("line:u")
        assert got is not None and got.state == ("what" if busy == "a step" else "who")
    finally:
        await st.clear()
        await st.close()


async def test_a_restart_of_redis_costs_the_first_steps_a_retry_not_an_error(tmp_path: Path) -> None:
    """A real redis-server (of the test's own) restarted under a running store: every pooled
    connection of both pools is broken, and the first steps and reads after it, each on one of
    them, get their answers (one retry on a new connection), not the outage error a person would
    get as 「ただいま混み合って」 and LINE as a 500."""
    with RestartableServer(tmp_path) as server:
        st = RedisStore(server.url, prefix="soudan-test:", max_connections=4)
        try:
            await asyncio.gather(*(st.step(f"line:u{i}", f"line:e{i}", fn("who"), ttl=60) for i in range(4)))
            await asyncio.gather(*(st.get(f"line:u{i}") for i in range(4)))
            idle = len(st._pool._available_connections), len(st._r.connection_pool._available_connections)
            assert idle[0] >= 2 and idle[1] >= 2  # pooled connections the restart will break
            server.restart()
            results = await asyncio.gather(*(st.step(f"line:u{i}", f"line:after{i}", fn("what"), ttl=60)
                                             for i in range(4)))
            assert [r.duplicate for r in results] == [False] * 4
            got = await asyncio.gather(*(st.get(f"line:u{i}") for i in range(4)))
            assert [s.state if s else None for s in got] == ["what"] * 4  # committed after the restart
            assert (await st.step("line:u0", "line:e0", fn("never"), ttl=60)).duplicate  # kept across it
        finally:
            await st.close()


async def test_an_unreachable_redis_is_an_outage() -> None:
    st = RedisStore("redis://127.0.0.1:1/0", socket_timeout=0.5)
    try:
        with pytest.raises(StoreUnavailable):
            await st.step("line:u", "line:e", fn("what"), ttl=60)
        with pytest.raises(StoreUnavailable):
            await st.ping()
    finally:
        await st.close()
