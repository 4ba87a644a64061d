"""The engine's own user-facing messages, in Japanese and English.

Global command words are listed here too: they are matched after :func:`bot.engine.text.normalize`.
"""

from __future__ import annotations

import unicodedata

from bot.engine.types import CommandName

__all__ = ["COMMAND_WORDS", "DEFAULT_CRISIS_KEYWORDS", "MESSAGES", "command_for", "command_key", "msg"]

MESSAGES: dict[str, dict[str, str]] = {
    "ja": {
        "welcome": "こんにちは。ネットの誹謗中傷や嫌がらせなどについて、相談できる窓口をご案内します。"
                   "いくつか質問にお答えください。いつでも「最初から」「戻る」「ヘルプ」「終了」と送れます。",
        "no_match": "すみません、答えがわかりませんでした。下の選択肢から選ぶか、番号で答えてください。",
        "understood": "「{label}」として進めます。違っていたら「戻る」と送ってください。",
        "ambiguous": "{options}のどれに近いですか？番号か、下の選択肢で答えてください。",
        "kept": "「{label}」は、あとの質問の答えとして受け取りました。いまの質問には、下の選択肢から選ぶか、番号で答えてください。",
        "choice_continue": "相談を続ける",
        "no_number": "{n}番の選択肢はありません。1〜{max}の番号で答えてください。",
        "empty": "メッセージが空でした。下の選択肢から選ぶか、番号で答えてください。",
        "too_long": "詳しく書いてくださってありがとうございます。ここでは内容は保存しません。"
                    "下の選択肢から近いものを選ぶか、番号で答えてください。",
        "unsupported": "スタンプ・画像・ファイルなどは読み取れません（保存もしません）。"
                       "下の選択肢から選ぶか、番号で答えてください。",
        "stale": "このボタンは前の質問のものです。今の質問にお答えください。",
        "back": "ひとつ前の質問に戻ります。",
        "back_none": "これより前の質問はありません。",
        "help": "この相談では、質問に答えると合った相談窓口をご案内します。\n"
                "・選択肢のボタンを押すか、番号（例: 1）を送ってください。\n"
                "・「戻る」ひとつ前の質問へ　・「最初から」はじめから\n"
                "・「終了」相談を終える　・「データ削除」記録をすべて消す\n"
                "・「English」英語に切り替える\n"
                "入力した文章は保存しません。危険を感じたら、すぐに110番（救急は119番）へ。",
        "restart": "最初からご案内します。",
        "stop": "相談を終了しました。またいつでも話しかけてください。つらいときは、ひとりで抱え込まずに相談してください。",
        "forget": "この相談の記録をすべて削除しました。またいつでも話しかけてください。",
        "expired": "前回から時間がたったので、最初からご案内します。",
        "version": "相談の内容が更新されたため、最初からご案内します。",
        "crisis_continue": "落ち着いたら、相談の続きから答えることもできます。",
        "result_next": "ほかにできることはありますか？",
        "fallback_note": "いまの時間に電話やチャットで話せる窓口がほかにないため、24時間つながる「{name}」も載せています。",
        "choice_restart": "最初から相談する",
        "choice_stop": "終了する",
        "choice_back": "ひとつ戻る",
        "lang_switched": "日本語で続けます。",
    },
    "en": {
        "welcome": "Hello. I can point you to consultation windows for online defamation, harassment and "
                   "similar harm. Please answer a few questions. You can send \"restart\", \"back\", "
                   "\"help\" or \"stop\" at any time.",
        "no_match": "Sorry, I did not understand. Please pick one of the choices below, or answer with its number.",
        "understood": "I took that as \"{label}\". If that is wrong, send \"back\".",
        "ambiguous": "Which is closest: {options}? Please answer with a number or pick a choice below.",
        "kept": "I noted \"{label}\" for a later question. For this one, please pick a choice below or answer with its number.",
        "choice_continue": "Continue the consultation",
        "no_number": "There is no choice {n}. Please answer with a number from 1 to {max}.",
        "empty": "The message was empty. Please pick one of the choices below, or answer with its number.",
        "too_long": "Thank you for writing this. Nothing you write is stored here. "
                    "Please pick the closest choice below, or answer with its number.",
        "unsupported": "I cannot read stickers, images or files (and I do not store them). "
                       "Please pick one of the choices below, or answer with its number.",
        "stale": "That button belongs to an earlier question. Please answer the current question.",
        "back": "Going back to the previous question.",
        "back_none": "There is no earlier question.",
        "help": "Answer the questions and I will suggest consultation windows that fit.\n"
                "- Press a button or send its number (e.g. 1).\n"
                "- \"back\": previous question  - \"restart\": start again\n"
                "- \"stop\": end the consultation  - \"forget\": delete all your data\n"
                "- \"日本語\": switch to Japanese\n"
                "Nothing you type is stored. If you are in danger, call 110 now (ambulance: 119).",
        "restart": "Starting again from the beginning.",
        "stop": "The consultation has ended. Talk to me again any time. You do not have to carry this alone.",
        "forget": "All records of this consultation have been deleted. Talk to me again any time.",
        "expired": "It has been a while, so let us start again from the beginning.",
        "version": "The questions have been updated, so let us start again from the beginning.",
        "crisis_continue": "When you feel ready, you can continue the consultation where you left off.",
        "result_next": "Is there anything else I can do?",
        "fallback_note": "No other window here can be reached by phone or chat right now, so \"{name}\", open 24 hours, is included.",
        "choice_restart": "Start again",
        "choice_stop": "End",
        "choice_back": "Go back",
        "lang_switched": "Continuing in English.",
    },
}


def msg(key: str, locale: str, **kw: object) -> str:
    """A message in ``locale`` (Japanese fallback), formatted with ``kw``."""
    text = MESSAGES.get(locale, MESSAGES["ja"]).get(key) or MESSAGES["ja"][key]
    return text.format(**kw) if kw else text


# The words as people type them. They are looked up through command_for(), which normalises
# both the table and the message the same two ways (tests/engine/test_commands.py checks every word).
COMMAND_WORDS: dict[str, CommandName] = {
    **dict.fromkeys(["最初から", "さいしょから", "はじめから", "初めから", "始めから", "restart", "reset",
                     "startover", "start", "/start", "/restart", "もう一度", "もういちど", "リセット"], CommandName.RESTART),
    **dict.fromkeys(["戻る", "もどる", "back", "戻って", "前へ", "ひとつ戻る", "一つ戻る", "/back"], CommandName.BACK),
    **dict.fromkeys(["へるぷ", "help", "助けて使い方", "使い方", "つかいかた", "?", "？", "/help", "ヘルプ"], CommandName.HELP),
    **dict.fromkeys(["終了", "しゅうりょう", "おわり", "終わり", "やめる", "stop", "end", "quit", "exit",
                     "/stop", "/end"], CommandName.STOP),
    **dict.fromkeys(["でーた削除", "データ削除", "でーたさくじょ", "記録を消して", "forget", "deletemydata",
                     "delete my data", "/forget", "/delete", "データを削除", "データを消して"], CommandName.FORGET),
    **dict.fromkeys(["english", "英語", "えいご"], CommandName.LANG_EN),
    **dict.fromkeys(["日本語", "にほんご", "japanese"], CommandName.LANG_JA),
}



def command_key(text: str) -> str:
    """The form command words are compared in: NFKC, lower case, katakana folded to hiragana,
    spaces and invisible characters removed, trailing 「。」「！」 dropped — but ``/`` and ``?``
    kept, so that 「?」, 「？」 and ``/start`` can match."""
    return unicodedata.normalize("NFKC", text).lower().translate(_KEY).rstrip("。.!！、,")


class _Key(dict[int, "int | None"]):
    """``str.translate`` table for :func:`command_key`, filled on first sight of a character."""

    def __missing__(self, o: int) -> int | None:
        ch = chr(o)
        out = None if ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Mn") else (
            o - 0x60 if 0x30A1 <= o <= 0x30F6 else o)
        if len(self) < 50_000:
            self[o] = out
        return out


_KEY = _Key()


def _tables() -> tuple[dict[str, CommandName], dict[str, CommandName]]:
    from bot.engine.text import normalize

    keyed = {command_key(w): c for w, c in COMMAND_WORDS.items()}
    # "/start" style words only as typed: without the slash "delete" or "start" may be an answer
    normed = {normalize(w): c for w, c in COMMAND_WORDS.items() if normalize(w) and not w.startswith(("/", "?", "？"))}
    return keyed, normed


_BY_KEY, _BY_NORM = _tables()


def command_for(text: str) -> CommandName | None:
    """The global command a whole message is (「戻る」, "/start", 「？」, 「データ削除。」), else None.

    Messages longer than 60 characters are never commands."""
    if len(text) > 60:
        return None
    key = command_key(text)
    if key in _BY_KEY:
        return _BY_KEY[key]
    from bot.engine.text import normalize

    norm = normalize(text)
    return _BY_NORM.get(norm) if norm and len(norm) <= 30 else None


# Used when a flow defines no `crisis` section. Matched as substrings of normalised text.
DEFAULT_CRISIS_KEYWORDS: tuple[str, ...] = (
    "死にたい", "しにたい", "死のう", "消えたい", "きえたい", "自殺", "じさつ", "自傷", "りすか",
    "リスカ", "首を吊", "飛び降り", "とびおり", "殺される", "ころされる", "殺すと言われ", "今すぐ助けて",
    "生きていたくない", "いきていたくない", "生きられない", "生きる意味がない", "生きていけない", "消えてしまいたい",
    "首吊り", "首つり", "くびつり", "odした", "odしそう", "odしたい", "オーバードーズ", "過量服薬", "薬を大量",
    "suicide", "killmyself", "wanttodie", "wannadie", "selfharm", "hurtmyself", "endmylife", "enditall",
    "dontwanttolive", "overdose", "shinitai", "kietai",
)
