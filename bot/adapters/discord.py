"""Discord adapter (discord.py 2.x): slash commands, persistent buttons, DMs and the moderator panel.

This is the only module that imports ``discord``. It runs inside ``soudan serve`` when
``DISCORD_TOKEN`` is set: :func:`setup` (called by :func:`bot.app.create_app`) adds a
``cleanup_ctx`` that starts the client when the aiohttp app starts and closes it when it stops,
so LINE and Discord share one engine and one store.

What a member can do
--------------------
- ``/soudan`` — start a consultation. In a server channel every bot message of it is
  **ephemeral** (only that member sees it); in a DM with the bot it is an ordinary conversation and
  typed answers work too (:meth:`SoudanClient.on_message`, DM channels only). The language follows
  the member's Discord locale: English for ``en-*`` locales, Japanese otherwise.
- Choices are buttons (at most 25, five per row, labels cut to 80 characters); a question with more
  than 25 choices gets select menus instead (25 options each, at most five). Referral cards are
  embeds (name, phones, hours, open-now status, links as URL buttons) kept within Discord's limits;
  text is split at 2,000 characters on line boundaries (:func:`render`).
- Buttons are persistent: views have ``timeout=None`` and every component is a
  :class:`discord.ui.DynamicItem` whose ``custom_id`` carries what it means —
  ``soudan:c:<choice>:<state>:<conversation>`` (see :func:`choice_custom_id`) — registered at
  start-up with :meth:`discord.Client.add_dynamic_items`, so buttons keep working after the 180 s
  default timeout and after a restart. A button from an older conversation re-shows the current
  question with a short explanation (the engine does that for a :class:`~bot.engine.types.Pick`
  whose conversation id is not the current one).
- ``/soudan-panel`` (default permission: Manage Messages, servers only) posts a persistent
  "相談をはじめる / Get help privately" panel; anyone who presses it gets a private, ephemeral
  consultation.
- ``/soudan-contacts [query] [open_now]`` — an ephemeral directory lookup with each window's status
  now, and a "DMで送る / Send me this list by DM" button; when the member's DMs are closed
  (:class:`discord.Forbidden`, code 50007) the list is given again ephemerally with a note.
- ``/soudan-forget`` — deletes everything stored about the member (the engine's ``forget``).
- ``/soudan-moderators channel role`` (default permission: Manage Server) — where hand-off cards go
  and who may take them (see the "moderators" section at the end of this module).

Every interaction is acknowledged at once with ``defer`` (before the store is touched); every
later message is a followup that keeps the ephemeral flag, so Discord never shows "This
interaction failed". Errors after the defer become a short apology with the emergency numbers.

Privacy: nothing here logs message text, queries or raw Discord ids. Logs carry the event kind and
at most the keyed hash of the user (:meth:`bot.service.Conversations.key`). The ``discord`` logger
is held at INFO or above, because discord.py logs whole gateway payloads (message text included)
at DEBUG.

Intents: ``guilds`` and ``dm_messages`` only. The privileged Message Content intent is not
needed: Discord delivers the content of direct messages to the bot without it (see
:attr:`discord.Intents.message_content`), and the bot never reads server channels.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self

import discord
from discord import app_commands

from bot.contacts.directory import rank
from bot.contacts.model import Contact, StatusKind
from bot.contacts.render import shown_status
from bot.contacts.status import Status
from bot.engine.types import (
    Ask,
    Command,
    CommandName,
    ContactView,
    End,
    Input,
    Pick,
    Refer,
    Reply,
    Say,
    Start,
    Text,
    Unsupported,
)
from bot.handoff.desk import Desk
from bot.handoff.guilds import GuildModerators, GuildStore
from bot.i18n import pick
from bot.service import Conversations

if TYPE_CHECKING:
    import datetime as dt

    from aiohttp import web

    from bot.adapters import Metrics

__all__ = [
    "DYNAMIC_ITEMS", "PLATFORM", "ButtonSpec", "ChoiceButton", "ChoiceSelect", "ContactsDMButton", "DMListSpec",
    "LinkSpec", "Outgoing", "PanelButton", "SelectSpec", "SoudanClient", "choice_custom_id", "contact_card",
    "default_intents", "dm_list_custom_id", "locale_of", "parse_choice_custom_id", "render", "select_custom_id",
    "setup", "split_text", "start_client", "stop_client", "strip_markup",
]

log = logging.getLogger("soudan.discord")

PLATFORM = "discord"
"""The platform name given to :meth:`bot.service.Conversations.handle` (store keys, event ids)."""

# Discord limits (https://discord.com/developers/docs/resources/message, .../components).
MAX_CONTENT = 2000
"""Characters of message content."""
MAX_EMBEDS = 10
"""Embeds per message."""
MAX_EMBED_TOTAL = 6000
"""Characters of all embeds of one message together (title, description, fields, footer)."""
MAX_TITLE = 256
MAX_DESCRIPTION = 4096
MAX_FIELDS = 25
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_FOOTER = 2048
MAX_COMPONENTS = 25
"""Buttons per message (five rows of five)."""
PER_ROW = 5
MAX_ROWS = 5
MAX_LABEL = 80
"""Characters of a button label."""
MAX_OPTION_LABEL = 100
"""Characters of a select option label (and of its value)."""
MAX_CUSTOM_ID = 100
"""Characters of a component ``custom_id``."""
MAX_QUERY = 60
"""Characters of a ``/soudan-contacts`` query (it rides in the DM button's ``custom_id``)."""
MAX_CONTACT_RESULTS = 15
"""Windows shown by one ``/soudan-contacts`` answer; more → "narrow your search"."""

_ID = r"[a-z0-9][a-z0-9_-]*"
_TOKEN = rf"(?:~[a-z2-7]{{10}}|{_ID})"
_MARKUP = re.compile(r"<a?:\w{1,32}:\d{1,21}>|<(?:@[!&]?|#)\d{1,21}>|<t:-?\d{1,16}(?::[tTdDfFR])?>")


def strip_markup(content: str) -> str:
    """DM text without Discord markup: custom emoji (``<:name:id>``, ``<a:name:id>``), mentions
    (``<@id>``, ``<@&id>``, ``<#id>``) and timestamps (``<t:…>``), each replaced by a space.

    Left in, ``<:happy:123…>はい`` would read as ``happy123…はい`` and match no answer.
    """
    return _MARKUP.sub(" ", content) if "<" in content else content


CHOICE_TEMPLATE = rf"soudan:c:(?P<choice>:?{_TOKEN}):(?P<state>{_TOKEN}):(?P<conv>[a-z0-9]+)"
"""Regex of a choice button's ``custom_id``: choice id (``:restart`` style for commands), state id,
conversation id. An id that would make the ``custom_id`` longer than 100 characters is written as
``~`` and a 10-character hash (:func:`choice_custom_id`)."""
SELECT_TEMPLATE = rf"soudan:s:(?P<page>[0-4]):(?P<state>{_TOKEN}):(?P<conv>[a-z0-9]+)"
"""Regex of a choice select menu's ``custom_id`` (options carry the choice ids)."""
PANEL_CUSTOM_ID = "soudan:panel"
DM_LIST_TEMPLATE = r"(?s)soudan:dm:(?P<open>[01]):(?P<query>.*)"


# ------------------------------------------------------------------ text helpers

def ulen(text: str) -> int:
    """Length in UTF-16 code units: never less than the character count, so limits checked with it
    hold however Discord counts (an emoji is 2 here)."""
    return len(text.encode("utf-16-le")) // 2


def cut(text: str, limit: int, ellipsis: str = "…") -> str:
    """``text`` shortened to at most ``limit`` UTF-16 units, ending in ``ellipsis`` when cut."""
    if ulen(text) <= limit:
        return text
    room = limit - ulen(ellipsis)
    out = []
    used = 0
    for ch in text:
        w = ulen(ch)
        if used + w > room:
            break
        out.append(ch)
        used += w
    return "".join(out).rstrip() + ellipsis


def _hard_split(line: str, limit: int) -> list[str]:
    parts: list[str] = []
    cur: list[str] = []
    used = 0
    for ch in line:
        w = ulen(ch)
        if used + w > limit:
            parts.append("".join(cur))
            cur, used = [], 0
        cur.append(ch)
        used += w
    if cur:
        parts.append("".join(cur))
    return parts


def split_text(text: str, limit: int = MAX_CONTENT) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` UTF-16 units, on line boundaries.

    Lines are kept whole when they fit; a single line longer than ``limit`` is cut into pieces.
    Line breaks at a cut are dropped (each piece is a message of its own). Empty text gives ``[]``.
    """
    text = text.strip("\n")
    if not text:
        return []
    pieces: list[str] = []
    cur: list[str] = []
    used = 0
    for line in text.split("\n"):
        w = ulen(line)
        if w > limit:
            if cur:
                pieces.append("\n".join(cur))
                cur, used = [], 0
            *whole, last = _hard_split(line, limit)
            pieces.extend(whole)
            cur, used = [last], ulen(last)
            continue
        extra = w + (1 if cur else 0)
        if used + extra > limit:
            pieces.append("\n".join(cur))
            cur, used = [line], w
        else:
            cur.append(line)
            used += extra
    if cur:
        pieces.append("\n".join(cur))
    return [p for p in (p.strip("\n") for p in pieces) if p.strip()]


def _hash(token: str) -> str:
    return "~" + base64.b32encode(hashlib.sha256(token.encode()).digest()[:7]).decode().lower()[:10]


def locale_of(interaction: discord.Interaction[Any]) -> str:
    """The bot locale for an interaction: ``"en"`` for English Discord locales, else ``"ja"``."""
    loc = getattr(interaction, "locale", None)
    value = getattr(loc, "value", loc)
    return "en" if isinstance(value, str) and value.lower().startswith("en") else "ja"


def _where(exc: BaseException) -> str:
    """``file:line`` where ``exc`` was raised (for logs that must not carry exception messages)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return f"{tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}" if tb else "?"


def _in_guild(interaction: discord.Interaction[Any]) -> bool:
    return interaction.guild_id is not None


# ------------------------------------------------------------------ custom ids

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
            state = _hash(state_id)
        else:
            bare = _hash(bare)
    raise ValueError(f"conversation id {conversation_id!r} is too long for a custom_id")


def select_custom_id(page: int, state_id: str, conversation_id: str) -> str:
    """The ``custom_id`` of the ``page``-th (0–4) choice select menu of a question."""
    cid = f"soudan:s:{page}:{state_id}:{conversation_id}"
    return cid if len(cid) <= MAX_CUSTOM_ID else f"soudan:s:{page}:{_hash(state_id)}:{conversation_id}"


def _option_value(choice_id: str) -> str:
    return choice_id if len(choice_id) <= MAX_OPTION_LABEL else (":" if choice_id.startswith(":") else "") + \
        _hash(choice_id.lstrip(":"))


class _Unhash:
    """Maps hashed ids (``~xxxxxxxxxx``) back to state and choice ids of the loaded flows."""

    def __init__(self, conversations: Conversations) -> None:
        names: set[str] = {c.value for c in CommandName}
        for f in conversations.engine.flows.values():
            for sid, st in f.states.items():
                names.add(sid)
                names.update(c.id for c in st.choices or [])
        self._map = {_hash(n): n for n in names}

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



# ------------------------------------------------------------------ rendering (pure)

@dataclass(frozen=True)
class ButtonSpec:
    """An interactive button: ``custom_id`` ≤100, ``label`` ≤80, ``row`` 0–4."""

    label: str
    custom_id: str
    row: int
    secondary: bool = False


@dataclass(frozen=True)
class LinkSpec:
    """A URL button (``https://`` or ``http://`` only; Discord has no ``tel:``/``mailto:`` buttons)."""

    label: str
    url: str


@dataclass(frozen=True)
class SelectSpec:
    """A select menu: ``options`` are ``(label, value)`` pairs, at most 25."""

    custom_id: str
    placeholder: str
    options: tuple[tuple[str, str], ...]
    row: int


@dataclass(frozen=True)
class DMListSpec:
    """The "Send me this list by DM" button of a ``/soudan-contacts`` answer."""

    label: str
    custom_id: str
    row: int


Component = ButtonSpec | LinkSpec | SelectSpec | DMListSpec


@dataclass
class Outgoing:
    """One Discord message to send, platform-shaped but free of discord.py objects until sent.

    Attributes:
        content: message text (≤2,000 UTF-16 units; may be empty when there are embeds).
        embeds: embed dicts in Discord's JSON shape (≤10, together ≤6,000 characters).
        components: buttons / select menus (≤25 buttons, ≤5 rows).
    """

    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[Component] = field(default_factory=list)

    def embed_chars(self) -> int:
        """Characters counted against the 6,000 limit for this message's embeds."""
        return sum(_embed_len(e) for e in self.embeds)

    def to_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``Messageable.send`` / ``Webhook.send`` (builds the view: needs a loop)."""
        kw: dict[str, Any] = {}
        if self.content:
            kw["content"] = self.content
        if self.embeds:
            kw["embeds"] = [discord.Embed.from_dict(e) for e in self.embeds]
        if self.components:
            kw["view"] = build_view(self.components)
        return kw


_L = {
    "ja": {
        "phone": "電話", "hours": "受付時間", "now": "いまの状況", "other": "ほかの窓口・連絡方法",
        "who": "対象", "cost": "料金", "note": "ご注意", "verified": "確認日", "cont": "（続き）",
        "steps": "次にできること", "free": "通話無料", "navi-dial": "ナビダイヤル（通話料有料・かけ放題の対象外）",
        "charged": "通話料がかかります", "select": "選んでください",
        "error": "すみません、いま処理できませんでした。少し待ってから、もう一度お試しください。\n"
                 "危険が迫っているときは110番、急な病気やけがは119番へ。",
        "panel_title": "相談をはじめる / Get help privately",
        "panel_text": "ネットの誹謗中傷・嫌がらせ・晒しなどで困っていたら、下のボタンを押してください。"
                      "あなたにだけ見えるメッセージで、相談できる窓口をご案内します（ほかの人には見えません）。\n\n"
                      "If you are being harassed or exposed online, press the button below. Only you will see "
                      "the conversation, and it points you to people who can help.",
        "panel_posted": "パネルをこのチャンネルに置きました。",
        "panel_forbidden": "このチャンネルにパネルを置けませんでした。ボットに「チャンネルを見る」「メッセージを送信」"
                           "「埋め込みリンク」の権限を与えてから、もう一度お試しください。",
        "dm_button": "DMで送る / Send me this list by DM",
        "dm_sent": "一覧をDMで送りました。",
        "dm_closed": "DMを送れませんでした（このサーバーのメンバーからのDMが閉じられています）。"
                     "代わりに、あなたにだけ見える形でもう一度表示します。",
        "results": "「{q}」の相談窓口: {n}件（いま受付中 {k}件）",
        "results_all": "相談窓口: {n}件（いま受付中 {k}件）",
        "results_open": "（いま受付中のみ）",
        "more": "ほかに{m}件あります。言葉をしぼって検索してください。",
        "none": "「{q}」に合う窓口は見つかりませんでした。別の言葉で探すか、24時間つながるこちらの窓口へ。",
        "none_open": "いま受付中の窓口は見つかりませんでした。24時間つながるこちらの窓口へ。",
        "forgotten": "記録を削除しました。",
    },
    "en": {
        "phone": "Phone", "hours": "Hours", "now": "Now", "other": "Other ways to reach them",
        "who": "Who can use it", "cost": "Cost", "note": "Please note", "verified": "Verified", "cont": " (cont.)",
        "steps": "What you can do next", "free": "free call",
        "navi-dial": "Navi Dial (the caller pays; not covered by flat-rate plans)",
        "charged": "call charges apply", "select": "Choose one",
        "error": "Sorry, I could not handle that just now. Please try again in a moment.\n"
                 "If you are in danger call 110; for a sudden illness or injury call 119.",
        "panel_title": "相談をはじめる / Get help privately",
        "panel_text": "",  # bilingual: the same as ja (set below)
        "panel_posted": "The panel is now in this channel.",
        "panel_forbidden": "I could not post the panel here. Give the bot View Channel, Send Messages and "
                           "Embed Links in this channel, then try again.",
        "dm_button": "DMで送る / Send me this list by DM",
        "dm_sent": "I sent the list to your DMs.",
        "dm_closed": "I could not DM you (your DMs from this server are closed). Here it is again, "
                     "visible only to you.",
        "results": "Windows for \"{q}\": {n} (open now: {k})",
        "results_all": "Windows: {n} (open now: {k})",
        "results_open": " (open now only)",
        "more": "{m} more: narrow your search.",
        "none": "Nothing matched \"{q}\". Try other words, or call this 24-hour line.",
        "none_open": "No window is open right now. This 24-hour line is always there.",
        "forgotten": "Deleted.",
    },
}
_L["en"]["panel_text"] = _L["ja"]["panel_text"]


def t(key: str, locale: str, **kw: Any) -> str:
    """An adapter message in ``locale`` (``ja``/``en``), formatted with ``kw``."""
    text = _L.get(locale, _L["ja"]).get(key) or _L["ja"][key]
    return text.format(**kw) if kw else text


def _choice_components(ask: Ask, locale: str) -> list[Component]:
    choices = ask.choices
    if len(choices) <= MAX_COMPONENTS:
        return [ButtonSpec(cut(c.label, MAX_LABEL), choice_custom_id(c.id, ask.state_id, ask.conversation_id),
                           row=i // PER_ROW, secondary=c.id.startswith(":"))
                for i, c in enumerate(choices)]
    out: list[Component] = []
    for page in range(min(MAX_ROWS, -(-len(choices) // MAX_COMPONENTS))):
        chunk = choices[page * MAX_COMPONENTS:(page + 1) * MAX_COMPONENTS]
        first = page * MAX_COMPONENTS + 1
        options = tuple((cut(f"{first + i}. {c.label}", MAX_OPTION_LABEL), _option_value(c.id))
                        for i, c in enumerate(chunk))
        out.append(SelectSpec(select_custom_id(page, ask.state_id, ask.conversation_id),
                              cut(f"{t('select', locale)} ({first}–{first + len(chunk) - 1})", 150),
                              options, row=page))
    if len(choices) > MAX_ROWS * MAX_COMPONENTS:
        log.warning("question with %d choices: only the first %d are offered", len(choices),
                    MAX_ROWS * MAX_COMPONENTS)
    return out


def _cost_text(number_cost: str | None, locale: str) -> str:
    return t(number_cost, locale) if number_cost in ("free", "navi-dial", "charged") else ""


def _embed_len(e: dict[str, Any]) -> int:
    n = ulen(e.get("title", "")) + ulen(e.get("description", ""))
    n += ulen(e.get("footer", {}).get("text", "")) + ulen(e.get("author", {}).get("name", ""))
    n += sum(ulen(f["name"]) + ulen(f["value"]) for f in e.get("fields", []))
    return n


def _field_chunks(name: str, value: str, locale: str) -> list[tuple[str, str]]:
    """One field, or several ``name (cont.)`` fields when the value is over 1,024 characters."""
    value = value.strip()
    if not value:
        return []
    parts = split_text(value, MAX_FIELD_VALUE)
    name = cut(name, MAX_FIELD_NAME - 10)
    return [(name if i == 0 else name + t("cont", locale), p) for i, p in enumerate(parts)]


def contact_card(view: ContactView, locale: str) -> tuple[list[dict[str, Any]], list[LinkSpec]]:
    """The embed(s) and URL buttons of one window.

    Usually one embed; a window with very long texts continues in further embeds titled
    ``name（続き）`` so that each stays within 25 fields, 4,096 characters of description and
    6,000 characters in all. Long values are split on line boundaries into ≤1,024-character fields.

    Returns:
        ``(embeds, links)``: embed dicts (Discord JSON shape) and URL buttons for the window's
        ``http(s)`` channels.
    """
    c: Contact = view.contact
    st: Status = view.status
    name = pick(c.name, locale)
    org = pick(c.org, locale)
    desc_parts = [org]
    if c.role:
        desc_parts.append(pick(c.role, locale))
    description = cut("\n".join(p for p in desc_parts if p), MAX_DESCRIPTION)

    fields: list[tuple[str, str]] = []
    phone_lines = []
    for p in c.phones:
        extra = [pick(p.label, locale)] if p.label else []
        cost = _cost_text(p.cost, locale)
        if cost:
            extra.append(cost)
        phone_lines.append(f"**{p.number}**" + (f"（{' / '.join(extra)}）" if locale == "ja" and extra
                                                 else f" ({'; '.join(extra)})" if extra else ""))
    fields += _field_chunks(t("phone", locale), "\n".join(phone_lines), locale)
    now_line = shown_status(c, st, locale)  # None when the hours already say 24時間 (no status twice)
    if now_line:
        fields += _field_chunks(t("now", locale), now_line, locale)
    fields += _field_chunks(t("hours", locale), pick(c.hours_text, locale), locale)
    other = []
    for ch in c.channels:
        label = pick(ch.label, locale) if ch.label else ch.kind
        hours = f" — {pick(ch.hours_text, locale)}" if ch.hours_text else ""
        other.append(f"{label}: {ch.url}{hours}")
    fields += _field_chunks(t("other", locale), "\n".join(other), locale)
    if c.eligibility.text:
        fields += _field_chunks(t("who", locale), pick(c.eligibility.text, locale), locale)
    if c.cost_text:
        fields += _field_chunks(t("cost", locale), pick(c.cost_text, locale), locale)
    if c.caveats:
        fields += _field_chunks(t("note", locale), "\n".join("・" + pick(x, locale) for x in c.caveats), locale)

    colour = 0x2E8B57 if st.kind in (StatusKind.OPEN, StatusKind.ALWAYS) else 0x808080
    footer = cut(f"{t('verified', locale)} {c.verified} · {c.source}", MAX_FOOTER)
    title = cut(name, MAX_TITLE)
    embeds: list[dict[str, Any]] = []

    def new(first: bool) -> dict[str, Any]:
        e: dict[str, Any] = {"type": "rich", "title": title if first else cut(name + t("cont", locale), MAX_TITLE),
                             "color": colour, "fields": [], "footer": {"text": footer}}
        if first:
            e["url"] = c.source
            if description:
                e["description"] = description
        return e

    cur = new(True)
    for fname, fvalue in fields:
        size = ulen(fname) + ulen(fvalue)
        if len(cur["fields"]) >= MAX_FIELDS or _embed_len(cur) + size > MAX_EMBED_TOTAL:
            embeds.append(cur)
            cur = new(False)
        cur["fields"].append({"name": fname, "value": fvalue, "inline": False})
    embeds.append(cur)
    links = [LinkSpec(cut(pick(ch.label, locale) if ch.label else f"{name} ({ch.kind})", MAX_LABEL), ch.url)
             for ch in c.channels if ch.url.startswith(("https://", "http://"))]
    return embeds, links


def _text_messages(text: str, last: Outgoing | None = None) -> list[Outgoing]:
    """``text`` split into messages; ``last`` (embeds/components) rides on the final piece."""
    pieces = split_text(text)
    out = [Outgoing(content=p) for p in pieces]
    if last is not None:
        if out and not last.content:
            out[-1].embeds, out[-1].components = last.embeds, last.components
        else:
            out.append(last)
    return out


def _refer_messages(lead: str, refer: Refer, locale: str) -> list[Outgoing]:
    steps = ""
    if refer.steps:
        steps = f"**{t('steps', locale)}**\n" + "\n".join(f"{i}. {s}" for i, s in enumerate(refer.steps, 1))
    text = "\n\n".join(p for p in (lead, steps) if p)
    cards = [contact_card(v, locale) for v in refer.contacts]
    groups: list[Outgoing] = []
    cur = Outgoing()
    for embeds, links in cards:
        for j, embed in enumerate(embeds):  # a long card's continuation embeds may go to the next message
            here = links[:MAX_COMPONENTS] if j == 0 else []
            n_links = sum(isinstance(x, LinkSpec) for x in cur.components)
            if cur.embeds and (len(cur.embeds) >= MAX_EMBEDS
                               or cur.embed_chars() + _embed_len(embed) > MAX_EMBED_TOTAL
                               or n_links + len(here) > MAX_COMPONENTS):
                groups.append(cur)
                cur = Outgoing()
            cur.embeds.append(embed)
            cur.components.extend(here)
    if cur.embeds:
        groups.append(cur)
    if not groups:
        return _text_messages(text)
    return [*_text_messages(text, groups[0]), *groups[1:]]


def render(replies: Sequence[Reply], locale: str) -> list[Outgoing]:
    """Turn engine replies into Discord messages within Discord's limits.

    Consecutive :class:`~bot.engine.types.Say`/:class:`~bot.engine.types.End` texts are joined
    into the next message; a question carries its choices as buttons (or select menus over 25
    choices); a referral becomes its lead text and next steps followed by one embed card per
    window, packed ≤10 embeds and ≤6,000 embed characters per message. Text longer than 2,000
    characters is split on line boundaries.

    Args:
        replies: what the engine returned.
        locale: ``"ja"`` or ``"en"`` (for the adapter's own labels).

    Returns:
        Messages in order (empty only for empty ``replies``).
    """
    out: list[Outgoing] = []
    pending: list[str] = []
    for r in replies:
        if isinstance(r, Say | End):
            pending.append(r.text)
        elif isinstance(r, Ask):
            text = "\n\n".join([*pending, r.text])
            pending = []
            out += _text_messages(text, Outgoing(components=_choice_components(r, locale)))
        elif isinstance(r, Refer):
            lead = "\n\n".join([*pending, r.text])
            pending = []
            out += _refer_messages(lead, r, locale)
        else:  # pragma: no cover - exhaustive
            raise TypeError(f"unknown reply {r!r}")
    if pending:
        out += _text_messages("\n\n".join(pending))
    return out


# ------------------------------------------------------------------ components (need a running loop)

def _client_of(interaction: discord.Interaction[Any]) -> SoudanClient:
    client = interaction.client
    if not isinstance(client, SoudanClient):  # pragma: no cover - only our client registers these items
        raise TypeError("soudan components need a SoudanClient")
    return client


class ChoiceButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=CHOICE_TEMPLATE):
    """A persistent choice button (``soudan:c:<choice>:<state>:<conversation>``)."""

    def __init__(self, label: str, custom_id: str, *, row: int | None = None, secondary: bool = False) -> None:
        style = discord.ButtonStyle.secondary if secondary else discord.ButtonStyle.primary
        super().__init__(discord.ui.Button(label=label, custom_id=custom_id, style=style, row=row))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> Self:
        label = getattr(item, "label", None) or "?"
        return cls(label, match.string)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _client_of(interaction).on_choice(interaction, self.custom_id)


class ChoiceSelect(discord.ui.DynamicItem[discord.ui.Select[Any]], template=SELECT_TEMPLATE):
    """A persistent select menu of choices, for questions with more than 25 choices."""

    def __init__(self, custom_id: str, placeholder: str = "", options: Sequence[tuple[str, str]] = (),
                 *, row: int | None = None) -> None:
        opts = [discord.SelectOption(label=label, value=value) for label, value in options]
        super().__init__(discord.ui.Select(custom_id=custom_id, placeholder=placeholder or None, options=opts,
                                           row=row))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> Self:
        opts = [(o.label, o.value) for o in getattr(item, "options", [])]
        return cls(match.string, getattr(item, "placeholder", "") or "", opts)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        data: Any = interaction.data or {}
        values = data.get("values") or []
        await _client_of(interaction).on_select(interaction, self.custom_id, str(values[0]) if values else "")


class PanelButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=PANEL_CUSTOM_ID):
    """The moderator panel's "相談をはじめる / Get help privately" button."""

    def __init__(self) -> None:
        super().__init__(discord.ui.Button(label=t("panel_title", "ja"), custom_id=PANEL_CUSTOM_ID,
                                           style=discord.ButtonStyle.success))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> Self:
        return cls()

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _client_of(interaction).on_panel(interaction)


def dm_list_custom_id(query: str | None, open_now: bool) -> str:
    """The ``custom_id`` of the "Send me this list by DM" button (carries the query, ≤100 chars)."""
    prefix = f"soudan:dm:{int(open_now)}:"
    return prefix + cut(query or "", MAX_CUSTOM_ID - len(prefix), ellipsis="")


class ContactsDMButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=DM_LIST_TEMPLATE):
    """"DMで送る / Send me this list by DM" under a ``/soudan-contacts`` answer."""

    def __init__(self, custom_id: str, *, row: int | None = None) -> None:
        super().__init__(discord.ui.Button(label=t("dm_button", "ja"), custom_id=custom_id,
                                           style=discord.ButtonStyle.secondary, row=row))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> Self:
        return cls(match.string)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        m = re.fullmatch(DM_LIST_TEMPLATE, self.custom_id)
        assert m is not None
        await _client_of(interaction).on_contacts_dm(interaction, m["query"] or None, m["open"] == "1")


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (ChoiceButton, ChoiceSelect, PanelButton,
                                                                 ContactsDMButton)
"""Registered at start-up so every component works after a restart."""


def build_view(components: Iterable[Component]) -> discord.ui.View:
    """A persistent view (``timeout=None``) of the given components. Needs a running event loop."""
    view = discord.ui.View(timeout=None)
    row_of_links = 0
    for c in components:
        if isinstance(c, ButtonSpec):
            view.add_item(ChoiceButton(c.label, c.custom_id, row=c.row, secondary=c.secondary))
        elif isinstance(c, SelectSpec):
            view.add_item(ChoiceSelect(c.custom_id, c.placeholder, c.options, row=c.row))
        elif isinstance(c, DMListSpec):
            view.add_item(ContactsDMButton(c.custom_id, row=c.row))
        else:
            view.add_item(discord.ui.Button(label=c.label, url=c.url, row=row_of_links // PER_ROW))
            row_of_links += 1
    return view


# ------------------------------------------------------------------ the client

Send = Callable[..., Awaitable[Any]]


def default_intents() -> discord.Intents:
    """``guilds`` and ``dm_messages`` only: no privileged intent (DM text arrives without Message Content)."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.dm_messages = True
    return intents


class SoudanClient(discord.Client):
    """The Discord client: slash commands, persistent components and DM conversations.

    Args:
        conversations: the shared :class:`~bot.service.Conversations` (engine + store).
        clock: returns the current aware datetime; defaults to ``conversations.clock``.
        metrics: optional :class:`bot.adapters.Metrics` (label ``platform="discord"``).
        sync_commands: call ``tree.sync()`` in :meth:`setup_hook` (one bulk overwrite per start;
            Discord does not count unchanged commands against its daily creation limit).
        intents: gateway intents; :func:`default_intents` when None.

    Attributes:
        tree: the :class:`discord.app_commands.CommandTree` with ``/soudan``, ``/soudan-panel``,
            ``/soudan-contacts``, ``/soudan-forget`` and ``/soudan-moderators``.
        desk: the app's hand-off desk (moderators); None: no hand-off on Discord.
        guilds: per-server moderator settings (:class:`bot.handoff.guilds.GuildStore`), kept as
            ``moderator_guilds``.
    """

    def __init__(self, conversations: Conversations, *, clock: Callable[[], dt.datetime] | None = None,
                 metrics: Metrics | None = None, sync_commands: bool = True,
                 intents: discord.Intents | None = None, desk: Desk | None = None,
                 guilds: GuildStore | None = None) -> None:
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False  # no voice here: no warnings
        super().__init__(intents=intents or default_intents(), allowed_mentions=discord.AllowedMentions.none())
        self.conversations = conversations
        self.clock = clock or conversations.clock
        self.metrics = metrics
        self.sync_commands = sync_commands
        self.unhash = _Unhash(conversations)
        self.tree: app_commands.CommandTree[SoudanClient] = app_commands.CommandTree(self)
        self.tree.on_error = self._on_tree_error  # type: ignore[method-assign]
        for cmd in _commands():
            self.tree.add_command(cmd)
        self.desk = desk
        self.moderator_guilds = guilds if guilds is not None else GuildStore(None)
        self._requests: dict[str, list[float]] = {}
        if desk is not None:
            desk.register(PLATFORM, ModeratorSink(self), offer_by_default=False)

    async def setup_hook(self) -> None:
        """Register the dynamic items (buttons survive restarts) and sync the slash commands."""
        self.add_dynamic_items(*DYNAMIC_ITEMS, TakeButton)
        if self.sync_commands:
            await self.tree.sync()

    # -------------------------------------------------------------- bookkeeping

    def _count(self, kind: str, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.events.labels(PLATFORM, kind, outcome).inc()

    def _sent(self, method: str, n: int) -> None:
        if self.metrics is not None and n:
            self.metrics.replies.labels(PLATFORM, method).inc()
            self.metrics.messages.labels(PLATFORM).inc(n)

    @staticmethod
    def _followup(interaction: discord.Interaction[Any], ephemeral: bool) -> Send:
        async def send(**kw: Any) -> Any:
            return await interaction.followup.send(ephemeral=ephemeral, **kw)
        return send

    async def _deliver(self, send: Send, messages: Sequence[Outgoing], method: str) -> int:
        """Send ``messages`` in order and return how many were sent.

        Raises:
            discord.HTTPException: from the first failed send (the rest are not sent); logged
                with status and code only.
        """
        n = 0
        try:
            for m in messages:
                await send(**m.to_kwargs())
                n += 1
        except discord.HTTPException as exc:
            log.warning("discord send failed after %d message(s): HTTP %s code %s", n, exc.status, exc.code)
            if self.metrics is not None:
                self.metrics.api_errors.labels(PLATFORM, method, str(exc.status)).inc()
            raise
        finally:
            self._sent(method, n)
        return n

    async def _converse(self, send: Send, raw_user_id: str, inp: Input, *, event_id: str, kind: str,
                        locale: str, method: str, guild: int | None = None) -> int:
        """Run one input through the shared conversations and send what comes back.

        Errors (store down, a bug, a failed send) are logged without content — exception type and
        where it was raised — and answered, when possible, with a short apology carrying the
        emergency numbers.

        Returns:
            The number of messages sent (0 for a duplicate event).
        """
        try:
            team = self._team(guild)
            if isinstance(inp, Pick) and inp.choice_id == ":handoff-yes" and team and self._rate_limited(
                    raw_user_id, guild):
                return await self._deliver(send, [Outgoing(content=m("rate", locale, n=HANDOFF_RATE[0]))], method)
            handled = await self.conversations.handle(PLATFORM, raw_user_id, inp, event_id=event_id,
                                                      now=self.clock(), team=team or "")
            if self.desk is not None and handled.handoffs:
                await self.desk.dispatch(PLATFORM, handled, raw_user_id, {"guild": str(guild or "")})
            messages = render(handled.replies, handled.session.locale if handled.session is not None else locale)
        except Exception as exc:  # exception messages may quote input: log the type and place only
            log.error("discord %s failed in the store/engine: %s at %s", kind, type(exc).__name__, _where(exc))
            self._count(kind, "error")
            with contextlib.suppress(discord.HTTPException):
                return await self._deliver(send, [Outgoing(content=t("error", locale))], method)
            return 0
        if handled.duplicate:
            self._count(kind, "duplicate")
            return 0
        if self.metrics is not None:
            self.metrics.step_seconds.labels(PLATFORM).observe(handled.seconds)
        self._count(kind, "handled")
        try:
            return await self._deliver(send, messages, method)
        except discord.HTTPException:
            return 0

    async def _interaction_input(self, interaction: discord.Interaction[Any], inp: Input, kind: str, *,
                                 ephemeral: bool | None = None) -> None:
        eph = _in_guild(interaction) if ephemeral is None else ephemeral
        if not interaction.response.is_done():
            await interaction.response.defer(ephemeral=eph, thinking=True)
        sent = await self._converse(self._followup(interaction, eph), str(interaction.user.id), inp,
                                    event_id=str(interaction.id), kind=kind, locale=locale_of(interaction),
                                    method="followup", guild=interaction.guild_id)
        if sent == 0:  # never leave "thinking…" behind
            with contextlib.suppress(discord.HTTPException):
                await interaction.delete_original_response()

    # -------------------------------------------------------------- handlers

    async def cmd_soudan(self, interaction: discord.Interaction[Any]) -> None:
        """``/soudan``: start a consultation (ephemeral in a server, normal in a DM)."""
        await self._interaction_input(interaction, Start(locale=locale_of(interaction)), "command.soudan")

    async def cmd_forget(self, interaction: discord.Interaction[Any]) -> None:
        """``/soudan-forget``: delete everything stored about the member (engine ``forget``)."""
        await self._interaction_input(interaction, Command(CommandName.FORGET), "command.forget")

    async def cmd_panel(self, interaction: discord.Interaction[Any]) -> None:
        """``/soudan-panel``: post the persistent panel in this channel; the moderator gets an ephemeral note."""
        loc = locale_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        channel = interaction.channel
        embed = discord.Embed(title=t("panel_title", loc), description=t("panel_text", loc), colour=0x2E8B57)
        view = discord.ui.View(timeout=None)
        view.add_item(PanelButton())
        try:
            if not isinstance(channel, discord.abc.Messageable):  # pragma: no cover - guild_only command
                raise TypeError("not a text channel")
            await channel.send(embed=embed, view=view)
        except (discord.Forbidden, TypeError):
            self._count("command.panel", "forbidden")
            await interaction.followup.send(t("panel_forbidden", loc), ephemeral=True)
            return
        self._count("command.panel", "handled")
        await interaction.followup.send(t("panel_posted", loc), ephemeral=True)

    async def on_panel(self, interaction: discord.Interaction[Any]) -> None:
        """The panel button: a private (ephemeral) consultation for whoever pressed it."""
        await self._interaction_input(interaction, Start(locale=locale_of(interaction)), "panel", ephemeral=True)

    async def on_choice(self, interaction: discord.Interaction[Any], custom_id: str) -> None:
        """A choice button: ``Pick(choice, state, conversation)`` from its ``custom_id``."""
        p = parse_choice_custom_id(custom_id, self.unhash)
        if p is None:  # pragma: no cover - the template guarantees a match
            return
        await self._interaction_input(interaction, p, "button")

    async def on_select(self, interaction: discord.Interaction[Any], custom_id: str, value: str) -> None:
        """A choice select menu: ``Pick(value, state, conversation)``."""
        m = re.fullmatch(SELECT_TEMPLATE, custom_id)
        if m is None:  # pragma: no cover
            return
        await self._interaction_input(interaction, Pick(self.unhash(value), self.unhash(m["state"]), m["conv"]),
                                      "select")

    def contacts_messages(self, query: str | None, open_now: bool, locale: str, *,
                          dm_button: bool) -> list[Outgoing]:
        """The answer to ``/soudan-contacts``: a header and one card per window, available ones first.

        Nothing found (or nothing open) → the directory's 24-hour fallback line. At most
        :data:`MAX_CONTACT_RESULTS` windows.
        """
        now = self.clock()
        directory = self.conversations.engine.directory
        q = (query or "").strip()[:MAX_QUERY] or None
        found = directory.search(q, open_now=open_now, now=now)
        found.sort(key=lambda p: rank(p[1]))  # open/24 h, then unknown, then closed (issue #12)
        shown_q = discord.utils.escape_markdown(discord.utils.escape_mentions(q or ""))
        if found:
            k = sum(st.is_available for _, st in found)
            head = t("results", locale, q=shown_q, n=len(found), k=k) if q else \
                t("results_all", locale, n=len(found), k=k)
            if open_now:
                head += t("results_open", locale)
            if len(found) > MAX_CONTACT_RESULTS:
                head += "\n" + t("more", locale, m=len(found) - MAX_CONTACT_RESULTS)
            views = tuple(ContactView(c, st) for c, st in found[:MAX_CONTACT_RESULTS])
        else:
            head = t("none", locale, q=shown_q) if q else t("none_open", locale)
            fb = directory.fallback(now)
            views = (ContactView(fb, directory.status(fb, now)),)
        msgs = render([Refer(head, views)], locale)
        if dm_button:
            last = msgs[-1]
            if sum(isinstance(c, LinkSpec) for c in last.components) >= MAX_COMPONENTS:
                last = Outgoing()
                msgs.append(last)
            last.components.append(DMListSpec(t("dm_button", locale), dm_list_custom_id(q, open_now), row=4))
        return msgs

    async def cmd_contacts(self, interaction: discord.Interaction[Any], query: str | None = None,
                           open_now: bool = False) -> None:
        """``/soudan-contacts``: ephemeral directory lookup with status now (and a DM button in servers)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        loc = locale_of(interaction)
        try:
            msgs = self.contacts_messages(query, open_now, loc, dm_button=_in_guild(interaction))
        except Exception as exc:
            log.error("discord contacts lookup failed: %s", type(exc).__name__)
            self._count("command.contacts", "error")
            await interaction.followup.send(t("error", loc), ephemeral=True)
            return
        self._count("command.contacts", "handled")
        with contextlib.suppress(discord.HTTPException):
            await self._deliver(self._followup(interaction, True), msgs, "followup")

    async def on_contacts_dm(self, interaction: discord.Interaction[Any], query: str | None, open_now: bool) -> None:
        """"Send me this list by DM": DM the (freshly computed) list; closed DMs → ephemeral fallback."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        loc = locale_of(interaction)
        msgs = self.contacts_messages(query, open_now, loc, dm_button=False)
        try:
            await self._deliver(interaction.user.send, msgs, "dm")
        except discord.HTTPException as exc:  # Forbidden 50007: DMs closed; anything else: same fallback
            self._count("contacts.dm", "dm_closed" if isinstance(exc, discord.Forbidden) else "error")
            msgs[0].content = t("dm_closed", loc) + ("\n\n" + msgs[0].content if msgs[0].content else "")
            if ulen(msgs[0].content) > MAX_CONTENT:  # pragma: no cover - header is short
                msgs = [*_text_messages(msgs[0].content), *msgs[1:]]
            with contextlib.suppress(discord.HTTPException):
                await self._deliver(self._followup(interaction, True), msgs, "followup")
            return
        self._count("contacts.dm", "handled")
        await interaction.followup.send(t("dm_sent", loc), ephemeral=True)

    # -------------------------------------------------------------- moderators (hand-off)

    def _team(self, guild: int | None) -> str | None:
        """The moderators' team, offered only in a server that set its moderators up."""
        if self.desk is None or self.moderator_guilds.get(guild) is None:
            return None
        return self.desk.team_for(PLATFORM)

    def _rate_limited(self, raw_user_id: str, guild: int | None) -> bool:
        """Record one hand-off request; True when the member already made :data:`HANDOFF_RATE` ones."""
        n, window = HANDOFF_RATE
        key = f"{guild}:{self.conversations.key(PLATFORM, raw_user_id)}"
        now = self.clock().timestamp()
        recent = [t for t in self._requests.get(key, []) if now - t < window]
        if len(recent) >= n:
            self._requests[key] = recent
            return True
        self._requests[key] = [*recent, now]
        return False

    async def cmd_moderators(self, interaction: discord.Interaction[Any], channel: discord.TextChannel,
                             role: discord.Role) -> None:
        """``/soudan-moderators``: store the server's private moderators' channel and role.

        Refused (ephemerally, with the fix) when no moderator team is configured, when the channel is
        visible to @everyone or to anyone without the role's permissions, or when the bot cannot post there.
        """
        await interaction.response.defer(ephemeral=True, thinking=True)
        loc = locale_of(interaction)
        guild = interaction.guild
        names = {"channel": channel.mention, "role": role.mention}
        if self.desk is None or self.desk.team_for(PLATFORM) is None or guild is None:
            await interaction.followup.send(m("no_team", loc), ephemeral=True)
            return
        if channel.permissions_for(guild.default_role).view_channel or not channel.permissions_for(role).view_channel:
            self._count("command.moderators", "not_private")
            await interaction.followup.send(m("not_private", loc, **names), ephemeral=True)
            return
        me = guild.me
        perms = channel.permissions_for(me) if me is not None else None
        if perms is None or not (perms.view_channel and perms.send_messages and perms.embed_links):
            await interaction.followup.send(m("no_send", loc, **names), ephemeral=True)
            return
        self.moderator_guilds.set(GuildModerators(guild.id, channel.id, role.id))
        self._count("command.moderators", "handled")
        await interaction.followup.send(m("set", loc, **names), ephemeral=True)

    async def on_take(self, interaction: discord.Interaction[Any], conversation_id: str) -> None:
        """「対応します」: only the role; records who took it, tells the member by DM and the moderator
        (ephemerally) whom to DM and how."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        loc = locale_of(interaction)
        cfg = self.moderator_guilds.get(interaction.guild_id)
        member = interaction.user
        if cfg is None or not isinstance(member, discord.Member) or all(r.id != cfg.role for r in member.roles):
            self._count("take", "not_role")
            await interaction.followup.send(m("not_role", loc), ephemeral=True)
            return
        key = self.desk.key_of_conversation(conversation_id) if self.desk is not None else None
        rec = self.desk.record_of(key) if self.desk is not None and key is not None else None
        if self.desk is None or key is None or rec is None or rec.deadline is None:
            self._count("take", "gone")
            await interaction.followup.send(m("gone", loc), ephemeral=True)
            return
        rec.context["taken_by"] = str(member.id)
        if not await self.desk.taken(key, self.clock()):
            await interaction.followup.send(m("gone", loc), ephemeral=True)
            return
        self._count("take", "handled")
        await interaction.followup.send(m("took", loc, member=f"<@{rec.address}>"), ephemeral=True)

    async def on_message(self, message: discord.Message) -> None:
        """A DM to the bot: free text (or an unreadable attachment) continues the consultation.

        Messages in servers, from bots (this one included) and outside DM channels are ignored.
        """
        if message.author.bot or message.guild is not None or not isinstance(message.channel, discord.DMChannel):
            return
        inp: Input
        text = strip_markup(message.content)
        if text.strip():
            inp = Text(text)
        elif message.content.strip():  # custom emoji (or mentions) only
            inp = Unsupported("emoji")
        elif message.stickers:
            inp = Unsupported("sticker")
        elif message.attachments:
            inp = Unsupported("file")
        else:
            inp = Unsupported("other")
        await self._converse(message.channel.send, str(message.author.id), inp, event_id=str(message.id),
                             kind="dm.text" if isinstance(inp, Text) else "dm.other", locale="ja", method="dm")

    async def _on_tree_error(self, interaction: discord.Interaction[Any],
                             error: app_commands.AppCommandError) -> None:
        log.error("discord command failed: %s", type(getattr(error, "original", error)).__name__)
        loc = locale_of(interaction)
        with contextlib.suppress(discord.HTTPException):
            if interaction.response.is_done():
                await interaction.followup.send(t("error", loc), ephemeral=_in_guild(interaction))
            else:
                await interaction.response.send_message(t("error", loc), ephemeral=True)


def _commands() -> list[app_commands.Command[Any, Any, Any]]:
    """Fresh command objects for one tree (callbacks reach the client through ``interaction.client``)."""

    @app_commands.command(name="soudan", description="相談窓口をご案内します（あなたにだけ表示）/ Find help privately")
    async def soudan(interaction: discord.Interaction[Any]) -> None:
        await _client_of(interaction).cmd_soudan(interaction)

    @app_commands.command(name="soudan-panel",
                          description="「相談をはじめる」パネルをこのチャンネルに置く / Post the help panel here")
    @app_commands.default_permissions(manage_messages=True)
    @app_commands.guild_only()
    async def panel(interaction: discord.Interaction[Any]) -> None:
        await _client_of(interaction).cmd_panel(interaction)

    @app_commands.command(name="soudan-contacts",
                          description="相談窓口を探す（あなたにだけ表示）/ Look up consultation windows privately")
    @app_commands.describe(query="窓口名・キーワード・電話番号 / name, keyword or phone number",
                           open_now="いま受付中のみ / only those open now")
    async def contacts(interaction: discord.Interaction[Any],
                       query: app_commands.Range[str, 1, MAX_QUERY] | None = None,
                       open_now: bool = False) -> None:
        await _client_of(interaction).cmd_contacts(interaction, query, open_now)

    @app_commands.command(name="soudan-forget",
                          description="あなたの相談の記録をすべて削除 / Delete everything stored about you")
    async def forget(interaction: discord.Interaction[Any]) -> None:
        await _client_of(interaction).cmd_forget(interaction)

    @app_commands.command(name="soudan-moderators",
                          description="相談の引き継ぎ先（非公開チャンネルとロール）を設定 / Set the moderators' channel and role")
    @app_commands.describe(channel="モデレーターだけが見られるチャンネル / a channel only moderators can see",
                           role="対応するモデレーターのロール / the moderators' role")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def moderators(interaction: discord.Interaction[Any], channel: discord.TextChannel,
                         role: discord.Role) -> None:
        await _client_of(interaction).cmd_moderators(interaction, channel, role)

    return [soudan, panel, contacts, forget, moderators]


# ------------------------------------------------------------------ running inside soudan serve

RETRY_FIRST = 5.0
"""Seconds before retrying a start-up that failed because Discord could not be reached."""
RETRY_MAX = 300.0
"""Longest wait between such retries, in seconds (the wait doubles each time)."""


def _transient(exc: BaseException) -> bool:
    """Whether a start-up failure is worth retrying (network trouble, Discord 5xx)."""
    if isinstance(exc, discord.HTTPException):
        return exc.status >= 500
    return isinstance(exc, OSError | TimeoutError | discord.GatewayNotFound | discord.ConnectionClosed) or \
        type(exc).__module__.startswith("aiohttp")


async def start_client(client: discord.Client, token: str) -> asyncio.Task[None]:
    """Start ``client`` in the background (login, gateway, reconnects — discord.py's job).

    Once connected, reconnects and rate limits are discord.py's. Before that, a start-up that
    fails because Discord cannot be reached is retried after :data:`RETRY_FIRST` seconds, doubling
    up to :data:`RETRY_MAX`. A rejected token is logged with the fix and not retried. In every case
    the rest of the server keeps running.

    Returns:
        The task running the client; give it to :func:`stop_client`.
    """
    async def run() -> None:
        delay = RETRY_FIRST
        while not client.is_closed():
            try:
                await client.start(token, reconnect=True)
                return
            except discord.LoginFailure:
                log.error("Discord rejected DISCORD_TOKEN: copy a fresh token from the Developer Portal "
                          "(Bot → Reset Token) into DISCORD_TOKEN; Discord is off until restart")
                return
            except discord.PrivilegedIntentsRequired:  # pragma: no cover - we ask for none
                log.error("Discord refused the gateway intents; this bot needs no privileged intent")
                return
            except Exception as exc:
                if not _transient(exc):
                    log.error("Discord client stopped: %s at %s", type(exc).__name__, _where(exc))
                    return
                log.warning("Discord unreachable at start-up (%s); retrying in %.0f s", type(exc).__name__, delay)
                with contextlib.suppress(Exception):
                    await client.http.close()  # each login attempt opens an HTTP session: close it …
                client.http.connector = discord.utils.MISSING  # … and its connector: the next try makes new ones
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX)

    return asyncio.create_task(run(), name="soudan-discord")


async def stop_client(client: discord.Client, task: asyncio.Task[None], timeout: float = 10.0) -> None:
    """Close ``client`` and wait up to ``timeout`` seconds for its task (then cancel it)."""
    with contextlib.suppress(Exception):
        await client.close()
    try:
        await asyncio.wait_for(asyncio.shield(task), timeout)
    except TimeoutError:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


def setup(app: web.Application) -> None:
    """Plug Discord into the aiohttp app (see :mod:`bot.app`): run the client while the app runs.

    Reads ``DISCORD_TOKEN`` from ``app[SETTINGS_KEY]`` and shares ``app[CONVERSATIONS_KEY]``,
    ``app[CLOCK_KEY]`` and ``app[METRICS_KEY]`` with the other adapters.

    Raises:
        ValueError: when ``DISCORD_TOKEN`` is not set.
    """
    from bot.app import CLOCK_KEY, CONVERSATIONS_KEY, DESK_KEY, METRICS_KEY, SETTINGS_KEY

    settings = app[SETTINGS_KEY]
    token = settings.discord_token.get_secret_value() if settings.discord_token else ""
    if not token:
        raise ValueError("DISCORD_TOKEN is empty: set it to the bot token from the Discord Developer Portal")
    # discord.py logs raw gateway payloads (message text) at DEBUG: never let that reach the logs.
    dlog = logging.getLogger("discord")
    if dlog.getEffectiveLevel() < logging.INFO:
        dlog.setLevel(logging.INFO)

    async def discord_ctx(app: web.Application) -> AsyncIterator[None]:
        client = SoudanClient(app[CONVERSATIONS_KEY], clock=app[CLOCK_KEY], metrics=app[METRICS_KEY],
                              desk=app[DESK_KEY], guilds=GuildStore(settings.discord_guilds_file))
        task = await start_client(client, token)
        log.info("Discord client starting")
        try:
            yield
        finally:
            await stop_client(client, task)

    app.cleanup_ctx.append(discord_ctx)


# ------------------------------------------------------------------ moderators (hand-off, issue #14)
#
# A server admin runs `/soudan-moderators channel role`: hand-off cards then go to that private
# channel, and only members with that role may take them. A member who consents (the engine's
# second tap, bot/engine/handoff.py) gets an anonymous card posted there — harm category, urgency,
# windows already shown, time; no name, no text. 「対応します」 records who took it, tells the
# member by DM that a moderator will DM them, and tells the moderator (privately) whom to DM and
# how: no public call-outs, signpost first (Samaritans / NSPA guidance for online communities).

TAKE_TEMPLATE = r"soudan:take:(?P<conv>[a-z0-9]+)"
"""``custom_id`` of the 「対応します」 button of a hand-off card (the engine's conversation id)."""

HANDOFF_RATE = (2, 3600.0)
"""At most this many hand-off requests per member per this many seconds (per server)."""

_MOD = {
    "ja": {
        "card_title": "モデレーターへの相談の依頼",
        "card_text": "メンバーが、同意のうえでモデレーターとの連絡を希望しています。名前と書いた文章は含まれていません。"
                     "「対応します」を押した人にだけ、DMする相手が表示されます。",
        "category": "被害の種類", "urgency": "緊急度", "windows": "案内済みの窓口", "time": "時刻", "state": "状態",
        "waiting": "対応する人を待っています", "taken": "対応: {who}", "withdrawn": "本人が取り消しました",
        "timed_out": "時間内に対応がなく、本人に24時間の窓口を案内しました", "released": "終了しました",
        "take": "対応します",
        "took": "{member} さんにDMで連絡してください。\n・公開のチャンネルで呼びかけたり、話題にしたりしないでください。\n"
                "・まず、案内済みの窓口（カードにあります）を伝えてください。命や安全にかかわるときは110番・119番を。\n"
                "・自分ひとりで抱え込まず、ほかのモデレーターにも相談してください。",
        "not_role": "このボタンは、このサーバーのモデレーターのロールを持つ人だけが使えます。",
        "gone": "この依頼は、すでに対応中か、取り消されたか、時間切れになっています。",
        "rate": "モデレーターへの連絡は、1時間に{n}回までです。少し時間をおいてください。"
                "急ぐときは、上の窓口（24時間のものもあります）に連絡してください。",
        "set": "相談の引き継ぎカードを {channel} に送り、{role} のロールを持つ人だけが対応できるようにしました。",
        "not_private": "{channel} は {role} 以外の人にも見えます。@everyone の「チャンネルを見る」を外し、"
                       "{role} にだけ許可してから、もう一度実行してください。",
        "no_send": "{channel} にメッセージを送れません。ボットに「チャンネルを見る」「メッセージを送信」「埋め込みリンク」を許可してください。",
        "no_team": "このボットには、モデレーターのチーム（SOUDAN_TEAMS_FILE の discord）が設定されていません。",
    },
    "en": {
        "card_title": "A member asks for a moderator",
        "card_text": "A member consented to be contacted by a moderator. No name and nothing they wrote is included. "
                     "Only whoever presses \"I'll take it\" is shown whom to DM.",
        "category": "Harm", "urgency": "Urgency", "windows": "Windows already shown", "time": "Time",
        "state": "Status", "waiting": "Waiting for a moderator", "taken": "Taken by {who}",
        "withdrawn": "Withdrawn by the member", "timed_out": "Nobody took it in time; the member was given the 24-hour lines",
        "released": "Closed", "take": "対応します / I'll take it",
        "took": "Please DM {member}.\n- Never call them out or discuss it in a public channel.\n"
                "- Signpost first: share the windows on the card; for danger to life call 110/119.\n"
                "- Do not carry it alone: talk to another moderator.",
        "not_role": "Only members with this server's moderator role can use this button.",
        "gone": "This request was already taken, withdrawn, or timed out.",
        "rate": "You can ask for a moderator {n} times an hour. Please wait a little; for urgent help use the "
                "windows above (some are open 24 hours).",
        "set": "Hand-off cards now go to {channel}; only members with {role} can take them.",
        "not_private": "{channel} is visible to people without {role}. Remove View Channel from @everyone, allow it "
                       "for {role} only, then run this again.",
        "no_send": "I cannot post in {channel}. Give the bot View Channel, Send Messages and Embed Links there.",
        "no_team": "No moderator team is configured for this bot (a discord team in SOUDAN_TEAMS_FILE).",
    },
}


def m(key: str, locale: str, **kw: Any) -> str:
    """A moderator-feature message in ``locale`` (``ja``/``en``)."""
    text = _MOD.get(locale, _MOD["ja"]).get(key) or _MOD["ja"][key]
    return text.format(**kw) if kw else text


_URGENCY_COLOUR = {"immediate": 0xB00020, "high": 0xE07000, "normal": 0x2E8B57}


def handoff_card(summary: Any, state: str, locale: str = "ja") -> dict[str, Any]:
    """The embed (Discord JSON) of a hand-off card: harm category, urgency, windows, time, status.

    Args:
        summary: the :class:`~bot.engine.types.HandoffSummary` (ids and labels only).
        state: the status line (waiting / taken by … / withdrawn / timed out).
    """
    what = next((a.label for a in summary.answers if a.state == "what"), None) or \
        (summary.answers[-1].label if summary.answers else summary.result)
    windows = "\n".join(f"・{n}" for _, n in summary.windows) or "-"
    return {
        "title": m("card_title", locale), "description": m("card_text", locale),
        "color": _URGENCY_COLOUR.get(summary.urgency or "", 0x555555),
        "fields": [
            {"name": m("category", locale), "value": cut(what, 1024), "inline": True},
            {"name": m("urgency", locale), "value": summary.urgency or "-", "inline": True},
            {"name": m("time", locale), "value": f"{summary.requested_at:%Y-%m-%d %H:%M} JST", "inline": True},
            {"name": m("windows", locale), "value": cut(windows, 1024), "inline": False},
            {"name": m("state", locale), "value": cut(state, 1024), "inline": False},
        ],
    }


class TakeButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=TAKE_TEMPLATE):
    """「対応します」 on a hand-off card in the moderators' channel."""

    def __init__(self, conversation_id: str, *, disabled: bool = False) -> None:
        super().__init__(discord.ui.Button(label=m("take", "en"), custom_id=f"soudan:take:{conversation_id}",
                                           style=discord.ButtonStyle.primary, disabled=disabled))
        self.conversation_id = conversation_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> Self:
        return cls(match["conv"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _client_of(interaction).on_take(interaction, self.conversation_id)


class ModeratorSink:
    """Delivers hand-off events to a server's moderators' channel and tells the member by DM
    (:class:`bot.handoff.desk.Sink`)."""

    def __init__(self, client: SoudanClient) -> None:
        self.client = client

    async def to_team(self, event: Any, record: Any) -> None:
        """Post the card (``requested``) or update it (taken / withdrawn / timed out / released)."""
        client = self.client
        cfg = client.moderator_guilds.get(int(record.context.get("guild", "0") or 0))
        if cfg is None:
            return
        channel = client.get_channel(cfg.channel) or await client.fetch_channel(cfg.channel)
        if not isinstance(channel, discord.abc.Messageable):
            return
        if event.kind == "requested":
            view = discord.ui.View(timeout=None)
            view.add_item(TakeButton(record.conversation_id))
            msg = await channel.send(content=f"<@&{cfg.role}>",
                                     embed=discord.Embed.from_dict(handoff_card(event.summary, m("waiting", "ja"))),
                                     view=view, allowed_mentions=discord.AllowedMentions(roles=True, users=False))
            record.context["message"] = str(msg.id)
            return
        mid = record.context.get("message")
        summary = record.summary
        if not mid or summary is None:
            return
        who = record.context.get("taken_by")
        state = m("taken", "ja", who=f"<@{who}>") if event.kind == "taken" and who else m(event.kind, "ja")
        msg = await channel.fetch_message(int(mid))
        view = discord.ui.View(timeout=None)
        view.add_item(TakeButton(record.conversation_id, disabled=True))
        await msg.edit(embed=discord.Embed.from_dict(handoff_card(summary, state)), view=view)

    async def to_person(self, record: Any, replies: Sequence[Reply], locale: str) -> None:
        """DM the member (the time-out's 24-hour lines; "a moderator will DM you")."""
        user = self.client.get_user(int(record.address)) or await self.client.fetch_user(int(record.address))
        await self.client._deliver(user.send, render(replies, locale), "dm")
