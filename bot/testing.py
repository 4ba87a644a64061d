"""Test helpers shipped with soudan: talk to a flow in pytest, without a network or a platform.

:class:`FakeChat` is a fake platform over the real :class:`~bot.engine.core.Engine`: it starts a
conversation at a frozen time, sends typed text or button presses, and keeps what the bot
answered, which states and choices were visited, and which windows were offered::

    from bot.testing import FakeChat

    def test_pupil_is_offered_the_childrens_line():
        chat = FakeChat.from_files(["flows/net-harm.yaml"], ["directory/"], flow="net-harm",
                                   at="2026-12-01T10:00:00+09:00")
        chat.start()
        chat.press("いいえ")          # a button, by its label
        chat.pick("pupil")            # a button, by its choice id
        chat.say("悪口を書かれた")     # typed text
        assert chat.state == "result-pupil"
        assert "mext_24h_sos" in chat.contact_ids
        assert "証拠" in chat.text

Transcripts (``flows/tests/*.yaml``, ``soudan test``) run on the same class; see
:mod:`bot.toolkit.transcripts`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path

from bot.adapters.common import status_line
from bot.contacts.render import card_details
from bot.engine.core import Engine
from bot.engine.types import (
    Ask,
    ChoiceView,
    Command,
    CommandName,
    End,
    HandoffEvent,
    Input,
    Pick,
    Refer,
    Reply,
    Say,
    Session,
    Start,
    Text,
)
from bot.timeutil import now_jst, parse_at

__all__ = ["FakeChat", "reply_texts"]


def reply_texts(replies: Sequence[Reply], locale: str) -> list[str]:
    """Every piece of text the user sees in ``replies``: messages, button labels, next steps,
    window names, their open/closed status lines and card details (who may use a window, its
    role, cost, mail address and caveats — :func:`bot.contacts.render.card_details`)."""
    out: list[str] = []
    for r in replies:
        out.append(r.text)
        if isinstance(r, Ask):
            out.extend(c.label for c in r.choices)
        if isinstance(r, Refer):
            for v in r.contacts:
                out.append(v.contact.name.get(locale) or v.contact.name["ja"])
                out.append(status_line(v, locale))
                out.extend(card_details(v.contact, locale))
            out.extend(r.steps)
    return out


class FakeChat:
    """One conversation with the engine, driven like a platform would, for tests.

    Args:
        engine: the engine (see :func:`bot.loading.build_engine`).
        flow: the flow to start (default: the engine's default flow).
        at: the frozen time, an aware datetime or an ISO string (``2026-12-01T10:00+09:00``; a
            string without offset is JST). Change it with :attr:`at` between turns.
        locale: ``"ja"`` or ``"en"`` (default: the flow's).
        team: the team the platform offers (hand-off, :mod:`bot.engine.handoff`), or None.

    Attributes:
        replies: the replies to the last input.
        transcript: every ``(input, replies)`` so far.
        session: the engine session (None before :meth:`start` or after 「終了」).
        visited_states: states the conversation has been in (``say`` states passed through included).
        visited_choices: ``(state, choice)`` pairs that were chosen (by button or by typed text).
        handoffs: every hand-off event so far (:class:`~bot.engine.types.HandoffEvent`).
    """

    def __init__(self, engine: Engine, *, flow: str | None = None, at: dt.datetime | str | None = None,
                 locale: str | None = None, team: str | None = None) -> None:
        if flow is not None and flow not in engine.flows:
            raise ValueError(f"unknown flow {flow!r}; the engine has {sorted(engine.flows)}")
        self.engine = engine
        self.flow = flow
        self.locale = locale
        self.team = team
        self.handoffs: list[HandoffEvent] = []
        self.at = self._time(at) if at is not None else now_jst()
        self.session: Session | None = None
        self.replies: list[Reply] = []
        self.transcript: list[tuple[Input, list[Reply]]] = []
        self.visited_states: set[str] = set()
        self.visited_choices: set[tuple[str, str]] = set()

    @classmethod
    def from_files(cls, flow_paths: Iterable[str | Path], directory_paths: Iterable[str | Path],
                   **kwargs: object) -> FakeChat:
        """A chat over flow and directory files; ``kwargs`` as for the constructor."""
        from bot.loading import build_engine

        return cls(build_engine(flow_paths, directory_paths), **kwargs)  # type: ignore[arg-type]

    @staticmethod
    def _time(at: dt.datetime | str) -> dt.datetime:
        t = parse_at(at) if isinstance(at, str) else at
        if t.tzinfo is None:
            raise ValueError("at must be timezone-aware, e.g. 2026-12-01T10:00:00+09:00")
        return t

    # ------------------------------------------------------------------ inputs

    def send(self, inp: Input) -> list[Reply]:
        """Send any input; returns (and keeps in :attr:`replies`) the bot's replies."""
        before = self.session
        out = self.engine.step(before, inp, self.at, team=self.team)
        self.handoffs.extend(out.handoffs)
        after = out.session
        if after is not None:
            f = self.engine.flows[after.flow_id]
            new_conv = before is None or before.conversation_id != after.conversation_id
            if new_conv:
                self.visited_states.update(f.say_chain(f.start))
            elif before is not None and len(after.history) > len(before.history):
                # one answer, or several when questions answered earlier were confirmed on the way
                new = after.history[len(before.history):]
                self.visited_choices.update((h.state, h.choice) for h in new)
                self.visited_states.update(f.replay(new, after.slots))
            self.visited_states.add(after.state)
        self.session = after
        self.replies = list(out.replies)
        self.transcript.append((inp, self.replies))
        return self.replies

    def start(self) -> list[Reply]:
        """Begin the conversation (a LINE follow, a Discord /soudan)."""
        return self.send(Start(self.flow, self.locale))

    def say(self, text: str) -> list[Reply]:
        """Type a message."""
        return self.send(Text(text))

    def pick(self, choice_id: str) -> list[Reply]:
        """Press the button of ``choice_id`` in the current question.

        Raises:
            ValueError: when the last reply shows no such button (naming the buttons it shows).
        """
        if self.session is None:
            raise ValueError("the conversation has not started (or has ended); call start() first")
        ids = [c.id for c in self.buttons]
        if choice_id not in ids:
            raise ValueError(f"no button {choice_id!r} in state {self.session.state!r}; "
                             f"the buttons are {ids}")
        return self.send(Pick(choice_id, self.session.state, self.session.conversation_id))

    def press(self, label: str) -> list[Reply]:
        """Press the button whose label is ``label`` (exactly as shown)."""
        for c in self.buttons:
            if c.label == label:
                return self.pick(c.id)
        raise ValueError(f"no button labelled {label!r}; the buttons are {[c.label for c in self.buttons]}")

    def command(self, name: str | CommandName) -> list[Reply]:
        """Send a global command (``restart``, ``back``, ``help``, ``stop``, ``forget``…)."""
        return self.send(Command(CommandName(name)))

    # ------------------------------------------------------------------ what the user sees

    @property
    def state(self) -> str | None:
        """The current state id (None when there is no session)."""
        return self.session.state if self.session else None

    @property
    def ended(self) -> bool:
        """True when the last replies ended the conversation (stop, forget)."""
        return any(isinstance(r, End) for r in self.replies)

    @property
    def current_locale(self) -> str:
        """The conversation's locale."""
        return self.session.locale if self.session else (self.locale or "ja")

    @property
    def buttons(self) -> list[ChoiceView]:
        """The buttons of the last question in the last replies (empty when none)."""
        asks = [r for r in self.replies if isinstance(r, Ask)]
        return list(asks[-1].choices) if asks else []

    @property
    def contact_ids(self) -> list[str]:
        """Ids of the windows offered in the last replies, in the order shown."""
        return [v.contact.id for r in self.replies if isinstance(r, Refer) for v in r.contacts]

    @property
    def urgencies(self) -> list[str]:
        """The urgency of each referral in the last replies (``immediate``/``high``/``normal``),
        in order; a referral of a flow that declares none counts as ``""``."""
        return [r.urgency or "" for r in self.replies if isinstance(r, Refer)]

    @property
    def statuses(self) -> dict[str, str]:
        """Window id → status (``open``/``closed``/``24h``/``unknown``) in the last replies."""
        return {v.contact.id: v.status.kind.value for r in self.replies if isinstance(r, Refer) for v in r.contacts}

    @property
    def texts(self) -> list[str]:
        """The pieces of text of the last replies (see :func:`reply_texts`)."""
        return reply_texts(self.replies, self.current_locale)

    @property
    def text(self) -> str:
        """The last replies as one string (for ``"…" in chat.text``)."""
        return "\n".join(self.texts)

    @property
    def says(self) -> list[str]:
        """The plain messages (``Say``) of the last replies."""
        return [r.text for r in self.replies if isinstance(r, Say)]
