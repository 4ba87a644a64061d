"""English on LINE: the profile language chooses the locale on follow; 「English」 switches any time.

Runs the shipped flow and directory (the whole consultation a user would have) over the real SDK.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.devtools.line_fake import FakeLineApi
from bot.engine.core import Engine
from tests import shipped
from tests.adapters.line.linekit import USER, Post, follow_event, quick_reply_data, text_event


@pytest.fixture(scope="module")
def engine() -> Engine:
    """The shipped flows and directory."""
    return shipped.engine()


def texts(call_json: dict[str, Any]) -> list[str]:
    return [m.get("text") or m.get("altText", "") for m in call_json["messages"]]


async def test_an_english_profile_gets_the_whole_consultation_in_english(post: Post, fake: FakeLineApi) -> None:
    fake.languages[USER] = "en"
    assert (await post(follow_event(token="f"))).status == 200
    assert fake.profiles == [USER]
    first = fake.reply_to("f").json
    assert texts(first)[0].startswith("Hello. I can point you to consultation windows")
    assert [label for label, _ in quick_reply_data(first)][-1] == "None of these"
    answers = ["4", "Myself, 18 or over", "lies about me", "4", "delete"]
    for i, a in enumerate(answers):
        assert (await post(text_event(a, token=f"t{i}"))).status == 200
    result = fake.reply_to(f"t{len(answers) - 1}").json
    flex = next(m for m in result["messages"] if m["type"] == "flex")
    # the window that speaks English comes first, then the others; all in English
    assert flex["altText"].startswith("Where to get help: Foreign-language human rights hotline 0570-090-911 / ")
    bubble = flex["contents"]["contents"][0] if flex["contents"]["type"] == "carousel" else flex["contents"]
    shown = [c.get("text") for c in bubble["body"]["contents"]]
    assert shown[:3] == ["Foreign-language human rights hotline", "Ministry of Justice (Legal Affairs Bureaus)",
                         "Open (until 17:00)"]
    assert bubble["footer"]["contents"][0]["action"] == {"type": "uri", "label": "Call 0570-090-911",
                                                         "uri": "tel:0570090911"}
    assert any("Posts may be removed" in t for t in texts(result))


async def test_a_japanese_or_unreadable_profile_starts_in_japanese_and_english_switches(
        post: Post, fake: FakeLineApi) -> None:
    # no profile (404): Japanese
    assert (await post(follow_event(token="f"))).status == 200
    assert texts(fake.reply_to("f").json)[0].startswith("こんにちは。")
    assert (await post(text_event("English", token="e"))).status == 200
    msgs = texts(fake.reply_to("e").json)
    assert msgs[0] == "Continuing in English."
    assert "Are you in danger" in msgs[-1] or "safe" in msgs[-1].lower()
