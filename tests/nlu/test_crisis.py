"""Crisis detection: variant spellings, passive ideation, English slang; idioms stay quiet."""

from __future__ import annotations

import pytest

from bot.engine.text import normalize
from bot.nlu.analysis import analyse
from bot.nlu.crisis import CrisisDetector


def detect(text: str, extra: tuple[str, ...] = ()) -> str | None:
    a = analyse(text)
    return CrisisDetector(extra).detect(normalize(text), a.cleaned)


@pytest.mark.parametrize("text", [
    "死にたい", "しにたい", "シニタイ", "ｼﾆﾀｲ", "タヒにたい", "ﾀﾋにたい", "氏にたい", "市にたい", "4にたい", "４にたい",
    "し に た い", "死\u200bに\u200bた\u200bい", "もう死にたくなる", "死んでしまいたい", "死んだほうがまし",
    "生きててもしょうがない", "もう疲れた、生きるの", "ぜんぶおわらせたい", "朝が来なければいいのに",
    "このまま目が覚めなければいい", "消えたい", "いなくなりたい", "リスカしたい", "ＯＤしそう", "首吊りたい",
    "生きる意味がない", "生まれてこなければよかった",
    "kms", "I want to kms", "unalive myself", "I want to disappear", "no reason to live", "I wanna die",
    "I want to end it all", "thinking about suicide",
])
def test_crisis_positives(text: str) -> None:
    assert detect(text) == "self"


@pytest.mark.parametrize("text", [
    "薬いっぱい飲んだ", "リスカしちゃった", "手首切った", "てくびをきった", "手首切ってもうた", "腕を切ってしまった",
    "ODした", "ＯＤしちゃった", "OD中", "睡眠薬を全部飲んだ", "薬飲みすぎた", "20錠飲んだ", "薬をたくさん飲んでしまった",
    "自分を傷つけてしまった", "血が止まらない",
    "I took too many pills", "I overdosed", "I cut my wrists", "I just cut myself", "the bleeding won't stop",
])
def test_an_overdose_or_a_cut_already_done_is_an_injury(text: str) -> None:
    """routing.md §1: 「Injured, overdose, self-harm in progress → 119番」 (the reply puts 119 first)."""
    assert detect(text) == "injured"


@pytest.mark.parametrize("text", [
    "リスカしたい", "リスカしちゃいたい", "手首切ってしまいたい", "自分を傷つけたい", "じぶんをきずつけたい", "ODしたい",
    "前にODしたことがある", "前に手首を切ったことがある", "薬を全部飲んだら楽になれるかな", "薬飲みすぎそう",
    "I want to cut myself", "I used to cut myself",
])
def test_a_wish_or_a_past_episode_is_the_reply_for_suicidal_feelings(text: str) -> None:
    assert detect(text) == "self"


@pytest.mark.parametrize("text", ["殺される", "元彼が今から家に来る", "家の前にいるって", "He said he is going to kill me"])
def test_danger(text: str) -> None:
    assert detect(text) == "danger"


@pytest.mark.parametrize("text", [
    "死ぬほどおもしろかった", "死ぬほど眠い", "レポートでタヒる", "自殺点を決めてしまった", "市に対して要望", "4にんで行った",
    "しにせのお店", "kmsで走った距離を測る" , "skills", "話の内容", "消しゴム", "生きてる",
])
def test_idioms_and_near_misses_stay_quiet(text: str) -> None:
    assert detect(text) is None


def test_a_flow_adds_words_but_cannot_remove_the_built_in_ones() -> None:
    assert detect("もう限界ですわ", ("限界ですわ",)) == "word"
    assert detect("死にたい", ()) == "self"
    assert CrisisDetector(["!"]).words == ()  # too short once normalised: ignored


@pytest.mark.parametrize("text", [
    "殺すって書かれた", "殺すってDMが来た", "殺すってラインがきた", "殺すってコメントされた", "殺すぞ", "殺害予告された",
    "ばらまくと言われた", "写真ばらすって脅された", "拡散するって言われた",
])
def test_a_threat_reported_in_writing_is_danger(text: str) -> None:
    """routing.md §1: 殺害予告 → 110; the safety question names 「殺す」「ばらす」と脅されている."""
    assert detect(text) == "danger"


@pytest.mark.parametrize("text", [
    "家に来るって", "元彼が家まで来るって", "家まで来るってDMが来た", "会いに来るって", "家に行くからなって",
    "明日学校で刺すって書かれた", "刺すぞ", "刺すってDMが来た", "刺してやる", "殴るって言われた",
    "my ex says he will leak my nudes if i dont pay", "my ex is threatening to share my private photos",
    "someone is blackmailing me with pictures", "I'm being sextorted", "she says she'll send the pics to my parents",
])
def test_someone_coming_a_stabbing_announced_or_sextortion_is_danger(text: str) -> None:
    """routing.md Q0 (会いに来ると言われた, 殺す・ばらすと脅されている), §1 (threat of violence → 110): a
    new user's trial found these read as an answer; 「殺すって言われた」 and 「ばらすぞって言われた」 were danger."""
    assert detect(text) == "danger"


@pytest.mark.parametrize("text", [
    "家に来るとは言われてない", "家に来るって言われてない", "家に来るって言われたことはない", "家に来るってわけじゃない",
    "友達が家に来るって", "刺すとは書かれてない", "刺すって言われてない", "蚊に刺された", "蚊に刺されそう", "殴るとは言われてない",
    "he never threatened to share my photos", "he didn't threaten to leak anything", "I will share my photos with you",
    "I want to post a picture", "I'm going to post a photo", "my nudes were leaked",
])
def test_a_denied_visit_or_stabbing_a_friend_coming_or_ones_own_photos_is_no_danger(text: str) -> None:
    assert detect(text) is None


@pytest.mark.parametrize("text", [
    "殺害予告とかはされてないです", "殺害予告はないです", "殺害予告まではされてない", "殺すとかは書かれてない",
    "殺菌した", "ばらばらにする", "殺すって決めた",
])
def test_a_denied_threat_or_another_word_is_no_danger(text: str) -> None:
    assert detect(text) is None


def test_an_example_that_is_a_crisis_is_valid_when_the_question_reads_it_as_its_choice() -> None:
    """The engine answers 「殺すってDMが来た」 at 「どんなことが起きていますか？」 with the 110 reply and then
    goes on with 「脅された・殺害予告」 read from the same message, so it is a fine example of ``thr``."""
    from bot.engine.flow import load_flows
    from bot.nlu.understand import Understanding

    u = Understanding(load_flows(["flows/net-harm.yaml"])["net-harm"].flow)
    assert u.check_example("what", "thr", "殺すってDMが来た") is None
    assert "crisis reply" in (u.check_example("what", "def", "殺すってDMが来た") or "")
    assert "crisis reply" in (u.check_example("who", "adult", "死にたい") or "")


@pytest.mark.parametrize(("text", "kind"), [
    ("しねばいい", "self"), ("もうしねばいい", "self"), ("私なんかしねばいい", "self"), ("自分しねばいいのかな", "self"),
    ("つらい、しねばいい", "self"), ("うちなんかしねばええんや", "self"),
    # the dialect しねば = しなければ, and abuse reported
    ("気にしねばいい", None), ("無理しねばいいよ", None), ("行かんとしねばいい", None), ("宿題しねばなんね", None),
    ("ちゃんとしねばいい", None), ("勉強しねばいい", None), ("しねばいいって言われた", None), ("しねばいいのにって書かれた", None),
])
def test_shineba_in_kana_is_a_crisis_but_not_the_dialect_shinakereba(text: str, kind: str | None) -> None:
    assert detect(text) == kind


@pytest.mark.parametrize(("text", "kind"), [
    # a new user's trial: each got 「すみません、答えがわかりませんでした」 and the topic list again
    # (an overdose or bleeding already happening: the 119-first reply, this session's trial)
    ("今から死ぬ", "self"), ("薬飲みすぎた", "injured"), ("薬いっぱい飲んだ", "injured"), ("血が止まらない", "injured"),
    ("ちにたい", "self"), ("I took too many pills", "injured"), ("the bleeding won't stop", "injured"),
    ("殺されたくない", "danger"), ("殺されそう", "danger"),
    ("I will be killed", "danger"), ("I don't want to be killed", "danger"),
])
def test_trial_crisis_messages(text: str, kind: str) -> None:
    assert detect(text) == kind


@pytest.mark.parametrize("text", [
    "薬を飲みすぎないように気をつけてる", "うちにたいして悪口を書かれた", "まちにたいする要望", "助けてほしいことがあります",
    "お酒飲みすぎた",
])
def test_trial_patterns_near_misses(text: str) -> None:
    assert detect(text) is None


# found by the breaker (2026-12-01): threats reported in more wordings, agreement with 「死ねばいい」,
# the abuse received by DM/reply/comment, and denials after the verb

@pytest.mark.parametrize("text", [
    '画像ばらまかれたくなかったら金払えって',
    '晒されたくなければ',
    '拡散されたくなければ',
    '殺すって書き込まれた',
    '殺すと書き込まれた',
    '殺すって書いてあった',
    '殺すと書いてあった',
    '殺すと予告された',
    '殺すってツイートされた',
    '殺すとリプがついた',
    '殺すって言ってきた',
    '殺すと聞いた',
    'お前を殺す',
    '殺すからな',
    'コロス',
    '殺すってDMが来た',
    'ばらまくと言われた',
    '殺すって書かれた',
    '殺すって書かれて、怖くて眠れない',
    '殺されそう',
    '殺すぞって言われた',
    '殺害予告された',
])
def test_breaker_danger(text: str) -> None:
    assert detect(text) == "danger"


@pytest.mark.parametrize("text", [
    '死ねばいいって言われて、本当にそう思う',
    '死ねばいいって言われた。私もそう思う',
    '死ねばいいのにって言われて、その通りだと思った',
    '私なんか死ねばいい',
    'しねばいい',
    'もう死ねばいいのかな',
])
def test_breaker_self(text: str) -> None:
    assert detect(text) == "self"


@pytest.mark.parametrize("text", [
    '死ねばいいのにってDMが来た',
    '死ねばいいのにってリプが来た',
    'しねばいいのにってコメントされた',
    'お前なんか死ねばいいって書き込まれた',
    '死ねばいいのにって送られてきた',
    '死ねばいいと思われてる',
    '死ねばいいのにと書かれた',
    '死ねばいいって言われた',
    '殺すって書かれたわけじゃない',
    '殺すって書かれてはいない',
    '殺すって書かれたことはない',
    '殺すって来てない',
    '殺すってメールが来たわけじゃない',
    '殺害予告はありません',
    '殺害予告ではないけど悪口',
    'ばらまくと言われたわけではない',
    'ばらすと言われてはいない',
    '拡散するって言われてない',
    '拡散すると書かれていない',
    '晒すぞとは言われてない',
    'ばらまくぞとは言われていない',
    'ぶっ殺すとは言われてない',
    '殺してやるとは言われてないです',
    '殺すぞとは書かれてない',
    '殺害予告はされていない',
])
def test_breaker_abuse_received_or_denied_is_no_crisis(text: str) -> None:
    assert detect(text) is None


@pytest.mark.parametrize(("text", "kind"), [
    # 行きたくない in kana after a place: going, not living (a new user's trial got the crisis card)
    ("クラスのグループLINEで住所と顔写真さらされた、学校いきたくない", None), ("バイトいきたくない", None),
    ("塾いきたくない", None), ("明日学校いきたくないな", None), ("どこにもいきたくない", None),
    ("学校にはもういきたくない", None),
    # alone, or with a crisis word beside it, it stays one (a missed crisis costs most)
    ("いきたくない", "self"), ("もういきたくない", "self"), ("学校いきたくないし、いきたくもない", "self"),
    ("学校行きたくないし、もう全部どうでもいい、死にたい", "self"), ("生きたくもない", "self"),
])
def test_going_somewhere_in_kana_is_not_living(text: str, kind: str | None) -> None:
    assert detect(text) == kind
