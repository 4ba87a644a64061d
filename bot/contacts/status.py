"""Status of a contact at an instant."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.contacts.model import StatusKind

__all__ = ["Status"]


@dataclass(frozen=True)
class Status:
    """Whether a contact is reachable at an instant.

    Attributes:
        kind: open / closed / 24h / unknown.
        open_until: when an ``open`` window closes (aware datetime, Asia/Tokyo), else None.
        next_open: when a ``closed`` window next opens (aware datetime, Asia/Tokyo), or None
            when it does not open again within the look-ahead (about 14 days) or is unknown.
    """

    kind: StatusKind
    open_until: dt.datetime | None = None
    next_open: dt.datetime | None = None

    @property
    def is_available(self) -> bool:
        """True when the window can be reached now (open or 24 hours)."""
        return self.kind in (StatusKind.OPEN, StatusKind.ALWAYS)
