"""Global command words (「戻る」, "/start", 「データ削除」…) and the default crisis keywords.

The engine's own messages are in the catalogue, :func:`bot.i18n.t` (``engine.*``).
"""

from __future__ import annotations

import unicodedata

from bot.engine.text import FoldTable, normalize
from bot.engine.types import CommandName

__all__ = ["COMMAND_WORDS", "DEFAULT_CRISIS_KEYWORDS", "FORGET_NO", "FORGET_PENDING", "FORGET_PENDING_AWAY",
           "FORGET_YES", "WRONG_WORDS",
           "command_for", "command_key", "forget_answer", "forget_named", "forget_pending", "is_maybe_stop", "is_wrong", "vague"]

# The words as people type them. They are looked up through command_for(), which normalises
# both the table and the message the same two ways (tests/engine/test_commands.py checks every word).
COMMAND_WORDS: dict[str, CommandName] = {
    **dict.fromkeys(["最初から", "さいしょから", "はじめから", "初めから", "始めから", "restart", "reset",
                     "startover", "start", "/start", "/restart", "もう一度", "もういちど", "リセット",
                     "相談をはじめる", "相談を始める", "そうだんをはじめる", "start a consultation"], CommandName.RESTART),
    **dict.fromkeys(["戻る", "もどる", "back", "戻って", "前へ", "ひとつ戻る", "一つ戻る", "/back",
                     # as people type it (a trial: 「やっぱ戻る」「まえにもどりたい」 got 「答えがわかりませんでした」)
                     "やっぱ戻る", "やっぱり戻る", "やっぱもどる", "やっぱりもどる", "戻りたい", "もどりたい", "前に戻る", "まえにもどる",
                     "前に戻りたい", "まえにもどりたい", "前に戻って", "まえにもどって", "戻してください", "戻して", "もどして",
                     "ひとつ前に戻る", "一つ前に戻る", "ひとつ前に戻って", "前の質問に戻る", "前の質問に戻りたい", "ひとつ前", "一つ前",
                     "戻ってください", "もどってください", "戻ります", "もどります",
                     "go back", "goback", "previous", "previous question", "undo"], CommandName.BACK),
    **dict.fromkeys(["へるぷ", "help", "助けて使い方", "使い方", "つかいかた", "?", "？", "/help", "ヘルプ",
                     # the rich menu's 「使い方・データ削除」 area typed (it shows the help, which says how to delete)
                     "使い方・データ削除", "how to use / delete my data", "help / delete data"], CommandName.HELP),
    **dict.fromkeys(["終了", "しゅうりょう", "おわり", "終わり", "やめる", "stop", "end", "quit", "exit",
                     "/stop", "/end"], CommandName.STOP),
    **dict.fromkeys(["でーた削除", "データ削除", "でーたさくじょ", "記録を消して", "forget", "deletemydata",
                     "delete my data", "/forget", "/delete", "データを削除", "データを消して", "記録を削除", "履歴を消して",
                     "履歴を削除", "会話を消して", "会話を削除",
                     # without を, as typed on a phone (a trial: 「データ消して」「履歴消して」「私のデータ消してください」
                     # were taken as the goal 「消してほしい」; the command asks first which is meant)
                     "データ消して", "データ消す", "データを消す", "データ消去", "データを消去", "データ削除して", "履歴消して", "履歴消す",
                     "履歴を消す", "履歴削除", "記録消して", "記録を消す", "記録削除", "会話消して", "会話削除", "会話履歴を消して",
                     "会話履歴消して", "チャット履歴を消して", "チャット履歴消して", "相談の記録を消して", "この相談の記録を消して",
                     "delete my history", "delete my chat", "erase my data", "clear my data", "clear my history"], CommandName.FORGET),
    **dict.fromkeys(["いま受付中", "今受付中", "いまうけつけちゅう", "窓口をさがす（いま受付中）", "窓口をさがす", "窓口を探す",
                     "まどぐちをさがす", "open now", "windows open now", "/open", "/opennow", "find a window",
                     "find a window (open now)"], CommandName.OPEN_NOW),
    # the rich menu's 「いますぐ助けが必要」 / "I need help now" typed: the danger reply, as the menu area gives it
    **dict.fromkeys(["いますぐ助けが必要", "今すぐ助けが必要", "いますぐたすけがひつよう", "いますぐ助けが必要です", "今すぐ助けが必要です",
                     "i need help now", "help now", "/helpnow"], CommandName.HELP_NOW),
    **dict.fromkeys(["english", "英語", "えいご"], CommandName.LANG_EN),
    **dict.fromkeys(["日本語", "にほんご", "japanese"], CommandName.LANG_JA),
}


def command_key(text: str) -> str:
    """The form command words are compared in: NFKC, lower case, katakana folded to hiragana,
    spaces and invisible characters removed, trailing 「。」「！」 dropped — but ``/`` and ``?``
    kept, so that 「?」, 「？」 and ``/start`` can match."""
    return unicodedata.normalize("NFKC", text).lower().translate(_KEY).rstrip("。.!！、,")


# spaces, control/format characters and combining marks go; punctuation and symbols stay
_KEY = FoldTable(frozenset({"Cc", "Cf", "Mn"}))


def _tables() -> tuple[dict[str, CommandName], dict[str, CommandName]]:
    keyed = {command_key(w): c for w, c in COMMAND_WORDS.items()}
    # "/start" style words only as typed: without the slash "delete" or "start" may be an answer
    normed = {normalize(w): c for w, c in COMMAND_WORDS.items() if normalize(w) and not w.startswith(("/", "?", "？"))}
    return keyed, normed


_BY_KEY, _BY_NORM = _tables()


# A request to delete one's data said politely (「データを消してください」「私のデータを削除して」
# "please delete my data") is the command too; only for FORGET, whose words are unmistakable, in
# command_key's form (so no spaces, katakana as hiragana)
_POLITE_BEFORE = ("私の", "わたしの", "僕の", "ぼくの", "俺の", "おれの", "自分の", "じぶんの", "please", "my")
_POLITE_AFTER = ("をお願いします", "をおねがいします", "お願いします", "おねがいします", "してください", "して下さい",
                 "してほしいです", "してほしい", "ほしいです", "ほしい", "ください", "下さい", "して", "please", "pls")


# every such form, made once (2,464 strings): one set look-up per message instead of trying each
# prefix and suffix (~27 str.startswith/endswith calls, ~30k instructions on every typed message)
_POLITE_FORGET = frozenset(before + key + after for key, c in _BY_KEY.items() if c is CommandName.FORGET
                           for before in ("", *_POLITE_BEFORE) for after in ("", *_POLITE_AFTER))


# 「ちがう」 and the like: "that is not right". The bot says 「違っていたら「戻る」と送ってください」, so a
# person answers 「ちがう」 (a trial: it was read as the answer 「わからない」 and the conversation went
# on). Alone it is 戻る only where it is no answer (Engine: not at the first question, nor where a
# choice names it, e.g. 「東京にいますか？」's 「ちがう」); before a word of BACK
# (「ちがう、やっぱ戻る」) it is 戻る everywhere. In command_key's form.
_WRONG = tuple(command_key(w) for w in (
    "ちがう", "違う", "ちがいます", "違います", "ちゃう", "ちゃいます", "ちがうよ", "違うよ", "ちがうって", "違うって", "ちがった", "違った",
    "ちがいました", "違いました", "まちがえた", "間違えた", "まちがえました", "間違えました", "まちがった", "間違った", "間違い", "まちがい",
    "押し間違えた", "おしまちがえた", "押し間違い", "いや違う", "いやちがう", "それ違う", "それちがう", "それは違う", "それはちがう",
    "wrong", "thatswrong", "that'swrong", "thatiswrong", "nothatswrong", "no,that'swrong", "notthat", "mistake", "oops"))
WRONG_WORDS = frozenset(_WRONG)
_BACK_AFTER_WRONG = frozenset(w + sep + key for w in (*_WRONG, "いや", "あ", "あっ", "no") for sep in ("", "、", ",", "。", "!", "！", "…")
                              for key, c in _BY_KEY.items() if c is CommandName.BACK and not key.startswith("/"))


# 「もういい」 and the like: may mean "stop", may mean giving up (a breaker's finding: it got
# 「答えがわかりませんでした」 and the same question). Never taken as 終了 (nobody is dropped on a
# guess): the engine asks, with 「終了する」 beside the question. In command_key's form.
_MAYBE_STOP = frozenset(command_key(w) for w in (
    "もういい", "もういいです", "もういいや", "もういいよ", "もういいわ", "もういいって", "もういいです。", "もうええ", "もうええわ", "もうええて",
    "もう結構", "もう結構です", "もうけっこう", "もうけっこうです", "もういらない", "もういいから", "いいや", "もうやだ", "もういや",
    "nevermind", "never mind", "forget it", "whatever", "i give up"))


def is_maybe_stop(text: str) -> bool:
    """Whether the whole message may mean "stop" without saying it (「もういい」「もう結構です」, "never
    mind"): the engine asks whether to end (never ends on it)."""
    return len(text) <= 30 and command_key(text) in _MAYBE_STOP


# Vague answers (a breaker's finding: each got 「答えがわかりませんでした」 and the same list): more than one
# applies, or the person is unsure. In command_key's form, with the endings people add.
_ENDINGS = ("", "です", "かな", "かも", "かなあ", "かなぁ", "…", "...", "ですね", "だと思う", "やな", "っす")
_VAGUE = {
    "both": ("どっちも", "どちらも", "両方", "りょうほう", "全部", "ぜんぶ", "全部あてはまる", "全部当てはまる", "どれもあてはまる",
             "どれも当てはまる", "いろいろ", "色々", "どっちもある", "両方ある", "全部ある", "both", "all of them", "all", "everything"),
    "unsure": ("たぶん", "多分", "わかんない", "わからない", "分からない", "わかりません", "分かりません", "よくわからない",
               "よく分からない", "微妙", "びみょう", "うーん", "うーむ", "んー", "どうだろう", "どうかな", "迷う", "迷ってる", "迷います",
               "決められない", "きめられない", "自信ない", "なんとも", "なんとも言えない", "さあ", "どれだろう", "わからん", "わかんね",
               "idk", "not sure", "maybe", "dunno", "i dont know", "i don't know", "no idea"),
}
_VAGUE_KEYS = {command_key(w + end): kind for kind, words in _VAGUE.items() for w in words for end in _ENDINGS}


def vague(text: str) -> str | None:
    """``"both"`` for a whole message saying more than one choice applies (「どっちも」「両方」「全部」),
    ``"unsure"`` for one saying the person is not sure (「たぶん」「わかんない」「微妙」), else None.
    Only where it answers nothing (a choice 「わからない」 of the question comes first)."""
    return _VAGUE_KEYS.get(command_key(text)) if len(text) <= 30 else None


def is_wrong(text: str) -> bool:
    """Whether the whole message says "that is not right" (「ちがう」「間違えた」, "wrong"): the
    engine takes it as 戻る where it is not an answer."""
    return len(text) <= 30 and command_key(text) in WRONG_WORDS


def command_for(text: str, norm: str | None = None) -> CommandName | None:
    """The global command a whole message is (「戻る」, "/start", 「？」, 「データ削除。」, and a
    request to delete one's data said politely: 「データを消してください」), else None.

    Args:
        text: the message as typed.
        norm: ``normalize(text)`` when the caller has it already (it is not computed again).

    Messages longer than 60 characters are never commands."""
    if len(text) > 60:
        return None
    key = command_key(text)
    if key in _BY_KEY:
        return _BY_KEY[key]
    if key in _POLITE_FORGET:
        return CommandName.FORGET
    if key in _BACK_AFTER_WRONG:  # 「ちがう、やっぱ戻る」
        return CommandName.BACK
    if norm is None:
        norm = normalize(text)
    return _BY_NORM.get(norm) if norm and len(norm) <= 30 else None


# ---------------------------------------------------------------- asking before deleting

FORGET_PENDING = ":forget"
"""The id in :attr:`bot.engine.types.Session.clarify` when the last reply asked whether to delete
the person's data (「消す」/「やめる」): a state id, never anything typed."""

FORGET_PENDING_AWAY = ":forget-away"
"""The id in ``clarify`` when that question was shown where the person does not type (a Discord
slash command's private reply in a server, while typed messages come from the DM): a bare 「1」
「はい」 typed later answers the question shown where it is typed, so only the question's buttons or
words that name deleting or keeping (「消す」「やめる」) answer it (breaker §6)."""


def forget_pending(clarify: list[str]) -> bool:
    """Whether the last reply asked whether to delete the person's data (either pending id)."""
    return clarify == [FORGET_PENDING] or clarify == [FORGET_PENDING_AWAY]


FORGET_YES, FORGET_NO = ":forget-yes", ":forget-no"
"""Choice ids of the two buttons of that question (the ``:`` marks them as the engine's own)."""

# Typed answers to that question, in command_key's form. Anything unclear is neither: the message is
# then read as usual (the consultation goes on) and nothing is deleted. Those that name deleting
# (_FORGET_NAMED) say it wherever they are typed; a bare 「はい」「1」 "ok" (_FORGET_BARE_YES) answers
# whatever question the person has in front of them, so only where the deletion question is that
# (not typed to a counsellor who holds the conversation: breaker §5).
_FORGET_NAMED = frozenset(command_key(w) for w in (
    "消す", "けす", "消します", "けします", "消して", "けして", "消してください", "消してほしい", "削除", "削除する", "削除します",
    "削除して", "削除してください", "はい消す", "はい、消す", "はい消します", "うん消す", "うん、消す",
    "delete", "deleteit", "yesdelete"))
_FORGET_BARE_YES = frozenset(command_key(w) for w in (
    "はい", "お願いします", "おねがいします", "うん", "ええ", "1", "１", "yes", "y", "ok", "okay"))
_FORGET_NO_NAMED = frozenset(command_key(w) for w in (
    "やめる", "やめます", "やめて", "やめとく", "やめておく", "やめときます", "消さない", "けさない", "消さないで",
    "消さないでください", "削除しない", "削除しないで", "いらない", "キャンセル",
    "cancel", "keep", "dontdelete", "donotdelete", "nevermind"))
# 「データ削除やめて」「記録は消さないで」「やっぱり削除しないでください」: keep, said in words that name
# deleting and deny it (each core with a subject before and a politeness after it: 2,520 strings, made once)
_KEEP_CORES = ("消さないで", "削除しないで", "消去しないで", "削除やめて", "削除はやめて", "削除をやめて", "消すのやめて",
               "消すのはやめて", "削除するのやめて", "削除するのはやめて", "消すな", "削除するな", "消さない", "削除しない",
               "消さなくていい", "削除しなくていい", "消しちゃだめ", "削除しちゃだめ", "消したらだめ", "消さなくていいです",
               "dontdeleteit", "don'tdeleteit", "donotdeleteit", "dontdeletemydata", "don'tdeletemydata",
               "dontdeleteanything", "don'tdeleteanything", "stopdeleting")
_KEEP_BEFORE = ("", "データ", "データを", "データは", "記録", "記録を", "記録は", "履歴", "履歴を", "履歴は", "やっぱり", "やっぱ",
                "やっぱりデータ", "やっぱりデータは", "やっぱり記録は", "いや", "いや、", "please")
_KEEP_AFTER = ("", "ください", "下さい", "ほしい", "please")
_FORGET_KEEP = frozenset(command_key(b + c + a) for c in _KEEP_CORES for b in _KEEP_BEFORE for a in _KEEP_AFTER)
_FORGET_BARE_NO = frozenset(command_key(w) for w in ("いいえ", "いや", "ううん", "2", "２", "no", "n"))


def forget_answer(text: str, bare: bool = True) -> bool | None:
    """How a typed message answers 「この相談の記録を消しますか？」: True (delete: 「消す」, 「はい」, 1,
    or the deletion command again), False (keep: 「やめる」, 「いいえ」, 2), None (neither: the message
    is then read as it would be at the question before).

    Args:
        text: the message as typed.
        bare: whether a bare 「はい」「1」「いいえ」「2」 counts (False where the question was not shown
            in the chat the message was typed in: :data:`FORGET_PENDING_AWAY`)."""
    if len(text) > 60:
        return None
    key = command_key(text)
    if key in _FORGET_NAMED or (bare and key in _FORGET_BARE_YES):
        return True
    if key in _FORGET_NO_NAMED or key in _FORGET_KEEP or (bare and key in _FORGET_BARE_NO):
        return False
    return True if command_for(text) is CommandName.FORGET else None


def forget_named(text: str) -> bool:
    """Whether a typed message asks to delete in words that name deleting (「消す」「削除して」
    "delete", the deletion command), not a bare 「はい」「1」 "ok" that may answer something else."""
    if len(text) > 60:
        return False
    return command_key(text) in _FORGET_NAMED or command_for(text) is CommandName.FORGET


# Used when a flow defines no `crisis` section. Matched as substrings of normalised text.
DEFAULT_CRISIS_KEYWORDS: tuple[str, ...] = (
    "死にたい", "しにたい", "死のう", "消えたい", "きえたい", "自殺", "じさつ", "自傷", "りすか",
    "リスカ", "首を吊", "飛び降り", "とびおり", "殺される", "ころされる", "殺すと言われ", "今すぐ助けて",
    "生きていたくない", "いきていたくない", "生きられない", "生きる意味がない", "生きていけない", "消えてしまいたい",
    "首吊り", "首つり", "くびつり", "odした", "odしそう", "odしたい", "オーバードーズ", "過量服薬", "薬を大量",
    "suicide", "killmyself", "wanttodie", "wannadie", "selfharm", "hurtmyself", "endmylife", "enditall",
    "dontwanttolive", "overdose", "shinitai", "kietai",
)
