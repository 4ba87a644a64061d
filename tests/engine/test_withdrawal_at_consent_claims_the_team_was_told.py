"""「やっぱりやめる」 typed at the consent question (before anything was shared) answered
「…相談員には取り消したことだけが伝わります」: the team is told nothing at that point, and a person
worried about privacy was told that something about them reached the counsellors."""

from __future__ import annotations

from typing import Any

import pytest

from tests.adapters.chatwoot.chatwoot_kit import (
    Clock,
    FakeChatwoot,
    hook,
    make_client,
    make_fake,
    press,
    selects,
)


@pytest.fixture
async def cw(aiohttp_server: Any, aiohttp_client: Any) -> tuple[Any, FakeChatwoot]:
    fake = await make_fake(aiohttp_server)
    return await make_client(aiohttp_client, fake, Clock()), fake


async def at_consent(client: Any, fake: FakeChatwoot, conv: int) -> None:
    from tests.adapters.chatwoot.chatwoot_fake import incoming

    assert await hook(client, incoming(conv, "こんにちは")) == 200
    for choice in ["none", "pupil", "def"]:
        await press(client, fake, conv, choice)
    await press(client, fake, conv, "skip" if "skip" in selects(fake, conv) else "other")
    await press(client, fake, conv, ":handoff")
    assert "あなたが書いた文章は伝えません" in fake.public(conv)[-1]["content"]


async def test_withdrawing_at_consent_says_nothing_was_passed_on(cw: tuple[Any, FakeChatwoot]) -> None:
    from tests.adapters.chatwoot.chatwoot_fake import incoming

    client, fake = cw
    await at_consent(client, fake, 911)
    assert await hook(client, incoming(911, "やっぱりやめる")) == 200
    reply = fake.public(911)[-1]["content"]
    assert "引き継ぎはしません" in reply and "伝わります" not in reply
    assert fake.notes(911) == [] and 911 not in fake.status


async def test_withdrawing_after_consent_still_says_the_team_is_told(cw: tuple[Any, FakeChatwoot]) -> None:
    from tests.adapters.chatwoot.chatwoot_fake import incoming

    client, fake = cw
    await at_consent(client, fake, 912)
    await press(client, fake, 912, ":handoff-yes")
    assert await hook(client, incoming(912, "やっぱりやめる", status="open")) == 200
    assert "取り消したことだけが伝わります" in fake.public(912)[-1]["content"]
    assert "取り消しました" in fake.notes(912)[-1]
