"""Messages that carry a feeling instead of an answer: a sad or frightened emoji with no words
(「😭😭」「🥺」), or a plea such as 「たすけて」「つらい」, typed at a question the words do not answer.

Such a message gets a warm reply (``engine.no_match_feeling``) instead of 「答えがわかりませんでした」;
the question is asked again below it. This is not crisis detection (:mod:`bot.nlu.crisis` runs
first, on every message, and takes precedence).
"""

from __future__ import annotations

__all__ = ["FEELING_EMOJI", "FEELING_WORDS", "is_feeling"]

FEELING_EMOJI = frozenset("😭😢🥺😞😔😟😣😖😫😩😰😱😨😥😓😿💔💦💧🆘")
"""Emoji of sadness, fear or tears (a 😀 or 🙏 alone is no feeling to answer warmly)."""

FEELING_WORDS: tuple[str, ...] = (
    "たすけて", "助けて", "たすけで", "つらい", "辛い", "しんどい", "くるしい", "苦しい", "こわい", "怖い",
    "泣きそう", "泣いて", "かなしい", "悲しい", "もう無理", "もうむり", "限界", "耐えられない", "たえられない",
    # 「大丈夫じゃない」 at 「いま、あてはまるものはありますか？」 got 「答えがわかりませんでした」
    "大丈夫じゃない", "だいじょうぶじゃない", "だいじょぶじゃない", "大丈夫ではない", "notok", "imnotok", "notokay",
    "help", "scared", "iamscared", "imscared",
)
"""Pleas and feelings, in the normalised form of :func:`bot.engine.text.normalize` (katakana →
hiragana, lower case, no spaces or punctuation)."""


def is_feeling(raw: str, norm: str) -> bool:
    """True when a message that answered nothing carries a feeling.

    Args:
        raw: the message as typed (non-empty after stripping).
        norm: its :func:`bot.engine.text.normalize` form (empty when it held only emoji,
            punctuation or spaces).

    Returns:
        True when the message has no words (``norm`` is empty) but one of :data:`FEELING_EMOJI`,
        or when ``norm`` contains one of :data:`FEELING_WORDS`.
    """
    if not norm:
        return any(ch in FEELING_EMOJI for ch in raw)
    return any(w in norm for w in FEELING_WORDS)
