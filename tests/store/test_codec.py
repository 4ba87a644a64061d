"""The stored form of a session (``bot.store.codec``): lossless, compact, and old JSON still loads."""

from __future__ import annotations

import datetime as dt
import gc
import logging
from pathlib import Path

import msgpack  # type: ignore[import-untyped]  # msgpack ships no py.typed
import pytest
from pydantic import ValidationError

from bot.engine.core import Engine
from bot.engine.types import HistoryEntry, Session
from bot.loading import build_engine
from bot.store.codec import copy_session, decode_session, encode_session
from bot.timeutil import JST
from tests.conftest import TINY_DIRECTORY, TINY_FLOW, write

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
        "locale": "en",
        "updated_at": dt.datetime(2026, 12, 1, 1, 2, 3, 456789, tzinfo=dt.UTC),
        "history": [HistoryEntry(state="a", choice="b", slots={"x": "1", "y": "2"}),
                    HistoryEntry(state="c", choice="d", slots={"y": "3"})],  # a slot removed, one changed
        "slots": {}})
    got = decode_session(encode_session(s), "test")
    assert got == s
    assert got is not None and got.updated_at.utcoffset() == dt.timedelta(hours=9)  # read back in Asia/Tokyo


def test_a_mid_consultation_record_is_a_quarter_of_the_json() -> None:
    s = mid_consultation()
    assert len(s.to_json()) == 507
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


# ------------------------------------------------------------------ `finished` is derived (format 3)

# written by the format-2 encoder (main at ac4ffbd): at a result with finished=true; at a question
# with finished=false, a hand-off team and consent, kept answers and a clarification (14 elements)
FORMAT_2_AT_RESULT = bytes.fromhex(
    "9c02a474696e79a131a87872356361356637ac726573756c742d6164756c74a26a61c3ce6b0e1c10ce6b0e1c10ce6b0f6d90"
    "9292a377686fa56164756c7493a477686174a56f7468657281a377686fa56164756c7480")
FORMAT_2_FULL = bytes.fromhex(
    "9e02a474696e79a131a87872356361356637a477686174a26a61c2ce6b0e1c10ce6b0e1c10ce6b0f6d909192a377686fa5"
    "6164756c7481a377686fa56164756c7492ab636f756e73656c6c6f727395ab636f756e73656c6c6f7273a7636f6e73656e"
    "74ac726573756c742d6164756c74c0c09281a6726567696f6ea54a502d313391a178")
FORMAT_1_AT_RESULT = (
    '{"flow_id":"tiny","flow_version":"1","conversation_id":"xr5ca5f7","state":"result-adult",'
    '"slots":{"who":"adult"},"history":[{"state":"who","choice":"adult","slots":{}},{"state":"what",'
    '"choice":"other","slots":{"who":"adult"}}],"locale":"ja","started_at":"2026-12-01T10:00:00+09:00",'
    '"updated_at":"2026-12-01T10:00:00+09:00","expires_at":"2026-12-02T10:00:00+09:00","finished":true}')


def at_result() -> Session:
    return Session(flow_id="tiny", flow_version="1", conversation_id="xr5ca5f7", state="result-adult",
                   slots={"who": "adult"}, history=[HistoryEntry(state="who", choice="adult"),
                                                    HistoryEntry(state="what", choice="other", slots={"who": "adult"})],
                   started_at=T0, updated_at=T0, expires_at=T0 + dt.timedelta(hours=24))


def test_format_3_stores_no_finished_flag() -> None:
    row = msgpack.unpackb(encode_session(at_result()), raw=False)
    assert row[0] == 3 and len(row) == 11
    assert row[1:6] == ["tiny", "1", "xr5ca5f7", "result-adult", "ja"] and isinstance(row[6], int)
    assert not any(isinstance(v, bool) for v in row)


@pytest.mark.parametrize("old", [FORMAT_2_AT_RESULT, FORMAT_1_AT_RESULT, FORMAT_1_AT_RESULT.encode()],
                         ids=["format-2", "format-1-str", "format-1-bytes"])
def test_records_of_earlier_formats_still_load(old: str | bytes) -> None:
    got = decode_session(old, "test")
    assert got == at_result()
    assert decode_session(encode_session(got), "test") == got  # written back as format 3


def test_a_full_format_2_record_still_loads() -> None:
    got = decode_session(FORMAT_2_FULL, "test")
    assert got is not None and (got.state, got.slots, got.team, got.prefill, got.clarify) == (
        "what", {"who": "adult"}, "counsellors", {"region": "JP-13"}, ["x"])
    assert got.handoff is not None and (got.handoff.status, got.handoff.result) == ("consent", "result-adult")
    assert [(h.state, h.choice) for h in got.history] == [("who", "adult")]


def test_a_format_2_record_whose_flag_is_not_a_boolean_is_unreadable() -> None:
    row = msgpack.unpackb(FORMAT_2_AT_RESULT, raw=False)
    row[6] = "yes"
    assert decode_session(msgpack.packb(row, use_bin_type=True), "test") is None


def test_finished_is_read_from_the_loaded_flow(tiny_engine: Engine) -> None:
    """What the peer benchmark reads (``s.finished`` on a session from ``store.get``): derived from
    the flow loaded in the process, for old and new records alike."""
    for data in (FORMAT_2_AT_RESULT, FORMAT_1_AT_RESULT, encode_session(at_result())):
        got = decode_session(data, "test")
        assert got is not None and got.finished is True and tiny_engine.finished(got) is True
    back = at_result().model_copy(update={"state": "what"})
    assert back.finished is False and tiny_engine.finished(back) is False
    other = at_result().model_copy(update={"flow_version": "no-such-version"})
    with pytest.raises(LookupError, match="is not loaded in this process"):
        assert other.finished
    assert tiny_engine.finished(other) is True  # the engine judges by the state of its loaded version


def test_finished_still_answers_when_an_identical_flow_is_rebuilt_and_dropped(
        tiny_paths: tuple[list[Path], list[Path]]) -> None:
    """A second engine over the same flow (id and version), then dropped — a simulator reload, a
    test's own engine — leaves the first engine's sessions answering (it used to ask only the flow
    built last and raise LookupError once that one was gone)."""
    a = build_engine(*tiny_paths, idle_timeout=3600)
    b = build_engine(*tiny_paths, idle_timeout=3600)
    assert at_result().finished is True
    del b
    gc.collect()
    assert at_result().finished is True and a.finished(at_result()) is True
    assert at_result().model_copy(update={"state": "what"}).finished is False


def test_finished_says_so_when_live_flows_of_one_version_disagree(tmp_path: Path) -> None:
    """Two different files with the same flow id and version alive at once: where they agree the
    answer stands; where one has a result and the other not, LookupError names the state."""
    twin = TINY_FLOW.replace("id: tiny\n", "id: tiny-twin\n")
    directory = [write(tmp_path, "directory/test.yaml", TINY_DIRECTORY)]
    a = build_engine([write(tmp_path, "a/tiny.yaml", twin)], directory, idle_timeout=3600)
    changed = twin.replace("  result-adult:\n    refer:\n      text: {ja: 相談先です。, en: Where to call.}\n"
                           "      contacts: [day_line, night_line]\n",
                           "  result-adult:\n    say: {ja: 相談先です。, en: Where to call.}\n    next: result-pupil\n")
    assert changed != twin
    b = build_engine([write(tmp_path, "b/tiny.yaml", changed)], directory, idle_timeout=3600)
    s = at_result().model_copy(update={"flow_id": "tiny-twin"})
    assert s.model_copy(update={"state": "result-pupil"}).finished is True
    assert s.model_copy(update={"state": "what"}).finished is False
    with pytest.raises(LookupError, match="disagree about whether state 'result-adult' is a result"):
        assert s.finished
    assert a.finished(s) is True and b.finished(s) is False  # each engine asks its own flow
    del b
    gc.collect()
    assert s.finished is True


def test_a_copy_equals_the_session_and_shares_no_mutable_part() -> None:
    s = mid_consultation().model_copy(update={"prefill": {"age": "15"}, "clarify": ["a", "b"], "team": "t"})
    c = copy_session(s)
    assert c == s and c.model_dump_json() == s.model_dump_json()
    c.slots["who"] = "pupil"
    c.history.pop()
    c.prefill.clear()
    c.clarify.clear()
    assert s == mid_consultation().model_copy(update={"prefill": {"age": "15"}, "clarify": ["a", "b"], "team": "t"})


def test_history_entries_shared_by_copies_cannot_be_changed() -> None:
    s = mid_consultation()
    with pytest.raises(ValidationError, match="frozen"):
        copy_session(s).history[0].choice = "other"  # type: ignore[misc]  # frozen, which is the point
    assert s.history[0].choice == "none"
