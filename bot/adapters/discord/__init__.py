"""Discord adapter (discord.py 2.x): slash commands, persistent buttons, DMs and the moderator panel.

This is the only package that imports ``discord``. It runs inside ``soudan serve`` when
``DISCORD_TOKEN`` is set: :func:`setup` (called by :func:`bot.app.create_app`) adds a
``cleanup_ctx`` that starts the client when the aiohttp app starts and closes it when it stops,
so LINE and Discord share one engine and one store.

What a member can do
--------------------
- ``/soudan`` — start a consultation. In a server channel every bot message of it is
  **ephemeral** (only that member sees it); in a DM with the bot it is an ordinary conversation and
  typed answers work too (:meth:`SoudanClient.on_message`, DM channels only). The language follows
  the member's Discord locale: English for ``en-*`` locales, Japanese otherwise.
- Choices are buttons (at most 25, five per row, labels cut to 80 characters); a question with more
  than 25 choices gets select menus instead (25 options each, at most five). Referral cards are
  embeds (name, phones, hours, open-now status, links as URL buttons) kept within Discord's limits;
  text is split at 2,000 characters on line boundaries (:func:`render`).
- Buttons are persistent: views have ``timeout=None`` and every component is a
  :class:`discord.ui.DynamicItem` whose ``custom_id`` carries what it means —
  ``soudan:c:<choice>:<state>:<conversation>`` (see :func:`choice_custom_id`) — registered at
  start-up with :meth:`discord.Client.add_dynamic_items`, so buttons keep working after the 180 s
  default timeout and after a restart. A button from an older conversation re-shows the current
  question with a short explanation (the engine does that for a :class:`~bot.engine.types.Pick`
  whose conversation id is not the current one).
- ``/soudan-panel`` (default permission: Manage Messages, servers only) posts a persistent
  "相談をはじめる / Get help privately" panel; anyone who presses it gets a private, ephemeral
  consultation.
- ``/soudan-contacts [query] [open_now]`` — an ephemeral directory lookup with each window's status
  now, and a "DMで送る / Send me this list by DM" button; when the member's DMs are closed
  (:class:`discord.Forbidden`, code 50007) the list is given again ephemerally with a note.
- ``/soudan-open-now`` (窓口をさがす（いま受付中）) and ``/soudan-help-now`` (いますぐ助けが必要) — the
  engine's ``open-now`` and ``help-now`` commands, as on the LINE rich menu: the windows open now,
  or the danger reply (110 first); then the consultation goes on where it was (someone new gets
  the first question). Ephemeral in a server.
- ``/soudan-forget`` — asks 「この相談の記録をすべて消しますか？」 (「消す」「やめる」 buttons); 「消す」 deletes everything
  stored about the member (the engine's ``forget``).
- ``/soudan-moderators channel role`` (default permission: Manage Server) — where hand-off cards go
  and who may take them (see the "moderators" section of :mod:`.client`).

Every interaction is acknowledged at once with ``defer`` (before the store is touched); every
later message is a followup that keeps the ephemeral flag, so Discord never shows "This
interaction failed". Errors after the defer become a short apology with the emergency numbers.

Privacy: nothing here logs message text, queries or raw Discord ids. Logs carry the event kind and
at most the keyed hash of the user (:meth:`bot.service.Conversations.key`). The ``discord`` logger
is held at INFO or above, because discord.py logs whole gateway payloads (message text included)
at DEBUG.

Intents: ``guilds`` and ``dm_messages`` only. The privileged Message Content intent is not
needed: Discord delivers the content of direct messages to the bot without it (see
:attr:`discord.Intents.message_content`), and the bot never reads server channels.

Modules (one room each; the public names are re-exported here)
--------------------------------------------------------------
- :mod:`.ids` — the ``custom_id`` codec (pure);
- :mod:`.render` — engine replies as Discord messages within Discord's limits (pure);
- :mod:`.components` — persistent buttons, select menus and views (discord.py objects);
- :mod:`.client` — :class:`SoudanClient`: slash commands, component presses, DMs, moderators;
- :mod:`.runner` — start-up inside ``soudan serve``, the start-up retry loop, shutdown.

The names of :mod:`.client`, :mod:`.components` and :mod:`.runner` are imported on first use, so
the pure :mod:`.ids` and :mod:`.render` load without discord.py (``soudan validate`` checks the
very ``custom_id`` and labels the adapter sends).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.adapters.discord.ids import (
    CHOICE_TEMPLATE,
    MAX_CUSTOM_ID,
    choice_custom_id,
    dm_list_custom_id,
    parse_choice_custom_id,
    select_custom_id,
)
from bot.adapters.discord.render import (
    MAX_CONTENT,
    ButtonSpec,
    DMListSpec,
    LinkSpec,
    Outgoing,
    SelectSpec,
    contact_card,
    render,
    split_text,
)
from bot.adapters.lazy import lazy_exports

if TYPE_CHECKING:
    from bot.adapters.discord.client import (
        PLATFORM,
        ConnectionState,
        ConnectionStatus,
        SoudanClient,
        default_intents,
        locale_of,
        strip_markup,
    )
    from bot.adapters.discord.components import (
        DYNAMIC_ITEMS,
        ChoiceButton,
        ChoiceSelect,
        ContactsDMButton,
        PanelButton,
        TakeButton,
        build_view,
    )
    from bot.adapters.discord.runner import setup, start_client, stop_client

_HOME = {
    "client": ("PLATFORM", "ConnectionState", "ConnectionStatus", "SoudanClient", "default_intents", "locale_of",
               "strip_markup"),
    "components": ("DYNAMIC_ITEMS", "ChoiceButton", "ChoiceSelect", "ContactsDMButton", "PanelButton", "TakeButton",
                   "build_view"),
    "runner": ("setup", "start_client", "stop_client"),
}
"""Submodule → the public names it defines that are imported on first use."""

__all__ = [
    "CHOICE_TEMPLATE", "DYNAMIC_ITEMS", "MAX_CONTENT", "MAX_CUSTOM_ID", "PLATFORM", "ButtonSpec", "ChoiceButton",
    "ChoiceSelect", "ConnectionState", "ConnectionStatus", "ContactsDMButton", "DMListSpec", "LinkSpec", "Outgoing",
    "PanelButton", "SelectSpec", "SoudanClient", "TakeButton", "build_view", "choice_custom_id", "contact_card",
    "default_intents", "dm_list_custom_id", "locale_of", "parse_choice_custom_id", "render", "select_custom_id",
    "setup", "split_text", "start_client", "stop_client", "strip_markup",
]


__getattr__, __dir__ = lazy_exports(__name__, _HOME, __all__)
