"""Fuzzing ``POST /line/webhook`` with hypothesis, through aiohttp and the real LINE parser.

Bodies are random bytes, or LINE's own 28-event sample (``tests/adapters/line/fixtures``) mutated: keys
dropped, values replaced by other JSON (wrong types, nested garbage, deep nesting, huge strings),
keys added (emoji arrays with any indexes, mentions, ids), invalid UTF-8 spliced into the bytes.
Headers and signatures are random too. Whatever arrives:

- the answer is never a 500 (the store here never fails; a failing store's 500 is tested apart);
- no record at ERROR or above, and no record with a traceback, is logged (every logger at DEBUG);
- without a valid signature the answer is 400 (or 413), nothing touches the store and nothing is
  sent to the Messaging API;
- whatever is sent is a body LINE would accept (the fake API validates it with the SDK's models).
"""

from __future__ import annotations

import base64
import copy
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bot.store import StoreError
from bot.store.base import StepResult
from tests.adapters.line.linekit import ALL_EVENTS, CHANNEL_SECRET, sign
from tests.hardening.hardkit import CountingStore, LogCapture, WebhookHarness
from tests.profiles import examples

SAMPLE: dict[str, Any] = json.loads(ALL_EVENTS.read_text(encoding="utf-8"))


def fuzz(n: int) -> settings:
    """Hypothesis settings of these tests: ``n`` examples in the quick profile (ten times that in
    the thorough one, tests/profiles.py), no deadline (HTTP round trips vary)."""
    return settings(max_examples=examples(n), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def harness() -> Iterator[WebhookHarness]:
    h = WebhookHarness()
    yield h
    h.close()


# ------------------------------------------------------------------ strategies

def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield (*prefix, k)
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield (*prefix, i)
            yield from _paths(v, (*prefix, i))


PATHS = sorted(_paths(SAMPLE), key=repr)
EVENT_KEYS = ["webhookEventId", "replyToken", "source", "type", "mode", "timestamp", "message", "postback",
              "deliveryContext", "emojis", "mention", "text", "data", "userId", "groupId", "roomId", "unsend",
              "follow", "joined", "left", "beacon", "link", "things", "quotedMessageId", "params", "__proto__"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(min_value=-(2**70), max_value=2**70),
                    st.floats(), st.text(max_size=30),
                    st.sampled_from(["", "user", "group", "room", "message", "postback", "text", "follow",
                                     "unfollow", "active", "standby", "U206d25c2ea6bd87c17655609a1c37cb8",
                                     "c=safe&s=safety&v=x", "c=:restart", "死にたい", "😀" * 3, "\x00", "\ud800"]))
garbage = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                       | st.dictionaries(st.sampled_from(EVENT_KEYS) | st.text(max_size=8), inner, max_size=4),
                       max_leaves=12)
emoji_arrays = st.lists(st.fixed_dictionaries(
    {"index": st.integers(min_value=-3, max_value=40), "length": st.integers(min_value=-2, max_value=12),
     "productId": st.just("5ac1bfd5040ab15980c9b435"), "emojiId": st.just("001")}), max_size=4)
huge = st.builds(lambda ch, n: ch * n, st.sampled_from(["x", "あ", "😀", "\u200d", "\\", '"', "(love)"]),
                 st.sampled_from([1000, 5001, 60_000]))


NEST_DEPTHS = (2, 50, 3000, 200_000)


def _nest_mark(depth: int) -> str:
    """A placeholder that :func:`_encode` replaces by ``depth`` nested arrays (json.dumps itself
    cannot write deep nesting)."""
    return f"__NEST_{depth}__"


mutations = st.one_of(
    st.tuples(st.just("drop"), st.sampled_from(PATHS)),
    st.tuples(st.just("set"), st.sampled_from(PATHS), garbage),
    st.tuples(st.just("set"), st.sampled_from(PATHS), huge),
    st.tuples(st.just("nest"), st.sampled_from(PATHS), st.sampled_from(NEST_DEPTHS)),
    st.tuples(st.just("add"), st.sampled_from(PATHS), st.sampled_from(EVENT_KEYS), garbage),
    st.tuples(st.just("emojis"), st.integers(min_value=0, max_value=len(SAMPLE["events"]) - 1), emoji_arrays,
              st.text(max_size=20)),
)


def _apply(doc: dict[str, Any], m: tuple[Any, ...]) -> None:
    kind = m[0]
    if kind == "emojis":
        _, i, emojis, text = m
        ev = doc["events"][i] if isinstance(doc.get("events"), list) and i < len(doc["events"]) else None
        if isinstance(ev, dict) and isinstance(ev.get("message"), dict):
            ev["message"]["emojis"] = emojis
            ev["message"]["text"] = text + "(love)はい"
        return
    path = m[1]
    parent: Any = doc
    for step in path[:-1]:
        try:
            parent = parent[step]
        except (KeyError, IndexError, TypeError):
            return
    last = path[-1]
    if isinstance(parent, dict) and not isinstance(last, str):
        return
    if isinstance(parent, list) and not isinstance(last, int):
        return
    if isinstance(parent, list) and last >= len(parent):
        return
    if not isinstance(parent, dict | list):
        return
    if kind == "drop":
        if isinstance(parent, dict):
            parent.pop(last, None)
        else:
            del parent[last]
    elif kind == "set":
        parent[last] = m[2]
    elif kind == "nest":
        if isinstance(parent, dict) and last not in parent:
            return
        parent[last] = _nest_mark(m[2])
    elif kind == "add":
        target = parent[last] if (isinstance(parent, dict) and last in parent) or isinstance(parent, list) else None
        if isinstance(target, dict):
            target[m[2]] = m[3]


def _fresh_sample(distinct_users: bool) -> dict[str, Any]:
    """The sample with a new ``webhookEventId`` per event (so events are handled, not skipped as
    duplicates of an earlier example) and, optionally, a new user per example."""
    doc = copy.deepcopy(SAMPLE)
    user = "U" + uuid.uuid4().hex
    for ev in doc["events"]:
        ev["webhookEventId"] = uuid.uuid4().hex.upper()
        src = ev.get("source") or {}
        if distinct_users and src.get("type") == "user":
            src["userId"] = user
    return doc


def _encode(doc: Any, ascii_only: bool) -> bytes:
    body = json.dumps(doc, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    for depth in NEST_DEPTHS:
        body = body.replace(f'"{_nest_mark(depth)}"'.encode(), b"[" * depth + b"{}" + b"]" * depth)
    return body


bad_utf8 = st.sampled_from([b"\xff", b"\xc3", b"\xe3\x81", b"\xed\xa0\x80", b"\xc0\xaf", b"\x80", b"\xf4\x90\x80\x80"])
header_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", min_size=1,
                       max_size=20)
header_values = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80)
extra_headers = st.dictionaries(header_names.filter(lambda n: n.lower() not in (
    "content-length", "transfer-encoding", "host", "x-line-signature", "content-encoding", "expect", "connection")),
    header_values, max_size=4)
content_types = st.sampled_from([None, "application/json", "application/json; charset=utf-8", "text/plain",
                                 "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", ""])


def _wrong_signatures(body: bytes) -> st.SearchStrategy[str | None]:
    good = sign(body)
    return st.one_of(
        st.none(),
        st.just(sign(body, "another-secret")),
        st.just(good[:-2] + ("AA" if not good.endswith("AA") else "BB")),
        st.just(good.lower() if good.lower() != good else good.upper()),
        st.just(" " + good + "x"),
        st.binary(max_size=48).map(lambda b: base64.b64encode(b).decode()),
        header_values,
    )


def _headers(signature: str | None, content_type: str | None, extra: dict[str, str]) -> dict[str, str]:
    h = dict(extra)
    if content_type is not None:
        h["Content-Type"] = content_type
    if signature is not None:
        h["X-Line-Signature"] = signature
    return h


# ------------------------------------------------------------------ checks

def _check(harness: WebhookHarness, logs: LogCapture, status: int, signed: bool, body: bytes) -> None:
    assert status != 500 and status < 500, f"{status} for a {'signed' if signed else 'unsigned'} body"
    assert not logs.problems(), logs.problems()
    assert harness.fake.invalid == [], harness.fake.invalid
    if not signed:
        assert status in (400, 413), status
        assert harness.fake.calls == [] and harness.fake.profiles == [], "the API was called without a valid signature"
        assert isinstance(harness.store, CountingStore) and harness.store.ops == 0, "the store was touched"
    else:
        assert status in (200, 400, 413), status
        if status != 200:
            assert harness.fake.calls == [] and harness.fake.profiles == []
            assert isinstance(harness.store, CountingStore) and harness.store.ops == 0
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        assert status in (400, 413) and harness.store.ops == 0  # type: ignore[attr-defined]


def _send(harness: WebhookHarness, body: bytes, headers: dict[str, str], signed: bool) -> None:
    harness.reset()
    with LogCapture() as logs:
        status, _ = harness.post(body, headers)
    event(f"{'signed' if signed else 'unsigned'} → {status}{' with replies' if harness.fake.replies else ''}")
    _check(harness, logs, status, signed, body)


# ------------------------------------------------------------------ tests

@fuzz(70)
@given(raw=st.one_of(st.binary(max_size=3000), st.text(max_size=500).map(lambda t: t.encode("utf-8", "surrogatepass"))),
       signed=st.booleans(), content_type=content_types, extra=extra_headers, data=st.data())
def test_random_bodies(harness: WebhookHarness, raw: bytes, signed: bool, content_type: str | None,
                       extra: dict[str, str], data: st.DataObject) -> None:
    signature = sign(raw) if signed else data.draw(_wrong_signatures(raw), label="signature")
    _send(harness, raw, _headers(signature, content_type, extra), signed)


@fuzz(100)
@given(muts=st.lists(mutations, min_size=1, max_size=6), distinct_users=st.booleans(), ascii_only=st.booleans(),
       splice=st.one_of(st.none(), st.tuples(st.floats(min_value=0, max_value=1), bad_utf8)),
       signed=st.booleans(), content_type=content_types, extra=extra_headers, data=st.data())
def test_mutated_line_sample(harness: WebhookHarness, muts: list[tuple[Any, ...]], distinct_users: bool,
                             ascii_only: bool, splice: tuple[float, bytes] | None, signed: bool,
                             content_type: str | None, extra: dict[str, str], data: st.DataObject) -> None:
    doc = _fresh_sample(distinct_users)
    for m in muts:
        _apply(doc, m)
    body = _encode(doc, ascii_only)
    if splice is not None:
        at = int(splice[0] * len(body))
        body = body[:at] + splice[1] + body[at:]
    signature = sign(body) if signed else data.draw(_wrong_signatures(body), label="signature")
    _send(harness, body, _headers(signature, content_type, extra), signed)


any_text = st.one_of(st.text(max_size=60), huge, st.sampled_from(["はい", "1", "２番", "戻る", "データ削除", "English",
                                                                    "死にたい", "(love)はい", "$", ""]))
user_ids = st.one_of(st.just("U" + "0" * 32), st.text(min_size=1, max_size=40), st.sampled_from(["", "U", "Ux"]))


@st.composite
def plausible_events(draw: st.DrawFn) -> dict[str, Any]:
    """One event the SDK accepts, with random values where LINE puts user-controlled content."""
    kind = draw(st.sampled_from(["text", "text-emoji", "postback", "follow", "unfollow", "sticker", "group-text"]))
    ev: dict[str, Any] = {
        "type": "message", "mode": draw(st.sampled_from(["active", "active", "standby"])),
        "timestamp": draw(st.integers(min_value=0, max_value=2**53)),
        "source": {"type": "user", "userId": draw(user_ids)},
        "webhookEventId": uuid.uuid4().hex, "deliveryContext": {"isRedelivery": draw(st.booleans())},
        "replyToken": draw(st.text(min_size=1, max_size=40)),
    }
    if kind.startswith("text") or kind == "group-text":
        ev["message"] = {"type": "text", "id": "1", "quoteToken": "q", "text": draw(any_text)}
        if kind == "text-emoji":
            ev["message"]["emojis"] = draw(emoji_arrays)
        if kind == "group-text":
            ev["source"] = {"type": "group", "groupId": draw(user_ids), "userId": draw(user_ids)}
    elif kind == "postback":
        ev["type"] = "postback"
        ev["postback"] = {"data": draw(st.one_of(any_text, st.builds(
            lambda c, s_, v: f"c={c}&s={s_}&v={v}", st.sampled_from(["safe", "danger", "pupil", ":restart", ":back",
                                                                     ":forget", ":stop", "%ZZ", ""]),
            st.sampled_from(["safety", "who", "what", "x"]), st.text(max_size=10))))}
    elif kind in ("follow", "unfollow"):
        ev["type"] = kind
        ev.pop("message", None)
        if kind == "unfollow":
            ev.pop("replyToken")
    else:
        ev["message"] = {"type": "sticker", "id": "1", "packageId": "1", "stickerId": "1",
                         "stickerResourceType": "STATIC", "quoteToken": "q"}
    return ev


@fuzz(100)
@given(events=st.lists(plausible_events(), min_size=1, max_size=6), ascii_only=st.booleans())
def test_plausible_events_with_random_content(harness: WebhookHarness, events: list[dict[str, Any]],
                                              ascii_only: bool) -> None:
    """Bodies LINE could really send (the SDK accepts them) with any text, postback data, emoji
    indexes, ids and timestamps: handled (200) and answered within LINE's limits."""
    body = _encode({"destination": "Ubot", "events": events}, ascii_only)
    _send(harness, body, {"X-Line-Signature": sign(body), "Content-Type": "application/json"}, True)


@fuzz(15)
@given(extra=extra_headers, content_type=content_types, case=st.sampled_from(["x-line-signature", "X-LINE-SIGNATURE",
                                                                             "X-Line-Signature"]))
def test_the_unmodified_sample_with_random_headers(harness: WebhookHarness, extra: dict[str, str],
                                                   content_type: str | None, case: str) -> None:
    """Header names are case-insensitive; other headers never change the outcome."""
    body = _encode(_fresh_sample(True), False)
    h = _headers(None, content_type, extra)
    h[case] = sign(body)
    harness.reset()
    with LogCapture() as logs:
        status, _ = harness.post(body, h)
    _check(harness, logs, status, True, body)
    assert status == 200
    assert harness.fake.replies, "the sample's events got no reply"


@fuzz(40)
@given(raw=st.one_of(st.binary(max_size=400), st.builds(lambda ev: _encode(ev, False), st.just(SAMPLE))),
       encoding=st.sampled_from(["gzip", "deflate", "x-gzip", "identity", "br", "zstd", "gzip, deflate", "bogus"]),
       how=st.sampled_from(["compressed", "truncated", "raw"]), signed=st.booleans())
def test_compressed_and_broken_bodies(harness: WebhookHarness, raw: bytes, encoding: str, how: str,
                                      signed: bool) -> None:
    """``Content-Encoding`` (LINE never compresses): valid, truncated and bogus streams are a
    4xx, never a 500, and soudan's code logs no error. (aiohttp itself answers 400 to an
    encoding it cannot decode at all, e.g. br without Brotli, and logs that at ERROR before any
    of soudan's code runs.)"""
    import gzip
    import zlib

    body = raw
    if how != "raw" and encoding in ("gzip", "x-gzip", "deflate"):
        body = gzip.compress(raw) if "gzip" in encoding else zlib.compress(raw)
        if how == "truncated":
            body = body[: max(1, len(body) // 2)]
    harness.reset()
    with LogCapture() as logs:
        status, _ = harness.post(body, {"Content-Encoding": encoding, "X-Line-Signature": sign(body) if signed else "x"})
    event(f"{encoding} {how} → {status}")
    assert status < 500
    assert not logs.ours(), logs.ours()
    if status != 200:
        assert harness.fake.calls == [] and isinstance(harness.store, CountingStore) and harness.store.ops == 0


def test_a_signature_made_with_the_channel_secret_is_the_only_way_in(harness: WebhookHarness) -> None:
    """The sanity check of the fuzzers above: the same body is handled when signed, refused when not."""
    body = _encode(_fresh_sample(True), False)
    harness.reset()
    assert harness.post(body, {"X-Line-Signature": sign(body, CHANNEL_SECRET)})[0] == 200
    assert harness.fake.replies
    harness.reset()
    assert harness.post(body, {"X-Line-Signature": sign(body, CHANNEL_SECRET + "x")})[0] == 400
    assert harness.fake.calls == []


class _FailingStore(CountingStore):
    """A store that is down: every read or write fails like an unreachable Redis."""

    async def mark_event(self, event_id: str, ttl: float) -> bool:
        raise StoreError("Redis store redis://:***@10.0.0.1:6379/0: recording an event id failed (test)")

    async def step(self, *args: Any, **kw: Any) -> StepResult:
        raise StoreError("Redis store redis://:***@10.0.0.1:6379/0: a step (reading) failed (test)")


def test_a_failing_store_is_the_only_500_and_logs_no_traceback() -> None:
    """LINE's documented 500 (so that LINE redelivers; ``LINE_REDELIVERY=on``) happens only when the
    store fails, and even then the log carries one line per event without a traceback, user text or
    raw id."""
    h = WebhookHarness(store=_FailingStore(), settings={"LINE_REDELIVERY": "on"})
    try:
        doc = _fresh_sample(True)
        body = _encode(doc, False)
        with LogCapture() as logs:
            status, _ = h.post(body, {"X-Line-Signature": sign(body)})
        assert status == 500
        assert h.fake.calls == []
        assert all(not r.exc_info for r in logs.records)
        text = logs.text()
        assert "Hello, world" not in text
        users = {ev["source"]["userId"] for ev in doc["events"] if "userId" in ev.get("source", {})}
        assert users and not [u for u in users if u in text]
    finally:
        h.close()
