"""Normalisation and matching of typed answers.

Typed text is compared after :func:`normalize`: Unicode NFKC (full-width digits and letters,
half-width katakana), lower case, katakana folded to hiragana, and every space, punctuation
mark, symbol and emoji removed. ``"ﾊｲ。"`` and ``"はい"`` are the same answer.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["FoldTable", "fold_kana", "keycap_numbers", "normalize", "number_form", "parse_age", "parse_number",
           "visible"]

# at most 9 digits: a longer run is no choice number (and int() refuses 4,301+ digits: a crash)
_NUMBER = re.compile(r"^(?:no|#)?(\d{1,9})(?:ばん|番)?(?:です|でお願いします|で|にします)?$")
_WORD_NUMBER = re.compile(r"^(.+?)(?:ばん|番|です|で)?$")
_WORD_NUMBERS = {
    **{k: i for i, k in enumerate("一二三四五六七八九十", 1)},
    "十一": 11, "十二": 12, "十三": 13,
    "いち": 1, "に": 2, "さん": 3, "よん": 4, "ご": 5, "ろく": 6, "なな": 7, "はち": 8, "きゅう": 9, "じゅう": 10,
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5,
}
_AGE = re.compile(r"^(?:im|iam|age|myageis|私は|わたしは|僕は|ぼくは)?(\d{1,3})(?:歳|さい|才|yearsold|yrsold|yo|です|歳です)?$")


_KATA = {c: c - 0x60 for c in range(0x30A1, 0x30F7)}


def fold_kana(text: str) -> str:
    """Katakana → hiragana (ァ..ヶ; other characters unchanged)."""
    return text.translate(_KATA)


def _fold_kana(ch: str) -> str:
    return chr(_KATA.get(ord(ch), ord(ch)))


# letters that show as blank space (the Hangul fillers; NFKC makes U+3164 and U+FFA0 into U+1160),
# used to hide words from filters: 「死に\u3164たい」 must read as 「死にたい」
_BLANK_LETTERS = frozenset({0x115F, 0x1160, 0x3164, 0xFFA0})


class FoldTable(dict[int, "int | None"]):
    """A ``str.translate`` table, filled on first sight of each character: katakana → hiragana,
    spaces, blank-looking letters (Hangul fillers) and characters of the Unicode categories
    ``drop`` (e.g. ``{"Cc", "Mn"}``) → removed.

    Bounded: beyond 50,000 entries odd code points are folded again rather than kept."""

    def __init__(self, drop: frozenset[str]) -> None:
        super().__init__()
        self._drop = drop

    def __missing__(self, o: int) -> int | None:
        ch = chr(o)
        out = (None if unicodedata.category(ch) in self._drop or ch.isspace() or o in _BLANK_LETTERS
               else ord(_fold_kana(ch)))
        if len(self) < 50_000:
            self[o] = out
        return out


# punctuation, symbols, separators, control/format/unassigned characters and combining marks go
# (enclosing marks too: the keycap U+20E3 of 「4️⃣」 leaves the digit 4)
_FOLD = FoldTable(frozenset({"Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp",
                             "Cc", "Cf", "Cs", "Co", "Cn", "Mn", "Me"}))


def normalize(text: str) -> str:
    """Return the comparable form of ``text`` (see the module docstring).

    Args:
        text: any user text (may be empty or very long).

    Returns:
        The folded text; empty when the text had only spaces, punctuation or emoji.
    """
    return unicodedata.normalize("NFKC", text).lower().translate(_FOLD)


_TRAILING = "。．.、,!！?？ 　"

_FORMAT = re.compile("[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e"
                     "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U00013438"
                     "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]")
"""The Unicode format characters (category Cf: zero-width space and joiners, U+FEFF, bidi marks…),
invisible in a message; a keyboard or a copy-paste may add them around what the person typed."""


def visible(text: str) -> str:
    """``text`` without its format characters (zero-width spaces, U+FEFF, bidi marks; category Cf)."""
    return _FORMAT.sub("", text)


# a keycap digit is the digit, U+FE0F (emoji presentation, often left out) and U+20E3: 「4️⃣」, 「1⃣」
# (the variation selectors and the keycap go); 🔟 is one character of its own
_KEYCAP = re.compile("[\ufe0e\ufe0f\u20e3]")


_BRACKETED = re.compile(r"[(\[【「<]\s*(\d{1,9}(?:ばん|番)?)\s*[)\]】」>]")


def number_form(text: str) -> str:
    """``text`` prepared for :func:`parse_number`: NFKC, lower case, kana folded, outer spaces and
    trailing punctuation and invisible format characters (:func:`visible`) removed, keycap emoji
    made digits (``"4️⃣"``, ``"1⃣"``, ``"🔟"``: 4, 1, 10) — but signs, decimal points and inner
    spaces kept, so that ``"-1"``, ``"1.5"`` and ``"1 2"`` are not read as 1, 15 and 12, while
    ``"\u200b2"`` (a zero-width space before it) is 2; a number in one pair of brackets is the
    number (``"⑵"``, whose NFKC form is ``"(2)"``, ``"（２）"``, ``"【3】"``: 2, 2, 3)."""
    plain = _KEYCAP.sub("", visible(unicodedata.normalize("NFKC", text))).replace("\U0001f51f", "10")
    plain = fold_kana(plain.strip().lower().rstrip(_TRAILING))
    # 「⑵」 (NFKC: "(2)"), 「（２）」, 「[2]」, 「【2】」: a choice number in brackets (found by the breaker)
    bracketed = _BRACKETED.fullmatch(plain)
    return bracketed.group(1) if bracketed else plain


_KEYCAPS = re.compile("([0-9])[\ufe0e\ufe0f]?\u20e3|\U0001f51f")
_BETWEEN_KEYCAPS = re.compile(r"[\s,、，と・/&]*")


def keycap_numbers(text: str) -> tuple[int, ...] | None:
    """The numbers of a message made of two or more keycap emoji — 「1️⃣2️⃣」, 「1️⃣ 2️⃣」, 「1️⃣と3️⃣」
    (spaces, commas, と, ・ or / between them) — in order, ``🔟`` as 10; None for anything else.
    Two keycaps are two choice numbers, not the number 12 that :func:`number_form` makes of them."""
    plain = visible(unicodedata.normalize("NFKC", text)).strip().rstrip(_TRAILING)
    found = list(_KEYCAPS.finditer(plain))
    if len(found) < 2 or not _BETWEEN_KEYCAPS.fullmatch(_KEYCAPS.sub("", plain)):
        return None
    return tuple(10 if m.group(1) is None else int(m.group(1)) for m in found)


_NUMBER_LIST = re.compile(r"[0-9]{1,2}(?:\s*(?:と|,|、|，|・|/|&|か|や|and|or|\s)\s*[0-9]{1,2})+(?:番|です|かな|かも)*")


def choice_numbers(text: str) -> tuple[int, ...] | None:
    """The numbers of a message that names two or more choice numbers in digits — 「1と3」「２と４」
    「1、3」「1か2」「1 and 3」 — in order; None for anything else (「12」 is the number 12).
    Like :func:`keycap_numbers`: two choices pressed at once, or a doubt between two."""
    plain = visible(unicodedata.normalize("NFKC", text)).strip().rstrip(_TRAILING).lower()
    if not _NUMBER_LIST.fullmatch(plain):
        return None
    return tuple(int(x) for x in re.findall(r"[0-9]{1,2}", plain))


def parse_number(norm: str) -> int | None:
    """The number in an answer such as ``"2"``, ``"２番"``, ``"四"``, ``"よん"`` (normalised input), else None."""
    m = _NUMBER.match(norm)
    if m:
        return int(m.group(1))
    w = _WORD_NUMBER.match(norm)
    return _WORD_NUMBERS.get(w.group(1)) if w else None


def parse_age(norm: str) -> int | None:
    """The age in an answer such as ``"15歳"``, ``"I'm 15"``, ``"20 years old"`` (normalised), else None.

    A bare number is not an age (it picks the numbered choice)."""
    if norm.isdigit():
        return None
    m = _AGE.match(norm.replace(" ", ""))
    return int(m.group(1)) if m and int(m.group(1)) <= 120 else None
