"""LINE codecs (pure, no SDK): the postback data of a choice button, and LINE emoji in message text."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, unquote

from bot.engine.types import Command, CommandName, Pick

__all__ = ["MAX_POSTBACK", "encode_json", "menu_command", "menu_data", "parse_postback", "postback_data", "strip_emojis"]

MAX_POSTBACK = 300
"""Longest postback data, in characters."""

_PLAIN = re.compile(r"[A-Za-z0-9_.:~-]*")

_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def encode_json(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON, what the Messaging API is sent: the bytes of
    ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``, with one encoder made once
    (``json.dumps`` with options builds a new encoder on every call).

    Raises:
        TypeError: for a value JSON cannot represent.
    """
    return _ENCODE(value).encode()


def postback_data(choice_id: str, state_id: str, conversation_id: str) -> str:
    """Postback data of a choice button: ``c=<choice>&s=<state>&v=<conversation>``.

    Values are percent-encoded, so ids with any characters round-trip through
    :func:`parse_postback`. A rich-menu button may send just ``c=:restart`` (a command).

    Returns:
        The data string; callers check it against :data:`MAX_POSTBACK` (300 characters).
    """
    if _PLAIN.fullmatch(choice_id) and _PLAIN.fullmatch(state_id) and _PLAIN.fullmatch(conversation_id):
        return f"c={choice_id}&s={state_id}&v={conversation_id}"  # the usual case: nothing to encode
    q = "-_.:~"
    return f"c={quote(choice_id, safe=q)}&s={quote(state_id, safe=q)}&v={quote(conversation_id, safe=q)}"


def strip_emojis(text: str, emojis: Sequence[Any] | None) -> str:
    """``text`` without its LINE emoji, each replaced by a space.

    In a webhook, a LINE emoji stands in the text as a substitute such as ``(hello)`` (``$`` in
    some clients), located by the message's ``emojis`` array: ``index`` and ``length`` in UTF-16
    code units. Left in, ``(hello)はい`` would read as ``helloはい`` and match no answer. An entry
    that is out of range, overlaps another or would cut a surrogate pair is ignored.

    Args:
        text: the message text.
        emojis: the SDK's ``Emoji`` objects (``index``, ``length``), or None.

    Returns:
        The text with every valid emoji span replaced by one space.
    """
    if not emojis:
        return text
    units = text.encode("utf-16-le", "surrogatepass")
    n = len(units) // 2

    def inside_pair(i: int) -> bool:
        return 0 < i < n and 0xDC00 <= int.from_bytes(units[2 * i:2 * i + 2], "little") <= 0xDFFF \
            and 0xD800 <= int.from_bytes(units[2 * i - 2:2 * i], "little") <= 0xDBFF

    spans = sorted((e.index, e.index + e.length) for e in emojis
                   if isinstance(getattr(e, "index", None), int) and isinstance(getattr(e, "length", None), int)
                   and e.index >= 0 and e.length > 0 and e.index + e.length <= n)
    out: list[bytes] = []
    pos = 0
    for a, b in spans:
        if a < pos or inside_pair(a) or inside_pair(b):
            continue
        out += [units[2 * pos:2 * a], " ".encode("utf-16-le")]
        pos = b
    out.append(units[2 * pos:])
    return b"".join(out).decode("utf-16-le", "surrogatepass")


def parse_postback(data: str) -> Pick:
    """The :class:`Pick` a postback carries.

    Data that is not ours (longer than 300 characters, unknown fields, a rich menu of another
    tool) gives a pick with empty ids, which the engine treats as a stale button: it shows the
    current question again, never jumps.
    """
    if len(data) > MAX_POSTBACK:
        return Pick("", "", "")
    fields: dict[str, str] = {}
    for part in data.split("&")[:8]:
        k, _, v = part.partition("=")
        if k in ("c", "s", "v") and k not in fields:
            fields[k] = unquote(v)
    return Pick(fields.get("c", ""), fields.get("s", ""), fields.get("v", ""))


def menu_data(command: CommandName, locale: str | None = None) -> str:
    """Postback data of a rich menu area that runs ``command``: ``c=:<command>`` and, for the areas
    whose answer a person the bot does not know yet must get in the menu's language, ``&l=<locale>``."""
    return f"c=:{command.value}" + (f"&l={locale}" if locale else "")


def menu_command(data: str) -> Command | None:
    """The :class:`Command` a rich menu postback runs (``c=:open-now&l=en``), or None for other data.

    A menu area's data names a command and no state or conversation (``s=``/``v=``): a choice
    button's ``c=:restart&s=…&v=…`` stays a :class:`Pick`. ``m=open-now&l=…`` of menus made by
    earlier releases is the ``open-now`` command. ``l`` other than ``ja``/``en`` is ignored.
    """
    if len(data) > MAX_POSTBACK:
        return None
    fields: dict[str, str] = {}
    for part in data.split("&")[:4]:
        k, _, v = part.partition("=")
        fields.setdefault(k, unquote(v))
    loc = fields.pop("l", None)
    locale = loc if loc in ("ja", "en") else None
    if fields == {"m": "open-now"}:
        return Command(CommandName.OPEN_NOW, locale)
    c = fields.pop("c", "")
    if fields or not c.startswith(":"):
        return None
    try:
        return Command(CommandName(c[1:]), locale)
    except ValueError:
        return None
