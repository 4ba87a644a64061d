"""The ``custom_id`` codec of soudan's Discord components (pure: no discord.py, no network).

Every component carries what it means in its ``custom_id`` (at most 100 characters), so buttons
keep working after a restart:

- ``soudan:c:<choice>:<state>:<conversation>`` — a choice button (:func:`choice_custom_id`);
- ``soudan:s:<page>:<state>:<conversation>`` — a choice select menu (:func:`select_custom_id`);
- ``soudan:panel`` — the moderator panel's button;
- ``soudan:dm:<0|1>:<query>`` — "Send me this list by DM" (:func:`dm_list_custom_id`);
- ``soudan:take:<conversation>`` — 「対応します」 on a hand-off card.

An id that would make a ``custom_id`` too long is written as ``~`` and a 10-character hash
(:func:`hash_id`), which :class:`Unhash` maps back with the engine's flows.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.adapters.text import clip as cut
from bot.engine.types import CommandName, Pick

if TYPE_CHECKING:
    from bot.service import Conversations

__all__ = [
    "CHOICE_TEMPLATE", "DM_LIST_TEMPLATE", "MAX_CUSTOM_ID", "MAX_OPTION_LABEL", "MAX_QUERY", "PANEL_CUSTOM_ID",
    "SELECT_TEMPLATE", "TAKE_TEMPLATE", "Unhash", "choice_custom_id", "dm_list_custom_id", "hash_id", "option_value",
    "parse_choice_custom_id", "select_custom_id",
]

MAX_OPTION_LABEL = 100
"""Characters of a select option label (and of its value)."""
MAX_CUSTOM_ID = 100
"""Characters of a component ``custom_id``."""

MAX_QUERY = 60
"""Characters of a ``/soudan-contacts`` query (it rides in the DM button's ``custom_id``)."""

_ID = r"[a-z0-9][a-z0-9_-]*"
_TOKEN = rf"(?:~[a-z2-7]{{10}}|{_ID})"

CHOICE_TEMPLATE = rf"soudan:c:(?P<choice>:?{_TOKEN}):(?P<state>{_TOKEN}):(?P<conv>[a-z0-9]+)"
"""Regex of a choice button's ``custom_id``: choice id (``:restart`` style for commands), state id,
conversation id. An id that would make the ``custom_id`` longer than 100 characters is written as
``~`` and a 10-character hash (:func:`choice_custom_id`)."""
SELECT_TEMPLATE = rf"soudan:s:(?P<page>[0-4]):(?P<state>{_TOKEN}):(?P<conv>[a-z0-9]+)"
"""Regex of a choice select menu's ``custom_id`` (options carry the choice ids)."""
PANEL_CUSTOM_ID = "soudan:panel"
DM_LIST_TEMPLATE = r"(?s)soudan:dm:(?P<open>[01]):(?P<query>.*)"
"""Regex of the "Send me this list by DM" button's ``custom_id`` (open-now flag, query)."""
TAKE_TEMPLATE = r"soudan:take:(?P<conv>[a-z0-9]+)"
"""``custom_id`` of the 「対応します」 button of a hand-off card (the engine's conversation id)."""


def hash_id(token: str) -> str:
    """``~`` and a 10-character base32 hash of ``token`` (stands for an id too long for a ``custom_id``)."""
    return "~" + base64.b32encode(hashlib.sha256(token.encode()).digest()[:7]).decode().lower()[:10]


def choice_custom_id(choice_id: str, state_id: str, conversation_id: str) -> str:
    """The ``custom_id`` of a choice button: ``soudan:c:<choice>:<state>:<conversation>``.

    Ids are written as they are when the result fits in 100 characters; otherwise the state id and
    then the choice id are replaced by ``~`` and a 10-character hash, which
    :func:`parse_choice_custom_id` maps back with the engine's flows.

    Raises:
        ValueError: if the conversation id alone makes it too long (never, with engine ids).
    """
    cmd = choice_id.startswith(":")
    bare = choice_id[1:] if cmd else choice_id
    state = state_id
    for step in range(3):
        cid = f"soudan:c:{':' if cmd else ''}{bare}:{state}:{conversation_id}"
        if len(cid) <= MAX_CUSTOM_ID:
            return cid
        if step == 0:
            state = hash_id(state_id)
        else:
            bare = hash_id(bare)
    raise ValueError(f"conversation id {conversation_id!r} is too long for a custom_id")


def select_custom_id(page: int, state_id: str, conversation_id: str) -> str:
    """The ``custom_id`` of the ``page``-th (0–4) choice select menu of a question."""
    cid = f"soudan:s:{page}:{state_id}:{conversation_id}"
    return cid if len(cid) <= MAX_CUSTOM_ID else f"soudan:s:{page}:{hash_id(state_id)}:{conversation_id}"


def option_value(choice_id: str) -> str:
    """A select option's value for ``choice_id``: the id, or its hash when over 100 characters."""
    return choice_id if len(choice_id) <= MAX_OPTION_LABEL else (":" if choice_id.startswith(":") else "") + \
        hash_id(choice_id.lstrip(":"))


class Unhash:
    """Maps hashed ids (``~xxxxxxxxxx``) back to state and choice ids of the loaded flows."""

    def __init__(self, conversations: Conversations) -> None:
        names: set[str] = {c.value for c in CommandName}
        for f in conversations.engine.flows.values():
            for sid, st in f.states.items():
                names.add(sid)
                names.update(c.id for c in st.choices or [])
        self._map = {hash_id(n): n for n in names}

    def __call__(self, token: str) -> str:
        if token.startswith(":"):
            return ":" + self(token[1:])
        return self._map.get(token, token) if token.startswith("~") else token


def parse_choice_custom_id(custom_id: str, unhash: Callable[[str], str] = lambda s: s) -> Pick | None:
    """The :class:`~bot.engine.types.Pick` a choice button's ``custom_id`` stands for, or None.

    Args:
        custom_id: as built by :func:`choice_custom_id`.
        unhash: maps ``~hash`` tokens back to ids (unknown hashes stay as they are, so the
            engine treats the press as stale).
    """
    m = re.fullmatch(CHOICE_TEMPLATE, custom_id)
    if m is None:
        return None
    return Pick(unhash(m["choice"]), unhash(m["state"]), m["conv"])


def dm_list_custom_id(query: str | None, open_now: bool) -> str:
    """The ``custom_id`` of the "Send me this list by DM" button (carries the query, ≤100 chars)."""
    prefix = f"soudan:dm:{int(open_now)}:"
    return prefix + cut(query or "", MAX_CUSTOM_ID - len(prefix), ellipsis="")
