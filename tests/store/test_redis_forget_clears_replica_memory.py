"""Regression: a Redis replica remembers the last session it stored for recent users (to save a
round trip). ``forget`` and ``delete`` removed the keys on the server but left that copy in the
replica's memory until it was evicted — a forgotten person's answers stayed in the process."""

from __future__ import annotations

import uuid

import pytest

from bot.store.base import Change
from bot.store.redis import RedisStore
from tests.store.test_store_contract import session

pytestmark = pytest.mark.redis


@pytest.mark.parametrize("how", ["forget", "delete"])
async def test_forget_and_delete_drop_the_replicas_copy(redis_url: str, how: str) -> None:
    st = RedisStore(redis_url, prefix=f"soudan-test:{uuid.uuid4().hex[:12]}:")
    try:
        await st.step("line:a", "line:e1", lambda _s: Change(session("what")), ttl=60)
        assert "line:a" in st._seen  # the replica keeps its guess of the stored session
        await (st.forget("line:a") if how == "forget" else st.delete("line:a"))
        assert "line:a" not in st._seen
        assert await st.get("line:a") is None
    finally:
        await st.clear()
        await st.close()
