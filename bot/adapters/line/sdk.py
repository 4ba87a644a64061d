"""line-bot-sdk, imported once for the adapter, with its API methods' argument checks built on first call.

The SDK's generated API classes (``MessagingApi``, ``AsyncMessagingApi``, their blob twins, the
webhooks' ``DummyApi``) decorate each of their ~300 methods with pydantic v1's
``validate_arguments``, which builds a pydantic model per method while the module is imported:
about 0.7 s of CPU of ``soudan serve``'s start-up, for methods the bot never calls (it builds its
own reply and push requests). While this module imports the SDK, ``validate_arguments`` defers
each model to its method's first call: every call is still checked exactly as before, by the same
pydantic ``ValidatedFunction``, built once. Afterwards ``pydantic.v1.validate_arguments`` is
pydantic's own again. When the SDK was already imported (by other code of the process), nothing
is deferred.

The adapter's modules take the SDK's names from here; nothing outside :mod:`bot.adapters.line`
imports this module (``bot.adapters.line.codecs`` and ``.flex`` still load without the SDK).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import pydantic.v1

__all__ = [
    "ApiException",
    "AsyncApiClient",
    "AudioMessageContent",
    "Configuration",
    "Event",
    "FileMessageContent",
    "FollowEvent",
    "GroupSource",
    "ImageMessageContent",
    "JoinEvent",
    "LocationMessageContent",
    "MessageEvent",
    "PostbackEvent",
    "RoomSource",
    "SignatureValidator",
    "StickerMessageContent",
    "TextMessageContent",
    "UnfollowEvent",
    "UnknownEvent",
    "UserSource",
    "VideoMessageContent",
    "deferred_validate_arguments",
]

_validate_arguments = pydantic.v1.validate_arguments


def deferred_validate_arguments(func: Callable[..., Any] | None = None, *, config: Any = None) -> Any:
    """pydantic v1's ``validate_arguments`` (same arguments), building the check at the first call.

    Returns:
        The decorated function, or a decorator when ``func`` is None (``@validate_arguments(config=…)``).
    """
    if func is None:
        return lambda f: deferred_validate_arguments(f, config=config)
    checked: Callable[..., Any] | None = None

    @functools.wraps(func)
    def call(*args: Any, **kwargs: Any) -> Any:
        nonlocal checked
        if checked is None:
            checked = _validate_arguments(func) if config is None else _validate_arguments(config=config)(func)
        return checked(*args, **kwargs)

    return call


if "linebot.v3.messaging" not in sys.modules:
    pydantic.v1.validate_arguments = deferred_validate_arguments
    try:
        import linebot.v3.messaging
        import linebot.v3.webhooks  # noqa: F401
    finally:
        pydantic.v1.validate_arguments = _validate_arguments

from linebot.v3.messaging import AsyncApiClient, Configuration  # noqa: E402
from linebot.v3.messaging.exceptions import ApiException  # noqa: E402
from linebot.v3.models.events import UnknownEvent  # noqa: E402
from linebot.v3.webhook import SignatureValidator  # noqa: E402
from linebot.v3.webhooks import (  # noqa: E402
    AudioMessageContent,
    Event,
    FileMessageContent,
    FollowEvent,
    GroupSource,
    ImageMessageContent,
    JoinEvent,
    LocationMessageContent,
    MessageEvent,
    PostbackEvent,
    RoomSource,
    StickerMessageContent,
    TextMessageContent,
    UnfollowEvent,
    UserSource,
    VideoMessageContent,
)
