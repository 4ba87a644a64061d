"""The Redis store while the server is loading its data (``LOADING``, as right after a restart):
a step that meets it is asked again every :data:`bot.store.redis.LOADING_RETRY` seconds, up to
:data:`bot.store.redis.LOADING_TRIES` times, instead of getting the outage reply at once.

Against a real ``redis-server`` started by the test on a port of its own (never the shared
server's data): it is made to load slowly (``key-load-delay``, a server setting) while ``DEBUG
RELOAD`` reads its dump back, and answers ``LOADING`` to the step meanwhile; ``CONFIG SET``
(which a loading server accepts) lets the load finish when the test wants it to.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from redis.exceptions import BusyLoadingError
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.store.base import Change, StoreUnavailable
from bot.store.redis import RedisStore
from tests.redis_kit import private_server
from tests.store.test_store_contract import session

pytestmark = pytest.mark.redis

KEYS = 20_000
"""Keys in the private server's dump: at 1 ms each (``key-load-delay 1000``) a load of ~20 s,
far longer than any wait of these tests, until the test sets the delay to 0."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[str]:
    """A redis-server of the test's own (port, folder, dump), stopped afterwards; its URL."""
    port = _free_port()
    with private_server("--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                        "--dir", str(tmp_path), "--dbfilename", "dump.rdb", "--enable-debug-command", "yes"):
        yield f"redis://127.0.0.1:{port}/0"


async def _until(check: object, what: str) -> None:
    for _ in range(3000):  # up to ~30 s: the server starting, the load beginning
        try:
            if await check():  # type: ignore[operator]
                return
        except (RedisConnectionError, OSError):  # not up yet, or loading (BusyLoadingError)
            pass
        await asyncio.sleep(0.01)
    raise AssertionError(f"gave up waiting for {what}")


async def _rejected_steps(admin: aioredis.Redis) -> int:
    """How many script calls (EVALSHA/EVAL) the server refused, e.g. while loading."""
    stats = await admin.info("commandstats")
    return sum(int(v.get("rejected_calls", 0)) for k, v in stats.items() if k in ("cmdstat_evalsha", "cmdstat_eval"))


@pytest.fixture
async def loading(private_redis: str) -> AsyncIterator[tuple[str, aioredis.Redis]]:
    """The private server with a dump of :data:`KEYS` keys, set to load it slowly."""
    admin = aioredis.from_url(private_redis)
    await _until(admin.ping, "the private redis-server to start")
    await admin.execute_command("DEBUG", "POPULATE", KEYS)  # type: ignore[no-untyped-call]
    await admin.save()
    await admin.config_set("loading-process-events-interval-bytes", 1024)  # answer clients while loading
    await admin.config_set("key-load-delay", 1000)  # µs per key
    try:
        yield private_redis, admin
    finally:
        await admin.config_set("key-load-delay", 0)
        await admin.aclose()


async def _reload(url: str) -> asyncio.Task[object]:
    """Start ``DEBUG RELOAD`` on a connection of its own; return once the server says LOADING."""
    reloader = aioredis.from_url(url)

    async def reload() -> object:
        try:
            return await reloader.execute_command("DEBUG", "RELOAD")  # type: ignore[no-untyped-call]
        finally:
            await reloader.aclose()
    task = asyncio.ensure_future(reload())
    probe = aioredis.from_url(url, retry_on_error=[])

    async def is_loading() -> bool:
        try:
            await probe.ping()
        except BusyLoadingError:
            return True
        return False
    try:
        await _until(is_loading, "the server to answer LOADING")
    finally:
        await probe.aclose()
    return task


async def test_a_step_that_meets_loading_is_tried_again_and_commits(loading: tuple[str, aioredis.Redis],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    url, admin = loading
    monkeypatch.setattr("bot.store.redis.LOADING_RETRY", 1.0)  # room for the load to end (it takes ms)
    st = RedisStore(url, prefix=f"soudan-test:{uuid.uuid4().hex[:12]}:")
    try:
        assert not (await st.step("line:u", "line:e1", lambda _s: Change(session("who")), ttl=60)).duplicate
        reload = await _reload(url)
        step = asyncio.ensure_future(st.step("line:u", "line:e2", lambda s: Change(session("what")), ttl=60))
        await _until(lambda: _rejected(admin), "the step's first refusal")
        await admin.config_set("key-load-delay", 0)  # the load ends now, before the retry
        r = await step
        assert not r.duplicate and r.change is not None
        await reload
        got = await st.get("line:u")
        assert got is not None and got.state == "what"  # committed by the retry
        assert await _rejected_steps(admin) == 1  # refused once, then run
    finally:
        await st.clear()
        await st.close()


async def _rejected(admin: aioredis.Redis) -> bool:
    return await _rejected_steps(admin) >= 1


async def test_a_step_still_loading_after_the_last_try_gets_the_outage_error(loading: tuple[str, aioredis.Redis],
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    url, admin = loading
    monkeypatch.setattr("bot.store.redis.LOADING_RETRY", 0.05)
    monkeypatch.setattr("bot.store.redis.LOADING_TRIES", 2)
    st = RedisStore(url, prefix=f"soudan-test:{uuid.uuid4().hex[:12]}:")
    try:
        assert not (await st.step("line:u", "line:e1", lambda _s: Change(session("who")), ttl=60)).duplicate
        reload = await _reload(url)
        with pytest.raises(StoreUnavailable, match="loading the dataset"):
            await st.step("line:u", "line:e2", lambda s: Change(session("what")), ttl=60)
        assert await _rejected_steps(admin) == 3  # the first try and two more, no more
        await admin.config_set("key-load-delay", 0)
        await reload
        got = await st.get("line:u")
        assert got is not None and got.state == "who"  # nothing of the refused step was written
    finally:
        await st.clear()
        await st.close()
