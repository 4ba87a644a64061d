"""UTF-16 length, clipping and splitting of message text (Discord counts limits in UTF-16 units)."""

from __future__ import annotations

__all__ = ["cut", "split_text", "ulen"]


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


def split_text(text: str, limit: int) -> list[str]:
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
