"""Normalisation and matching of typed answers.

Typed text is compared after :func:`normalize`: Unicode NFKC (full-width digits and letters,
half-width katakana), lower case, katakana folded to hiragana, and every space, punctuation
mark, symbol and emoji removed. ``"ﾊｲ。"`` and ``"はい"`` are the same answer.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalize", "parse_number"]

_NUMBER = re.compile(r"^(?:no|#)?(\d{1,3})(?:ばん|番|です|でお願いします|で)?$")


def _fold_kana(ch: str) -> str:
    o = ord(ch)
    if 0x30A1 <= o <= 0x30F6:  # katakana → hiragana
        return chr(o - 0x60)
    return ch


def normalize(text: str) -> str:
    """Return the comparable form of ``text`` (see the module docstring).

    Args:
        text: any user text (may be empty or very long).

    Returns:
        The folded text; empty when the text had only spaces, punctuation or emoji.
    """
    t = unicodedata.normalize("NFKC", text).lower()
    out = []
    for ch in t:
        cat = unicodedata.category(ch)
        if cat[0] in ("P", "S", "Z", "C") or ch.isspace():
            continue
        if cat == "Mn":  # combining marks left over (e.g. variation selectors)
            continue
        out.append(_fold_kana(ch))
    return "".join(out)


def parse_number(norm: str) -> int | None:
    """The number in an answer such as ``"2"``, ``"２番"``, ``"2ばん"`` (normalised input), else None."""
    m = _NUMBER.match(norm)
    return int(m.group(1)) if m else None
