"""Which windows a person's words mean: the word matching of directory search.

Used by :meth:`bot.contacts.directory.Directory.search` (``soudan contacts``, Discord's
``/soudan-contacts``, the simulator). A window is found by its names, organisation, id and
numbers, and also by

* what it is for: the everyday words of its situation codes (:data:`~bot.contacts.model.TOPIC_WORDS`)
  and its ``role`` (「弁護士」 finds 法テラス, whose role names 弁護士会);
* whom it serves: its ``eligibility`` wording, with the words people use for it —
  「親」「お母さん」 for 保護者, 「先生」 for 学校関係者 (:data:`SYNONYMS`);
* the languages it takes (``languages``: 「英語」, "English", 「外国語」);
* how it is reached: 電話 (a phone number), チャット, LINE, メール, フォーム, and SNS (LINE or
  chat, or SNS in its name or role);
* when: 「24時間」「夜間」 for a window open 24 hours (``24/7``); 「無料」 when it costs nothing.

Every word of a query must match. Words that every window fits — 「相談」「相談したい」「窓口」 — are
filler: alone they match every window. A Japanese word that does not match as written is also
tried by its reading (「けいさつ」 finds 警察, 「子ども」 finds 子供) and then by its content words
(「英語で相談したい」 is 英語; 「LINE相談」 is LINE).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from bot.contacts.model import TOPIC_WORDS, Contact
from bot.contacts.phones import digits
from bot.engine.text import fold_kana, visible

__all__ = ["ALWAYS_WORDS", "CHANNEL_WORDS", "FILLER", "LANGUAGE_WORDS", "NOT_IN_PROSE", "SYNONYMS", "SearchText",
           "loose_words", "main_situation", "matches", "query_words", "search_text",
           "situation_matches"]

CHANNEL_WORDS: dict[str, tuple[str, ...]] = {
    "phone": ("電話", "phone", "tel", "call"),
    "chat": ("チャット", "chat"),
    "line": ("LINE",),
    "mail": ("メール", "mail", "e-mail", "email"),
    "form": ("フォーム", "form", "web form"),
}
"""Words for each way in: ``phone`` for a window with a phone number, else a channel ``kind``."""

SNS_WORDS = ("SNS", "エスエヌエス")
"""Added for a window reached by LINE or chat, or with SNS, LINE or チャット in its Japanese name or role
(in Japan SNS相談 means counselling by LINE or chat)."""

ALWAYS_WORDS = ("24時間", "24h", "24 hours", "24/7", "365日", "夜間", "深夜", "夜中", "いつでも", "night")
"""Added for a window open 24 hours (hours ``24/7``)."""

LANGUAGE_WORDS: dict[str, tuple[str, ...]] = {
    "ja": ("日本語", "japanese"),
    "en": ("英語", "english"),
    "zh": ("中国語", "chinese"),
    "ko": ("韓国語", "korean"),
    "tl": ("タガログ語", "フィリピン語", "tagalog", "filipino"),
    "pt": ("ポルトガル語", "portuguese"),
    "vi": ("ベトナム語", "vietnamese"),
    "ne": ("ネパール語", "nepali"),
    "es": ("スペイン語", "spanish"),
    "id": ("インドネシア語", "indonesian"),
    "th": ("タイ語", "thai"),
}
"""Names of the ``languages`` codes (ISO 639-1) a window lists."""

FOREIGN_WORDS = ("外国語", "多言語", "foreign language", "multilingual")
"""Added for a window that takes a language other than Japanese."""

FREE_WORDS = ("無料", "free")
"""Added for a window whose ``cost`` is ``free``."""

_PARENT = ("保護者", "親", "parent", "guardian")
_TEACHER = ("学校関係者", "教職員", "先生", "教師", "教員", "teacher", "school staff")
_CHILD = ("子ども", "子供", "こども")
_PUPIL = (*_CHILD, "児童", "生徒", "青少年", "小中高生", "18歳まで", "18歳未満", "pupil", "child")
_LAWYER = ("弁護士", "lawyer")

SYNONYMS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("親", "両親", "父親", "母親", "お母さん", "お父さん", "ママ", "パパ", "保護者", "parent", "parents",
                     "guardian"), _PARENT),
    **dict.fromkeys(("先生", "教師", "教員", "教職員", "担任", "学校関係者", "teacher", "teachers"), _TEACHER),
    **dict.fromkeys(_CHILD, _CHILD),
    **dict.fromkeys(("生徒", "児童", "小学生", "中学生", "高校生", "小中高生", "pupil", "pupils", "student", "students"),
                    _PUPIL),
    **dict.fromkeys(("弁護士", "lawyer", "lawyers"), _LAWYER),
    **dict.fromkeys(("法律", "法律相談", "legal"), (*_LAWYER, "法律", "法制度", "legal")),
    **dict.fromkeys(("つきまとい", "付きまとい", "つきまとわれ", "付きまとわれ"), ("つきまとい", "付きまとい")),
    **dict.fromkeys(("消して", "消したい", "消してほしい", "消し", "消す", "削除", "削除依頼", "delete", "removal", "remove"),
                    ("削除", "delete", "removal", "remove")),
    # an ex-partner is a 交際相手 (routing.md Q4: a known ex-partner ⇒ DV/stalking routes); a synonym, not a
    # situation word, so that in a sentence (「元彼に画像をばらまかれた」) it does not narrow the images windows
    **dict.fromkeys(("元交際相手", "元カレ", "元彼", "元カノ", "元彼女", "元恋人", "元夫", "元妻", "ex-partner", "ex"),
                    ("交際相手", "配偶者", "ストーカー", "つきまとい", "stalking", "domestic violence")),
    "sns相談": SNS_WORDS,
    "メール相談": CHANNEL_WORDS["mail"],
    "電話相談": CHANNEL_WORDS["phone"],
    "チャット相談": CHANNEL_WORDS["chat"],
}
"""A query word → the words it stands for in the directory's own wording (any one matches).
Keys and words are compared after NFKC and case folding."""

NOT_IN_PROSE = frozenset({"line"})
"""Latin words not looked for in English prose, where they mean something else ("a phone line")."""

FILLER = frozenset({
    "相談", "相談したい", "相談したいです", "相談する", "相談できる", "相談先", "相談窓口", "窓口", "したい", "です",
    "help", "consult", "consultation", "counselling", "counseling", "window", "windows", "want", "i", "to",
    "a", "the", "for", "with", "in", "talk", "speak", "someone", "somebody", "my", "me", "need",
})
"""Words every window fits (every window is a consultation window): they match every window."""

_FILLER_LEMMAS = frozenset({"相談", "窓口", "する", "できる", "先", "所", "ところ", "どこ", "探す", "欲しい", "ほしい",
                            "場所", "いい", "良い", "たい"})
_FILLER_POS = frozenset({"助詞", "助動詞", "補助記号", "記号", "空白", "接尾辞"})
_KANA = re.compile(r"^[\u3041-\u309f\u30a0-\u30ff]+$")  # hiragana/katakana only
_JAPANESE = re.compile(r"^[\u3041-\u309f\u30a0-\u30ff\u3400-\u4dbf\u4e00-\u9fff\u3005]+$")  # kana and kanji
_SCRIPT_BOUNDARY = re.compile(r"(?<=[a-z])(?=[^\x00-\x7f])|(?<=[^\x00-\x7f])(?=[a-z])")  # 「line相談」→ line|相談


def norm(text: str) -> str:
    """NFKC (full-width → half-width), case-folded, without surrounding space and without format
    characters (zero-width spaces, BOM, bidi marks: :func:`~bot.engine.text.visible`)."""
    return visible(unicodedata.normalize("NFKC", text)).casefold().strip()


def _has_word(hay: str, word: str) -> bool:
    """Whether ``word`` (normalised) occurs in ``hay``; a word in Latin letters must start a word
    there, so that 「line」 finds 法務局LINEじんけん相談 but not every "online" and "hotline"."""
    if not word[:1].isascii() or not word[:1].isalpha():
        return word in hay
    return re.search(r"(?<![a-z])" + re.escape(word), hay) is not None


@functools.lru_cache(maxsize=1024)
def _readings(text: str) -> str:
    """The hiragana reading of ``text`` (SudachiPy, loaded on first use), per word, space-joined."""
    from bot.nlu.analysis import analyse

    return " ".join(fold_kana(analyse(part).reading) for part in text.split() if part)


@functools.lru_cache(maxsize=1024)
def _content_words(word: str) -> tuple[str, ...]:
    """The content words of a Japanese query word that has filler in it or ends in a particle
    (SudachiPy), without particles, auxiliaries and filler (相談, する, たい): 「英語で相談したい」 →
    (英語,), 「先生に」 → (先生,); any other word is itself. Kana come out as hiragana."""
    from bot.nlu.analysis import analyse

    out = []
    toks = analyse(word).tokens
    # a trailing particle or copula (「先生に」「警察に」「英語で」「子どもが」) is a sentence cut short: split it too
    filler = len(toks) > 1 and (toks[-1].pos[0] == "助詞" or (toks[-1].pos[0] == "助動詞" and toks[-1].lemma in ("だ", "です")))
    for tok in toks:
        if tok.lemma in _FILLER_LEMMAS or tok.surface in FILLER:
            filler = True
        elif tok.pos[0] not in _FILLER_POS and tok.surface:
            out.append(tok.surface)
    # only a word with filler or a trailing particle in it is split: 「いのちのでんわ」 is one name,
    # not いのち and でんわ
    return tuple(out) if filler and out else (word,)


_LOOSE_POS = frozenset({"名詞", "形状詞", "動詞", "形容詞"})


@functools.lru_cache(maxsize=1024)
def _loose_parts(word: str) -> tuple[str, ...]:
    """Nouns as written and verbs and adjectives in their dictionary form (SudachiPy), without
    filler, dependent verbs (「いる」 of 「住んでいます」) and single kana: 「殺すと脅された」 →
    (殺す, 脅す). Kana come out as hiragana."""
    from bot.nlu.analysis import analyse

    out = []
    for tok in analyse(word).tokens:
        if (tok.pos[0] not in _LOOSE_POS or tok.pos[1] == "非自立可能" or tok.lemma in _FILLER_LEMMAS
                or tok.surface in FILLER or (len(tok.surface) == 1 and _KANA.match(tok.surface))):
            continue
        out.append(tok.surface if tok.pos[0] in ("名詞", "形状詞") else tok.lemma)
    return tuple(out)


@dataclass(frozen=True)
class SearchText:
    """What a query is matched against for one window.

    Attributes:
        hay: the window's words, normalised (:func:`norm`): id, names, organisation, topic codes
            and their everyday words, role, eligibility, channel labels, phone digits, and the
            words of its channels, hours, languages and cost.
        folded: ``hay`` with katakana folded to hiragana (for words typed in kana).
        sound: the Japanese text whose reading a kana or kanji word may match (names,
            organisation, topic words, channel words) — not the role, whose references to other
            windows (「いのちの電話協会と連携」) would find the wrong window by its reading.
        phones: the digits of each phone number.
        prose_en: the English (and other non-Japanese) names, organisation, role, eligibility
            and channel labels, normalised: matched by Latin words except those of
            :data:`NOT_IN_PROSE` (「line」 is the app, not "a phone line").
        name_en: the English name, normalised: a whole query found in it matches ("safe line").
        situation: the everyday words of its situation codes (:data:`~bot.contacts.model.TOPIC_WORDS`),
            normalised and with katakana folded to hiragana: what the content words of a sentence
            are matched against (:func:`situation_matches`).
    """

    hay: str
    folded: str
    sound: str
    phones: tuple[str, ...]
    prose_en: str = ""
    name_en: str = ""
    situation: str = ""


def search_text(c: Contact, *, always: bool) -> SearchText:
    """The :class:`SearchText` of ``c``; ``always``: its hours are ``24/7``."""
    phones = tuple(digits(p.number) for p in c.phones)
    topic_words = [w for t in c.topics for w in TOPIC_WORDS.get(t, ())]
    kinds = {ch.kind for ch in c.channels}
    facets: list[str] = []
    if c.phones:
        facets += CHANNEL_WORDS["phone"]
    for kind in ("chat", "line", "mail", "form"):
        if kind in kinds:
            facets += CHANNEL_WORDS[kind]
    ja = " ".join(filter(None, [c.name.get("ja"), (c.role or {}).get("ja")]))
    if kinds & {"chat", "line"} or any(w in ja for w in ("SNS", "LINE", "チャット")):
        facets += SNS_WORDS
    if always:
        facets += ALWAYS_WORDS
    for lang in c.languages:
        facets += LANGUAGE_WORDS.get(lang, ())
    if any(lang != "ja" for lang in c.languages):
        facets += FOREIGN_WORDS
    if c.cost == "free":
        facets += FREE_WORDS
    def ja_en(text: dict[str, str] | None) -> tuple[str, str]:
        return ((text or {}).get("ja", ""), " ".join(v for k, v in (text or {}).items() if k != "ja"))

    own = [ja_en(c.name), ja_en(c.org), ja_en(c.role), ja_en(c.eligibility.text),
           *(ja_en(ch.label) for ch in c.channels if ch.label)]
    texts = [c.id, *(ja for ja, _ in own), *(t.value for t in c.topics), *topic_words, *phones, *facets]
    hay = norm(" ".join(texts))
    sound = " ".join([c.name.get("ja", ""), c.org.get("ja", ""), *topic_words,
                      *(w for w in facets if not w.isascii())])
    prose_en = norm(" ".join(en for _, en in own))
    return SearchText(hay, fold_kana(hay), sound, phones, prose_en, norm(ja_en(c.name)[1]),
                      fold_kana(norm(" ".join(topic_words))))


def situation_matches(st: SearchText, word: str) -> bool:
    """Whether ``word`` (one of :func:`loose_words`) is in the window's situation words: 「晒す」
    for a DOX window, 「悪口」 for DEF, 「あかうんと」 for ATO. Names, roles and eligibility texts are
    not searched, so that an incidental word of a sentence (「存在」, 「住む」) finds nothing; a word of
    one character must be a whole situation word (「裸」, not the 「名」 of 名誉毀損)."""
    w = fold_kana(norm(word))
    if len(w) == 1:
        return f" {w} " in f" {st.situation} "
    if w[:1].isascii() and w[:1].isalpha():
        return _has_word(st.situation, w)  # a Latin word starts a word there: "talk" is not in "stalking"
    return bool(w) and w in st.situation


_LONE_PARTICLES = frozenset({"で", "に", "が", "を", "は", "へ", "と", "も", "から", "です"})
"""A particle left alone when a query is split between Latin letters and Japanese (「LINEで」 →
line, で): it says nothing of a window, so it matches every window, as filler does."""


def _word_matches(st: SearchText, word: str, *, deep: bool = True) -> bool:
    if word in FILLER or word in _LONE_PARTICLES:
        return True
    for w in (norm(x) for x in SYNONYMS.get(word, (word,))):
        if _has_word(st.hay, w) or (w.isascii() and w not in NOT_IN_PROSE and _has_word(st.prose_en, w)):
            return True
    if _KANA.match(word):
        # a word typed in kana (「けいさつ」「ケイサツ」) matches the reading of the names (警察)
        sound = fold_kana(word)
        if sound in st.folded or sound in _readings(st.sound):
            return True
    elif _JAPANESE.match(word):
        # the same word written another way (「子ども」「子供」) matches by its reading;
        # 「市」(し) would match nearly every reading: 3 kana at least
        sound = _readings(word)
        if len(sound) >= 3 and sound in _readings(st.sound):
            return True
    if deep and not word.isascii():
        parts = _content_words(word)
        if parts != (fold_kana(word),) and parts != (word,):
            return all(_word_matches(st, p, deep=False) for p in parts)
    return False


def query_words(query: str) -> list[str]:
    """The words of a query: split at spaces and between Latin letters and Japanese
    (「LINE相談」 → line, 相談), normalised; filler kept (it matches every window)."""
    return [w for part in norm(query).split() for w in _SCRIPT_BOUNDARY.split(part) if w]


def loose_words(query: str) -> list[str]:
    """The content words of ``query`` for a query that matched no window as written (SudachiPy):
    nouns as written, verbs and adjectives in their dictionary form, without particles,
    auxiliaries, filler and dependent verbs: 「住所を晒された」 → [住所, 晒す], 「大阪に住んでいます」 →
    [大阪, 住む]. Latin words are kept as they are; filler is left out."""
    out: list[str] = []
    for w in query_words(query):
        if w in FILLER:
            continue
        out += (w,) if w.isascii() else _loose_parts(w)
    return out


def matches(st: SearchText, query: str) -> bool:
    """Whether every word of ``query`` matches the window (see the module docstring). A query
    that looks like a phone number (``0570-003-110``, ``#9110``, ``０５７０``) also matches the
    digits of the window's numbers; an empty query matches every window."""
    q = norm(query)
    if not q:
        return True
    if _PHONE_QUERY.match(q) and any(digits(q) in p for p in st.phones):
        return True
    if q.isascii() and " " in q and q in st.name_en:  # "safe line", whose "line" alone is LINE
        return True
    return all(_word_matches(st, w) for w in query_words(q))


_PHONE_QUERY = re.compile(r"^[#+]?[0-9][0-9\-\s()]*$")


def main_situation(c: Contact, query: str) -> bool:
    """Whether a word of ``query`` (as written or by its content words, :func:`loose_words`) is one
    of the everyday words of ``c``'s main (first) situation code: 「レイプ」 for #8103 and #8891
    (main topic SV), not for 110 or よりそいホットライン, which also list SV. Used to list the
    windows that are about the situation searched before those that also take it."""
    if not c.topics:
        return False
    main = SearchText("", "", "", (), situation=fold_kana(norm(" ".join(TOPIC_WORDS.get(c.topics[0], ())))))
    words = [w for w in query_words(query) if w not in FILLER]
    return any(situation_matches(main, w) for w in (*words, *loose_words(query)))
