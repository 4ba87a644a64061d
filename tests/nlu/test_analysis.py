"""The analysis: normalised forms, lemmas, readings, clause polarity, and bad input."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.engine.core import Engine
from bot.nlu.analysis import MAX_ANALYSED_CHARS, analyse, analyse_flow_text


def test_normalised_forms_lemmas_and_readings() -> None:
    a = analyse("わるくち叩かれてる")
    assert [t.norm for t in a.tokens][:1] == ["悪口"]
    assert "叩く" in [t.lemma for t in a.tokens]
    assert a.reading.startswith("わるくち")


@pytest.mark.parametrize("text,word,negated", [
    ("危ない目にはあってません", "危ない", True),
    ("身の危険までは感じてないです", "危険", True),
    ("危険っていうほどじゃないけど…", "危険", True),
    ("こわいことは特にないで", "こわい", True),
    ("危なないで", "危な", True),
    ("怖いです", "怖い", False),
    ("危険じゃないわけではない", "危険", False),  # two negations
    ("怖くないけど、家に来るって言われた", "来る", False),  # the negation stays in its clause
])
def test_clause_polarity(text: str, word: str, negated: bool) -> None:
    a = analyse(text)
    i = next(i for i, t in enumerate(a.tokens) if word in (t.surface, t.norm, t.lemma))
    assert a.negated_after(i, a.tokens[i].end) is negated


def test_a_negation_in_another_clause_does_not_count() -> None:
    a = analyse("怖くないけど、家に来るって言われた")
    clauses = {t.clause for t in a.tokens}
    assert len(clauses) >= 2


@pytest.mark.parametrize("text", ["", "   ", "😭😭😭", "🙏", "\x00\x01\x07", "\u200b\u200d\ufeff", "ａｂｃ１２３漢字かなカナ😀",
                                  "あ" * 5000, "危険" * 2500, "a\u0301\u0302" * 100, "\ud800".encode("utf-8", "surrogatepass")
                                  .decode("utf-8", "replace"), "\n\n\r\t"])
def test_bad_input_never_crashes(text: str) -> None:
    a = analyse(text)
    assert len(a.text) <= MAX_ANALYSED_CHARS
    assert all(t.surface for t in a.tokens)


def test_emoji_and_controls_leave_nothing_to_match() -> None:
    assert analyse("😭😭").text == ""
    assert analyse("\u200bし\u200bに\u200bた\u200bい").text == "しにたい"


def test_words_the_dictionary_does_not_know_are_not_kept_in_memory() -> None:
    from bot.nlu import analysis

    analyse("ヤマダハナコぴよぴよ丸に090-1234-5678で悪口を書かれた")
    kept = " ".join(analysis._NORM_CACHE)
    assert "090" not in kept and "1234" not in kept and "ぴよぴよ丸" not in kept
    assert "悪口" in analysis._NORM_CACHE  # a dictionary word may be


def test_a_flow_compiled_again_reuses_its_words_analyses_and_never_caches_a_message(shipped_engine: Engine) -> None:
    from bot.engine.flow import load_flows
    from bot.engine.types import Start, Text
    from bot.nlu.understand import Understanding
    from bot.settings import Settings
    from bot.timeutil import JST

    s = Settings(_env_file=None)
    flows = load_flows(s.flow_paths(), shipped_engine.directory.ids)
    before = analyse_flow_text.cache_info()
    again = {fid: Understanding(lf.flow) for fid, lf in flows.items()}  # a new compile of the same words
    after = analyse_flow_text.cache_info()
    assert after.misses == before.misses and after.hits > before.hits
    flow = next(iter(flows.values())).flow
    assert again[flow.id].matchers.keys() == Understanding.for_flow(flow).matchers.keys()
    now = dt.datetime(2026, 12, 1, 10, 0, tzinfo=JST)
    session = shipped_engine.step(None, Start(), now).session
    size = analyse_flow_text.cache_info().currsize
    for message in ("誰にも言えない秘密の話 7f3a", "ネットで悪口を書かれた 7f3a"):
        session = shipped_engine.step(session, Text(message), now).session or session
    assert analyse_flow_text.cache_info().currsize == size  # a person's words are analysed, not kept
    assert analyse_flow_text("ネットで悪口") == analyse("ネットで悪口")
