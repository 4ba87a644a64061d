"""``soudan contacts [QUERY] [--topic T] [--open-now] [--at ISO-TIME] [--json]`` (DESIGN.md §6).

Searches the directory and shows each window with its status at that time (Asia/Tokyo):
a table for people, or with ``--json`` a list of objects for tools::

    {"id", "name", "phones": [...], "status": "open"|"closed"|"24h"|"unknown",
     "status_text", "send_only" (true: a form or mail that takes messages now, nobody answers
     it now), "open_until", "next_open" (ISO 8601 with +09:00, or null), "hours_text", "topics",
     "source", "verified"}

Exit status: 0 on success (also when nothing matches), 1 when the directory has errors, 2 for a
bad ``--at`` or ``--topic``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from bot import timeutil
from bot.contacts.directory import Directory, DirectoryError
from bot.contacts.model import Contact, Topic
from bot.contacts.render import card_status, card_status_lines
from bot.contacts.status import Status
from bot.i18n import pick
from bot.timeutil import JST, now_jst

__all__ = ["add_arguments", "contact_json", "main", "parse_at"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``contacts`` arguments (query, --topic, --open-now, --at, --json) to ``parser``."""
    parser.add_argument("query", nargs="?", default=None,
                        help="words to look for (name, org, id, number, what it is for, who may use it, "
                             "language, channel, hours)")
    parser.add_argument("--topic", default=None,
                        help="situation code: " + " ".join(t.value for t in Topic))
    parser.add_argument("--open-now", action="store_true",
                        help="only windows a person answers at that time (open or 24 h by phone, chat or LINE; "
                             "not forms)")
    parser.add_argument("--at", metavar="ISO-TIME", default=None,
                        help="the time to evaluate, e.g. 2026-12-01T10:00+09:00 (no offset = JST; default: now)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def parse_at(value: str | None) -> dt.datetime:
    """The instant for ``--at``: ISO 8601; without an offset it is Japan time; None → now (JST).

    Raises:
        ValueError: when ``value`` is not an ISO 8601 date-time, with an example.
    """
    if value is None:
        return now_jst()
    return timeutil.parse_at(value).astimezone(JST)


def contact_json(contact: Contact, status: Status, locale: str = "ja") -> dict[str, Any]:
    """The JSON object of one contact for ``--json`` (texts in ``locale``, times ISO +09:00)."""
    return {
        "id": contact.id,
        "name": pick(contact.name, locale),
        "phones": [p.number for p in contact.phones],
        "status": status.kind.value,
        "status_text": card_status(contact, status, locale),
        "send_only": status.send_only,
        "open_until": timeutil.iso(status.open_until),
        "next_open": timeutil.iso(status.next_open),
        "hours_text": pick(contact.hours_text, locale),
        "topics": [t.value for t in contact.topics],
        "source": contact.source,
        "verified": contact.verified,
    }


def _reach(contact: Contact) -> Text:
    lines = []
    for p in contact.phones:
        label = f"（{pick(p.label, 'ja')}）" if p.label else ""
        lines.append(p.number + label)
    if not lines:
        lines = [c.url for c in contact.channels]
    return Text("\n".join(lines))


def _table(rows: list[tuple[Contact, Status]], now: dt.datetime) -> Table:
    table = Table(title=f"相談窓口（{now:%Y-%m-%d %H:%M} 日本時間）", show_lines=True)
    # Never cut a number, URL or hour with "…": numbers and statuses stay on one line.
    table.add_column("名前", overflow="fold", ratio=2)
    table.add_column("電話・連絡先", no_wrap=True)
    table.add_column("受付時間", overflow="fold", ratio=3)
    table.add_column("状況", no_wrap=True)
    for contact, status in rows:
        table.add_row(Text(pick(contact.name, "ja")), _reach(contact), Text(pick(contact.hours_text, "ja")),
                      # one line per channel (「電話は…」「フォームは…」) so the names keep their width
                      Text("\n".join(card_status_lines(contact, status, "ja"))))
    return table


def main(args: argparse.Namespace) -> int:
    """Run ``soudan contacts``.

    Args:
        args: with ``query`` (str or None), ``topic`` (situation code or None), ``open_now``
            (bool), ``at`` (ISO 8601 or None) and ``json`` (bool).

    Returns:
        The exit status: 0 success, 1 directory errors (printed as ``file:line``), 2 bad arguments.
    """
    try:
        now = parse_at(args.at)
    except ValueError as exc:
        print(f"soudan contacts: --at: {exc}", file=sys.stderr)
        return 2
    topic: Topic | None = None
    if args.topic:
        try:
            topic = Topic(str(args.topic).strip().upper())
        except ValueError:
            codes = " ".join(t.value for t in Topic)
            print(f"soudan contacts: --topic: unknown situation code {args.topic!r}; use one of {codes}",
                  file=sys.stderr)
            return 2
    try:
        # Staleness of `verified` is judged against the real date, not --at.
        directory = Directory.load(Directory.default_paths())
    except DirectoryError as exc:
        print("soudan contacts: the directory has errors:", file=sys.stderr)
        for err in exc.errors:
            print(f"  {err}", file=sys.stderr)
        return 1
    if directory.warnings:  # for the directory's maintainers: one line, not a page before the answer
        print(f"soudan contacts: the directory has {len(directory.warnings)} warning(s) (old sources); "
              "`soudan validate` lists them", file=sys.stderr)
    rows = directory.search(args.query, topic, bool(args.open_now), now)
    if args.json:
        print(json.dumps([contact_json(c, st) for c, st in rows], ensure_ascii=False, indent=2))
        return 0
    # A pipe or file gets wide lines so hours are not folded mid-number; a terminal uses its width.
    console = Console(file=sys.stdout, width=None if sys.stdout.isatty() else 200)
    if not rows:
        console.print(Text(NOTHING_FOUND))
        return 0
    console.print(_table(rows, now))
    return 0


NOTHING_FOUND = ("該当する窓口はありません。短いことばで探すか（例: 「いじめ」「削除」「24時間」「保護者」）、"
                 "ことばを付けずに `soudan contacts` で全窓口を一覧できます。都道府県名で見つからないときも、"
                 "全国の窓口はどこからでも使えます。")
"""What ``soudan contacts QUERY`` prints when no window matches (a dead end otherwise)."""


if __name__ == "__main__":  # pragma: no cover - `python -m bot.contacts.command`
    _parser = argparse.ArgumentParser(prog="soudan contacts", description=__doc__.splitlines()[0])
    add_arguments(_parser)
    sys.exit(main(_parser.parse_args()))
