"""Localised text: YAML text values (:data:`Text`, :func:`pick`) and the one catalogue of the
program's own words (:func:`t`).

A ``Text`` in YAML is either a plain string (written in the file's default locale, Japanese
unless the file says otherwise) or a mapping of locale codes to strings::

    label: はい                      # Japanese only
    label: {ja: はい, en: "Yes"}     # with an English translation

The catalogue holds every message the program itself says to people (not the flows' and the
directory's words, which live in YAML), under one key per message in namespaces: ``engine.*``
(the conversation engine; ``engine.handoff.*`` its hand-off part), ``contacts.*`` (a window's status on
its card), ``adapters.*`` (words every adapter says), ``line.*``, ``discord.*`` and
``web.*`` (the adapters and the simulator). ``t("engine.welcome", "en")``.
"""

from __future__ import annotations

from collections.abc import Sequence
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

# the warm words for a message that carries a feeling (「つらい」, 😭): alone before the question again
# (engine.no_match_feeling), or before what was kept of the same message (engine.feeling + engine.kept)
_FEELING_JA = ("送ってくれてありがとうございます。つらいときも、ここで一緒に相談先をさがせます。"
               "いま危険がせまっているときは、すぐに110番してください。")
_FEELING_EN = ("Thank you for sending that. Even when things are hard, we can look for the right "
               "place to talk together here. If you are in danger right now, call 110 at once.")

_ENGINE: dict[str, dict[str, str]] = {
    "ja": {
        "welcome": "こんにちは。ネットの誹謗中傷や嫌がらせなどについて、相談できる窓口をご案内します。"
                   "いくつか質問にお答えください。いつでも「最初から」「戻る」「ヘルプ」「終了」と送れます。",
        "no_match": "すみません、答えがわかりませんでした。下の選択肢から選ぶか、番号で答えてください。",
        "no_match_feeling": _FEELING_JA + "続けるには、下の選択肢から近いものを選ぶか、番号で答えてください。",
        "feeling": _FEELING_JA,
        "understood": "「{label}」として進めます。違っていたら「戻る」と送ってください。",
        "ambiguous": "{options}のどれに近いですか？番号か、下の選択肢で答えてください。",
        "kept": "{labels}は、あとの質問の答えとして受け取りました。いまの質問には、下の選択肢から選ぶか、番号で答えてください。",
        "kept_many": "{labels}は、あとの質問の答えとして受け取りました。いまの質問には、下の選択肢から選ぶか、番号で答えてください。",
        "safety_plain": "先に、ひとつだけ確かめさせてください。いま、身の危険を感じていますか？"
                        "（相手があなたの家や学校を知っている・会いに来ると言われた・「殺す」「ばらす」と脅されている、など）\n"
                        "72時間以内の性的な被害や、死にたい気持ちがあるときは、そう書いてください。",
        "safety_yes": "はい、危険を感じる",
        "safety_no": "いいえ、ない",
        "safety_home": "住所や家が相手に知られているなら、いまの質問の「危険を感じる」にあてはまります。",
        "quoted": "「{label}」",
        "quoted_sep": "、",
        "quoted_last": "、",
        "choice_continue": "相談を続ける",
        "choice_also": "「{label}」も相談する",
        "choice_more": "ほかの窓口（{n}件）",
        "more_windows": "ほかの窓口です（{n}件）。上の窓口につながらないときや、ほかも知りたいときにどうぞ。",
        "more_none": "この結果の窓口は、上にすべて載せています。",
        "also_note": "この案内は「{taken}」についてです。「{said}」とも書かれていたので、「{other}」のことも、下のボタンから続けて相談できます。",
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
                "・「いま受付中」いま話せる窓口　・「English」英語に切り替える\n"
                "入力した文章は保存しません。危険を感じたら、すぐに110番（救急は119番）へ。",
        "restart": "最初からご案内します。",
        "open_now_found": "いま受付中の窓口です（{n}件）。電話やチャットで、いま話せます。",
        "open_now_none": "いま受付中の窓口が見つかりませんでした。24時間つながる窓口です。",
        "open_now_continue": "相談の続きは、こちらの質問からどうぞ。",
        "stop": "相談を終了しました。またいつでも話しかけてください。つらいときは、ひとりで抱え込まずに相談してください。",
        "forget": "この相談の記録をすべて削除しました。またいつでも話しかけてください。",
        "forget_confirm": "このボットに残っている、この相談の記録（これまでの答え）をすべて消しますか？\n"
                          "ネットに載せられた投稿や画像などを消したいときは「やめる」を選んで、このまま相談を続けてください。",
        "forget_yes": "消す",
        "forget_no": "やめる",
        "forget_kept": "記録は消していません。このまま相談を続けられます。",
        "expired": "前回から時間がたったので、最初からご案内します。",
        "version": "相談の内容が更新されたため、最初からご案内します。",
        "crisis_continue": "落ち着いたら、相談の続きから答えることもできます。",
        "result_next": "ほかにできることはありますか？",
        "after_thanks": "どういたしまして。また困ったときは、いつでも送ってください。",
        "thanks_question": "こちらこそ、送ってくれてありがとうございます。よければ、このまま下の質問に答えてください。",
        "vague_both": "いくつもあてはまるときは、いちばん困っていることをひとつ選んでください。ほかのことも、案内のあとで"
                      "「他にも相談したい」と送ると続けて相談できます。",
        "vague_unsure": "はっきりしなくても大丈夫です。いちばん近いと思うものをひとつ選んでください。あとで「戻る」と送れば直せます。",
        "corrected": "「{label}」に直して進めます。違っていたら「戻る」と送ってください。",
        "corrected_same": "「{label}」のままで進めます。続けて、下の質問に答えてください。",
        "maybe_stop": "無理に答えなくても大丈夫です。ここで終わりにするときは「終了する」を押すか、「終了」と送ってください。"
                      "続けるときは、下の質問に答えてください。",
        "maybe_stop_result": "ここで終わりにするときは「終了する」を押すか、「終了」と送ってください。上の窓口には、いつでも相談できます。",
        "after_told": "話してくれてありがとうございます。このチャットでは、書いてくれたことをくわしく読みとることはできませんが、"
                      "上の窓口では相談員があなたの話を聞いてくれます。あなたは悪くありません。"
                      "続けるときは、下の選択肢から選ぶか、番号で答えてください。",
        "after_busy": "つながらないときは、少し時間をおいてかけ直すか、いま受け付けている別の窓口を使ってみてください。",
        "after_written_too": "電話のほかに、チャットやWebフォームなどで受け付けている窓口もあります。",
        "after_no_call": "電話でなくても相談できます。",
        "tell_nobody": "わかりました。このボットが、あなたの同意なしに、保護者や学校、ほかのだれかに連絡することはありません。",
        "text_first": "電話ができないとのことなので、チャット・LINE・Webフォーム・メールで受け付けている窓口を先に載せています（☎は電話の窓口です）。",
        "open_now_no_call": "電話でなくても相談できます。いま受付中の窓口です（{n}件）。チャット・LINE・Webフォーム・メールでも受け付けている窓口を先に、電話だけの窓口（☎）をあとに載せています。",
        "after_written_first": "チャット・LINE・Webフォーム・メールで受け付けている窓口を先に載せています。",
        "after_written_none": "いま電話のほかの方法で受け付けている窓口は見つかりませんでした。いま受け付けている窓口です。",
        "after_more": "ほかのことも相談できます。あなたについての答えはそのままにして、この質問から続けます。",
        "after_same": "いまのご案内が、「{label}」ときのものです。上の窓口と「次にできること」をご覧ください。",
        "after_covered": "「{label}」ときも、上の窓口に相談できます。「次にできること」もご覧ください。",
        "fallback_note": "いまの時間に電話やチャットで話せる窓口がほかにないため、24時間つながる「{name}」も載せています。",
        "choice_restart": "最初から相談する",
        "choice_stop": "終了する",
        "choice_forget": "データを消す",
        "choice_back": "ひとつ戻る",
        "lang_switched": "日本語で続けます。",
        "lang_auto": "You wrote in English, so I will go on in English. 日本語で続けるときは「日本語」と送ってください。",
        "previous_answer": "（前回の答え: {label}）",
        "option": "{n}.「{label}」",
        "list_sep": "、",
        "crisis_default": "いまのあなたの安全がいちばん大切です。危険が迫っているときは110番、けがや体調が心配なときは119番へ。",
        "crisis_default_self": "話してくれてありがとう。あなたはひとりではありません。いまの気持ちは、24時間つながる窓口で人に聞いてもらえます。けがをしている・薬をたくさん飲んだときは119番へ。",
        "crisis_default_injured": "話してくれてありがとう。いますぐ119番に電話して、救急車を呼んでください。近くにいる人にも助けを求めてください。",
        "english_hint": "英語で続けるときは「English」と送ってください。",
    },
    "en": {
        "welcome": "Hello. I can point you to consultation windows for online defamation, harassment and "
                   "similar harm. Please answer a few questions. You can send \"restart\", \"back\", "
                   "\"help\" or \"stop\" at any time.",
        "no_match": "Sorry, I did not understand. Please pick one of the choices below, or answer with its number.",
        "no_match_feeling": _FEELING_EN + " To go on, pick the closest choice below or answer with its number.",
        "feeling": _FEELING_EN,
        "understood": "I took that as \"{label}\". If that is wrong, send \"back\".",
        "ambiguous": "Which is closest: {options}? Please answer with a number or pick a choice below.",
        "kept": "I noted {labels} for a later question. For this one, please pick a choice below or answer with its number.",
        "kept_many": "I noted {labels} for later questions. For this one, please pick a choice below or answer with its number.",
        "safety_plain": "First, just one thing: do you feel in danger right now? (The other person knows your home or "
                        "school, said they will come to see you, or threatens to kill you or to share images.)\n"
                        "If you were sexually assaulted in the last 72 hours, or feel like dying, please say so.",
        "safety_yes": "Yes, I feel in danger",
        "safety_no": "No",
        "safety_home": "If the other person knows your address or home, that counts as \"I feel in danger\" here.",
        "quoted": "\"{label}\"",
        "quoted_sep": ", ",
        "quoted_last": " and ",
        "choice_continue": "Continue the consultation",
        "choice_also": "Also: {label}",
        "choice_more": "Other windows ({n})",
        "more_windows": "Other windows ({n}), in case you cannot reach the ones above or want to know more.",
        "more_none": "All the windows of this result are listed above.",
        "also_note": "This is about \"{taken}\". You also wrote \"{said}\": you can go on with \"{other}\" with the button below.",
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
                "- \"open now\": the windows open right now  - \"日本語\": switch to Japanese\n"
                "Nothing you type is stored. If you are in danger, call 110 now (ambulance: 119).",
        "restart": "Starting again from the beginning.",
        "open_now_found": "Windows open now ({n}). You can call or chat with them now.",
        "open_now_none": "No window is open right now. This line is open 24 hours.",
        "open_now_continue": "To go on with your consultation, here is where you were:",
        "stop": "The consultation has ended. Talk to me again any time. You do not have to carry this alone.",
        "forget": "All records of this consultation have been deleted. Talk to me again any time.",
        "forget_confirm": "Delete every record this bot keeps of this consultation (your answers so far)?\n"
                          "If you want posts or images online taken down, choose \"Cancel\" and go on with the consultation.",
        "forget_yes": "Delete",
        "forget_no": "Cancel",
        "forget_kept": "Nothing was deleted. You can go on with the consultation.",
        "expired": "It has been a while, so let us start again from the beginning.",
        "version": "The questions have been updated, so let us start again from the beginning.",
        "crisis_continue": "When you feel ready, you can continue the consultation where you left off.",
        "result_next": "Is there anything else I can do?",
        "after_thanks": "You're welcome. Whenever you need help again, just send a message.",
        "thanks_question": "Thank you for writing. If you like, please go on with the question below.",
        "vague_both": "If more than one applies, choose the one that troubles you most. After the guidance, send "
                      "\"something else\" to go on with the others.",
        "vague_unsure": "It is fine not to be sure. Choose the one that seems closest; you can send \"back\" later to change it.",
        "corrected": "I changed that to \"{label}\". If that is wrong, send \"back\".",
        "corrected_same": "That stays \"{label}\". Please go on with the question below.",
        "maybe_stop": "You do not have to answer if it is too much. To end here, tap \"End\" or send \"end\". "
                      "To go on, answer the question below.",
        "maybe_stop_result": "To end here, tap \"End\" or send \"end\". You can contact the windows above at any time.",
        "after_told": "Thank you for telling me. This chat cannot read everything you write, but the "
                      "counsellors at the windows above will listen to you. It is not your fault. "
                      "To go on, pick one of the choices below or answer with its number.",
        "after_busy": "If you cannot get through, try again a little later, or try another window that is open now.",
        "after_written_too": " Some of them also take chat, web forms or mail.",
        "after_no_call": "You do not have to phone.",
        "tell_nobody": "All right. This bot never contacts your parents, your school or anyone else without your consent.",
        "text_first": "As you cannot phone, windows you can reach by chat, LINE, web form or mail come first (☎ marks phone lines).",
        "open_now_no_call": "You do not have to phone. Windows open now ({n}): those that also take chat, LINE, web forms or mail first, phone-only lines (☎) after.",
        "after_written_first": " Windows you can reach by chat, LINE, web form or mail come first.",
        "after_written_none": " No window takes chat, forms or mail right now; these are the windows open now.",
        "after_more": "You can ask about something else too. I kept your answers about yourself; let us go on from this question.",
        "after_same": "The guidance above is the one for \"{label}\". Please see the windows and the next steps above.",
        "after_covered": "For \"{label}\" too, you can contact the windows above. Please see the next steps as well.",
        "fallback_note": "No other window here can be reached by phone or chat right now, so \"{name}\", open 24 hours, is included.",
        "choice_restart": "Start again",
        "choice_stop": "End",
        "choice_forget": "Delete my data",
        "choice_back": "Go back",
        "lang_switched": "Continuing in English.",
        "lang_auto": "You wrote in English, so I will go on in English. 日本語で続けるときは「日本語」と送ってください。",
        "previous_answer": " (your previous answer: {label})",
        "option": '{n}. "{label}"',
        "list_sep": ", ",
        "crisis_default": "Your safety comes first. If you are in danger call 110; for injury or a medical emergency call 119.",
        "crisis_default_self": "Thank you for telling me. You are not alone. A person will listen to you at any hour on the 24-hour lines. If you are hurt or have taken too many pills, call 119.",
        "crisis_default_injured": "Thank you for telling me. Call 119 for an ambulance now, and ask anyone nearby for help.",
        "english_hint": "Send \"English\" to go on in English.",
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
        "nobody_offered": "わかりました。このボットが、保護者や学校、ほかのだれかに連絡することはありません。"
                          "{team}にも、あなたがボタンを押して「伝えてつなぐ」に同意しないかぎり、何も伝えません。",
        "nobody_declined": "わかりました。{team}には何も伝えず、引き継ぎはしません。"
                           "このボットが、保護者や学校、ほかのだれかに連絡することもありません。",
        "nobody_withdrawn": "わかりました。{team}への引き継ぎを取り消しました。{team}には、さきほど同意して伝えた次のことと、"
                            "取り消したことだけが届いています。あなたが書いた文章は伝えていません。\n{summary}\n"
                            "このボットが、保護者や学校、ほかのだれかに連絡することはありません。",
        "nobody_taken": "{team}には、さきほど同意して伝えた次のことだけが届いています。あなたが書いた文章は伝えていません。\n{summary}\n"
                        "このボットが、保護者や学校に連絡することはありません。{team}がどうするかは、このボットからは約束できません。"
                        "心配なことは、{team}の人に「親には言わないでほしい」のように直接伝えてください。"
                        "やめるときは「やっぱりやめる」と送ってください。",
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
        "nobody_offered": "All right. This bot never contacts your parents, your school or anyone else. Nothing is "
                          "told to {team} either unless you press the button and agree with \"Share and connect\".",
        "nobody_declined": "All right. Nothing is told to {team} and there is no hand-off. This bot never contacts your "
                           "parents, your school or anyone else.",
        "nobody_withdrawn": "All right. The hand-off to {team} is cancelled. {team} have only what you agreed to share "
                            "earlier, and that it was cancelled. Nothing you wrote was shared.\n{summary}\n"
                            "This bot never contacts your parents, your school or anyone else.",
        "nobody_taken": "{team} have only what you agreed to share earlier. Nothing you wrote was shared.\n{summary}\n"
                        "This bot never contacts your parents or your school. The bot cannot promise what {team} will do: "
                        "if you are worried, tell them directly (for example \"please don't tell my parents\"). "
                        "To stop, send \"cancel\".",
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

_LINE: dict[str, dict[str, str]] = {
    "ja": {
        "steps": "これからできること",
        "call": "電話",
        "call_short": "電話する",
        "web": "ウェブサイト",
        "form": "相談フォーム",
        "line": "LINEで相談",
        "chat": "チャットで相談",
        "numbered_hint": "番号を送って答えることもできます。",
        "numbered_only": "答えの番号を送ってください。",
        "free": "無料",
        "navi-dial": "ナビダイヤル・通話料有料",
        "charged": "通話料有料",
        "manual": "「#」で始まる番号は、電話アプリで番号を入力して発信してください（ボタンが使えない機種があります）。",
        "alt": "相談窓口",
        "more": "ほか",
        "group": "グループやトークルームでは相談をお受けしていません。このアカウントと1対1のトークで話しかけて"
                 "ください（書いた内容は保存しません）。いま危険なときは110番へ。\n"
                 "For a private consultation, please talk to this account one-to-one.",
    },
    "en": {
        "steps": "What you can do next",
        "call": "Call",
        "call_short": "Call",
        "web": "Website",
        "form": "Contact form",
        "line": "Talk on LINE",
        "chat": "Chat",
        "numbered_hint": "You can also answer by sending the number.",
        "numbered_only": "Please send the number of your answer.",
        "free": "free",
        "navi-dial": "Navi Dial, charged",
        "charged": "charged",
        "manual": "Numbers starting with # may need to be dialled by hand (the button does not work on some phones).",
        "alt": "Where to get help",
        "more": "and more",
        "group": "For a private consultation, please talk to this account one-to-one. "
                 "If you are in danger now, call 110.",
    },
}
"""The LINE adapter's own words (``line.*``)."""

_LINE_RICHMENU: dict[str, dict[str, str]] = {
    "ja": {
        "bar": "メニュー",
        "start": "相談をはじめる",
        "start.short": "相談をはじめる",
        "open_now": "窓口をさがす",
        "open_now.note": "（いま受付中）",
        "open_now.short": "窓口をさがす（いま受付中）",
        "help_now": "いますぐ助けが必要",
        "help_now.short": "いますぐ助けが必要",
        "usage": "使い方・データ削除",
        "usage.short": "使い方・データ削除",
    },
    "en": {
        "bar": "Menu",
        "start": "Start a consultation",
        "start.short": "Start a consultation",
        "open_now": "Find a window",
        "open_now.note": "(open now)",
        "open_now.short": "Windows open now",
        "help_now": "I need help now",
        "help_now.short": "I need help now",
        "usage": "How to use / Delete my data",
        "usage.short": "Help / delete data",
    },
}
"""The rich menu's words (``line.richmenu.*``): the labels drawn on the image (``<area>``, its
``<area>.note``) and the action labels (``<area>.short``, ≤20). The 「いま受付中」 answer is the
engine's (``engine.open_now_*``)."""

_PANEL_TEXT = (
    "ネットの誹謗中傷・嫌がらせ・晒しなどで困っていたら、下のボタンを押してください。"
    "あなたにだけ見えるメッセージで、相談できる窓口をご案内します（ほかの人には見えません）。\n\n"
    "If you are being harassed or exposed online, press the button below. Only you will see "
    "the conversation, and it points you to people who can help."
)
"""The moderator panel's text, Japanese then English (the panel is for everyone in the channel)."""

_DISCORD: dict[str, dict[str, str]] = {
    "ja": {
        "phone": "電話", "hours": "受付時間", "now": "いまの状況", "other": "ほかの窓口・連絡方法",
        "who": "対象", "cost": "料金", "note": "ご注意", "verified": "確認日", "cont": "（続き）",
        "steps": "次にできること", "free": "通話無料", "navi-dial": "ナビダイヤル（通話料有料・かけ放題の対象外）",
        "charged": "通話料がかかります", "select": "選んでください",
        "panel_title": "相談をはじめる / Get help privately",
        "panel_text": _PANEL_TEXT,
        "panel_posted": "パネルをこのチャンネルに置きました。",
        "panel_forbidden": "このチャンネルにパネルを置けませんでした。ボットに「チャンネルを見る」「メッセージを送信」"
                           "「埋め込みリンク」の権限を与えてから、もう一度お試しください。",
        "dm_button": "DMで送る / Send me this list by DM",
        "dm_sent": "一覧をDMで送りました。",
        "dm_closed": "DMを送れませんでした（このサーバーのメンバーからのDMが閉じられています）。"
                     "代わりに、あなたにだけ見える形でもう一度表示します。",
        "results": "「{q}」の相談窓口: {n}件（いま受付中 {k}件）",
        "results_all": "相談窓口: {n}件（いま受付中 {k}件）",
        "results_open": "（いま受付中のみ）",
        "more": "ほかに{m}件あります。言葉をしぼって検索してください。",
        "none": "「{q}」に合う窓口は見つかりませんでした。別の言葉で探すか、24時間つながるこちらの窓口へ。",
        "none_open": "いま受付中の窓口は見つかりませんでした。24時間つながるこちらの窓口へ。",
        "forgotten": "記録を削除しました。",
        # the moderators' desk (hand-off cards, /soudan-moderators)
        "moderators.card_title": "モデレーターへの相談の依頼",
        "moderators.card_text": "メンバーが、同意のうえでモデレーターとの連絡を希望しています。名前と書いた文章は含まれていません。"
                     "「対応します」を押した人にだけ、DMする相手が表示されます。",
        "moderators.category": "被害の種類", "moderators.urgency": "緊急度", "moderators.windows": "案内済みの窓口", "moderators.time": "時刻", "moderators.state": "状態",
        "moderators.waiting": "対応する人を待っています", "moderators.taken": "対応: {who}", "moderators.withdrawn": "本人が取り消しました",
        "moderators.timed_out": "時間内に対応がなく、本人に24時間の窓口を案内しました", "moderators.released": "終了しました",
        "moderators.take": "対応します",
        "moderators.took": "{member} さんにDMで連絡してください。\n・公開のチャンネルで呼びかけたり、話題にしたりしないでください。\n"
                "・まず、案内済みの窓口（カードにあります）を伝えてください。命や安全にかかわるときは110番・119番を。\n"
                "・自分ひとりで抱え込まず、ほかのモデレーターにも相談してください。",
        "moderators.not_role": "このボタンは、このサーバーのモデレーターのロールを持つ人だけが使えます。",
        "moderators.gone": "この依頼は、すでに対応中か、取り消されたか、時間切れになっています。",
        "moderators.rate": "モデレーターへの連絡は、1時間に{n}回までです。少し時間をおいてください。"
                "急ぐときは、上の窓口（24時間のものもあります）に連絡してください。",
        "moderators.set": "相談の引き継ぎカードを {channel} に送り、{role} のロールを持つ人だけが対応できるようにしました。",
        "moderators.not_private": "{channel} は {role} 以外の人にも見えます。@everyone の「チャンネルを見る」を外し、"
                       "{role} にだけ許可してから、もう一度実行してください。",
        "moderators.no_send": "{channel} にメッセージを送れません。ボットに「チャンネルを見る」「メッセージを送信」「埋め込みリンク」を許可してください。",
        "moderators.no_team": "このボットには、モデレーターのチーム（SOUDAN_TEAMS_FILE の discord）が設定されていません。",
    },
    "en": {
        "phone": "Phone", "hours": "Hours", "now": "Now", "other": "Other ways to reach them",
        "who": "Who can use it", "cost": "Cost", "note": "Please note", "verified": "Verified", "cont": " (cont.)",
        "steps": "What you can do next", "free": "free call",
        "navi-dial": "Navi Dial (the caller pays; not covered by flat-rate plans)",
        "charged": "call charges apply", "select": "Choose one",
        "panel_title": "相談をはじめる / Get help privately",
        "panel_text": _PANEL_TEXT,  # bilingual: the same as ja
        "panel_posted": "The panel is now in this channel.",
        "panel_forbidden": "I could not post the panel here. Give the bot View Channel, Send Messages and "
                           "Embed Links in this channel, then try again.",
        "dm_button": "DMで送る / Send me this list by DM",
        "dm_sent": "I sent the list to your DMs.",
        "dm_closed": "I could not DM you (your DMs from this server are closed). Here it is again, "
                     "visible only to you.",
        "results": "Windows for \"{q}\": {n} (open now: {k})",
        "results_all": "Windows: {n} (open now: {k})",
        "results_open": " (open now only)",
        "more": "{m} more: narrow your search.",
        "none": "Nothing matched \"{q}\". Try other words, or call this 24-hour line.",
        "none_open": "No window is open right now. This 24-hour line is always there.",
        "forgotten": "Deleted.",
        "moderators.card_title": "A member asks for a moderator",
        "moderators.card_text": "A member consented to be contacted by a moderator. No name and nothing they wrote is included. "
                     "Only whoever presses \"I'll take it\" is shown whom to DM.",
        "moderators.category": "Harm", "moderators.urgency": "Urgency", "moderators.windows": "Windows already shown", "moderators.time": "Time",
        "moderators.state": "Status", "moderators.waiting": "Waiting for a moderator", "moderators.taken": "Taken by {who}",
        "moderators.withdrawn": "Withdrawn by the member", "moderators.timed_out": "Nobody took it in time; the member was given the 24-hour lines",
        "moderators.released": "Closed", "moderators.take": "対応します / I'll take it",
        "moderators.took": "Please DM {member}.\n- Never call them out or discuss it in a public channel.\n"
                "- Signpost first: share the windows on the card; for danger to life call 110/119.\n"
                "- Do not carry it alone: talk to another moderator.",
        "moderators.not_role": "Only members with this server's moderator role can use this button.",
        "moderators.gone": "This request was already taken, withdrawn, or timed out.",
        "moderators.rate": "You can ask for a moderator {n} times an hour. Please wait a little; for urgent help use the "
                "windows above (some are open 24 hours).",
        "moderators.set": "Hand-off cards now go to {channel}; only members with {role} can take them.",
        "moderators.not_private": "{channel} is visible to people without {role}. Remove View Channel from @everyone, allow it "
                       "for {role} only, then run this again.",
        "moderators.no_send": "I cannot post in {channel}. Give the bot View Channel, Send Messages and Embed Links there.",
        "moderators.no_team": "No moderator team is configured for this bot (a discord team in SOUDAN_TEAMS_FILE).",
    },
}
"""The Discord adapter's own words (``discord.*``)."""

_CONTACTS: dict[str, dict[str, str]] = {
    "ja": {
        "always": "24時間",
        "unknown": "時間不明（公式サイトで確認）",
        "varies": "この時間は地域により異なる（公式サイトで確認）",
        "open": "受付中",
        "open_until": "受付中（{until}まで）",
        "closed": "受付時間外（次の受付は公式サイトで確認）",
        "closed_next": "受付時間外（次は {next}〜）",
        "send_always": "{names}（受付は24時間・その場での返答はありません）",
        "send_open": "{names}（受付中・その場での返答はありません）",
        "short_send_always": "受付24時間（その場での返答はありません）",
        "short_send_open": "受付中（その場での返答はありません）",
        "short_always": "24時間",
        "short_open": "受付中",
        "short_closed": "時間外",
        "short_unknown": "時間不明",
        "short_varies": "地域により異なる",
        "phone_is": "電話は{status}", "channels_are": "{kinds}は{status}",
        "kinds_and": "と", "kinds_sep": "・", "parts_sep": "・",
        "kind_phone": "電話", "kind_form": "フォーム", "kind_mail": "メール", "kind_chat": "チャット",
        "kind_line": "LINE", "kind_web": "Web",
    },
    "en": {
        "always": "24 hours",
        "unknown": "Hours unknown (check the official site)",
        "varies": "Varies by region at this hour (check the official site)",
        "open": "Open",
        "open_until": "Open (until {until})",
        "closed": "Closed (check the official site for the next opening)",
        "closed_next": "Closed (opens {next})",
        "send_always": "{names} (accepted 24 hours; no answer right away)",
        "send_open": "{names} (accepting now; no answer right away)",
        "short_send_always": "accepted 24 hours (no answer right away)",
        "short_send_open": "accepting now (no answer right away)",
        "short_always": "24 hours",
        "short_open": "open now",
        "short_closed": "closed now",
        "short_unknown": "hours unknown",
        "short_varies": "varies by region",
        "phone_is": "Phone: {status}", "channels_are": "{kinds} {status}",
        "kinds_and": " and ", "kinds_sep": "/", "parts_sep": "; ",
        "kind_phone": "phone", "kind_form": "form", "kind_mail": "e-mail", "kind_chat": "chat",
        "kind_line": "LINE", "kind_web": "web",
    },
}
"""A window's status on its card (``contacts.*``; :mod:`bot.contacts.render`): 「受付中（17:15まで）」,
「フォーム（受付は24時間・その場での返答はありません）」, per channel 「電話は…・メールは…」."""

_ADAPTERS: dict[str, dict[str, str]] = {
    "ja": {
        "error": "すみません、いま処理できませんでした。少し待ってから、もう一度お試しください。\n"
                 "危険が迫っているときは110番、急な病気やけがは119番へ。",
        "offers_typed": "（{words}と送ることもできます）",
    },
    "en": {
        "error": "Sorry, I could not handle that just now. Please try again in a moment.\n"
                 "If you are in danger, call 110; for a sudden illness or injury, 119.",
        "offers_typed": "(You can also send {words}.)",
    },
}
"""Words every adapter says alike (``adapters.*``): ``adapters.error``, the apology for an event
that failed (LINE's reply, Discord's message or interaction answer), with 110 and 119;
``adapters.offers_typed``, a question's offers (「データを消す」 after the help) as words to send, where
there are no buttons (the terminal)."""

_WEB: dict[str, dict[str, str]] = {"ja": {}, "en": {}}
"""The browser simulator's own words (``web.*``)."""

NAMESPACES: dict[str, dict[str, dict[str, str]]] = {
    "engine": _ENGINE, "engine.handoff": _HANDOFF, "adapters": _ADAPTERS, "line": _LINE, "line.richmenu": _LINE_RICHMENU, "discord": _DISCORD,
    "contacts": _CONTACTS, "web": _WEB,
}
"""Namespace → its table ({locale: {key: text}})."""

CATALOGUE: dict[str, dict[str, str]] = {
    loc: {f"{ns}.{k}": v for ns, table in NAMESPACES.items() for k, v in table.get(loc, {}).items()}
    for loc in LOCALES
}
"""Locale → full key (``"engine.welcome"``) → text; the data behind :func:`t`."""

_FALLBACK = CATALOGUE[DEFAULT_LOCALE]


def quoted_list(labels: Sequence[str], locale: str) -> str:
    """Labels each in quotes, as a list a person reads: 「A」、「B」、「C」 in Japanese,
    ``"A", "B" and "C"`` in English (catalogue keys ``engine.quoted``, ``engine.quoted_sep``,
    ``engine.quoted_last``). Empty for no labels."""
    quoted = [t("engine.quoted", locale, label=x) for x in labels]
    if len(quoted) < 2:
        return "".join(quoted)
    return t("engine.quoted_sep", locale).join(quoted[:-1]) + t("engine.quoted_last", locale) + quoted[-1]


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
