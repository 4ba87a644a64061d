"""Soudan's Discord components as discord.py objects: persistent buttons, select menus and views.

Every component is a :class:`discord.ui.DynamicItem` whose ``custom_id``
(:mod:`bot.adapters.discord.ids`) carries what it means, in views with ``timeout=None``; the
client registers :data:`DYNAMIC_ITEMS` (and :class:`TakeButton`) at start-up, so buttons keep
working after the 180 s default timeout and after a restart. A press is handed to the client it
arrived at (:class:`Handlers`). Building a view needs a running event loop.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, Protocol, Self, runtime_checkable

import discord

from bot.adapters.discord.ids import (
    CHOICE_TEMPLATE,
    DM_LIST_TEMPLATE,
    PANEL_CUSTOM_ID,
    SELECT_TEMPLATE,
    TAKE_TEMPLATE,
)
from bot.adapters.discord.render import PER_ROW, ButtonSpec, Component, DMListSpec, Outgoing, SelectSpec
from bot.i18n import t

__all__ = [
    "DYNAMIC_ITEMS", "ChoiceButton", "ChoiceSelect", "ContactsDMButton", "Handlers", "PanelButton", "TakeButton",
    "build_view", "send_kwargs",
]


@runtime_checkable
class Handlers(Protocol):
    """What the components call on the client they arrived at (:class:`~bot.adapters.discord.SoudanClient`)."""

    async def on_choice(self, interaction: discord.Interaction[Any], custom_id: str) -> None: ...

    async def on_select(self, interaction: discord.Interaction[Any], custom_id: str, value: str) -> None: ...

    async def on_panel(self, interaction: discord.Interaction[Any]) -> None: ...

    async def on_contacts_dm(self, interaction: discord.Interaction[Any], query: str | None,
                             open_now: bool) -> None: ...

    async def on_take(self, interaction: discord.Interaction[Any], conversation_id: str) -> None: ...


def _client_of(interaction: discord.Interaction[Any]) -> Handlers:
    client = interaction.client
    if not isinstance(client, Handlers):  # pragma: no cover - only our client registers these items
        raise TypeError("soudan components need a SoudanClient")
    return client


class ChoiceButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=CHOICE_TEMPLATE):
    """A persistent choice button (``soudan:c:<choice>:<state>:<conversation>``)."""

    def __init__(self, label: str, custom_id: str, *, row: int | None = None, secondary: bool = False) -> None:
        style = discord.ButtonStyle.secondary if secondary else discord.ButtonStyle.primary
        super().__init__(discord.ui.Button(label=label, custom_id=custom_id, style=style, row=row))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> Self:
        label = getattr(item, "label", None) or "?"
        return cls(label, match.string)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _client_of(interaction).on_choice(interaction, self.custom_id)


class ChoiceSelect(discord.ui.DynamicItem[discord.ui.Select[Any]], template=SELECT_TEMPLATE):
    """A persistent select menu of choices, for questions with more than 25 choices."""

    def __init__(self, custom_id: str, placeholder: str = "", options: Sequence[tuple[str, str]] = (),
                 *, row: int | None = None) -> None:
        opts = [discord.SelectOption(label=label, value=value) for label, value in options]
        super().__init__(discord.ui.Select(custom_id=custom_id, placeholder=placeholder or None, options=opts,
                                           row=row))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> Self:
        opts = [(o.label, o.value) for o in getattr(item, "options", [])]
        return cls(match.string, getattr(item, "placeholder", "") or "", opts)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        data: Any = interaction.data or {}
        values = data.get("values") or []
        await _client_of(interaction).on_select(interaction, self.custom_id, str(values[0]) if values else "")


class PanelButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=PANEL_CUSTOM_ID):
    """The moderator panel's "相談をはじめる / Get help privately" button."""

    def __init__(self) -> None:
        super().__init__(discord.ui.Button(label=t("discord.panel_title", "ja"), custom_id=PANEL_CUSTOM_ID,
                                           style=discord.ButtonStyle.success))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> Self:
        return cls()

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _client_of(interaction).on_panel(interaction)



class ContactsDMButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=DM_LIST_TEMPLATE):
    """"DMで送る / Send me this list by DM" under a ``/soudan-contacts`` answer."""

    def __init__(self, custom_id: str, *, row: int | None = None) -> None:
        super().__init__(discord.ui.Button(label=t("discord.dm_button", "ja"), custom_id=custom_id,
                                           style=discord.ButtonStyle.secondary, row=row))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> Self:
        return cls(match.string)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        m = re.fullmatch(DM_LIST_TEMPLATE, self.custom_id)
        assert m is not None
        await _client_of(interaction).on_contacts_dm(interaction, m["query"] or None, m["open"] == "1")


class TakeButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=TAKE_TEMPLATE):
    """「対応します」 on a hand-off card in the moderators' channel."""

    def __init__(self, conversation_id: str, *, disabled: bool = False) -> None:
        super().__init__(discord.ui.Button(label=t("discord.moderators.take", "en"), custom_id=f"soudan:take:{conversation_id}",
                                           style=discord.ButtonStyle.primary, disabled=disabled))
        self.conversation_id = conversation_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> Self:
        return cls(match["conv"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _client_of(interaction).on_take(interaction, self.conversation_id)


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (ChoiceButton, ChoiceSelect, PanelButton,
                                                                 ContactsDMButton)
"""Registered at start-up so every component works after a restart."""


def build_view(components: Iterable[Component]) -> discord.ui.View:
    """A persistent view (``timeout=None``) of the given components. Needs a running event loop."""
    view = discord.ui.View(timeout=None)
    row_of_links = 0
    for c in components:
        if isinstance(c, ButtonSpec):
            view.add_item(ChoiceButton(c.label, c.custom_id, row=c.row, secondary=c.secondary))
        elif isinstance(c, SelectSpec):
            view.add_item(ChoiceSelect(c.custom_id, c.placeholder, c.options, row=c.row))
        elif isinstance(c, DMListSpec):
            view.add_item(ContactsDMButton(c.custom_id, row=c.row))
        else:
            view.add_item(discord.ui.Button(label=c.label, url=c.url, row=row_of_links // PER_ROW))
            row_of_links += 1
    return view


def send_kwargs(message: Outgoing) -> dict[str, Any]:
    """Keyword arguments for ``Messageable.send`` / ``Webhook.send`` of ``message``: ``content``,
    ``embeds`` (:class:`discord.Embed`) and ``view`` (:func:`build_view`: needs a running loop)."""
    kw: dict[str, Any] = {}
    if message.content:
        kw["content"] = message.content
    if message.embeds:
        kw["embeds"] = [discord.Embed.from_dict(e) for e in message.embeds]
    if message.components:
        kw["view"] = build_view(message.components)
    return kw
