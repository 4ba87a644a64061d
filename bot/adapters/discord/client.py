"""The discord.py client of soudan: slash commands, component presses, DMs and the moderators' desk.

:class:`SoudanClient` turns each interaction or DM into an engine input, runs it through the shared
:class:`~bot.service.Conversations` and sends what :func:`~bot.adapters.discord.render.render`
made of the replies. Commands: ``/soudan``, ``/soudan-panel``, ``/soudan-contacts``,
``/soudan-forget`` and ``/soudan-moderators`` (:func:`_commands`). Hand-off cards go to a
server's moderators through :class:`ModeratorSink`.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import json
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.adapters.common import outage_replies
from bot.adapters.discord.components import DYNAMIC_ITEMS, PanelButton, TakeButton, send_kwargs
from bot.adapters.discord.ids import (
    MAX_QUERY,
    SELECT_TEMPLATE,
    Unhash,
    dm_list_custom_id,
    parse_choice_custom_id,
)
from bot.adapters.discord.render import (
    MAX_COMPONENTS,
    MAX_CONTENT,
    DMListSpec,
    LinkSpec,
    Outgoing,
    handoff_card,
    render,
    text_messages,
    ulen,
)
from bot.contacts.directory import rank
from bot.engine.types import (
    Command,
    CommandName,
    ContactView,
    Input,
    Pick,
    Refer,
    Reply,
    Start,
    Text,
    Unsupported,
)
from bot.handoff.desk import Desk
from bot.handoff.guilds import GuildModerators, GuildStore
from bot.i18n import t
from bot.service import Conversations

if TYPE_CHECKING:
    import datetime as dt

    from bot.adapters import Metrics

__all__ = [
    "HANDOFF_RATE", "MAX_CONTACT_RESULTS", "PLATFORM", "ConnectionState", "ConnectionStatus", "ModeratorSink", "Send", "SoudanClient", "default_intents",
    "locale_of", "strip_markup", "where",
]

log = logging.getLogger("soudan.discord")

PLATFORM = "discord"
"""The platform name given to :meth:`bot.service.Conversations.handle` (store keys, event ids)."""


MAX_CONTACT_RESULTS = 15
"""Windows shown by one ``/soudan-contacts`` answer; more → "narrow your search"."""

_MARKUP = re.compile(r"<a?:\w{1,32}:\d{1,21}>|<(?:@[!&]?|#)\d{1,21}>|<t:-?\d{1,16}(?::[tTdDfFR])?>")


def strip_markup(content: str) -> str:
    """DM text without Discord markup: custom emoji (``<:name:id>``, ``<a:name:id>``), mentions
    (``<@id>``, ``<@&id>``, ``<#id>``) and timestamps (``<t:…>``), each replaced by a space.

    Left in, ``<:happy:123…>はい`` would read as ``happy123…はい`` and match no answer.
    """
    return _MARKUP.sub(" ", content) if "<" in content else content


def locale_of(interaction: discord.Interaction[Any]) -> str:
    """The bot locale for an interaction: ``"en"`` for English Discord locales, else ``"ja"``."""
    loc = getattr(interaction, "locale", None)
    value = getattr(loc, "value", loc)
    return "en" if isinstance(value, str) and value.lower().startswith("en") else "ja"


def where(exc: BaseException) -> str:
    """``file:line`` where ``exc`` was raised (for logs that must not carry exception messages)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return f"{tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}" if tb else "?"


def _in_guild(interaction: discord.Interaction[Any]) -> bool:
    return interaction.guild_id is not None


def _client_of(interaction: discord.Interaction[Any]) -> SoudanClient:
    client = interaction.client
    if not isinstance(client, SoudanClient):  # pragma: no cover - only our client registers these commands
        raise TypeError("soudan commands need a SoudanClient")
    return client


Send = Callable[..., Awaitable[Any]]


def default_intents() -> discord.Intents:
    """``guilds`` and ``dm_messages`` only: no privileged intent (DM text arrives without Message Content)."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.dm_messages = True
    return intents


class ConnectionState(enum.StrEnum):
    """Where the Discord client stands: the ``discord`` field of ``/healthz``."""

    STARTING = "starting"
    """Logging in and opening the gateway for the first time."""
    CONNECTED = "connected"
    """The gateway said READY (or RESUMED): commands, buttons and DMs are answered."""
    RECONNECTING = "reconnecting"
    """The gateway connection dropped after being up; discord.py is reconnecting."""
    RETRYING = "retrying"
    """The start-up failed because Discord could not be reached; it is retried (see the runner)."""
    TOKEN_REJECTED = "token_rejected"
    """Discord refused ``DISCORD_TOKEN``: Discord is off until a fresh token and a restart."""
    STOPPED = "stopped"
    """The client stopped: closed with the server, or a start-up failure not worth retrying."""


@dataclass
class ConnectionStatus:
    """The client's :class:`ConnectionState`, shared with ``/healthz`` (set by the client's gateway
    events and by the runner's start-up loop)."""

    state: ConnectionState = ConnectionState.STARTING


class SoudanClient(discord.Client):
    """The Discord client: slash commands, persistent components and DM conversations.

    Args:
        conversations: the shared :class:`~bot.service.Conversations` (engine + store).
        clock: returns the current aware datetime; defaults to ``conversations.clock``.
        metrics: optional :class:`bot.adapters.Metrics` (label ``platform="discord"``).
        sync_commands: call ``tree.sync()`` in :meth:`setup_hook` — at the first login of this
            client (one per process) and again only when the command payload changed
            (:meth:`commands_digest`), not at every start-up retry.
        intents: gateway intents; :func:`default_intents` when None.
        connection_status: where the client stands (``/healthz``); a new :class:`ConnectionStatus`
            when None.

    Attributes:
        tree: the :class:`discord.app_commands.CommandTree` with ``/soudan``, ``/soudan-panel``,
            ``/soudan-contacts``, ``/soudan-open-now``, ``/soudan-help-now``, ``/soudan-forget``
            and ``/soudan-moderators``.
        desk: the app's hand-off desk (moderators); None: no hand-off on Discord.
        guilds: per-server moderator settings (:class:`bot.handoff.guilds.GuildStore`), kept as
            ``moderator_guilds``.
    """

    def __init__(self, conversations: Conversations, *, clock: Callable[[], dt.datetime] | None = None,
                 metrics: Metrics | None = None, sync_commands: bool = True,
                 intents: discord.Intents | None = None, desk: Desk | None = None,
                 guilds: GuildStore | None = None,
                 connection_status: ConnectionStatus | None = None) -> None:
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False  # no voice here: no warnings
        super().__init__(intents=intents or default_intents(), allowed_mentions=discord.AllowedMentions.none())
        self.conversations = conversations
        self.clock = clock or conversations.clock
        self.metrics = metrics
        self.sync_commands = sync_commands
        self.connection_status = connection_status if connection_status is not None else ConnectionStatus()
        self._synced: str | None = None  # commands_digest() of the last successful sync
        self.unhash = Unhash(conversations)
        self.tree: app_commands.CommandTree[SoudanClient] = app_commands.CommandTree(self)
        self.tree.on_error = self._on_tree_error  # type: ignore[method-assign]
        for cmd in _commands():
            self.tree.add_command(cmd)
        self.desk = desk
        self.moderator_guilds = guilds if guilds is not None else GuildStore(None)
        self._requests: dict[str, list[float]] = {}
        if desk is not None:
            desk.register(PLATFORM, ModeratorSink(self), offer_by_default=False)

    async def setup_hook(self) -> None:
        """Register the dynamic items (buttons survive restarts) and sync the slash commands when
        this client has not synced them yet or they changed since (called at every login)."""
        self.add_dynamic_items(*DYNAMIC_ITEMS, TakeButton)
        if self.sync_commands:
            digest = self.commands_digest()
            if digest != self._synced:
                await self.tree.sync()
                self._synced = digest

    def commands_digest(self) -> str:
        """SHA-256 (hex) of the global command payload ``tree.sync()`` sends (names, descriptions,
        options, permissions): what decides whether a login syncs again."""
        payload = [c.to_dict(self.tree) for c in self.tree.get_commands()]
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()

    async def on_ready(self) -> None:
        """The gateway said READY: connected."""
        self.connection_status.state = ConnectionState.CONNECTED

    async def on_resumed(self) -> None:
        """The gateway resumed the session after a drop: connected again."""
        self.connection_status.state = ConnectionState.CONNECTED

    async def on_disconnect(self) -> None:
        """The gateway connection dropped (discord.py reconnects by itself)."""
        if self.connection_status.state is ConnectionState.CONNECTED:
            self.connection_status.state = ConnectionState.RECONNECTING

    # -------------------------------------------------------------- bookkeeping

    def _count(self, kind: str, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.events.labels(PLATFORM, kind, outcome).inc()

    def _sent(self, method: str, n: int) -> None:
        if self.metrics is not None and n:
            self.metrics.replies.labels(PLATFORM, method).inc()
            self.metrics.messages.labels(PLATFORM).inc(n)

    @staticmethod
    def _followup(interaction: discord.Interaction[Any], ephemeral: bool) -> Send:
        async def send(**kw: Any) -> Any:
            return await interaction.followup.send(ephemeral=ephemeral, **kw)
        return send

    async def _deliver(self, send: Send, messages: Sequence[Outgoing], method: str) -> int:
        """Send ``messages`` in order and return how many were sent.

        Raises:
            discord.HTTPException: from the first failed send (the rest are not sent); logged
                with status and code only.
        """
        n = 0
        try:
            for m in messages:
                await send(**send_kwargs(m))
                n += 1
        except discord.HTTPException as exc:
            log.warning("discord send failed after %d message(s): HTTP %s code %s", n, exc.status, exc.code)
            if self.metrics is not None:
                self.metrics.api_errors.labels(PLATFORM, method, str(exc.status)).inc()
            raise
        finally:
            self._sent(method, n)
        return n

    async def _converse(self, send: Send, raw_user_id: str, inp: Input, *, event_id: str, kind: str,
                        locale: str, method: str, guild: int | None = None) -> int:
        """Run one input through the shared conversations and send what comes back.

        Errors (store down, a bug, a failed send) are logged without content — exception type and
        where it was raised — and answered, when possible, as every adapter answers them
        (:func:`~bot.adapters.common.outage_replies`): typed crisis words get the crisis card first,
        then a short apology carrying the emergency numbers.

        Returns:
            The number of messages sent (0 for a duplicate event).
        """
        try:
            team = self._team(guild)
            if isinstance(inp, Pick) and inp.choice_id == ":handoff-yes" and team and self._rate_limited(
                    raw_user_id, guild):
                return await self._deliver(send, [Outgoing(content=t("discord.moderators.rate", locale, n=HANDOFF_RATE[0]))], method)
            handled = await self.conversations.handle(PLATFORM, raw_user_id, inp, event_id=event_id,
                                                      now=self.clock(), team=team or "")
            if self.desk is not None and handled.handoffs:
                await self.desk.dispatch(PLATFORM, handled, raw_user_id, {"guild": str(guild or "")})
            messages = render(handled.replies, handled.session.locale if handled.session is not None else locale)
        except Exception as exc:  # noqa: BLE001 — any fault must still answer the person; exception messages may quote input: log the type and place only
            log.error("discord %s failed in the store/engine: %s at %s", kind, type(exc).__name__, where(exc))
            self._count(kind, "error")
            sorry = outage_replies(self.conversations.engine, inp.text if isinstance(inp, Text) else None,
                                   self.clock(), locale)
            with contextlib.suppress(discord.HTTPException):
                return await self._deliver(send, render(sorry, locale), method)
            return 0
        if handled.duplicate:
            self._count(kind, "duplicate")
            return 0
        if self.metrics is not None:
            self.metrics.step_seconds.labels(PLATFORM).observe(handled.seconds)
        self._count(kind, "handled")
        try:
            return await self._deliver(send, messages, method)
        except discord.HTTPException:
            return 0

    async def _interaction_input(self, interaction: discord.Interaction[Any], inp: Input, kind: str, *,
                                 ephemeral: bool | None = None) -> None:
        eph = _in_guild(interaction) if ephemeral is None else ephemeral
        if not interaction.response.is_done():
            await interaction.response.defer(ephemeral=eph, thinking=True)
        sent = await self._converse(self._followup(interaction, eph), str(interaction.user.id), inp,
                                    event_id=str(interaction.id), kind=kind, locale=locale_of(interaction),
                                    method="followup", guild=interaction.guild_id)
        if sent == 0:  # never leave "thinking…" behind
            with contextlib.suppress(discord.HTTPException):
                await interaction.delete_original_response()

    # -------------------------------------------------------------- handlers

    async def cmd_soudan(self, interaction: discord.Interaction[Any]) -> None:
        """``/soudan``: start a consultation (ephemeral in a server, normal in a DM)."""
        await self._interaction_input(interaction, Start(locale=locale_of(interaction)), "command.soudan")

    async def cmd_engine(self, interaction: discord.Interaction[Any], name: CommandName) -> None:
        """``/soudan-open-now`` (窓口をさがす（いま受付中）: the national windows open now) and
        ``/soudan-help-now`` (いますぐ助けが必要: the danger reply, 110 first, 119 and the 24-hour
        lines): the engine's command ``name`` (:data:`ENGINE_COMMANDS`), after which the
        consultation goes on where it was (someone new: the welcome and the first question).
        Ephemeral in a server, normal in a DM; event kind ``command.open_now`` / ``command.help_now``."""
        await self._interaction_input(interaction, Command(name, locale_of(interaction)),
                                      "command." + name.value.replace("-", "_"))

    async def cmd_forget(self, interaction: discord.Interaction[Any]) -> None:
        """``/soudan-forget``: the engine's ``forget``, which asks first (「消す」「やめる」 buttons); 「消す」
        deletes everything stored about the member, 「やめる」 leaves the consultation where it was."""
        # in a server the question is private to this interaction, not in the DM where the member types:
        # a 「1」 typed there answers the DM's question, never this one (breaker §6)
        await self._interaction_input(interaction, Command(CommandName.FORGET, locale_of(interaction),
                                                           elsewhere=_in_guild(interaction)), "command.forget")

    async def cmd_panel(self, interaction: discord.Interaction[Any]) -> None:
        """``/soudan-panel``: post the persistent panel in this channel; the moderator gets an ephemeral note."""
        loc = locale_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        channel = interaction.channel
        embed = discord.Embed(title=t("discord.panel_title", loc), description=t("discord.panel_text", loc), colour=0x2E8B57)
        view = discord.ui.View(timeout=None)
        view.add_item(PanelButton())
        try:
            if not isinstance(channel, discord.abc.Messageable):  # pragma: no cover - guild_only command
                raise TypeError("not a text channel")
            await channel.send(embed=embed, view=view)
        except (discord.Forbidden, TypeError):
            self._count("command.panel", "forbidden")
            await interaction.followup.send(t("discord.panel_forbidden", loc), ephemeral=True)
            return
        self._count("command.panel", "handled")
        await interaction.followup.send(t("discord.panel_posted", loc), ephemeral=True)

    async def on_panel(self, interaction: discord.Interaction[Any]) -> None:
        """The panel button: a private (ephemeral) consultation for whoever pressed it."""
        await self._interaction_input(interaction, Start(locale=locale_of(interaction)), "panel", ephemeral=True)

    async def on_choice(self, interaction: discord.Interaction[Any], custom_id: str) -> None:
        """A choice button: ``Pick(choice, state, conversation)`` from its ``custom_id``."""
        p = parse_choice_custom_id(custom_id, self.unhash)
        if p is None:  # pragma: no cover - the template guarantees a match
            return
        await self._interaction_input(interaction, p, "button")

    async def on_select(self, interaction: discord.Interaction[Any], custom_id: str, value: str) -> None:
        """A choice select menu: ``Pick(value, state, conversation)``."""
        m = re.fullmatch(SELECT_TEMPLATE, custom_id)
        if m is None:  # pragma: no cover
            return
        await self._interaction_input(interaction, Pick(self.unhash(value), self.unhash(m["state"]), m["conv"]),
                                      "select")

    def contacts_messages(self, query: str | None, open_now: bool, locale: str, *,
                          dm_button: bool) -> list[Outgoing]:
        """The answer to ``/soudan-contacts``: a header and one card per window, available ones first.

        Nothing found (or nothing open) → the directory's 24-hour fallback line. At most
        :data:`MAX_CONTACT_RESULTS` windows.
        """
        now = self.clock()
        directory = self.conversations.engine.directory
        q = (query or "").strip()[:MAX_QUERY] or None
        found = directory.search(q, open_now=open_now, now=now)
        found.sort(key=lambda p: rank(p[1]))  # answered now, then forms, then unknown, then closed (issue #12)
        shown_q = discord.utils.escape_markdown(discord.utils.escape_mentions(q or ""))
        if found:
            k = sum(st.is_staffed for _, st in found)  # a form is not "open now": nobody answers it now
            head = t("discord.results", locale, q=shown_q, n=len(found), k=k) if q else \
                t("discord.results_all", locale, n=len(found), k=k)
            if open_now:
                head += t("discord.results_open", locale)
            if len(found) > MAX_CONTACT_RESULTS:
                head += "\n" + t("discord.more", locale, m=len(found) - MAX_CONTACT_RESULTS)
            views = tuple(ContactView(c, st) for c, st in found[:MAX_CONTACT_RESULTS])
        else:
            head = t("discord.none", locale, q=shown_q) if q else t("discord.none_open", locale)
            fb = directory.fallback(now)
            views = (ContactView(fb, directory.status(fb, now)),)
        msgs = render([Refer(head, views)], locale)
        if dm_button:
            last = msgs[-1]
            if sum(isinstance(c, LinkSpec) for c in last.components) >= MAX_COMPONENTS:
                last = Outgoing()
                msgs.append(last)
            last.components.append(DMListSpec(t("discord.dm_button", locale), dm_list_custom_id(q, open_now), row=4))
        return msgs

    async def cmd_contacts(self, interaction: discord.Interaction[Any], query: str | None = None,
                           open_now: bool = False) -> None:
        """``/soudan-contacts``: ephemeral directory lookup with status now (and a DM button in servers)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        loc = locale_of(interaction)
        try:
            msgs = self.contacts_messages(query, open_now, loc, dm_button=_in_guild(interaction))
        except Exception as exc:  # noqa: BLE001 — any fault in a lookup must still answer the moderator; log the type only
            log.error("discord contacts lookup failed: %s", type(exc).__name__)
            self._count("command.contacts", "error")
            await interaction.followup.send(t("adapters.error", loc), ephemeral=True)
            return
        self._count("command.contacts", "handled")
        with contextlib.suppress(discord.HTTPException):
            await self._deliver(self._followup(interaction, True), msgs, "followup")

    async def on_contacts_dm(self, interaction: discord.Interaction[Any], query: str | None, open_now: bool) -> None:
        """"Send me this list by DM": DM the (freshly computed) list; closed DMs → ephemeral fallback."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        loc = locale_of(interaction)
        msgs = self.contacts_messages(query, open_now, loc, dm_button=False)
        try:
            await self._deliver(interaction.user.send, msgs, "dm")
        except discord.HTTPException as exc:  # Forbidden 50007: DMs closed; anything else: same fallback
            self._count("contacts.dm", "dm_closed" if isinstance(exc, discord.Forbidden) else "error")
            msgs[0].content = t("discord.dm_closed", loc) + ("\n\n" + msgs[0].content if msgs[0].content else "")
            if ulen(msgs[0].content) > MAX_CONTENT:  # pragma: no cover - header is short
                msgs = [*text_messages(msgs[0].content), *msgs[1:]]
            with contextlib.suppress(discord.HTTPException):
                await self._deliver(self._followup(interaction, True), msgs, "followup")
            return
        self._count("contacts.dm", "handled")
        await interaction.followup.send(t("discord.dm_sent", loc), ephemeral=True)

    # -------------------------------------------------------------- moderators (hand-off)

    def _team(self, guild: int | None) -> str | None:
        """The moderators' team, offered only in a server that set its moderators up."""
        if self.desk is None or self.moderator_guilds.get(guild) is None:
            return None
        return self.desk.team_for(PLATFORM)

    def _rate_limited(self, raw_user_id: str, guild: int | None) -> bool:
        """Record one hand-off request; True when the member already made :data:`HANDOFF_RATE` ones."""
        n, window = HANDOFF_RATE
        key = f"{guild}:{self.conversations.key(PLATFORM, raw_user_id)}"
        now = self.clock().timestamp()
        recent = [t for t in self._requests.get(key, []) if now - t < window]
        if len(recent) >= n:
            self._requests[key] = recent
            return True
        self._requests[key] = [*recent, now]
        return False

    async def cmd_moderators(self, interaction: discord.Interaction[Any], channel: discord.TextChannel,
                             role: discord.Role) -> None:
        """``/soudan-moderators``: store the server's private moderators' channel and role.

        Refused (ephemerally, with the fix) when no moderator team is configured, when the channel is
        visible to @everyone or to anyone without the role's permissions, or when the bot cannot post there.
        """
        await interaction.response.defer(ephemeral=True, thinking=True)
        loc = locale_of(interaction)
        guild = interaction.guild
        names = {"channel": channel.mention, "role": role.mention}
        if self.desk is None or self.desk.team_for(PLATFORM) is None or guild is None:
            await interaction.followup.send(t("discord.moderators.no_team", loc), ephemeral=True)
            return
        if channel.permissions_for(guild.default_role).view_channel or not channel.permissions_for(role).view_channel:
            self._count("command.moderators", "not_private")
            await interaction.followup.send(t("discord.moderators.not_private", loc, **names), ephemeral=True)
            return
        me = guild.me
        perms = channel.permissions_for(me) if me is not None else None
        if perms is None or not (perms.view_channel and perms.send_messages and perms.embed_links):
            await interaction.followup.send(t("discord.moderators.no_send", loc, **names), ephemeral=True)
            return
        self.moderator_guilds.set(GuildModerators(guild.id, channel.id, role.id))
        self._count("command.moderators", "handled")
        await interaction.followup.send(t("discord.moderators.set", loc, **names), ephemeral=True)

    async def on_take(self, interaction: discord.Interaction[Any], conversation_id: str) -> None:
        """「対応します」: only the role; records who took it, tells the member by DM and the moderator
        (ephemerally) whom to DM and how."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        loc = locale_of(interaction)
        cfg = self.moderator_guilds.get(interaction.guild_id)
        member = interaction.user
        if cfg is None or not isinstance(member, discord.Member) or all(r.id != cfg.role for r in member.roles):
            self._count("take", "not_role")
            await interaction.followup.send(t("discord.moderators.not_role", loc), ephemeral=True)
            return
        key = self.desk.key_of_conversation(conversation_id) if self.desk is not None else None
        rec = self.desk.record_of(key) if self.desk is not None and key is not None else None
        if self.desk is None or key is None or rec is None or rec.deadline is None:
            self._count("take", "gone")
            await interaction.followup.send(t("discord.moderators.gone", loc), ephemeral=True)
            return
        rec.context["taken_by"] = str(member.id)
        if not await self.desk.taken(key, self.clock()):
            await interaction.followup.send(t("discord.moderators.gone", loc), ephemeral=True)
            return
        self._count("take", "handled")
        await interaction.followup.send(t("discord.moderators.took", loc, member=f"<@{rec.address}>"), ephemeral=True)

    async def on_message(self, message: discord.Message) -> None:
        """A DM to the bot: free text (or an unreadable attachment) continues the consultation.

        Messages in servers, from bots (this one included) and outside DM channels are ignored.
        """
        if message.author.bot or message.guild is not None or not isinstance(message.channel, discord.DMChannel):
            return
        inp: Input
        text = strip_markup(message.content)
        if text.strip():
            inp = Text(text)
        elif message.content.strip():  # custom emoji (or mentions) only
            inp = Unsupported("emoji")
        elif message.stickers:
            inp = Unsupported("sticker")
        elif message.attachments:
            inp = Unsupported("file")
        else:
            inp = Unsupported("other")
        await self._converse(message.channel.send, str(message.author.id), inp, event_id=str(message.id),
                             kind="dm.text" if isinstance(inp, Text) else "dm.other", locale="ja", method="dm")

    async def _on_tree_error(self, interaction: discord.Interaction[Any],
                             error: app_commands.AppCommandError) -> None:
        log.error("discord command failed: %s", type(getattr(error, "original", error)).__name__)
        loc = locale_of(interaction)
        with contextlib.suppress(discord.HTTPException):
            if interaction.response.is_done():
                await interaction.followup.send(t("adapters.error", loc), ephemeral=_in_guild(interaction))
            else:
                await interaction.response.send_message(t("adapters.error", loc), ephemeral=True)


ENGINE_COMMANDS: dict[str, tuple[CommandName, str]] = {
    "soudan-open-now": (CommandName.OPEN_NOW, "窓口をさがす（いま受付中・あなたにだけ表示）/ Windows open right now, privately"),
    "soudan-help-now": (CommandName.HELP_NOW, "いますぐ助けが必要（110番・24時間の窓口）/ I need help right now (110, 24-hour lines)"),
}
"""Slash command name → (the engine command it sends, its description): the LINE rich menu's
「窓口をさがす（いま受付中）」 and 「いますぐ助けが必要」 (:meth:`SoudanClient.cmd_engine`)."""


def _commands() -> list[app_commands.Command[Any, Any, Any]]:
    """Fresh command objects for one tree (callbacks reach the client through ``interaction.client``)."""

    @app_commands.command(name="soudan", description="相談窓口をご案内します（あなたにだけ表示）/ Find help privately")
    async def soudan(interaction: discord.Interaction[Any]) -> None:
        await _client_of(interaction).cmd_soudan(interaction)

    @app_commands.command(name="soudan-panel",
                          description="「相談をはじめる」パネルをこのチャンネルに置く / Post the help panel here")
    @app_commands.default_permissions(manage_messages=True)
    @app_commands.guild_only()
    async def panel(interaction: discord.Interaction[Any]) -> None:
        await _client_of(interaction).cmd_panel(interaction)

    @app_commands.command(name="soudan-contacts",
                          description="相談窓口を探す（あなたにだけ表示）/ Look up consultation windows privately")
    @app_commands.describe(query="窓口名・キーワード・電話番号 / name, keyword or phone number",
                           open_now="いま受付中のみ / only those open now")
    async def contacts(interaction: discord.Interaction[Any],
                       query: app_commands.Range[str, 1, MAX_QUERY] | None = None,
                       open_now: bool = False) -> None:
        await _client_of(interaction).cmd_contacts(interaction, query, open_now)

    def engine_command(name: str, command: CommandName, description: str) -> app_commands.Command[Any, Any, Any]:
        async def callback(interaction: discord.Interaction[Any]) -> None:
            await _client_of(interaction).cmd_engine(interaction, command)
        return app_commands.Command(name=name, description=description, callback=callback)

    engine = [engine_command(n, c, d) for n, (c, d) in ENGINE_COMMANDS.items()]

    @app_commands.command(name="soudan-forget",
                          description="あなたの相談の記録をすべて削除 / Delete everything stored about you")
    async def forget(interaction: discord.Interaction[Any]) -> None:
        await _client_of(interaction).cmd_forget(interaction)

    @app_commands.command(name="soudan-moderators",
                          description="相談の引き継ぎ先（非公開チャンネルとロール）を設定 / Set the moderators' channel and role")
    @app_commands.describe(channel="モデレーターだけが見られるチャンネル / a channel only moderators can see",
                           role="対応するモデレーターのロール / the moderators' role")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def moderators(interaction: discord.Interaction[Any], channel: discord.TextChannel,
                         role: discord.Role) -> None:
        await _client_of(interaction).cmd_moderators(interaction, channel, role)

    return [soudan, panel, contacts, *engine, forget, moderators]


# ------------------------------------------------------------------ moderators (hand-off, issue #14)
#
# A server admin runs `/soudan-moderators channel role`: hand-off cards then go to that private
# channel, and only members with that role may take them. A member who consents (the engine's
# second tap, bot/engine/handoff.py) gets an anonymous card posted there — harm category, urgency,
# windows already shown, time; no name, no text. 「対応します」 records who took it, tells the
# member by DM that a moderator will DM them, and tells the moderator (privately) whom to DM and
# how: no public call-outs, signpost first (Samaritans / NSPA guidance for online communities).

HANDOFF_RATE = (2, 3600.0)
"""At most this many hand-off requests per member per this many seconds (per server)."""


class ModeratorSink:
    """Delivers hand-off events to a server's moderators' channel and tells the member by DM
    (:class:`bot.handoff.desk.Sink`)."""

    def __init__(self, client: SoudanClient) -> None:
        self.client = client

    async def to_team(self, event: Any, record: Any) -> None:
        """Post the card (``requested``) or update it (taken / withdrawn / timed out / released)."""
        client = self.client
        cfg = client.moderator_guilds.get(int(record.context.get("guild", "0") or 0))
        if cfg is None:
            return
        channel = client.get_channel(cfg.channel) or await client.fetch_channel(cfg.channel)
        if not isinstance(channel, discord.abc.Messageable):
            return
        if event.kind == "requested":
            view = discord.ui.View(timeout=None)
            view.add_item(TakeButton(record.conversation_id))
            msg = await channel.send(content=f"<@&{cfg.role}>",
                                     embed=discord.Embed.from_dict(handoff_card(event.summary, t("discord.moderators.waiting", "ja"))),
                                     view=view, allowed_mentions=discord.AllowedMentions(roles=True, users=False))
            record.context["message"] = str(msg.id)
            return
        mid = record.context.get("message")
        summary = record.summary
        if not mid or summary is None:
            return
        who = record.context.get("taken_by")
        state = t("discord.moderators.taken", "ja", who=f"<@{who}>") if event.kind == "taken" and who else t(f"discord.moderators.{event.kind}", "ja")
        msg = await channel.fetch_message(int(mid))
        view = discord.ui.View(timeout=None)
        view.add_item(TakeButton(record.conversation_id, disabled=True))
        await msg.edit(embed=discord.Embed.from_dict(handoff_card(summary, state)), view=view)

    async def to_person(self, record: Any, replies: Sequence[Reply], locale: str) -> None:
        """DM the member (the time-out's 24-hour lines; "a moderator will DM you")."""
        user = self.client.get_user(int(record.address)) or await self.client.fetch_user(int(record.address))
        await self.client._deliver(user.send, render(replies, locale), "dm")
