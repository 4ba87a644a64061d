"""A follow event without ``follow.isUnblocked`` (older bodies, some tools) is a new follow: greeted,
with the profile's language, once. It used to parse as an unknown event and get no answer.

And the API host: with no ``LINE_API_BASE`` the client talks to https://api.line.me (the SDK left
the host None, so every reply would have failed with a TypeError).
"""

from __future__ import annotations

from typing import Any

from bot.adapters.line import LineAdapter
from bot.adapters.line.client import API_BASE
from bot.app import LINE_KEY, create_app
from bot.devtools.line_fake import FakeLineApi
from bot.engine.core import Engine
from bot.store import SessionStore
from tests.adapters.line.linekit import USER, Post, follow_event, quick_reply_data, settings_for


def _bare_follow(**kw: Any) -> dict[str, Any]:
    ev = follow_event(**kw)
    del ev["follow"]
    return ev


async def test_a_follow_without_is_unblocked_is_greeted(post: Post, fake: FakeLineApi, store: SessionStore) -> None:
    assert (await post(_bare_follow(token="f1"))).status == 200
    reply = fake.reply_to("f1").json
    assert reply["messages"][0]["text"].startswith("こんにちは")
    assert quick_reply_data(reply)  # the first question's choices
    assert fake.profiles == [USER] and await store.count() == 1


async def test_its_language_comes_from_the_profile_and_a_redelivery_answers_nothing(post: Post,
                                                                                    fake: FakeLineApi) -> None:
    fake.languages[USER] = "en"
    ev = _bare_follow(token="f2", eid="01BAREFOLLOW")
    assert (await post(ev)).status == 200
    assert (await post(ev)).status == 200
    assert len(fake.replies) == 1
    assert fake.reply_to("f2").json["messages"][0]["text"].startswith("Hello.")


async def test_a_bare_follow_in_standby_mode_or_from_a_group_is_ignored(post: Post, fake: FakeLineApi) -> None:
    standby = _bare_follow()
    standby["mode"] = "standby"
    group = _bare_follow()
    group["source"] = {"type": "group", "groupId": "Cgroup", "userId": USER}
    assert (await post(standby, group)).status == 200
    assert fake.calls == []


async def test_without_line_api_base_the_client_talks_to_api_line_me(aiohttp_client: Any, fake: FakeLineApi,
                                                                      engine: Engine) -> None:
    settings = settings_for(fake, LINE_API_BASE=None)
    app = create_app(settings, engine=engine)
    await aiohttp_client(app)  # starts the app: the client exists
    adapter = app[LINE_KEY]
    assert isinstance(adapter, LineAdapter) and adapter.client is not None and adapter.client.configuration.host == API_BASE == "https://api.line.me"
