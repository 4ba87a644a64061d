"""Fixtures of the Chatwoot tests: the fake Chatwoot API on loopback and an app wired to it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.adapters.chatwoot.chatwoot_fake import Clock, FakeChatwoot
from tests.adapters.chatwoot.chatwoot_kit import make_client


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
    return await make_client(aiohttp_client, fake, clock)
