"""One rule for "someone answers now": :attr:`bot.contacts.model.Contact.reachable_live` (a phone, a
chat or LINE — also a staffed chat or LINE reached through an information page, ``live: true``),
applied by :meth:`bot.contacts.directory.Directory.status` as :attr:`Status.send_only` /
:attr:`Status.is_staffed`, and asked by the engine's result fallback, the hand-off's 24-hour lines,
the cards, 「いま受付中」 and ``soudan contacts --open-now``.

There used to be two rules. ``Contact.send_only`` said a web-page-only window (あなたのいばしょ, a
staffed 24-hour chat whose own address is not verified) was answered now, so it was listed as
「いま受付中」 with a green 「24時間」; ``Contact.reachable_live`` said nobody answered it, so a result
whose only window open at night was that chat got 「いまの時間に電話やチャットで話せる窓口がほかにない
ため…」 and another line, under a chat card that said 24時間.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.contacts.directory import Directory
from bot.contacts.model import Contact
from bot.contacts.render import card_status, card_status_lines
from bot.engine.open_now import open_now
from bot.testing import FakeChat
from bot.timeutil import parse_at
from tests.conftest import Soudan, write

NIGHT = parse_at("2026-12-01T23:00+09:00")  # Tuesday night: the Legal Affairs Bureau is closed

FLOW = """\
id: chat
title: {ja: チャット, en: Chat}
start: ask
fallback: [yorisoi]
states:
  ask:
    ask: {ja: 相談しますか？, en: "Talk?"}
    choices:
      - {id: yes, label: {ja: はい, en: "Yes"}, goto: result}
  result:
    refer:
      text: {ja: 相談先です。, en: Where to talk.}
      contacts: [anata_no_ibasho, moj_minna_110]
"""


@pytest.fixture(scope="module")
def directory() -> Directory:
    return Directory.load(Directory.default_paths())


def test_a_result_whose_24_hour_chat_is_open_gets_no_note_that_nothing_is_open(tmp_path: Path) -> None:
    flow = write(tmp_path, "flows/chat.yaml", FLOW)
    chat = FakeChat.from_files([flow], Directory.default_paths(), flow="chat", at=NIGHT)
    chat.start()
    chat.pick("yes")
    assert chat.contact_ids == ["anata_no_ibasho", "moj_minna_110"]
    assert not any("話せる窓口がほかにない" in s for s in chat.says)
    assert "24時間" in chat.text  # the chat's card


def test_every_rule_agrees_on_each_shipped_window(directory: Directory) -> None:
    for c in directory:
        st = directory.status(c, NIGHT)
        assert st.is_staffed == (st.is_available and c.reachable_live), c.id
        assert st.send_only == (st.is_available and not c.reachable_live), c.id
        assert c.send_only is not c.reachable_live, c.id


def test_staffed_chats_and_line_reached_through_a_page_are_answered_live(directory: Directory) -> None:
    # their own chat or LINE address is not verified: the entry links the page that leads to it
    for cid in ("anata_no_ibasho", "curetime", "moj_line"):
        c = directory.get(cid)
        assert c.live and c.reachable_live and {ch.kind for ch in c.channels} == {"web"}, cid
    # a portal listing other windows, and windows whose way in is not verified at all, are not
    for cid in ("mamorouyo_kokoro", "kotaeru", "ipa_anshin"):
        assert not directory.get(cid).reachable_live, cid
    st = directory.status("anata_no_ibasho", NIGHT)
    assert st.is_staffed and card_status(directory.get("anata_no_ibasho"), st) == "24時間"
    assert "anata_no_ibasho" in {v.contact.id for v in open_now(directory, NIGHT, "ja").contacts}
    assert directory.fallback(NIGHT).reachable_live


def test_a_web_page_only_window_open_now_and_not_live_says_nobody_answers(directory: Directory) -> None:
    page = directory.get("mamorouyo_kokoro").model_copy(update={"id": "portal_24h", "hours": "24/7"})
    st = directory.status(page, NIGHT)
    assert st.is_available and st.send_only and not st.is_staffed
    assert card_status(page, st) == "Web（受付は24時間・その場での返答はありません）"
    assert card_status(page, st, "en") == "Web (accepted 24 hours; no answer right away)"


def test_live_is_refused_for_a_window_that_only_takes_forms_or_mail() -> None:
    base = {"id": "x", "name": "x", "org": "x", "hours_text": "x", "cost": "free", "topics": ["DEF"],
            "source": "https://example.org/", "verified": "2026-11-30", "live": True}
    with pytest.raises(ValueError, match="live"):
        Contact.model_validate({**base, "channels": [{"kind": "form", "url": "https://example.org/f"}]})
    assert Contact.model_validate({**base, "channels": [{"kind": "web", "url": "https://example.org/"}]}).reachable_live


def test_the_contacts_table_puts_each_channel_on_its_own_line(soudan: Soudan, directory: Directory) -> None:
    """The table's status cell has one line per way in, made from the parts (it split the joined
    line at 「）・」, which a phone part without brackets — 「電話は24時間」「電話は受付中」 — does not have)."""
    at = parse_at("2026-12-01T12:30+09:00")  # Gunma's phone is at lunch; its form and mail take messages
    lines = card_status_lines(directory.get("gunma_net_window"), directory.status("gunma_net_window", at))
    assert lines == ["電話は受付時間外（次は 12/1 13:00〜）", "メールとフォームは受付24時間（その場での返答はありません）"]
    assert card_status(directory.get("gunma_net_window"), directory.status("gunma_net_window", at)) == "・".join(lines)
    p = soudan("contacts", "gunma_net_window", "--at", "2026-12-01T12:30+09:00")
    assert p.returncode == 0, p.stderr
    cells = [row.split("│")[4].strip() for row in p.stdout.splitlines() if row.count("│") >= 5]
    assert [c for c in cells if c] == lines
    # DV相談＋: its 24-hour phone's part has no brackets; it was one long line
    p = soudan("contacts", "dv_plus", "--at", "2026-12-01T13:00+09:00")
    cells = [row.split("│")[4].strip() for row in p.stdout.splitlines() if row.count("│") >= 5]
    assert [c for c in cells if c] == ["電話は24時間", "チャットは受付中", "メールは受付24時間（その場での返答はありません）"]
