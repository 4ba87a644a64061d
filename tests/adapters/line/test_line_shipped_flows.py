"""Every question and result of the shipped flows, rendered for LINE and accepted by the fake API.

Walks the real ``flows/`` and ``directory/`` over the webhook (a new user per path, one press per
new state), on a weekday morning and on a Sunday night; the fake refuses any body LINE would
refuse (SDK models and LINE's limits), so this proves the real data fits in LINE's messages.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from typing import Any

import pytest

from bot.app import create_app
from bot.devtools.line_fake import FakeLineApi
from bot.loading import load_engine
from bot.settings import Settings
from bot.timeutil import JST
from tests.adapters.line.linekit import body_of, follow_event, postback_event, settings_for, sign

TIMES = {"weekday-10": dt.datetime(2026, 12, 1, 10, 0, tzinfo=JST), "sunday-23": dt.datetime(2026, 12, 6, 23, 0, tzinfo=JST)}


@pytest.mark.parametrize("when", list(TIMES))
async def test_every_state_of_the_shipped_flows_renders_within_line_limits(aiohttp_client: Any, fake: FakeLineApi,
                                                                          when: str) -> None:
    from bot.store import open_store

    engine = load_engine(Settings(_env_file=None))
    app = create_app(settings_for(fake), engine=engine, store=open_store("memory://"), clock=lambda: TIMES[when])
    client = await aiohttp_client(app)
    n = 0

    async def send(ev: dict[str, Any]) -> list[dict[str, Any]]:
        body = body_of(ev)
        resp = await client.post("/line/webhook", data=body, headers={"X-Line-Signature": sign(body)})
        assert resp.status == 200
        msgs: list[dict[str, Any]] = fake.reply_to(ev["replyToken"]).json["messages"]
        return msgs

    def buttons(msgs: list[dict[str, Any]]) -> list[str]:
        items = msgs[-1].get("quickReply", {}).get("items", [])
        return [i["action"]["data"] for i in items if i["action"]["type"] == "postback"]

    seen: set[str] = set()
    queue: deque[list[int]] = deque([[]])
    flex_seen = 0
    while queue and n < 400:
        path = queue.popleft()
        n += 1
        user = f"U{n:032x}"
        msgs = await send(follow_event(user=user, token=f"{when}-{n}-f"))
        for depth, choice in enumerate(path):
            data = buttons(msgs)[choice]
            msgs = await send(postback_event(data, user=user, token=f"{when}-{n}-{depth}"))
        flex_seen += sum(m["type"] == "flex" for m in msgs)
        state = buttons(msgs)[0].split("&s=")[1].split("&")[0] if buttons(msgs) else f"end:{n}"
        if state in seen:
            continue
        seen.add(state)
        for i, data in enumerate(buttons(msgs)):
            if not data.startswith("c=%3A") and not data.startswith("c=:"):  # commands lead back, not on
                queue.append([*path, i])
    assert len(seen) > 10
    assert flex_seen > 0
    assert fake.invalid == []
