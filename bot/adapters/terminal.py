"""Terminal chat (``soudan chat``): rich output for people, plain text or JSON lines for scripts.

When standard input is a terminal the chat prints cards with ``rich``; otherwise it reads one
user turn per line and prints plain text (choices numbered; a number picks a choice), or with
``--jsonl`` one JSON object per turn, the first before any input (DESIGN.md §6).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable, Iterable
from typing import IO

from bot.adapters.common import reply_to_dict
from bot.contacts.render import card_details, shown_status
from bot.engine.commands import command_for
from bot.engine.core import Engine
from bot.engine.types import Ask, End, Refer, Reply, Say, Session, Start, Text
from bot.i18n import pick, quoted_list, t

__all__ = ["TerminalChat", "offers_hint", "render_plain"]


def offers_hint(ask: Ask, locale: str) -> str | None:
    """The line that names a question's offers (「データを消す」 after the help) as words to send —
    the terminal has no buttons, and a number answers the question, so they are never numbered:
    「（「データを消す」と送ることもできます）」 (``adapters.offers_typed``). Only offers whose label is
    a command word when typed; None when there is none."""
    words = [o.label for o in ask.offers if command_for(o.label) is not None]
    return t("adapters.offers_typed", locale, words=quoted_list(words, locale)) if words else None


def render_plain(replies: Iterable[Reply], locale: str) -> str:
    """Replies as plain text: questions with numbered choices (and their offers as words to send,
    :func:`offers_hint`), a block per contact."""
    out: list[str] = []
    for r in replies:
        if isinstance(r, Ask):
            out.append(r.text)
            out.extend(f"  {i}. {c.label}" for i, c in enumerate(r.choices, 1))
            hint = offers_hint(r, locale)
            if hint:
                out.append(f"  {hint}")
        elif isinstance(r, Refer):
            out.append(r.text)
            for v in r.contacts:
                c = v.contact
                out.append(f"  ■ {pick(c.name, locale)}")
                out.append(f"    {pick(c.org, locale)}")
                for p in c.phones:
                    label = f" {pick(p.label, locale)}" if p.label else ""
                    out.append(f"    ☎ {p.number}{label}")
                out.extend(f"    🔗 {url}" for url in dict.fromkeys(ch.url for ch in c.channels)
                           if not url.startswith("mailto:"))
                out.append(f"    {pick(c.hours_text, locale)}")
                shown = shown_status(c, v.status, locale)
                if shown:
                    out.append(f"    → {shown}")
                out.extend(f"    {line}" for line in card_details(c, locale))
            if r.steps:
                out.append("次にできること:" if locale == "ja" else "What you can do next:")
                out.extend(f"  {i}. {s}" for i, s in enumerate(r.steps, 1))
        elif isinstance(r, Say | End):
            out.append(r.text)
    return "\n".join(out)


class TerminalChat:
    """One terminal conversation held in memory (nothing is written to disk).

    Args:
        engine: the engine.
        clock: returns the current aware time (a fixed time with ``--at``).
        flow_id: the flow to start, or None for the default.
        locale: ``"ja"`` or ``"en"``.
    """

    def __init__(self, engine: Engine, clock: Callable[[], dt.datetime], flow_id: str | None = None,
                 locale: str | None = None) -> None:
        self.engine = engine
        self.clock = clock
        self.flow_id = flow_id
        self.locale = locale
        self.session: Session | None = None

    def start(self) -> list[Reply]:
        """Begin the conversation; returns the greeting and the first question."""
        out = self.engine.step(None, Start(self.flow_id, self.locale), self.clock())
        self.session = out.session
        return out.replies

    def send(self, text: str) -> list[Reply]:
        """Send one user turn; returns the replies (an :class:`End` means the chat is over)."""
        out = self.engine.step(self.session, Text(text), self.clock())
        self.session = out.session
        return out.replies

    @property
    def state(self) -> str | None:
        """The current state id, or None once the conversation ended."""
        return self.session.state if self.session else None

    @property
    def current_locale(self) -> str:
        """The conversation's locale."""
        return self.session.locale if self.session else (self.locale or "ja")

    # ---------------------------------------------------------- drivers

    def run_lines(self, lines: Iterable[str], out: IO[str], jsonl: bool) -> int:
        """Scripted mode: one turn per input line; plain text or JSON lines. Returns the exit code."""
        def emit(replies: list[Reply]) -> None:
            if jsonl:
                obj = {"state": self.state, "replies": [reply_to_dict(r, self.current_locale) for r in replies]}
                out.write(json.dumps(obj, ensure_ascii=False) + "\n")
            else:
                out.write(render_plain(replies, self.current_locale) + "\n\n")
            out.flush()

        emit(self.start())
        for line in lines:
            replies = self.send(line.rstrip("\r\n"))
            emit(replies)
            if any(isinstance(r, End) for r in replies):
                break
        return 0

    def run_interactive(self) -> int:  # pragma: no cover - exercised by hand and by tmux
        """Interactive mode with rich cards; Ctrl-D or 「終了」 ends."""
        from rich.console import Console
        from rich.panel import Panel
        from rich.prompt import Prompt
        from rich.table import Table
        from rich.text import Text as RichText

        console = Console()

        def numbered(items: Iterable[str], style: str = "cyan") -> None:
            # a grid keeps the number in its own column, so long Japanese lines wrap beside it;
            # flow and directory text is never read as rich markup (「[red]」 stays text)
            grid = Table.grid(padding=(0, 1))
            grid.add_column(justify="right", style=style, no_wrap=True)
            grid.add_column(overflow="fold")
            for i, item in enumerate(items, 1):
                grid.add_row(f"  {i}.", RichText(item))
            console.print(grid)

        def show(replies: list[Reply]) -> None:
            loc = self.current_locale
            for r in replies:
                if isinstance(r, Ask):
                    console.print(RichText(r.text, style="bold"))
                    numbered(c.label for c in r.choices)
                    hint = offers_hint(r, loc)
                    if hint:
                        console.print(RichText(f"  {hint}", style="dim"))
                elif isinstance(r, Refer):
                    console.print(RichText(r.text, style="bold"))
                    for v in r.contacts:
                        ct = v.contact
                        color = "green" if v.status.is_staffed else "yellow"  # a form: nobody answers now
                        body = RichText()
                        for p in ct.phones:
                            body.append("☎ ").append(p.number, style="bold")
                            body.append((f"  {pick(p.label, loc)}" if p.label else "") + "\n")
                        for url in dict.fromkeys(ch.url for ch in ct.channels):
                            if not url.startswith("mailto:"):
                                body.append(f"🔗 {url}\n")
                        body.append(pick(ct.hours_text, loc))
                        shown = shown_status(ct, v.status, loc)
                        if shown:
                            body.append("\n" + shown, style=color)
                        for line in card_details(ct, loc):
                            body.append("\n" + line, style="dim")
                        console.print(Panel(body, title=RichText(pick(ct.name, loc)), title_align="left",
                                            subtitle=RichText(pick(ct.org, loc)), subtitle_align="right",
                                            border_style=color))
                    if r.steps:
                        console.print(RichText("次にできること" if loc == "ja" else "What you can do next",
                                               style="bold"))
                        numbered(r.steps, style="bold")
                else:
                    console.print(RichText(r.text))
            console.print()

        show(self.start())
        while True:
            try:
                line = Prompt.ask("[dim]>[/dim]", console=console)
            except (EOFError, KeyboardInterrupt):
                console.print()
                return 0
            replies = self.send(line)
            show(replies)
            if any(isinstance(r, End) for r in replies):
                return 0


def run(engine: Engine, clock: Callable[[], dt.datetime], *, flow_id: str | None, locale: str | None,
        jsonl: bool, stdin: IO[str] | None = None, stdout: IO[str] | None = None) -> int:
    """Run the terminal chat: interactive on a terminal, scripted otherwise (or with ``jsonl``)."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    chat = TerminalChat(engine, clock, flow_id, locale)
    if jsonl or not stdin.isatty():
        return chat.run_lines(stdin, stdout, jsonl)
    return chat.run_interactive()
