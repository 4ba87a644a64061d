"""Settings from the environment or ``.env`` (pydantic-settings). Secrets never come from YAML.

Every variable is documented in ``.env.example``.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEV_SECRET", "MAX_BODY", "ROOT", "SESSION_TTL", "Settings"]

ROOT = Path(__file__).resolve().parents[1]
"""The project folder (holds flows/ and directory/ in a source checkout)."""

SESSION_TTL = 24 * 3600.0
"""Seconds a session lives without activity (``SOUDAN_SESSION_TTL``'s default; the engine's and the
stores' default too): after it the next message starts again politely."""

MAX_BODY = 1024 * 1024
"""Largest request body the server reads, in bytes (1 MiB: the app's ``client_max_size`` and the LINE
webhook's limit); a larger one gets 413."""

DEV_SECRET = "dev-only-not-secret"
"""The development default of ``SOUDAN_SECRET``; ``soudan serve`` refuses it on a public bind."""


class Settings(BaseSettings):
    """Runtime settings.

    Attributes:
        secret: key for hashing platform user ids (``SOUDAN_SECRET``); a development default is
            used by ``soudan chat`` only — ``soudan serve`` on a public bind refuses the default.
        store: ``memory://``, ``sqlite:///var/soudan.db`` (default) or ``redis://host:6379/0``.
        session_ttl: seconds a session lives without activity (also its store TTL).
        send_lease: seconds a process that committed an event's replies has to send them before a
            redelivery of the event sends them instead (``SOUDAN_SEND_LEASE``, default 60).
        flows_dir, directory_dir: where the YAML lives.
        default_flow: flow id to start with.
        host, port: where ``soudan serve`` listens (127.0.0.1:8080 by default).
        line_channel_secret, line_channel_access_token: LINE Messaging API credentials.
        line_api_base: Messaging API host override (a local fake in tests).
        line_push_fallback: push the reply when the reply token has expired.
        line_redelivery: whether the channel's webhook redelivery is on in the LINE Developers
            console (``LINE_REDELIVERY=on|off``, default ``off`` as the console's default). Off: an
            event the store failed on gets the short apology (try again; 110 and 119) through its
            reply token and the webhook answers 200, since nothing will be redelivered. On: the
            webhook answers 500 and sends nothing, and LINE's redelivery is handled exactly once.
        discord_token: Discord bot token; Discord runs when set.
        simulator: serve the browser simulator at ``/`` (default on for a loopback bind).
        metrics: serve ``/metrics`` (default on for a loopback bind).
        teams_file: the teams people can be handed over to (``deploy/teams.example.yaml``); none
            when unset: no result offers a hand-off.
        chatwoot_url, chatwoot_bot_token, chatwoot_webhook_secret, chatwoot_account_id,
            chatwoot_inbox_id, chatwoot_bot_id: the Chatwoot Agent Bot (:mod:`bot.adapters.chatwoot`);
            it runs when the URL, token and secret are set.
        discord_guilds_file: where ``/soudan-moderators`` stores each server's moderators' channel
            and role (JSON).
        event_loop: the event loop of ``soudan serve`` (``SOUDAN_EVENT_LOOP``): ``auto``
            (default: uvloop when installed — a dependency on Linux and macOS — else asyncio's
            own), ``uvloop`` (refuse to start without it) or ``asyncio``. On the LINE benchmark
            uvloop takes ~10 % fewer instructions per webhook event (callgrind, 2026-12-01).
    """

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      populate_by_name=True)

    secret: SecretStr = Field(SecretStr(DEV_SECRET), alias="SOUDAN_SECRET")
    store: str = Field("sqlite:///var/soudan.db", alias="SOUDAN_STORE")
    session_ttl: float = Field(SESSION_TTL, alias="SOUDAN_SESSION_TTL", gt=0)
    send_lease: float = Field(60.0, alias="SOUDAN_SEND_LEASE", gt=0)
    flows_dir: Path = Field(ROOT / "flows", alias="SOUDAN_FLOWS_DIR")
    directory_dir: Path = Field(ROOT / "directory", alias="SOUDAN_DIRECTORY_DIR")
    default_flow: str | None = Field(None, alias="SOUDAN_DEFAULT_FLOW")
    host: str = Field("127.0.0.1", alias="SOUDAN_HOST")
    port: int = Field(8080, alias="SOUDAN_PORT", ge=0, le=65535)
    log_level: str = Field("INFO", alias="SOUDAN_LOG_LEVEL")
    event_loop: Literal["auto", "uvloop", "asyncio"] = Field("auto", alias="SOUDAN_EVENT_LOOP")
    line_channel_secret: SecretStr | None = Field(None, alias="LINE_CHANNEL_SECRET")
    line_channel_access_token: SecretStr | None = Field(None, alias="LINE_CHANNEL_ACCESS_TOKEN")
    line_api_base: str | None = Field(None, alias="LINE_API_BASE")
    line_push_fallback: bool = Field(True, alias="LINE_PUSH_FALLBACK")
    line_redelivery: bool = Field(False, alias="LINE_REDELIVERY")
    discord_token: SecretStr | None = Field(None, alias="DISCORD_TOKEN")
    simulator: bool | None = Field(None, alias="SOUDAN_SIMULATOR")
    metrics: bool | None = Field(None, alias="SOUDAN_METRICS")
    teams_file: Path | None = Field(None, alias="SOUDAN_TEAMS_FILE")
    chatwoot_url: str | None = Field(None, alias="CHATWOOT_URL")
    chatwoot_bot_token: SecretStr | None = Field(None, alias="CHATWOOT_BOT_TOKEN")
    chatwoot_webhook_secret: SecretStr | None = Field(None, alias="CHATWOOT_WEBHOOK_SECRET")
    chatwoot_account_id: int | None = Field(None, alias="CHATWOOT_ACCOUNT_ID")
    chatwoot_inbox_id: int | None = Field(None, alias="CHATWOOT_INBOX_ID")
    chatwoot_bot_id: int | None = Field(None, alias="CHATWOOT_BOT_ID")
    discord_guilds_file: Path = Field(Path("var/discord-guilds.json"), alias="SOUDAN_DISCORD_GUILDS_FILE")

    @property
    def loopback(self) -> bool:
        """True when ``host`` is a loopback address: ``localhost`` or an IP in 127.0.0.0/8 or ``::1``.

        A host name that merely starts with ``127.`` (``127.0.0.1.example.org``) may resolve to any
        address, so it is not loopback; nor is ``""`` (every interface).
        """
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def flow_paths(self) -> list[Path]:
        """``flows/*.yaml`` sorted (transcripts in ``flows/tests/`` are not flows)."""
        return sorted(p for p in self.flows_dir.glob("*.yaml") if p.is_file())

    def directory_paths(self) -> list[Path]:
        """``directory/*.yaml`` sorted."""
        return sorted(p for p in self.directory_dir.glob("*.yaml") if p.is_file())
