"""Postback data of choice buttons (bot/adapters/line/codecs.py): what the adapter sends comes back
as the same pick; data that is not ours is a stale pick."""

from __future__ import annotations

import pytest

from bot.adapters.line.codecs import parse_postback, postback_data
from bot.engine.types import Pick


@pytest.mark.parametrize("ids", [("a", "b", "c"), (":restart", "doxx-pupil", "zw5ulz66"), ("a&b=c", "s t", "ü%")])
def test_postback_round_trip(ids: tuple[str, str, str]) -> None:
    assert parse_postback(postback_data(*ids)) == Pick(*ids)


def test_foreign_or_oversized_postback_is_a_stale_pick() -> None:
    assert parse_postback("action=buyItem&itemId=1") == Pick("", "", "")
    assert parse_postback("c=" + "x" * 400) == Pick("", "", "")
    assert parse_postback("c=:restart") == Pick(":restart", "", "")
