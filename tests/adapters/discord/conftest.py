"""Fixtures for the Discord adapter tests: engines from small YAML, a memory store, a frozen clock,
mock interactions for callback-level tests and a :mod:`simcord` environment for real dispatch.

Nothing here touches the network: simcord replaces discord.py's HTTP client and gateway with an
in-memory Discord.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord
import pytest
import yaml

from bot.adapters.discord import SoudanClient
from bot.engine.core import Engine
from bot.loading import build_engine
from bot.service import Conversations
from bot.store.memory import MemoryStore
from tests.conftest import TINY_DIRECTORY, TINY_FLOW, WEEKDAY_10, write

LONG_STATE = "result-" + "x" * 90
"""A state id so long that a button's custom_id must hash it (custom_ids are ≤100 characters)."""

LONG_LEAD_LINE = "相談の前に読んでください。" * 5  # 65 characters
LONG_LEAD = "\n".join(f"{i:02d} {LONG_LEAD_LINE}" for i in range(40))
"""About 2,700 characters on 40 lines: must be split at a line boundary."""


def _extra_directory() -> str:
    long_hours = "\n".join(f"{i:02d}: " + "月曜から金曜の9時から17時まで受け付けています。" * 3 for i in range(40))
    entries: list[dict[str, Any]] = [
        {
            "id": "web_line", "name": {"ja": "ウェブ相談", "en": "Web help"}, "org": "テスト機関",
            "role": {"ja": "書き込みの削除の相談に応じます。", "en": "Helps with removal requests."},
            "phones": [{"number": "03-5467-2455", "label": {"ja": "東京", "en": "Tokyo"}}],
            "channels": [
                {"kind": "form", "url": "https://example.org/form", "label": {"ja": "相談フォーム", "en": "Web form"}},
                {"kind": "mail", "url": "mailto:help@example.org", "label": "メール"},
            ],
            "hours": "Mo-Fr 09:00-17:00", "hours_text": "平日 9:00〜17:00", "cost": "charged",
            "topics": ["DEF", "HAR"], "eligibility": {"text": "どなたでも"}, "caveats": ["通話料がかかります"],
            "source": "https://example.org/web", "verified": "2026-11-30",
        },
        {
            "id": "long_card", "name": {"ja": "とても長い説明の窓口", "en": "A window with long texts"},
            "org": "テスト機関", "phones": [{"number": "0120-279-338"}],
            "channels": [{"kind": "web", "url": f"https://example.org/long/{i}", "label": f"ページ{i}"}
                         for i in range(3)],
            "hours": "24/7", "hours_text": long_hours, "cost": "free", "topics": ["DIS"],
            "caveats": [f"注意{i}: " + "この窓口についての大切なお知らせです。" * 12 for i in range(30)],
            "source": "https://example.org/long", "verified": "2026-11-30",
        },
    ]
    for i in range(12):
        entries.append({
            "id": f"extra_{i:02d}", "name": f"追加の窓口{i:02d}", "org": "テスト機関",
            "phones": [{"number": "0570-003-110"}], "hours": "Mo-Fr 09:00-17:00",
            "hours_text": "平日 9:00〜17:00", "cost": "navi-dial", "topics": ["HAR"],
            "channels": [{"kind": "web", "url": f"https://example.org/extra/{i}/{j}", "label": f"リンク{j}"}
                         for j in range(3)],
            "source": f"https://example.org/extra/{i}", "verified": "2026-11-30",
        })
    return yaml.safe_dump(entries, allow_unicode=True, sort_keys=False)


def _long_flow() -> str:
    flow = {
        "id": "long", "title": {"ja": "長い", "en": "Long"}, "start": "pick", "fallback": ["night_line"],
        "states": {
            "pick": {
                "ask": {"ja": "どれにあてはまりますか？", "en": "Which fits?"},
                "choices": [{"id": f"c{i:02d}", "label": {"ja": f"選択肢{i:02d}", "en": f"Choice {i:02d}"},
                             "goto": LONG_STATE} for i in range(1, 31)],
            },
            LONG_STATE: {
                "refer": {
                    "text": {"ja": LONG_LEAD, "en": LONG_LEAD},
                    "contacts": ["long_card", "web_line", *[f"extra_{i:02d}" for i in range(12)], "night_line"],
                    "steps": [{"ja": "証拠を保存しましょう。", "en": "Save evidence."}],
                },
            },
        },
    }
    return yaml.safe_dump(flow, allow_unicode=True, sort_keys=False)


@pytest.fixture(scope="session")
def discord_paths(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], list[Path]]:
    """([tiny flow, long flow], [tiny directory, extra directory]), written once per test process
    (no test writes to them)."""
    tmp = tmp_path_factory.mktemp("discord")
    d1 = write(tmp, "directory/test.yaml", TINY_DIRECTORY)
    d2 = write(tmp, "directory/extra.yaml", _extra_directory())
    f1 = write(tmp, "flows/tiny.yaml", TINY_FLOW)
    f2 = write(tmp, "flows/long.yaml", _long_flow())
    return [f1, f2], [d1, d2]


@pytest.fixture(scope="session")
def discord_engines(discord_paths: tuple[list[Path], list[Path]]) -> dict[str, Engine]:
    """Default flow (``tiny``, ``long``) → the engine over :func:`discord_paths`, built once per
    test process: an engine holds no conversation state (sessions live in the store), so the
    tests share them as the server shares one between conversations."""
    return {flow: build_engine(*discord_paths, default_flow=flow, idle_timeout=3600) for flow in ("tiny", "long")}


@pytest.fixture
def clock() -> Callable[[], dt.datetime]:
    """A frozen clock: Tuesday 2026-12-01 10:00 JST (weekday lines are open)."""
    return lambda: WEEKDAY_10


@pytest.fixture
def store() -> MemoryStore:
    """One memory store per test, shared by every client built in it (a restart keeps it)."""
    return MemoryStore()


@pytest.fixture
def conversations(discord_engines: dict[str, Engine], store: MemoryStore,
                  clock: Callable[[], dt.datetime]) -> Conversations:
    """Conversations over the tiny flow (the default) and the long flow, on the memory store."""
    return Conversations(discord_engines["tiny"], store, "test-secret", clock=clock)


@pytest.fixture
def long_conversations(discord_engines: dict[str, Engine], store: MemoryStore,
                       clock: Callable[[], dt.datetime]) -> Conversations:
    """Conversations whose default flow is the long one (30 choices, over-long result)."""
    return Conversations(discord_engines["long"], store, "test-secret", clock=clock)


@pytest.fixture
def simcord_bot(conversations: Conversations) -> SoudanClient:
    """The bot simcord runs (``simcord_env`` fixture of simcord's pytest plugin)."""
    return SoudanClient(conversations)


# ------------------------------------------------------------------ mock interactions

_ids = itertools.count(10_000)


class Sent:
    """Everything a mocked interaction sent: ``defer`` calls, followups and DMs, in order."""

    def __init__(self, interaction: Any) -> None:
        self.i = interaction

    @property
    def followups(self) -> list[dict[str, Any]]:
        """Keyword arguments of each ``interaction.followup.send`` call (content given positionally too)."""
        out = []
        for call in self.i.followup.send.await_args_list:
            kw = dict(call.kwargs)
            if call.args:
                kw["content"] = call.args[0]
            out.append(kw)
        return out

    def texts(self) -> str:
        """All followup content joined (for ``in`` checks)."""
        return "\n".join(f.get("content", "") for f in self.followups)


def make_interaction(client: SoudanClient, *, guild: bool = True, locale: discord.Locale = discord.Locale.japanese,
                     user_id: int = 4242, data: dict[str, Any] | None = None) -> MagicMock:
    """A ``MagicMock(spec=discord.Interaction)`` wired like a real one enough for our handlers.

    ``response.defer``/``followup.send``/``user.send``/``channel.send`` are AsyncMocks;
    ``response.is_done()`` turns True after ``defer`` (as discord.py does).
    """
    i = MagicMock(spec=discord.Interaction)
    i.client = client
    i.id = next(_ids)
    i.guild_id = 777 if guild else None
    i.locale = locale
    i.data = data or {}
    i.user = MagicMock()
    i.user.id = user_id
    i.user.send = AsyncMock()
    i.channel = MagicMock(spec=discord.TextChannel)
    i.channel.send = AsyncMock()
    done = {"v": False}
    i.response = MagicMock()
    i.response.is_done = MagicMock(side_effect=lambda: done["v"])

    async def defer(**kw: Any) -> None:
        done["v"] = True

    i.response.defer = AsyncMock(side_effect=defer)
    i.response.send_message = AsyncMock()
    i.delete_original_response = AsyncMock()
    i.followup = MagicMock()
    i.followup.send = AsyncMock()
    return i


@pytest.fixture
def mock_client(conversations: Conversations) -> Iterator[SoudanClient]:
    """A client that is never connected (for direct callback tests)."""
    yield SoudanClient(conversations, sync_commands=False)
