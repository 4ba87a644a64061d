"""Phone numbers of the directory: validation, charge type and ``tel:`` links.

Numbers are kept exactly as the operator writes them (``0120-0-78310``, ``0570-003-110``,
``#9110``) and shown that way. Ordinary numbers are validated with ``phonenumbers`` (region JP).
``phonenumbers`` silently drops ``#``, rejects ``#9110``/``#8103`` and has no data for 188, so
three-digit services and ``#`` short codes are checked against :data:`SHORT_CODES` instead.
"""

from __future__ import annotations

import re
from typing import Literal

import phonenumbers
from phonenumbers import PhoneNumberType

__all__ = ["SHORT_CODES", "CallCost", "call_cost", "digits", "is_short_code", "needs_manual_dial",
           "tel_uri", "validate_number"]

CallCost = Literal["free", "navi-dial", "charged"]

SHORT_CODES: dict[str, str] = {
    "110": "警察 緊急通報 (police emergency)",
    "119": "消防・救急 (fire and ambulance)",
    "189": "児童相談所虐待対応ダイヤル (child abuse, こども家庭庁)",
    "188": "消費者ホットライン (consumer hotline, 消費者庁)",
    "#9110": "警察相談専用電話 (police non-emergency consultation)",
    "#8103": "性犯罪被害相談電話 (police sexual-crime line)",
    "#8891": "性犯罪・性暴力被害者のためのワンストップ支援センター (one-stop centres)",
    "#8008": "DV相談ナビ (domestic-violence navigation)",
}
"""The only short codes accepted, with what they reach (source: shared/domain/contacts.md)."""

_WRITTEN = re.compile(r"^\+?[0-9]+(?:-[0-9]+)*$")


def digits(number: str) -> str:
    """The number without separators: ``"0570-003-110"`` → ``"0570003110"``, ``"#9110"`` → ``"#9110"``."""
    return re.sub(r"[^0-9#+]", "", number)


def is_short_code(number: str) -> bool:
    """True for an allowed three-digit service or ``#`` short code (see :data:`SHORT_CODES`)."""
    return number in SHORT_CODES


def validate_number(number: str) -> str:
    """Check a phone number as written in the directory and return it unchanged.

    Args:
        number: e.g. ``"0570-003-110"``, ``"03-5467-2455"``, ``"#9110"``, ``"189"``. Half-width
            digits and hyphens only; a description belongs in the phone's ``label``.

    Returns:
        ``number`` exactly as given (kept for display).

    Raises:
        ValueError: naming the problem and the fix — an unknown short code, characters other than
            digits and hyphens, or a number ``phonenumbers`` does not accept as a Japanese number.
    """
    if number.startswith("#") or (number.isascii() and number.isdigit() and len(number) <= 4):
        if number in SHORT_CODES:
            return number
        allowed = ", ".join(SHORT_CODES)
        raise ValueError(f"unknown short code {number!r}; only {allowed} are accepted "
                         "(add a new one to bot/contacts/phones.py SHORT_CODES with its source)")
    if not _WRITTEN.match(number):
        raise ValueError(f"phone number {number!r} must be half-width digits and hyphens only, e.g. "
                         "\"03-5467-2455\"; put any description in the phone's label")
    try:
        parsed = phonenumbers.parse(number, "JP")
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"phone number {number!r} cannot be read: {exc}") from None
    if parsed.country_code != 81:
        raise ValueError(f"{number!r} is not a Japanese number; the directory lists windows in Japan "
                         "(write the number as dialled in Japan, e.g. 03-…)")
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError(f"{number!r} is not a valid Japanese phone number (phonenumbers, region JP); "
                         "check the digits against the source page")
    return number


def call_cost(number: str) -> CallCost | None:
    """The charge type implied by the number itself, or None when it depends on the service.

    ``0120``/``0800`` → ``free``; ``0570`` (ナビダイヤル) → ``navi-dial`` (caller pays, not in
    flat-rate plans); other geographic, mobile and IP numbers → ``charged``. Short codes → None:
    their charge is a fact about the service, stated in the directory entry.
    """
    if is_short_code(number):
        return None
    try:
        kind = phonenumbers.number_type(phonenumbers.parse(number, "JP"))
    except phonenumbers.NumberParseException:
        return None
    if kind == PhoneNumberType.TOLL_FREE:
        return "free"
    if kind == PhoneNumberType.UAN:
        return "navi-dial"
    if kind in (PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.VOIP,
                PhoneNumberType.FIXED_LINE_OR_MOBILE):
        return "charged"
    return None


def tel_uri(number: str) -> str:
    """A ``tel:`` link for a phone number as written.

    Separators are dropped and ``#`` is percent-encoded (``#`` would start a URI fragment):
    ``"0570-003-110"`` → ``tel:0570003110``, ``"#9110"`` → ``tel:%239110``, ``"110"`` →
    ``tel:110``. Japanese numbers are kept in national form (without ``;phone-context``, which RFC
    3966 asks of local numbers) because that is what phone dialers in Japan accept; short codes
    and 0120/0570 numbers have no international form.

    Android dialers accept ``tel:%239110``; the iOS Phone app refuses to dial any link containing
    ``#`` or ``*`` (Apple, "Phone Links"), so always show the number as text as well — see
    :func:`needs_manual_dial`.
    """
    return "tel:" + digits(number).replace("#", "%23")


def needs_manual_dial(number: str) -> bool:
    """True when a ``tel:`` link may not dial on some phones (``#`` codes on iOS): show the number."""
    return "#" in number
