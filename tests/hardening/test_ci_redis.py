"""Under ``CI`` a missing Redis fails the Redis tests instead of skipping them (tests/redis_kit.py)."""

from __future__ import annotations

import pytest

from tests import redis_kit


@pytest.fixture
def no_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redis_kit, "_problem", ["Connection refused (test)"])


def test_ci_fails_without_redis(no_redis: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="CI is set but Redis is not reachable: Connection refused"):
        redis_kit.redis_or_skip()


def test_locally_it_skips(no_redis: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Redis not reachable"):
        redis_kit.redis_or_skip()
