"""Regression: ``soudan serve`` accepted the ``.env.example`` placeholder secret on a public bind.

Only the development default (and an empty value) was refused, so ``cp .env.example .env`` and
``--host 0.0.0.0`` served with ``SOUDAN_SECRET=change-me-to-a-long-random-value`` — a value anyone
can read in the repository, which keys the hash of every user id. Fixed in the kind: on a public
bind, every published placeholder and any secret shorter than 16 characters is refused.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import serve
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _example_secret() -> str:
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        if line.startswith("SOUDAN_SECRET="):
            return line.split("=", 1)[1]
    raise AssertionError(".env.example sets no SOUDAN_SECRET")


def test_the_placeholder_of_env_example_is_refused() -> None:
    secret = _example_secret()
    assert secret == serve.EXAMPLE_SECRET  # kept in step with .env.example
    problems = serve.check_settings(Settings(_env_file=None, SOUDAN_HOST="0.0.0.0", SOUDAN_SECRET=secret))
    assert problems and "placeholder from .env.example" in problems[0]


@pytest.mark.parametrize("secret", ["x", "s3cret", "fifteen-chars!!"])
def test_short_secrets_are_refused_on_a_public_bind(secret: str) -> None:
    assert len(secret) < serve.MIN_PUBLIC_SECRET
    problems = serve.check_settings(Settings(_env_file=None, SOUDAN_HOST="0.0.0.0", SOUDAN_SECRET=secret))
    assert problems and "at least 16" in problems[0]
