"""bot.adapters.line.sdk: line-bot-sdk imported with its API methods' argument checks built on first call."""

from __future__ import annotations

from typing import Any

import pydantic.v1
import pytest
from pydantic.v1 import ValidationError

from bot.adapters.line import sdk


def test_a_deferred_check_checks_every_call_as_pydantic_does_and_is_built_once(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[Any] = []
    real = sdk._validate_arguments

    def counted(*args: Any, **kwargs: Any) -> Any:
        built.append(args or kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(sdk, "_validate_arguments", counted)

    @sdk.deferred_validate_arguments
    def reply(token: str, count: int = 1) -> tuple[str, int]:
        return token, count

    assert built == []  # nothing built when decorated (the SDK's import)
    assert reply("t", count="2") == ("t", 2)  # coerced, as pydantic v1 does
    with pytest.raises(ValidationError):
        reply("t", count="two")
    with pytest.raises(ValidationError):
        reply()
    assert len(built) == 1 and reply.__name__ == "reply"

    def plain(x: int) -> int:
        return x

    with_config = sdk.deferred_validate_arguments(config={"arbitrary_types_allowed": True})(plain)
    assert with_config("5") == 5


def test_the_sdks_api_still_refuses_a_wrong_argument_and_pydantic_is_left_as_it_was() -> None:
    from linebot.v3.messaging import ApiClient, MessagingApi

    assert pydantic.v1.validate_arguments is pydantic.v1.decorator.validate_arguments
    api = MessagingApi(ApiClient(sdk.Configuration(host="http://127.0.0.1:9", access_token="t")))
    with pytest.raises(ValidationError):
        api.reply_message(reply_message_request="not a request")  # refused before any request is made
