"""Fixtures of the Chatwoot tests: the fake Chatwoot API on loopback and an app wired to it."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import create_app
from bot.settings import ROOT, Settings
from bot.store import open_store
from tests.adapters.chatwoot.chatwoot_fake import ACCOUNT, BOT, INBOX, SECRET, TOKEN, Clock, FakeChatwoot


@pytest.fixture
async def fake(aiohttp_server: Any) -> FakeChatwoot:
    api = FakeChatwoot()
    server = await aiohttp_server(api.app())
    api.url = str(server.make_url("")).rstrip("/")
    return api


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def client(aiohttp_client: Any, fake: FakeChatwoot, clock: Clock) -> Any:
    settings = Settings(_env_file=None, SOUDAN_SECRET="s" * 24, SOUDAN_STORE="memory://", SOUDAN_SIMULATOR=False,
                        SOUDAN_METRICS=True, SOUDAN_TEAMS_FILE=str(ROOT / "deploy/teams.example.yaml"),
                        CHATWOOT_URL=fake.url, CHATWOOT_BOT_TOKEN=TOKEN, CHATWOOT_WEBHOOK_SECRET=SECRET,
                        CHATWOOT_ACCOUNT_ID=ACCOUNT, CHATWOOT_INBOX_ID=INBOX, CHATWOOT_BOT_ID=BOT)
    return await aiohttp_client(create_app(settings, store=open_store("memory://"), clock=clock))
