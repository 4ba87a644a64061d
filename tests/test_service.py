"""bot/service.py: :class:`~bot.service.Conversations` over the stores — races, replicas,
restarts, expiry, forget and sessions saved by an older flow version, on every backend — and a
counter that fails never costing the reply.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from bot.engine.core import Engine
from bot.engine.types import Ask, End, Refer, Reply, Session, Start, Text
from bot.i18n import t
from bot.service import Conversations, Handled
from bot.store.base import SessionStore
from bot.store.memory import MemoryStore
from tests.conftest import WEEKDAY_10
from tests.redis_kit import SHORT_TTL
from tests.store.flowkit import PATH_1_1_1, QUESTIONS, build_engine, write_files

if TYPE_CHECKING:
    from tests.store.backends import Backend

SECRET = "test-secret"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    return write_files(tmp_path / "release-1")


@pytest.fixture
def engine(files: tuple[Path, Path]) -> Engine:
    return build_engine(*files)


def texts(replies: list[Reply]) -> list[str]:
    return [r.text for r in replies]


def shows(h: Handled, state: str) -> bool:
    """Whether the replies of ``h`` show the question (or the result) of ``state``."""
    if state in QUESTIONS:
        return any(isinstance(r, Ask) and r.text == QUESTIONS[state] for r in h.replies)
    return any(isinstance(r, Refer) for r in h.replies)


class SlowStore(SessionStore):
    """Wraps a store and pauses after every read, so racing events interleave for sure.

    With ``locking=False`` the lock does nothing: that is how a store without per-user locks
    would behave (used to prove the race test can fail).
    """

    backend = "slow"

    def __init__(self, inner: SessionStore, locking: bool = True) -> None:
        self.inner, self.locking = inner, locking

    async def get(self, key: str) -> Session | None:
        s = await self.inner.get(key)
        await asyncio.sleep(0.01)
        return s

    async def save(self, key: str, session: Session, ttl: float) -> None:
        await self.inner.save(key, session, ttl)

    async def delete(self, key: str) -> None:
        await self.inner.delete(key)

    async def forget(self, key: str) -> None:
        await self.inner.forget(key)

    async def mark_event(self, event_id: str, ttl: float) -> bool:
        return await self.inner.mark_event(event_id, ttl)

    def lock(self, key: str, timeout: float = 10.0) -> AbstractAsyncContextManager[None]:
        return self.inner.lock(key, timeout) if self.locking else self._no_lock()

    async def count(self) -> int:
        return await self.inner.count()

    def keys(self) -> AsyncIterator[str]:
        return self.inner.keys()

    @asynccontextmanager
    async def _no_lock(self) -> AsyncIterator[None]:
        yield


def conv(engine: Engine, store: SessionStore, backend: Backend) -> Conversations:
    return Conversations(engine, store, SECRET, clock=backend.now)


# ---------------------------------------------------------------- races

async def test_racing_events_of_one_user_give_the_in_order_transitions(backend: Backend, engine: Engine) -> None:
    c = conv(engine, SlowStore(backend.open()), backend)
    await c.handle("line", "U1", Start(), event_id="e0")
    results = await asyncio.gather(*(c.handle("line", "U1", Text("1"), event_id=f"e{i}") for i in (1, 2, 3)))
    # each event moved the conversation one step, and the steps are the in-order ones
    assert sorted(PATH_1_1_1.index(h.session.state) for h in results if h.session) == [0, 1, 2]
    for h in results:
        assert h.session is not None and shows(h, h.session.state)
    final = await c.store.get(c.key("line", "U1"))
    assert final is not None and final.state == "result-pupil"
    assert [(e.state, e.choice) for e in final.history] == [("who", "pupil"), ("what", "insult"), ("when", "recent")]


async def test_without_the_lock_the_race_loses_updates(engine: Engine) -> None:
    """Proof that the race test has teeth: with a do-nothing lock, updates are lost."""
    from bot.store.memory import MemoryStore

    c = Conversations(engine, SlowStore(MemoryStore(), locking=False), SECRET)
    await c.handle("line", "U1", Start())
    await asyncio.gather(*(c.handle("line", "U1", Text("1")) for _ in range(3)))
    final = await c.store.get(c.key("line", "U1"))
    assert final is not None and len(final.history) < 3


async def test_a_redelivered_event_is_handled_once(backend: Backend, engine: Engine) -> None:
    c = conv(engine, SlowStore(backend.open()), backend)
    await c.handle("line", "U1", Start(), event_id="e0")
    results = await asyncio.gather(*(c.handle("line", "U1", Text("1"), event_id="same") for _ in range(4)))
    assert [h.duplicate for h in results].count(False) == 1
    assert all(h.replies == [] for h in results if h.duplicate)
    final = await c.store.get(c.key("line", "U1"))
    assert final is not None and final.state == "what"


async def test_two_replicas_alternating_and_redelivering_make_one_conversation(
        backend: Backend, engine: Engine) -> None:
    """Two replicas (two store objects: two connections / clients) get one user's events in turn,
    concurrently, and each event is also redelivered to the other replica."""
    if backend.name == "sqlite-exclusive":
        pytest.skip("one process owns an exclusive file: a second store object on it is refused")
    one = conv(engine, SlowStore(backend.open()), backend)
    two = conv(engine, SlowStore(backend.open()), backend)
    await one.handle("line", "U1", Start(), event_id="e0")
    jobs = []
    for i in (1, 2, 3):
        first, other = (one, two) if i % 2 else (two, one)
        jobs += [first.handle("line", "U1", Text("1"), event_id=f"e{i}"),
                 other.handle("line", "U1", Text("1"), event_id=f"e{i}")]
    results = await asyncio.gather(*jobs)
    done = [h for h in results if not h.duplicate]
    assert len(done) == 3
    assert sorted(PATH_1_1_1.index(h.session.state) for h in done if h.session) == [0, 1, 2]
    final = await one.store.get(one.key("line", "U1"))
    assert final is not None and final.state == "result-pupil" and len(final.history) == 3


async def test_other_users_are_served_while_one_user_is_locked(backend: Backend, engine: Engine) -> None:
    store = backend.open()
    c = conv(engine, store, backend)
    held, release = asyncio.Event(), asyncio.Event()

    async def busy_user() -> None:
        async with store.lock(c.key("line", "A"), timeout=60):
            held.set()
            await release.wait()

    holder = asyncio.create_task(busy_user())
    await held.wait()
    h = await asyncio.wait_for(c.handle("line", "B", Start(), event_id="b0"), 30)
    assert shows(h, "who")
    assert not holder.done()
    release.set()
    await holder


# ---------------------------------------------------------------- restarts

CHILD = """
import asyncio, datetime as dt, json, sys
from pathlib import Path
from bot.engine.types import Text
from bot.service import Conversations
from bot.store import open_store
from tests.store.flowkit import build_engine

a = json.loads(sys.argv[1])

async def main():
    engine = build_engine(Path(a["flows"]), Path(a["directory"]))
    store = open_store(a["url"])
    c = Conversations(engine, store, a["secret"])
    out = []
    for text, event in a["turns"]:
        h = await c.handle("line", a["user"], Text(text), event_id=event)
        out.append({"state": h.session.state if h.session else None, "duplicate": h.duplicate,
                    "texts": [getattr(r, "text", "") for r in h.replies]})
    await store.close()
    print(json.dumps(out, ensure_ascii=False))

asyncio.run(main())
"""


def run_child(url: str, files: tuple[Path, Path], turns: list[tuple[str, str]]) -> list[dict[str, object]]:
    """Handle ``turns`` of user U1 in a new Python process on the store at ``url``."""
    arg = json.dumps({"url": url, "flows": str(files[0]), "directory": str(files[1]), "secret": SECRET,
                      "user": "U1", "turns": turns})
    proc = subprocess.run([sys.executable, "-c", CHILD, arg], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    result: list[dict[str, object]] = json.loads(proc.stdout)
    return result


async def test_a_restart_mid_conversation_continues_where_it_was(
        persistent: Backend, files: tuple[Path, Path], engine: Engine) -> None:
    """Process 1 starts the conversation, exits; process 2 continues it; process 3 (us) finishes."""
    before = conv(engine, persistent.open(), persistent)
    await before.handle("line", "U1", Start(), event_id="e0")
    h = await before.handle("line", "U1", Text("1"), event_id="e1")
    assert h.session is not None and h.session.state == "what"
    await before.store.close()

    child = run_child(persistent.url, files, [("1", "e1"), ("1", "e2")])
    assert child[0]["duplicate"] is True  # e1 was handled before the restart
    assert child[1]["state"] == "when" and QUESTIONS["when"] in child[1]["texts"]  # type: ignore[operator]

    after = conv(engine, persistent.open(), persistent)
    h = await after.handle("line", "U1", Text("1"), event_id="e3")
    assert h.session is not None and h.session.state == "result-pupil"
    assert [(e.state, e.choice) for e in h.session.history] == [("who", "pupil"), ("what", "insult"),
                                                                ("when", "recent")]


async def test_another_process_holding_the_users_lock_is_waited_for(
        persistent: Backend, files: tuple[Path, Path]) -> None:
    """A child process takes U1's lock and keeps it until told; we cannot take it, but U2's we can."""
    script = ("import asyncio, sys\nfrom bot.store import open_store\n"
              "async def main():\n"
              "    st = open_store(sys.argv[1])\n"
              "    async with st.lock('line:U1', timeout=30):\n"
              "        print('held', flush=True)\n"
              "        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)\n"
              "    await st.close()\n"
              "asyncio.run(main())\n")
    proc = subprocess.Popen([sys.executable, "-c", script, persistent.url], cwd=ROOT, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stdin is not None
        assert proc.stdout.readline().strip() == "held"
        from bot.store import StoreError

        store = persistent.open()
        with pytest.raises(StoreError, match="not free within"):
            async with store.lock("line:U1", timeout=0.3):
                pytest.fail("took a lock another process holds")  # pragma: no cover
        async with store.lock("line:U2", timeout=2):
            pass
        proc.stdin.write("go\n")
        proc.stdin.flush()
        async with store.lock("line:U1", timeout=10):
            pass
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# ---------------------------------------------------------------- new releases, expiry, bad data

@pytest.mark.parametrize("release", ["version bumped", "state removed"])
async def test_a_session_of_an_older_flow_release_restarts_politely(
        persistent: Backend, tmp_path: Path, engine: Engine, release: str) -> None:
    old = conv(engine, persistent.open(), persistent)
    await old.handle("line", "U1", Start())
    await old.handle("line", "U1", Text("1"))
    await old.handle("line", "U1", Text("1"))  # now in state "when"
    await old.store.close()

    new_files = (write_files(tmp_path / "release-2", version="2") if release == "version bumped"
                 else write_files(tmp_path / "release-2", with_when=False))
    new = conv(build_engine(*new_files), persistent.open(), persistent)
    h = await new.handle("line", "U1", Text("2"))
    assert t("engine.version", "ja") in texts(h.replies)
    assert h.session is not None
    # a fresh conversation from the start (the engine may or may not apply the answer to it)
    assert [e.state for e in h.session.history] in ([], ["who"])
    assert h.session.state in ("who", "what")


async def test_an_unreadable_record_starts_the_user_again(backend: Backend, engine: Engine) -> None:
    store = backend.open()
    c = conv(engine, store, backend)
    await backend.put_raw(store, c.key("line", "U1"), '{"schema": 0, "step": "who"}')
    h = await c.handle("line", "U1", Text("1"))
    assert t("engine.welcome", "ja") in texts(h.replies)
    assert (await store.get(c.key("line", "U1"))) is not None


async def test_an_idle_session_expires_and_the_next_message_starts_again(
        backend: Backend, files: tuple[Path, Path]) -> None:
    c = conv(build_engine(*files, idle_timeout=SHORT_TTL), backend.open(), backend)
    await c.handle("line", "U1", Start())
    await c.handle("line", "U1", Text("1"))
    await backend.advance(2 * SHORT_TTL)
    assert await c.store.get(c.key("line", "U1")) is None
    h = await c.handle("line", "U1", Text("1"))
    assert t("engine.welcome", "ja") in texts(h.replies)


# ---------------------------------------------------------------- forget / unfollow

async def test_the_forget_command_deletes_everything_of_that_user(backend: Backend, engine: Engine) -> None:
    c = conv(engine, backend.open(), backend)
    await c.handle("line", "U1", Start())
    await c.handle("line", "U2", Start())
    h = await c.handle("line", "U1", Text("データ削除"))  # asks first: nothing deleted yet
    assert h.replies[-1].text == t("engine.forget_confirm", "ja") and await c.store.count() == 2
    h = await c.handle("line", "U1", Text("消す"))
    assert isinstance(h.replies[-1], End) and h.replies[-1].text == t("engine.forget", "ja")
    assert await c.store.get(c.key("line", "U1")) is None
    assert await c.store.get(c.key("line", "U2")) is not None
    assert await c.store.count() == 1


async def test_unfollow_forgets_the_user(backend: Backend, engine: Engine) -> None:
    c = conv(engine, backend.open(), backend)
    await c.handle("line", "U1", Start())
    await c.forget("line", "U1")
    assert await c.store.count() == 0


async def test_nothing_but_the_session_record_is_stored(persistent: Backend, engine: Engine) -> None:
    """No raw user id and no typed text reach the store."""
    c = conv(engine, persistent.open(), persistent)
    await c.handle("line", "Uraw-user-id-123", Start(), event_id="ev")
    await c.handle("line", "Uraw-user-id-123", Text("学生です。秘密の内容 SECRET-TEXT"))
    keys = [k async for k in c.store.keys()]  # noqa: SIM118 - an async iterator
    assert keys == [c.key("line", "Uraw-user-id-123")]
    stored = await c.store.get(keys[0])
    assert stored is not None
    raw = stored.to_json()
    assert "SECRET-TEXT" not in raw and "Uraw-user-id-123" not in raw and "Uraw-user-id-123" not in keys[0]


async def test_a_failing_counter_never_costs_the_reply(tiny_engine: Engine) -> None:
    async def broken(*_a: Any) -> None:
        raise RuntimeError("boom")

    conv = Conversations(tiny_engine, MemoryStore(), "secret", observer=broken)
    h = await conv.handle("web", "u", Start(), now=WEEKDAY_10)
    assert h.replies and h.session is not None
