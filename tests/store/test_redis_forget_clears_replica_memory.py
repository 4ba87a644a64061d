"""Regression: a Redis replica remembers the last session it stored for recent users (to save a
round trip). ``forget`` and ``delete`` removed the keys on the server but left that copy in the
replica's memory until it was evicted — a forgotten person's answers stayed in the process."""

from __future__ import annotations

import uuid

import pytest

from bot.engine.types import Session
from bot.store.base import Change
from bot.store.redis import RedisStore
from tests.store.test_store_contract import session

pytestmark = pytest.mark.redis


@pytest.mark.parametrize("how", ["forget", "delete"])
async def test_forget_and_delete_drop_the_replicas_copy(redis_url: str, how: str) -> None:
    """After ``forget``/``delete`` the next step of that user is computed on no session at all: the
    replica no longer hands the forgotten answers to the engine (it stepped on its remembered copy
    first, and only the server's "not what is stored" made it step again)."""
    st = RedisStore(redis_url, prefix=f"soudan-test:{uuid.uuid4().hex[:12]}:")
    given: list[Session | None] = []

    def record(s: Session | None) -> Change:
        given.append(s)
        return Change(session("what"))

    try:
        await st.step("line:a", "line:e1", record, ttl=60)
        await st.step("line:a", "line:e2", record, ttl=60)
        assert [s.state if s else None for s in given] == [None, "what"]  # the second step saw the first
        await (st.forget("line:a") if how == "forget" else st.delete("line:a"))
        assert await st.get("line:a") is None
        given.clear()
        await st.step("line:a", "line:e3", record, ttl=60)
        assert given == [None]
        got = await st.get("line:a")
        assert got is not None and got.state == "what"
    finally:
        await st.clear()
        await st.close()
