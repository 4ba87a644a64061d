"""The consultation counters (bot/metrics.py) fed by the service and by the app's sweep."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from bot.app import CONSULTATIONS_KEY, CONVERSATIONS_KEY, METRICS_KEY, create_app, sweep_once
from bot.engine.types import Command, CommandName, Pick, Refer, Start
from bot.metrics import region_label
from bot.settings import Settings
from bot.store.memory import MemoryStore
from bot.store.sqlite import SQLiteStore
from tests.adapters.line.linekit import Samples, scrape, value
from tests.conftest import TINY_DIRECTORY, TINY_FLOW, WEEKDAY_10, write
from tests.store.backends import Backend


def sample(reg: CollectorRegistry, name: str, **labels: str) -> float:
    return reg.get_sample_value(name, labels) or 0.0


@pytest.mark.parametrize("slot, label", [
    ("JP-13", "JP-13"), ("JP-47", "JP-47"), ("JP-10/shibukawa", "JP-10/shibukawa"), ("tokyo", "JP-13"),
    ("shibukawa", "JP-10/shibukawa"), ("skip", "skip"), ("other", "other"), (None, "unknown"),
    ("JP-48", "other"), ("JP-13/nowhere-typed", "other"), ("東京", "other"), ("jp-13", "other"),
])
def test_the_region_label_is_a_known_code_or_a_fixed_word(slot: str | None, label: str) -> None:
    assert region_label(slot) == label


async def test_a_conversation_that_expires_before_a_result_is_one_drop_off_at_its_state(
        tmp_path: Any, aiohttp_client: Any) -> None:
    write(tmp_path, "flows/tiny.yaml", TINY_FLOW)
    write(tmp_path, "directory/test.yaml", TINY_DIRECTORY)
    settings = Settings(_env_file=None, SOUDAN_SECRET="s" * 20, SOUDAN_STORE="memory://",
                        SOUDAN_FLOWS_DIR=str(tmp_path / "flows"), SOUDAN_DIRECTORY_DIR=str(tmp_path / "directory"),
                        SOUDAN_SESSION_TTL=3600)
    clock = {"now": WEEKDAY_10}
    store = SQLiteStore(tmp_path / "soudan.db")
    app = create_app(settings, store=store, clock=lambda: clock["now"])
    await aiohttp_client(app)
    conv = app[CONVERSATIONS_KEY]
    a = await conv.handle("line", "U-a", Start())          # stays at `who`: will drop off
    b = await conv.handle("line", "U-b", Start())
    assert a.session is not None and b.session is not None
    clock["now"] = WEEKDAY_10 + dt.timedelta(minutes=30)
    b = await conv.handle("line", "U-b", Pick("adult", "who", b.session.conversation_id))
    assert b.session is not None and b.session.state == "what"
    reg = app[METRICS_KEY].registry
    assert app[CONSULTATIONS_KEY] is not None
    await sweep_once(app)
    assert sample(reg, "soudan_dropoffs_total", flow="tiny", state="who") == 0   # an hour to go
    clock["now"] = WEEKDAY_10 + dt.timedelta(minutes=55)
    await sweep_once(app)
    await sweep_once(app)                                   # twice: counted once
    assert sample(reg, "soudan_dropoffs_total", flow="tiny", state="who") == 1
    assert sample(reg, "soudan_dropoffs_total", flow="tiny", state="what") == 0  # touched later, not due
    # the drop-off mark outlives the session (and 「データ削除」): its row names no conversation id
    with sqlite3.connect(tmp_path / "soudan.db") as db:
        marks = [r[0] for r in db.execute("SELECT id FROM events WHERE id LIKE 'dropoff:%'")]
    assert len(marks) == 1 and a.session.conversation_id not in marks[0]


async def test_back_to_a_result_from_the_question_after_it_is_no_drop_off(tmp_path: Any, aiohttp_client: Any) -> None:
    """At a result with ``next``, 「相談を続ける」 then 「戻る」 is at the result again: the conversation
    reached a result (it used to be counted as a drop-off at the result when it expired there)."""
    write(tmp_path, "flows/tiny.yaml", TINY_FLOW.replace("  result-adult:\n", "  result-adult:\n    next: who\n"))
    write(tmp_path, "directory/test.yaml", TINY_DIRECTORY)
    settings = Settings(_env_file=None, SOUDAN_SECRET="s" * 20, SOUDAN_STORE="memory://",
                        SOUDAN_FLOWS_DIR=str(tmp_path / "flows"), SOUDAN_DIRECTORY_DIR=str(tmp_path / "directory"),
                        SOUDAN_SESSION_TTL=3600)
    clock = {"now": WEEKDAY_10}
    app = create_app(settings, store=MemoryStore(), clock=lambda: clock["now"])
    await aiohttp_client(app)
    conv, reg = app[CONVERSATIONS_KEY], app[METRICS_KEY].registry
    h = await conv.handle("line", "U-a", Start())
    for state, choice in (("who", "adult"), ("what", "other"), ("result-adult", ":continue"), ("who", ":back")):
        assert h.session is not None and h.session.state == state
        h = await conv.handle("line", "U-a", Pick(choice, state, h.session.conversation_id))
    assert h.session is not None and h.session.state == "result-adult"
    assert "何がありましたか？" not in [getattr(r, "text", "") for r in h.replies]
    assert sample(reg, "soudan_consultations_finished_total", platform="line", flow="tiny", how="result") == 1
    clock["now"] = WEEKDAY_10 + dt.timedelta(minutes=55)
    await sweep_once(app)
    assert sample(reg, "soudan_dropoffs_total", flow="tiny", state="result-adult") == 0


async def test_a_conversation_that_reaches_several_results_is_finished_once(
        tmp_path: Any, aiohttp_client: Any, backend: Backend) -> None:
    """result → 「相談を続ける」 → another result, then 「戻る」 and another answer → a third: the
    conversation is one finished consultation on ``/metrics`` (each result is still one
    ``soudan_results``); 「最初から」 begins a new conversation, counted again. Every store backend
    (the memory of finished conversations is the store's)."""
    write(tmp_path, "flows/tiny.yaml", TINY_FLOW.replace("  result-adult:\n", "  result-adult:\n    next: who\n"))
    write(tmp_path, "directory/test.yaml", TINY_DIRECTORY)
    settings = Settings(_env_file=None, SOUDAN_SECRET="s" * 20, SOUDAN_STORE="memory://",
                        SOUDAN_FLOWS_DIR=str(tmp_path / "flows"), SOUDAN_DIRECTORY_DIR=str(tmp_path / "directory"))
    app = create_app(settings, store=backend.open(), clock=lambda: WEEKDAY_10)
    client = await aiohttp_client(app)
    conv = app[CONVERSATIONS_KEY]

    def finished(m: Samples) -> float:
        return value(m, "soudan_consultations_finished_total", platform="web", flow="tiny", how="result")

    h = await conv.handle("web", "U-a", Start())
    for state, choice in (("who", "adult"), ("what", "other"), ("result-adult", ":continue"), ("who", "pupil"),
                          ("what", "yes"), ("result-pupil", ":back"), ("what", "other")):
        assert h.session is not None and h.session.state == state
        h = await conv.handle("web", "U-a", Pick(choice, state, h.session.conversation_id))
    assert h.session is not None and h.session.state == "result-adult"
    assert [r.state_id for r in h.replies if isinstance(r, Refer)] == ["result-adult"]
    m = await scrape(client)
    assert finished(m) == 1
    assert value(m, "soudan_results_total", flow="tiny", state="result-adult", urgency="none") == 2
    assert value(m, "soudan_results_total", flow="tiny", state="result-pupil", urgency="none") == 1
    assert value(m, "soudan_consultations_started_total", platform="web", flow="tiny") == 1

    h = await conv.handle("web", "U-a", Command(CommandName.RESTART))
    for state, choice in (("who", "adult"), ("what", "other")):
        assert h.session is not None and h.session.state == state
        h = await conv.handle("web", "U-a", Pick(choice, state, h.session.conversation_id))
    m = await scrape(client)
    assert value(m, "soudan_consultations_started_total", platform="web", flow="tiny") == 2
    assert finished(m) == 2
