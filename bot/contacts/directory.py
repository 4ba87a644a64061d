"""The contact directory: loading ``directory/*.yaml``, lookup, search and status at an instant.

Each file is a YAML list of :class:`~bot.contacts.model.Contact` mappings, parsed with the strict
loader (:mod:`bot.yamlload`), so every problem is reported as ``file:line``. Loading refuses the
whole directory when any entry is wrong: a window with a wrong number must never be shown.
The data itself comes from ``shared/domain/contacts.md`` (see each entry's ``source``).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from pydantic import ValidationError

import bot
from bot.contacts.hours import Hours
from bot.contacts.model import Contact, Topic, source_period_end
from bot.contacts.search import (
    SearchText,
    loose_words,
    main_situation,
    matches,
    search_text,
    situation_matches,
)
from bot.contacts.status import Status, StatusKind
from bot.errors import DirectoryError
from bot.timeutil import now_jst
from bot.yamlload import LoadError, iter_pydantic_errors, load_file

__all__ = ["OLD_SOURCE_YEARS", "STALE_AFTER", "Directory", "DirectoryError", "rank", "serves"]

STALE_AFTER = dt.timedelta(days=365)
"""A ``verified`` date older than this (relative to ``today``) gives a warning."""

OLD_SOURCE_YEARS = 3
"""A ``source_date`` (the date the source page itself shows) more than this many calendar years
before today gives a warning."""


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def serves(regions: Iterable[str], region: str | None) -> bool:
    """Whether a window listing ``regions`` serves a person in ``region`` (PLAN.md contract 1).

    ``JP-10`` serves ``JP-10`` and every city code in it (``JP-10/shibukawa``); a city code
    serves only that city. ``other``, ``skip`` and None are served by no regional window.
    """
    if not region or not region.startswith("JP-"):
        return False
    return any(region == r or region.startswith(r + "/") for r in regions)


def rank(status: Status) -> int:
    """Sort key of a window's status: 0 a person answers now (open or 24 hours, by phone, chat
    or LINE); 1 takes messages now but nobody answers now (only a form or mail,
    :attr:`Status.send_only`); 2 hours unknown (may be open); 3 closed."""
    if status.is_staffed:
        return 0
    if status.is_available:
        return 1
    return 2 if status.kind is StatusKind.UNKNOWN else 3


class Directory:
    """The loaded contact directory (read-only).

    Build with :meth:`Directory.load`. Contacts keep the order of the files and of the entries
    in each file; each contact's opening hours are parsed once, at load time.
    """

    def __init__(self, contacts: Iterable[Contact], warnings: Iterable[LoadError] = ()) -> None:
        """Wrap already validated contacts.

        Raises:
            ValueError: when two contacts share an id.
        """
        self._contacts: dict[str, Contact] = {}
        self._hours: dict[str, Hours] = {}
        self._search: dict[str, SearchText] = {}
        for c in contacts:
            if c.id in self._contacts:
                raise ValueError(f"duplicate contact id {c.id!r}")
            self._contacts[c.id] = c
            self._hours[c.id] = Hours.parse(c.hours)
            self._search[c.id] = search_text(c, always=self._hours[c.id].is_always)
        self.warnings: tuple[LoadError, ...] = tuple(warnings)
        """Problems that do not stop loading (e.g. data verified more than a year ago)."""

    # -- loading ----------------------------------------------------------------------------

    @staticmethod
    def default_paths() -> list[Path]:
        """The directory files: ``*.yaml`` in ``$SOUDAN_DIRECTORY_DIR``, else in the ``directory``
        folder of the source checkout (next to the ``bot`` package), sorted by name."""
        env = os.environ.get("SOUDAN_DIRECTORY_DIR")
        folder = Path(env) if env else Path(bot.__file__).resolve().parents[1] / "directory"
        return sorted(p for p in folder.glob("*.yaml") if p.is_file())

    @classmethod
    def load(cls, paths: Sequence[str | Path], today: dt.date | None = None) -> Directory:
        """Load and check every directory file.

        Args:
            paths: YAML files, each a list of contact mappings.
            today: the date ``verified`` dates are compared with (default: today in JST).

        Returns:
            The directory; problems that do not stop loading are in :attr:`warnings`.

        Raises:
            DirectoryError: listing every error as ``file:line: message`` — YAML traps (a number
                where text belongs, duplicate keys), unknown keys, invalid phone numbers,
                opening hours that do not parse, a contact id used twice (naming both places),
                or an empty directory.
        """
        today = today or now_jst().date()
        errors: list[LoadError] = []
        warnings: list[LoadError] = []
        contacts: list[Contact] = []
        where: dict[str, tuple[str, int]] = {}
        for path in paths:
            try:
                located = load_file(path)
            except LoadError as exc:
                errors.append(exc)
                continue
            data = located.data
            if not isinstance(data, list):
                errors.append(LoadError(located.path, 1 if data is None else located.line_of(()),
                                        "a directory file must be a YAML list of contacts ('- id: …')",
                                        code="not-a-list"))
                continue
            for i, item in enumerate(data):
                try:
                    contact = Contact.model_validate(item)
                except ValidationError as exc:
                    errors.extend(iter_pydantic_errors(exc, located, prefix=(i,), model=Contact))
                    continue
                if contact.id in where:
                    first_path, first_line = where[contact.id]
                    id_line = located.line_of((i, "id"))
                    errors.append(LoadError(
                        located.path, id_line,
                        f"duplicate contact id {contact.id!r}: already defined at {first_path}:{first_line}; "
                        "ids must be unique across all directory files — rename or remove one",
                        code="duplicate-contact-id"))
                    continue
                where[contact.id] = (located.path, located.line_of((i, "id")))
                contacts.append(contact)
                verified = dt.date.fromisoformat(contact.verified)
                if today - verified > STALE_AFTER:
                    warnings.append(LoadError(
                        located.path, located.line_of((i, "verified")),
                        f"{contact.id}: verified {contact.verified}, more than a year before {today.isoformat()}; "
                        "check the numbers and hours on the official page again and update the date",
                        severity="warning", code="stale-verified"))
                elif verified > today:
                    warnings.append(LoadError(
                        located.path, located.line_of((i, "verified")),
                        f"{contact.id}: verified date {contact.verified} is after {today.isoformat()}",
                        severity="warning", code="future-verified"))
                source_end = source_period_end(contact.source_date) if contact.source_date else None
                if source_end is not None and source_end < _years_before(today, OLD_SOURCE_YEARS):
                    warnings.append(LoadError(
                        located.path, located.line_of((i, "source_date")),
                        f"{contact.id}: its source page dates from {contact.source_date}, more than three years "
                        f"before {today.isoformat()}; find a newer official page and cite it",
                        severity="warning", code="old-source"))
        if not contacts and not errors:
            errors.append(LoadError(", ".join(str(p) for p in paths) or "directory", 0,
                                    "the directory has no contacts", code="empty-directory"))
        if errors:
            raise DirectoryError(errors)
        return cls(contacts, warnings)

    # -- lookup -------------------------------------------------------------------------------

    @property
    def ids(self) -> tuple[str, ...]:
        """Every contact id, in directory order."""
        return tuple(self._contacts)

    @property
    def contacts(self) -> tuple[Contact, ...]:
        """Every contact, in directory order."""
        return tuple(self._contacts.values())

    def __contains__(self, contact_id: object) -> bool:
        return contact_id in self._contacts

    def __iter__(self) -> Iterator[Contact]:
        return iter(self._contacts.values())

    def __len__(self) -> int:
        return len(self._contacts)

    def get(self, contact_id: str) -> Contact:
        """The contact with ``contact_id``.

        Raises:
            KeyError: naming the id and saying where ids come from.
        """
        try:
            return self._contacts[contact_id]
        except KeyError:
            raise KeyError(f"no contact {contact_id!r} in the directory (directory/*.yaml); "
                           f"known ids include {', '.join(list(self._contacts)[:5])}, …") from None

    def hours(self, contact_or_id: Contact | str) -> Hours:
        """The parsed opening hours of a contact (parsed once at load)."""
        cid = contact_or_id if isinstance(contact_or_id, str) else contact_or_id.id
        if cid not in self._hours:
            self.get(cid)  # raises KeyError with the message
        return self._hours[cid]

    # -- status -----------------------------------------------------------------------------

    def status(self, contact_or_id: Contact | str, now: dt.datetime) -> Status:
        """The status of a contact at ``now``.

        Args:
            contact_or_id: a contact of this directory, or its id.
            now: an aware datetime (any zone; evaluated in Asia/Tokyo).

        Returns:
            The status; ``send_only`` is set when the window is open but nobody answers it live
            (:attr:`bot.contacts.model.Contact.reachable_live`: a form or mail only).

        Raises:
            KeyError: for an unknown id. ValueError: for a naive ``now``.
        """
        if isinstance(contact_or_id, Contact):
            c = contact_or_id
            st = (Hours.parse(c.hours) if c.id not in self._contacts else self.hours(c)).status(now)
        else:
            c = self.get(contact_or_id)
            st = self.hours(c).status(now)
        return replace(st, send_only=True) if st.is_available and not c.reachable_live else st

    def search(self, query: str | None = None, topic: Topic | str | None = None, open_now: bool = False,
               now: dt.datetime | None = None) -> list[tuple[Contact, Status]]:
        """Contacts matching every given filter, with their status at ``now``: those a person
        answers now (open, 24 hours, by phone, chat or LINE) first, then forms and mail that take
        messages now (nobody answers them now), then those whose hours are unknown, then closed
        ones; within each group, with a ``query`` naming a situation, the windows whose main
        situation it is first (「レイプ」「性被害」: #8103 and NaNa before 110 and よりそいホットライン,
        which also take it; :func:`bot.contacts.search.main_situation`), then directory order
        (as :meth:`order`).

        Args:
            query: words (:func:`bot.contacts.search.matches`): every whitespace-separated word
                must match the window's names, organisation, id or numbers, or what it is for
                (situation words, role), whom it serves (「保護者」「親」「先生」), its languages
                (「英語」), channels (「電話」「チャット」「LINE」「SNS」) or hours (「24時間」);
                filler such as 「相談したい」 matches every window; a word in kana or written
                another way also matches by its reading (「けいさつ」, 「子ども」). When no
                window matches, the query is read again by its content words
                (:func:`bot.contacts.search.loose_words`) against the windows' situation words
                only, leaving out words no window's situation has: 「悪口を書かれた」 finds the
                defamation windows; a query none of whose words names a situation finds nothing.
            topic: a situation code (e.g. ``Topic.NCII`` or ``"ncii"``).
            open_now: keep only contacts a person answers at ``now`` (open or 24 hours, not
                a form or mail address only: :attr:`Status.is_staffed`).
            now: aware datetime; required.

        Raises:
            ValueError: for a missing or naive ``now``, or an unknown topic code.
        """
        if now is None:
            raise ValueError("search needs now (an aware datetime)")
        wanted = Topic(topic.upper()) if isinstance(topic, str) else topic
        pool = [c for c in self._contacts.values() if wanted is None or wanted in c.topics]
        found = [c for c in pool if not query or self._matches(c, query)]
        if query and not found:  # a sentence as typed (「悪口を書かれた」): its situation words
            texts = {c.id: self._text(c) for c in pool}
            kept = [w for w in loose_words(query) if any(situation_matches(t, w) for t in texts.values())]
            found = [c for c in pool if all(situation_matches(texts[c.id], w) for w in kept)] if kept else []
        out: list[tuple[Contact, Status]] = []
        for c in found:
            st = self.status(c, now)
            if open_now and not st.is_staffed:
                continue
            out.append((c, st))
        if query:  # among equally reachable windows, those about the situation searched first (「レイプ」: #8103 before 110)
            about = {c.id for c, _ in out if main_situation(c, query)}
            out.sort(key=lambda cs: (rank(cs[1]), cs[0].id not in about))  # stable: directory order within
        else:
            out.sort(key=lambda cs: rank(cs[1]))  # stable: directory order within each group
        return out

    def _text(self, c: Contact) -> SearchText:
        text = self._search.get(c.id) if self._contacts.get(c.id) is c else None
        return text or search_text(c, always=Hours.parse(c.hours).is_always)

    def _matches(self, c: Contact, query: str) -> bool:
        return matches(self._text(c), query)

    def order(self, ids: Iterable[str], now: dt.datetime) -> list[tuple[Contact, Status]]:
        """The contacts ``ids`` with their status, by :func:`rank`: a person answers now (open
        or 24 h by phone, chat or LINE) first, then forms and mail that take messages now, then
        those whose hours are unknown at ``now`` (they may be open), then closed ones.

        The given order is kept within each group (a stable sort), so a window that is surely
        open is never listed after a closed one, nor a 24-hour phone line after a form.

        Raises:
            KeyError: for an unknown id. ValueError: for a naive ``now``.
        """
        pairs = [(self.get(i), self.status(i, now)) for i in ids]
        return sorted(pairs, key=lambda p: rank(p[1]))

    def local(self, region: str | None, topics: Iterable[Topic | str], *,
              also: Iterable[Topic | str] = (), adult: bool = False) -> list[Contact]:
        """Local windows for a region code (PLAN.md contract 1), in directory order.

        Args:
            region: the ``region`` slot: ``JP-13``, ``JP-10/shibukawa``; ``other``/``skip``/None
                give no local windows.
            topics: situation codes matched against an entry's main (first) topic.
            also: situation codes matched against any of an entry's topics.
            adult: the person concerned is 18 or over: windows with a ``max_age`` under 18
                (youth help desks) are left out.

        Returns:
            Entries whose ``eligibility.regions`` serve ``region``: a prefecture code serves every
            city in it (``JP-10`` serves ``JP-10/shibukawa``); a city code serves only that city.
            Entries matched by their main topic come first, then directory order; a city's own
            window comes before its prefecture's.
        """
        wanted = {Topic(t.upper()) if isinstance(t, str) else t for t in topics}
        extra = {Topic(t.upper()) if isinstance(t, str) else t for t in also}
        out = []
        for c in self._contacts.values():
            if not c.eligibility.regions or not serves(c.eligibility.regions, region):
                continue
            if c.topics[0] not in wanted and not extra.intersection(c.topics):
                continue
            if adult and c.eligibility.max_age is not None and c.eligibility.max_age < 18:
                continue
            out.append(c)
        city_first = {c.id: not any("/" in r for r in c.eligibility.regions or ()) for c in out}
        return sorted(out, key=lambda c: (c.topics[0] not in wanted, city_first[c.id]))

    def fallback(self, now: dt.datetime, topics: Iterable[Topic | str] | None = None) -> Contact:
        """A 24-hour line a person can reach now by phone or chat, for when nothing else is open.

        Candidates are contacts that are ``24/7``, reachable live (a phone, chat or LINE) and
        open to the whole country (no ``regions``); the emergency numbers 110/119 (``EMG``) only
        when ``topics`` includes ``EMG``. Among them, a line whose *main* topic (its first) is
        one of ``topics`` wins (e.g. DV → DV相談＋, CHILD → 189, BUL → 24時間子供SOSダイヤル);
        otherwise the general listening line: one for distress (``DIS``) without an age limit,
        in directory order — よりそいホットライン with the shipped data.

        Raises:
            LookupError: when the directory has no such line (add one; DESIGN.md §5 requires it).
            ValueError: for a naive ``now``.
        """
        wanted = {Topic(t.upper()) if isinstance(t, str) else t for t in (topics or ())}
        candidates = [c for c in self._contacts.values()
                      if c.reachable_live and not c.eligibility.regions
                      and (Topic.EMG not in c.topics or Topic.EMG in wanted)
                      and self.status(c, now).kind is StatusKind.ALWAYS]
        for c in candidates:
            if c.topics and c.topics[0] in wanted:
                return c
        general = [c for c in candidates if Topic.EMG not in c.topics]
        general.sort(key=lambda c: (Topic.DIS not in c.topics, c.eligibility.max_age is not None))
        if not general:
            raise LookupError("the directory has no 24-hour line reachable by phone or chat; "
                              "add one (e.g. yorisoi, hours: \"24/7\")")
        return general[0]
