"""The hand-off step (bot/engine/handoff.py) as a person meets it, on the shipped flow with the
example teams: inside and outside the team's hours, consent given, declined and withdrawn,
nobody answering (the 24-hour lines), taken, データ削除, and nothing typed in what is shared."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from bot.engine.core import Engine
from bot.engine.types import Ask, HandoffSignal, Refer, Say
from bot.handoff.team import TeamError, load_teams
from bot.settings import ROOT
from bot.testing import FakeChat
from bot.timeutil import JST
from tests import shipped

TEAMS = ROOT / "deploy" / "teams.example.yaml"
TUESDAY_18 = dt.datetime(2026, 12, 1, 18, 0, tzinfo=JST)   # counsellors: weekdays 17:00-21:00
TUESDAY_10 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=JST)   # before they open
SECRET = "秘密のメモ山田花子090-1234-5678"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return shipped.engine(TEAMS)


def to_result(engine: Engine, at: dt.datetime, team: str | None = "counsellors") -> FakeChat:
    """A pupil whose classmates write insults about them, outside Tokyo/Gunma: result youth_net."""
    chat = FakeChat(engine, at=at, team=team)
    chat.start()
    chat.say(SECRET)             # typed text the bot does not understand: never stored or shared
    chat.pick("none")
    chat.pick("pupil")
    chat.pick("def")
    chat.pick("other")
    assert chat.state == "youth_net"
    return chat


def result_ask(chat: FakeChat) -> Ask:
    return [r for r in chat.replies if isinstance(r, Ask)][-1]


def test_inside_the_hours_the_result_offers_a_counsellor_and_asks_for_consent(engine: Engine) -> None:
    chat = to_result(engine, TUESDAY_18)
    assert [c.label for c in chat.buttons][-1] == "相談員と話す"
    assert [e.kind for e in chat.handoffs] == ["offered"]
    chat.pick(":handoff")
    consent = result_ask(chat)
    assert "SNS相談の相談員に、次のことだけを伝えます。あなたが書いた文章は伝えません。" in consent.text
    for part in ["緊急度：通常", "悪口・うそを書かれた", "24時間子供SOSダイヤル", "2026-12-01 18:00"]:
        assert part in consent.text, part
    assert SECRET not in consent.text
    assert [c.id for c in consent.choices] == [":handoff-yes", ":handoff-no"]
    assert [e.kind for e in chat.handoffs] == ["offered"]       # nothing shared before the second tap

    chat.pick(":handoff-yes")
    assert "SNS相談の相談員に伝えました。10分以内に" in chat.text
    assert [c.label for c in chat.buttons][-1] == "やっぱりやめる"
    ev = chat.handoffs[-1]
    assert ev.kind == "requested" and ev.team == "counsellors" and ev.summary is not None
    summary: dict[str, Any] = json.loads(json.dumps(ev.summary.to_dict()))  # as the team receives it
    assert summary["urgency"] == "normal" and summary["result"] == "youth_net"
    assert [a["choice"] for a in summary["answers"]] == ["none", "pupil", "def", "other"]
    assert [w["id"] for w in summary["windows"]][:1] == ["mext_24h_sos"]
    assert summary["requested_at"] == "2026-12-01T18:00:00+09:00"
    assert SECRET not in json.dumps(summary, ensure_ascii=False)
    assert chat.session is not None and chat.session.handoff is not None
    assert chat.session.handoff.status == "waiting"
    assert SECRET not in chat.session.to_json()


def test_outside_the_hours_the_person_is_told_when_it_opens_and_keeps_the_windows(engine: Engine) -> None:
    chat = to_result(engine, TUESDAY_10)
    assert ":handoff" not in [c.id for c in chat.buttons]
    assert "SNS相談の相談員は平日 17:00〜21:00（祝日・年末年始を除く）に対応しています（次は12/1 17:00から）" in chat.text
    assert "mext_24h_sos" in chat.contact_ids
    assert chat.handoffs == []
    # a typed request does not open a closed team either
    chat.say("相談員と話す")
    assert chat.session is not None and chat.session.handoff is None


def test_a_platform_without_a_team_offers_nothing(engine: Engine) -> None:
    chat = to_result(engine, TUESDAY_18, team=None)
    assert ":handoff" not in [c.id for c in chat.buttons]
    assert "相談員" not in chat.text


def test_declining_consent_shares_nothing(engine: Engine) -> None:
    chat = to_result(engine, TUESDAY_18)
    chat.pick(":handoff")
    chat.say("いいえ")
    assert "引き継ぎはしません" in chat.text
    assert [e.kind for e in chat.handoffs] == ["offered"]
    assert chat.session is not None and chat.session.handoff is None
    assert ":handoff" in [c.id for c in chat.buttons]          # can still ask later


@pytest.mark.parametrize("how", ["やっぱりやめる", "button"])
def test_withdrawing_tells_the_team_only_that_it_was_withdrawn(engine: Engine, how: str) -> None:
    chat = to_result(engine, TUESDAY_18)
    chat.pick(":handoff")
    chat.pick(":handoff-yes")
    if how == "button":
        chat.pick(":handoff-cancel")
    else:
        chat.say(how)
    assert "引き継ぎを取り消しました" in chat.text
    ev = chat.handoffs[-1]
    assert ev.kind == "withdrawn" and ev.summary is None
    assert chat.session is not None and chat.session.handoff is None


def test_nobody_picking_it_up_gives_the_24_hour_lines_at_the_sweep(engine: Engine) -> None:
    chat = to_result(engine, TUESDAY_18)
    chat.pick(":handoff")
    chat.pick(":handoff-yes")
    chat.at = TUESDAY_18 + dt.timedelta(minutes=9)
    assert chat.send(HandoffSignal("check")) == []                # not yet
    chat.at = TUESDAY_18 + dt.timedelta(minutes=10)
    replies = chat.send(HandoffSignal("check"))
    assert isinstance(replies[0], Say) and "いま対応できる人がいませんでした。24時間つながる窓口" in replies[0].text
    lines = next(r for r in replies if isinstance(r, Refer))
    assert lines.contacts and all(v.status.is_available for v in lines.contacts)
    assert {v.contact.id for v in lines.contacts} & {"yorisoi", "mext_24h_sos"}
    assert chat.handoffs[-1].kind == "timed_out"
    assert chat.session is not None and chat.session.handoff is None
    assert chat.send(HandoffSignal("check")) == []                # once only


def test_nobody_picking_it_up_is_told_at_the_next_message_too(engine: Engine) -> None:
    chat = to_result(engine, TUESDAY_18)
    chat.pick(":handoff")
    chat.pick(":handoff-yes")
    chat.at = TUESDAY_18 + dt.timedelta(minutes=30)
    chat.say("まだですか")
    assert "いま対応できる人がいませんでした" in chat.texts[0]
    assert chat.handoffs[-1].kind == "timed_out"


def test_taken_tells_the_person_and_stops_the_clock(engine: Engine) -> None:
    chat = to_result(engine, TUESDAY_18)
    chat.pick(":handoff")
    chat.pick(":handoff-yes")
    replies = chat.send(HandoffSignal("taken"))
    assert "SNS相談の相談員の人が対応します" in replies[0].text
    assert chat.handoffs[-1].kind == "taken"
    chat.at = TUESDAY_18 + dt.timedelta(hours=2)
    assert chat.send(HandoffSignal("check")) == []                # taken: no time-out
    chat.say("やっぱりやめる")
    assert [e.kind for e in chat.handoffs][-1] == "withdrawn"


def test_deleting_ones_data_removes_the_handoff(engine: Engine) -> None:
    chat = to_result(engine, TUESDAY_18)
    chat.pick(":handoff")
    chat.pick(":handoff-yes")
    chat.say("データ削除")
    assert chat.session is not None and chat.handoffs[-1].kind == "requested"  # asked first: nothing withdrawn yet
    chat.press("消す")
    assert chat.session is None
    assert chat.handoffs[-1].kind == "withdrawn"
    assert "引き継ぎも取り消しました" in chat.text


def test_crisis_words_while_waiting_still_get_the_crisis_reply(engine: Engine) -> None:
    chat = to_result(engine, TUESDAY_18)
    chat.pick(":handoff")
    chat.pick(":handoff-yes")
    chat.say("もう死にたい")
    assert chat.urgencies[0] == "immediate"
    assert chat.session is not None and chat.session.handoff is not None   # still waiting


def test_the_emergency_result_offers_no_handoff_signpost_first(engine: Engine) -> None:
    chat = FakeChat(engine, at=TUESDAY_18, team="counsellors")
    chat.start()
    chat.pick("danger")
    assert chat.state == "emergency"
    assert ":handoff" not in [c.id for c in chat.buttons]


def test_a_result_with_next_offers_a_counsellor_too(engine: Engine) -> None:
    """selfharm_youth has ``handoff: true`` and ``next`` (「相談を続ける」 comes first): the offer was
    never added there, because only a menu starting with 「戻る」 was looked for."""
    chat = FakeChat(engine, at=TUESDAY_18, team="counsellors")
    chat.start()
    chat.say("死にたい")
    chat.pick("youth")
    assert chat.state == "selfharm_youth"
    assert [c.id for c in chat.buttons] == [":continue", ":more-windows", ":back", ":restart", ":stop", ":handoff"]
    assert [c.label for c in chat.buttons][-1] == "相談員と話す"
    assert [e.kind for e in chat.handoffs] == ["offered"]
    # on to the next question and back: at the result again, the offer is there and works (the first
    # 「戻る」 undoes the who answer taken from 「18歳未満」 at the crisis question, said back there)
    chat.pick(":continue")
    chat.say("戻る")
    assert chat.state == "who"
    chat.say("戻る")
    assert chat.state == "selfharm_youth" and chat.buttons[-1].id == ":handoff"
    chat.pick(":handoff")
    assert [c.id for c in result_ask(chat).choices] == [":handoff-yes", ":handoff-no"]
    assert "・緊急度：いますぐ（immediate）\n・結果：selfharm_youth" in result_ask(chat).text


@pytest.mark.parametrize("text, message", [
    ("- {id: x, kind: counsellor, name: a, platforms: [chatwoot], hours: 'Mo-Fr 25:00-26:00', hours_text: a}\n",
     "hours"),
    ("- {id: x, kind: boss, name: a, platforms: [chatwoot], hours: '24/7', hours_text: a}\n", "kind"),
    ("- {id: x, kind: counsellor, name: a, platforms: [chatwoot], hours: '24/7', hours_text: a, pickup_timeout: 5}\n",
     "pickup_timeout"),
    ("- {id: x, kind: counsellor, name: a, platforms: [chatwoot], hours: '24/7', hours_text: a}\n"
     "- {id: x, kind: counsellor, name: b, platforms: [chatwoot], hours: '24/7', hours_text: b}\n", "twice"),
])
def test_a_broken_teams_file_names_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    p = tmp_path / "teams.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(TeamError) as exc:
        load_teams(p)
    assert any(message in e.message for e in exc.value.errors), exc.value.errors
    assert all(e.line >= 1 and str(p) in str(e) for e in exc.value.errors)
