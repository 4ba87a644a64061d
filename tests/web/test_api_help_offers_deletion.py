"""The help offers 「データを消す」 beside the question (as the LINE rich menu's 「使い方・データ削除」 does):
the simulator's API shows it as the ask's ``offers`` and its pick asks the deletion question, so a
flow author sees in the simulator what LINE shows."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.test_api import chat


@pytest.fixture
async def client(aiohttp_client: Any, sim_app: Any) -> Any:
    return await aiohttp_client(sim_app)


@pytest.mark.parametrize("locale,label,yes", [("ja", "データを消す", "消す"), ("en", "Delete my data", "Delete")])
async def test_the_help_offers_the_deletion_and_its_pick_asks_first(client: Any, locale: str, label: str,
                                                                    yes: str) -> None:
    first = await chat(client, {"type": "start"}, locale=locale)
    token = first["session_token"]
    assert "offers" not in first["replies"][-1]  # a question alone offers nothing
    r = await chat(client, {"type": "command", "name": "help"}, session_token=token)
    ask = r["replies"][-1]
    assert ask["choices"] == first["replies"][-1]["choices"]  # the question's own buttons, unchanged
    assert ask["offers"] == [{"id": ":forget", "label": label}]
    r = await chat(client, {"type": "pick", "choice": ":forget", "state": ask["state_id"],
                            "conversation": ask["conversation_id"]}, session_token=token)
    assert not r["ended"]
    assert [c["label"] for c in r["replies"][-1]["choices"]] == [yes, {"ja": "やめる", "en": "Cancel"}[locale]]
