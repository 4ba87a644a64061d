"""The Redis store's scripts on redis-py connections of their own pool (bot/store/redis.py
``RedisStore._run``): a server that does not know the scripts, a step cancelled at any point of
its command, a server that accepts a connection but never answers a script.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import redis.asyncio as aioredis

from bot.engine.types import Session
from bot.store.base import Change, StoreUnavailable
from bot.store.redis import RedisStore
from tests.store.test_store_contract import session

pytestmark = pytest.mark.redis


def to(state: str) -> Callable[[Session | None], Change]:
    return lambda _s: Change(session(state))


@pytest.fixture
async def one(redis_url: str) -> AsyncIterator[RedisStore]:
    """A store with a single connection for its scripts (every command shares it)."""
    st = RedisStore(redis_url, prefix=f"soudan-test:{uuid.uuid4().hex[:12]}:", max_connections=1)
    yield st
    await st.clear()
    await st.close()


async def test_a_server_that_forgot_the_scripts_gets_them_with_the_command(one: RedisStore, redis_url: str) -> None:
    assert not (await one.step("line:u", "line:e1", to("who"), ttl=60)).duplicate
    admin = aioredis.from_url(redis_url)
    try:
        await admin.script_flush()  # what a restarted (or another) server knows: no script
    finally:
        await admin.aclose()
    assert not (await one.step("line:u", "line:e2", to("what"), ttl=60)).duplicate
    assert (await one.step("line:u", "line:e2", to("never"), ttl=60)).duplicate
    got = await one.get("line:u")
    assert got is not None and got.state == "what"


@pytest.mark.parametrize("turns", range(8))
async def test_a_cancelled_step_is_cancelled_and_leaves_nothing_for_the_next_command(one: RedisStore,
                                                                                  turns: int) -> None:
    """Cancelled after ``turns`` turns of the event loop (before its command is written, while it
    is sent, while its answer is awaited): the step raises CancelledError (redis-py's sends through
    asyncio.wait_for lost it on Python 3.11 once the send was done), the next command on the same
    (only) connection gets its own answer, and the cancelled event was committed wholly or not at all."""
    await one.step("line:w", None, to("who"), ttl=60)  # the connection is open
    task = asyncio.create_task(one.step("line:a", "line:ea", to("who"), ttl=60))
    for _ in range(turns):
        await asyncio.sleep(0)
    if task.cancel():  # not done yet (after a few turns a step on an idle machine is)
        with pytest.raises(asyncio.CancelledError):
            await task
    else:
        assert not (await task).duplicate
    assert not (await one.step("line:b", "line:eb", to("what"), ttl=60)).duplicate  # B's own answer
    got = await one.get("line:b")
    assert got is not None and got.state == "what"
    again = await one.step("line:a", "line:ea", to("never"), ttl=60)  # the redelivery of A
    got = await one.get("line:a")
    assert got is not None and got.state == ("who" if again.duplicate else "never")


async def _a_step_against(handler: Any) -> None:
    """A step against a fake Redis served by ``handler`` (socket_timeout 0.2 s) must fail as an
    outage. Every wait bounded: a hang is the failure these tests are about (a new-user trial at
    load 15 saw one for over 10 minutes); a timeout fails with the traceback of where it waited."""
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    st = RedisStore(f"redis://127.0.0.1:{port}/0", socket_timeout=0.2)
    try:
        async with asyncio.timeout(20):
            with pytest.raises(StoreUnavailable, match=r"no answer within 0\.2 s"):
                await st.step("line:u", "line:e", to("who"), ttl=60)
    finally:
        try:
            async with asyncio.timeout(10):
                await st.close()
        finally:
            server.close()
            async with asyncio.timeout(10):
                await server.wait_closed()


def _set_up_then_silence(set_up_delay: float) -> Any:
    """A fake Redis answering the connection set-up (CLIENT SETINFO, SELECT) with +OK after
    ``set_up_delay`` seconds, and a script with nothing."""
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            if b"EVAL" not in data:
                if set_up_delay:
                    await asyncio.sleep(set_up_delay)
                writer.write(b"+OK\r\n" * sum(line.startswith(b"*") for line in data.split(b"\r\n")))
        writer.close()
    return serve


async def test_a_server_that_never_answers_a_script_is_an_outage_not_a_hang() -> None:
    await _a_step_against(_set_up_then_silence(0.0))


async def test_a_slow_connection_set_up_then_no_answer_is_an_outage_not_a_hang() -> None:
    """The cause of the hang above: the answer watchdog was started before connecting and, when the
    set-up took longer than its first look (a quarter of ``socket_timeout``: a loaded machine), it
    found nothing waiting and stopped — the script then sent waited for ever. Here the set-up is
    answered after 0.1 s (socket_timeout 0.2 s: first look at 0.05 s), then the script never."""
    await _a_step_against(_set_up_then_silence(0.1))


async def test_the_next_step_is_given_the_committed_session_whatever_callers_changed(one: RedisStore) -> None:
    """The replica keeps a copy of the committed session to step on next (no decode): what the
    caller does to the committed session, or a failed step to the one it was given, is not seen."""
    r = await one.step("line:u", "line:e1", to("who"), ttl=60)
    assert r.change is not None and r.change.session is not None
    r.change.session.state = "changed-by-the-caller"
    r.change.session.slots["x"] = "y"

    def spoil(s: Session | None) -> Change:
        assert s is not None and s.state == "who" and s.slots == {}
        s.state = "spoilt"
        raise RuntimeError("the step failed")
    with pytest.raises(RuntimeError):
        await one.step("line:u", "line:e2", spoil, ttl=60)
    given: list[Session | None] = []

    def record(s: Session | None) -> Change:
        given.append(s)
        return Change(session("what"))
    assert not (await one.step("line:u", "line:e2", record, ttl=60)).duplicate
    assert [(s.state, s.slots) if s else None for s in given] == [("who", {})]
