"""Status of a contact at an instant."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Status", "StatusKind"]


class StatusKind(StrEnum):
    """Whether a contact can be reached at an instant."""

    OPEN = "open"  # open now, until ``open_until``
    CLOSED = "closed"  # closed now, opens at ``next_open`` (if known)
    ALWAYS = "24h"  # 24 hours, every day
    UNKNOWN = "unknown"  # hours not verified: see ``hours_text`` and the source


@dataclass(frozen=True)
class Status:
    """Whether a contact is reachable at an instant.

    Attributes:
        kind: open / closed / 24h / unknown.
        open_until: when an ``open`` window closes (aware datetime, Asia/Tokyo), else None.
        next_open: when a ``closed`` window next opens (aware datetime, Asia/Tokyo), or None
            when it does not open again within the look-ahead (about 14 days) or is unknown.
        at: the instant the status was computed for (aware), or None. Renderers word a closing
            time on a later day with its date (``12/11 8:00まで``) relative to this instant, so
            every platform says the same thing by construction.
        varies: True for ``unknown`` when the hours at that instant vary by region or centre
            while other parts of the week are known (e.g. #9110: weekdays 9:00–17:00 everywhere,
            other hours differ by prefecture), so the wording says 「地域により異なる」 instead
            of "hours not verified". Set from rules commented ``"varies"`` (see
            :data:`bot.contacts.hours.VARIES`).
        send_only: True when the window is open (or 24 hours) but nobody answers it live: it is
            reached only by a web form or mail (a message can be sent now; a reply, if any, comes
            later), or only an information page. Set by
            :meth:`bot.contacts.directory.Directory.status` from
            :attr:`bot.contacts.model.Contact.reachable_live`, the one rule; such a window is
            listed after the lines a person answers now and is not "open now".
    """

    kind: StatusKind
    open_until: dt.datetime | None = None
    next_open: dt.datetime | None = None
    at: dt.datetime | None = None
    varies: bool = False
    send_only: bool = False

    @property
    def is_available(self) -> bool:
        """True when the window takes contact now (open or 24 hours), by any channel."""
        return self.kind in (StatusKind.OPEN, StatusKind.ALWAYS)

    @property
    def is_staffed(self) -> bool:
        """True when a person answers now: open or 24 hours, and not only a form or mail."""
        return self.is_available and not self.send_only
