"""Text helpers shared by the adapters and ``soudan validate``: length, clipping, splitting.

Platforms count text in different units: LINE counts UTF-16 code units (an emoji outside the
Basic Multilingual Plane counts 2), Discord counts characters. Counting UTF-16 units is the safe
side for both (never less than the character count), so ``unit="utf16"`` is the default;
``unit="chars"`` counts code points.

Cuts never fall inside a character (Python strings hold code points, so a surrogate pair is never
split) nor, as far as a conservative rule can tell, inside a grapheme cluster: combining marks,
ZWJ sequences, variation selectors, skin tones, flag pairs, CRLF.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

__all__ = ["Unit", "clip", "split_lines", "split_text", "text_len", "utf16_len", "without_lone_surrogates"]

Unit = Literal["utf16", "chars"]
"""How a limit is counted: UTF-16 code units (``"utf16"``) or code points (``"chars"``)."""


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (how LINE counts; a non-BMP emoji is 2).

    A lone surrogate (possible in text decoded from JSON escapes) counts 1 instead of raising.
    """
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def without_lone_surrogates(text: str) -> str:
    """``text`` with each lone surrogate (U+D800–U+DFFF, left by JSON escapes of half an emoji, e.g.
    a message cut inside a pair by a browser's ``maxlength``) replaced by U+FFFD; the rest as is."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def text_len(text: str, unit: Unit = "utf16") -> int:
    """Length of ``text`` in ``unit`` (see :data:`Unit`)."""
    return utf16_len(text) if unit == "utf16" else len(text)


def _is_extender(ch: str) -> bool:
    """True when ``ch`` belongs to the grapheme cluster before it (must not start a chunk)."""
    o = ord(ch)
    return (unicodedata.category(ch) in ("Mn", "Me", "Mc")
            or o == 0x200D                     # zero-width joiner
            or 0xFE00 <= o <= 0xFE0F           # variation selectors
            or 0xE0100 <= o <= 0xE01EF         # variation selectors supplement
            or 0x1F3FB <= o <= 0x1F3FF         # emoji skin-tone modifiers
            or 0xE0020 <= o <= 0xE007F)        # tag characters (flag subdivisions)


def _is_ri(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF  # regional indicators (flags come in pairs)


def _boundary(text: str, i: int) -> bool:
    """True when a cut between ``text[i-1]`` and ``text[i]`` splits no grapheme cluster."""
    if i <= 0 or i >= len(text):
        return True
    a, b = text[i - 1], text[i]
    if _is_extender(b) or a == "\u200d" or (a == "\r" and b == "\n"):
        return False
    if _is_ri(a) and _is_ri(b):
        run = 0
        j = i - 1
        while j >= 0 and _is_ri(text[j]):
            run += 1
            j -= 1
        return run % 2 == 0
    return True


def _cut(text: str, start: int, limit: int, unit: Unit) -> int:
    """The end of the longest piece ``text[start:end]`` of at most ``limit`` units that ends at a
    grapheme boundary (``len(text)`` when the rest fits). A single cluster longer than ``limit``
    is cut at the limit rather than never."""
    units = 0
    i = start
    n = len(text)
    while i < n:
        w = 2 if unit == "utf16" and ord(text[i]) > 0xFFFF else 1
        if units + w > limit:
            break
        units += w
        i += 1
    if i >= n:
        return n
    cut = i
    while cut > start + 1 and not _boundary(text, cut):
        cut -= 1
    if cut <= start + 1 and not _boundary(text, cut):
        cut = i  # one cluster longer than the limit: cut it rather than loop forever
    return cut


def split_text(text: str, limit: int, *, unit: Unit = "utf16") -> list[str]:
    """Split ``text`` into chunks of at most ``limit`` units, losing nothing.

    No cut falls inside a grapheme cluster (see the module doc). A cut prefers the last line break
    in the second half of the chunk. ``"".join(split_text(t, n)) == t``. LINE's text messages.

    Args:
        text: any string.
        limit: chunk size in ``unit`` (≥ 2).
        unit: how ``limit`` is counted (:data:`Unit`).

    Returns:
        The chunks, at least one (``[""]`` for an empty text).

    Raises:
        ValueError: if ``limit`` < 2.
    """
    if limit < 2:
        raise ValueError("limit must be at least 2 units")
    if text_len(text, unit) <= limit:
        return [text]
    chunks: list[str] = []
    start = 0
    n = len(text)
    while start < n:
        cut = _cut(text, start, limit, unit)
        if cut >= n:
            chunks.append(text[start:])
            break
        nl = text.rfind("\n", start, cut)
        if nl >= 0 and nl + 1 - start >= (cut - start) // 2:
            cut = nl + 1
        chunks.append(text[start:cut])
        start = cut
    return chunks


def split_lines(text: str, limit: int, *, unit: Unit = "utf16") -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` units on line boundaries (Discord messages,
    embed fields).

    Lines are kept whole when they fit; a single line longer than ``limit`` is cut as by
    :func:`split_text`. Line breaks at a cut are dropped (each piece stands alone), and so are
    blank pieces.

    Args:
        text: any string.
        limit: piece size in ``unit`` (≥ 2).
        unit: how ``limit`` is counted (:data:`Unit`).

    Returns:
        The pieces; ``[]`` for a text that is empty or only line breaks.

    Raises:
        ValueError: if ``limit`` < 2 and a line is longer than ``limit``.
    """
    text = text.strip("\n")
    if not text:
        return []
    pieces: list[str] = []
    cur: list[str] = []
    used = 0
    for line in text.split("\n"):
        w = text_len(line, unit)
        if w > limit:
            if cur:
                pieces.append("\n".join(cur))
            *whole, last = split_text(line, limit, unit=unit)
            pieces.extend(whole)
            cur, used = [last], text_len(last, unit)
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


def clip(text: str, limit: int, *, ellipsis: str = "…", unit: Unit = "utf16") -> str:
    """``text`` shortened to at most ``limit`` units, ending in ``ellipsis`` when cut.

    For labels, titles and previews only, never for data that must round-trip. The cut falls at a
    grapheme boundary and trailing whitespace before the ellipsis is dropped.

    Args:
        text: any string.
        limit: the most units the result may have (more than the ellipsis).
        ellipsis: appended when the text was cut (``""`` for none).
        unit: how ``limit`` is counted (:data:`Unit`).

    Returns:
        ``text`` itself when it fits, else its clipped head plus ``ellipsis``.
    """
    if text_len(text, unit) <= limit:
        return text
    room = limit - text_len(ellipsis, unit)
    head = text[:_cut(text, 0, room, unit)] if room > 0 else ""
    return head.rstrip() + ellipsis
