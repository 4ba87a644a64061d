"""bot/app.py: the application ``create_app`` builds — which routes it serves for a loopback or a
public bind (the simulator, ``/metrics``, ``/healthz``; see also tests/hardening/test_exposure.py)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import create_app
from tests import shipped
from tests.conftest import bare_settings

pytestmark = pytest.mark.usefixtures("no_soudan_env")


async def _status(client: Any, method: str, path: str, **kw: Any) -> int:
    resp = await client.request(method, path, **kw)
    await resp.read()
    return int(resp.status)


SIM_PATHS = [("GET", "/"), ("GET", "/api/flows"), ("GET", "/api/source"), ("GET", "/static/app.js"),
             ("POST", "/api/chat")]


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10"])
async def test_public_bind_serves_neither_simulator_nor_metrics(aiohttp_client: Any, host: str) -> None:
    client = await aiohttp_client(create_app(bare_settings(SOUDAN_HOST=host), engine=shipped.engine()))
    for method, path in SIM_PATHS:
        assert await _status(client, method, path, json={"input": {"type": "start"}}) in (404, 405), path
    assert await _status(client, "GET", "/metrics") == 404
    assert await _status(client, "GET", "/healthz") == 200


async def test_loopback_bind_serves_both(aiohttp_client: Any) -> None:
    client = await aiohttp_client(create_app(bare_settings(SOUDAN_HOST="127.0.0.1"), engine=shipped.engine()))
    for method, path in SIM_PATHS:
        assert await _status(client, method, path, json={"input": {"type": "start"}}) == 200, path
    assert await _status(client, "GET", "/metrics") == 200


async def test_public_bind_serves_them_only_when_enabled_explicitly(aiohttp_client: Any) -> None:
    app = create_app(bare_settings(SOUDAN_HOST="0.0.0.0", SOUDAN_SIMULATOR="true", SOUDAN_METRICS="true"),
                     engine=shipped.engine())
    client = await aiohttp_client(app)
    assert await _status(client, "GET", "/") == 200
    assert await _status(client, "GET", "/metrics") == 200


async def test_loopback_can_switch_them_off(aiohttp_client: Any) -> None:
    client = await aiohttp_client(create_app(bare_settings(SOUDAN_SIMULATOR="false", SOUDAN_METRICS="false"),
                                                       engine=shipped.engine()))
    assert await _status(client, "GET", "/") == 404
    assert await _status(client, "GET", "/metrics") == 404
