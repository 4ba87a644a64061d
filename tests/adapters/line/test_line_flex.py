"""Rendering neutral replies within LINE's limits (bot/adapters/line/flex.py): 5 messages, 13 quick
replies, 20-character labels, 5,000 UTF-16 units per text, 300-character postback data, 400-character
alt text."""

from __future__ import annotations

from typing import Any

from bot.adapters.line.flex import MAX_TEXT, render
from bot.adapters.text import utf16_len
from bot.devtools.line_fake import problems
from bot.engine.core import Engine
from bot.engine.types import Ask, ChoiceView, ContactView, End, Refer, Reply, Say
from tests.adapters.line.linekit import WEEKDAY_10


def _dicts(batches: list[list[dict[str, Any]]]) -> list[list[dict[str, Any]]]:
    """The batches, each checked as LINE would check a reply body."""
    for b in batches:
        assert problems("/v2/bot/message/reply", {"replyToken": "t", "messages": b}) == []
    return batches


def _views(engine: Engine, *ids: str) -> tuple[ContactView, ...]:
    return tuple(ContactView(c, s) for c, s in engine.directory.order(ids, WEEKDAY_10))


# ------------------------------------------------------------------ quick replies

def _ask(n: int, label: str = "選択肢") -> Ask:
    return Ask("質問？", tuple(ChoiceView(f"c{i}", f"{label}{i}") for i in range(1, n + 1)), "st", "conv")


def test_thirteen_short_choices_are_quick_reply_buttons() -> None:
    [[msg]] = _dicts(render([_ask(13)]))
    assert msg["text"] == "質問？"
    items = msg["quickReply"]["items"]
    assert len(items) == 13
    assert items[12]["action"] == {"type": "postback", "label": "選択肢13", "data": "c=c13&s=st&v=conv",
                                   "displayText": "選択肢13"}


def test_fourteen_choices_become_a_numbered_list_asking_for_a_number() -> None:
    [[msg]] = _dicts(render([_ask(14)]))
    assert "quickReply" not in msg
    assert msg["text"].splitlines()[2] == "1. 選択肢1"
    assert "14. 選択肢14" in msg["text"]
    assert msg["text"].endswith("答えの番号を送ってください。")


def test_long_label_is_listed_in_full_and_buttons_are_numbers() -> None:
    long = "とても長い選択肢のラベルで二十文字を超えてしまうもの"
    ask = Ask("質問？", (ChoiceView("a", "短い"), ChoiceView("b", long)), "st", "conv")
    [[msg]] = _dicts(render([ask]))
    assert f"2. {long}" in msg["text"]
    labels = [i["action"]["label"] for i in msg["quickReply"]["items"]]
    assert labels == ["1", "2"]
    assert msg["quickReply"]["items"][1]["action"]["displayText"] == long


def test_label_with_emoji_counts_utf16_units() -> None:
    label = "😢" * 10 + "a"  # 11 characters, 21 UTF-16 units
    [[msg]] = _dicts(render([Ask("q", (ChoiceView("a", label),), "s", "c")]))
    assert msg["quickReply"]["items"][0]["action"]["label"] == "1"


def test_quick_reply_is_on_the_last_message_only() -> None:
    [msgs] = _dicts(render([Say("a"), Say("b"), _ask(2)]))
    assert [("quickReply" in m) for m in msgs] == [False, False, True]


def test_an_ask_that_is_not_last_lists_its_choices() -> None:
    [msgs] = _dicts(render([_ask(2), Say("after")]))
    assert msgs[0]["text"] == "質問？\n\n1. 選択肢1\n2. 選択肢2"
    assert all("quickReply" not in m for m in msgs)


# ------------------------------------------------------------------ five messages, never drop a referral

def test_more_than_five_texts_are_merged(engine: Engine) -> None:
    replies = [Say(f"s{i}") for i in range(8)] + [_ask(2)]
    batches = _dicts(render(replies))
    assert len(batches) == 1 and len(batches[0]) == 5
    texts = "\n\n".join(m["text"] for m in batches[0])
    for i in range(8):
        assert f"s{i}" in texts
    assert "quickReply" in batches[0][-1]


def test_referrals_are_never_dropped(engine: Engine) -> None:
    views = _views(engine, "day_line", "police_9110", "night_line")
    replies: list[Reply] = [Say("x"), Refer("r1", views, ("step",)), Say("y"), Refer("r2", views), Say("z"),
                            Refer("r3", views), End("end")]
    batches = _dicts(render(replies))
    flat = [m for b in batches for m in b]
    assert all(len(b) <= 5 for b in batches)
    assert sum(m["type"] == "flex" for m in flat) == 3
    assert batches[0][0]["text"].startswith("x")


def test_more_than_twelve_contacts_make_two_carousels(engine: Engine) -> None:
    views = _views(engine, "day_line", "police_9110", "night_line", "police_110") * 4  # 16 cards
    [msgs] = _dicts(render([Refer("r", views)]))
    flex = [m for m in msgs if m["type"] == "flex"]
    assert [len(f["contents"]["contents"]) for f in flex] == [12, 4]


def test_alt_text_is_at_most_400_and_lists_names_and_numbers(engine: Engine) -> None:
    views = _views(engine, "day_line", "police_9110", "night_line") * 12
    [msgs] = _dicts(render([Refer("r", views[:12])]))
    alt = msgs[1]["altText"]
    assert utf16_len(alt) <= 400
    assert "平日の相談窓口 0570-003-110" in alt and "#9110" in alt


def test_long_text_is_split_and_still_fits(engine: Engine) -> None:
    batches = _dicts(render([Say("あ" * 12_000), _ask(2)]))
    flat = [m for b in batches for m in b]
    assert all(utf16_len(m["text"]) <= MAX_TEXT for m in flat)
    assert "".join(m["text"] for m in flat).startswith("あ" * 12_000)
    assert "quickReply" in flat[-1]


def test_overflow_goes_to_a_second_batch_not_dropped() -> None:
    batches = _dicts(render([Say("い" * 30_000)]))
    assert [len(b) for b in batches] == [5, 1]
    assert sum(len(m["text"]) for b in batches for m in b) == 30_000


def test_english_cards(engine: Engine) -> None:
    [d] = _dicts(render([Refer("Where to call.", _views(engine, "day_line"), ("Save evidence.",))], "en"))
    bubble = d[1]["contents"]["contents"][0]
    assert bubble["body"]["contents"][0]["text"] == "Weekday line"
    assert bubble["footer"]["contents"][0]["action"]["label"] == "Call 0570-003-110"
    assert d[1]["altText"].startswith("Where to get help: Weekday line 0570-003-110")
    assert d[2]["text"] == "What you can do next\n1. Save evidence."


def test_the_fake_refuses_what_line_refuses() -> None:
    """The checker behind every test: invalid bodies are caught (so valid ones mean something)."""
    ok = {"replyToken": "t", "messages": [{"type": "text", "text": "a"}]}
    assert problems("/v2/bot/message/reply", ok) == []
    too_many = {"replyToken": "t", "messages": [{"type": "text", "text": "a"}] * 6}
    assert problems("/v2/bot/message/reply", too_many)
    qr = {"items": [{"type": "action", "action": {"type": "postback", "label": "x", "data": "d"}}] * 14}
    assert problems("/v2/bot/message/reply", {"replyToken": "t", "messages": [{"type": "text", "text": "a",
                                                                                 "quickReply": qr}]})
    long_label = {"items": [{"type": "action", "action": {"type": "postback", "label": "x" * 21, "data": "d"}}]}
    assert problems("/v2/bot/message/reply", {"replyToken": "t", "messages": [{"type": "text", "text": "a",
                                                                                 "quickReply": long_label}]})
    assert problems("/v2/bot/message/reply", {"replyToken": "t", "messages": [{"type": "text", "text": "😢" * 2501}]})
    bad_flex = {"type": "flex", "altText": "a", "contents": {"type": "carousel", "contents": [{"type": "nope"}]}}
    assert problems("/v2/bot/message/reply", {"replyToken": "t", "messages": [bad_flex]})


def test_one_question_in_two_conversations_carries_each_conversation_id() -> None:
    ask = _ask(3)
    first = render([ask])
    [[msg]] = _dicts(render([Ask(ask.text, ask.choices, "st", "other12")]))
    assert [i["action"]["data"] for i in msg["quickReply"]["items"]] == [
        "c=c1&s=st&v=other12", "c=c2&s=st&v=other12", "c=c3&s=st&v=other12"]
    first[0][0]["quickReply"]["items"][0]["action"]["label"] = "changed by the caller"
    first[0][0]["quickReply"]["items"].clear()
    [[again]] = render([ask])
    assert [i["action"]["label"] for i in again["quickReply"]["items"]] == ["選択肢1", "選択肢2", "選択肢3"]
    assert again["quickReply"]["items"][0]["action"]["data"] == "c=c1&s=st&v=conv"


def test_a_conversation_id_one_character_longer_can_push_the_data_over_300() -> None:
    state = "s" * (300 - len("c=c1&s=&v=") - 8)  # the data is exactly 300 characters with an 8-character id
    choices = (ChoiceView("c1", "はい"), ChoiceView("c2", "いいえ"))
    for cid in ("abcd1234", "abcd12345", "abcd1234"):
        [[msg]] = _dicts(render([Ask("質問？", choices, state, cid)]))
        actions = [i["action"] for i in msg["quickReply"]["items"]]
        if len(cid) == 8:
            assert actions[0] == {"type": "postback", "label": "はい", "data": f"c=c1&s={state}&v={cid}",
                                  "displayText": "はい"}
        else:  # too long for postback data: numbered buttons sending the number as text
            assert actions == [{"type": "message", "label": "1", "text": "1"},
                               {"type": "message", "label": "2", "text": "2"}]
            assert "1. はい\n2. いいえ" in msg["text"]


def test_a_conversation_id_with_other_characters_is_percent_encoded() -> None:
    [[msg]] = _dicts(render([Ask("質問？", (ChoiceView("c1", "はい"),), "st", "conv/1")]))
    assert msg["quickReply"]["items"][0]["action"]["data"] == "c=c1&s=st&v=conv%2F1"


def test_a_question_alone_renders_as_within_other_replies() -> None:
    # a question alone is rendered at once; after a Say by the general path: the same messages
    for ask in (_ask(3), _ask(14), Ask("質問？", (), "st", "conv"), Ask("長" * 2600, _ask(2).choices, "st", "conv")):
        alone = _dicts(render([ask]))
        assert alone == [render([Say("前置き"), ask])[0][1:]]
        assert ("quickReply" in alone[0][-1]) == (0 < len(ask.choices) <= 13)
    assert render([Ask("", (), "st", "conv")]) == [] == render([Say("")])
