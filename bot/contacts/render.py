"""Short, human wording of a contact's status, shared by the CLI and the adapters.

Japanese (default) and English::

    受付中（17:15まで）            Open (until 17:15)
    受付時間外（次は 12/1 8:30〜）  Closed (opens 12/1 8:30)
    24時間                        24 hours
    時間不明（公式サイトで確認）    Hours unknown (check the official site)

Times are shown in Japan time (Asia/Tokyo) whatever zone the datetimes carry. The words are the
catalogue's (``contacts.*`` in :mod:`bot.i18n`), like every other text of the program's own.
"""

from __future__ import annotations

import datetime as dt

from bot.contacts.model import Contact
from bot.contacts.status import Status, StatusKind
from bot.i18n import t
from bot.timeutil import JST

__all__ = ["card_details", "card_status", "card_status_lines", "format_status", "format_time", "shown_status"]


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
    """The status as a short phrase, e.g. 「受付中（17:15まで）」 or "Closed (opens 12/1 8:30)"
    (catalogue ``contacts.*``, :mod:`bot.i18n`).

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
    now = now if now is not None else status.at
    if status.kind is StatusKind.ALWAYS:
        return t("contacts.always", locale)
    if status.kind is StatusKind.UNKNOWN:
        return t("contacts.varies" if status.varies else "contacts.unknown", locale)
    if status.kind is StatusKind.OPEN:
        if status.open_until is None:
            return t("contacts.open", locale)
        return t("contacts.open_until", locale, until=_until(status.open_until, now))
    if status.next_open is None:
        return t("contacts.closed", locale)
    return t("contacts.closed_next", locale, next=format_time(status.next_open, with_date=True))


_SEND_KINDS = ("form", "mail")


def _short(kind: str, status: Status, locale: str) -> str:
    """One channel's state in a few words: 受付中 / 時間外 / 24時間 / 時間不明; a form or mail address
    that takes messages says so and that nobody answers now: 受付24時間（その場での返答はありません）."""
    if kind in _SEND_KINDS and status.is_available:
        return t("contacts.short_send_always" if status.kind is StatusKind.ALWAYS else "contacts.short_send_open",
                 locale)
    if status.kind is StatusKind.ALWAYS:
        return t("contacts.short_always", locale)
    if status.kind is StatusKind.OPEN:
        return t("contacts.short_open", locale)
    if status.kind is StatusKind.CLOSED:
        return t("contacts.short_closed", locale)
    return t("contacts.short_varies" if status.varies else "contacts.short_unknown", locale)


def _kind(kind: str, locale: str) -> str:
    return t(f"contacts.kind_{kind}", locale)


def card_status_lines(contact: Contact, status: Status, locale: str = "ja") -> list[str]:
    """The status of a window's card as its parts, one per way in where channels have their own
    hours; :func:`card_status` joins them on one line, a table may put each on its own line.

    * A window with one way in: [:func:`format_status`] (「受付中（17:15まで）」); an open window
      nobody answers live (:attr:`Status.send_only`: a form or mail only) says so —
      [「フォーム（受付は24時間・その場での返答はありません）」] — never 「24時間」 like a phone line.
    * A phone plus channels with their own ``hours``: the phone's status, then each group of
      channels in a few words — [「電話は受付時間外（次は 12/2 9:00〜）」,
      「フォームとメールは受付24時間（その場での返答はありません）」].

    Args:
        contact: the directory entry (its channels' ``hours`` are evaluated at ``status.at``).
        status: the window's status (its phones, or its only channel), from the directory.
        locale: ``"ja"`` or ``"en"``.
    """
    from bot.contacts.hours import Hours

    if status.send_only:  # the directory's one rule (Contact.reachable_live), not worked out again here
        kinds: set[str] = {ch.kind for ch in contact.channels if ch.kind != "web"} or {"web"}
        names = t("contacts.kinds_sep", locale).join(_kind(k, locale) for k in sorted(kinds))
        key = "contacts.send_always" if status.kind is StatusKind.ALWAYS else "contacts.send_open"
        return [t(key, locale, names=names[:1].upper() + names[1:])]
    head = format_status(status, locale)
    own = [ch for ch in contact.channels if ch.hours is not None and ch.kind != "web"]
    if not contact.phones or not own or status.at is None:
        return [head]
    groups: dict[str, list[str]] = {}
    for ch in own:
        phrase = _short(ch.kind, Hours.parse(ch.hours).status(status.at), locale)
        if _kind(ch.kind, locale) not in groups.setdefault(phrase, []):
            groups[phrase].append(_kind(ch.kind, locale))
    tail = [t("contacts.channels_are", locale, kinds=t("contacts.kinds_and", locale).join(k), status=p)
            for p, k in groups.items()]
    return [t("contacts.phone_is", locale, status=head), *tail]


def card_status(contact: Contact, status: Status, locale: str = "ja") -> str:
    """The status line of a window's card: :func:`card_status_lines` on one line —
    「電話は受付時間外（次は 12/2 9:00〜）・フォームとメールは受付24時間（その場での返答はありません）」,
    「フォーム（受付は24時間・その場での返答はありません）」, 「受付中（17:15まで）」.

    Args:
        contact: the directory entry.
        status: the window's status, from the directory.
        locale: ``"ja"`` or ``"en"``.
    """
    return t("contacts.parts_sep", locale).join(card_status_lines(contact, status, locale))


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
