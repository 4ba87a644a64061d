"""The stored form of a session: a compact MessagePack array (about a quarter of the JSON).

A :class:`~bot.engine.types.Session` is stored as the MessagePack (``msgpack``, a well-kept
library) array::

    [3, flow_id, flow_version, conversation_id, state, locale,
     started_at, updated_at, expires_at, history, slots]

- times are seconds since the epoch (an integer), or microseconds since the epoch when the time has
  a fraction of a second (told apart by size: > 10**11); they are read back in Asia/Tokyo;
- ``history`` is a list of ``[state, choice]`` or ``[state, choice, delta]`` where ``delta`` is how
  that entry's ``slots`` differ from the previous entry's (the first from ``{}``): the slots that
  were added or changed, and removed ones mapped to ``None``;
- ``slots`` (the current ones) are likewise a delta from the last history entry's slots;
- a 12th element is present only when the session has a hand-off team or a hand-off in progress
  (:mod:`bot.engine.handoff`): ``[team, handoff]`` with ``handoff`` None or
  ``[team, status, result, requested_at, deadline]`` (times as above, or None) — or None when only
  the 13th is present: ``[prefill, clarify]``, answers kept for later questions (a slot delta from
  ``{}``) and the choice ids of a pending clarification.

Nothing is derived on load that was not stored: the encoding is lossless (a test round-trips
every field). Whether the session is at a result is not stored: it follows from the state
(:meth:`bot.engine.core.Engine.finished`). Records written before still load: format 2 (the same
array with a ``finished`` boolean after ``locale``, which is checked and dropped) and format 1
(``Session.to_json``, a JSON object, whose ``finished`` key is dropped likewise).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from typing import Any

import msgpack  # type: ignore[import-untyped]  # msgpack ships no py.typed
from pydantic import ValidationError

from bot.engine.types import HandoffState, HistoryEntry, Session
from bot.engine.types import assemble as _build
from bot.timeutil import JST

__all__ = ["FORMAT", "copy_session", "decode_session", "encode_session"]

log = logging.getLogger("soudan.store")

FORMAT = 3
"""First element of a stored array (format 2 also stored ``finished``; the JSON records of before
count as format 1)."""

_SECONDS_BELOW = 10**11
"""Stored times below this are whole seconds; above, microseconds (10**11 s is the year 5138)."""


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

_local = threading.local()
"""Each thread's ``msgpack.Packer`` (a Packer is not thread-safe; made once per thread instead of
once per session as ``msgpack.packb`` does: ~3k instructions less per encode)."""


def _packer() -> Any:
    p = _local.__dict__.get("packer")
    if p is None:
        p = _local.packer = msgpack.Packer(use_bin_type=True)
    return p


def _time(t: dt.datetime) -> int:
    if t.tzinfo is None:
        raise ValueError("session times must be aware datetimes")
    d = t - _EPOCH  # exact integer arithmetic (twice as fast as timestamp() with a ZoneInfo)
    seconds = d.days * 86_400 + d.seconds
    return seconds if d.microseconds == 0 else seconds * 1_000_000 + d.microseconds


def _untime(v: Any) -> dt.datetime:
    if not isinstance(v, int) or isinstance(v, bool):
        raise ValueError("a stored time is not an integer")
    if v < _SECONDS_BELOW:
        return dt.datetime.fromtimestamp(v, JST)
    return dt.datetime.fromtimestamp(v // 1_000_000, JST).replace(microsecond=v % 1_000_000)


def _delta(before: dict[str, str], after: dict[str, str]) -> dict[str, str | None]:
    d: dict[str, str | None] = {k: v for k, v in after.items() if before.get(k) != v}
    for k in before:
        if k not in after:
            d[k] = None
    return d


def _apply(before: dict[str, str], delta: Any) -> dict[str, str]:
    if not isinstance(delta, dict):
        raise ValueError("a stored slot delta is not a map")
    out = dict(before)
    for k, v in delta.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, str):
            out[k] = v
        else:
            raise ValueError("a stored slot value is not a string")
    return out


def _str(v: Any) -> str:
    if not isinstance(v, str):
        raise ValueError("a stored id is not a string")
    return v


def encode_session(s: Session) -> bytes:
    """The stored bytes of a session (see the module doc for the layout).

    Args:
        s: the session (its times must be aware).

    Returns:
        MessagePack bytes, typically 120–180 bytes mid-consultation.

    Raises:
        ValueError: if a time is naive.
    """
    history: list[list[Any]] = []
    prev: dict[str, str] = {}
    for h in s.history:
        cur = h.slots
        d = _delta(prev, cur) if cur != prev else None
        history.append([h.state, h.choice, d] if d else [h.state, h.choice])
        prev = cur
    row: list[Any] = [FORMAT, s.flow_id, s.flow_version, s.conversation_id, s.state, s.locale,
                      _time(s.started_at), _time(s.updated_at), _time(s.expires_at), history, _delta(prev, s.slots)]
    ho_field: Any = None
    if s.team is not None or s.handoff is not None:
        ho = s.handoff
        ho_field = [s.team, None if ho is None else [
            ho.team, ho.status, ho.result, None if ho.requested_at is None else _time(ho.requested_at),
            None if ho.deadline is None else _time(ho.deadline)]]
        row.append(ho_field)
    if s.prefill or s.clarify:  # answers kept for later questions, a pending clarification (ids only)
        if ho_field is None:
            row.append(None)
        row.append([s.prefill, s.clarify])
    data: bytes = _packer().pack(row)  # the bytes of msgpack.packb(row, use_bin_type=True)
    return data


def copy_session(s: Session) -> Session:
    """A copy of ``s`` that shares no mutable part with it: what a store that keeps sessions as
    objects (:class:`bot.store.memory.MemoryStore`) hands out and keeps, instead of the bytes of
    :func:`encode_session` (a tenth of the time of an encode and a decode).

    ``slots``, ``history``, ``prefill`` and ``clarify`` are copied; the history entries and the
    hand-off are shared: they are frozen (:class:`~bot.engine.types.HistoryEntry`,
    :class:`~bot.engine.types.HandoffState`), and nothing changes an entry's ``slots`` in place
    (the engine copies them). Refuses what :func:`encode_session` refuses, so no backend keeps a
    session another would not.

    Raises:
        ValueError: if a time is naive.
    """
    if s.started_at.tzinfo is None or s.updated_at.tzinfo is None or s.expires_at.tzinfo is None:
        raise ValueError("session times must be aware datetimes")
    return s.detached()


def _handoff_fields(ext: Any) -> tuple[str | None, HandoffState | None]:
    """The hand-off element (the 12th): ``(team, handoff)``."""
    if not isinstance(ext, list) or len(ext) != 2:
        raise ValueError("the stored hand-off element is malformed")
    team = None if ext[0] is None else _str(ext[0])
    h = ext[1]
    if h is None:
        return team, None
    if not isinstance(h, list) or len(h) != 5:
        raise ValueError("a stored hand-off is malformed")
    return team, HandoffState(team=_str(h[0]), status=_str(h[1]), result=_str(h[2]),
                              requested_at=None if h[3] is None else _untime(h[3]),
                              deadline=None if h[4] is None else _untime(h[4]))


def _decode(data: bytes) -> Session:
    if data[:1] == b"{":  # format 1: Session.to_json() of earlier releases
        fields = json.loads(data)
        if isinstance(fields, dict):
            fields.pop("finished", None)  # derived since format 3
        return Session.model_validate(fields)
    v = msgpack.unpackb(data, raw=False, strict_map_key=True)
    if not isinstance(v, list) or not v:
        raise ValueError("not a stored session")
    if v[0] == 2 and len(v) in (12, 13, 14):  # format 2: a `finished` boolean after the locale
        if not isinstance(v[6], bool):
            raise ValueError("stored 'finished' is not a boolean")
        v = [FORMAT, *v[1:6], *v[7:]]
    if v[0] != FORMAT or len(v) not in (11, 12, 13):
        raise ValueError("not a stored session of format 2 or 3")
    _, flow_id, flow_version, cid, state, locale, started, updated, expires, hist, slots = v[:11]
    team, handoff = _handoff_fields(v[11]) if len(v) >= 12 and v[11] is not None else (None, None)
    prefill: dict[str, str] = {}
    clarify: list[str] = []
    if len(v) == 13:
        if not isinstance(v[12], list) or len(v[12]) != 2:
            raise ValueError("stored kept answers are malformed")
        prefill = _apply({}, v[12][0])
        clarify = v[12][1]
        if not isinstance(clarify, list) or not all(isinstance(c, str) for c in clarify):
            raise ValueError("a stored clarification is not a list of ids")
    if not isinstance(hist, list):
        raise ValueError("stored history is not a list")
    entries = []
    prev: dict[str, str] = {}
    for h in hist:
        if type(h) is not list or len(h) not in (2, 3) or type(h[0]) is not str or type(h[1]) is not str:
            raise ValueError("a stored history entry is malformed")
        cur = _apply(prev, h[2]) if len(h) == 3 else prev
        # checked here field by field (every field is a str, a bool, a time or a str map), so the
        # models are built without pydantic's validation pass (a third of a step's store cost)
        entries.append(_build(HistoryEntry, {"state": h[0], "choice": h[1], "slots": cur}))
        prev = cur
    return _build(Session, {
        "flow_id": _str(flow_id), "flow_version": _str(flow_version), "conversation_id": _str(cid),
        "state": _str(state), "slots": _apply(prev, slots), "history": entries, "locale": _str(locale),
        "prefill": prefill, "clarify": clarify,
        "started_at": _untime(started), "updated_at": _untime(updated), "expires_at": _untime(expires),
        "team": team, "handoff": handoff})


def decode_session(data: str | bytes, backend: str) -> Session | None:
    """Parse a stored record; a record that cannot be parsed (unknown format, damage) gives None.

    The warning names the backend only — never the key or the content.

    Args:
        data: what :func:`encode_session` produced, or the JSON of an earlier release.
        backend: ``"memory"``, ``"sqlite"`` or ``"redis"`` (for the log line).

    Returns:
        The session, or None when the record is unreadable (the user then starts again).
    """
    try:
        return _decode(data.encode() if isinstance(data, str) else bytes(data))
    except (ValidationError, ValueError, TypeError, UnicodeDecodeError, msgpack.UnpackException):
        log.warning("unreadable session record ignored (older schema or damaged); the user starts again",
                    extra={"backend": backend})
        return None
