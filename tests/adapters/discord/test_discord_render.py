"""Rendering engine replies for Discord: limits, splitting, custom ids (pure; no client, no network)."""

from __future__ import annotations

import re

from bot.adapters.discord import (
    CHOICE_TEMPLATE,
    MAX_CONTENT,
    MAX_CUSTOM_ID,
    ButtonSpec,
    LinkSpec,
    Outgoing,
    SelectSpec,
    choice_custom_id,
    contact_card,
    dm_list_custom_id,
    parse_choice_custom_id,
    render,
    split_text,
)
from bot.adapters.discord.ids import Unhash
from bot.adapters.discord.render import ulen
from bot.engine.types import Ask, ChoiceView, Pick, Refer, Start
from bot.service import Conversations
from tests.adapters.discord.conftest import LONG_LEAD, LONG_STATE
from tests.conftest import WEEKDAY_10


def check_limits(messages: list[Outgoing]) -> None:
    """Assert every Discord limit on rendered messages."""
    for m in messages:
        assert ulen(m.content) <= 2000
        assert m.content or m.embeds or m.components
        assert len(m.embeds) <= 10
        assert m.embed_chars() <= 6000
        for e in m.embeds:
            assert ulen(e["title"]) <= 256
            assert ulen(e.get("description", "")) <= 4096
            assert len(e["fields"]) <= 25
            for f in e["fields"]:
                assert 0 < ulen(f["name"]) <= 256 and 0 < ulen(f["value"]) <= 1024
            assert ulen(e["footer"]["text"]) <= 2048
        buttons = [c for c in m.components if isinstance(c, ButtonSpec | LinkSpec)]
        assert len(buttons) <= 25
        for c in m.components:
            if isinstance(c, ButtonSpec):
                assert ulen(c.label) <= 80 and len(c.custom_id) <= 100 and 0 <= c.row <= 4
            elif isinstance(c, LinkSpec):
                assert ulen(c.label) <= 80 and c.url.startswith(("https://", "http://"))
            elif isinstance(c, SelectSpec):
                assert len(c.options) <= 25 and len(c.custom_id) <= 100
            else:  # the "send me this list by DM" button
                assert ulen(c.label) <= 80 and len(c.custom_id) <= 100 and 0 <= c.row <= 4


# ------------------------------------------------------------------ split_text

def test_split_keeps_lines_whole_and_under_2000() -> None:
    pieces = split_text(LONG_LEAD)
    assert len(pieces) == 2
    assert all(ulen(p) <= MAX_CONTENT for p in pieces)
    # no line was cut: the pieces are the original lines, in order
    assert [line for p in pieces for line in p.split("\n")] == LONG_LEAD.split("\n")


def test_split_cuts_a_single_overlong_line_and_counts_emoji_as_two() -> None:
    line = "😀" * 1500  # 3,000 UTF-16 units
    pieces = split_text("head\n" + line + "\ntail")
    assert all(ulen(p) <= 2000 for p in pieces)
    assert "".join(pieces).replace("\n", "") == "head" + line + "tail"
    assert pieces[0] == "head"


def test_split_empty_and_short() -> None:
    assert split_text("") == []
    assert split_text("\n\n") == []
    assert split_text("a\nb") == ["a\nb"]


# ------------------------------------------------------------------ custom ids

def test_choice_custom_id_plain_round_trip() -> None:
    cid = choice_custom_id("pupil", "who", "abcd2345")
    assert cid == "soudan:c:pupil:who:abcd2345"
    assert parse_choice_custom_id(cid) == Pick("pupil", "who", "abcd2345")
    cmd = choice_custom_id(":restart", "who", "abcd2345")
    assert cmd == "soudan:c::restart:who:abcd2345"
    assert parse_choice_custom_id(cmd) == Pick(":restart", "who", "abcd2345")


def test_choice_custom_id_hashes_long_ids_and_maps_them_back(conversations: Conversations) -> None:
    cid = choice_custom_id(":back", LONG_STATE, "abcd2345")
    assert len(cid) <= MAX_CUSTOM_ID
    assert re.fullmatch(CHOICE_TEMPLATE, cid)
    assert LONG_STATE not in cid
    assert parse_choice_custom_id(cid, Unhash(conversations)) == Pick(":back", LONG_STATE, "abcd2345")
    # both ids too long: the choice is hashed too, and still maps back
    long_choice = "c" * 80
    cid2 = choice_custom_id(long_choice, LONG_STATE, "abcd2345")
    assert len(cid2) <= MAX_CUSTOM_ID
    p = parse_choice_custom_id(cid2)
    assert p is not None and p.choice_id.startswith("~")


def test_unknown_hash_stays_unknown(conversations: Conversations) -> None:
    p = parse_choice_custom_id("soudan:c:pupil:~aaaaaaaaaa:abcd2345", Unhash(conversations))
    assert p == Pick("pupil", "~aaaaaaaaaa", "abcd2345")  # the engine answers "stale"


def test_dm_list_custom_id_fits() -> None:
    assert dm_list_custom_id("いじめ", True) == "soudan:dm:1:いじめ"
    assert len(dm_list_custom_id("x" * 500, False)) <= MAX_CUSTOM_ID


# ------------------------------------------------------------------ questions

def test_ask_becomes_buttons_five_per_row_with_labels_cut() -> None:
    choices = tuple(ChoiceView(f"c{i}", f"選択肢{i}" + ("長" * 100 if i == 0 else "")) for i in range(12))
    msgs = render([Ask("どれ？", choices, "s", "abcd2345")], "ja")
    assert len(msgs) == 1 and msgs[0].content == "どれ？"
    buttons = msgs[0].components
    assert all(isinstance(b, ButtonSpec) for b in buttons)
    assert [b.row for b in buttons if isinstance(b, ButtonSpec)] == [0] * 5 + [1] * 5 + [2] * 2
    first = buttons[0]
    assert isinstance(first, ButtonSpec) and ulen(first.label) == 80 and first.label.endswith("…")
    check_limits(msgs)


def test_more_than_25_choices_become_select_menus() -> None:
    choices = tuple(ChoiceView(f"c{i:02d}", f"選択肢{i:02d}") for i in range(30))
    msgs = render([Ask("どれ？", choices, "s", "abcd2345")], "ja")
    selects = [c for c in msgs[0].components if isinstance(c, SelectSpec)]
    assert [len(s.options) for s in selects] == [25, 5]
    assert selects[0].options[0] == ("1. 選択肢00", "c00")
    assert selects[1].options[-1] == ("30. 選択肢29", "c29")
    assert len({s.custom_id for s in selects}) == 2
    check_limits(msgs)


def test_says_are_joined_onto_the_question() -> None:
    from bot.engine.types import Say

    msgs = render([Say("ようこそ"), Ask("あなたは？", (ChoiceView("a", "A"),), "who", "abcd2345")], "ja")
    assert len(msgs) == 1
    assert msgs[0].content == "ようこそ\n\nあなたは？"


# ------------------------------------------------------------------ referrals

def _long_result(conv: Conversations) -> list[Refer | Ask]:
    eng = conv.engine
    out = eng.step(None, Start(), WEEKDAY_10)
    ask = next(r for r in out.replies if isinstance(r, Ask))
    out = eng.step(out.session, Pick("c01", ask.state_id, ask.conversation_id), WEEKDAY_10)
    return [r for r in out.replies if isinstance(r, Refer | Ask)]


def test_overlong_result_is_split_within_every_limit(long_conversations: Conversations) -> None:
    replies = _long_result(long_conversations)
    refer = replies[0]
    assert isinstance(refer, Refer)
    msgs = render(replies, "ja")
    check_limits(msgs)
    # the lead (2,700 characters) is split on a line boundary and no line is lost
    text_lines = [line for m in msgs for line in m.content.split("\n") if line]
    for line in LONG_LEAD.split("\n"):
        assert line in text_lines
    assert "**次にできること**" in "\n".join(m.content for m in msgs)
    # every window is shown once, in the engine's order (continuation embeds aside)
    titles = [e["title"] for m in msgs for e in m.embeds if not e["title"].endswith("（続き）")]
    assert titles == [v.contact.name["ja"] for v in refer.contacts]
    # the long card continues in further embeds and keeps all of its hours text
    long_embeds = [e for m in msgs for e in m.embeds if e["title"].startswith("とても長い説明の窓口")]
    assert len(long_embeds) >= 2
    hours = "\n".join(f["value"] for e in long_embeds for f in e["fields"] if f["name"].startswith("受付時間"))
    assert hours.count("月曜から金曜") == 120
    # the result question (the other windows / back / restart / stop) comes last with its buttons
    last = msgs[-1]
    assert last.content == "ほかにできることはありますか？"
    assert [c.label for c in last.components if isinstance(c, ButtonSpec)] == ["ほかの窓口（12件）", "ひとつ戻る", "最初から相談する",
                                                                            "終了する"]
    # URL buttons only for http(s) channels (no mailto: buttons)
    links = [c for m in msgs for c in m.components if isinstance(c, LinkSpec)]
    assert links and all(link.url.startswith("https://") for link in links)


def test_contact_card_fields(conversations: Conversations) -> None:
    d = conversations.engine.directory
    from bot.engine.types import ContactView

    embeds, links = contact_card(ContactView(d.get("web_line"), d.status("web_line", WEEKDAY_10)), "en")
    assert len(embeds) == 1
    e = embeds[0]
    assert e["title"] == "Web help"
    assert e["url"] == "https://example.org/web"
    fields = {f["name"]: f["value"] for f in e["fields"]}
    assert fields["Phone"] == "**03-5467-2455** (Tokyo)"
    assert fields["Now"] == "Open (until 17:00)"
    assert fields["Hours"] == "平日 9:00〜17:00"
    assert "mailto:help@example.org" in fields["Other ways to reach them"]
    assert [(link.label, link.url) for link in links] == [("Web form", "https://example.org/form")]
