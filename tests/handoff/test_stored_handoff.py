"""A hand-off in progress survives the store: the codec keeps the session's team and hand-off
(a 12th element only when present), on every backend's encoding, losslessly."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.engine.types import HandoffState, HistoryEntry, Session
from bot.store.codec import decode_session, encode_session
from bot.timeutil import JST

T = dt.datetime(2026, 12, 1, 18, 0, 0, 250, tzinfo=JST)


def session(**kw: object) -> Session:
    return Session(flow_id="net-harm", flow_version="1", conversation_id="abcd2345", state="youth_net",
                   history=[HistoryEntry(state="safety", choice="none")], started_at=T, updated_at=T,
                   expires_at=T + dt.timedelta(days=1), **kw)


@pytest.mark.parametrize("extra", [
    {},
    {"team": "counsellors"},
    {"team": "counsellors", "handoff": HandoffState(team="counsellors", status="consent", result="youth_net")},
    {"team": "moderators", "handoff": HandoffState(team="moderators", status="waiting", result="youth_net",
                                                   requested_at=T, deadline=T + dt.timedelta(minutes=10))},
    {"team": None, "handoff": HandoffState(team="moderators", status="taken", result="youth_net", requested_at=T)},
])
def test_team_and_handoff_round_trip(extra: dict[str, object]) -> None:
    s = session(**extra)
    data = encode_session(s)
    back = decode_session(data, "memory")
    assert back == s and back.model_dump_json() == s.model_dump_json()
    if not extra:
        assert len(data) < 200


def test_a_damaged_handoff_element_is_an_unreadable_record_not_a_crash() -> None:
    import msgpack  # type: ignore[import-untyped]  # no py.typed in msgpack

    row = msgpack.unpackb(encode_session(session(team="counsellors")), raw=False)
    row[11] = ["counsellors", ["x"]]  # the hand-off element (the 12th since format 3)
    assert decode_session(msgpack.packb(row, use_bin_type=True), "memory") is None
