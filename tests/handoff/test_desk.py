"""The hand-off desk (bot/handoff/desk.py) in the app: events reach the team's sink, the sweep
times out a hand-off nobody picked up and tells the person, taken/withdrawn/データ削除 update the
team, the counters count each event once, and nothing typed reaches the sink."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from bot.app import CONVERSATIONS_KEY, DESK_KEY, METRICS_KEY, create_app, sweep_once
from bot.engine.types import HandoffEvent, Pick, Refer, Reply, Say, Start, Text
from bot.handoff.desk import Record
from bot.settings import ROOT, Settings
from bot.store.memory import MemoryStore
from bot.timeutil import JST
from tests import shipped

TUESDAY_18 = dt.datetime(2026, 12, 1, 18, 0, tzinfo=JST)
TYPED = "秘密の話 山田花子 090-1234-5678"


class FakeSink:
    """A team and a person as the desk reaches them: everything delivered, as JSON."""

    def __init__(self) -> None:
        self.team: list[tuple[str, dict[str, Any] | None, str]] = []
        self.person: list[tuple[str, list[str]]] = []

    async def to_team(self, event: HandoffEvent, record: Record) -> None:
        self.team.append((event.kind, event.summary.to_dict() if event.summary else None, record.address))

    async def to_person(self, record: Record, replies: Sequence[Reply], locale: str) -> None:
        texts = [r.text for r in replies]
        texts += [v.contact.id for r in replies if isinstance(r, Refer) for v in r.contacts]
        self.person.append((record.address, texts))


async def app_with_sink(aiohttp_client: Any, clock: dict[str, dt.datetime]) -> tuple[Any, FakeSink]:
    settings = Settings(_env_file=None, SOUDAN_SECRET="s" * 20, SOUDAN_STORE="memory://", SOUDAN_METRICS=True,
                        SOUDAN_SIMULATOR=False, SOUDAN_TEAMS_FILE=str(ROOT / "deploy/teams.example.yaml"))
    app = create_app(settings, engine=shipped.engine(settings.teams_file), store=MemoryStore(), clock=lambda: clock["now"])
    sink = FakeSink()
    app[DESK_KEY].register("chatwoot", sink)
    await aiohttp_client(app)
    return app, sink


async def to_handoff(app: Any, address: str) -> Any:
    conv, desk = app[CONVERSATIONS_KEY], app[DESK_KEY]

    async def step(inp: Any) -> Any:
        h = await conv.handle("chatwoot", address, inp)
        await desk.dispatch("chatwoot", h, address)
        return h

    h = await step(Start())
    await step(Text(TYPED))
    for choice in ["none", "pupil", "def", "other", ":handoff", ":handoff-yes"]:
        h = await step(Pick(choice, h.session.state, h.session.conversation_id))
    return h, step


async def test_consent_posts_the_summary_and_nobody_answering_times_out_at_the_sweep(aiohttp_client: Any) -> None:
    clock = {"now": TUESDAY_18}
    app, sink = await app_with_sink(aiohttp_client, clock)
    h, _ = await to_handoff(app, "1/42")
    assert [k for k, _, _ in sink.team] == ["requested"]
    summary = sink.team[0][1]
    assert summary is not None and summary["urgency"] == "normal" and summary["result"] == "youth_net"
    assert TYPED not in json.dumps(summary, ensure_ascii=False)
    assert app[DESK_KEY].record_of(h.key) is not None

    clock["now"] = TUESDAY_18 + dt.timedelta(minutes=5)
    await sweep_once(app)
    assert sink.person == []
    clock["now"] = TUESDAY_18 + dt.timedelta(minutes=10, seconds=1)
    await sweep_once(app)
    assert [k for k, _, _ in sink.team] == ["requested", "timed_out"]
    [(address, texts)] = sink.person
    assert address == "1/42"
    assert any("いま対応できる人がいませんでした" in t for t in texts)
    assert {"yorisoi", "mext_24h_sos"} & set(texts)
    assert app[DESK_KEY].record_of(h.key) is None
    await sweep_once(app)
    assert len(sink.person) == 1                                    # told once

    reg = app[METRICS_KEY].registry
    for event, n in [("offered", 1), ("accepted", 1), ("timed_out", 1), ("taken", 0)]:
        assert reg.get_sample_value("soudan_handoffs_total", {"team": "counsellors", "event": event}) == (n or None)


async def test_taken_tells_the_person_and_the_team_once(aiohttp_client: Any) -> None:
    clock = {"now": TUESDAY_18}
    app, sink = await app_with_sink(aiohttp_client, clock)
    h, _ = await to_handoff(app, "1/43")
    assert await app[DESK_KEY].taken(h.key) is True
    assert await app[DESK_KEY].taken(h.key) is False                # a second moderator: already taken
    assert [k for k, _, _ in sink.team] == ["requested", "taken"]
    assert any("対応します" in t for t in sink.person[0][1])
    clock["now"] = TUESDAY_18 + dt.timedelta(hours=1)
    await sweep_once(app)
    assert [k for k, _, _ in sink.team] == ["requested", "taken"]    # taken: never timed out


async def test_withdrawing_and_deleting_data_take_the_card_down(aiohttp_client: Any) -> None:
    clock = {"now": TUESDAY_18}
    app, sink = await app_with_sink(aiohttp_client, clock)
    h, step = await to_handoff(app, "1/44")
    out = await step(Text("やっぱりやめる"))
    assert any(isinstance(r, Say) and "取り消しました" in r.text for r in out.replies)
    assert [k for k, _, _ in sink.team] == ["requested", "withdrawn"]
    assert app[DESK_KEY].record_of(h.key) is None

    h2, step2 = await to_handoff(app, "1/45")
    out = await step2(Text("データ削除"))
    assert out.session is not None and app[DESK_KEY].record_of(h2.key) is not None  # asked first
    out = await step2(Text("消す"))
    assert out.session is None
    assert [k for k, _, _ in sink.team][-1] == "withdrawn"
    assert app[DESK_KEY].record_of(h2.key) is None
    assert await app[CONVERSATIONS_KEY].store.get(h2.key) is None


def test_soudan_serve_refuses_a_broken_teams_file(tmp_path: Any, capsys: Any, monkeypatch: Any) -> None:
    import argparse

    from bot import serve

    bad = tmp_path / "teams.yaml"
    bad.write_text("- id: counsellors\n  kind: counsellor\n  name: a\n  platforms: [chatwoot]\n"
                   "  hours: 'Mo-Fr 17:00-21:00'\n  hours_text: a\n  pickup_timeout: 1\n", encoding="utf-8")
    monkeypatch.setenv("SOUDAN_TEAMS_FILE", str(bad))
    monkeypatch.setenv("SOUDAN_STORE", "memory://")
    assert serve.main(argparse.Namespace(host="127.0.0.1", port=0)) == 2
    err = capsys.readouterr().err
    assert f"{bad}:7:" in err and "pickup_timeout" in err
