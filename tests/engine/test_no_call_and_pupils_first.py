"""「電話できない」「声が出せない」 and a pupil's 「つながらない」 beside a question (bot/engine/open_now.py,
Engine.windows): the windows reached without a call first, phone-only lines after (marked ☎ on every
card), remembered for the result; for a pupil the children's lines first among the windows open now
(routing.md §0: open now first; §2.6/§2.8: pupils → 24時間子供SOSダイヤル, チャイルドライン).

Before: the open-now list beside a question was the same for everyone — 189 first for a bullied pupil,
phone lines first for someone who had just said they cannot phone — and the result that followed
listed よりそいホットライン's phone before the 24-hour chat."""

from __future__ import annotations

from bot.contacts.model import Contact
from bot.engine.core import Engine
from bot.engine.open_now import STATE_ID
from bot.engine.types import Refer
from bot.testing import FakeChat

SATURDAY_20 = "2026-12-05T20:00:00+09:00"  # チャイルドライン open until 21:00


def written(c: Contact) -> bool:
    """Reached without a call: chat, LINE, a web form, mail (as the card shows it)."""
    return c.live or any(ch.kind in ("chat", "line", "form", "mail") for ch in c.channels)


def at_what(engine: Engine, who: str) -> FakeChat:
    c = FakeChat(engine, flow="net-harm", at=SATURDAY_20)
    c.start()
    c.pick("none")
    c.pick(who)
    assert c.state == "what"
    return c


def listing(c: FakeChat) -> Refer:
    [r] = [r for r in c.replies if isinstance(r, Refer)]
    assert r.state_id == STATE_ID
    return r


def test_a_pupil_whose_call_does_not_connect_gets_the_childrens_lines_first(shipped_engine: Engine) -> None:
    c = at_what(shipped_engine, "pupil")
    c.say("電話つながらない")
    ids = [v.contact.id for v in listing(c).contacts]
    assert ids[:3] == ["mext_24h_sos", "anata_no_ibasho", "childline"]
    assert ids.index("jisou_189") > 2 and ids.index("yorisoi") > 2
    assert c.state == "what"  # the question again, kept where it was


def test_someone_who_cannot_phone_gets_chat_first_and_phone_only_lines_after(shipped_engine: Engine) -> None:
    c = at_what(shipped_engine, "pupil")
    c.say("電話できない")
    r = listing(c)
    assert r.text.startswith("電話でなくても相談できます。いま受付中の窓口です（")
    ids = [v.contact.id for v in r.contacts]
    assert ids[:2] == ["anata_no_ibasho", "childline"]  # the 24-hour chat, then チャイルドライン's chat; pupils' first
    kinds = [written(v.contact) for v in r.contacts]
    assert kinds == sorted(kinds, reverse=True)  # every window reached without a call before every phone-only one
    assert "mext_24h_sos" in ids  # still listed, after: a phone line


def test_the_result_after_it_lists_the_chat_first_and_says_why(shipped_engine: Engine) -> None:
    c = at_what(shipped_engine, "adult")
    c.say("声が出せない")
    c.pick("talk")
    c.pick("other")
    assert c.state == "listen"
    assert c.contact_ids == ["anata_no_ibasho", "yorisoi", "inochi_no_denwa"]
    assert "電話ができないとのことなので、チャット・LINE・Webフォーム・メールで受け付けている窓口を先に載せています" in c.text
    # 「戻る」 restores earlier answers, not the wish: the same result again lists the chat first
    c.say("戻る")
    c.pick("other")
    assert c.contact_ids[0] == "anata_no_ibasho"


def test_without_it_the_result_keeps_its_order(shipped_engine: Engine) -> None:
    c = at_what(shipped_engine, "adult")
    c.pick("talk")
    c.pick("other")
    assert c.contact_ids == ["yorisoi", "anata_no_ibasho", "inochi_no_denwa"]
    assert "電話ができないとのことなので" not in c.text
