"""Store keys (``bot.store.base.user_key``): the documented keyed hash of the platform user id, the
same from :class:`bot.store.base.UserKeys` and :meth:`bot.service.Conversations.key`."""

from __future__ import annotations

import hashlib
import hmac

from bot.engine.core import Engine
from bot.service import Conversations
from bot.store.base import UserKeys, user_key
from bot.store.memory import MemoryStore


def test_the_key_is_the_platform_and_32_hex_digits_of_the_hmac() -> None:
    want = "line:" + hmac.new(b"s3cret", b"line:U1234", hashlib.sha256).hexdigest()[:32]
    assert user_key("line", "U1234", "s3cret") == want
    assert user_key("line", "U1234", b"s3cret") == want
    keys = UserKeys("s3cret")
    assert [keys("line", "U1234"), keys("line", "U1234")] == [want, want]  # the keyed state is not used up
    assert keys("discord", "U1234") != want and keys("line", "U1235") != want


def test_conversations_key_users_with_their_secret(tiny_engine: Engine) -> None:
    conv = Conversations(tiny_engine, MemoryStore(), "first-secret")
    assert conv.key("line", "U1") == user_key("line", "U1", "first-secret")
    conv.secret = "second-secret"
    assert conv.key("line", "U1") == user_key("line", "U1", "second-secret") != user_key("line", "U1", "first-secret")
