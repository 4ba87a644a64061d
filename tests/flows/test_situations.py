"""The screening flow ``flows/net-harm.yaml``, as a person in distress would meet it.

One scripted conversation per situation runs through the real command (in this process),
``soudan chat --jsonl --at …`` (DESIGN.md §6), the way a user types it: numbers and free text.
Each test checks what the user sees at the end — the windows offered, their phone numbers and
whether they are open at that frozen instant — and the state reached after every line, so a
typed answer that silently stopped matching fails here.

A second group checks the flow as a whole with the engine directly: every result, on every
path, at a weekday morning, a Sunday, New Year's Eve at night and 3 a.m., offers at least one
window a person can reach now; texts exist in Japanese and English; button labels fit LINE's
20 characters; no result promises an outcome.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot import cli
from bot.engine.core import Engine
from bot.engine.flow import Flow
from bot.engine.types import Pick, Refer, Session, Start, Text
from tests import shipped

ROOT = Path(__file__).resolve().parents[2]
FLOW_FILE = ROOT / "flows" / "net-harm.yaml"

WEEKDAY = "2026-12-01T10:00:00+09:00"  # Tuesday morning
SUNDAY = "2026-12-06T10:00:00+09:00"
NEW_YEARS_EVE = "2026-12-31T23:00:00+09:00"  # year-end closure and night

YORISOI = ("0120-279-338", "0120-279-226")
RESTART = "最初から"
MORE = {"ja": "ほかの窓口", "en": "Other windows"}


@dataclass(frozen=True)
class Win:
    """A window as the user must see it: numbers, status, and the times shown with it."""

    phones: tuple[str, ...]
    status: str
    open_until: str | None = None
    next_open: str | None = None


@dataclass(frozen=True)
class Situation:
    """A scripted conversation and what the user must see at its end.

    Attributes:
        name: test id.
        at: the frozen time (``--at``).
        lines: what the user types, one line per turn.
        states: the state reached after each line (same length as ``lines``).
        windows: every window shown in the last turn's result, by contact id (at most three,
            routing.md §0).
        contains: texts that must appear in the last turn's result (lead text or steps).
        lang: ``--lang``.
        more: the windows listed when the person then sends 「ほかの窓口」 (the result's button
            「ほかの窓口（N件）」), by contact id; empty: the result has no such button.
    """

    name: str
    at: str
    lines: tuple[str, ...]
    states: tuple[str, ...]
    windows: dict[str, Win]
    contains: tuple[str, ...] = ()
    lang: str | None = None
    more: dict[str, Win] = field(default_factory=dict)


SITUATIONS: list[Situation] = [
    Situation(
        "DEF-delete-weekday", WEEKDAY,
        ("4", "18歳以上です", "Xで悪口を書かれています", "大阪", "削除してほしい"),
        ("who", "what", "region", "goal", "delete"),
        {
            "moj_minna_110": Win(("0570-003-110",), "open", open_until="2026-12-01T17:15:00+09:00"),
            "sia_hibou_hotline": Win((), "24h"),
            "ihaho": Win((), "unknown"),
        },
        ("URL", "スクリーンショット", "言い返さない", "7日以内", "3〜6か月", "削除される場合があります"),
    ),
    Situation(
        "DEF-delete-sunday", SUNDAY,
        ("4", "2", "悪口を書かれた", "それ以外", "消したい"),
        ("who", "what", "region", "goal", "delete"),
        {
            "sia_hibou_hotline": Win((), "24h"),
            "ihaho": Win((), "unknown"),
            "yorisoi": Win(YORISOI, "24h"),  # the fallback: no phone line of the result is open
        },
        ("24時間つながる「よりそいホットライン」も載せています",),
        more={
            "moj_minna_110": Win(("0570-003-110",), "closed", next_open="2026-12-07T08:30:00+09:00"),
        },
    ),
    Situation(
        "HAR-stop-tokyo", WEEKDAY,
        ("4", "2", "しつこい嫌がらせを受けています", "東京都", "やめてほしい"),
        ("who", "what", "region", "goal", "stop_har"),
        {
            "moj_minna_110": Win(("0570-003-110",), "open", open_until="2026-12-01T17:15:00+09:00"),
            "houterasu_support": Win(("0570-078374", "03-6745-5600"), "open",
                                     open_until="2026-12-01T21:00:00+09:00"),
            "police_9110": Win(("#9110",), "open", open_until="2026-12-01T17:00:00+09:00"),
        },
        ("ストーカー規制法", "言い返さない"),
    ),
    Situation(
        "DOX-delete-shibukawa", WEEKDAY,
        ("4", "2", "住所を晒された", "渋川市", "消したい"),
        ("who", "what", "region", "goal", "delete_dox"),
        {
            "shibukawa_window": Win(("0279-25-8526",), "open", open_until="2026-12-01T17:15:00+09:00"),
            "moj_minna_110": Win(("0570-003-110",), "open", open_until="2026-12-01T17:15:00+09:00"),
            "police_9110": Win(("#9110",), "open", open_until="2026-12-01T17:00:00+09:00"),
        },
        ("身の安全",),
        more={
            "gunma_net_window": Win(("027-212-0091",), "open", open_until="2026-12-01T12:00:00+09:00"),
            "sia_hibou_hotline": Win((), "24h"),
            "ihaho": Win((), "unknown"),
        },
    ),
    Situation(
        "THR-kill-threat", WEEKDAY,
        ("4", "2", "殺害予告をされました", "傷つけるって書かれた"),
        ("who", "what", "thr_kind", "thr"),
        {
            "police_110": Win(("110",), "24h"),
            "police_cyber_online": Win((), "24h"),
            "police_9110": Win(("#9110",), "open", open_until="2026-12-01T17:00:00+09:00"),
        },
        ("110番", "被害届", "オンライン受付では被害届は出せません"),
    ),
    Situation(
        "STK-ex-partner-tokyo", WEEKDAY,
        ("4", "2", "ストーカー", "東京", "元彼"),
        ("who", "what", "region", "stk_who", "stk_ex"),
        {
            "dv_plus": Win(("0120-279-889",), "24h"),
            "tokyo_womens_plaza": Win(("03-5467-2455",), "open", open_until="2026-12-01T21:00:00+09:00"),
            "police_9110": Win(("#9110",), "open", open_until="2026-12-01T17:00:00+09:00"),
        },
        ("警告", "禁止命令", "消さずに"),
        more={
            "dv_navi_8008": Win(("#8008",), "unknown"),
            "tokyo_womens_plaza_men": Win(("03-3400-5313",), "unknown"),
            "tokyo_women_center": Win(("03-5261-3110", "042-522-4232", "03-5261-3911"), "unknown"),
            "houterasu_victim": Win(("0570-079714",), "open", open_until="2026-12-01T21:00:00+09:00"),
        },
    ),
    Situation(
        "NCII-posted", WEEKDAY,
        ("4", "2", "リベンジポルノ", "大阪", "ネットに載せられた", "知らない人"),
        ("who", "what", "region", "ncii_kind", "ncii_them", "ncii_posted"),
        {
            "safeline": Win((), "24h"),
            "police_8103": Win(("#8103",), "24h"),
            "moj_women_hotline": Win(("0570-070-810",), "open", open_until="2026-12-01T17:15:00+09:00"),
        },
        ("本人か", "友だちの代わりの通報はできません", "すべて消えるとは限りません"),
        more={
            "moj_minna_110": Win(("0570-003-110",), "open", open_until="2026-12-01T17:15:00+09:00"),
        },
    ),
    Situation(
        "BUL-pupil-gunma", WEEKDAY,
        ("4", "中学生", "クラスでいじめ", "群馬"),
        ("who", "what", "region", "youth_net"),
        {
            "mext_24h_sos": Win(("0120-0-78310",), "24h"),
            "gunma_net_window": Win(("027-212-0091",), "open", open_until="2026-12-01T12:00:00+09:00"),
            "moj_kodomo_110": Win(("0120-007-110",), "open", open_until="2026-12-01T17:15:00+09:00"),
        },
        ("あなたは悪くありません", "言い返さないでね"),
        more={
            "childline": Win(("0120-99-7777",), "closed", next_open="2026-12-01T16:00:00+09:00"),
        },
    ),
    Situation(
        "ATO-hacked", WEEKDAY,
        ("4", "2", "アカウントを乗っ取られた", "ログインできない"),
        ("who", "what", "ato_kind", "ato"),
        {
            "police_cyber_online": Win((), "24h"),
            "police_9110": Win(("#9110",), "open", open_until="2026-12-01T17:00:00+09:00"),
            "ipa_anshin": Win((), "unknown"),
        },
        ("パスワード", "2段階認証"),
    ),
    Situation(
        "DIS-pupil-talk", WEEKDAY,
        ("4", "高校生", "話を聞いてほしい"),
        ("who", "what", "talk_youth"),
        {
            "mext_24h_sos": Win(("0120-0-78310",), "24h"),
            "anata_no_ibasho": Win((), "24h"),
            "yorisoi": Win(YORISOI, "24h"),
        },
        ("あなたは悪くありません", "名前を言わなくても大丈夫"),
        more={
            "childline": Win(("0120-99-7777",), "closed", next_open="2026-12-01T16:00:00+09:00"),
        },
    ),
    Situation(
        "triage-danger", WEEKDAY,
        ("1",),
        ("emergency",),
        {
            "police_110": Win(("110",), "24h"),
            "police_9110": Win(("#9110",), "open", open_until="2026-12-01T17:00:00+09:00"),
        },
        ("いますぐ110番", "消さないでください"),
    ),
    Situation(
        "triage-selfharm-injured", WEEKDAY,
        ("2", "1"),
        ("selfharm", "selfharm_injured"),
        {
            "fire_ambulance_119": Win(("119",), "24h"),
            "yorisoi": Win(YORISOI, "24h"),
            "mext_24h_sos": Win(("0120-0-78310",), "24h"),
        },
        ("119番",),
    ),
    Situation(
        "triage-selfharm-pupil", WEEKDAY,
        ("2", "中学生"),
        ("selfharm", "selfharm_youth"),
        {
            "mext_24h_sos": Win(("0120-0-78310",), "24h"),
            "anata_no_ibasho": Win((), "24h"),
            "yorisoi": Win(YORISOI, "24h"),
        },
        ("あなたは悪くありません", "119番"),
        more={
            "childline": Win(("0120-99-7777",), "closed", next_open="2026-12-01T16:00:00+09:00"),
        },
    ),
    Situation(
        "triage-sexual-assault-tokyo", WEEKDAY,
        ("3", "東京"),
        ("sv_region", "sv"),
        {
            "tokyo_nana": Win(("03-5607-0799", "#8891"), "24h"),
            "police_8103": Win(("#8103",), "24h"),
            "police_110": Win(("110",), "24h"),
        },
        ("72時間以内", "洗わずに"),
        more={
            "onestop_8891": Win(("#8891", "0120-8891-77"), "unknown"),
        },
    ),
    Situation(
        "crisis-word-mid-flow", WEEKDAY,
        ("4", "2", "1", "もう死にたい"),
        ("who", "what", "region", "region"),
        {
            "yorisoi": Win(YORISOI, "24h"),
            "anata_no_ibasho": Win((), "24h"),
            "police_110": Win(("110",), "24h"),
            "fire_ambulance_119": Win(("119",), "24h"),
            # an adult (「2」): not 24時間子供SOSダイヤル (crisis.adult, routing.md §1)
        },
        ("110番", "119番"),
    ),
    Situation(
        "night-new-years-eve", NEW_YEARS_EVE,
        ("4", "2", "悪口", "その他", "削除"),
        ("who", "what", "region", "goal", "delete"),
        {
            "sia_hibou_hotline": Win((), "24h"),
            "ihaho": Win((), "unknown"),
            "yorisoi": Win(YORISOI, "24h"),
        },
        ("24時間つながる「よりそいホットライン」も載せています",),
        more={
            "moj_minna_110": Win(("0570-003-110",), "closed", next_open="2027-01-04T08:30:00+09:00"),
        },
    ),
    Situation(
        "STK-english", WEEKDAY,
        ("None of these", "Myself, 18 or over", "stalking", "Elsewhere in Japan", "A stranger/unknown"),
        ("who", "what", "region", "stk_who", "stk"),
        {
            "police_110": Win(("110",), "24h"),
            "moj_women_hotline": Win(("0570-070-810",), "open", open_until="2026-12-01T17:15:00+09:00"),
            "police_9110": Win(("#9110",), "open", open_until="2026-12-01T17:00:00+09:00"),
        },
        ("Stalker Regulation Act", "call 110"),
        lang="en",
        more={
            "moj_minna_110": Win(("0570-003-110",), "open", open_until="2026-12-01T17:15:00+09:00"),
        },
    ),
]


# ---------------------------------------------------------------- running the CLI

def _run_cli(at: str, lang: str | None, lines: list[str]) -> list[dict[str, Any]]:
    """``soudan chat --jsonl`` in this process (``bot.cli.main``) over the shipped files, with no
    SOUDAN_/LINE_/DISCORD_ variables from the environment."""
    args = ["chat", "--jsonl", "--at", at, *(["--lang", lang] if lang else [])]
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as m, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        for k in [k for k in os.environ if k.startswith(("SOUDAN_", "LINE_", "DISCORD_"))]:
            m.delenv(k)
        m.setenv("SOUDAN_FLOWS_DIR", str(ROOT / "flows"))
        m.setenv("SOUDAN_DIRECTORY_DIR", str(ROOT / "directory"))
        m.setenv("SOUDAN_DEFAULT_FLOW", "net-harm")
        m.setattr(sys, "stdin", io.StringIO("\n".join(lines) + "\n"))
        code = cli.main(args)
    assert code == 0, f"soudan chat failed:\n{err.getvalue()}"
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def transcripts() -> dict[str, list[dict[str, Any]]]:
    """The JSON turns of every situation, from ``soudan chat --jsonl``.

    Situations with the same frozen time and language share one process (loading the flows and
    the directory is the slow part): the user sends 「最初から」 between them, as a person could.
    Each situation's slice starts with the turn that shows the safety question.
    """
    groups: dict[tuple[str, str | None], list[Situation]] = {}
    for s in SITUATIONS:
        groups.setdefault((s.at, s.lang), []).append(s)
    out: dict[str, list[dict[str, Any]]] = {}
    for (at, lang), group in groups.items():
        lines: list[str] = []
        for i, s in enumerate(group):
            if i:
                lines.append(RESTART)
            lines.extend(s.lines)
            if s.more:
                lines.append(MORE[lang or "ja"])
        turns = _run_cli(at, lang, lines)
        assert len(turns) == len(lines) + 1, f"one JSON object per turn, plus the first: {len(turns)}"
        pos = 0
        for s in group:
            out[s.name] = turns[pos:pos + len(s.lines) + 1]
            pos += len(s.lines) + 1
            if s.more:
                out[f"{s.name}+more"] = turns[pos:pos + 1]
                pos += 1
    return out


def _refers(turn: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in turn["replies"] if r["type"] == "refer"]


def _same_windows(refer: dict[str, Any], windows: dict[str, Win], at: str) -> None:
    """The windows of ``refer`` (a JSON reply) are exactly ``windows``, with their numbers and status."""
    seen = {c["id"]: c for c in refer["contacts"]}
    assert set(seen) == set(windows), f"windows offered: {list(seen)}"
    for cid, want in windows.items():
        c = seen[cid]
        assert tuple(c["phones"]) == want.phones, f"{cid} phones"
        assert c["status"] == want.status, f"{cid} status at {at}"
        assert c["open_until"] == want.open_until, f"{cid} open_until"
        assert c["next_open"] == want.next_open, f"{cid} next_open"
        assert c["name"], f"{cid} has no name"


@pytest.mark.parametrize("s", SITUATIONS, ids=[s.name for s in SITUATIONS])
def test_situation_offers_the_right_windows(s: Situation, transcripts: dict[str, list[dict[str, Any]]]) -> None:
    turns = transcripts[s.name]
    # the turn before the first line shows the safety question (the very first object comes
    # before any input; later ones answer 「最初から」)
    assert turns[0]["state"] == "safety"
    assert any(r["type"] == "ask" for r in turns[0]["replies"])

    # every typed line was understood: the conversation moved where it should, turn by turn
    assert tuple(t["state"] for t in turns[1:]) == s.states

    last = turns[-1]
    refers = _refers(last)
    assert len(refers) == 1, f"expected one result in the last turn, got {refers}"
    refer = refers[0]
    _same_windows(refer, s.windows, s.at)
    menu = [c["label"] for r in last["replies"] if r["type"] == "ask" for c in r["choices"]]
    if any(c["id"] == ":back" for r in last["replies"] if r["type"] == "ask" for c in r["choices"]):  # a result
        assert len(refer["contacts"]) <= 3, "a result shows at most three windows at first (routing.md §0)"
    more_label = {"ja": f"ほかの窓口（{len(s.more)}件）", "en": f"Other windows ({len(s.more)})"}[s.lang or "ja"]
    assert (more_label in menu) == bool(s.more), f"the result's buttons: {menu}"
    if s.more:
        [listing] = _refers(transcripts[f"{s.name}+more"][0])
        _same_windows(listing, s.more, s.at)

    # a window that can be reached now comes first
    first = refer["contacts"][0]
    assert first["status"] in ("open", "24h"), f"first window {first['id']} is {first['status']}"

    shown = "\n".join([r["text"] for r in last["replies"]] + list(refer["steps"]))
    for text in s.contains:
        assert text in shown, f"{text!r} not in the result:\n{shown}"
    assert refer["steps"], "a result without next steps"


def test_english_result_is_in_english(transcripts: dict[str, list[dict[str, Any]]]) -> None:
    refer = _refers(transcripts["STK-english"][-1])[0]
    text = "\n".join([refer["text"], *refer["steps"]])
    assert not re.search(r"[\u3040-\u30ff]", text), f"Japanese kana in the English result:\n{text}"


# ---------------------------------------------------------------- the flow as a whole (engine)

@pytest.fixture(scope="module")
def engine() -> Engine:
    return shipped.engine()  # its default flow is net-harm, the only shipped flow


@pytest.fixture(scope="module")
def flow(engine: Engine) -> Flow:
    return engine.flows["net-harm"]


def _walk(engine: Engine, now: dt.datetime) -> Iterator[tuple[list[str], Session, Refer]]:
    """Every path through the flow by buttons: (choices taken, session, result shown)."""
    start = engine.step(None, Start("net-harm"), now).session
    assert start is not None
    todo: list[tuple[list[str], Session]] = [([], start)]
    flow = engine.flows["net-harm"]
    while todo:
        path, s = todo.pop()
        st = flow.states[s.state]
        for ch in st.choices or []:
            out = engine.step(s, Pick(ch.id, s.state, s.conversation_id), now)
            assert out.session is not None
            refers = [r for r in out.replies if isinstance(r, Refer)]
            if refers:
                yield [*path, ch.id], out.session, refers[0]
            else:
                todo.append(([*path, ch.id], out.session))


@pytest.mark.parametrize("at", [WEEKDAY, SUNDAY, NEW_YEARS_EVE, "2026-12-02T03:00:00+09:00",
                                "2026-09-22T12:30:00+09:00"])
def test_every_result_offers_a_window_reachable_now(engine: Engine, flow: Flow, at: str) -> None:
    now = dt.datetime.fromisoformat(at)
    reached: set[str] = set()
    for path, s, refer in _walk(engine, now):
        reached.add(s.state)
        live = [v.contact.id for v in refer.contacts if v.status.is_staffed]
        assert live, f"{' > '.join(path)} → {s.state}: nothing reachable at {at}"
        assert refer.steps, f"{s.state}: no next steps"
        spec = flow.states[s.state].refer
        assert spec is not None
        local = spec.local.max if spec.local is not None else 0
        assert len(refer.contacts) <= len(spec.contacts) + local + 1  # local windows, one fallback line
    results = {sid for sid, st in flow.states.items() if st.kind == "refer"}
    assert reached == results, f"results no path reaches: {sorted(results - reached)}"


def _texts(flow: Flow) -> Iterator[tuple[str, dict[str, str]]]:
    yield "title", flow.title
    assert flow.crisis is not None
    yield "crisis.text", flow.crisis.text
    for i, t in enumerate(flow.crisis.steps):
        yield f"crisis.steps[{i}]", t
    for sid, st in flow.states.items():
        for key in ("ask", "say"):
            if getattr(st, key) is not None:
                yield f"{sid}.{key}", getattr(st, key)
        for ch in st.choices or []:
            yield f"{sid}.{ch.id}.label", ch.label
        if st.refer is not None:
            yield f"{sid}.refer.text", st.refer.text
            for i, t in enumerate(st.refer.steps):
                yield f"{sid}.refer.steps[{i}]", t


def test_every_text_is_in_japanese_and_english(flow: Flow) -> None:
    missing = [where for where, t in _texts(flow) if not t.get("ja") or not t.get("en")]
    assert not missing, f"texts without both ja and en: {missing}"


def test_buttons_fit_line_quick_replies(flow: Flow) -> None:
    for sid, st in flow.states.items():
        assert len(st.choices or []) <= 13, f"{sid}: more than 13 choices"
        for ch in st.choices or []:
            for loc, label in ch.label.items():
                assert len(label) <= 20, f"{sid}.{ch.id} ({loc}) label longer than 20: {label!r}"


def test_results_name_two_to_four_windows(flow: Flow) -> None:
    for sid, st in flow.states.items():
        if st.refer is not None:
            assert 2 <= len(st.refer.contacts) <= 4, f"{sid}: {st.refer.contacts}"


_PROMISES = re.compile(r"削除されます|消えます|消してもらえます。|特定できます|逮捕されます|処罰されます"
                       r"|will be (removed|deleted)|will be identified|will be arrested")


def test_no_result_promises_an_outcome(flow: Flow) -> None:
    for where, t in _texts(flow):
        for loc, text in t.items():
            assert not _PROMISES.search(text), f"{where} ({loc}) promises an outcome: {text}"


def test_no_expired_or_commercial_services() -> None:
    text = FLOW_FILE.read_text(encoding="utf-8")
    for word in ("ドコモ", "ココナラ", "#9999", "0120-221-360", "03-5805-1731"):
        assert word not in text


@pytest.mark.parametrize("words", ["死にたい", "もう消えたい…", "リスカしちゃった", "自殺したい",
                                   "今から来るって言われた", "殺されるかもしれない", "I want to die",
                                   "thinking about suicide", "ｼﾆﾀｲ"])
def test_crisis_words_interrupt_any_question(engine: Engine, words: str) -> None:
    now = dt.datetime.fromisoformat(WEEKDAY)
    s = engine.step(None, Start("net-harm"), now).session
    assert s is not None
    for answer in ("4", "2", "1"):  # deep inside: the region question
        s = engine.step(s, Text(answer), now).session
        assert s is not None
    out = engine.step(s, Text(words), now)
    assert out.session is not None and out.session.state == "region"
    refers = [r for r in out.replies if isinstance(r, Refer)]
    assert refers, f"{words!r} did not interrupt"
    assert {"police_110", "fire_ambulance_119", "yorisoi"} <= {v.contact.id for v in refers[0].contacts}
