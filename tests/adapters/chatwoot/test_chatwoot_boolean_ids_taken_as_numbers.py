"""A Chatwoot webhook whose ids were JSON ``true`` (or negative) was processed: Python's ``True == 1``
passed the account check of an account with id 1, and a conversation id ``true`` made soudan answer
into ``/conversations/True/messages``. Ids must be positive JSON integers, else 400/403 and nothing
is processed."""

from __future__ import annotations

from typing import Any

import pytest

from tests.adapters.chatwoot.chatwoot_kit import Clock, FakeChatwoot, hook, make_client, make_fake


@pytest.fixture
async def cw(aiohttp_server: Any, aiohttp_client: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, FakeChatwoot]:
    from tests.adapters.chatwoot import chatwoot_fake

    monkeypatch.setattr(chatwoot_fake, "ACCOUNT", 1)   # the fake API accepts account 1's token
    fake = await make_fake(aiohttp_server)
    return await make_client(aiohttp_client, fake, Clock(), account=1), fake


def body(conv: Any, *, account: Any = 1) -> dict[str, Any]:
    from tests.adapters.chatwoot.chatwoot_fake import incoming

    b = incoming(7, "こんにちは", account=1)
    b["conversation"]["id"] = conv
    b["account"]["id"] = account
    return b


async def test_account_true_is_not_account_1(cw: tuple[Any, FakeChatwoot]) -> None:
    client, fake = cw
    assert await hook(client, body(41, account=True)) == 403
    assert fake.calls == []


@pytest.mark.parametrize("conv", [True, -5, 0, 41.0, "41"])
async def test_a_conversation_id_that_is_not_a_positive_integer_is_refused(cw: tuple[Any, FakeChatwoot],
                                                                           conv: Any) -> None:
    client, fake = cw
    assert await hook(client, body(conv)) == 400
    assert fake.calls == []


async def test_a_good_conversation_id_is_answered(cw: tuple[Any, FakeChatwoot]) -> None:
    client, fake = cw
    assert await hook(client, body(41)) == 200
    assert "こんにちは" in fake.public(41)[0]["content"]
