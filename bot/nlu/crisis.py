"""Crisis detection: words of suicide, self-harm and immediate danger, in the spellings people use.

Runs on every message before anything else (DESIGN.md §3, §9). Built-in patterns cover variant
spellings of 死 in 〜にたい (タヒ・氏・市・4, full/half-width, spaced, zero-width — the spacing and
width are folded by :func:`bot.engine.text.normalize` first), passive ideation
(生きててもしょうがない, 朝が来なければいいのに…) and English slang (kms, unalive…). A short list of
idioms (自殺点, 死ぬほど…) is masked first so that it never hijacks the question. A flow may add
words (:attr:`bot.engine.flow.Crisis.keywords`); nobody can remove the built-in ones.

The asymmetry is deliberate: a missed crisis costs most, a gentle crisis reply to an odd sentence
costs least, so a negation (「死にたいわけじゃない」) does not switch the reply off.
"""

from __future__ import annotations

import re
import re._constants as _sre  # type: ignore[import-not-found]  # the opcodes of a parse (Python's own regex parser)
import re._parser as _sre_parse  # type: ignore[import-not-found]
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Literal

from bot.engine.text import normalize

__all__ = ["BUILTIN_DANGER", "BUILTIN_INJURED", "BUILTIN_SELF", "IDIOMS", "IDIOM_PATTERNS", "CrisisDetector", "CrisisKind"]

CrisisKind = Literal["injured", "self", "danger", "word"]
"""``injured``: an overdose or a self-inflicted injury that has already happened (「薬いっぱい飲んだ」
「リスカしちゃった」: a medical emergency, 119 first); ``self``: suicide or self-harm (thoughts, plans);
``danger``: someone threatens the person now; ``word``: a word the flow added (kind unknown)."""

_SHI = r"(?:死|し|たひ|shi)"
_SHI_AMBIGUOUS = r"(?:氏|市|4|４)"   # also 「市に対して」「田中氏にたいして」: not before して/する
# たく but not 「死にたくない」「死にたくはない」 (the breaker: a negation read as a crisis); 「死にたくなる」 stays
_TAKU = r"たく(?!ない|はない|もない|ありません|は?ないです)"
_ENDINGS = r"(?:に|二)(?:たい|" + _TAKU + r"|たか|てえ|てぇ|てー|とうなる|たみ|たすぎ)"
# Patterns over the normalised text (NFKC, lower case, katakana → hiragana, no spaces/punctuation,
# small vowels made full-size and long-vowel marks dropped: しにたーい, 死にたぃ → しにたい).
# 〜ねばいい said of oneself; not the abuse reported 「死ねばいいのにって言われた」
# (also received by DM, reply, comment: 「死ねばいいのにってDMが来た」「…って書き込まれた」「…と思われてる」)
_NEBA_GOOD = (r"(?:いい|良い|よい|楽|らく|ええ)(?!(?:のに|よ|ね|から|んや|んじゃ)?(?:って|と)(?:か|は|も)?"
              r"(?:(?:言|い|ゆ|書|か)(?:われ|かれ)|.{0,10}?(?:が|で|も)?(?:来|き|届|とど|送ら|おくら|書き込ま|かきこま|"
              r"され|思われ|おもわれ|こめんと|りぷ)))")
BUILTIN_SELF: tuple[str, ...] = (
    _SHI + _ENDINGS, _SHI_AMBIGUOUS + r"に(?:たい(?!して|する|しま|し)|" + _TAKU + r"|たか|てえ)", r"たひりたい",
    r"(?:死|たひ)のう", r"(?:死|し|たひ)んで(?:しまい|しまおう|しもうた|まいたい|まいそう|まおう|まいたか)", r"(?:死|し|たひ)んじゃい(?:たい|そう)",
    r"(?:死|し|たひ|4)んだ(?:方|ほう)が(?:まし|いい|楽|らく)", r"(?:死|し)んだら(?:楽|らく)", r"(?:死|し)ぬしか(?:ない|ねえ)",
    # 「私なんか死ねばいい」「もう死ねばいいのかな」; not the abuse reported 「死ねばいいのにって言われた」
    r"(?:死|たひ)ねば" + _NEBA_GOOD,
    # agreeing with the abuse: 「死ねばいいって言われて、本当にそう思う」「…その通りだと思った」
    r"(?:死|し|たひ)ねばいい.{0,16}(?:そう|その(?:通|とお)り)(?:だ|だと|って)?(?:思|おも)",
    # in kana too (「もうしねばいい」「私なんかしねばええ」), but not where し is する and しねば is the dialect
    # しなければ: after a noun in kanji, に, を, と, く or で (「気にしねばいい」「無理しねばいい」「ちゃんとしねばいい」)
    r"(?:^|(?<![\u4e00-\u9fff々にをとくで])|(?<=私|俺|僕|皆)|(?<=自分))しねば" + _NEBA_GOOD,
    r"(?:死|し)ぬ(?:つもり|しかない)", r"(?:死|し)に(?:場所|ばしょ)", r"(?:殺|ころ)して(?:ほしい|くれ|ください)",
    r"(?:自分|じぶん)を(?:殺|ころ)し", r"遺書",
    r"(?:消|き)え(?:たい|たすぎ|てしまいたい|ちゃいたい|てなくなりたい|てしまおう|てしまえたら|られたら)",
    r"いなくな(?:りたい|ってしまいたい|っちゃいたい)", r"いなくなっても(?:誰|だれ)も(?:困|こま)らない",
    r"(?:私|わたし|僕|ぼく|俺|おれ|自分|うち)(?:なんか|なんて)いない(?:ほう|方)が",
    r"この世から(?:消|き|いなく)", r"自殺", r"じさつ", r"自死", r"自傷", r"じしょう(?:行為|こうい)", r"りすか", r"りすとかっと",
    r"(?:手首|てくび|腕|うで)を?(?:切|き)(?:った|って|りたい|ろう|る)", r"切りたい衝動", r"切りたくな",
    r"(?:自分|じぶん)(?:を|の体を|のからだを)(?:傷|きず)つけ", r"(?:首|くび)を?(?:吊|つ)(?:る|り|ろう|った)", r"首吊", r"くびつり",
    r"飛び降り", r"とびおり", r"(?:電車|線路)に?飛び込",
    r"od(?:した|しそう|したい|しちゃ|する|中)", r"おーばーどーず", r"おばどず", r"過量服薬",
    r"(?:薬|くすり)を?(?:大量|たくさん|全部|ぜんぶ|まとめて|一気|いっき)", r"\d+錠(?:も)?(?:飲|の)",
    r"(?:生|い)き(?:てて|ていて|てても|ていても|てる|てた)(?:って|も)?(?:しょうがない|しゃあない|しゃーない|仕方(?:が)?ない|しかたない|意味(?:が)?ない|いみ(?:が)?ない|むだ|無駄)",
    r"(?:生|い)きる(?:意味|いみ|理由|りゆう|価値|かち|気力|きりょく)(?:が|も|は)?(?:ない|無い|わからない|分からない|見つからない)",
    r"(?:生|い)き(?:る|てる|ている|てく|ていく)(?:の|こと)(?:が|に|も|は)?(?:疲れ|つかれ|つらい|辛い|しんどい|いや|嫌|むり|無理|やめ|苦し)",
    r"(?:疲れ|つかれ)た?(?:もう)?(?:生|い)きるの", r"生き(?:て|てい)?(?:たく|いたく)(?:も|は)?ない", r"いきて(?:い)?たく(?:も|は)?ない", r"いきたく(?:も|は)?ない",
    r"生きとうない", r"いきとうない", r"生きたない",
    r"生きて(?:い)?(?:け|られ)ない", r"生きられない", r"いきていけない", r"いきられない",
    r"(?:朝|あさ|明日|あした|あす)が(?:来|こ)な(?:ければ|きゃ|いで(?:ほしい)?)",
    r"(?:目|め)が?(?:覚|さ)めな(?:きゃ|いで|ければ|いまま)", r"目覚めなければ", r"(?:眠|ねむ)った?ままで?いたい", r"永遠に(?:眠|ねむ)",
    r"(?:ぜんぶ|全部|人生|じんせい|すべて|全て|何もかも|なにもかも)を?(?:おわら|終わら)せたい", r"(?:おわり|終わり)にしたい",
    r"(?:人生|じんせい)(?:を)?(?:やめ|辞め|終わりに)たい", r"(?:楽|らく)になりたい",
    r"(?:生|う)まれて(?:こ|来)なければ", r"(?:生|う)まれて(?:こ|来)なきゃ",
    r"shinitai", r"kietai",
    # found by a new user's trial (they got 「答えがわかりませんでした」): a decision to die now, an
    # overdose said as 「飲みすぎた」「いっぱい飲んだ」, bleeding that will not stop (119), and 「ちにたい」
    # (a child's spelling of しにたい; not 「うちに対して」「まちに…」)
    r"(?:今|いま)から(?:死|し)(?:ぬ|にます|のう)", r"(?:死|し)ぬ(?:ことにした|って決め|と決め|ってきめ|ときめ)",
    r"(?:死|し)んでやる", r"(?<![うまみ])ちにたい(?!して|する|しま|し)",
    # (「薬いっぱい飲んだ」「血が止まらない」 are BUILTIN_INJURED: 119 first)
    r"(?:薬|くすり)を?(?:飲|の)み(?:すぎ|過ぎ)(?!な|ませ|に(?:注意|気を))", r"(?:薬|くすり)を?(?:いっぱい|ありったけ|何十|なんじゅう)",
    # found by the breaker (2026-12-02: 「答えがわかりませんでした」): jumping or falling as a wish
    # (not a pool: 「プールに飛び込みたい」), being at a height now, 「死ぬ」 alone
    r"(?<!ぷーるに)(?<!ぷーる)(?<!ぷるに)(?<!ぷる)(?:飛び|とび)(?:込|こ)み(?:たい|たく)", r"線路に(?:入|はい)(?:りたい|りそう|ろうと)",
    r"(?:びる|屋上|おくじょう|橋|はし|べらんだ|窓|まど|高い(?:所|ところ)|たかいところ)から(?:落|お)ち(?:たい|よう|ようと|そう)",
    r"(?:自分|じぶん)の(?:首|くび)を?(?:絞|締|しめ|し)め", r"(?:首|くび)を(?:絞|締|し)め(?:たい|よう)",
    r"(?:今|いま)(?:、)?(?:屋上|おくじょう|びるの上|橋の上|はしのうえ|線路|せんろ|ほーむの端)に(?:いる|います|来た|きた|来てる|きてる|立って|たって)",
    r"^(?:もう)?(?:死|し)ぬ$",
    # (session 10) the means ready (「ロープを用意した」), jumping now (「今から飛ぶ」), at a height or on the
    # tracks without 「今」 (「橋の上にいる」「屋上にいる」)
    r"(?:ろー?ぷ|紐|ひも|練炭|れんたん)を?(?:用意|準備|よういし|じゅんび|買っ|かっ|買い|かい|手に入れ)",
    r"(?:(?:今|いま)から|これから)(?:飛|と)(?:ぶ|びます|ぼう|び降り|びおり|んでくる)",
    r"(?:屋上|おくじょう|びるの上|橋の上|はしのうえ|ほーむの端|線路|せんろ|崖|がけ)に(?:ひとりで|一人で)?(?:いる|います|来た|きた|来てる|きてる|立って|たって)",
    # found by the breaker (session 8: 「答えがわかりませんでした」 in every later state): the clinical word, taking
    # one's life, asking to be killed, 「しのうかな」 in kana, worthlessness, hanging by another verb, charcoal,
    # arm cuts (アムカ), 「もう無理、死ぬ」
    r"希死念慮(?!(?:は|も)(?:ない|無い|ありません))", r"(?:命|いのち)を?(?:絶|断|た)ち(?:たい|たく|ます|ます|そう)",
    r"^(?:もう|いっそ)?(?:死|たひ)なせて", r"(?:死|たひ)なせて(?:ほしい|ください|くれ)", r"^(?:誰|だれ)?か?(?:殺|ころ)して$",
    r"(?:^|もう|いっそ|やっぱり?)しの(?:う|っ)(?:かな|か|と|って)", r"(?:死|し|たひ)んじゃお(?:う|っ|か)",
    r"(?<!たら)(?<!れば)(?<!なら)(?:死|たひ)んでもいい(?!くらい|ぐらい|から|ほど)", r"^(?:もう|いっそ)しんでもいい",
    r"(?:生|い)き(?:てる|ている|てく|ていく|る)(?:価値|かち)(?:が|も|は|なんて|なんか)?(?:ない|無い|ねえ|ねー)",
    r"存在(?:価値|意味|かち|いみ)(?:が|も|は|なんて|なんか)?(?:ない|無い|ねえ|ねー)(?!(?:って|と)(?:か)?(?:言|い|ゆ|書|か)(?:われ|かれ))",
    r"(?:私|わたし|僕|ぼく|俺|おれ|自分|じぶん|うち)(?:なんか|なんて)(?:いらない|要らない|いなくていい|いない方がいい|いないほうがいい)(?!(?:って|と)(?:か)?(?:言|い|ゆ|書|か)(?:われ|かれ))",
    r"居なくな(?:りたい|ってしまいたい|っちゃいたい)", r"(?:首|くび)を?(?:くく|括)(?:る|り|ろう|った)", r"練炭",
    r"あむか", r"れぐか",
    r"^(?:もう)?(?:無理|むり|限界|げんかい|だめ|いや|嫌)(?:もう)?(?:死|し)ぬ(?:わ|かも|しかない)?$",
    r"(?:死|し)にtai", r"sinitai",
    # (a second round) no hope to live, why live at all, wishing one could die, looking up ways to die,
    # euthanasia, erasing oneself, "kill me", a farewell
    r"(?:生|い)きる(?:希望|きぼう)(?:が|も|は)?(?:ない|無い|ねえ|見えない|みえない)",
    r"(?:何|なん)の(?:ため|為)に(?:生|い)きて(?:る|いる)の?か(?:わから|分から|わかん)",
    r"(?:なんで|なぜ|何で)(?:まだ)?(?:私|わたし|自分|じぶん|僕|ぼく|俺|おれ|うち)?(?:は)?(?:生|い)きて(?:る|いる)(?:んだろう?|のかな)",
    r"(?:消|き)え(?:去|さ)りたい", r"(?:消滅|しょうめつ)したい(?=$|って|と|な|よ|の|けど|わ)",
    r"(?:死|たひ)ねたら(?:いい|良い|よい|楽|らく)", r"しねたら(?:いい|良い|楽|らく)",
    r"(?:楽|らく)に(?:死|し)(?:ねる|ぬ|にたい)", r"(?:死|し)に(?:方|かた)を?(?:調べ|しらべ|探|さが|教え|おしえ|検索|けんさく)",
    r"安楽死(?:したい|させて|を(?:考え|望|のぞ))",
    r"(?:自分|じぶん)(?:を|の(?:存在|そんざい)を)(?:消|け)し(?:たい|て(?:しまいたい|ほしい|ください))",
    r"(?:私|わたし|僕|ぼく|俺|おれ|うち|あたし)を(?:殺|ころ)して(?!(?:やる|くる|きた|来|いい|も))",
    r"(?:いなく|居なく)なれたら",
    r"\d{2,}錠(?:も|くらい|ぐらい|ほど)?$",
    r"(?:今|いま)まで(?:本当に|ほんとうに|ほんとに)?(?:ありがとう|ありがと|お世話になりました|おせわになりました).{0,8}(?:さようなら|さよなら|ばいばい|ごめんなさい|ごめん)",
    # (session 10) polite forms (「生きる意味がありません」「もう希望がありません」), the farewell the other way
    # round, 関西弁 (「もう死ぬわ」「死んでまいたい」 above), a wish to kill someone said of oneself
    # (「あいつを殺したい」: the feelings are the person's own, the 24-hour lines listen; not 'you are
    # threatened', routing.md §2.8)
    r"(?:生|い)きる(?:意味|いみ|理由|りゆう|価値|かち|気力|きりょく|希望|きぼう)(?:が|も|は)?(?:ありません|ないです|なくなった|見いだせない|見出せない)",
    r"(?:^|もう)(?:何の|なんの|なにも)?(?:希望|きぼう)(?:が|も|は|なんて)?(?:ない|無い|ありません|ないです|持てない|もてない)(?:です|の|よ|わ)?$",
    r"(?:さようなら|さよなら).{0,6}(?:今|いま)まで(?:本当に|ほんとうに|ほんとに)?(?:ありがとう|ありがと|お世話になりました|おせわになりました)",
    r"^(?:もう|ほんまに|ほんとに|まじで)(?:死|し)ぬ(?:わ|ね|から|で|けん|べ|っちゃ)?$",
    r"を(?:殺|ころ)し(?:たい|てやりたい|たくなる|たくて)",
)
# Self-harm or an overdose that has already happened (routing.md §1: 「Injured, overdose, self-harm in
# progress → 119番」; contacts.md: 119 「自殺企図・自傷で命に危険があるとき」): checked before BUILTIN_SELF.
# A completed form of the verb (飲んだ, 切った, しちゃった, しました), not a wish (リスカしたい, 傷つけたい),
# a condition (飲んだら, 切ったら), a worry (飲みすぎそう) or a past episode told as such
# (ODしたことがある, 前に手首を切ったときに, …したけど今は): those stay BUILTIN_SELF.
_NOT_HISTORY = r"(?![いくら])(?!(?:こと|事)|とき|時|あと|後|けど(?:今|いま)は)"
# the completed endings: 「飲んだ」「飲んじゃった」「飲んでしまった」「飲みました」, 「した」「しちゃった」…
_DONE_N = r"(?:んだ|んじゃった|んじゃいました|んでしまっ|んでしもう?た|んでもうた|みました|んでる|んでます)"
_DONE_S = r"(?:した|しちゃった|しちゃいました|してしまっ|してしもう?た|してもうた|しました)"
_DONE_T = r"(?:った|っちゃった|っちゃいました|ってしまっ|ってしもう?た|ってもうた|りました)"
# medicines by name (over-the-counter ones people overdose on, in hiragana as normalised): 「パブロン全部飲んだ」
_MEDICINE = (r"ぱぶろん|ぶろん|ろきそにん|ばふぁりん|いぶくいっく|かふぇいん錠?|せきどめ|咳止め|鎮痛剤|ちんつうざい|解熱剤|げねつざい|"
             r"睡眠導入剤|抗不安薬|抗うつ薬|向精神薬|頓服|とんぷく|でぱす|まいすりー|れんどるみん|さいれーす|ろひぷのーる")
# how many (「全部」「一箱」「30錠」)
_MANY = (r"大量に?|たくさん|全部|ぜんぶ|まとめて|一気に?|いっき|いっぱい|ありったけ|何十錠?|なんじゅう|一箱|ひとはこ|一瓶|ひとびん|"
         r"\d+(?:錠|粒|つぶ|箱|はこ|シート|しーと)")
BUILTIN_INJURED: tuple[str, ...] = (
    r"(?:薬|くすり|睡眠薬|すいみんやく|市販薬|しはんやく|眠剤|みんざい|安定剤|あんていざい|錠剤|じょうざい|"
    r"(?:風邪|かぜ|頭痛|ずつう|処方|しょほう|精神)薬)を?(?:大量に?|たくさん|全部|ぜんぶ|まとめて|一気に?|いっき|いっぱい|ありったけ|"
    r"何十錠?|なんじゅう|一箱|ひとはこ|一瓶|ひとびん)(?:も)?(?:飲|の)" + _DONE_N + _NOT_HISTORY,
    r"(?:薬|くすり)を?(?:飲|の)み(?:すぎ|過ぎ)(?:た|ちゃった|てしまっ|ました|てもうた)" + _NOT_HISTORY,
    r"\d+錠(?:も|くらい|ぐらい|ほど)?(?:飲|の)" + _DONE_N + _NOT_HISTORY,
    r"(?:(?<![a-z])od|おーばーどーず|過量服薬)" + _DONE_S + _NOT_HISTORY, r"(?<![a-z])od(?:中|ちゅう|してる|している)",
    r"(?:りすか|りすとかっと|自傷|じしょう)(?:を)?" + _DONE_S + _NOT_HISTORY,
    r"(?:手首|てくび|腕|うで)を?(?:切|き)" + _DONE_T + _NOT_HISTORY,
    r"(?:自分|じぶん)(?:を|の体を|のからだを)(?:傷|きず)(?:つけ|付け)(?:た|ちゃった|てしまっ|ました)" + _NOT_HISTORY,
    r"(?:血|ち)が(?:止|と)まらな",
    # the number 119 typed alone (「119」「119番」「119番したほうがいい？」, found by the breaker: it was 「119番の選択肢は
    # ありません」): the card with 119 first
    r"^119(?:番|ばん)?(?:に)?(?:電話|でんわ|通報|つうほう|かけ)?(?:る|する|したい|します|して|した|しました|したほうがいい|した方がいい|すべき|しようかな|たい|ます|た)?(?:の|か|かな|ですか|べき)?$",
    # (found by the breaker, session 8) 「薬飲みまくった」, 「血が出るまで切った」
    r"(?:薬|くすり)を?(?:飲|の)みまくっ(?:た|ちゃった|てしまっ|てる)" + _NOT_HISTORY, r"(?:血|ち)が(?:出|で)るまで(?:切|き)",
    # (session 10) a cut said without the arm (「また切った」「切っちゃった」 as the whole message, 「カッターで
    # 切った」), a medicine by its name (「パブロン全部飲んだ」), a hanging done (「首吊った」); not 「髪切った」
    # 「電話切った」 (only the whole message, or after a blade)
    r"^(?:また|さっき|今日も|きょうも|今|いま|もう|結局|けっきょく|やっぱり?)*(?:切|き)" + _DONE_T + r"(?:よ|わ|の|かも)?$",
    r"(?:かったー?|剃刀|かみそり|刃物|はもの|ないふ|包丁|ほうちょう|かっと用の?)で(?:また|もう)?"
    r"(?:(?:腕|うで|手首|てくび|手|足|あし|太もも|ふともも|自分|じぶん|体|からだ)(?:を)?)?(?:切|き)" + _DONE_T + _NOT_HISTORY,
    r"(?:" + _MEDICINE + r")を?(?:" + _MANY + r")(?:も)?(?:飲|の)" + _DONE_N + _NOT_HISTORY,
    r"(?:首|くび)を?(?:吊|つ|くく|括)(?:った|っちゃった|ってしまっ|ってもうた|りました)" + _NOT_HISTORY,
)
# not a friend or family member coming round: 「友達が家に来るって」 (a lookbehind each: fixed widths)
_NOT_KIN = "".join(f"(?<!{w}が)(?<!{w}も)" for w in (
    "友達", "友だち", "ともだち", "友人", "親", "母", "父", "家族", "親戚", "祖母", "祖父", "おばあちゃん", "おじいちゃん", "いとこ"))
# where a threat came: 「殺すってDMが来た」「殺すってLINEで送られてきた」「殺すってコメントされた」
_MEDIUM = (r"(?:[a-z]+|めっせーじ|めーる|らいん|こめんと|りぷ|りぷらい|手紙|てがみ|電話|でんわ|連絡|書き込み|書込み|かきこみ|"
           r"投稿|とうこう|ぽすと|返信|へんしん)")
# who may be at the door (「ストーカーが」「知らない男が」「元彼が」): not a friend or family member
_STALKER = (r"すとー?かー?|つきまとい|あいつ|あの(?:人|ひと|男|女)|知らない(?:人|ひと|男|女)|しらない(?:人|ひと|男|女)|変な(?:人|ひと|男|女)|"
            r"へんな(?:人|ひと)|不審者|ふしんしゃ|不審な(?:人|男|女)|誰か|だれか|元(?:彼|かれ|彼氏|夫|妻|恋人|交際相手|かの|彼女)|"
            r"元の(?:夫|妻)|加害者|犯人|相手")
BUILTIN_DANGER: tuple[str, ...] = (
    # kana spellings too (the text is in hiragana by now: コロス, ｺﾛｽ → ころす); 言われ also as ゆわれ
    r"殺される", r"ころされる", r"(?:殺|ころ)す(?:と|って)(?:言|い|ゆ)われ", r"(?:殺|ころ)しに(?:来|く|行|い)",
    # 「殺すぞって言われた」「家に来るって言われた」「会いに来ると言われた」 (the safety question's own example)
    r"(?:殺|ころ)す(?:ぞ|よ|からな?|ね)(?:って|と)(?:言|い|ゆ)われ",
    r"(?:家|いえ|うち|自宅|学校|会い)に(?:来|く)る(?:ぞ|よ|から|ね)?(?:って|と)(?:言|い|ゆ)われ",
    # reported without the verb: 「家に来るって」「家まで来るってDMが来た」「家に行くからなって」 (the match
    # ends before って, so 「家に来るって言われてない」 is denied as above; a trial found these not danger)
    _NOT_KIN + r"(?:家|いえ|自宅|じたく|会い|あい)(?:に|まで)(?:来|く)る(?:ぞ|よ|からな?|ね)?(?=って)",
    r"(?:家|いえ|自宅|じたく)(?:に|まで)(?:行|い)く(?:ぞ|よ|からな?|ね)(?=って|と)",
    # a threat to stab or to beat reported (routing.md §1: threat of violence → 110): 「明日学校で刺すって
    # 書かれた」「刺すぞ」「刺してやる」「殴るって言われた」 (刺す in kanji only: さす is also 擦る・指す)
    r"刺す(?:ぞ|よ|からな?|ね)?(?:と|って)(?:の|いう|いった)?" + _MEDIUM + r"?(?:が|を|も|で)?"
    r"(?:言われ|いわれ|ゆわれ|書かれ|かかれ|書き込ま|かきこま|書いて|かいて|来|きた|きて|届|とど|送|おく|脅|おど|あった|され|予告|よこく|"
    r"言ってき|いってき)",
    r"刺すぞ", r"刺してやる", r"ぶっ刺",
    r"(?:殴|なぐ)る(?:ぞ|からな?)?(?:と|って)(?:言|い|ゆ|書|か|脅|おど)(?:われ|かれ|され)", r"(?:殴|なぐ)るぞ",
    r"(?:殴|なぐ)ってやる(?:から|ぞ|って|と)",
    r"(?:今|いま)から(?:家に|いえに|うちに)?(?:来|く)る", r"(?:今|いま)から(?:行|い)く(?:って|と)",
    r"(?:家|いえ|うち|どあ|玄関|部屋|へや)の(?:前|外|まえ|そと)(?:に|で)(?:いる|来て|きて|待)",
    # (session 10) who is there, or how long, between the place and the verb: 「いま家の前にストーカーがいる」
    # 「玄関の前にずっといる」; someone not kin (a friend at the door is no danger: the words are the stalker's)
    r"(?:家|いえ|うち|自宅|じたく|どあ|玄関|げんかん|部屋|へや|まんしょん|あぱーと|窓|まど|べらんだ)の(?:前|外|まえ|そと|下|した)"
    r"(?:に|で)(?:は|も)?(?:今|いま)?(?:また|まだ|ずっと|今も|いまも)?(?:" + _STALKER + r")?(?:が|も)?(?:また|まだ|ずっと|今も|いまも)?"
    r"(?:いる|います|居る|来て|きて|待って|まって|立って|たって|うろうろ|うろつ)",
    # 「ストーカーが来てる」「元彼が家まで来た」
    r"(?:" + _STALKER + r")(?:が|も)(?:また|まだ|ずっと|今|いま)?(?:(?:家|いえ|うち|自宅|じたく|近く|ちかく|学校|がっこう|職場|しょくば)(?:に|まで|の前に|の前まで|の近くに)?)?"
    r"(?:来て(?:る|いる|ます)|きて(?:る|いる|ます)|来た|きた|来ました|きました)",
    # 「家まで来た」「家の前まで来てる」 (まで: it came on to the place; 「家に来た」 alone is a visit); the match
    # ends at the verb so that 「家まで来たことはない」 is denied
    _NOT_KIN + r"(?:家|いえ|うち|自宅|じたく|部屋|へや|玄関|げんかん|学校|がっこう|職場|しょくば)(?:の前|の近く|のそば|のまえ)?まで(?:来|き)"
    r"(?=た|て(?:る|いる|ます|た)|ました|ちゃった)",
    r"(?:どあ|玄関|窓|まど)を?(?:どんどん|がんがん)?(?:叩|たた)かれ", r"待ち伏せされ(?:てる|ている)",
    r"(?:今|いま)すぐ(?:助|たす)けて", r"(?:誰|だれ)か(?:助|たす)けて", r"外で待ち伏せ",
    # 「SOS」 typed (session 10: 「答えがわかりませんでした」): a call for help, the danger card (110 first);
    # not the name of the 24時間子供SOSダイヤル asked about
    r"(?<![a-z])sos(?![a-z]|だいやる|dial)",
    # the safety question's own 「危険を感じる」 typed at a later question; not 「…ことはない」「…わけじゃない」
    r"危険を(?:感|かん)じ(?:る|ます|てる|ている|ています)(?!.{0,4}(?:ない|ません|なく))",
    # a threat to kill reported in writing or as a quote (routing.md §1: 殺害予告 → 110): 「殺すって書かれた」
    # 「殺すってDMが来た」「殺すと脅された」「殺すぞって送られてきた」, 「殺すぞ」「殺してやる」「ぶっ殺す」 alone
    r"(?:殺|ころ)す(?:ぞ|よ|からな?|ね)?(?:と|って)(?:の|いう|いった)?" + _MEDIUM + r"?(?:が|を|も|で)?"
    r"(?:書かれ|かかれ|書き込ま|かきこま|書いて|かいて|来|きた|きて|きま|届|とど|送|おく|脅|おど|あった|ありま|され|"
    r"予告|よこく|つい|言ってき|いってき|ゆってき|聞いた|きいた)",
    r"(?:殺|ころ)す(?:ぞ|って)$", r"^(?:殺|ころ)す$", r"(?:殺|ころ)すぞ", r"(?:殺|ころ)すからな", r"(?:殺|ころ)してやる",
    r"ぶっ(?:殺|ころ)(?:す|して|される)?", r"(?:お前|おまえ|てめえ|てめぇ|てめー|あんた|きさま|貴様)(?:を|のこと)?(?:殺|ころ)す",
    # 「殺されそう」「殺されたくない」「殺されかけた」 (a new user's trial: no 110 for these). A bare
    # 「たすけて」 is not here: it gets the warm reply with 110 and the question again (feelings.yaml)
    r"(?:殺|ころ)され(?:そう|たくな|かけ|ちゃう|てしまう)",
    r"(?:殺害|さつがい)(?:予告|よこく)(?!(?:とか|なんて|なんか|まで)?(?:で)?(?:は|も)?(?:され|して|受け|うけ|来|き|あり|あっ)?(?:て)?(?:い)?(?:ない|ません|なか|ねえ))",
    # a threat to spread intimate images or personal details (the safety question: 「ばらす」と脅されている):
    # 「ばらまくと言われた」「ばらすって脅された」「拡散するって言われた」「晒すぞ」
    r"(?:ばら|晒|さら|拡散|かくさん)(?:す|まく|撒く|する)(?:ぞ|よ|からな?|ね)?(?:と|って)(?:言|い|ゆ|書|か|脅|おど|送|おく)(?:われ|かれ|され|さ|られ)",
    r"(?:ばら|晒|さら)(?:す|まく|撒く)ぞ",
    # 「画像ばらまかれたくなかったら金払え」「晒されたくなければ」「拡散されたくないなら」 (sextortion)
    r"(?:ばらまか|ばら撒か|ばらさ|晒さ|さらさ|拡散さ|かくさんさ)れたく(?:なかったら|なければ|なきゃ|ないなら|ないんだったら)",
    # found by the breaker: a threat that the home is known (the safety question: 相手が家や学校を知っている),
    # a weapon at hand, being followed now, a bomb threat (contacts.md police_110: 殺害予告・爆破予告 → 110)
    r"(?:お前|おまえ|てめえ|あんた)?の?(?:家|いえ|住所|じゅうしょ|学校|がっこう)(?:を|は|も)?(?:知って|しって)(?:る|いる)(?:ぞ|からな?|んだぞ|よ)",
    r"(?:包丁|ほうちょう|ナイフ|ないふ|刃物|はもの)を?(?:持|も)って(?:る|いる|来|き|追)",
    r"(?:今|いま)(?:、)?(?:つけられて|尾行されて|後をつけられて|あとをつけられて|追いかけられて|おいかけられて)",
    r"(?:爆破|ばくは)(?:予告|よこく)(?!(?:とか|なんて|なんか)?(?:で)?(?:は|も)?(?:され|して|受け|来|き|あり|あっ)?(?:て)?(?:い)?(?:ない|ません|なか))",
    # found by the breaker (session 8: 「答えがわかりませんでした」, or only noted as 「脅された」 for later): a threat
    # to kill said with とか/みたいな, in 関西弁 (殺したる, しばく, いてまう), to rape, to set fire, to bomb; 殺人予告;
    # violence going on now (殴られてる, 暴力をふるわれてる), strangling, being locked in; a threat to come
    # written as the threat itself (「お前の家行くからな」); the fear of being stabbed or abducted
    r"(?:殺|ころ)す(?:ぞ|よ|からな?)?(?:とか|なんて|みたいな(?:こと)?|みたいに)(?:も)?(?:言|い|ゆ|書|か)(?:われ|かれ)",
    # the number 110 typed alone (「110」「110番」「110番したほうがいい？」: it was 「110番の選択肢はありません」 at the
    # safety question, and an age of 110 at the who question): the danger card, 110 first
    r"^110(?:番|ばん)?(?:に)?(?:電話|でんわ|通報|つうほう|かけ)?(?:る|する|したい|します|して|した|しました|したほうがいい|した方がいい|すべき|しようかな|たい|ます|た)?(?:の|か|かな|ですか|べき)?$",
    r"(?:殺|ころ)し(?:たる|たろか|たろうか)", r"(?:しば|どつ)(?:くぞ|いたる|いたろか|いてやる)(?:$|って|と(?:言|い|ゆ|書|か|脅|おど))", r"いてまう(?:ぞ|で)(?:$|って|と(?:言|い|ゆ|書|か|脅|おど))",
    r"(?:犯|おか)す(?:ぞ|からな)", r"(?:犯|おか)す(?:と|って)(?:言|い|ゆ|書|か|脅|おど)(?:われ|かれ|され)",
    r"(?:火|ひ)(?:を)?(?:つけ|付け|点け)(?:るぞ|てやる|るからな|る(?:と|って)(?:言|い|ゆ|書|か|脅|おど)(?:われ|かれ|され))",
    r"(?:放火|ほうか)(?:する|してやる)(?:ぞ|からな|(?:と|って)(?:言|い|ゆ|書|か|脅|おど)(?:われ|かれ|され))",
    r"(?:燃|も)やす(?:ぞ|からな)", r"(?:爆破|ばくは)(?:する|してやる)(?:ぞ|からな|(?:と|って)(?:言|い|ゆ|書|か|脅|おど)(?:われ|かれ|され))",
    r"(?:殺人|さつじん)(?:予告|よこく)(?!(?:とか|なんて|なんか|まで)?(?:で)?(?:は|も)?(?:され|して|受け|うけ|来|き|あり|あっ)?(?:て)?(?:い)?(?:ない|ません|なか|ねえ))",
    r"(?:今|いま)(?:も|まさに)?(?:殴|なぐ|蹴|け|叩|たた)られて(?:る|いる|ます)", r"(?:暴力|ぼうりょく)を?(?:振|ふ)る(?:わ)?れて(?:る|いる|ます)",
    r"(?:首|くび)を?(?:絞|締|し)められ(?:た|て)", r"(?:監禁|かんきん)され(?:て|た)(?!(?:る|いる)?(?:気分|みたい|感じ|かんじ))",
    r"(?:閉|と)じ込められて(?:る|いる|ます)(?!(?:気分|みたい|感じ|かんじ))",
    r"(?<!蚊に)(?<!はちに)(?<!蜂に)(?<!虫に)刺され(?:そう|るかも)", r"(?:誘拐|ゆうかい)され(?:る|そう)(?!な(?:夢|ゆめ))",
    r"(?:窓|まど|べらんだ)の(?:前|外|まえ|そと)(?:に|で)(?:いる|来て|きて|立って|たって)(?!(?:鳥|とり|猫|ねこ|虫|むし))",
    r"(?:家|いえ|うち|自宅|じたく|部屋|へや)に(?:押|お)しかけ(?:て(?:き|来)|られ)", r"(?:ぴんぽん|いんたーほん|ちゃいむ)を?(?:連打|れんだ)され",
    r"(?:(?:お前|おまえ|てめえ|てめぇ|あんた|きさま|貴様)の|^)(?:家|いえ|うち|自宅|学校|職場|会社|ばいと先)(?:に|まで|へ)?(?:行|い)く(?:ぞ|からな)",
    r"(?:どこ|何処)に(?:住|す)んで(?:る|いる)か(?:知|し)って(?:る|いる)(?:ぞ|からな?|んだぞ|よ|って|と)",
)
_EN_NEGATED = re.compile(r"(?:not|never|dont|don't|nt)$")
"""An English crisis word of the flow's list negated just before it (in the text without spaces)."""
# English over the cleaned text with spaces kept (lower case).
_EN_SELF = (
    # not "I am not suicidal", "never suicidal" (the breaker: negations read as a crisis)
    r"\bkms\b", r"\bunalive", r"\bsewer ?slide", r"(?<!\bnot )(?<!\bnever )(?<!n't )\bsuicid", r"\bself[- ]?harm",
    r"(?<!\bnot )(?<!\bnever )(?<!n't )(?<!\bdont )\bkill(?:ing)? my ?self",
    r"\bend(?:ing)? my life", r"\bend(?:ing)? it all\b", r"\b(?:going to|gonna|will) end it\b",
    r"\bend(?:ing)? it (?:tonight|today|now)\b", r"\bhurt(?:ing)? my ?self", r"\bcut(?:ting)? my ?self",
    r"\boverdos",
    r"(?<!\bdon't )(?<!\bdont )(?<!\bdo not )(?<!\bnever )(?<!\bnot )"
    r"\b(?:want|wanna|going|gonna|wish i could|i'?d like) (?:to )?(?:die|disappear|not exist|vanish)\b",
    r"\bno (?:reason|point) (?:to|in) (?:live|living|go on|going on)\b", r"\bnot worth living\b",
    r"\bbetter off dead\b", r"\bdon'?t want to (?:live|be alive|be here|wake up)\b",
    r"\bdo not want to (?:live|be alive|be here|wake up)\b", r"\bwish i (?:was|were) dead\b",
    r"\bwant it (?:all )?to end\b", r"\btake my (?:own )?life\b", r"\bwanting to (?:die|disappear|kill my ?self)\b",
    # found by the breaker: "I want to end it", "I want to jump off a bridge"
    r"\b(?:want|wanna|going|gonna) (?:to )?end it\b(?! with)",
    r"\b(?:want|wanna|going|gonna|about) (?:to )?jump (?:off|from) (?:a|the|this) (?:bridge|building|roof|cliff)\b",
    # "I should just die", "maybe I should die" (not "they said I should die": abuse reported)
    r"(?<!said )(?<!says )(?<!told me )\bi (?:should|might as well|may as well) (?:just )?die\b",
    # found by the breaker (session 8): hanging, cutting as a habit, "don't wanna live", "better off
    # without me", the usual misspellings of suicide
    r"\bhang(?:ing)? my ?self\b", r"\b(?:i'?ve been|i have been|started) cutting(?: my ?self| again)?\s*$", r"\b(?:i'?m|i am) cutting (?:my ?self|again)\b",
    r"\bdon'?t wanna (?:live|be alive|be here|wake up)\b", r"\bbetter off without me\b",
    r"(?<!\bnot )(?<!\bnever )(?<!n't )\b(?:suiside|sucide|suicde|suacide|suicdal|sucidal)",
    r"\b(?:want|wanna|going|gonna) (?:to )?end (?:it all|everything)\b", r"\bi can'?t go on\s*(?:anymore|any more|like this)?\s*$",
    r"\bno point (?:in )?(?:living|being alive)\b", r"\bno point (?:in )?going on\s*(?:anymore|any more)?\s*$",
    r"\b(?:want|wanna) to sleep forever\b(?! (?:on|in|at|till|until|this|lol))",
    r"\bnot (?:going to|gonna) be (?:here|around|alive) (?:tomorrow|much longer|anymore|any more)\b",
    r"\b(?:nothing|no one|nobody|no reason) (?:left )?to live for\b",
    r"\b(?:want|wanna|going|gonna) (?:to )?jump off\s*$",
)
_EN_DANGER = (
    r"\b(?:gonna|going to|will|wants? to|threaten(?:s|ed|ing)? to) kill me\b",
    # "he said he'd kill me" (not the idiom "my mom would kill me if…")
    r"\b(?:said|says|told me|wrote|threatened)(?: that)? (?:he|she|they|someone|somebody)(?:'d| would|'ll) kill me\b",
    r"\boutside my (?:house|door|home|window)\b", r"\bhelp me now\b",
    # found by the breaker: "he knows where I live", "I am being followed", "a death threat"
    r"\b(?:knows?|found out) where i live\b", r"\b(?:i'?m|i am) being (?:followed|stalked)\b(?! (?:on|by (?:a|my) (?:friend|bot)))",
    r"\bsomeone is following me\b", r"\b(?:death|bomb) threats?\b(?! (?:is|was) (?:a joke|fake))",
    # "I will be killed", "I don't want to be killed", "they're going to kill me" is above
    r"\b(?:i(?:'ll| will)|i(?:'m| am) going to|i(?:'m| am) gonna|i might|i'?m afraid i'?ll) be killed\b",
    r"\bi (?:don'?t|do not) want to (?:be killed|get killed)\b",
    # the safety button's "I feel in danger" typed, and "I'm in danger" (not "I'm not in danger")
    r"\bi(?:'?m| am| feel)(?: in)? danger\b",
    # "he's coming to my house", "they said they'll come to my home"
    r"\b(?:he|she|they|someone|somebody)(?:'s|'re| is| are)? coming (?:over )?to my (?:house|home|place|door|school)\b",
    r"\b(?:he|she|they|someone|somebody)(?:'ll| will| would|'d) come (?:over )?to my (?:house|home|place|door|school)\b",
    # sextortion, as 「ばらすぞって言われた」 is danger (a trial: "my ex says he will leak my nudes if i dont
    # pay" got "Sorry, I did not understand"): a threat to spread images, blackmail, pay-or-else
    # (said of someone else: not "I will share my photos", "I want to post a picture")
    r"(?:(?<!not )(?<!never )(?<!n't )(?<!didnt )\bthreaten(?:s|ed|ing)?(?: me)?(?: to)?|(?<!\bi )(?<!\bi am )(?<!\bi'm )"
    r"\b(?:gonna|going to|will|wants? to|would)|(?<!\bi)(?:'ll|'d)) (?:leak|share|post|send|spread|release|publish|expose|upload|show|sell)(?: out)?"
    r"(?: (?:my|our|the|these|those|some|all))?(?: \w+){0,2}? (?:nudes?|naked \w+|photos?|pictures?|pics?|images?|videos?|vids?|sex ?tapes?)\b",
    r"(?<!not )(?<!never )(?<!n't )(?<!didnt )\bblackmail(?:s|ed|ing)? me\b", r"\bsextort",
    r"\bif i (?:don'?t|do not|dont|refuse to|won'?t|will not) (?:pay|send (?:more|him|her|them))\b",
    # found by the breaker (session 8): someone at the door, hitting now, a weapon, a threat to rape or burn,
    # the fear of being hurt
    r"\b(?:he|she|they|someone|somebody)(?:'s|'re| is| are) (?:at|outside) my (?:door|house|home|window|place)\b",
    r"\b(?:he|she|they|someone|somebody)(?:'s|'re| is| are) (?:hitting|beating|hurting|choking|strangling|attacking) me\b",
    r"\b(?:he|she|they|someone|somebody)(?:'s| has| have|'s got| has got| is holding|'s holding) (?:a |an )?(?:knife|gun|weapon|blade)\b(?! (?:collection|license|licence|set|shop|store))",
    r"(?<!not )(?<!never )(?<!n't )(?<!didnt )\bthreaten(?:s|ed|ing)?(?: me)?(?: to| that (?:he|she|they)(?:'d| would| will|'ll)) "
    r"(?:rape|stab|hurt|beat|burn|kill|shoot|attack|hit)\b(?!(?: me)? with (?:a )?(?:lawsuit|suit|fine|ban|report))",
    r"\b(?:afraid|scared|terrified) (?:that )?(?:he|she|they|someone)(?:'ll| will|'s going to| is going to| is gonna|'s gonna|'d| would|'s| is) "
    r"(?:hurt|kill|hit|attack|rape|stab|beat) me\b(?! (?:emotionally|feelings))",
)
_EN_INJURED = (
    # "I took too many pills", "swallowed a whole bottle of pills", "I overdosed", "I cut my wrists",
    # "I just cut myself", "the bleeding won't stop" (not "I want to cut myself", "I used to cut")
    r"\b(?:took|taken|swallowed) (?:too many|so many|a lot of|lots of|all (?:of )?(?:my|the)|a bunch of|a whole bottle of|a bottle of|an entire bottle of|"
    r"half a bottle of|a box of|a pack of|a packet of)"
    r" (?:pills|tablets|meds|medicine|medication|sleeping pills)\b",
    r"\bi(?:'ve| have)? (?:just |already )?(?:overdosed|od'?d|took an overdose|taken an overdose)\b",
    r"\bi(?:'ve| have)? (?:just |already )?(?:cut|slit|slashed) my (?:wrists?|arms?)\b",
    r"\bi(?:'ve| have) (?:just |already )?cut my ?self\b", r"\bi (?:just|already) cut my ?self\b",
    r"\bi cut my ?self (?:again|tonight|today|just now|badly|deep)\b",
    r"\b(?:bleeding|blood) (?:won'?t|will not|doesn'?t|does not|can'?t|cannot) stop\b",
    r"\bcan'?t stop (?:the )?bleeding\b",
)
IDIOMS: tuple[str, ...] = (
    "自殺点", "自殺行為", "じさつてん", "死ぬほど", "しぬほど", "たひる", "たひった", "死ぬかと思った", "死にかけた",
    "死ぬ気で",
)
"""Idioms masked before the patterns run: they never trigger the crisis reply on their own."""

# 行きたくない in kana is いきたくない, which the patterns read as 生きたくない: after a place (「学校いきたくない」
# 「バイトいきたくない」「塾にはいきたくない」「どこにもいきたくない」, as pupils type it: a new user's trial got
# the crisis card) it is going, not living. 「いきたくない」 alone, or after anything else, stays a crisis
# (a missed crisis costs most); 「学校行きたくないし死にたい」 still is one (死にたい is not masked).
_PLACES = ("学校", "がっこう", "塾", "じゅく", "ばいと", "会社", "かいしゃ", "仕事", "しごと", "部活", "ぶかつ", "教室",
           "きょうしつ", "職場", "しょくば", "病院", "びょういん", "保健室", "ほけんしつ", "授業", "じゅぎょう", "大学",
           "だいがく", "高校", "こうこう", "中学", "ちゅうがく", "小学校", "幼稚園", "保育園", "学童", "がくどう", "外",
           "そと", "遊び", "あそび", "旅行", "りょこう", "どこ", "実家", "じっか", "会い", "あい", "買い物", "かいもの",
           "練習", "れんしゅう", "試合", "しあい", "ぷーる", "病院", "歯医者", "はいしゃ", "習い事", "ならいごと")
IDIOM_PATTERNS: tuple[str, ...] = (
    "(?:" + "|".join(re.escape(w) for w in dict.fromkeys(_PLACES)) + r")(?:に|へ|まで)?(?:は|も|とか|なんか)?"
    r"(?:もう|あんまり|あまり|ぜったい|絶対|ほんとに|本当に|まじで)?いきたく",
)
"""Patterns masked like :data:`IDIOMS` (over the normalised text)."""


_FOLD = str.maketrans({"ぁ": "あ", "ぃ": "い", "ぅ": "う", "ぇ": "え", "ぉ": "お"})
_LONG = str.maketrans({"ー": None, "〜": None, "~": None})


_DENIED = re.compile(r"(?:とか|なんて|なんか|って|とは|わけ|訳|たり|りは)(?:は|も|じゃ|では)?"
                     r"(?:考えて|思って|して|思わ|考え)?(?:い)?(?:ない|ません|なか|ねえ)")


# _DENIED, and for danger: a match ends inside its verb (書かれ, 言われ, 来): 「殺すって書かれたわけじゃない」「ばらすと言われてはいない」
# 「殺すって来てない」「書かれたことはない」 deny it; 「書かれて、眠れない」 does not (something comes between)
# (and after a quote: 「殺すぞとは言われてない」「ぶっ殺すとは書かれてない」)
_DENIED_DANGER = re.compile(_DENIED.pattern + r"|(?:(?:と|って)(?:は|も)?(?:言|い|ゆ|書|か)(?:われ|かれ))?"
                            r"(?:た|て|る)(?:わけ|訳|こと|の)?(?:じゃ|では|は|が|も)?(?:い)?(?:ない|ません|なか|ねえ)"
                            # 「家に来るってわけじゃない」「殺すってことではない」
                            r"|って(?:いう)?(?:わけ|訳|こと)(?:じゃ|では|は|が|も)?(?:い)?(?:ない|ません|なか|ねえ)")


class _Alternation:
    """The alternation of ``patterns`` — what ``re.compile("|".join(f"(?:{p})" for p in patterns))``
    finds with ``finditer`` — found by trying, at each position of the text, only the patterns
    that can begin a match with the character there (:func:`_first_of` of Python's own parse of
    each), in their order.

    The same matches, spans and groups: at a position the whole alternation's match is that of
    the first pattern matching there, and a pattern that cannot begin with the position's
    character does not match there, so leaving it out changes nothing; look-behinds and ``^``
    see the whole text (``Pattern.match(text, pos)``); no pattern may match the empty string
    (checked: ``ValueError``). The sub-alternation of each first character is compiled when a
    text first has that character at a position (most are never needed). The crisis scan runs on
    every message: a Japanese message is tried against a few of the ~200 patterns at each
    position instead of all of them (a fifth of the scan's instructions).

    Raises:
        ValueError: a pattern may match the empty string.
    """

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(patterns)
        firsts: list[frozenset[str] | None] = []
        for p in self.patterns:
            tree = _sre_parse.parse(p)
            if tree.getwidth()[0] == 0:
                raise ValueError(f"a crisis pattern must not match the empty string: {p!r}")
            got, _ = (None, False) if tree.state.flags & re.IGNORECASE else _first_of(list(tree))
            firsts.append(None if got is None else frozenset(got))
        self._firsts = tuple(firsts)
        self._known = frozenset(c for f in firsts if f is not None for c in f if c != _DIGIT)
        self._groups: dict[str, re.Pattern[str] | None] = {}  # by a known first character, compiled when first met
        self._digit = self._choose(lambda f: _DIGIT in f)  # any other digit
        self._other = self._choose(lambda f: False)  # any other character

    def _choose(self, begins: Callable[[frozenset[str]], bool]) -> re.Pattern[str] | None:
        """The alternation of the patterns whose first characters are unknown or ``begins`` says
        may begin a match, in order; None when there is none."""
        chosen = [p for p, f in zip(self.patterns, self._firsts, strict=True) if f is None or begins(f)]
        return _compile(chosen) if chosen else None

    def _group(self, c: str) -> re.Pattern[str] | None:
        """The patterns that can begin with the known first character ``c``, compiled once."""
        digit = c.isdecimal()
        rx = self._groups[c] = self._choose(lambda f: c in f or (digit and _DIGIT in f))
        return rx

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """Every match in ``text``, left to right, not overlapping (as ``Pattern.finditer``)."""
        groups, known = self._groups, self._known
        after = 0  # the end of the last match: the scan goes on from there
        for pos, c in enumerate(text):
            if pos < after:
                continue
            if c in groups:
                rx = groups[c]
            elif c in known:
                rx = self._group(c)
            else:
                rx = self._digit if c.isdecimal() else self._other
            if rx is not None and (m := rx.match(text, pos)) is not None:
                yield m
                after = m.end()


def _affirmed(rx: _Alternation, text: str, denied: re.Pattern[str] = _DENIED) -> bool:
    """Whether a match of ``rx`` in ``text`` is not explicitly denied (``denied`` matching) right
    after it (「死にたいとかはないです」「自分を傷つけたりはしてないです」 are answers, not a crisis). A bare
    negation (「死にたくない」) is not a denial: a missed crisis costs most."""
    return any(not denied.match(text, m.end()) for m in rx.finditer(text))


def _compile(patterns: Iterable[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


_DIGIT = "\\d"
"""In a set of first characters (:func:`_first_of`): any decimal digit (``\\d``, ``str.isdecimal``)."""


def _first_of(items: Any) -> tuple[set[str] | None, bool]:
    """(the characters a match of the parsed sequence ``items`` can begin with, whether it can
    match the empty string). The set may hold :data:`_DIGIT`; it is None when it is not a small
    set of known characters (a class such as ``\\w``, a negated set, a wide range, any character,
    case folding). Zero-width items (``\\b``, ``^``, look-arounds) consume nothing: what follows
    them decides, as it does after an optional part (``(?:^|x)し`` begins with x or し)."""
    acc: set[str] = set()
    for op, av in items:
        got, empty = _first_item(op, av)
        if got is None:
            return None, False
        acc |= got
        if not empty:
            return acc, False
    return acc, True


def _first_item(op: Any, av: Any) -> tuple[set[str] | None, bool]:
    """:func:`_first_of` of one parsed item."""
    if op in (_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT):
        return set(), True
    if op is _sre.LITERAL:
        return {chr(av)}, False
    if op is _sre.IN:
        chars: set[str] = set()
        for o, a in av:
            if o is _sre.LITERAL:
                chars.add(chr(a))
            elif o is _sre.RANGE and a[1] - a[0] <= 256:
                chars.update(chr(c) for c in range(a[0], a[1] + 1))
            elif o is _sre.CATEGORY and a is _sre.CATEGORY_DIGIT:
                chars.add(_DIGIT)
            else:
                return None, False
        return chars, False
    if op is _sre.BRANCH:
        union: set[str] = set()
        empty = False
        for alt in av[1]:
            got, alt_empty = _first_of(alt)
            if got is None:
                return None, False
            union |= got
            empty = empty or alt_empty
        return union, empty
    if op is _sre.SUBPATTERN:
        return (None, False) if av[1] & re.IGNORECASE else _first_of(av[3])
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT):
        got, empty = _first_of(av[2])
        return got, got is not None and (empty or av[0] == 0)
    if op is _sre.ATOMIC_GROUP:
        return _first_of(av)
    return None, False


def first_chars(patterns: Iterable[str]) -> frozenset[str] | None:
    """Every character a match of any of ``patterns`` can begin with, from Python's own parse of
    each pattern; None when some pattern's is not a small known set (see :func:`_first_of`; a
    digit class counts as unknown here), or a pattern may match the empty string.

    A text that holds none of these characters has no match of any of the patterns: a single
    character-class search of it stands for all of them.
    """
    union: set[str] = set()
    for p in patterns:
        tree = _sre_parse.parse(p)
        got, empty = (None, False) if tree.state.flags & re.IGNORECASE else _first_of(list(tree))
        if got is None or empty or _DIGIT in got:
            return None
        union |= got
    return frozenset(union)


def _any_of(chars: frozenset[str] | None) -> re.Pattern[str] | None:
    """A search for any one of ``chars`` (None for None: no short cut)."""
    return None if chars is None else re.compile("[" + "".join(re.escape(c) for c in sorted(chars)) + "]")


class CrisisDetector:
    """Decide whether a message needs the crisis reply.

    Args:
        extra_words: words a flow adds (matched as substrings of the normalised text; each must be
            2 or more characters once normalised — shorter ones are ignored).

    The built-in patterns always apply.
    """

    _injured = _Alternation(BUILTIN_INJURED)
    _self = _Alternation(BUILTIN_SELF)
    _danger = _Alternation(BUILTIN_DANGER)
    _en_injured = _compile(_EN_INJURED)
    _en_self = _compile(_EN_SELF)
    _en_danger = _compile(_EN_DANGER)
    _idioms = _compile([*(re.escape(normalize(i)) for i in IDIOMS), *IDIOM_PATTERNS])
    # the English patterns all begin with one of a few ASCII letters: a text with none of them (most
    # Japanese messages) is not searched with them at all (the same verdicts, a fifth of the scan)
    _en_start = _any_of(first_chars(_EN_INJURED + _EN_SELF + _EN_DANGER))

    def __init__(self, extra_words: Iterable[str] = ()) -> None:
        words = {normalize(w) for w in extra_words}
        self.words: tuple[str, ...] = tuple(sorted(w for w in words if len(w) >= 2))
        # one search tells whether any word occurs at all (the usual answer: no); only then is
        # each occurrence checked for a denial after it
        self._any_word = _compile(re.escape(w) for w in self.words) if self.words else None

    def detect(self, norm: str, cleaned: str = "") -> CrisisKind | None:
        """The kind of crisis in a message, or None.

        Args:
            norm: the message after :func:`bot.engine.text.normalize`.
            cleaned: the message lower-cased with spaces kept (for English word boundaries);
                empty to skip the English patterns' word boundaries (``norm`` is used).
        """
        masked = self._idioms.sub("\u3000", norm.translate(_FOLD))
        short = masked.translate(_LONG)  # しにたーい → しにたい
        if _affirmed(self._injured, masked) or (short != masked and _affirmed(self._injured, short)):
            return "injured"
        if _affirmed(self._self, masked) or (short != masked and _affirmed(self._self, short)):
            return "self"
        if (_affirmed(self._danger, masked, _DENIED_DANGER)
                or (short != masked and _affirmed(self._danger, short, _DENIED_DANGER))):
            return "danger"
        en = cleaned or norm
        en = en.replace("’", "'")
        if self._en_start is None or self._en_start.search(en) is not None:  # else none can match
            if self._en_injured.search(en):
                return "injured"
            if self._en_self.search(en):
                return "self"
            if self._en_danger.search(en):
                return "danger"
        if self._any_word is None or self._any_word.search(masked) is None:
            return None
        for w in self.words:
            pos = masked.find(w)
            while pos != -1:
                # denied after the word (「死にたいとは思ってない」), or an English word negated before it
                # ("i am not suicidal", "i dont want to die": the text has no spaces here)
                if not _DENIED.match(masked, pos + len(w)) and not (w.isascii() and _EN_NEGATED.search(masked, 0, pos)):
                    return "word"
                pos = masked.find(w, pos + 1)
        return None
