"""Two harms in one message (trial F7): 「写真ばらすぞ」 and stalking by an ex. The result says which
one it is about and offers the other (「「性的な画像・動画」も相談する」), which goes on from the
question where the paths part with the later answers kept; a message naming one harm gets no offer."""

from __future__ import annotations

import datetime as dt

from bot.engine.types import Ask, Pick, Refer, Say, Start, Text
from bot.timeutil import JST
from tests import shipped

NOW = dt.datetime(2026, 6, 13, 23, 40, tzinfo=JST)
TWO = "元カレに別れたら写真ばらすぞって言われてる。LINEもずっと来るし家の前にいたこともある。こわい"


def _run(*texts: str):  # type: ignore[no-untyped-def]
    e = shipped.engine()
    s = e.step(None, Start(), NOW).session
    out = None
    for text in texts:
        out = e.step(s, Text(text), NOW)
        s = out.session
    assert out is not None
    return e, out


def test_the_result_names_the_harm_taken_and_offers_the_other_one() -> None:
    e, out = _run(TWO, "相談を続ける", "２５さい", "おおさか", "元カレ")
    s = out.session
    assert s is not None and s.state == "stk_ex"
    says = [r.text for r in out.replies if isinstance(r, Say)]
    assert any("「つきまとい・しつこい連絡」について" in x and "「性的な画像・動画」" in x for x in says)
    last = out.replies[-1]
    assert isinstance(last, Ask)
    assert last.choices[0].label == "「性的な画像・動画」も相談する"
    asked = e.step(s, Pick(last.choices[0].id, s.state, s.conversation_id), NOW)
    assert asked.session is not None and asked.session.state == "ncii_them"  # who does it (routing.md Q4)
    after = e.step(asked.session, Text("元カレ"), NOW)
    assert after.session is not None and after.session.state == "ncii_threat_ex"
    ref = next(r for r in after.replies if isinstance(r, Refer))
    ids = [v.contact.id for v in ref.contacts]
    assert "police_8103" in ids and "safeline" in ids
    assert after.session.slots["region"] == "JP-27"  # answered on the stalking path, not asked again


def test_one_harm_gets_no_offer() -> None:
    _e, out = _run("どれもあてはまらない", "25歳です", "元カレがずっとLINEしてくる", "大阪", "元カレ")
    assert out.session is not None and out.session.state == "stk_ex"
    last = out.replies[-1]
    assert isinstance(last, Ask) and not any("も相談する" in c.label for c in last.choices)
