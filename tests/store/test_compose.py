"""docker-compose.yml, Dockerfile, deploy/nginx.conf and .env.example agree with the app.

There is no Docker engine on the test machines, so this checks what can be checked without
one: the files parse; every variable a service sets is a setting soudan reads; every command is
a valid ``soudan`` command line; health checks hit ``/healthz``; nginx balances exactly the
webhook replicas; Redis is the store of every replica; ``.env.example`` documents every setting.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import build_parser
from bot.settings import Settings
from bot.store import open_store
from bot.store.redis import RedisStore

ROOT = Path(__file__).resolve().parents[2]
DESIGN_COMMANDS = {"chat", "serve", "validate", "test", "graph", "contacts", "schema"}  # DESIGN.md §6
ALIASES = {f.alias for f in Settings.model_fields.values() if f.alias}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict) and isinstance(data.get("services"), dict)
    return data


def soudan_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: s for n, s in compose["services"].items() if s.get("build") or str(s.get("image", "")).startswith("soudan")}


def env_of(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def command_of(service: dict[str, Any]) -> list[str]:
    cmd = service.get("command")
    return cmd.split() if isinstance(cmd, str) else list(cmd or [])


def test_the_deployment_has_redis_two_webhook_replicas_a_discord_worker_and_nginx(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert "redis" in services and "nginx" in services
    ours = soudan_services(compose)
    webhooks = [n for n, s in ours.items() if env_of(s).get("DISCORD_TOKEN", "x") == ""]
    workers = [n for n, s in ours.items() if env_of(s).get("LINE_CHANNEL_SECRET", "x") == ""]
    assert len(webhooks) >= 2, "at least two webhook replicas (DISCORD_TOKEN blanked)"
    assert len(workers) == 1, "exactly one Discord worker (LINE credentials blanked): one gateway connection"
    assert not set(webhooks) & set(workers)


def test_every_variable_a_service_sets_is_a_setting_soudan_reads(compose: dict[str, Any]) -> None:
    for name, svc in soudan_services(compose).items():
        unknown = set(env_of(svc)) - ALIASES
        assert not unknown, f"{name}: {sorted(unknown)} are not settings (bot/settings.py aliases: {sorted(ALIASES)})"
        assert svc.get("env_file") in (".env", [".env"]), f"{name}: settings come from .env"


def test_every_replica_shares_one_redis(compose: dict[str, Any]) -> None:
    for name, svc in soudan_services(compose).items():
        url = env_of(svc).get("SOUDAN_STORE")
        assert url == "redis://redis:6379/0", name
        assert isinstance(open_store(url), RedisStore)
        assert "redis" in (svc.get("depends_on") or {}), f"{name} must start after redis"


def test_every_command_is_a_valid_soudan_command_line(compose: dict[str, Any]) -> None:
    parser = build_parser()
    for name, svc in soudan_services(compose).items():
        argv = command_of(svc)
        assert argv and argv[0] in DESIGN_COMMANDS, f"{name}: {argv}"
        args = parser.parse_args(argv)  # exits (SystemExit) on an unknown option
        assert args.command == "serve"
        assert args.host == "0.0.0.0", f"{name} must listen on all interfaces inside its container"


def test_the_image_runs_soudan_serve_by_default() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r'^ENTRYPOINT \["soudan"\]$', text, re.M)
    cmd = re.search(r"^CMD (\[.*\])$", text, re.M)
    assert cmd is not None
    args = build_parser().parse_args(yaml.safe_load(cmd.group(1)))
    assert args.command == "serve"
    for var in re.findall(r"\b(SOUDAN_[A-Z_]+|LINE_[A-Z_]+|DISCORD_[A-Z_]+)=", text):
        assert var in ALIASES, var
    assert "/healthz" in text
    assert (ROOT / ".dockerignore").read_text().count(".env") >= 1, "never bake .env into the image"


MONITORING = {"prometheus": "/-/healthy", "grafana": "/api/health"}
"""The monitoring services (docs/operations.md) and their own health endpoints."""


def test_health_checks_hit_healthz(compose: dict[str, Any]) -> None:
    for name, svc in compose["services"].items():
        test = svc.get("healthcheck", {}).get("test")
        assert test, f"{name} has no health check"
        joined = " ".join(test) if isinstance(test, list) else str(test)
        if name == "redis":
            assert "ping" in joined
        elif name in MONITORING:
            assert MONITORING[name] in joined, name
        else:
            assert "/healthz" in joined, name
    nginx_deps = compose["services"]["nginx"].get("depends_on", {})
    assert all(v.get("condition") == "service_healthy" for v in nginx_deps.values())


def test_nginx_balances_exactly_the_webhook_replicas(compose: dict[str, Any]) -> None:
    nginx = compose["services"]["nginx"]
    mounts = [v.split(":")[0] for v in nginx.get("volumes", [])]
    assert "./deploy/nginx.conf" in mounts
    conf = (ROOT / "deploy/nginx.conf").read_text(encoding="utf-8")
    upstream = re.search(r"upstream soudan \{(.*?)\}", conf, re.S)
    assert upstream is not None
    servers = set(re.findall(r"^\s*server ([\w-]+):(\d+)", upstream.group(1), re.M))
    ours = soudan_services(compose)
    webhooks = {(n, env_of(s)["SOUDAN_PORT"]) for n, s in ours.items() if env_of(s).get("DISCORD_TOKEN", "x") == ""}
    assert servers == webhooks
    assert "location = /line/webhook" in conf and "location = /healthz" in conf
    assert conf.count("{") == conf.count("}")


def test_env_example_documents_every_setting() -> None:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, re.M))
    assert not ALIASES - documented, f"missing from .env.example: {sorted(ALIASES - documented)}"
    assert documented <= ALIASES, f"not settings: {sorted(documented - ALIASES)}"


def test_env_example_values_are_accepted_by_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ALIASES:
        monkeypatch.delenv(name, raising=False)
    s = Settings(_env_file=ROOT / ".env.example")
    open_store(s.store)
    assert s.session_ttl == 24 * 3600
