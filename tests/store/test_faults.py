"""Fault injection, per store (memory, SQLite file, real Redis): a store that fails at each write
of a LINE consultation in turn — before the write (nothing committed) or after it (committed, but
the answer lost, as when a connection drops) — under the real webhook, the real line-bot-sdk and a
fake Messaging API that behaves like LINE about repeats (a reply token works once; a push retry key
is accepted once). LINE redelivers what got no 200, and at the end every event is delivered once
more. Then: the stored session equals the replay of the events through the engine, every event's
reply reached the person exactly once and was the replay's reply, nothing was pushed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any

from bot.adapters.line.flex import render
from bot.app import CONVERSATIONS_KEY, create_app
from bot.devtools.line_fake import FakeLineApi
from bot.engine.types import Input, Session, Start, Text
from bot.store.base import SessionStore, StepResult, StoreUnavailable
from tests.adapters.line.linekit import (
    USER,
    WEEKDAY_10,
    body_of,
    follow_event,
    make_engine,
    settings_for,
    sign,
    text_event,
)

if TYPE_CHECKING:
    from tests.store.backends import Backend

ANSWERS = ["2", "1", "1"]
"""Typed answers after the follow (each picks a choice of the question shown)."""


class FaultyStore(SessionStore):
    """Another store, failing once: at write number ``fail_at`` (0-based; writes are step, sent
    and release calls), ``"before"`` it happens or ``"after"`` it happened."""

    def __init__(self, inner: SessionStore, fail_at: int | None = None, when: str = "before") -> None:
        self.inner, self.fail_at, self.when, self.writes = inner, fail_at, when, 0
        self.backend = inner.backend

    async def _write(self, call: Callable[[], Any]) -> Any:
        n, self.writes = self.writes, self.writes + 1
        if n == self.fail_at and self.when == "before":
            raise StoreUnavailable(f"injected failure before write {n}")
        out = await call()
        if n == self.fail_at:
            raise StoreUnavailable(f"injected failure after write {n}")
        return out

    async def step(self, *args: Any, **kw: Any) -> StepResult:
        return await self._write(lambda: self.inner.step(*args, **kw))  # type: ignore[no-any-return]

    async def sent(self, event_id: str) -> None:
        await self._write(lambda: self.inner.sent(event_id))

    async def release(self, event_id: str, outbox: bytes | None = None) -> None:
        await self._write(lambda: self.inner.release(event_id, outbox))

    async def get(self, key: str) -> Session | None:
        return await self.inner.get(key)

    async def save(self, key: str, session: Session, ttl: float) -> None:
        await self.inner.save(key, session, ttl)

    async def delete(self, key: str) -> None:
        await self.inner.delete(key)

    async def mark_event(self, event_id: str, ttl: float) -> bool:
        return await self.inner.mark_event(event_id, ttl)

    def lock(self, key: str, timeout: float = 10.0) -> AbstractAsyncContextManager[None]:
        return self.inner.lock(key, timeout)

    async def count(self) -> int:
        return await self.inner.count()

    def keys(self) -> AsyncIterator[str]:
        return self.inner.keys()


def events(run: int) -> list[dict[str, Any]]:
    base = 1_764_550_800_000 + run * 100
    evs = [follow_event(token=f"r{run}-t0", eid=f"01R{run:03d}E0", ts=base)]
    evs += [text_event(a, token=f"r{run}-t{i}", eid=f"01R{run:03d}E{i}", ts=base + i)
            for i, a in enumerate(ANSWERS, 1)]
    return evs


def replay() -> tuple[Session | None, list[list[dict[str, Any]]]]:
    """The session and the first message batch of each event, by the engine alone."""
    engine = make_engine()
    s: Session | None = None
    batches = []
    inputs: list[Input] = [Start(), *(Text(a) for a in ANSWERS)]
    for inp in inputs:
        out = engine.step(s, inp, WEEKDAY_10)
        s = out.session
        batches.append(render(out.replies, s.locale if s else "ja", WEEKDAY_10)[0])
    return s, batches


def comparable(s: Session | None) -> Any:
    return None if s is None else s.model_dump(include={"flow_id", "state", "slots", "history", "locale"})


async def consult(backend: Backend, aiohttp_client: Any, aiohttp_server: Any, run: int, fail_at: int | None,
                  when: str, redelivery: bool = True) -> tuple[FaultyStore, FakeLineApi]:
    fake = FakeLineApi(strict=True)
    fake.url = str((await aiohttp_server(fake.app())).make_url("")).rstrip("/")
    inner = backend.open()
    store = FaultyStore(inner, fail_at, when)
    # on: LINE redelivers what got no 200; off (LINE's default): every event comes once
    app = create_app(settings_for(fake, LINE_REDELIVERY=redelivery), engine=make_engine(), store=store,
                     clock=lambda: WEEKDAY_10)
    app[CONVERSATIONS_KEY].send_lease = 0.05  # a redelivery of an unconfirmed outbox waits this long
    client = await aiohttp_client(app)
    user = f"{USER[:-6]}{run:06d}"

    async def post(ev: dict[str, Any]) -> int:
        ev = {**ev, "source": {"type": "user", "userId": user}}
        body = body_of(ev)
        async with client.post("/line/webhook", data=body, headers={"X-Line-Signature": sign(body)}) as r:
            status: int = r.status
            return status

    # each event until it gets a 200 (LINE redelivers), then at the end every event once more
    again = [{**e, "deliveryContext": {"isRedelivery": True}} for e in events(run)] if redelivery else []
    for ev in [*events(run), *again]:
        for _attempt in range(4 if redelivery else 1):
            if await post(ev) == 200:
                break
        else:
            raise AssertionError(f"run {run}: {fail_at} {when}: event {ev['webhookEventId']} never got 200")
    await client.close()
    key = app[CONVERSATIONS_KEY].key("line", user)
    got = await inner.get(key)
    want, batches = replay()
    assert comparable(got) == comparable(want), f"{fail_at} {when}: the session is not the replay"
    assert fake.invalid == []
    assert [c.path for c in fake.accepted] == ["/v2/bot/message/reply"] * len(batches), \
        f"{fail_at} {when}: {[(c.path, c.json.get('replyToken')) for c in fake.accepted]}"
    by_token = {c.json["replyToken"]: c.json["messages"] for c in fake.accepted}
    assert by_token == {f"r{run}-t{i}": b for i, b in enumerate(batches)}, f"{fail_at} {when}: wrong replies"
    return store, fake


async def test_a_store_failing_at_each_write_in_turn_loses_and_doubles_nothing(
        backend: Backend, aiohttp_client: Any, aiohttp_server: Any) -> None:
    clean, _ = await consult(backend, aiohttp_client, aiohttp_server, 0, None, "before")
    writes = clean.writes
    assert writes >= 2 * (1 + len(ANSWERS))  # a step and a confirmation per event, at least
    run = 1
    for when in ("before", "after"):
        for k in range(writes):
            await consult(backend, aiohttp_client, aiohttp_server, run, k, when)
            run += 1


async def test_with_redelivery_off_a_store_failing_after_each_write_loses_and_doubles_nothing(
        backend: Backend, aiohttp_client: Any, aiohttp_server: Any) -> None:
    """Nothing is redelivered (LINE's default): a write that happened but whose answer was lost
    (the step committed, then the connection dropped) still gets its committed reply to the person,
    once, and not the outage apology. (A failure before the step's write commits nothing: that
    event gets the apology, tests/adapters/line/test_line_store_outage_apology.py.)"""
    clean, _ = await consult(backend, aiohttp_client, aiohttp_server, 0, None, "after", redelivery=False)
    for k in range(clean.writes):
        await consult(backend, aiohttp_client, aiohttp_server, 100 + k, k, "after", redelivery=False)
