"""Platform-neutral inputs, replies and the session.

Adapters turn platform events into an :data:`Input` and render :data:`Reply` objects; the
engine (:mod:`bot.engine.core`) maps ``(session, input, now)`` to ``(session', replies)``.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal, NamedTuple, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from bot.contacts.model import Contact
from bot.contacts.status import Status
from bot.engine.flow import is_result

__all__ = [
    "Ask", "ChoiceView", "Command", "CommandName", "ContactView", "End", "HandoffAnswer", "HandoffEvent",
    "HandoffSignal", "HandoffState", "HandoffSummary", "HistoryEntry", "Input", "Outcome", "Pick", "Refer",
    "Reply", "Say", "Session", "Start", "Text", "Unsupported", "assemble",
]


# ---------------------------------------------------------------- inputs

class CommandName(StrEnum):
    """Global commands understood in every state.

    ``open-now`` lists the national windows open now (the conversation goes on where it was);
    ``help-now`` gives the crisis reply for danger (110 first), as 「今すぐ助けて」 typed would.
    """

    RESTART = "restart"
    BACK = "back"
    HELP = "help"
    STOP = "stop"
    FORGET = "forget"
    LANG_JA = "lang-ja"
    LANG_EN = "lang-en"
    OPEN_NOW = "open-now"
    HELP_NOW = "help-now"


@dataclass(frozen=True)
class Start:
    """Begin a conversation (LINE follow, Discord /soudan, terminal start).

    Attributes:
        flow_id: the flow to start, or None for the default flow.
        locale: the user's locale when the platform knows it (``"ja"``/``"en"``), else None.
    """

    flow_id: str | None = None
    locale: str | None = None


@dataclass(frozen=True)
class Text:
    """A free-text message typed by the user. Never stored, never logged."""

    text: str


@dataclass(frozen=True)
class Pick:
    """A button press or postback.

    Attributes:
        choice_id: the id of the choice pressed (or ``":restart"`` style command ids).
        state_id: the state the button was shown in.
        conversation_id: the conversation the button belongs to (stale buttons are recognised).
    """

    choice_id: str
    state_id: str
    conversation_id: str


@dataclass(frozen=True)
class Command:
    """A global command from a platform control (a Discord slash command, a LINE rich menu area).

    Attributes:
        name: the command.
        locale: the language of the control (``"ja"``/``"en"``: the LINE rich menu of that
            language), or None; used only for a person the bot has no current conversation with.
        elsewhere: the reply is shown where the person does not type (a Discord slash command's
            private reply in a server; typed messages come from the DM): a deletion question asked
            so is not answered by a bare 「1」「はい」 typed later.
    """

    name: CommandName
    locale: str | None = None
    elsewhere: bool = False


@dataclass(frozen=True)
class Unsupported:
    """A message the bot cannot read: ``kind`` is e.g. ``"sticker"``, ``"image"``, ``"file"``."""

    kind: str


@dataclass(frozen=True)
class HandoffSignal:
    """Something the service learnt about this person's hand-off (never typed by the person).

    Attributes:
        kind: ``check`` — the periodic sweep asks whether the pick-up time ran out (the engine
            answers with nothing when it did not); ``taken`` — a counsellor or moderator picked it
            up; ``released`` — the people handed the conversation back to the bot (Chatwoot
            resolved).
    """

    kind: Literal["check", "taken", "released"]


Input = Start | Text | Pick | Command | Unsupported | HandoffSignal


# ---------------------------------------------------------------- replies

@dataclass(frozen=True)
class ChoiceView:
    """A choice as shown to the user: ``id`` goes back in a :class:`Pick`, ``label`` is localised."""

    id: str
    label: str


@dataclass(frozen=True)
class ContactView:
    """A contact with its status at the instant of the step.

    Attributes:
        contact: the directory entry.
        status: open / closed / 24h / unknown at ``at``.
        at: the instant the status was computed for (aware), or None.
    """

    contact: Contact
    status: Status
    at: dt.datetime | None = None


@dataclass(frozen=True)
class Say:
    """A plain message."""

    text: str


@dataclass(frozen=True)
class Ask:
    """A question with choices.

    Attributes:
        text: the question.
        choices: the choices in order (numbered from 1 when rendered as text).
        allow_free_text: whether typed answers are understood (always true for flow questions).
        state_id, conversation_id: to build postback data / custom_ids for the buttons.
        offers: commands offered beside the choices (``:forget`` after the help), as buttons
            only — never numbered, so that a typed number still answers the question; an adapter
            without room for them may leave them out (the help names them as words to type).
    """

    text: str
    choices: tuple[ChoiceView, ...]
    state_id: str
    conversation_id: str
    allow_free_text: bool = True
    offers: tuple[ChoiceView, ...] = ()


@dataclass(frozen=True)
class Refer:
    """A referral: the windows to contact and next steps.

    Attributes:
        text: the lead text.
        contacts: windows, available ones (open or 24 h) first.
        steps: concrete next steps, in order.
        urgency: ``"immediate"``, ``"high"`` or ``"normal"`` (see :data:`bot.engine.flow.Urgency`);
            ``"immediate"`` for the crisis reply; None when the flow does not declare one.
        state_id: the result state shown, None for the crisis reply, or one of the engine's own lists
            (``:open-now``, ``:handoff-timeout``: the counters take them for neither).
    """

    text: str
    contacts: tuple[ContactView, ...]
    steps: tuple[str, ...] = ()
    urgency: str | None = None
    state_id: str | None = None


@dataclass(frozen=True)
class End:
    """The conversation ended (stop, forget)."""

    text: str


Reply = Say | Ask | Refer | End


# ---------------------------------------------------------------- session

class HandoffState(BaseModel):
    """A hand-off of this conversation to a team (DESIGN.md §11), as stored in the session.

    Attributes:
        team: the team id (``SOUDAN_TEAMS_FILE``).
        status: ``consent`` (the person was asked what may be shared), ``waiting`` (shared,
            nobody picked it up yet) or ``taken`` (someone did).
        result: the result state it was offered at.
        requested_at: when the person consented (aware), or None before.
        deadline: when ``waiting`` turns into "nobody could answer" (aware), or None.

    Frozen: a change is a new object (``model_copy(update=...)``), so sessions may share one.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    team: str
    status: Literal["consent", "waiting", "taken"]
    result: str
    requested_at: dt.datetime | None = None
    deadline: dt.datetime | None = None


class HistoryEntry(BaseModel):
    """One answered question, for ``back``: the state, the choice picked, slots before it.

    Frozen, and its ``slots`` are never changed in place (``back`` copies them): copies of a
    session share their entries (the engine's step, :func:`bot.store.codec.copy_session`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    state: str
    choice: str
    slots: dict[str, str] = Field(default_factory=dict)

    @classmethod
    def of(cls, state: str, choice: str, slots: dict[str, str]) -> HistoryEntry:
        """The entry for ids and slots the engine already holds (no validation pass: :func:`assemble`).

        Args:
            state, choice: the state id and the id of the choice picked there.
            slots: the slots before the answer (kept as given: pass a copy)."""
        return assemble(cls, {"state": state, "choice": choice, "slots": slots})


class Session(BaseModel):
    """What the bot remembers of one user's conversation — the least that works.

    Holds ids only: flow, state, choice ids, slot values (choice ids) and timestamps. Never any
    text the user typed.

    Attributes:
        flow_id, flow_version: the flow and the version it was started with.
        conversation_id: random id of this conversation (stale buttons carry an older one).
        state: the current state id.
        slots: answers saved with ``save_as`` (slot name → choice id).
        history: answered questions, most recent last (for ``back``).
        locale: ``"ja"`` or ``"en"``.
        prefill: answers to later questions (``skip_if_known``) already given in earlier
            messages: slot name → choice id or region code (never typed text).
        clarify: the choice ids offered by the last "which is closest?" question, in the order
            shown (a number answers among them); ``[":forget"]`` when the last reply asked whether
            to delete the person's data (「消す」「やめる」, :data:`bot.engine.commands.FORGET_PENDING`);
            empty otherwise.
        started_at, updated_at, expires_at: aware datetimes; ``expires_at`` is absolute.
        finished: True when the session is at a result (its state is a ``refer`` state) — derived,
            not stored: a property asking the loaded flows (:func:`bot.engine.flow.is_result`;
            raises ``LookupError`` when that flow is not loaded, or when two live flows of that id
            and version disagree). The engine asks
            :meth:`bot.engine.core.Engine.finished`.
        team: the team the platform offers this conversation (set by the service each step), or None.
        handoff: the hand-off in progress, or None.
    """

    model_config = ConfigDict(extra="forbid")

    flow_id: str
    flow_version: str
    conversation_id: str
    state: str
    slots: dict[str, str] = Field(default_factory=dict)
    history: list[HistoryEntry] = Field(default_factory=list)
    locale: str = "ja"
    prefill: dict[str, str] = Field(default_factory=dict)
    clarify: list[str] = Field(default_factory=list)
    started_at: dt.datetime
    updated_at: dt.datetime
    expires_at: dt.datetime
    team: str | None = None
    handoff: HandoffState | None = None

    @property
    def finished(self) -> bool:
        """True when the session is at a result, from the flow loaded in this process (see the class doc).

        Raises:
            LookupError: when the session's flow (id and version) is not loaded in this process,
                or live flows of that id and version disagree about its state.
        """
        return is_result(self.flow_id, self.flow_version, self.state)

    def detached(self, *, clarify: list[str] | None = None) -> Session:
        """A copy sharing no mutable part with this session: ``slots``, ``history``, ``prefill``
        and ``clarify`` are copied (with ``clarify`` given, that list is used instead); the
        history entries and the hand-off are frozen and shared. Like ``model_copy`` with those
        fields copied, at half its cost (:func:`assemble`)."""
        d = self.__dict__
        return assemble(Session, {**d, "slots": dict(d["slots"]), "history": list(d["history"]),
                                  "prefill": dict(d["prefill"]),
                                  "clarify": list(d["clarify"]) if clarify is None else clarify})

    def to_json(self) -> str:
        """Serialise for a store (compact JSON; ``team``/``handoff``/``prefill``/``clarify`` only when set)."""
        unset = {k for k in ("team", "handoff") if getattr(self, k) is None}
        unset |= {k for k in ("prefill", "clarify") if not getattr(self, k)}
        return self.model_dump_json(exclude=unset) if unset else self.model_dump_json()

    @classmethod
    def from_json(cls, data: str | bytes) -> Session:
        """Deserialise; raises ``pydantic.ValidationError`` on a malformed record."""
        return cls.model_validate_json(data)


@dataclass(frozen=True)
class HandoffAnswer:
    """One answered question in a hand-off summary: ids and the labels the person saw."""

    state: str
    question: str
    choice: str
    label: str


@dataclass(frozen=True)
class HandoffSummary:
    """What a team is told at a hand-off — only the screening, never anything the person typed.

    Attributes:
        flow_id, flow_title: the flow.
        result: the result state id; urgency: its urgency (``immediate``/``high``/``normal``).
        answers: the questions answered, in order, with the labels of the choices picked.
        slots: slot name → value (choice ids, region codes).
        windows: ``(contact id, name)`` of the windows already shown to the person.
        requested_at: when the person consented (aware, JST).
        locale: the person's language (``ja``/``en``).
    """

    flow_id: str
    flow_title: str
    result: str
    urgency: str | None
    answers: tuple[HandoffAnswer, ...]
    slots: tuple[tuple[str, str], ...]
    windows: tuple[tuple[str, str], ...]
    requested_at: dt.datetime
    locale: str

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (ISO time with +09:00)."""
        return {
            "flow": self.flow_id, "flow_title": self.flow_title, "result": self.result, "urgency": self.urgency,
            "answers": [{"state": a.state, "question": a.question, "choice": a.choice, "label": a.label}
                        for a in self.answers],
            "slots": dict(self.slots), "windows": [{"id": i, "name": n} for i, n in self.windows],
            "requested_at": self.requested_at.isoformat(), "locale": self.locale,
        }


@dataclass(frozen=True)
class HandoffEvent:
    """A hand-off event for the service to deliver to the team (never shown to the person).

    Attributes:
        kind: ``offered`` (the button was shown), ``requested`` (the person consented: post the
            summary), ``withdrawn`` (the person cancelled, stopped, restarted or deleted their
            data: take the card down), ``timed_out`` (nobody picked it up in time), ``taken``,
            ``released``.
        team: the team id.
        conversation_id: the conversation it belongs to.
        summary: for ``requested``: what may be shared; else None.
    """

    kind: Literal["offered", "requested", "withdrawn", "timed_out", "taken", "released"]
    team: str
    conversation_id: str
    summary: HandoffSummary | None = None


class Outcome(NamedTuple):
    """Result of :meth:`bot.engine.core.Engine.step`.

    Attributes:
        session: the new session to save, or None to delete the stored session.
        replies: what to send, in order (never empty).
        forget: True when the user asked to delete all their data (the adapter must call
            ``SessionStore.forget``).
        handoffs: hand-off events for the team (:class:`HandoffEvent`), in order.
    """

    session: Session | None
    replies: list[Reply]
    forget: bool = False
    handoffs: tuple[HandoffEvent, ...] = ()




_M = TypeVar("_M", bound=BaseModel)
_set = object.__setattr__
_new = object.__new__
_FAST = True


def assemble(cls: type[_M], fields: dict[str, Any]) -> _M:
    """A model from fields already checked, every field given (what ``model_construct`` does,
    without its per-field default handling: 1 µs instead of 8). For the session codec and the
    engine's own copies; checked against ``model_validate`` at import (on a mismatch — another
    pydantic — it is ``model_construct``).

    Args:
        cls: :class:`Session`, :class:`HistoryEntry` or :class:`HandoffState`.
        fields: every field of ``cls`` with a value of its type (not checked; the dict is used as it is).
    """
    if not _FAST:
        return cls.model_construct(**fields)
    m = _new(cls)
    _set(m, "__dict__", fields)
    _set(m, "__pydantic_fields_set__", set(fields))
    _set(m, "__pydantic_extra__", None)
    _set(m, "__pydantic_private__", None)
    return m


def _self_check() -> None:
    global _FAST
    t = dt.datetime(2026, 12, 1, 10, 0, 0, 1, tzinfo=dt.UTC)
    h = HistoryEntry(state="s0", choice="c0", slots={"x": "y"})
    ref = Session(flow_id="f", flow_version="1", conversation_id="c", state="s", slots={"a": "b"}, history=[h],
                  locale="ja", prefill={"p": "q"}, clarify=["c1"], started_at=t, updated_at=t, expires_at=t,
                  team="t", handoff=HandoffState(team="t", status="waiting", result="r"))
    built = [ref.detached(), HistoryEntry.of("s0", "c0", {"x": "y"})]
    twin = ref.detached()
    twin.state = "s2"  # an assignment must work (and be validated the same way) on a built model
    if any(b != r or b.model_dump() != r.model_dump() or b.model_dump_json() != r.model_dump_json()
           for b, r in zip(built, [ref, h], strict=True)) or twin.state != "s2" or ref.state != "s":
        logging.getLogger("soudan.engine").warning("pydantic internals changed; models are built with model_construct")
        _FAST = False


_self_check()
