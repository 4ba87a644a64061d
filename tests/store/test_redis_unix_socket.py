"""The Redis store on a unix socket (``SOUDAN_STORE=unix:///path/redis.sock?db=0``: Redis on the
same machine, no TCP stack per round trip): a step, its redelivery and a read go through the
scripts' pool and redis-py's client over the socket. Against a ``redis-server`` the test starts
listening on a socket only (port 0), so nothing can reach it over TCP.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store import open_store
from bot.store.base import Change
from bot.store.redis import RedisStore
from tests.redis_kit import private_server
from tests.store.test_store_contract import session

pytestmark = pytest.mark.redis


@pytest.fixture
def socket_redis(tmp_path: Path) -> Iterator[Path]:
    """A redis-server of the test's own on a unix socket in ``tmp_path`` (no TCP port)."""
    sock = tmp_path / "redis.sock"
    with private_server("--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700", "--save", "",
                        "--appendonly", "no", "--dir", str(tmp_path)) as proc:
        for _ in range(1000):  # up to ~10 s for the socket to appear
            if sock.exists():
                break
            assert proc.poll() is None, "redis-server did not start"
            time.sleep(0.01)
        yield sock


async def test_a_step_and_its_redelivery_over_a_unix_socket(socket_redis: Path) -> None:
    st = open_store(f"unix://{socket_redis}?db=3&prefix=sock-test:")
    assert isinstance(st, RedisStore)
    try:
        def fn(s: object) -> Change:
            return Change(session("what"), outbox=b"reply")
        first = await asyncio.wait_for(st.step("line:a", "line:e1", fn, ttl=60, lease=0), 5)
        assert not first.duplicate and first.outbox == b"reply"
        await st.sent("line:e1")
        again = await asyncio.wait_for(st.step("line:a", "line:e1", fn, ttl=60, lease=0), 5)
        assert again.duplicate and again.outbox is None  # sent: nothing to send again
        got = await st.get("line:a")  # redis-py's pool, over the socket too
        assert got is not None and got.state == "what"
        assert await st._r.exists("sock-test:s:line:a") == 1  # database 3 of the socket's server, the prefix
    finally:
        await st.close()
