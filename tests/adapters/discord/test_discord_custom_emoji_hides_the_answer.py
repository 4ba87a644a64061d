"""Regression (the kind of fault of the LINE emoji case, on Discord): a custom emoji in a DM hid
the answer next to it.

Discord gives a custom emoji in message content as markup, ``<:happy:123456789012345678>``
(``<a:…>`` when animated); normalised, ``<:happy:…>おとな`` became ``happy123…おとな`` and no
longer matched the choice 「おとな」. Fixed in the kind: DM text loses custom emoji, mentions and timestamps
before it reaches the engine; emoji alone is answered like a sticker.
"""

from __future__ import annotations

import pytest
import simcord

from bot.adapters.discord import SoudanClient, strip_markup
from bot.service import Conversations
from bot.store.memory import MemoryStore
from tests.conftest import WEEKDAY_10


@pytest.fixture
def simcord_bot(tiny_engine: object) -> SoudanClient:
    return SoudanClient(Conversations(tiny_engine, MemoryStore(), "test-secret", clock=lambda: WEEKDAY_10))  # type: ignore[arg-type]


async def test_custom_emoji_then_the_answer_counts(simcord_env: simcord.Env) -> None:
    user = simcord_env.create_user("emi")
    await user.send_dm("こんにちは")
    await user.send_dm("<:happy:123456789012345678>おとな<a:wave:876543210987654321>")
    assert user.dm_channel is not None
    last = user.dm_channel.last_message
    assert last is not None and last.content.startswith("何がありましたか？"), last


async def test_custom_emoji_alone_is_answered_like_a_sticker(simcord_env: simcord.Env) -> None:
    user = simcord_env.create_user("emi")
    await user.send_dm("こんにちは")
    await user.send_dm("<:happy:123456789012345678>")
    last = user.dm_channel.last_message
    assert last is not None and last.content.startswith("スタンプ・画像・ファイルなどは読み取れません")


def test_strip_markup() -> None:
    assert strip_markup("<:a:1>はい<@123><@!4><@&5><#6><t:1700000000:R>") == " はい     "
    assert strip_markup("a < b > c") == "a < b > c"
    assert strip_markup("<:no id:>") == "<:no id:>"
