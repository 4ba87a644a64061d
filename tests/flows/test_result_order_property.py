"""Property (issue #12): every result of every shipped flow, for every region and asker, at every
hour of a week plus New Year's Eve and a public holiday — no window that is surely reachable now
is listed after a closed one, and at least one window is open now or 24 hours."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest

from bot.contacts.hours import Hours
from bot.contacts.status import Status, StatusKind
from bot.engine.core import Engine
from bot.engine.types import Refer
from bot.timeutil import JST
from tests import shipped

ROOT = Path(__file__).resolve().parents[2]

REGIONS = (None, "JP-13", "JP-10", "JP-10/shibukawa")
WHO = ("pupil", "adult")


def _instants() -> list[dt.datetime]:
    week = [dt.datetime(2026, 11, 30, 0, 30, tzinfo=JST) + dt.timedelta(hours=h) for h in range(7 * 24)]
    eve = [dt.datetime(2026, 12, 31, h, 30, tzinfo=JST) for h in range(24)]
    holiday = [dt.datetime(2026, 11, 23, h, 30, tzinfo=JST) for h in range(24)]  # 勤労感謝の日 (Monday)
    return week + eve + holiday


@pytest.fixture(scope="module")
def engine() -> Engine:
    return shipped.engine()  # its default flow is net-harm, the only shipped flow


@pytest.fixture(autouse=True)
def each_status_computed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The results of a flow share their windows, so the walk below asks the real
    :meth:`Hours.status` the same (opening hours, instant) some ten times over; it is a pure
    function of the two (parsed hours are immutable, a :class:`Status` is frozen), so each is
    computed once and the ordering and fallback of every result are still checked at every
    instant."""
    real = Hours.status
    seen: dict[tuple[int, dt.datetime], Status] = {}

    def status(self: Hours, now: dt.datetime) -> Status:
        key = (id(self), now)
        if key not in seen:
            seen[key] = real(self, now)
        return seen[key]

    monkeypatch.setattr(Hours, "status", status)



def test_no_surely_open_window_after_a_closed_one_and_one_always_reachable(engine: Engine) -> None:
    checked = 0
    for fid, f in engine.flows.items():
        results = [sid for sid, st in f.states.items() if st.kind == "refer"]
        combos = [(sid, who, region) for sid in results
                  for who, region in (itertools.product(WHO, REGIONS) if f.states[sid].refer.local  # type: ignore[union-attr]
                                      else [("adult", None)])]
        for sid, who, region in combos:
            for now in _instants():
                s = engine.new_session(now, fid)
                s.slots = {"who": who, **({"region": region} if region else {})}
                s.state = sid
                refers = [r for r in engine._show(s, f.states[sid], now) if isinstance(r, Refer)]
                assert refers, (fid, sid)
                kinds = [v.status.kind for v in refers[0].contacts]
                where = f"{fid}:{sid} who={who} region={region} at {now:%m-%d %H:%M}: {kinds}"
                if StatusKind.CLOSED in kinds:
                    after = kinds[kinds.index(StatusKind.CLOSED):]
                    assert not any(k in (StatusKind.OPEN, StatusKind.ALWAYS) for k in after), where
                assert any(v.status.is_available for v in refers[0].contacts), where
                checked += 1
    assert checked > 5_000


def test_crisis_reply_is_reachable_at_every_instant(engine: Engine) -> None:
    from bot.engine.types import Text

    for now in _instants():
        out = engine.step(None, Text("死にたい"), now)
        refer = next(r for r in out.replies if isinstance(r, Refer))
        assert refer.text.startswith("話してくれてありがとう")
        assert refer.contacts[0].contact.id == "yorisoi"
        assert refer.contacts[0].status.kind is StatusKind.ALWAYS
