"""The shipped flows and directory, rendered for Discord: every question and every result of every
path fits Discord's limits, and every button's custom_id maps back to the choice it shows."""

from __future__ import annotations

import datetime as dt
from collections import deque

import pytest

from bot.adapters.discord import ButtonSpec, SelectSpec, parse_choice_custom_id, render
from bot.adapters.discord.ids import Unhash
from bot.engine.core import Engine
from bot.engine.types import Ask, Pick, Refer, Reply, Session, Start
from bot.service import Conversations
from bot.store.memory import MemoryStore
from tests.adapters.discord.test_discord_render import check_limits
from tests.conftest import WEEKDAY_10

NIGHT = dt.datetime(2026, 12, 5, 23, 30, tzinfo=WEEKDAY_10.tzinfo)  # Saturday night: most lines closed
MAX_SESSIONS = 5000


def walk(engine: Engine, now: dt.datetime, locale: str) -> list[list[Reply]]:
    """The replies of every step of every path through each flow (breadth first, by buttons)."""
    out: list[list[Reply]] = []
    seen: set[tuple[str, str, tuple[tuple[str, str], ...]]] = set()
    for fid in engine.flows:
        first = engine.step(None, Start(flow_id=fid, locale=locale), now)
        queue: deque[tuple[Session, list[Reply]]] = deque([(first.session, first.replies)])  # type: ignore[list-item]
        while queue and len(seen) < MAX_SESSIONS:
            session, replies = queue.popleft()
            out.append(replies)
            key = (session.flow_id, session.state, tuple(sorted(session.slots.items())))
            if key in seen:
                continue
            seen.add(key)
            ask = next((r for r in reversed(replies) if isinstance(r, Ask)), None)
            if ask is None:
                continue
            for c in ask.choices:
                if c.id.startswith(":"):
                    continue
                nxt = engine.step(session, Pick(c.id, ask.state_id, ask.conversation_id), now)
                if nxt.session is not None:
                    queue.append((nxt.session, nxt.replies))
    return out


@pytest.mark.parametrize("locale", ["ja", "en"])
@pytest.mark.parametrize("now", [WEEKDAY_10, NIGHT], ids=["weekday", "night"])
def test_every_step_of_the_shipped_flows_fits_discord(shipped_engine: Engine, locale: str, now: dt.datetime) -> None:
    unhash = Unhash(Conversations(shipped_engine, MemoryStore(), "s"))
    steps = walk(shipped_engine, now, locale)
    assert any(isinstance(r, Refer) for replies in steps for r in replies)
    for replies in steps:
        messages = render(replies, locale)
        check_limits(messages)
        asks = [r for r in replies if isinstance(r, Ask)]
        buttons = [c for m in messages for c in m.components if isinstance(c, ButtonSpec)]
        selects = [c for m in messages for c in m.components if isinstance(c, SelectSpec)]
        for ask in asks:
            if len(ask.choices) <= 25:
                shown = {parse_choice_custom_id(b.custom_id, unhash) for b in buttons}
                assert {Pick(c.id, ask.state_id, ask.conversation_id) for c in ask.choices} <= shown
            else:
                assert sum(len(s.options) for s in selects) >= min(len(ask.choices), 125)
