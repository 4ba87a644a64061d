"""Choice matching on the analysis: every cue of a message counts, negated clauses do not affirm.

A question's choices are compiled once into cues (labels, ids, ``keywords``, ``examples``). For a
message the matcher finds every keyword hit — on the words' normalised forms and lemmas, on the
normalised text, and on the reading for kana-only text — keeps the longest hits where they
overlap (「コラ画像」 beats 「画像」), drops hits inside a negated clause (「危ない目にはあってません」),
and sums the rest per choice. Examples are whole utterances: the nearest example (shared content
words) adds to its choice. A "none of these" choice (``means_no``) also takes ordinary ways of
saying no and the negated cues of the other choices.

Pure and deterministic: the same analysis always gives the same :class:`Decision`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import NamedTuple

from bot.engine.text import normalize
from bot.nlu.analysis import Analysis, Token, analyse_flow_text

__all__ = ["NO_WORDS", "YES_WORDS", "ChoiceCues", "Decision", "Hit", "Matcher", "MatcherGroup"]

NO_WORDS: tuple[str, ...] = (
    "ない", "無い", "ないです", "ありません", "ございません", "ないっす", "ないよ", "ないで", "ないな", "ないです",
    "いいえ", "いや", "いえ", "違う", "違います", "ちがう", "ちゃう", "ちゃいます", "大丈夫", "だいじょぶ", "平気",
    "問題ない", "なし", "無し", "特にない", "べつに", "別に", "特に", "なんもない", "何もない", "なにもない",
    "当てはまらない", "あてはまらない", "どれでもない", "どれも違う", "該当しない", "該当なし", "ありまへん",
    "ねえです", "ねーです", "ねぇです", "ないない", "なかです", "なかよ", "ないわ", "ないね", "ないかな", "nai",
    "no", "nope", "nah", "none", "nothing", "notreally", "fine", "imfine", "imok", "imsafe", "allgood", "noneofthese",
)
"""Ordinary ways of saying no: cues of every ``means_no`` choice, below a real keyword's weight."""

YES_WORDS: frozenset[str] = frozenset({
    "はい", "うん", "ええ", "はいはい", "そう", "そうです", "はいそうです", "ある", "あります", "あるよ", "あるかも", "あるかもしれない",
    "あるかもです", "はいあります", "うんある", "あてはまる", "あてはまります", "当てはまる", "当てはまります", "はいあてはまります",
    "yes", "yeah", "yep", "yup", "yesidoes", "yesitdoes", "yesthereis",
})
"""A whole message that says only "yes, one applies" (normalised, :func:`bot.engine.text.normalize`):
at a question with a "none of these" choice it means one of the others, so the bot asks which."""

_BARE_NEGATIONS = frozenset({"ない", "無い", "ないです", "ないっす", "ないよ", "ないで", "ないな", "ありません"})
_NO_WEIGHT = 0.75
# no-words that also open a sentence about something else (「いや、まじでこわい」「ちがう、投稿を消してほしい」
# 「違うんです、話を聞いてほしくて」): a cue only when nothing follows them but other words (a new user's
# trial: these answered the safety question 「どれもあてはまらない」, and 「いや、こわい」 flipped fear into "no danger")
_OPENERS = frozenset({"いや", "いえ", "違う", "ちがう", "違います", "ちがいます", "ちゃう", "ちゃいます", "別に", "べつに", "特に"})
_NEG_HIT_WEIGHT = 1.0
_EXAMPLE_WEIGHT = 1.5
_EXAMPLE_MIN_SIM = 0.6
_MARGIN = 0.5
_CONTENT_POS = frozenset({"名詞", "動詞", "形容詞", "形状詞", "副詞", "感動詞", "代名詞", "接頭辞"})
_STOP = frozenset({"する", "居る", "いる", "有る", "ある", "成る", "なる", "こと", "事", "もの", "物", "よう", "様",
                   "ちょっと", "今", "いま", "とても", "すごい", "なんか", "何か", "私", "わたし", "僕", "ぼく", "俺",
                   "おれ", "自分", "うち", "ほんと", "本当", "れる", "られる", "せる",
                   "i", "im", "me", "my", "a", "an", "the", "is", "am", "are", "was", "to", "it", "its", "of", "in",
                   "on", "and", "or", "m", "s", "t", "do", "be", "been", "that", "this", "just", "so", "very", "at",
                   # verbs every story has: shared alone they say nothing about the choice
                   "言う", "書く", "思う", "来る", "てる", "もらう", "くれる", "しまう", "いう", "もう", "また",
                   "為る", "される", "欲しい", "ほしい", "たい", "できる", "出来る"})


def _has_kanji(s: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" or c == "々" for c in s)


@dataclass(frozen=True)
class ChoiceCues:
    """What a choice is recognised by (built from a flow's choice).

    Attributes:
        id: the choice id.
        exact: labels (every locale) and the id: a whole answer equal to one of them is exact.
        keywords: words that mean this choice wherever they appear in a message.
        examples: whole utterances, as people write them.
        means_no: the "none of these" choice of its question.
        catch_all: its cues count only when no other choice scores (「ただつらい」 beside 「悪口」).
    """

    id: str
    exact: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    means_no: bool = False
    catch_all: bool = False


@dataclass(frozen=True, slots=True)
class _Cue:
    choice: int
    text: str
    seq: tuple[str, ...]
    reading: str
    weight: float
    kanji: bool


@dataclass(frozen=True, slots=True)
class Hit:
    """One keyword found in a message: choice index, character span in ``Analysis.text``,
    weight, and whether its clause negates it."""

    choice: int
    start: int
    end: int
    weight: float
    negated: bool


class Decision(NamedTuple):
    """What the matcher read (immutable: a named tuple, cheaper to make than a frozen dataclass).

    Attributes:
        choice: the index of the choice understood, or None.
        exact: True when the answer was exactly a label or id (no "I took that as…" echo needed).
        candidates: indices of the close choices when the reading is ambiguous (best first).
        scores: the score of every choice (for ``soudan nlu`` and tests).
    """

    choice: int | None
    exact: bool = False
    candidates: tuple[int, ...] = ()
    scores: tuple[float, ...] = ()


def _attached(toks: Sequence[Token], i: int) -> bool:
    """Whether the negation at token ``i`` negates the word before it (「大丈夫じゃない」, 「危なくない」,
    「危険ではない」) rather than standing alone (「ない」, 「特にない」, 「何もない」, 「べつにない」)."""
    if i == 0 or toks[i - 1].clause != toks[i].clause:
        return False
    prev = toks[i - 1]
    if prev.pos[0] in ("動詞", "形容詞", "形状詞") or (prev.pos[0] == "助動詞" and prev.surface != "に"):
        return True
    if prev.surface in ("は", "も") and i >= 2 and toks[i - 2].clause == prev.clause:
        pp = toks[i - 2]
        return pp.pos[0] == "助動詞" or pp.pos[0] in ("動詞", "形容詞")
    return False


def _followed_by_agent(a: Analysis, end: int) -> bool:
    nxt = next((t for t in a.tokens if t.start >= end), None)
    return nxt is not None and nxt.pos == ("助詞", "格助詞") and nxt.surface in _AGENT_PARTICLES


_AGENT_PARTICLES = ("に", "から", "と", "より", "にも", "とか")


def _agent_marked(toks: Sequence[Token]) -> frozenset[str]:
    """The normalised words followed by a particle of agent or company (「友達に」「先生から」), as
    :func:`_followed_by_agent` reads them, in one pass."""
    return frozenset(t.norm for t, nxt in pairwise(toks)
                     if nxt.pos == ("助詞", "格助詞") and nxt.surface in _AGENT_PARTICLES)


def _token_key_match(tok: Token, key: str) -> bool:
    return key in (tok.norm, tok.lemma, tok.surface)


@dataclass(frozen=True, slots=True)
class _Features:
    """What an analysis offers to look cues up by, computed once for all of a flow's matchers."""

    analysis: Analysis
    words: frozenset[str]     # every token's norm, lemma and surface
    grams: frozenset[str]     # every character and every two-character run of the text
    readings: frozenset[str]  # the first two characters of the reading from every token on
    content: frozenset[str]   # :func:`_content`
    agent: frozenset[str]     # content words followed by a particle of agent or company (「友達に」)


_last_features: list[_Features] = []  # the features of the analysis read last (one message)


def _features(a: Analysis) -> _Features:
    last = _last_features[0] if _last_features else None  # one read: other threads may replace it
    if last is not None and last.analysis is a:
        return last
    text, reading = a.text, a.reading
    f = _Features(a, frozenset(k for t in a.tokens for k in (t.norm, t.lemma, t.surface)),
                  frozenset([*text, *(text[i:i + 2] for i in range(len(text)))]),
                  frozenset(reading[r:r + 2] for r in a.reading_starts), _content(a),
                  _agent_marked(a.tokens))
    _last_features[:] = [f]
    return f


def _content(a: Analysis) -> frozenset[str]:
    """The content words of a message, a word in a negated clause marked ``¬`` (「大丈夫じゃない」 →
    {¬大丈夫}, which shares nothing with 「大丈夫っす」). A word in Latin letters is itself, not the
    analyser's katakana reading of it: "high" is no 「はい」 (「はい」 at the safety question was kept as
    「18歳未満」 through the example "I'm in high school")."""
    keys = set()
    for i, t in enumerate(a.tokens):
        if t.pos[0] in _CONTENT_POS and t.norm not in _STOP and not t.negation and not t.surface.isdigit():
            word = t.surface if t.surface.isascii() and t.surface.isalpha() else t.norm
            keys.add(("¬" + word) if a.negated_after(i, t.end) else word)
    return frozenset(keys)


_Raw = dict[tuple[int, int, int], tuple[float, int]]
"""A matcher's keyword matches before overlaps are resolved: (choice, start, end) → (weight, token)."""


class _Index:
    """Where the keyword cues of one matcher, or of several read together (:class:`MatcherGroup`),
    are looked up in a message: each entry is (the matcher's number, the cue).

    Args:
        cues: the cues of each matcher, in order.
    """

    __slots__ = ("by_char", "by_first", "by_reading", "char_keys", "first_keys", "reading_keys", "size")

    def __init__(self, cues: Sequence[Sequence[_Cue]]) -> None:
        self.size = len(cues)
        self.by_first: dict[str, list[tuple[int, _Cue]]] = {}    # the first word of the cue
        self.by_char: dict[str, list[tuple[int, _Cue]]] = {}     # first character of the normalised text
        self.by_reading: dict[str, list[tuple[int, _Cue]]] = {}  # first two characters of the reading (3 or more)
        for mi, mine in enumerate(cues):
            for c in mine:
                if c.seq:
                    self.by_first.setdefault(c.seq[0], []).append((mi, c))
                if len(c.text) >= 2:
                    self.by_char.setdefault(c.text[:2], []).append((mi, c))
                elif c.kanji:
                    self.by_char.setdefault(c.text, []).append((mi, c))
                if c.kanji and len(c.reading) >= 3 and c.reading != c.text:
                    self.by_reading.setdefault(c.reading[:2], []).append((mi, c))
        # what a message must contain for each of the three lookups of scan to find anything
        self.first_keys = frozenset(self.by_first)
        self.char_keys = frozenset(self.by_char)
        self.reading_keys = frozenset(self.by_reading)

    def scan(self, a: Analysis) -> list[_Raw] | None:
        """Every cue found in ``a`` — by its words (normalised forms and lemmas), by its text, and
        by its reading — per matcher; None when the message has none of the cues' first keys
        (most messages, for most questions)."""
        f = _features(a)
        by_words = not self.first_keys.isdisjoint(f.words)
        by_chars = not self.char_keys.isdisjoint(f.grams)
        by_reading = not self.reading_keys.isdisjoint(f.readings)
        if not (by_words or by_chars or by_reading):
            return None
        raws: list[_Raw] = [{} for _ in range(self.size)]
        toks = a.tokens
        for i, tok in enumerate(toks if by_words else ()):
            cands: list[tuple[int, _Cue]] = []
            for key in {tok.norm, tok.lemma, tok.surface}:
                cands.extend(self.by_first.get(key, ()))
            for mi, c in cands:
                n = len(c.seq)
                if i + n > len(toks):
                    continue
                if all(_token_key_match(toks[i + j], c.seq[j]) for j in range(1, n)):
                    # the span ends at the last token; a lemma match of a conjugated word keeps its whole token
                    raw = raws[mi]
                    span = (c.choice, tok.start, toks[i + n - 1].end)
                    raw[span] = max(raw.get(span, (0.0, i)), (c.weight, i))
        text = a.text
        starts = {t.start for t in toks}
        ends = {t.end for t in toks}
        by_char = self.by_char
        found: list[tuple[int, _Cue, int]] = []
        for pos in range(len(text) if by_chars else 0):
            for mi, c in by_char.get(text[pos:pos + 2], ()):
                if text.startswith(c.text, pos):
                    found.append((mi, c, pos))
            for mi, c in by_char.get(text[pos], ()):
                found.append((mi, c, pos))
        for mi, c, pos in found:
            n = len(c.text)
            inside = c.kanji and n >= 2 and _has_kanji(c.text[0]) and (
                pos in starts or not _has_kanji(text[pos - 1]))  # 「祖母です」 does not contain 「母です」
            if inside or (pos in starts and (n >= 4 or pos + n in ends)):
                raw = raws[mi]
                span = (c.choice, pos, pos + n)
                raw[span] = max(raw.get(span, (0.0, 0)), (c.weight, a.token_at(pos)))
        reading = a.reading
        if by_reading:
            for ti, rpos in enumerate(a.reading_starts):
                for mi, c in self.by_reading.get(reading[rpos:rpos + 2], ()):
                    if not reading.startswith(c.reading, rpos):
                        continue
                    rend = rpos + len(c.reading)
                    tj = ti
                    while tj + 1 < len(toks) and a.reading_starts[tj + 1] < rend:
                        tj += 1
                    raw = raws[mi]
                    span = (c.choice, toks[ti].start, toks[tj].end)
                    raw[span] = max(raw.get(span, (0.0, ti)), (c.weight, ti))
        return raws


def _resolve(a: Analysis, raw: _Raw) -> list[Hit]:
    """The hits of one matcher's raw matches in ``a``: overlapping ones resolved (longest first,
    then heavier), a bare negation attached to a word dropped, each marked negated or not."""
    text, toks = a.text, a.tokens
    ordered = sorted(raw.items(), key=lambda kv: (-(kv[0][2] - kv[0][1]), -kv[1][0], kv[0][1], kv[0][0]))
    taken: list[tuple[int, int]] = []
    out: list[Hit] = []
    for (choice, start, end), (weight, ti) in ordered:
        if any(start < e and s < end and (s, e) != (start, end) for s, e in taken):
            continue
        if text[start:end] in _BARE_NEGATIONS and _attached(toks, a.token_at(start)):
            continue
        taken.append((start, end))
        bare = text[start:end] in _BARE_NEGATIONS  # 「ないない」 is no twice, not a double negation
        out.append(Hit(choice, start, end, weight, False if bare else a.negated_after(ti, end)))
    out.sort(key=lambda h: (h.start, h.choice))
    if out and out[0].start == 0 and text[:out[0].end] in _OPENERS:
        opener = out[0]
        if any(t.start >= opener.end and t.pos[0] in _CONTENT_POS and not any(
                h.start <= t.start < h.end for h in out[1:]) for t in toks):
            out.pop(0)  # 「いや、こわい」: the sentence after it is the answer (see _OPENERS)
    return out


class Matcher:
    """The compiled matcher of one question.

    Args:
        choices: the choices, in the question's order.
    """

    def __init__(self, choices: Sequence[ChoiceCues]) -> None:
        self.choices = tuple(choices)
        self._exact: dict[str, int] = {}
        for i, ch in enumerate(self.choices):
            for e in ch.exact:
                self._exact.setdefault(normalize(e), i)
        cues: list[_Cue] = []
        seen: set[tuple[int, str]] = set()
        for i, ch in enumerate(self.choices):
            words = [(k, 1.0) for k in ch.keywords]
            if ch.means_no:
                words += [(k, _NO_WEIGHT) for k in NO_WORDS]
            for word, weight in words:
                text = normalize(word)
                if not text or (i, text) in seen:
                    continue
                seen.add((i, text))
                a = analyse_flow_text(word)
                seq = tuple(t.norm for t in a.tokens)
                cues.append(_Cue(i, text, seq, a.reading, weight, _has_kanji(text)))
        self._cues = tuple(cues)
        self._index = _Index([self._cues])
        self._no_idx = [i for i, ch in enumerate(self.choices) if ch.means_no]
        self._catch_all = [i for i, ch in enumerate(self.choices) if ch.catch_all]
        self._last: tuple[Analysis, list[Hit]] | None = None
        self._memo_for: Analysis | None = None
        self._memo: dict[tuple[bool, frozenset[int]], tuple[float, ...]] = {}
        self._examples: list[tuple[int, frozenset[str], str]] = []
        for i, ch in enumerate(self.choices):
            for ex in ch.examples:
                a = analyse_flow_text(ex)
                self._examples.append((i, _content(a), a.text))
        self._example_text: dict[str, int] = {}
        for i, _, text in self._examples:
            self._example_text.setdefault(text, i)
        self._by_feature: dict[str, list[int]] = {}   # feature → indices into _examples
        for k, (_, feats, _) in enumerate(self._examples):
            for f in feats:
                self._by_feature.setdefault(f, []).append(k)
        self._example_words = frozenset(self._by_feature)

    # ------------------------------------------------------------ hits

    def hits(self, a: Analysis) -> list[Hit]:
        """Every keyword hit in ``a``, overlapping ones resolved (longest first, then heavier)."""
        if self._last is not None and self._last[0] is a:
            return self._last[1]
        out = self._hits(a)
        self._last = (a, out)
        return out

    def _hits(self, a: Analysis) -> list[Hit]:
        raws = self._index.scan(a)
        return _resolve(a, raws[0]) if raws and raws[0] else []

    def silent(self, a: Analysis) -> bool:
        """True when nothing of this question is in ``a``: no keyword hit, no example that shares a
        content word with it or is it — so every choice scores 0 (:meth:`scores`), strict or not."""
        return not self.hits(a) and self._example_words.isdisjoint(_features(a).content) \
            and a.text not in self._example_text

    # ------------------------------------------------------------ scoring

    def scores(self, a: Analysis, *, strict: bool = False, agents: frozenset[int] = frozenset()) -> list[float]:
        """The score of every choice for ``a``.

        Args:
            strict: keywords and examples only (no "no" words, no negated cues): for reading a
                question's answer out of a message written for another question.
            agents: choices whose keyword, or a word shared with one of their examples, does not
                count when a particle of agent or company follows it (「友達に悪口を書かれた」 is
                not about a friend asking, although 「友達です」 is an example of ``friend``).
        """
        key = (strict, agents)
        if self._memo_for is a and key in self._memo:
            return list(self._memo[key])
        if self._memo_for is not a:
            self._memo_for, self._memo = a, {}
        sc = self._scores(a, strict, agents)
        self._memo[key] = tuple(sc)
        return sc

    def _scores(self, a: Analysis, strict: bool, agents: frozenset[int]) -> list[float]:
        sc = [0.0] * len(self.choices)
        no_idx = self._no_idx
        counted: set[tuple[int, str]] = set()
        for h in self.hits(a):
            if strict and h.weight < 1.0:
                continue
            if h.choice in agents and _followed_by_agent(a, h.end):
                continue
            key = (h.choice, a.text[h.start:h.end])
            if key in counted:  # 「こわいっちゃこわい」: one cue, said twice
                continue
            counted.add(key)
            if not h.negated:
                sc[h.choice] += h.weight
            elif not strict and no_idx and not self.choices[h.choice].means_no:
                for i in no_idx:
                    sc[i] += _NEG_HIT_WEIGHT
        if self._examples:
            feats_a = _features(a)
            mine = feats_a.content
            best: dict[int, float] = {}
            if mine:
                shared: dict[int, int] = {}
                for f in mine:
                    marked = f in feats_a.agent  # 「友達に悪口を書かれた」: the friend is not asking
                    for k in self._by_feature.get(f, ()):
                        if marked and self._examples[k][0] in agents:
                            continue
                        shared[k] = shared.get(k, 0) + 1
                for k, n in shared.items():
                    i, feats, _ = self._examples[k]
                    sim = 2 * n / (len(mine) + len(feats))
                    if sim >= _EXAMPLE_MIN_SIM and sim > best.get(i, 0.0):
                        best[i] = sim
            ex = self._example_text.get(a.text)
            if ex is not None:
                best[ex] = max(best.get(ex, 0.0), 1.0)
            for i, sim in best.items():
                sc[i] += _EXAMPLE_WEIGHT * sim
        if self._catch_all and any(v > 0 for i, v in enumerate(sc) if i not in self._catch_all):
            for i in self._catch_all:  # 「悪口を書かれてつらい」: the 悪口 is what happened, つらい how it feels
                sc[i] = 0.0
        return sc

    def exact(self, text: str) -> int | None:
        """The index of the choice whose label or id is exactly ``text`` (normalised), else None."""
        return self._exact.get(text) if text else None

    def decide(self, a: Analysis, *, strict: bool = False, drop: frozenset[int] = frozenset(),
               agents: frozenset[int] = frozenset()) -> Decision:
        """Read ``a`` as an answer to this question (see :meth:`scores`).

        Returns:
            A :class:`Decision`: an exact label/id match, else the best-scoring choice when no
            other is within the margin, else the close candidates (an ambiguity to ask about).
        """
        if not a.text:
            return Decision(None)
        ex = self.exact(a.text)
        if ex is not None:
            return Decision(ex, exact=True)
        sc = self.scores(a, strict=strict, agents=agents)
        for i in drop:
            sc[i] = 0.0
        best = max(sc, default=0.0)
        if best <= 0:
            if not strict and len(a.text) >= 2:
                prefix = [i for e, i in self._exact.items() if e.startswith(a.text)]
                if len(set(prefix)) == 1:
                    return Decision(prefix[0], scores=tuple(sc))
            return Decision(None, scores=tuple(sc))
        margin = 0.75 if strict else _MARGIN
        close = sorted((i for i, v in enumerate(sc) if v > 0 and best - v < margin), key=lambda i: (-sc[i], i))
        if len(close) == 1:
            return Decision(close[0], scores=tuple(sc))
        if strict:
            return Decision(None, scores=tuple(sc))
        return Decision(None, candidates=tuple(close[:3]), scores=tuple(sc))


class MatcherGroup:
    """Matchers read over the same message one after the other (a flow's skippable questions,
    :meth:`bot.nlu.understand.Understanding.extract`): :meth:`prime` finds the keyword hits of
    all of them in one scan of the message (one look-up per word, character and reading position
    for all their cues), and each matcher's :meth:`Matcher.hits` then returns its own without a
    scan — the same hits as its own scan (each matcher resolves its overlaps alone).

    Args:
        matchers: the matchers (each at most once).
    """

    def __init__(self, matchers: Sequence[Matcher]) -> None:
        self.matchers = tuple(matchers)
        self._index = _Index([m._cues for m in self.matchers])

    def prime(self, a: Analysis) -> None:
        """Find the hits of every matcher in ``a`` (kept by each matcher for this analysis)."""
        if all(m._last is not None and m._last[0] is a for m in self.matchers):
            return
        raws = self._index.scan(a)
        for mi, m in enumerate(self.matchers):
            m._last = (a, _resolve(a, raws[mi]) if raws and raws[mi] else [])
