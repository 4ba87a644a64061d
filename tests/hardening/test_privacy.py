"""Privacy, proven on whole conversations: nothing a person typed, no raw platform user id and no
secret reaches a log record or a stored row; ``forget`` leaves nothing of that person behind.

Conversations run on every path a person can take — the terminal engine path, the LINE webhook
(real SDK parser, fake Messaging API), the browser simulator's API and Discord (simcord: real
discord.py dispatch, no network) — over each store: memory, a SQLite file and a real Redis.
Logging is at DEBUG as ``soudan serve`` sets it with ``SOUDAN_LOG_LEVEL=DEBUG`` (see
:class:`hardkit.LogCapture`); every record is formatted in full (message, args, extras,
exception text). Stored rows are read raw: the SQLite file with its ``-wal``/``-shm`` as bytes,
every Redis key under the store's prefix with its value, the memory store's dicts.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import simcord

from bot.adapters.discord import SoudanClient
from bot.adapters.terminal import TerminalChat
from bot.app import create_app
from bot.service import Conversations
from bot.store import SessionStore, open_store
from bot.store.base import user_key
from bot.store.memory import MemoryStore
from bot.store.redis import RedisStore
from bot.store.sqlite import SQLiteStore
from tests import shipped
from tests.adapters.line.linekit import (
    WEEKDAY_10,
    body_of,
    follow_event,
    make_engine,
    postback_event,
    settings_for,
    sign,
    text_event,
)
from tests.adapters.line.linekit import unfollow_event as line_unfollow
from tests.hardening.hardkit import LogCapture

SOUDAN_SECRET = "privacy-soudan-secret-3b7e91c4d2"
CHANNEL_SECRET = "privacy-line-channel-secret-5a1f08"
ACCESS_TOKEN = "privacy-line-access-token-c0ffee77e1"
DISCORD_TOKEN = "privacy-discord-token-MTIzNDU2.Gh7xQk"
SECRETS = [SOUDAN_SECRET, CHANNEL_SECRET, ACCESS_TOKEN, DISCORD_TOKEN]

# What people typed: every text carries a marker no flow, directory or message contains.
PERSONAL = ["山田花子", "090-1234-5678", "hanako@example.jp"]


def typed(marker: str, text: str) -> str:
    return f"{text} 秘密{marker}"


def markers(texts: list[str]) -> list[str]:
    """The whole texts, their markers and the personal details in them: none may be found."""
    return [*texts, *(t.rsplit(" ", 1)[-1] for t in texts if "秘密" in t), *PERSONAL]


def found(haystack: str | bytes, needles: list[str]) -> list[str]:
    """The needles present in ``haystack`` (bytes are searched for the UTF-8 encoding)."""
    if isinstance(haystack, bytes):
        return [n for n in needles if n.encode("utf-8") in haystack]
    return [n for n in needles if n in haystack]


# ------------------------------------------------------------------ stores, read raw

@dataclass
class Backend:
    """A store and a way to read everything it holds as raw bytes."""

    name: str
    store: SessionStore
    path: Path | None = None
    redis: Any = None
    prefix: str = ""
    extra: list[str] = field(default_factory=list)

    async def dump(self) -> bytes:
        if isinstance(self.store, MemoryStore):
            return (repr(self.store._sessions) + repr(self.store._events)).encode("utf-8")
        if isinstance(self.store, SQLiteStore):
            assert self.path is not None
            return b"".join(p.read_bytes() for p in sorted(self.path.parent.glob(self.path.name + "*")))
        out = []
        # COUNT only sizes each SCAN step (every matching key is still returned): the default 10 took
        # thousands of round trips on a test database shared with other runs' keys
        async for k in self.redis.scan_iter(match=self.prefix + "*", count=1000):
            out.append(k)
            kind = await self.redis.type(k)
            out.append(kind)
            out.append(await self.redis.get(k) if kind == b"string" else await self.redis.dump(k))
        return b"\n".join(x for x in out if x)


@pytest.fixture(params=["memory", "sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    if request.param == "memory":
        yield Backend("memory", open_store("memory://"))
        return
    if request.param == "sqlite":
        path = tmp_path / "var" / "soudan.db"
        st = open_store(f"sqlite:///{path}")
        yield Backend("sqlite", st, path=path)
        await st.close()
        return
    import redis.asyncio as aioredis

    url = request.getfixturevalue("redis_url")  # skips (or fails in CI) without a server
    prefix = f"privacy-{uuid.uuid4().hex[:8]}:"
    # simcord's settle (after each Discord event) waits for every timer the bot set that is due
    # before its 5 s deadline; the store's answer watchdog looks first at socket_timeout / 4 and
    # stops there when idle, so at the default 5 s each settle waited 1.25 s for it (~9 s a test).
    # At 30 s its first look is past the deadline: nothing waits for it; no answer here is slow.
    st = RedisStore(url, prefix=prefix, socket_timeout=30)
    r = aioredis.from_url(url)
    try:
        yield Backend("redis", st, redis=r, prefix=prefix)
    finally:
        await st.clear()
        await st.close()
        await r.aclose()


async def _assert_clean(logs: LogCapture, backend: Backend, needles: list[str]) -> None:
    log_text = logs.text()
    assert not found(log_text, needles), f"in the log: {found(log_text, needles)}"
    stored = await backend.dump()
    assert not found(stored, needles), f"stored ({backend.name}): {found(stored, needles)}"


async def _assert_forgotten(backend: Backend, keys: list[str], conversation_ids: list[str]) -> None:
    """Nothing of these users in the store: neither their key (nor its hash part) nor any of their
    conversation ids."""
    assert keys
    stored = await backend.dump()
    needles = keys + [k.split(":", 1)[1] for k in keys] + conversation_ids
    assert not found(stored, needles), f"left after forget ({backend.name}): {found(stored, needles)}"
    for k in keys:
        assert await backend.store.get(k) is None


async def _conversation_id(store: SessionStore, key: str) -> str:
    s = await store.get(key)
    assert s is not None, "no session to forget"
    return s.conversation_id


# ------------------------------------------------------------------ terminal

def test_terminal_chat_logs_nothing_the_person_typed() -> None:
    """``soudan chat`` keeps the session in memory; at DEBUG nothing typed reaches the log."""
    lines = [typed("T1", "こんにちは、山田花子です"), "2", typed("T2", "中学生です"), typed("T3", "死にたい"),
             typed("T4", "090-1234-5678 に電話が来る"), "x" * 400 + typed("T5", ""), "戻る", "データ削除", "消す"]
    out = io.StringIO()
    with LogCapture() as logs:
        TerminalChat(make_engine(), lambda: WEEKDAY_10).run_lines(lines, out, jsonl=True)
    assert "記録をすべて削除しました" in out.getvalue()
    assert not found(logs.text(), markers(lines) + SECRETS)


# ------------------------------------------------------------------ LINE

async def test_line_conversations(aiohttp_client: Any, aiohttp_server: Any, backend: Backend) -> None:
    from bot.devtools.line_fake import FakeLineApi

    fake = FakeLineApi()
    api = await aiohttp_server(fake.app(), access_log=None)  # LINE's side: not our log
    fake.url = str(api.make_url("")).rstrip("/")
    alice, bob, carol = ("U" + uuid.uuid4().hex for _ in range(3))
    fake.languages[alice] = "ja"

    with LogCapture() as logs:
        settings = settings_for(fake, SOUDAN_SECRET=SOUDAN_SECRET, LINE_CHANNEL_SECRET=CHANNEL_SECRET,
                                LINE_CHANNEL_ACCESS_TOKEN=ACCESS_TOKEN, SOUDAN_LOG_LEVEL="DEBUG")
        app = create_app(settings, engine=make_engine(), store=backend.store, clock=lambda: WEEKDAY_10)
        client = await aiohttp_client(app)

        async def send(*events: dict[str, Any]) -> None:
            body = body_of(*events)
            resp = await client.post("/line/webhook", data=body, headers={"X-Line-Signature": sign(body, CHANNEL_SECRET)})
            assert resp.status == 200, await resp.text()

        def qr(token: str, label: str) -> str:
            items = fake.reply_to(token).json["messages"][-1]["quickReply"]["items"]
            found_: list[str] = [i["action"]["data"] for i in items if i["action"]["label"] == label]
            assert found_, [i["action"]["label"] for i in items]
            return found_[0]

        texts = [typed("L1", "こんにちは、山田花子です"), typed("L2", "中学生です"), typed("L3", "死にたい"),
                 typed("L4", "住所と 090-1234-5678 を晒された hanako@example.jp"), "y" * 5000 + typed("L5", ""),
                 typed("L6", "(love)はい")]
        await send(follow_event(user=alice, token="a0"))
        await send(text_event(texts[0], user=alice, token="a1"))
        await send(postback_event(qr("a1", "いいえ"), user=alice, token="a2"))
        await send(text_event(texts[1], user=alice, token="a3"))
        await send(text_event(texts[2], user=alice, token="a4"))
        await send(text_event(texts[3], user=alice, token="a5"))
        await send(text_event(texts[4], user=alice, token="a6"))
        emoji = text_event(texts[5], user=alice, token="a7")
        emoji["message"]["emojis"] = [{"index": 0, "length": 6, "productId": "p", "emojiId": "001"}]
        await send(emoji)
        await send(postback_event(qr("a7", "1"), user=alice, token="a8"))  # 住所や写真を晒された
        await send(text_event("English", user=alice, token="a9"), text_event("戻る", user=alice, token="a10",
                                                                            ts=1_800_000_000_000))
        await send(follow_event(user=bob, token="b0"), text_event(typed("L7", "ストーカーされている"), user=bob, token="b1"))
        group = {"type": "group", "groupId": "C" + uuid.uuid4().hex, "userId": carol}
        await send(text_event(typed("L8", "グループでの相談"), source=group, token="c1"))
        metrics = await (await client.get("/metrics")).text()
        health = await (await client.get("/healthz")).text()

        needles = markers([*texts, typed("L7", "ストーカーされている"), typed("L8", "グループでの相談")])
        needles += [alice, bob, carol, group["groupId"], *SECRETS]
        await _assert_clean(logs, backend, needles)
        assert not found(metrics + health, needles)

        # forget: alice types 「データ削除」, bob blocks the bot (unfollow)
        keys = [user_key("line", u, SOUDAN_SECRET) for u in (alice, bob)]
        convs = [await _conversation_id(backend.store, k) for k in keys]
        await send(text_event("データ削除", user=alice, token="a10"))  # asks first
        await send(text_event("Delete", user=alice, token="a11"))
        assert "All records of this consultation have been deleted" in fake.reply_to("a11").json["messages"][0]["text"]
        await send(line_unfollow(user=bob))
        await _assert_forgotten(backend, keys, convs)
        await _assert_clean(logs, backend, needles)
    assert logs.records, "nothing was logged at all: the capture is not working"


# ------------------------------------------------------------------ the browser simulator

async def test_simulator_conversations(aiohttp_client: Any, backend: Backend) -> None:
    token = "sim" + uuid.uuid4().hex  # the simulator's user id: a random token kept by the page
    with LogCapture() as logs:
        settings = settings_for(_no_api(), SOUDAN_SECRET=SOUDAN_SECRET, LINE_CHANNEL_SECRET=None,
                                LINE_CHANNEL_ACCESS_TOKEN=None, SOUDAN_SIMULATOR=True)
        app = create_app(settings, engine=shipped.engine(), store=backend.store, clock=lambda: WEEKDAY_10)
        client = await aiohttp_client(app)

        async def chat(inp: dict[str, Any]) -> dict[str, Any]:
            resp = await client.post("/api/chat", json={"session_token": token, "input": inp})
            data: dict[str, Any] = await resp.json()
            assert resp.status == 200, data
            return data

        texts = [typed("W1", "山田花子です、相談したい"), typed("W2", "中学生です"), typed("W3", "死にたい"),
                 typed("W4", "090-1234-5678 に電話が来る"), typed("W5", "hanako@example.jp に悪口が届く")]
        await chat({"type": "start"})
        for t in texts:
            await chat({"type": "text", "text": t})
        data = await chat({"type": "text", "text": "2"})
        ask = data["replies"][-1]
        await chat({"type": "pick", "choice": ask["choices"][0]["id"], "state": ask["state_id"],
                    "conversation": ask["conversation_id"]})
        await (await client.get("/api/flows")).read()
        needles = [*markers(texts), token, *SECRETS]
        await _assert_clean(logs, backend, needles)

        key = user_key("web", token, SOUDAN_SECRET)
        conv = await _conversation_id(backend.store, key)
        ask = await chat({"type": "text", "text": "データ削除"})  # asks first
        assert ask["ended"] is False
        end = await chat({"type": "text", "text": "消す"})
        assert end["ended"] is True
        await _assert_forgotten(backend, [key], [conv])
        await _assert_clean(logs, backend, needles)


def _no_api() -> Any:
    class _NoApi:
        url = "http://127.0.0.1:9"

    return _NoApi()


# ------------------------------------------------------------------ Discord

@pytest.fixture
def discord_conversations(backend: Backend) -> Conversations:
    return Conversations(make_engine(), backend.store, SOUDAN_SECRET, clock=lambda: WEEKDAY_10)


@pytest.fixture
def discord_log_level() -> Iterator[None]:
    """What ``soudan serve`` does when Discord is on (bot.adapters.discord.setup): with the root
    logger at DEBUG, the ``discord`` logger is held at INFO (discord.py logs raw gateway payloads
    at DEBUG). Done through the real set-up code; restored afterwards."""
    import logging

    dlog = logging.getLogger("discord")
    saved = dlog.level
    with LogCapture():  # root at DEBUG while the app is built, as in `soudan serve`
        settings = settings_for(_no_api(), SOUDAN_SECRET=SOUDAN_SECRET, DISCORD_TOKEN=DISCORD_TOKEN,
                                LINE_CHANNEL_SECRET=None, LINE_CHANNEL_ACCESS_TOKEN=None)
        create_app(settings, engine=make_engine(), store=open_store("memory://"))
    assert dlog.level == logging.INFO
    yield
    dlog.setLevel(saved)


@pytest.fixture
def simcord_bot(discord_conversations: Conversations, discord_log_level: None) -> SoudanClient:
    return SoudanClient(discord_conversations)


async def test_discord_conversations(simcord_env: simcord.Env, backend: Backend) -> None:
    env = simcord_env
    with LogCapture() as logs:
        user = env.create_user("hanako")
        texts = [typed("D1", "こんにちは、山田花子です"), typed("D2", "中学生です"), typed("D3", "死にたい"),
                 typed("D4", "090-1234-5678 から電話")]
        for t in texts:
            await user.send_dm(t)
        guild = env.create_guild()
        channel = guild.create_text_channel("general")
        member = guild.add_member(env.create_user("taro"))
        await member.slash(channel, "soudan")

        raw_ids = [str(user.id), str(member.id)]
        needles = markers(texts) + raw_ids + SECRETS
        await _assert_clean(logs, backend, needles)

        keys = [user_key("discord", i, SOUDAN_SECRET) for i in raw_ids]
        convs = [await _conversation_id(backend.store, k) for k in keys]
        await user.send_dm("データ削除")  # asks first: 「消す」
        await user.send_dm("消す")
        result = await member.slash(channel, "soudan-forget")
        assert result.ephemeral
        ask = [m for m in [result.response, *result.followups] if m is not None][-1]
        await member.click(ask, label="消す" if "消しますか" in ask.content else "Delete")
        await _assert_forgotten(backend, keys, convs)
        await _assert_clean(logs, backend, needles)


# ------------------------------------------------------------------ Chatwoot and the hand-off (issue #14)

async def test_chatwoot_conversation_and_handoff(aiohttp_client: Any, aiohttp_server: Any, backend: Backend) -> None:
    """Typed text in a Chatwoot conversation, then a consented hand-off and its time-out: nothing typed
    reaches a log, a stored byte, a metric, a call to Chatwoot (messages, the private note) or the
    hand-off summary; データ削除 removes the session and the hand-off."""
    import datetime as dt
    import json

    from bot.app import DESK_KEY, sweep_once
    from bot.settings import ROOT, Settings
    from bot.timeutil import JST
    from tests.adapters.chatwoot.chatwoot_fake import (
        ACCOUNT,
        BOT,
        INBOX,
        TOKEN,
        FakeChatwoot,
        incoming,
        submitted,
    )

    fake = FakeChatwoot()
    api = await aiohttp_server(fake.app(), access_log=None)
    fake.url = str(api.make_url("")).rstrip("/")
    secret = "privacy-chatwoot-webhook-secret-77"
    clock = {"now": dt.datetime(2026, 12, 1, 18, 0, tzinfo=JST)}
    with LogCapture() as logs:
        settings = Settings(_env_file=None, SOUDAN_SECRET=SOUDAN_SECRET, SOUDAN_STORE="memory://",
                            SOUDAN_SIMULATOR=False, SOUDAN_METRICS=True, SOUDAN_LOG_LEVEL="DEBUG",
                            SOUDAN_TEAMS_FILE=str(ROOT / "deploy/teams.example.yaml"), CHATWOOT_URL=fake.url,
                            CHATWOOT_BOT_TOKEN=TOKEN, CHATWOOT_WEBHOOK_SECRET=secret, CHATWOOT_ACCOUNT_ID=ACCOUNT,
                            CHATWOOT_INBOX_ID=INBOX, CHATWOOT_BOT_ID=BOT)
        # the webhook URL carries the secret: no access log, as `soudan serve` runs it (and nginx: access_log off)
        import inspect

        from bot import serve
        assert "access_log=None" in inspect.getsource(serve.main)
        assert "access_log off;" in (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
        app = create_app(settings, engine=shipped.engine(settings.teams_file), store=backend.store,
                         clock=lambda: clock["now"])
        server = await aiohttp_server(app, access_log=None)
        client = await aiohttp_client(server)
        conv = 900

        async def hook(body: dict[str, Any]) -> None:
            resp = await client.post(f"/chatwoot/webhook/{secret}", data=json.dumps(body, ensure_ascii=False).encode())
            assert resp.status == 200, await resp.text()

        def offered(choice: str) -> bool:
            items = [m for m in fake.public(conv) if m["content_type"] == "input_select"][-1]["content_attributes"]
            return any(i["value"].split("|")[0] == choice for i in items["items"])

        async def press(choice: str) -> None:
            items = [m for m in fake.public(conv) if m["content_type"] == "input_select"][-1]["content_attributes"]
            item = next(i for i in items["items"] if i["value"].split("|")[0] == choice)
            await hook(submitted(conv, item["value"], item["title"]))

        texts = [typed("C1", "こんにちは、山田花子です"), typed("C2", "中学生です 090-1234-5678"),
                 typed("C3", "hanako@example.jp に連絡して")]
        for t in texts:
            await hook(incoming(conv, t))
        for choice in ["none", "pupil", "def", "other", ":handoff", ":handoff-yes"]:
            if choice == "pupil" and not offered(choice):
                continue  # 「中学生です」 (C2) already answered the who question: it is confirmed, not asked (#11)
            await press(choice)
        await hook(incoming(conv, typed("C4", "相談員さんへ、住所は東京都"), status="open"))   # people have it: silent
        record = client.app[DESK_KEY].record_of(user_key("chatwoot", f"{ACCOUNT}:{conv}", SOUDAN_SECRET))
        assert record is not None and record.summary is not None
        summary = json.dumps(record.summary.to_dict(), ensure_ascii=False)
        clock["now"] += dt.timedelta(minutes=11)
        await sweep_once(client.app)
        metrics = await (await client.get("/metrics")).text()

        all_texts = [*texts, typed("C4", "相談員さんへ、住所は東京都")]
        needles = markers(all_texts) + SECRETS + [secret]
        assert fake.notes(conv), "no hand-off note was posted"
        assert not found(json.dumps([c.json for c in fake.calls], ensure_ascii=False), needles)
        assert not found(summary, needles)
        assert not found(metrics, needles)
        await _assert_clean(logs, backend, needles)

        key = user_key("chatwoot", f"{ACCOUNT}:{conv}", SOUDAN_SECRET)
        cid = await _conversation_id(backend.store, key)
        await hook(incoming(conv, "データ削除"))  # asks first
        await hook(incoming(conv, "消す"))
        await _assert_forgotten(backend, [key], [cid])
        assert client.app[DESK_KEY].record_of(key) is None
        await _assert_clean(logs, backend, needles)
