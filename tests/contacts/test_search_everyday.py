"""Directory search finds windows by what they are for, whom they serve, languages, channels and
hours — the everyday words last session's trials typed and got nothing for (学校, 先生, 保護者,
弁護士, 英語, 24時間, チャット, 親, 相談したい, 電話, LINE相談, SNS). Each word is checked against the
shipped directory, through `soudan contacts --json` as a person runs it."""

from __future__ import annotations

import json

import pytest

from bot.contacts.directory import Directory, rank
from bot.timeutil import parse_at
from tests.conftest import Soudan

pytestmark = pytest.mark.usefixtures("directory_read_once")  # tests/contacts/conftest.py

NIGHT = "2026-12-01T23:00+09:00"

# word → (windows that must be found, windows that must not)
CASES: dict[str, tuple[set[str], set[str]]] = {
    # for pupils' trouble at school, and the windows that school staff may use
    "学校": ({"mext_24h_sos", "moj_kodomo_110", "childline", "sia_hibou_hotline", "ihaho", "kotaeru"},
             {"police_110", "yorisoi", "houterasu_support"}),
    # 学校関係者 in the eligibility wording
    "先生": ({"sia_hibou_hotline", "ihaho", "kotaeru"}, {"police_110", "yorisoi", "moj_women_hotline"}),
    # a sentence cut short after its particle (found nothing: 「該当する窓口はありません」)
    "先生に": ({"sia_hibou_hotline", "ihaho", "kotaeru"}, {"police_110", "yorisoi", "moj_women_hotline"}),
    "先生に相談したい": ({"sia_hibou_hotline", "ihaho", "kotaeru"}, {"police_110", "yorisoi"}),
    # it found the stalking windows: "talk" was read as part of "stalking"
    "talk to a teacher": ({"sia_hibou_hotline", "ihaho", "kotaeru"}, {"police_110", "dv_plus", "moj_women_hotline"}),
    "my teacher": ({"sia_hibou_hotline", "ihaho", "kotaeru"}, {"police_110", "yorisoi"}),
    "保護者": ({"sia_hibou_hotline", "safeline", "mext_24h_sos", "moj_kodomo_110", "gunma_net_window", "kotaeru"},
              {"yorisoi", "police_110", "houterasu_support"}),
    "親": ({"sia_hibou_hotline", "safeline", "mext_24h_sos", "moj_kodomo_110", "kotaeru"}, {"yorisoi", "police_110"}),
    # 法テラス introduces lawyers; the Gunma window a lawyer's consultation
    "弁護士": ({"houterasu_support", "houterasu_victim", "gunma_net_window"}, {"yorisoi", "police_110", "safeline"}),
    "英語": ({"moj_foreign"}, {"yorisoi", "moj_minna_110"}),
    "24時間": ({"yorisoi", "mext_24h_sos", "police_8103", "dv_plus", "jisou_189", "anata_no_ibasho", "police_110"},
              {"moj_minna_110", "childline", "houterasu_support", "inochi_no_denwa"}),
    "チャット": ({"anata_no_ibasho", "childline", "dv_plus", "mamorouyo_kokoro"}, {"police_110", "moj_minna_110"}),
    "電話": ({"yorisoi", "police_9110", "mext_24h_sos", "moj_minna_110"}, {"safeline", "sia_hibou_hotline", "ihc"}),
    "LINE相談": ({"moj_line", "mamorouyo_kokoro"}, {"yorisoi", "police_110", "sia_hibou_hotline"}),
    "SNS": ({"curetime", "moj_line", "mamorouyo_kokoro", "dv_plus", "childline", "anata_no_ibasho"},
            {"safeline", "police_110", "sia_hibou_hotline"}),
    "お母さん": ({"safeline", "mext_24h_sos"}, {"yorisoi"}),
    "英語で相談したい": ({"moj_foreign"}, {"yorisoi"}),
    "電話相談": ({"yorisoi", "mext_24h_sos"}, {"safeline"}),
    "english": ({"moj_foreign"}, {"yorisoi"}),
    "lawyer": ({"houterasu_support", "houterasu_victim"}, {"yorisoi"}),
    "無料": ({"yorisoi", "mext_24h_sos", "moj_kodomo_110"}, {"moj_minna_110"}),
    # the harms themselves, as a person writes them (whole sentences: read by their content words)
    "晒された": ({"sia_hibou_hotline", "moj_minna_110", "police_9110"}, {"yorisoi", "police_110"}),
    "住所を晒された": ({"sia_hibou_hotline", "moj_minna_110", "police_9110"}, {"yorisoi", "police_110"}),
    "性的な画像": ({"safeline", "police_8103", "ihc"}, {"yorisoi", "sia_hibou_hotline"}),
    "裸の写真": ({"safeline", "police_8103"}, {"yorisoi", "police_110"}),
    "元彼に画像をばらまかれた": ({"safeline", "police_8103"}, {"yorisoi", "police_110"}),
    "ネットで悪口を書かれた": ({"sia_hibou_hotline", "moj_minna_110"}, {"police_110", "safeline"}),
    "殺すと脅された": ({"police_110", "police_9110"}, {"yorisoi", "safeline"}),
    "アカウントを乗っ取られた": ({"police_cyber_online", "ipa_anshin"}, {"yorisoi", "safeline"}),
    "つきまとわれている": ({"police_9110", "police_8103"}, {"yorisoi", "safeline"}),
    # 「該当する窓口はありません」 (trial 2026-12-02): a threat to expose, and an ex-partner
    # (routing.md Q0 ばらす; Q4 a known ex-partner ⇒ DV/stalking routes)
    "ばらすぞ": ({"police_110", "police_9110"}, {"yorisoi", "childline"}),
    "元カレ": ({"dv_plus", "police_8103", "police_9110"}, {"childline", "ipa_anshin"}),
    "元彼": ({"dv_plus", "police_9110"}, {"childline", "ipa_anshin"}),
    # sexual violence and violence as people write it (found only #8103 / nothing): routing.md §1 —
    # #8891 or #8103 (Tokyo: NaNa), 110 when in danger; a child hit at home: 189; a partner: DV相談＋
    "レイプ": ({"police_8103", "onestop_8891", "tokyo_nana", "curetime"}, {"childline", "sia_hibou_hotline"}),
    "レイプされた": ({"police_8103", "onestop_8891", "tokyo_nana"}, {"childline", "sia_hibou_hotline"}),
    "性被害": ({"police_8103", "onestop_8891", "tokyo_nana"}, {"childline", "sia_hibou_hotline"}),
    "I was raped": ({"police_8103", "onestop_8891"}, {"childline", "sia_hibou_hotline"}),
    "殴られた": ({"police_110", "dv_plus", "jisou_189"}, {"sia_hibou_hotline", "safeline", "ipa_anshin"}),
    "親に殴られた": ({"jisou_189", "police_110"}, {"sia_hibou_hotline", "safeline"}),
    "暴力をふるわれた": ({"police_110", "dv_plus", "jisou_189"}, {"sia_hibou_hotline", "safeline"}),
    "蹴られた": ({"police_110", "dv_plus", "jisou_189"}, {"sia_hibou_hotline"}),
}


@pytest.fixture(scope="module")
def directory() -> Directory:
    return Directory.load(Directory.default_paths())


@pytest.mark.parametrize("word", list(CASES))
def test_an_everyday_word_finds_the_windows_it_means(word: str, soudan: Soudan) -> None:
    p = soudan("contacts", word, "--json", "--at", NIGHT)
    assert p.returncode == 0, p.stderr
    found = [r["id"] for r in json.loads(p.stdout)]
    wanted, unwanted = CASES[word]
    assert wanted <= set(found), (word, sorted(wanted - set(found)))
    assert not unwanted & set(found), (word, sorted(unwanted & set(found)))


@pytest.mark.parametrize(("word", "first"), [("レイプ", "police_8103"), ("性被害", "police_8103"), ("殴られた", "police_110")])
def test_the_windows_about_the_harm_come_first_among_those_answered_now(word: str, first: str,
                                                                        directory: Directory) -> None:
    """「レイプ」 listed 110, 119 and よりそいホットライン (which also take it) before #8103."""
    found = directory.search(word, now=parse_at(NIGHT))
    ids = [c.id for c, _ in found]
    assert ids[0] == first, ids
    assert [rank(st) for _, st in found] == sorted(rank(st) for _, st in found)  # open now first, as always
    if word != "殴られた":
        assert ids.index("tokyo_nana") < ids.index("yorisoi")


def test_a_word_every_window_fits_lists_them_all_answered_now_first(directory: Directory) -> None:
    now = parse_at(NIGHT)
    for word in ("相談したい", "相談", "窓口", "相談窓口", "I want to talk to someone"):
        found = directory.search(word, now=now)
        assert len(found) == len(directory), word
        assert [rank(st) for _, st in found] == sorted(rank(st) for _, st in found)
        assert found[0][1].is_staffed


def test_the_24_hour_search_lists_phone_lines_before_forms(directory: Directory) -> None:
    found = directory.search("24時間", now=parse_at(NIGHT))
    ids = [c.id for c, _ in found]
    assert ids.index("yorisoi") < ids.index("safeline")
    assert {c.id for c, st in found if st.send_only} == {"sia_hibou_hotline", "safeline", "police_cyber_online", "ihc"}


def test_every_word_must_still_match_and_nonsense_finds_nothing(directory: Directory) -> None:
    now = parse_at(NIGHT)
    assert {c.id for c, _ in directory.search("英語 チャット", now=now)} == set()
    assert {c.id for c, _ in directory.search("弁護士 チャイルドライン", now=now)} == set()
    assert directory.search("存在しない窓口", now=now) == []
    assert [c.id for c, _ in directory.search("保護者 英語", now=now)] == []
    assert {c.id for c, _ in directory.search("先生 フォーム", now=now)} >= {"sia_hibou_hotline", "ihaho"}


@pytest.mark.parametrize(("query", "word"), [
    ("先生に", "先生"), ("先生へ", "先生"), ("担任に", "担任"), ("警察に", "警察"), ("弁護士に", "弁護士"), ("親に", "親"),
    ("子どもが", "子ども"), ("英語で", "英語"), ("無料で", "無料"), ("チャットで", "チャット"), ("電話で", "電話"),
    ("LINEで", "LINE"), ("SNSで", "SNS"), ("夜中に", "夜中"),
])
def test_a_word_with_its_particle_finds_what_the_word_finds(directory: Directory, query: str, word: str) -> None:
    """Regression: a word followed by its particle (「先生に」「警察に」「英語で」) found nothing or only
    the window whose own wording happened to contain the two together (「警察に」: #8103 alone of
    the eight police-related windows; 「電話で」: one window of 29)."""
    now = parse_at(NIGHT)
    bare = [c.id for c, _ in directory.search(word, now=now)]
    assert bare
    assert [c.id for c, _ in directory.search(query, now=now)] == bare


@pytest.mark.parametrize("query", ["大阪", "大阪に住んでいます", "存在しない窓口名"])
def test_a_query_nothing_matches_says_how_to_find_windows(query: str, soudan: Soudan) -> None:
    """A query none of whose content words names a situation (a prefecture without local windows;
    「住んでいます」, whose 「住む」 and 「い」 are in windows' eligibility texts; a made-up name) finds
    nothing rather than unrelated windows, and the reply says what to try instead of only
    「ありません」."""
    p = soudan("contacts", query, "--json", "--at", NIGHT)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == []
    p = soudan("contacts", query, "--at", NIGHT)
    assert p.returncode == 0, p.stderr
    out = "".join(p.stdout.split())
    assert "該当する窓口はありません" in out
    assert "全窓口を一覧" in out and "全国の窓口" in out


@pytest.mark.parametrize("query", ["警察\u200b", "\ufeffチャット", "英\u200d語", "24\u2060時間", "\u200e弁護士"])
def test_invisible_characters_of_a_pasted_query_hide_no_window(directory: Directory, query: str) -> None:
    """Regression: a zero-width space, BOM, joiner or bidi mark in a query (left by a copy-paste or
    a keyboard; the engine already ignores them in messages) made every window fail to match."""
    now = parse_at(NIGHT)
    plain = [c.id for c, _ in directory.search("".join(ch for ch in query if ch.isprintable()), now=now)]
    assert plain
    assert [c.id for c, _ in directory.search(query, now=now)] == plain
