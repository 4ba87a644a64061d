"""Teams of people a result can hand a person over to (DESIGN.md §11): their opening hours and
how long the bot waits for someone to pick a hand-off up.

Teams live in one YAML file named by ``SOUDAN_TEAMS_FILE`` (see ``deploy/teams.example.yaml``)::

    - id: counsellors
      kind: counsellor              # the button says 「相談員と話す」; moderator: 「モデレーターに知らせる」
      name: {ja: "○○市 SNS相談の相談員", en: "the counsellors of ..."}
      platforms: [chatwoot]         # where the hand-off is offered
      hours: "Mo-Fr 17:00-22:00; PH off; Dec 29-Jan 03 off"   # as in directory/*.yaml
      hours_text: {ja: "平日 17:00〜22:00", en: "Weekdays 17:00-22:00"}
      pickup_timeout: 600           # seconds until "nobody could answer" and the 24-hour lines

The hours are the same OpenStreetMap ``opening_hours`` expressions as the directory, evaluated in
Asia/Tokyo with Japanese public holidays (:class:`bot.contacts.hours.Hours`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.contacts.hours import Hours
from bot.contacts.status import Status
from bot.errors import TeamError
from bot.i18n import Text
from bot.yamlload import LoadError, iter_pydantic_errors, load_file

__all__ = ["PLATFORMS", "Team", "TeamError", "load_teams"]

PLATFORMS = ("line", "discord", "chatwoot", "web", "terminal")
"""Platform names a team may be offered on."""


class Team(BaseModel):
    """A team of people behind the bot.

    Attributes:
        id: stable id (``[a-z0-9_-]``), used in counts (``soudan_handoffs_total{team}``).
        kind: ``counsellor`` (a helpline's counsellors) or ``moderator`` (a community's moderators).
        name: who the person will reach, as shown in the consent question.
        platforms: where the hand-off is offered (:data:`PLATFORMS`).
        hours: opening hours (OpenStreetMap ``opening_hours``, JST; e.g. ``Mo-Fr 17:00-22:00; PH off``).
        hours_text: the hours in words, told to a person while the team is closed.
        pickup_timeout: seconds the bot waits for someone to pick a hand-off up before it says so
            and gives the 24-hour lines (60 to 86,400).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    kind: Literal["counsellor", "moderator"]
    name: Text
    platforms: list[Literal["line", "discord", "chatwoot", "web", "terminal"]] = Field(min_length=1)
    hours: str
    hours_text: Text
    pickup_timeout: float = Field(600.0, ge=60, le=86_400)

    @field_validator("hours")
    @classmethod
    def _hours(cls, v: str) -> str:
        Hours.parse(v)  # raises ValueError naming the problem
        return v

    def status(self, now: dt.datetime) -> Status:
        """Open / closed (with the next opening) / 24 h at ``now`` (aware)."""
        return Hours.parse(self.hours).status(now)

    def is_open(self, now: dt.datetime) -> bool:
        """True when someone of the team is there at ``now`` (aware)."""
        return self.status(now).is_available


def load_teams(path: str | Path | None) -> dict[str, Team]:
    """Load the teams file (``SOUDAN_TEAMS_FILE``); no file → no teams (no hand-off offered).

    Returns:
        team id → :class:`Team`.

    Raises:
        TeamError: naming ``file:line`` for a YAML error, an unknown key, bad hours, a timeout out of
            range, a duplicate id, or a file that is not a list.
    """
    if path is None:
        return {}
    located = None
    try:
        located = load_file(path)
    except LoadError as exc:
        raise TeamError([exc]) from None
    data = located.data
    if not isinstance(data, list):
        raise TeamError([LoadError(str(path), 1, "a teams file is a list of teams (- id: ..., kind: ..., hours: ...)",
                                   code="not-a-list")])
    out: dict[str, Team] = {}
    errors: list[LoadError] = []
    for i, item in enumerate(data):
        try:
            team = Team.model_validate(item)
        except ValidationError as exc:
            errors.extend(iter_pydantic_errors(exc, located, (i,), model=Team))
            continue
        if team.id in out:
            errors.append(LoadError(str(path), located.line_of((i, "id")), f"team id {team.id!r} is used twice",
                                    code="duplicate-team-id"))
            continue
        out[team.id] = team
    if errors:
        raise TeamError(errors)
    return out
