"""Chatwoot helpers: the fake Chatwoot API (chatwoot_fake.py beside this file) and an app wired to it.

Fixture names carry ``cw_`` so they do not shadow the LINE ``fake``/``client`` of conftest.py.
"""

from __future__ import annotations

import json
from typing import Any

from bot.app import create_app
from bot.settings import ROOT, Settings
from bot.store import open_store
from tests import shipped
from tests.adapters.chatwoot.chatwoot_fake import ACCOUNT, BOT, INBOX, SECRET, TOKEN, Clock, FakeChatwoot

__all__ = ["Clock", "FakeChatwoot", "hook", "make_client", "make_fake", "press", "selects"]


async def make_fake(aiohttp_server: Any) -> FakeChatwoot:
    api = FakeChatwoot()
    server = await aiohttp_server(api.app(), access_log=None)
    api.url = str(server.make_url("")).rstrip("/")
    return api


async def make_client(aiohttp_client: Any, fake: FakeChatwoot, clock: Clock, *, account: int = ACCOUNT,
                      store: str = "memory://") -> Any:
    settings = Settings(_env_file=None, SOUDAN_SECRET="s" * 24, SOUDAN_STORE="memory://", SOUDAN_SIMULATOR=False,
                        SOUDAN_METRICS=True, SOUDAN_TEAMS_FILE=str(ROOT / "deploy/teams.example.yaml"),
                        CHATWOOT_URL=fake.url, CHATWOOT_BOT_TOKEN=TOKEN, CHATWOOT_WEBHOOK_SECRET=SECRET,
                        CHATWOOT_ACCOUNT_ID=account, CHATWOOT_INBOX_ID=INBOX, CHATWOOT_BOT_ID=BOT)
    engine = shipped.engine(settings.teams_file)  # the shipped files, loaded once per process
    return await aiohttp_client(create_app(settings, engine=engine, store=open_store(store), clock=clock))


async def hook(client: Any, body: dict[str, Any] | bytes) -> int:
    data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    resp = await client.post(f"/chatwoot/webhook/{SECRET}", data=data, headers={"Content-Type": "application/json"})
    await resp.read()
    return int(resp.status)


def selects(fake: FakeChatwoot, conv: int) -> dict[str, str]:
    """choice id → option value of the last ``input_select`` posted to ``conv``."""
    msgs = [m for m in fake.public(conv) if m["content_type"] == "input_select"]
    assert msgs, fake.public(conv)
    return {i["value"].split("|")[0]: i["value"] for i in msgs[-1]["content_attributes"]["items"]}


async def press(client: Any, fake: FakeChatwoot, conv: int, choice: str, *, status: str = "pending") -> None:
    from tests.adapters.chatwoot.chatwoot_fake import submitted

    value = selects(fake, conv)[choice]
    assert await hook(client, submitted(conv, value, choice, status=status)) == 200
