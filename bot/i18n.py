"""Localised text: YAML text values (:data:`Text`, :func:`pick`) and the one catalogue of the
program's own words (:func:`t`).

A ``Text`` in YAML is either a plain string (written in the file's default locale, Japanese
unless the file says otherwise) or a mapping of locale codes to strings::

    label: はい                      # Japanese only
    label: {ja: はい, en: "Yes"}     # with an English translation

The catalogue holds every message the program itself says to people (not the flows' and the
directory's words, which live in YAML), under one key per message in namespaces: ``engine.*``
(the conversation engine; ``engine.handoff.*`` its hand-off part), ``line.*``, ``discord.*`` and
``web.*`` (the adapters and the simulator). ``t("engine.welcome", "en")``.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

LOCALES: tuple[str, ...] = ("ja", "en")
DEFAULT_LOCALE = "ja"


def _blank(k: str) -> ValueError:
    return ValueError(f"the {k!r} text is empty or blank; write the text (LINE refuses an empty message), "
                      "or leave the key out — note that an unquoted # starts a YAML comment")


def _to_map(value: Any) -> dict[str, str]:
    if isinstance(value, str):
        if not value.strip():
            raise _blank(DEFAULT_LOCALE)
        return {DEFAULT_LOCALE: value}
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for k, v in value.items():
            if k not in LOCALES:
                raise ValueError(f"unknown locale {k!r}; use one of {', '.join(LOCALES)}")
            if not isinstance(v, str):
                raise ValueError(f"text for locale {k!r} must be a string, not {type(v).__name__} {v!r}; quote it")
            if not v.strip():
                raise _blank(k)
            out[k] = v
        if DEFAULT_LOCALE not in out:
            raise ValueError(f"the {DEFAULT_LOCALE!r} text is required")
        return out
    raise ValueError(f"expected text or a mapping of locale to text, not {type(value).__name__} {value!r}; quote it")


def _serialize(value: dict[str, str]) -> str | dict[str, str]:
    return value[DEFAULT_LOCALE] if list(value) == [DEFAULT_LOCALE] else value


Text = Annotated[dict[str, str], BeforeValidator(_to_map), PlainSerializer(_serialize)]
"""A localised string: ``{"ja": "...", "en": "..."}`` (``ja`` required)."""


def pick(text: dict[str, str], locale: str) -> str:
    """Return ``text`` in ``locale``, falling back to Japanese.

    Args:
        text: a localised text mapping (see :data:`Text`).
        locale: a locale code such as ``"ja"`` or ``"en"``.
    """
    return text.get(locale) or text[DEFAULT_LOCALE]


# ------------------------------------------------------------------ the catalogue
# One table per namespace, each {locale: {key: text}}; keys are written without the namespace
# prefix here and looked up with it (t("engine.welcome", ...)). Japanese is complete in every
# table (it is the fallback); tests/test_i18n.py checks that every other locale has the same
# keys and the same {placeholders}.

_ENGINE: dict[str, dict[str, str]] = {
    "ja": {
        "welcome": "こんにちは。ネットの誹謗中傷や嫌がらせなどについて、相談できる窓口をご案内します。"
                   "いくつか質問にお答えください。いつでも「最初から」「戻る」「ヘルプ」「終了」と送れます。",
        "no_match": "すみません、答えがわかりませんでした。下の選択肢から選ぶか、番号で答えてください。",
        "no_match_feeling": ("送ってくれてありがとうございます。つらいときも、ここで一緒に相談先をさがせます。"
                             "いま危険がせまっているときは、すぐに110番してください。"
                             "続けるには、下の選択肢から近いものを選ぶか、番号で答えてください。"),
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
        "previous_answer": "（前回の答え: {label}）",
        "option": "{n}.「{label}」",
        "list_sep": "、",
        "crisis_default": "いまのあなたの安全がいちばん大切です。危険が迫っているときは110番、けがや体調が心配なときは119番へ。",
    },
    "en": {
        "welcome": "Hello. I can point you to consultation windows for online defamation, harassment and "
                   "similar harm. Please answer a few questions. You can send \"restart\", \"back\", "
                   "\"help\" or \"stop\" at any time.",
        "no_match": "Sorry, I did not understand. Please pick one of the choices below, or answer with its number.",
        "no_match_feeling": ("Thank you for sending that. Even when things are hard, we can look for the right "
                             "place to talk together here. If you are in danger right now, call 110 at once. "
                             "To go on, pick the closest choice below or answer with its number."),
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
        "previous_answer": " (your previous answer: {label})",
        "option": '{n}. "{label}"',
        "list_sep": ", ",
        "crisis_default": "Your safety comes first. If you are in danger call 110; for injury or a medical emergency call 119.",
    },
}

_HANDOFF: dict[str, dict[str, str]] = {
    "ja": {
        "offer_counsellor": "相談員と話す",
        "offer_moderator": "モデレーターに知らせる",
        "yes": "伝えてつなぐ",
        "no": "やめておく",
        "cancel": "やっぱりやめる",
        "closed": "{team}は{hours}に対応しています（次は{next}から）。いまは上の窓口をご利用ください。",
        "consent": "{team}に、次のことだけを伝えます。あなたが書いた文章は伝えません。\n{summary}\n"
                   "伝えてよければ「伝えてつなぐ」を押してください。",
        "requested": "{team}に伝えました。{minutes}分以内に対応できる人がいないときは、ここでお知らせします。"
                     "取り消すときは「やっぱりやめる」と送ってください。",
        "requested_moderator": "{team}に伝えました。モデレーターからDMで連絡があります。"
                               "{minutes}分以内に対応できる人がいないときは、ここでお知らせします。"
                               "取り消すときは「やっぱりやめる」と送ってください。",
        "declined": "わかりました。引き継ぎはしません。",
        "withdrawn": "引き継ぎを取り消しました。{team}には取り消したことだけが伝わります。",
        "withdrawn_by_end": "{team}への引き継ぎも取り消しました。",
        "timed_out": "ごめんなさい。{team}は、いま対応できる人がいませんでした。24時間つながる窓口はこちらです。",
        "timed_out_text": "24時間つながる窓口です。",
        "taken": "{team}の人が対応します。このまま少しお待ちください。",
        "taken_moderator": "{team}の人が対応します。DMで連絡がありますので、少しお待ちください。",
        "released": "{team}との会話が終わりました。ほかにできることはありますか？",
        "pending": "{team}に伝えてあります。対応できる人を待っています。",
        "line_urgency": "緊急度",
        "line_result": "結果",
        "line_answers": "選んだ答え",
        "line_windows": "案内した窓口",
        "line_time": "時刻",
        "field_sep": "：",
        "answers_sep": "、",
        "windows_sep": "、",
        "next_unknown": "未定",
        "urgency_immediate": "いますぐ（immediate）",
        "urgency_high": "高い（high）",
        "urgency_normal": "通常（normal）",
    },
    "en": {
        "offer_counsellor": "Talk to a counsellor",
        "offer_moderator": "Tell a moderator",
        "yes": "Share and connect",
        "no": "Not now",
        "cancel": "Cancel the hand-off",
        "closed": "{team} are there {hours} (next from {next}). For now, please use the windows above.",
        "consent": "I will tell {team} only this. Nothing you wrote is shared.\n{summary}\n"
                   "If that is all right, press \"Share and connect\".",
        "requested": "{team} have been told. If nobody can take it within {minutes} minutes, I will tell you here. "
                     "To cancel, send \"cancel\".",
        "requested_moderator": "{team} have been told. A moderator will send you a DM. If nobody can take it "
                               "within {minutes} minutes, I will tell you here. To cancel, send \"cancel\".",
        "declined": "All right. Nothing is shared.",
        "withdrawn": "The hand-off is cancelled. {team} are told only that it was cancelled.",
        "withdrawn_by_end": "The hand-off to {team} is cancelled too.",
        "timed_out": "Sorry: nobody of {team} could take it right now. These lines are open 24 hours.",
        "timed_out_text": "Lines open 24 hours.",
        "taken": "Someone of {team} is taking it. Please wait a moment here.",
        "taken_moderator": "Someone of {team} is taking it and will send you a DM. Please wait a moment.",
        "released": "The conversation with {team} has ended. Is there anything else I can do?",
        "pending": "{team} have been told; waiting for someone to take it.",
        "line_urgency": "Urgency",
        "line_result": "Result",
        "line_answers": "Answers picked",
        "line_windows": "Windows shown",
        "line_time": "Time",
        "field_sep": ": ",
        "answers_sep": "; ",
        "windows_sep": ", ",
        "next_unknown": "not known",
        "urgency_immediate": "immediate",
        "urgency_high": "high",
        "urgency_normal": "normal",
    },
}

_LINE: dict[str, dict[str, str]] = {"ja": {}, "en": {}}
"""The LINE adapter's own words (``line.*``)."""

_DISCORD: dict[str, dict[str, str]] = {"ja": {}, "en": {}}
"""The Discord adapter's own words (``discord.*``)."""

_WEB: dict[str, dict[str, str]] = {"ja": {}, "en": {}}
"""The browser simulator's own words (``web.*``)."""

NAMESPACES: dict[str, dict[str, dict[str, str]]] = {
    "engine": _ENGINE, "engine.handoff": _HANDOFF, "line": _LINE, "discord": _DISCORD, "web": _WEB,
}
"""Namespace → its table ({locale: {key: text}})."""

CATALOGUE: dict[str, dict[str, str]] = {
    loc: {f"{ns}.{k}": v for ns, table in NAMESPACES.items() for k, v in table.get(loc, {}).items()}
    for loc in LOCALES
}
"""Locale → full key (``"engine.welcome"``) → text; the data behind :func:`t`."""

_FALLBACK = CATALOGUE[DEFAULT_LOCALE]


def t(key: str, locale: str, **kw: object) -> str:
    """The catalogue text for ``key`` in ``locale``, formatted with ``kw`` (``str.format``).

    Args:
        key: a full catalogue key such as ``"engine.welcome"`` or ``"engine.handoff.consent"``.
        locale: a locale code (``"ja"``, ``"en"``); an unknown locale, or a key the locale does not
            translate, gives the Japanese text.
        kw: values for the text's ``{placeholders}``; without them the text is returned as written.

    Raises:
        KeyError: ``key`` is not in the catalogue (a programming error: tests meet it first).
    """
    text = (CATALOGUE.get(locale) or _FALLBACK).get(key) or _FALLBACK.get(key)
    if text is None:
        raise KeyError(f"no catalogue text {key!r} (see bot/i18n.py)")
    return text.format(**kw) if kw else text
