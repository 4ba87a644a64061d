"""Regression: a signed LINE body whose unknown message ``type`` is a list (or a map) raised
``TypeError: unhashable type`` while the metrics label was chosen, and the webhook answered 500.
The label is now ``message.other`` and the person gets the "cannot read this" reply."""

from __future__ import annotations

import pytest

from bot.adapters.line.events import event_kind


@pytest.mark.parametrize("mtype", [["text"], {"a": 1}, None, 3, "hologram", "x" * 500])
def test_odd_message_types_are_counted_as_other(mtype: object) -> None:
    assert event_kind("message", mtype) == "message.other"


@pytest.mark.parametrize("etype", [["message"], {"a": 1}, None, 3, "brandNew"])
def test_odd_event_types_are_counted_as_other(etype: object) -> None:
    assert event_kind(etype) == "other"


def test_known_types_keep_their_name() -> None:
    assert event_kind("message", "text") == "message.text"
    assert event_kind("follow") == "follow"
