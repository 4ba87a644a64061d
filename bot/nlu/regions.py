"""Finding the prefecture or city a person names (the ``region`` slot, PLAN.md contracts 1–2).

The table is data: ``bot/nlu/regions.yaml`` (the 47 prefectures with ISO 3166-2:JP codes, kanji,
kana and romaji spellings and major cities; see the file's header for its sources). A city stands
for its prefecture unless a window serves that city alone (then it has its own code, e.g.
``JP-10/shibukawa``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot.engine.text import normalize
from bot.nlu.analysis import Analysis

__all__ = ["REGIONS_FILE", "Place", "Region", "find_region", "load_regions", "region_codes", "region_name"]

REGIONS_FILE = Path(__file__).with_name("regions.yaml")

_CODE = re.compile(r"^JP-(0[1-9]|[1-3]\d|4[0-7])(/[a-z][a-z0-9-]*)?$")
_KANA_TAIL = re.compile(r"^(?:県|けん|府|ふ|都|と|市|し|区|く|ちょう|町|村)?"
                        r"(?:です|だよ|だ|在住(?:です)?|に(?:住|す)んで(?:る|ます|います)|から|の(?:ほう|方)|あたり|辺り)?$")
_KANA_SUFFIX = ("県", "けん", "府", "都", "市", "し", "区", "く")
_BESIDE = ("の隣", "のとなり", "の横", "の向こう")
_NEAR = ("の近く", "の近所", "周辺", "の辺り", "のあたり", "の方", "のほう")
_NOW = ("今は", "いまは", "今", "いま", "現在")
_LIVE = ("住んで", "すんで", "在住", "暮らし", "にいます", "にいる", "住み")
_FORMER = ("実家", "出身", "元々", "もともと", "前は", "昔は", "以前")
_DENIAL = ("ううん", "いや", "違", "ちが", "ちゃう", "じゃなく", "ではなく", "ならよかった", "じゃない")
_NOT_HERE = ("以外", "いがい", "じゃない", "じゃなく", "ではない", "ではなく", "外", "ではありません", "じゃありません")


@dataclass(frozen=True)
class Region:
    """One prefecture or city window area.

    Attributes:
        code: ``JP-13`` or ``JP-10/shibukawa`` (contract 1).
        name: display names by locale (``{"ja": "東京都", "en": "Tokyo"}``).
        prefecture: the prefecture code (equal to ``code`` for a prefecture).
    """

    code: str
    name: dict[str, str]
    prefecture: str


@dataclass(frozen=True)
class Place:
    """A spelling of a place: the region it means and whether it is a city of that prefecture."""

    region: Region
    city: bool


@dataclass(frozen=True)
class _Table:
    regions: dict[str, Region]
    kanji: dict[str, Place]       # normalised kanji names
    kana: dict[str, Place]        # hiragana readings
    romaji: re.Pattern[str]
    romaji_of: dict[str, Place]
    by_first: dict[str, list[str]]  # spellings by their first two characters (one for a one-character spelling), longest first
    short: dict[str, Place]       # short readings, only as the whole answer
    short_by_first: dict[str, list[tuple[str, Place]]]  # the same by first character, in order
    romaji_first: frozenset[str]  # the first letters of the romaji spellings: a text with none has no match


@cache
def load_regions(path: Path = REGIONS_FILE) -> _Table:
    """Load and index the region table (once per process).

    Raises:
        ValueError: if an entry has a malformed code or no name.
        OSError: if the file cannot be read.
    """
    # libyaml's loader when PyYAML has it (same SafeLoader resolution, 0.8 s less per process start)
    data: Any = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    regions: dict[str, Region] = {}
    kanji: dict[str, Place] = {}
    kana: dict[str, Place] = {}
    romaji: dict[str, Place] = {}
    short: dict[str, Place] = {}

    def add(place: Place, entry: dict[str, Any]) -> None:
        for n in entry.get("names") or []:
            kanji.setdefault(normalize(n), place)
        for k in entry.get("kana") or []:
            kana.setdefault(normalize(k), place)
        for r in entry.get("romaji") or []:
            romaji.setdefault(str(r).lower(), place)

    for pref in data:
        code = str(pref["code"])
        if not _CODE.match(code) or "/" in code:
            raise ValueError(f"{path}: bad prefecture code {code!r}")
        region = Region(code, dict(pref["name"]), code)
        regions[code] = region
        for city in pref.get("cities") or []:
            ccode = city.get("code")
            if ccode is not None:
                if not _CODE.match(ccode) or not ccode.startswith(code + "/"):
                    raise ValueError(f"{path}: bad city code {ccode!r} in {code}")
                cregion = Region(ccode, dict(city["name"]), code)
                regions[ccode] = cregion
                add(Place(cregion, True), city)
            else:
                add(Place(region, True), city)
    for pref in data:  # prefecture spellings win over a city's equal spelling
        region = regions[str(pref["code"])]
        for n in pref.get("names") or []:
            kanji[normalize(n)] = Place(region, False)
        for k in pref.get("kana") or []:
            kana[normalize(k)] = Place(region, False)
            base = normalize(k).removesuffix("けん")
            if base != normalize(k):
                short[base] = Place(region, False)  # 「みえ」「なら」 as the whole answer
        for r in pref.get("romaji") or []:
            romaji[str(r).lower()] = Place(region, False)
    for k, place in list(kana.items()):  # 「とーきょー」 for とうきょう
        long = re.sub("(?<=[おこそとのほもよろごぞどぼぽょ])う", "ー", k)
        if long != k:
            kana.setdefault(long, place)
    words = sorted(romaji, key=len, reverse=True)
    pattern = re.compile(r"(?<![a-z])(" + "|".join(re.escape(w) for w in words) + r")(?:-?(?:ken|fu|to|shi|city|prefecture))?(?![a-z])")
    by_first: dict[str, list[str]] = {}
    for n in sorted({*kanji, *kana}, key=len, reverse=True):
        by_first.setdefault(n[:2], []).append(n)
    short_by_first: dict[str, list[tuple[str, Place]]] = {}
    for base, place in short.items():
        short_by_first.setdefault(base[:1], []).append((base, place))
    return _Table(regions, kanji, kana, pattern, romaji, by_first, short, short_by_first,
                  frozenset(w[0] for w in romaji if w))


def region_codes() -> frozenset[str]:
    """Every region code of the table (47 prefectures and the city codes)."""
    return frozenset(load_regions().regions)


def region_name(code: str, locale: str = "ja") -> str | None:
    """The display name of a region code in ``locale``, or None for an unknown code."""
    r = load_regions().regions.get(code)
    return (r.name.get(locale) or r.name.get("ja")) if r else None


def _negated(text: str, end: int, a: Analysis) -> bool:
    if text.startswith(_NOT_HERE, end):
        return True
    if not a.tokens:
        return False
    ti = a.token_at(max(end - 1, 0))
    return a.negated_after(ti, end)


def find_region(a: Analysis) -> Region | None:
    """The region a message names, or None.

    Leftmost-longest spelling first (東京都 is not 京都); a city refines its prefecture when it has
    a code of its own (「群馬の渋川」 → ``JP-10/shibukawa``); a place followed by 「以外」 or a
    negation (「東京じゃない」) does not count. Short kana readings (ちば, なら) count only as the
    whole answer or with a suffix (ちば県, ならし).
    """
    t = load_regions()
    text = a.text
    found: list[tuple[int, Place, int]] = []   # (position, place, score)
    i = 0
    starts = {tok.start for tok in a.tokens}
    for base, place in t.short_by_first.get(text[:1], ()):
        if text.startswith(base) and _KANA_TAIL.match(text[len(base):]):
            return place.region
    while i < len(text):
        hit = None
        # the spellings that can start here: those beginning with the next two characters, then
        # any one-character one (shorter, so after them, as in a longest-first list)
        names = t.by_first.get(text[i:i + 2], ())
        if i + 1 < len(text) and text[i] in t.by_first:
            names = (*names, *t.by_first[text[i]])
        for name in names:
            if not text.startswith(name, i):
                continue
            end = i + len(name)
            if name in t.kanji:
                hit = (name, t.kanji[name])
            else:
                tail = text[end:]
                if (i == 0 and _KANA_TAIL.match(tail)) or tail.startswith(_KANA_SUFFIX) or \
                        (len(name) >= 4 and i in starts):
                    hit = (name, t.kana[name])
            if hit is not None:
                break
        if hit is None:
            i += 1
            continue
        name, place = hit
        end = i + len(name)
        after = text[end:end + 12]
        before = text[max(0, i - 6):i]
        if _negated(text, end, a) or after.startswith(_BESIDE):
            i = end
            continue
        if after.startswith(_NEAR) and "/" in place.region.code:
            place = Place(t.regions[place.region.prefecture], False)  # 「渋川の近くの町」: the prefecture
        score = 0
        if any(w in before for w in _NOW):
            score += 2
        if any(w in after for w in _LIVE):
            score += 1
        if any(w in before for w in _FORMER):
            score -= 1
        found.append((i, place, score))
        i = end
    # every match starts with a romaji spelling's first letter: most texts (Japanese) have none
    for m in t.romaji.finditer(a.cleaned) if not t.romaji_first.isdisjoint(a.cleaned) else ():
        place = t.romaji_of[m.group(1)]
        if not a.cleaned.startswith((" not", "以外", " is not"), m.end()) and \
                not re.search(r"\bnot (?:in |from |at )?$", a.cleaned[:m.start()]):
            found.append((len(text) + m.start(), place, 0))
    if not found:
        return None
    found.sort(key=lambda f: f[0])
    # 「東京？ううん、千葉」「群馬ならよかったんですけど、埼玉です」: a denial between two places keeps the later one
    for k in range(len(found) - 1, 0, -1):
        between = text[found[k - 1][0]:found[k][0]]
        if any(w in between for w in _DENIAL):
            found = found[k:]
            break
    best = max(found, key=lambda f: (f[2], -f[0]))
    first = best[1].region
    for _, p, _ in found:
        if p.region.prefecture == first.prefecture and p.region.code != first.code and "/" in p.region.code:
            return p.region
    return first
