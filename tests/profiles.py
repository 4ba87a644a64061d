"""Hypothesis profiles of the suite, chosen with ``SOUDAN_HYPOTHESIS``.

- ``quick`` (the default: ``make test``, ``.ci/run``): every property runs with the example count
  written at it, e.g. ``@settings(max_examples=examples(100))``; a plain ``@given`` gets
  hypothesis's own 100.
- ``thorough`` (``SOUDAN_HYPOTHESIS=thorough make test``): ten times as many examples for every
  property; run it when changing the engine, the webhook parsing or the text helpers, and before
  a release.

Failing examples are kept in ``.hypothesis/`` and tried first on the next run, in either profile.
No profile sets a deadline: a test's time is never asserted.
"""

from __future__ import annotations

import os

from hypothesis import settings

ENV = "SOUDAN_HYPOTHESIS"
THOROUGH_FACTOR = 10
"""How many times more examples ``thorough`` runs than ``quick``."""

_FACTORS = {"quick": 1, "thorough": THOROUGH_FACTOR}

settings.register_profile("quick", max_examples=100, deadline=None)
settings.register_profile("thorough", max_examples=100 * THOROUGH_FACTOR, deadline=None)

PROFILE = os.environ.get(ENV, "").strip().lower() or "quick"
"""The profile of this run (``quick`` or ``thorough``)."""
if PROFILE not in _FACTORS:
    raise ValueError(f"{ENV}={os.environ[ENV]!r}: use quick (the default) or thorough")
settings.load_profile(PROFILE)


def examples(quick: int) -> int:
    """The ``max_examples`` of a property: ``quick`` in the quick profile, ten times that in the
    thorough one."""
    return quick * _FACTORS[PROFILE]
