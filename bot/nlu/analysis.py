"""One analysis of a typed message: tokens with normalised forms, lemmas and readings, and clauses
with their polarity (DESIGN.md §9).

SudachiPy with ``sudachidict_small`` (split mode C) segments the text; the dictionary is loaded once,
lazily, on the first analysis (about 0.1 s). Everything here is pure and deterministic: the same
text always gives the same :class:`Analysis`, and nothing is stored or logged.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from bot.engine.text import fold_kana, normalize

__all__ = ["MAX_ANALYSED_CHARS", "Analysis", "Token", "analyse", "analyse_flow_text", "clean", "fold_kana", "tokenizer"]

MAX_ANALYSED_CHARS = 2000
"""Only the first this-many characters of a message are segmented (longer text is cut, never rejected)."""

_CLAUSE_PARTICLES = frozenset({"けれど", "けど", "けども", "けれども", "が", "ので", "のに", "から", "し", "ながら"})
"""Conjunctive particles (接続助詞) that end a clause: 「怖くないけど、家に来ると言われた」 has two clauses."""

_DELETE_LEMMAS = frozenset({"消す", "削除", "消去", "抹消"})
"""Words of deleting, which 「やめて」「だめ」 after them deny (「データ削除やめて」「消すのはやめて」
「消しちゃだめ」: do not delete). Only these: after the harm (「いじめやめて」「連絡してくるのやめて」)
「やめて」 asks for the harm to stop, and the harm stays what happened."""

_SCHOOLS = frozenset({"小学", "中学", "高校", "大学", "小学校", "中学校", "高専", "専門学校", "学校", "小", "中", "高"})
"""School words that, before 「の時」「時代」「だった頃」, name a time in the past, not what the person is now."""

_PAST_TIMES = frozenset({"時", "とき", "頃", "ころ", "時代"})

_NEG_LEMMAS = frozenset({"無い", "ない", "ず", "ぬ", "へん", "ひん", "ねえ", "ねー"})
_NEG_POS = frozenset({"助動詞", "形容詞"})
_EN_NEGATORS = frozenset({"not", "no", "never", "dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent",
                          "havent", "hasnt", "nt", "cannot", "cant", "wont", "nothing", "nobody"})

_lock = threading.Lock()
_tokenizer: Any = None


def tokenizer() -> Any:
    """The shared SudachiPy tokenizer (split mode C, ``sudachidict_small``), created on first use.

    Raises:
        ImportError: if SudachiPy or its dictionary is not installed.
    """
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                from sudachipy import Dictionary, SplitMode  # type: ignore[import-untyped]  # no py.typed

                _tokenizer = Dictionary(dict="small").tokenizer(mode=SplitMode.C)
    return _tokenizer


_HIRAGANA = re.compile("[\u3041-\u309fー]+")


_NORM_CACHE: dict[str, str] = {}


def _norm(word: str, keep: bool = True) -> str:
    """:func:`bot.engine.text.normalize` of one word, fast for the usual case (letters only) and
    memoised for dictionary words only (``keep``): words the dictionary does not know — names,
    numbers, addresses a person typed — are never kept in memory."""
    got = _NORM_CACHE.get(word)
    if got is None:
        t = fold_kana(word).lower()
        got = t if t.isalnum() and unicodedata.is_normalized("NFKC", t) else normalize(word)
        if keep and not any(c.isdigit() for c in word):
            if len(_NORM_CACHE) > 50_000:
                _NORM_CACHE.clear()
            _NORM_CACHE[word] = got
    return got


_DROPPED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Mn"})


class _CleanTable(dict[int, "str | None"]):
    """The ``str.translate`` table of :func:`clean`, filled on first sight of each character
    (a character's category never changes): line breaks → 「。」, the categories of
    :data:`_DROPPED` → removed, anything else kept. Bounded: beyond 50,000 entries it starts afresh."""

    def __missing__(self, cp: int) -> str | None:
        ch = chr(cp)
        got = "。" if ch in "\n\r\u2028\u2029" else None if unicodedata.category(ch) in _DROPPED else ch
        if len(self) > 50_000:
            self.clear()
        self[cp] = got
        return got


_CLEAN = _CleanTable()


def clean(text: str) -> str:
    """``text`` prepared for segmentation: NFKC, lower case, control and format characters
    (zero-width spaces, joiners, variation selectors) removed, line breaks turned into 「。」,
    cut to :data:`MAX_ANALYSED_CHARS`."""
    return unicodedata.normalize("NFKC", text[: MAX_ANALYSED_CHARS * 2]).lower().translate(_CLEAN)[:MAX_ANALYSED_CHARS]


class Token(NamedTuple):
    """One word of a message (immutable: a named tuple, made in a fifth of the time of a frozen
    dataclass — a message's words are made on every typed message).

    Attributes:
        surface: the word as typed, normalised like :func:`bot.engine.text.normalize` (may be
            empty for punctuation, symbols and emoji).
        norm: Sudachi's normalised form, folded the same way (わるくち → 悪口, 中２ → 中二).
        lemma: the dictionary form (叩かれてる → 叩く), folded.
        reading: the reading in hiragana.
        pos: the part of speech (first two levels, e.g. ``("名詞", "普通名詞")``).
        start, end: character offsets of ``surface`` in :attr:`Analysis.text`.
        clause: the index of the clause the word belongs to.
        negation: True for a negation morpheme (ない・ぬ・ず・ません's ん・じゃない's ない・へん).
        negated_before: an English negator (not, no, never, don't…) comes shortly before it.
    """

    surface: str
    norm: str
    lemma: str
    reading: str
    pos: tuple[str, str]
    start: int
    end: int
    clause: int
    negation: bool
    negated_before: bool = False


@dataclass(frozen=True, slots=True)
class Analysis:
    """The analysis of one message.

    Attributes:
        text: the whole message normalised (:func:`bot.engine.text.normalize` of the analysed part):
            no spaces or punctuation, katakana folded to hiragana, NFKC, lower case.
        tokens: the words, in order (punctuation dropped).
        reading: the readings of all tokens joined (hiragana), and ``reading_starts`` the offset
            of each token's reading in it.
        cleaned: the cleaned text with spaces and punctuation kept (for English word boundaries).
    """

    text: str
    tokens: tuple[Token, ...]
    reading: str
    reading_starts: tuple[int, ...]
    cleaned: str

    def negated_after(self, index: int, end_char: int) -> bool:
        """Whether the words after character ``end_char`` in the clause of token ``index`` negate
        it (an odd number of negations: 「危険じゃないわけではない」 is not negated)."""
        if not self.tokens:
            return False
        clause = self.tokens[index].clause
        if self.tokens[index].negated_before:
            return True
        n = 0
        seen = said = False
        for tok in self.tokens[index:]:
            if tok.clause != clause:
                break
            if tok.start < end_char:
                continue
            if tok.negation:
                n += 1
                seen = True
            elif seen and (tok.pos[0] in ("動詞", "形容詞") or (tok.pos[1] == "格助詞" and tok.surface in ("と", "って"))):
                if tok.surface in ("と", "って") and self._says_not(tok):
                    said = True  # 「危なくないとは言えない」: a double negation
                    continue
                if said and tok.lemma in ("言える", "いえる", "言う", "限る"):
                    continue
                break  # the negation belonged to an earlier predicate: 「知らないと思う」「来ないって言ってた」
        return n % 2 == 1

    def _says_not(self, quote: Token) -> bool:
        """Whether the quotation particle ``quote`` is followed by 言える/言う/限る and a negation."""
        i = self.tokens.index(quote) + 1
        while i < len(self.tokens) and self.tokens[i].surface in ("は", "も"):
            i += 1
        return (i + 1 < len(self.tokens) and self.tokens[i].lemma in ("言える", "いえる", "言う", "限る")
                and any(t.negation for t in self.tokens[i + 1:i + 4]))

    def token_at(self, char: int) -> int:
        """The index of the token that contains character offset ``char`` of :attr:`text`."""
        for i, tok in enumerate(self.tokens):
            if tok.start <= char < tok.end:
                return i
        return max(len(self.tokens) - 1, 0)

    def past_after(self, end_char: int) -> bool:
        """Whether a past time follows character ``end_char`` closely (「高校の時」「高校生だった頃」):
        the school before it is where the person was, neither what they are nor are not now."""
        return any(t.negation and t.surface in _PAST_TIMES and 0 <= t.start - end_char <= 4 for t in self.tokens)

    @property
    def has_negation(self) -> bool:
        """Whether any word of the message is a negation."""
        return any(t.negation for t in self.tokens)


def _pos_negation(norm: str, lemma: str, pos: tuple[str, str], surface: str) -> bool:
    if pos[0] not in _NEG_POS:
        return False
    if pos[0] == "形容詞" and pos[1] == "一般" and norm != "無い":
        return False
    return norm in _NEG_LEMMAS or lemma in _NEG_LEMMAS or surface in ("へん", "ひん")


def _after_deleting(tokens: list[Token], clause: int) -> bool:
    """Whether the tokens so far end, in ``clause``, with a word of deleting (:data:`_DELETE_LEMMAS`)
    and at most three of 「する」「の」「は」「を」「も」「ちゃ」「じゃ」「たら」「ては」 after it
    (「削除するのは」「消しては」; not 「消してやめさせて」: delete, and make them stop)."""
    after = ""
    for tok in reversed(tokens[-4:]):
        if tok.clause != clause:
            return False
        if tok.lemma in _DELETE_LEMMAS:
            return True
        if tok.surface not in ("する", "し", "の", "は", "を", "も", "ちゃ", "じゃ", "たら") and not (
                tok.surface == "て" and after == "は"):
            return False
        after = tok.surface
    return False


def _after_school(tokens: list[Token], clause: int) -> bool:
    """Whether the tokens so far end, in ``clause``, with a school (:data:`_SCHOOLS`), its 「生」,
    and 「の」 or 「だった」 (「高校の」「高校生だった」), or with the school alone before 「時代」."""
    rest = [t for t in tokens[-4:] if t.clause == clause]
    while rest and rest[-1].surface in ("の", "だっ", "た", "でし"):
        rest.pop()
    if rest and rest[-1].surface == "生":
        rest.pop()
    return bool(rest) and rest[-1].surface in _SCHOOLS


def analyse(text: str, *, words: bool = True) -> Analysis:
    """Analyse ``text`` (any length, any characters; never raises on odd input).

    Args:
        words: False to skip segmentation (only :attr:`Analysis.cleaned` is filled): for a
            message too long to be an answer, where only the crisis check runs.

    Returns:
        The :class:`Analysis`; empty (no tokens, empty ``text``) for empty, emoji-only or
        punctuation-only messages.
    """
    cleaned = clean(text)
    tokens: list[Token] = []
    pos_char = 0
    clause = 0
    reading_parts: list[str] = []
    starts: list[int] = []
    rpos = 0
    recent_en: list[tuple[int, int]] = []  # (clause, index after) of English negators
    if words and cleaned.strip():
        for m in tokenizer().tokenize(cleaned):
            known = not m.is_oov()
            surf = _norm(m.surface(), known)
            p = m.part_of_speech()
            pos = (p[0], p[1])
            if not surf:
                if pos[0] == "補助記号" and tokens and tokens[-1].clause == clause and m.surface() not in "'’":
                    clause += 1
                continue
            norm = _norm(m.normalized_form(), known) or surf
            lemma = _norm(m.dictionary_form(), known) or surf
            rf = m.reading_form()
            reading = fold_kana(rf) if rf else surf
            if not _HIRAGANA.fullmatch(reading):
                reading = surf
            neg = _pos_negation(norm, lemma, pos, surf) or (
                surf in ("なか", "ねえ", "ねぇ", "ねー") and bool(tokens) and tokens[-1].surface in ("は", "も", "が"))
            if neg and tokens and tokens[-1].surface in ("しれ", "知れ"):
                neg = False  # 「来るかもしれない」 is a maybe, not a no
            if surf in ("以外", "いがい") or (surf in ("いい", "良い", "よく", "よくて") and "".join(
                    t.surface for t in tokens[-3:]).endswith(("どうでも", "どうだって"))) or (
                    surf == "より" and tokens and tokens[-1].surface in ("か", "とか")):
                neg = True  # 「東京以外」, 「犯人とかはどうでもいい」 deny what comes before
            if surf in ("無理", "むり") and tokens and tokens[-1].surface in ("は", "が"):
                neg = True  # 「消すのは無理でも」
            if surf == "な" and pos == ("助詞", "終助詞") and tokens and tokens[-1].pos[0] == "動詞" and (
                    tokens[-1].surface == tokens[-1].lemma):
                neg = True  # the prohibitive 「消すな」「来るな」 (not 「消したいな」「消してほしいな」: after たい/ほしい)
            if surf in _PAST_TIMES and _after_school(tokens, clause):
                neg = True  # 「高校の時の同級生」「中学のとき」「高校生だった頃」: not a pupil now (trial F15)
            if lemma in ("やめる", "止める", "辞める", "だめ", "駄目") and _after_deleting(tokens, clause):
                neg = True  # 「データ削除やめて」「消すのはやめて」「削除しちゃだめ」: do not delete
            if recent_en and recent_en[-1][0] == clause and len(tokens) - recent_en[-1][1] <= 3:
                tok_neg_before = True
            else:
                tok_neg_before = False
            if surf in _EN_NEGATORS:
                recent_en.append((clause, len(tokens) + 1))
            tok = Token(surf, norm, lemma, reading, pos, pos_char, pos_char + len(surf), clause, neg, tok_neg_before)
            tokens.append(tok)
            starts.append(rpos)
            reading_parts.append(reading)
            rpos += len(reading)
            pos_char += len(surf)
            if pos == ("助詞", "接続助詞") and lemma in _CLAUSE_PARTICLES:
                clause += 1
    return Analysis("".join(t.surface for t in tokens), tuple(tokens), "".join(reading_parts), tuple(starts),
                    cleaned)


@lru_cache(maxsize=32_768)
def analyse_flow_text(text: str) -> Analysis:
    """:func:`analyse` of a text written in a flow file (a keyword, a choice's id or label, an
    example), cached per process: a flow compiled again (``soudan serve``'s start-up lint after
    the app's own load, the simulator's reload after an edit, every ``soudan`` command run in one
    process) does not segment its thousands of words again. :class:`Analysis` is immutable, so
    every caller may share one.

    Never call it with a person's message: the cache would keep their words (privacy); messages
    go through :func:`analyse`.
    """
    return analyse(text)
