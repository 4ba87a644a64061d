"""Exposure: what ``soudan serve`` shows to the network, and where secrets may come from.

- The server binds to 127.0.0.1 by default; the browser simulator (``/``, ``/api/*``) and
  ``/metrics`` are on for a loopback bind and off for any other bind unless explicitly enabled
  (``SOUDAN_SIMULATOR``, ``SOUDAN_METRICS``). ``/healthz`` and the LINE webhook are always there
  (which routes the app serves for each: tests/test_app.py).
- ``soudan serve`` refuses a public bind with the development ``SOUDAN_SECRET``, the
  ``.env.example`` placeholder or a secret shorter than 16 characters.
- Secrets come from the environment or ``.env`` only: no YAML is read for settings, a flow or
  directory file that tries to hold one is refused, settings never show them in a repr, and a
  store URL's password is shown as ``***`` in errors and logs.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

from bot import serve
from bot.app import create_app, metrics_enabled, simulator_enabled
from bot.errors import ProblemsError
from bot.loading import load_all
from bot.settings import DEV_SECRET, Settings
from bot.store import open_store
from tests import shipped
from tests.conftest import TINY_DIRECTORY, TINY_FLOW, bare_settings, write
from tests.hardening.hardkit import LogCapture

LOOPBACK = ["127.0.0.1", "localhost", "::1", "127.0.0.2"]
PUBLIC = ["0.0.0.0", "::", "", "192.168.1.10", "10.0.0.5", "203.0.113.7", "example.org",
          "127.0.0.1.nip.io", "127.attacker.example"]


pytestmark = pytest.mark.usefixtures("no_soudan_env")


def test_the_default_bind_is_loopback() -> None:
    s = Settings(_env_file=None)
    assert (s.host, s.port) == ("127.0.0.1", 8080)
    assert s.loopback and simulator_enabled(s) and metrics_enabled(s)


@pytest.mark.parametrize("host", LOOPBACK)
def test_loopback_hosts(host: str) -> None:
    assert bare_settings(SOUDAN_HOST=host).loopback


@pytest.mark.parametrize("host", PUBLIC)
def test_anything_else_is_public(host: str) -> None:
    """Including host names that only look like 127.x (they resolve wherever DNS says) and ""
    (aiohttp binds every interface for an empty host)."""
    s = bare_settings(SOUDAN_HOST=host)
    assert not s.loopback
    assert not simulator_enabled(s) and not metrics_enabled(s)


# ------------------------------------------------------------------ soudan serve refusals

@pytest.mark.parametrize("host", PUBLIC)
@pytest.mark.parametrize("secret", [DEV_SECRET, serve.EXAMPLE_SECRET, "", "short-secret"])
def test_serve_refuses_a_public_bind_with_a_weak_secret(host: str, secret: str) -> None:
    problems = serve.check_settings(bare_settings(SOUDAN_HOST=host, SOUDAN_SECRET=secret))
    assert problems and any("SOUDAN_SECRET" in p for p in problems)
    assert all(secret not in p for p in problems if secret)  # the message never repeats the secret


@pytest.mark.parametrize("host", LOOPBACK)
def test_loopback_accepts_the_development_secret(host: str) -> None:
    assert serve.check_settings(bare_settings(SOUDAN_HOST=host, SOUDAN_SECRET=DEV_SECRET)) == []


@pytest.mark.parametrize("secret", [DEV_SECRET, serve.EXAMPLE_SECRET, "short-secret"])
@pytest.mark.parametrize("platform", [{"LINE_CHANNEL_SECRET": "x", "LINE_CHANNEL_ACCESS_TOKEN": "y"},
                                      {"DISCORD_TOKEN": "z"}], ids=["line", "discord"])
def test_loopback_with_real_line_or_discord_refuses_a_weak_secret(secret: str, platform: dict[str, str]) -> None:
    """`cp .env.example .env` with LINE credentials, behind nginx on the same host (127.0.0.1), started
    silently with the placeholder: every LINE user's key was made with a public value (trial F8)."""
    problems = serve.check_settings(bare_settings(SOUDAN_HOST="127.0.0.1", SOUDAN_SECRET=secret, **platform))
    assert problems and any("SOUDAN_SECRET" in p and "LINE or Discord" in p for p in problems)
    assert all(secret not in p for p in problems)


def test_the_local_line_fake_keeps_the_development_secret() -> None:
    """`make line-dev`: LINE credentials against a local fake API (LINE_API_BASE), nobody real."""
    assert serve.check_settings(bare_settings(SOUDAN_HOST="127.0.0.1", SOUDAN_SECRET=DEV_SECRET, LINE_CHANNEL_SECRET="x",
                                              LINE_CHANNEL_ACCESS_TOKEN="y", LINE_API_BASE="http://127.0.0.1:8099")) == []


def test_public_bind_with_a_real_secret_is_accepted() -> None:
    assert serve.check_settings(bare_settings(SOUDAN_HOST="0.0.0.0", SOUDAN_SECRET="a" * 16)) == []


def test_an_empty_secret_is_refused_even_on_loopback() -> None:
    assert serve.check_settings(bare_settings(SOUDAN_SECRET=""))


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_soudan_serve_exits_2_before_binding(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str], host: str) -> None:
    """The whole command: the .env.example placeholder in a .env file, a public host → exit 2."""
    (tmp_path / ".env").write_text(f"SOUDAN_SECRET={serve.EXAMPLE_SECRET}\nSOUDAN_STORE=memory://\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert serve.main(argparse.Namespace(host=host, port=0)) == 2
    err = capsys.readouterr().err
    assert "placeholder from .env.example" in err and "bind to 127.0.0.1" in err


# ------------------------------------------------------------------ secrets

def test_secrets_come_from_the_environment_or_dotenv_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("SOUDAN_SECRET=from-dotenv-0123456789\nLINE_CHANNEL_SECRET=line-from-dotenv\n",
                                   encoding="utf-8")
    for name in ("soudan.yaml", "settings.yaml", "config.yaml", ".soudan.yaml"):
        (tmp_path / name).write_text("SOUDAN_SECRET: from-yaml\nsecret: from-yaml\nLINE_CHANNEL_SECRET: from-yaml\n",
                                     encoding="utf-8")
    s = Settings()
    assert s.secret.get_secret_value() == "from-dotenv-0123456789"
    assert s.line_channel_secret is not None and s.line_channel_secret.get_secret_value() == "line-from-dotenv"
    monkeypatch.setenv("SOUDAN_SECRET", "from-env-0123456789")
    assert Settings().secret.get_secret_value() == "from-env-0123456789"  # the environment wins


def test_settings_never_show_their_secrets() -> None:
    s = bare_settings(SOUDAN_SECRET="sekrit-soudan-0123456789", LINE_CHANNEL_SECRET="sekrit-line",
                  LINE_CHANNEL_ACCESS_TOKEN="sekrit-token", DISCORD_TOKEN="sekrit-discord")
    shown = repr(s) + str(s) + s.model_dump_json()
    assert "sekrit" not in shown


@pytest.mark.parametrize("where", ["flow", "directory"])
def test_a_secret_in_yaml_is_refused(tmp_path: Path, where: str) -> None:
    """Flows and directory entries accept no unknown key, so nobody can park a token in them."""
    flow = TINY_FLOW + ("line_channel_access_token: abc\n" if where == "flow" else "")
    directory = TINY_DIRECTORY.replace("  cost: free\n", "  cost: free\n  token: abc\n", 1) if where == "directory" \
        else TINY_DIRECTORY
    f = write(tmp_path, "flows/tiny.yaml", flow)
    d = write(tmp_path, "directory/test.yaml", directory)
    with pytest.raises(ProblemsError) as info:
        load_all([f], [d])
    assert any("token" in str(e) for e in info.value.errors)


async def test_a_store_password_is_never_logged_or_shown(aiohttp_client: Any) -> None:
    url = "redis://:hunter2-store-password@127.0.0.1:1/0"
    with LogCapture() as logs:
        client = await aiohttp_client(create_app(bare_settings(SOUDAN_STORE=url), engine=shipped.engine()))  # nothing listens on port 1
        resp = await client.get("/healthz")
        body = await resp.text()
    assert resp.status == 503
    assert "hunter2" not in body
    assert "hunter2" not in logs.text()
    assert "redis://:***@127.0.0.1:1/0" in logs.text()  # the log still says which store
    assert "hunter2" not in repr(open_store(url))


def test_the_compose_deployment_publishes_only_the_webhook_and_healthz() -> None:
    """Only nginx publishes a port, and it passes on only /line/webhook and /healthz."""
    import re

    import yaml

    root = Path(__file__).resolve().parents[2]
    compose = yaml.safe_load((root / "docker-compose.yml").read_text(encoding="utf-8"))
    published = {name for name, svc in compose["services"].items()
                 if any(not str(p).startswith("127.0.0.1:") for p in svc.get("ports", []))}
    assert published == {"nginx"}
    # the dashboard (Grafana) is on the host's loopback only, never on other machines' reach
    loopback = {name for name, svc in compose["services"].items()
                if svc.get("ports") and name != "nginx"}
    assert loopback <= {"grafana"}
    conf = (root / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    locations = re.findall(r"location\s+(=\s*)?(\S+)\s*\{(.*?)\}", conf, re.S)
    passed = {path for _, path, body in locations if "proxy_pass" in body}
    assert passed == {"/line/webhook", "/healthz", "/chatwoot/webhook/"}
    catch_all = [body for exact, path, body in locations if path == "/" and not exact]
    assert catch_all and "return 404" in catch_all[0]
