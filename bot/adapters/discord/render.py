"""Engine replies as Discord messages (pure: no discord.py objects, no network).

:func:`render` turns :class:`~bot.engine.types.Reply` objects into :class:`Outgoing` messages
within Discord's limits (https://discord.com/developers/docs/resources/message,
.../components): text split at 2,000 characters on line boundaries, choices as buttons (select
menus over 25), referral cards as embeds (:func:`contact_card`), hand-off cards for moderators
(:func:`handoff_card`). The adapter's own words (:func:`t`, :func:`m`) live here too.
:mod:`bot.adapters.discord.components` turns an :class:`Outgoing` into discord.py objects.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.adapters.discord.ids import (
    MAX_OPTION_LABEL,
    choice_custom_id,
    option_value,
    select_custom_id,
)
from bot.adapters.text import clip as cut
from bot.adapters.text import split_lines
from bot.adapters.text import utf16_len as ulen
from bot.contacts.model import Contact, StatusKind
from bot.contacts.render import shown_status
from bot.contacts.status import Status
from bot.engine.types import Ask, ContactView, End, Refer, Reply, Say
from bot.i18n import pick

__all__ = [
    "MAX_COMPONENTS", "MAX_CONTENT", "MAX_EMBEDS", "MAX_EMBED_TOTAL", "MAX_LABEL", "MAX_ROWS", "PER_ROW",
    "ButtonSpec", "Component", "DMListSpec", "LinkSpec", "Outgoing", "SelectSpec", "contact_card", "cut",
    "embed_len", "handoff_card", "m", "render", "split_text", "t", "text_messages", "ulen",
]

log = logging.getLogger("soudan.discord")

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


def split_text(text: str, limit: int = MAX_CONTENT) -> list[str]:
    """:func:`bot.adapters.text.split_lines` with Discord's message limit as the default."""
    return split_lines(text, limit)


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
        return sum(embed_len(e) for e in self.embeds)


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
        options = tuple((cut(f"{first + i}. {c.label}", MAX_OPTION_LABEL), option_value(c.id))
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


def embed_len(e: dict[str, Any]) -> int:
    """Characters of embed ``e`` (Discord JSON shape) counted against the 6,000 limit."""
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
        if len(cur["fields"]) >= MAX_FIELDS or embed_len(cur) + size > MAX_EMBED_TOTAL:
            embeds.append(cur)
            cur = new(False)
        cur["fields"].append({"name": fname, "value": fvalue, "inline": False})
    embeds.append(cur)
    links = [LinkSpec(cut(pick(ch.label, locale) if ch.label else f"{name} ({ch.kind})", MAX_LABEL), ch.url)
             for ch in c.channels if ch.url.startswith(("https://", "http://"))]
    return embeds, links


def text_messages(text: str, last: Outgoing | None = None) -> list[Outgoing]:
    """``text`` split into messages (≤2,000 UTF-16 units each); ``last`` (embeds/components) rides on
    the final piece."""
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
                               or cur.embed_chars() + embed_len(embed) > MAX_EMBED_TOTAL
                               or n_links + len(here) > MAX_COMPONENTS):
                groups.append(cur)
                cur = Outgoing()
            cur.embeds.append(embed)
            cur.components.extend(here)
    if cur.embeds:
        groups.append(cur)
    if not groups:
        return text_messages(text)
    return [*text_messages(text, groups[0]), *groups[1:]]


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
            out += text_messages(text, Outgoing(components=_choice_components(r, locale)))
        elif isinstance(r, Refer):
            lead = "\n\n".join([*pending, r.text])
            pending = []
            out += _refer_messages(lead, r, locale)
        else:  # pragma: no cover - exhaustive
            raise TypeError(f"unknown reply {r!r}")
    if pending:
        out += text_messages("\n\n".join(pending))
    return out


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
