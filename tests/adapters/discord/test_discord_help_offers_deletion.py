"""Discord shows the 「データを消す」 offer of the help (Ask.offers) as a button, as LINE and the
simulator do (last session's leftover: Discord had only /soudan-forget): a grey button on its own
row after the question's choices; pressing it asks the deletion question first. The real discord.py
client driven by simcord, and the pure renderer for Discord's limits."""

from __future__ import annotations

from typing import Any

import simcord

from bot.adapters.discord import ButtonSpec, render
from bot.engine.types import Ask, ChoiceView
from bot.i18n import t


def _buttons(message: Any) -> list[tuple[int, str, int]]:
    """(row, label, style) of each button of a message; style 2 is Discord's grey (secondary)."""
    return [(r, c["label"], c["style"]) for r, row in enumerate(c.to_dict() for c in message.components)
            for c in row.get("components", []) if c.get("type") == 2]


async def test_the_help_in_a_dm_offers_a_delete_button_that_asks_first(simcord_env: simcord.Env) -> None:
    user = simcord_env.create_user("hana")
    await user.send_dm("こんにちは")
    first = user.dm_channel.last_message
    assert first is not None and "データを消す" not in [label for _, label, _ in _buttons(first)]
    await user.send_dm("ヘルプ")
    shown = user.dm_channel.last_message
    assert shown is not None and shown.content.startswith(t("engine.help", "ja").split("\n")[0])
    assert _buttons(shown) == [(0, "学生", 1), (0, "おとな", 1), (1, "データを消す", 2)]
    await user.click(shown, label="データを消す")
    asked = user.dm_channel.last_message
    assert asked is not None and t("engine.forget_confirm", "ja") in asked.content  # nothing deleted yet
    await user.click(asked, label="消す")
    done = user.dm_channel.last_message
    assert done is not None and t("engine.forget", "ja") in done.content


def _ask(n: int, offers: int = 1) -> Ask:
    return Ask("質問", tuple(ChoiceView(f"c{i}", f"選択肢{i}") for i in range(n)), "q", "conv1",
               offers=tuple(ChoiceView(":forget", "データを消す") for _ in range(offers)))


def test_the_offer_takes_the_row_after_the_choices_while_there_is_room() -> None:
    def offer_rows(n: int) -> list[int]:
        comps = render([_ask(n)], "ja")[-1].components
        return [c.row for c in comps if isinstance(c, ButtonSpec) and c.label == "データを消す"]

    assert offer_rows(2) == [1]
    assert offer_rows(10) == [2]
    assert offer_rows(20) == [4]
    assert offer_rows(21) == []  # five rows of choices: no row left (Discord allows five)
    assert offer_rows(30) == [2]  # 30 choices: two select menus, the offer below them
    assert all(c.secondary for c in render([_ask(2)], "ja")[-1].components if isinstance(c, ButtonSpec)
               and c.label == "データを消す")
