"""Regression: a LINE text with a LINE emoji in it did not count as the answer it contains.

In a webhook a LINE emoji stands in the text as a substitute such as ``(hello)``, located by the
message's ``emojis`` array (``index``/``length`` in UTF-16 code units). Left in, ``(hello)はい``
normalised to ``helloはい`` and matched nothing; ``死に(hello)たい`` escaped the crisis check.
Fixed in the kind: the adapter removes every emoji span given by the array (UTF-16 indexes)
before the text reaches the engine; a text of emoji only is answered like a sticker.
"""

from __future__ import annotations

from typing import Any

from bot.adapters.line.codecs import strip_emojis
from bot.devtools.line_fake import FakeLineApi
from bot.store import SessionStore
from bot.store.base import user_key
from tests.adapters.line.linekit import SOUDAN_SECRET, USER, Post, follow_event, text_event


def _emoji_text(text: str, *spans: tuple[int, int], token: str) -> dict[str, Any]:
    ev = text_event(text, token=token)
    ev["message"]["emojis"] = [{"index": i, "length": n, "productId": "5ac1bfd5040ab15980c9b435", "emojiId": "001"}
                               for i, n in spans]
    return ev


async def _state(store: SessionStore) -> str | None:
    s = await store.get(user_key("line", USER, SOUDAN_SECRET))
    return s.state if s else None


async def test_emoji_substitute_then_yes_counts_as_yes(post: Post, fake: FakeLineApi, store: SessionStore) -> None:
    await post(follow_event(token="f"))
    assert await _state(store) == "safety"
    assert (await post(_emoji_text("(hello)はい", (0, 7), token="y"))).status == 200
    assert await _state(store) == "emergency"  # 「はい、危険を感じる」
    assert "はい、危険を感じる" in fake.reply_to("y").json["messages"][0]["text"]  # understood, said back


async def test_indexes_are_utf16_units(post: Post, fake: FakeLineApi, store: SessionStore) -> None:
    """A non-BMP emoji before the LINE emoji takes two units: (hello) starts at 2, not 1. Read as
    code points, the span would eat 「は」 and leave 「い」."""
    await post(follow_event(token="f"))
    assert (await post(_emoji_text("😀(hello)はい", (2, 7), token="y"))).status == 200
    assert await _state(store) == "emergency"


async def test_dollar_placeholder_and_yes(post: Post, fake: FakeLineApi, store: SessionStore) -> None:
    await post(follow_event(token="f"))
    assert (await post(_emoji_text("$ はい", (0, 1), token="y"))).status == 200
    assert await _state(store) == "emergency"


async def test_crisis_words_around_an_emoji_still_interrupt(post: Post, fake: FakeLineApi, store: SessionStore) -> None:
    await post(follow_event(token="f"))
    assert (await post(_emoji_text("死に(sad)たい", (2, 5), token="c"))).status == 200
    first = fake.reply_to("c").json["messages"][0]["text"]
    assert first.startswith("あなたの安全がいちばん大切です。")
    assert await _state(store) == "safety"  # the question is asked again after the crisis lines


async def test_emoji_only_is_answered_like_a_sticker(post: Post, fake: FakeLineApi, store: SessionStore) -> None:
    await post(follow_event(token="f"))
    assert (await post(_emoji_text("(hello)(love)", (0, 7), (7, 6), token="e"))).status == 200
    texts = [m.get("text", "") for m in fake.reply_to("e").json["messages"]]
    assert texts[0].startswith("スタンプ・画像・ファイルなどは読み取れません")
    assert await _state(store) == "safety"


class _E:
    def __init__(self, index: Any, length: Any) -> None:
        self.index, self.length = index, length


def test_strip_emojis_ignores_spans_it_cannot_trust() -> None:
    assert strip_emojis("(a)はい", [_E(0, 3)]) == " はい"
    assert strip_emojis("はい", None) == "はい"
    assert strip_emojis("はい", [_E(5, 3), _E(-1, 2), _E(0, 0), _E(0, 99), _E("0", 1)]) == "はい"
    assert strip_emojis("(a)(b)", [_E(3, 3), _E(0, 3), _E(1, 3)]) == "  "  # the overlapping span is skipped
    assert strip_emojis("😀x", [_E(1, 1)]) == "😀x"  # would cut the surrogate pair of 😀
    assert strip_emojis("😀x", [_E(0, 2)]) == " x"
