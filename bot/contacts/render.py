"""Short, human wording of a contact's status, shared by the CLI and the adapters.

Japanese (default) and English::

    受付中（17:15まで）            Open (until 17:15)
    受付時間外（次は 12/1 8:30〜）  Closed (opens 12/1 8:30)
    24時間                        24 hours
    時間不明（公式サイトで確認）    Hours unknown (check the official site)

Times are shown in Japan time (Asia/Tokyo) whatever zone the datetimes carry.
"""

from __future__ import annotations

import datetime as dt

from bot.contacts.model import Contact
from bot.contacts.status import Status, StatusKind
from bot.timeutil import JST

__all__ = ["card_details", "card_status", "format_status", "format_time", "shown_status"]


def format_time(t: dt.datetime, *, with_date: bool = False) -> str:
    """``8:30`` or, with the date, ``12/1 8:30`` (JST, hour without a leading zero).

    Raises:
        ValueError: for a naive datetime.
    """
    if t.tzinfo is None:
        raise ValueError("format_time needs an aware datetime")
    j = t.astimezone(JST)
    hm = f"{j.hour}:{j.minute:02d}"
    return f"{j.month}/{j.day} {hm}" if with_date else hm


def _until(t: dt.datetime, now: dt.datetime | None) -> str:
    j = t.astimezone(JST)
    if now is None:
        return format_time(j)
    today = now.astimezone(JST).date()
    if j.date() == today:
        return format_time(j)
    if j.date() == today + dt.timedelta(days=1) and (j.hour, j.minute) == (0, 0):
        return "24:00"
    return format_time(j, with_date=True)


def format_status(status: Status, locale: str = "ja", now: dt.datetime | None = None) -> str:
    """The status as a short phrase, e.g. 「受付中（17:15まで）」 or "Closed (opens 12/1 8:30)".

    Args:
        status: from :meth:`bot.contacts.directory.Directory.status`.
        locale: ``"ja"`` (default) or ``"en"``; anything else falls back to Japanese.
        now: the instant to word times against (aware); by default the instant the status was
            computed for (:attr:`Status.at`). A closing time on a later day shows its date
            (``12/11 8:00まで``) and midnight shows as ``24:00``; with neither only the time is
            shown.

    Returns:
        One line of text, without trailing punctuation.
    """
    en = locale == "en"
    now = now if now is not None else status.at
    if status.kind is StatusKind.ALWAYS:
        return "24 hours" if en else "24時間"
    if status.kind is StatusKind.UNKNOWN:
        if status.varies:
            return "Varies by region at this hour (check the official site)" if en else "この時間は地域により異なる（公式サイトで確認）"
        return "Hours unknown (check the official site)" if en else "時間不明（公式サイトで確認）"
    if status.kind is StatusKind.OPEN:
        if status.open_until is None:
            return "Open" if en else "受付中"
        until = _until(status.open_until, now)
        return f"Open (until {until})" if en else f"受付中（{until}まで）"
    if status.next_open is None:
        return ("Closed (check the official site for the next opening)" if en
                else "受付時間外（次の受付は公式サイトで確認）")
    nxt = format_time(status.next_open, with_date=True)
    return f"Closed (opens {nxt})" if en else f"受付時間外（次は {nxt}〜）"


_SEND_KINDS = ("form", "mail")
_KIND_WORDS = {
    "ja": {"phone": "電話", "form": "フォーム", "mail": "メール", "chat": "チャット", "line": "LINE", "web": "Web"},
    "en": {"phone": "phone", "form": "form", "mail": "e-mail", "chat": "chat", "line": "LINE", "web": "web"},
}


_NO_ANSWER = {"ja": "その場での返答はありません", "en": "no answer right away"}
"""What a form or mail address that takes messages now says: nobody answers it now."""


def _short(kind: str, status: Status, en: bool) -> str:
    """One channel's state in a few words: 受付中 / 時間外 / 24時間 / 時間不明; a form or mail address
    that takes messages says so and that nobody answers now: 受付24時間（その場での返答はありません）."""
    sendable = kind in _SEND_KINDS
    if sendable and status.is_available:
        if en:
            when = "accepted 24 hours" if status.kind is StatusKind.ALWAYS else "accepting now"
            return f"{when} ({_NO_ANSWER['en']})"
        return ("受付24時間" if status.kind is StatusKind.ALWAYS else "受付中") + f"（{_NO_ANSWER['ja']}）"
    if status.kind is StatusKind.ALWAYS:
        return "24 hours" if en else "24時間"
    if status.kind is StatusKind.OPEN:
        return "open now" if en else "受付中"
    if status.kind is StatusKind.CLOSED:
        return "closed now" if en else "時間外"
    if en:
        return "varies by region" if status.varies else "hours unknown"
    return "地域により異なる" if status.varies else "時間不明"


def card_status(contact: Contact, status: Status, locale: str = "ja") -> str:
    """The status line of a window's card, per channel where channels have their own hours.

    * A window with one way in: :func:`format_status` (「受付中（17:15まで）」); a window reached
      only by a form or mail that takes messages now says that nobody answers it now —
      「フォーム（受付は24時間・その場での返答はありません）」 — never 「24時間」 like a phone line.
    * A phone plus channels with their own ``hours``: the phone's status, then each channel in a
      few words — 「電話は受付時間外（次は 12/2 9:00〜）・フォームとメールは受付24時間（その場での返答はありません）」.

    Args:
        contact: the directory entry (its channels' ``hours`` are evaluated at ``status.at``).
        status: the window's status (its phones, or its only channel), from the directory.
        locale: ``"ja"`` or ``"en"``.
    """
    from bot.contacts.hours import Hours

    en = locale == "en"
    words = _KIND_WORDS["en" if en else "ja"]
    own = [ch for ch in contact.channels if ch.hours is not None and ch.kind != "web"]
    if status.send_only:  # the directory's one rule (Contact.reachable_live), not worked out again here
        kinds: set[str] = {ch.kind for ch in contact.channels if ch.kind != "web"} or {"web"}
        names = ("/" if en else "・").join(words[k] for k in sorted(kinds))
        always = status.kind is StatusKind.ALWAYS
        if en:
            when = "accepted 24 hours" if always else "accepting now"
            return f"{names[:1].upper()}{names[1:]} ({when}; {_NO_ANSWER['en']})"
        return f"{names}（{'受付は24時間' if always else '受付中'}・{_NO_ANSWER['ja']}）"
    head = format_status(status, locale)
    if not contact.phones or not own or status.at is None:
        return head
    groups: dict[str, list[str]] = {}
    for ch in own:
        st = Hours.parse(ch.hours).status(status.at)
        phrase = _short(ch.kind, st, en)
        if words[ch.kind] not in groups.setdefault(phrase, []):
            groups[phrase].append(words[ch.kind])
    tail = [(" and ".join(k) + " " + p) if en else ("と".join(k) + "は" + p) for p, k in groups.items()]
    lead = f"Phone: {head}" if en else f"電話は{head}"
    return ("; ".join([lead, *tail]) if en else "・".join([lead, *tail]))


def shown_status(contact: Contact, status: Status, locale: str = "ja") -> str | None:
    """:func:`card_status`, or None when the card's hours already say it (「24時間365日」 then
    「24時間」 would say the same thing twice)."""
    from bot.i18n import pick

    line = card_status(contact, status, locale)
    if status.kind is StatusKind.ALWAYS and line == format_status(status, locale):
        hours = pick(contact.hours_text, locale)
        if ("24 hours" if locale == "en" else "24時間") in hours:
            return None
    return line


def card_details(contact: Contact, locale: str = "ja") -> list[str]:
    """Who may use a window, what it does, what it costs and what to know, as short lines for
    text cards (LINE, terminal, simulator): 「対象: …」, the role, 「費用: …」, 「メール: name@host」,
    「・caveat」.

    Mail addresses are given as text (LINE cannot open ``mailto:`` links).
    """
    from bot.i18n import pick

    en = locale == "en"
    out: list[str] = []
    if contact.eligibility.text:
        out.append(("Who: " if en else "対象: ") + pick(contact.eligibility.text, locale))
    if contact.role:
        out.append(pick(contact.role, locale))
    if contact.cost_text:
        out.append(("Cost: " if en else "費用: ") + pick(contact.cost_text, locale))
    for ch in contact.channels:
        if ch.url.startswith("mailto:"):
            out.append(("E-mail: " if en else "メール: ") + ch.url.removeprefix("mailto:"))
    out.extend("・" + pick(c, locale) for c in contact.caveats)
    return out
