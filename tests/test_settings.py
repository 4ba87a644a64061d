"""Regression: any host starting with ``127.`` counted as loopback.

``Settings.loopback`` was ``host.startswith("127.")``, so ``SOUDAN_HOST=127.0.0.1.example.org`` —
a name that resolves wherever DNS says — turned the simulator and ``/metrics`` on and let the
development secret through on what may be a public interface. Fixed in the kind: loopback means
``localhost`` or an IP address that is loopback; every other host is public (safe side).
"""

from __future__ import annotations

import pytest

from bot import serve
from bot.app import metrics_enabled, simulator_enabled
from bot.settings import DEV_SECRET, Settings


@pytest.mark.parametrize("host", ["127.0.0.1.nip.io", "127.attacker.example", "127.0.0.1:80", "127.1"])
def test_a_name_that_looks_like_127_is_public(host: str) -> None:
    s = Settings(_env_file=None, SOUDAN_HOST=host, SOUDAN_SECRET=DEV_SECRET)
    assert not s.loopback
    assert not simulator_enabled(s) and not metrics_enabled(s)
    assert serve.check_settings(s)  # and the development secret is refused


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.53", "::1", "localhost"])
def test_real_loopback_addresses_still_are(host: str) -> None:
    assert Settings(_env_file=None, SOUDAN_HOST=host).loopback
