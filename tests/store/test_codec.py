"""The stored form of a session (``bot.store.codec``): lossless, compact, and old JSON still loads."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from bot.engine.types import HistoryEntry, Session
from bot.store.codec import decode_session, encode_session
from bot.timeutil import JST

T0 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=JST)


def mid_consultation() -> Session:
    """The session of bench/store_bench.py's sample: four answers given, three slots."""
    return Session(flow_id="net-harm", flow_version="1", conversation_id="xr5ca5f7", state="goal",
                   slots={"who": "adult", "what": "def", "region": "other"},
                   history=[HistoryEntry(state="safety", choice="none"), HistoryEntry(state="who", choice="adult"),
                            HistoryEntry(state="what", choice="def", slots={"who": "adult"}),
                            HistoryEntry(state="region", choice="other", slots={"who": "adult", "what": "def"})],
                   started_at=T0, updated_at=T0, expires_at=T0 + dt.timedelta(hours=24))


def test_every_field_round_trips() -> None:
    s = mid_consultation().model_copy(update={
        "locale": "en", "finished": True,
        "updated_at": dt.datetime(2026, 12, 1, 1, 2, 3, 456789, tzinfo=dt.UTC),
        "history": [HistoryEntry(state="a", choice="b", slots={"x": "1", "y": "2"}),
                    HistoryEntry(state="c", choice="d", slots={"y": "3"})],  # a slot removed, one changed
        "slots": {}})
    got = decode_session(encode_session(s), "test")
    assert got == s
    assert got is not None and got.updated_at.utcoffset() == dt.timedelta(hours=9)  # read back in Asia/Tokyo


def test_a_mid_consultation_record_is_a_quarter_of_the_json() -> None:
    s = mid_consultation()
    assert len(s.to_json()) == 524
    assert len(encode_session(s)) <= 140


def test_a_record_of_the_json_format_still_loads() -> None:
    s = mid_consultation()
    assert decode_session(s.to_json(), "test") == s
    assert decode_session(s.to_json().encode(), "test") == s


def test_a_decoded_session_is_a_normal_model() -> None:
    got = decode_session(encode_session(mid_consultation()), "test")
    assert got is not None and got.model_dump_json() == mid_consultation().model_dump_json()
    got.state = "changed"
    got.slots["new"] = "x"
    copy = got.model_copy(deep=True)
    assert copy.state == "changed" and copy.slots["new"] == "x"
    assert Session.model_validate(got.model_dump()) == got


@pytest.mark.parametrize("data", [b"", b"\x00\x01", b"\x9c\x02", b"\x93\x02\xa1a\xa1b", b"{not json",
                                  encode_session(mid_consultation())[:-3]])
def test_damaged_records_read_as_none_and_log_no_content(data: bytes, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert decode_session(data, "test") is None
    assert "unreadable session record" in caplog.text
