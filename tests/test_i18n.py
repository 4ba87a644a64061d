"""The one catalogue of the program's own words (bot.i18n.t)."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from bot.i18n import CATALOGUE, DEFAULT_LOCALE, LOCALES, NAMESPACES, t

BOT = Path(__file__).resolve().parents[1] / "bot"


def test_text_in_a_locale_with_placeholders() -> None:
    assert t("engine.no_number", "ja", n=7, max=3) == "7番の選択肢はありません。1〜3の番号で答えてください。"
    assert t("engine.no_number", "en", n=7, max=3) == "There is no choice 7. Please answer with a number from 1 to 3."
    assert t("engine.handoff.yes", "en") == "Share and connect"


def test_unknown_locale_falls_back_to_japanese() -> None:
    assert t("engine.back", "fr") == "ひとつ前の質問に戻ります。"


def test_unknown_key_raises_key_error_naming_it() -> None:
    with pytest.raises(KeyError, match=r"engine\.no_such_message"):
        t("engine.no_such_message", "ja")


def test_every_locale_translates_the_same_keys_with_the_same_placeholders() -> None:
    def fields(text: str) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(text) if f}

    ja = CATALOGUE[DEFAULT_LOCALE]
    for loc in LOCALES:
        assert set(CATALOGUE[loc]) == set(ja), loc
        for key, text in CATALOGUE[loc].items():
            assert text.strip() or key.endswith("sep"), key
            assert fields(text) == fields(ja[key]), key


def test_keys_live_in_the_known_namespaces() -> None:
    assert set(NAMESPACES) <= {"engine", "engine.handoff", "contacts", "adapters", "line", "line.richmenu", "discord",
                               "web"}
    assert all(k.split(".")[0] in {"engine", "contacts", "adapters", "line", "discord", "web"}
               for k in CATALOGUE[DEFAULT_LOCALE])


def test_no_message_is_copied_into_another_namespace() -> None:
    """One message, one key: line.error was a word-for-word copy of discord.error (its English had
    already drifted apart); the words every adapter says live in ``adapters.*``."""
    for loc in LOCALES:
        seen: dict[str, str] = {}
        for key, text in CATALOGUE[loc].items():
            if len(text) < 40:
                continue  # short words (「電話」, "What you can do next") may well be the same in two places
            other = seen.setdefault(text, key)
            assert other == key or other.split(".")[0] == key.split(".")[0], (loc, other, key)


def test_every_adapter_apologises_with_the_one_shared_answer() -> None:
    """LINE, Discord, Chatwoot and the simulator answer a failed step with
    :func:`bot.adapters.common.outage_replies` (the crisis card, then ``adapters.error``)."""
    common = (BOT / "adapters" / "common.py").read_text(encoding="utf-8")
    assert 't("adapters.error"' in common
    for path in ("adapters/line/handler.py", "adapters/discord/client.py", "adapters/chatwoot/handler.py", "web/api.py"):
        assert "outage_replies(" in (BOT / path).read_text(encoding="utf-8"), path
    assert "110番" in t("adapters.error", "ja") and "119" in t("adapters.error", "en")


def test_every_key_the_code_names_is_in_the_catalogue() -> None:
    """A typo in a t("…") key would raise KeyError in front of a user; find it here instead."""
    named = {m for p in BOT.rglob("*.py")
             for m in re.findall(r'\bt\("((?:engine|contacts|adapters|line|discord|web)\.[a-z_.]+)"', p.read_text(encoding="utf-8"))}
    handoff = (BOT / "engine" / "handoff.py").read_text(encoding="utf-8")
    named |= {f"engine.handoff.{m}" for m in re.findall(r"""\b_m\(["']([a-z_]+)["']""", handoff)}
    assert "engine.welcome" in named
    assert sorted(named - set(CATALOGUE[DEFAULT_LOCALE])) == []
