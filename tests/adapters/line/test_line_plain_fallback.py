"""LINE answers 400 to a rich reply: the same reply is sent again as plain text (issue #12)."""

from __future__ import annotations

from bot.adapters.line.flex import MAX_MESSAGES, plain_version, render
from bot.contacts.directory import Directory
from bot.devtools.line_fake import FakeLineApi, problems
from bot.engine.types import Ask, ChoiceView, ContactView, Refer
from bot.timeutil import JST
from tests.adapters.line.linekit import Post, follow_event, postback_event, quick_reply_data


async def test_a_refused_flex_reply_is_sent_again_as_plain_text(post: Post, fake: FakeLineApi) -> None:
    fake.refuse_flex = True
    await post(follow_event(token="f"))
    safe = quick_reply_data(fake.reply_to("f").json)[1][1]
    await post(postback_event(safe, token="a"))
    adult = quick_reply_data(fake.reply_to("a").json)[1][1]
    await post(postback_event(adult, token="b"))
    doxx = quick_reply_data(fake.reply_to("b").json)[0][1]
    await post(postback_event(doxx, token="c"))
    calls = [c for c in fake.replies if c.json["replyToken"] == "c"]
    assert len(calls) == 2 and not fake.pushes
    rich, plain = (c.json["messages"] for c in calls)
    assert any(m["type"] == "flex" for m in rich)
    assert all(m["type"] == "text" and m["text"].strip() for m in plain)
    text = "\n".join(m["text"] for m in plain)
    assert "相談先です。" in text and "☎" in text and "削除を依頼できます。" in text
    assert problems("/v2/bot/message/reply", calls[1].json) == []


async def test_an_expired_token_is_not_retried_as_text(post: Post, fake: FakeLineApi) -> None:
    fake.invalid_tokens.add("expired")
    await post(follow_event(token="expired"))
    assert [c.path for c in fake.calls] == ["/v2/bot/message/reply", "/v2/bot/message/push"]


def test_plain_version_keeps_cards_links_and_numbered_choices() -> None:
    import datetime as dt

    directory = Directory.load(Directory.default_paths(), today=dt.date(2026, 12, 1))
    now = dt.datetime(2026, 12, 1, 20, 0, tzinfo=JST)
    views = tuple(ContactView(c, st, now) for c, st in directory.order(list(directory.ids)[:12], now))
    ask = Ask("ほかにできることはありますか？", (ChoiceView(":back", "ひとつ戻る"), ChoiceView(":restart", "最初から")),
              "s", "c")
    [batch] = render([Refer("結果です。", views, ("手順1",)), ask], "ja", now)
    plain = plain_version(batch)
    assert 1 <= len(plain) <= MAX_MESSAGES and all(m["type"] == "text" and m["text"].strip() for m in plain)
    text = "\n".join(m["text"] for m in plain)
    assert "結果です。" in text and "110" in text and "https://" in text
    assert "1. ひとつ戻る" in text and "2. 最初から" in text
