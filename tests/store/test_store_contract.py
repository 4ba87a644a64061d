"""The ``SessionStore`` contract, run against every backend: memory, SQLite (a real file) and a
real Redis server. A backend that passes here can be swapped for another without any change.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import TYPE_CHECKING

import pytest

from bot.engine.types import HistoryEntry, Session
from bot.store import StoreError
from bot.store.base import SessionStore
from tests.redis_kit import SHORT_TTL

if TYPE_CHECKING:
    from tests.store.backends import Backend

T0 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))


def session(state: str = "who", **kw: object) -> Session:
    fields: dict[str, object] = {"flow_id": "tiny", "flow_version": "1", "conversation_id": "abcd1234",
                                 "state": state, "started_at": T0, "updated_at": T0,
                                 "expires_at": T0 + dt.timedelta(hours=24)}
    fields.update(kw)
    return Session.model_validate(fields)


async def listed(store: SessionStore) -> list[str]:
    """Every live key, sorted."""
    return sorted([k async for k in store.keys()])  # noqa: SIM118 - an async iterator, not a dict


# ---------------------------------------------------------------- sessions

async def test_unknown_key_gives_none(store: SessionStore) -> None:
    assert await store.get("line:nobody") is None
    assert await store.count() == 0


async def test_save_then_get_round_trips_every_field(store: SessionStore) -> None:
    s = session("what", slots={"who": "pupil"}, history=[HistoryEntry(state="who", choice="pupil")],
                locale="en")
    await store.save("line:a", s, 60)
    got = await store.get("line:a")
    assert got == s
    assert got is not s


async def test_the_store_keeps_a_copy_not_the_live_object(store: SessionStore) -> None:
    s = session()
    await store.save("line:a", s, 60)
    s.state = "changed-after-save"
    got = await store.get("line:a")
    assert got is not None and got.state == "who"


async def test_changing_what_was_saved_or_got_changes_nothing_stored(store: SessionStore) -> None:
    s = session(slots={"who": "pupil"}, history=[HistoryEntry(state="who", choice="pupil", slots={"a": "b"})],
                prefill={"region": "JP-13"}, clarify=["x"])
    await store.save("line:a", s, 60)
    s.slots["who"] = "adult"
    s.history.append(HistoryEntry(state="what", choice="sns"))
    s.prefill.clear()
    s.clarify.append("y")
    got = await store.get("line:a")
    assert got is not None
    got.slots.clear()
    got.history.clear()
    again = await store.get("line:a")
    assert again is not None and again.slots == {"who": "pupil"} and again.prefill == {"region": "JP-13"}
    assert again.clarify == ["x"] and [(h.state, h.choice, h.slots) for h in again.history] == [("who", "pupil", {"a": "b"})]


async def test_a_session_with_a_naive_time_is_refused(store: SessionStore) -> None:
    naive = session()
    naive.updated_at = dt.datetime(2026, 12, 1, 10, 0)  # noqa: DTZ001 — a naive time, which must be refused
    with pytest.raises(ValueError, match="aware"):
        await store.save("line:a", naive, 60)
    assert await store.get("line:a") is None


async def test_save_overwrites(store: SessionStore) -> None:
    await store.save("line:a", session("who"), 60)
    await store.save("line:a", session("what"), 60)
    got = await store.get("line:a")
    assert got is not None and got.state == "what"
    assert await store.count() == 1


async def test_delete_removes_only_that_user(store: SessionStore) -> None:
    await store.save("line:a", session(), 60)
    await store.save("line:b", session(), 60)
    await store.delete("line:a")
    await store.delete("line:a")  # deleting twice is fine
    await store.delete("line:never")
    assert await store.get("line:a") is None
    assert await store.get("line:b") is not None


async def test_forget_removes_everything_of_that_user_only(store: SessionStore) -> None:
    await store.save("line:a", session(), 60)
    await store.save("discord:a", session(), 60)
    await store.forget("line:a")
    assert await store.get("line:a") is None
    assert await store.get("discord:a") is not None
    assert sorted(await listed(store)) == ["discord:a"]


async def test_count_and_keys_list_live_sessions(store: SessionStore) -> None:
    for i in range(5):
        await store.save(f"web:{i}", session(), 60)
    assert await store.count() == 5
    assert sorted(await listed(store)) == [f"web:{i}" for i in range(5)]


@pytest.mark.parametrize("ttl", [0, -1, float("nan")])
async def test_non_positive_ttl_is_refused(store: SessionStore, ttl: float) -> None:
    with pytest.raises(ValueError, match="ttl"):
        await store.save("line:a", session(), ttl)
    with pytest.raises(ValueError, match="ttl"):
        await store.mark_event("line:e", ttl)


# ---------------------------------------------------------------- expiry

async def test_session_expires_after_its_ttl(backend: Backend) -> None:
    store = backend.open()
    await store.save("line:a", session(), SHORT_TTL)
    await store.save("line:b", session(), 60)
    await backend.advance(2 * SHORT_TTL)
    assert await store.get("line:a") is None
    assert await store.get("line:b") is not None
    assert await store.count() == 1
    assert await listed(store) == ["line:b"]


async def test_saving_again_extends_the_ttl(backend: Backend) -> None:
    store = backend.open()
    await store.save("line:a", session(), SHORT_TTL)
    await store.save("line:a", session("what"), 60)  # the second save's TTL replaces the first
    await backend.advance(2 * SHORT_TTL)
    got = await store.get("line:a")
    assert got is not None and got.state == "what"


async def test_an_expired_session_can_be_saved_again(backend: Backend) -> None:
    store = backend.open()
    await store.save("line:a", session(), SHORT_TTL)
    await backend.advance(2 * SHORT_TTL)
    await store.save("line:a", session("what"), 60)
    got = await store.get("line:a")
    assert got is not None and got.state == "what"


# ---------------------------------------------------------------- events

async def test_mark_event_is_true_once(store: SessionStore) -> None:
    assert await store.mark_event("line:ev1", 60) is True
    assert await store.mark_event("line:ev1", 60) is False
    assert await store.mark_event("line:ev1", 60) is False
    assert await store.mark_event("line:ev2", 60) is True
    assert await store.mark_event("discord:ev1", 60) is True


async def test_mark_event_racing_tasks_only_one_wins(store: SessionStore) -> None:
    results = await asyncio.gather(*(store.mark_event("line:race", 60) for _ in range(25)))
    assert results.count(True) == 1


async def test_event_id_is_new_again_after_its_ttl(backend: Backend) -> None:
    store = backend.open()
    assert await store.mark_event("line:ev", SHORT_TTL) is True
    await backend.advance(2 * SHORT_TTL)
    assert await store.mark_event("line:ev", 60) is True
    assert await store.mark_event("line:ev", 60) is False


async def test_event_ids_are_not_sessions(store: SessionStore) -> None:
    await store.mark_event("line:ev", 60)
    assert await store.count() == 0


# ---------------------------------------------------------------- unreadable records

async def test_an_old_schema_record_reads_as_none_and_logs_no_content(
        backend: Backend, caplog: pytest.LogCaptureFixture) -> None:
    store = backend.open()
    old = '{"flow": "tiny", "step": 3, "answers": ["SECRET-ANSWER"]}'
    await backend.put_raw(store, "line:old", old)
    await backend.put_raw(store, "line:junk", "\x00not json SECRET-ANSWER")
    with caplog.at_level(logging.DEBUG):
        assert await store.get("line:old") is None
        assert await store.get("line:junk") is None
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 2
    for r in caplog.records:
        text = r.getMessage() + repr(r.__dict__)
        assert "SECRET-ANSWER" not in text and "line:old" not in text and "line:junk" not in text
    # the user simply starts again: the next save replaces the record
    await store.save("line:old", session(), 60)
    assert await store.get("line:old") == session()


# ---------------------------------------------------------------- locks

async def test_lock_serialises_one_users_tasks(store: SessionStore) -> None:
    inside = 0
    most = 0
    order: list[int] = []

    async def worker(i: int) -> None:
        nonlocal inside, most
        async with store.lock("line:a", timeout=5):
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.005)
            order.append(i)
            inside -= 1

    await asyncio.gather(*(worker(i) for i in range(10)))
    assert most == 1
    assert sorted(order) == list(range(10))


async def test_different_users_do_not_wait_for_each_other(store: SessionStore) -> None:
    a_held = asyncio.Event()
    release_a = asyncio.Event()

    async def hold_a() -> None:
        async with store.lock("line:a", timeout=30):
            a_held.set()
            await release_a.wait()

    holder = asyncio.create_task(hold_a())
    await a_held.wait()
    # B gets its lock (and does its work) while A's lock is still held
    async with store.lock("line:b", timeout=5):
        await store.save("line:b", session(), 60)
    assert not holder.done()
    release_a.set()
    await holder


async def test_a_held_lock_times_out_with_store_error(store: SessionStore) -> None:
    async with store.lock("line:a", timeout=5):
        with pytest.raises(StoreError, match="not free within"):
            async with store.lock("line:a", timeout=0.2):
                pytest.fail("entered a held lock")  # pragma: no cover


async def test_lock_is_released_when_the_body_raises(store: SessionStore) -> None:
    with pytest.raises(RuntimeError):
        async with store.lock("line:a", timeout=1):
            raise RuntimeError("boom")
    async with store.lock("line:a", timeout=1):
        pass


async def test_lock_is_released_when_the_task_is_cancelled(store: SessionStore) -> None:
    entered = asyncio.Event()

    async def body() -> None:
        async with store.lock("line:a", timeout=5):
            entered.set()
            await asyncio.sleep(30)

    t = asyncio.create_task(body())
    await entered.wait()
    t.cancel()
    with pytest.raises(asyncio.CancelledError):
        await t
    async with store.lock("line:a", timeout=1):
        pass


async def test_idle_in_process_locks_are_dropped(store: SessionStore) -> None:
    for i in range(50):
        async with store.lock(f"web:{i}", timeout=1):
            pass
    assert len(store._locks) == 0  # type: ignore[attr-defined]


# ---------------------------------------------------------------- restart / replicas

@pytest.mark.parametrize("kind", ["restart"])
async def test_a_new_store_object_sees_what_the_old_one_saved(persistent: Backend, kind: str) -> None:
    first = persistent.open()
    await first.save("line:a", session("what"), 60)
    await first.mark_event("line:ev", 60)
    await first.close()
    second = persistent.open()
    got = await second.get("line:a")
    assert got is not None and got.state == "what"
    assert await second.mark_event("line:ev", 60) is False


async def test_a_lock_held_by_another_store_object_is_respected(persistent: Backend) -> None:
    """Two store objects on the same data behave like two processes / replicas."""
    one, two = persistent.open(), persistent.open()
    async with one.lock("line:a", timeout=5):
        with pytest.raises(StoreError):
            async with two.lock("line:a", timeout=0.3):
                pytest.fail("two replicas held one user's lock")  # pragma: no cover
        async with two.lock("line:b", timeout=1):
            pass
    async with two.lock("line:a", timeout=1):
        pass


async def test_a_lock_whose_holder_died_expires(persistent: Backend) -> None:
    one, two = persistent.open(), persistent.open()
    cm = one.lock("line:a", timeout=0.3)
    await cm.__aenter__()  # the holder "dies": it never leaves the block
    async with two.lock("line:a", timeout=3):
        pass


async def test_a_closed_store_cannot_be_used_by_mistake(persistent: Backend) -> None:
    st = persistent.open()
    await st.save("line:a", session(), 60)
    await st.close()
    with pytest.raises(StoreError):
        await st.get("line:a")
