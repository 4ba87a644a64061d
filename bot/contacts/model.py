"""The contact directory model (``directory/*.yaml``).

Each YAML file in ``directory/`` is a list of :class:`Contact` entries. The data comes only
from ``shared/domain/contacts.md`` (research notes checked against official pages) or from a
source cited in the entry's ``source`` field; every entry carries the date it was verified.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from bot.i18n import Text

__all__ = ["TOPIC_WORDS", "Channel", "Contact", "Eligibility", "Phone", "Topic", "source_period_end"]


class Topic(StrEnum):
    """Situation codes (shared/domain/README.md)."""

    DEF = "DEF"  # defamation / insults
    HAR = "HAR"  # harassment
    DOX = "DOX"  # exposure of personal data
    THR = "THR"  # threats
    STK = "STK"  # stalking
    NCII = "NCII"  # non-consensual intimate images
    BUL = "BUL"  # cyberbullying among pupils
    ATO = "ATO"  # account takeover / impersonation
    SV = "SV"  # sexual violence
    DV = "DV"  # partner violence
    CHILD = "CHILD"  # child abuse
    CONS = "CONS"  # consumer trouble
    DIS = "DIS"  # distress / suicidal thoughts
    EMG = "EMG"  # immediate danger


TOPIC_WORDS: dict[Topic, tuple[str, ...]] = {
    Topic.DEF: ("誹謗中傷", "悪口", "中傷", "名誉毀損", "侮辱", "defamation", "insult"),
    Topic.HAR: ("嫌がらせ", "いやがらせ", "ハラスメント", "harassment"),
    Topic.DOX: ("晒し", "晒され", "晒す", "個人情報", "プライバシー", "住所", "本名", "顔写真", "doxxing", "privacy"),
    # 「ばらす」「ばらまく」: a threat to expose or spread (routing.md Q0: 「殺す・ばらすと脅されている」)
    Topic.THR: ("脅迫", "脅し", "脅す", "殺害予告", "殺す", "ばらす", "threat"),
    Topic.STK: ("ストーカー", "つきまとい", "つきまとう", "付きまとう", "stalking", "stalker"),
    Topic.NCII: ("リベンジポルノ", "性的画像", "性的な画像", "性的な写真", "性的な動画", "画像", "写真", "動画", "裸",
                 "盗撮", "ばらまく", "intimate", "images"),
    Topic.BUL: ("いじめ", "ネットいじめ", "学校", "bullying", "school"),
    Topic.ATO: ("乗っ取り", "乗っ取る", "なりすまし", "なりすます", "アカウント", "不正アクセス", "hacked", "impersonation"),
    # 「レイプ」「レイプされた」「強姦」「性的暴行」「不同意性交」: the words people use for it (routing.md §1: #8891 / #8103)
    Topic.SV: ("性暴力", "性被害", "性犯罪", "レイプ", "強姦", "性的暴行", "不同意性交", "わいせつ", "痴漢", "sexual violence",
               "assault", "rape", "raped"),
    # 「殴られた」「暴力をふるわれた」「蹴られた」 (read as 殴る, 暴力, 蹴る): by a partner (DV), by a parent (CHILD: 189),
    # or now (EMG: 110); not 「叩かれた」, which online is bashing
    Topic.DV: ("dv", "配偶者", "交際相手", "暴力", "殴る", "蹴る", "domestic violence", "violence", "beaten", "hit me"),
    Topic.CHILD: ("虐待", "児童虐待", "暴力", "殴る", "蹴る", "child abuse", "abuse", "beaten"),
    Topic.CONS: ("消費者", "架空請求", "詐欺", "consumer", "fraud"),
    Topic.DIS: ("つらい", "死にたい", "自殺", "こころ", "心", "話を聞いて", "mental health", "suicide"),
    Topic.EMG: ("緊急", "救急", "暴力", "殴る", "蹴る", "emergency", "violence", "beaten"),
}
"""Everyday words for each situation code (Japanese and English), for directory search."""


_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_WEB_URL = re.compile(r"^https?://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(?::\d+)?(?:[/?#]\S*)?$")
_MAILTO = re.compile(r"^mailto:[^@\s]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


def source_period_end(value: str) -> dt.date | None:
    """The last day a ``source_date`` can mean: ``2020`` → 2020-12-31, ``2018-07`` → 2018-07-31,
    ``2013-08-08`` → itself; None when it is none of those forms."""
    try:
        if re.fullmatch(r"\d{4}", value):
            return dt.date(int(value), 12, 31)
        if re.fullmatch(r"\d{4}-\d{2}", value):
            y, m = int(value[:4]), int(value[5:])
            first_next = dt.date(y + (m == 12), m % 12 + 1, 1)
            return first_next - dt.timedelta(days=1)
        return dt.date.fromisoformat(value) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else None
    except ValueError:
        return None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Phone(_Strict):
    """A phone number as written by the operator.

    Attributes:
        number: as written, e.g. ``"0570-003-110"``, ``"#9110"``, ``"189"``. Validated with
            ``phonenumbers`` (national numbers) or against the short-code allow-list.
        label: what this number is for, when an entry has several (e.g. 23区在住).
        cost: ``free`` (0120/0800, 110/119/189), ``navi-dial`` (0570, caller pays, not in flat
            rates), ``charged`` (ordinary call charges).
    """

    number: str
    label: Text | None = None
    cost: Literal["free", "navi-dial", "charged"] | None = None

    @field_validator("number")
    @classmethod
    def _number(cls, v: str) -> str:
        from bot.contacts.phones import validate_number

        return validate_number(v)

    @model_validator(mode="after")
    def _cost_matches_number(self) -> Phone:
        from bot.contacts.phones import call_cost

        implied = call_cost(self.number)
        if self.cost is not None and implied is not None and self.cost != implied:
            raise ValueError(f"cost {self.cost!r} does not match {self.number!r}, which is a {implied!r} "
                             f"number; write cost: {implied}")
        return self


def _phone_input(value: Any) -> Any:
    """Accept a phone written as a plain string; refuse a bare YAML number with the fix."""
    if isinstance(value, str):
        return {"number": value}
    if isinstance(value, bool | int | float):
        raise ValueError(f"phone number {value!r} must be text in quotes, e.g. \"{value}\" "
                         "(YAML reads unquoted digits as a number and drops leading zeros)")
    return value


PhoneInput = Annotated[Phone, BeforeValidator(_phone_input, json_schema_input_type=str | Phone)]
"""A :class:`Phone`, or in YAML simply the number as a quoted string (``"0570-003-110"``)."""


class Channel(_Strict):
    """A non-phone way to reach a window: web form, LINE, chat, mail.

    Attributes:
        kind: ``web`` (information page), ``form`` (web form), ``line``, ``chat``, ``mail``.
        url: an ``https://`` or ``http://`` URL, or a ``mailto:`` address.
        label: short description shown to the user.
        hours: when this channel accepts messages (OpenStreetMap ``opening_hours``, Asia/Tokyo),
            when it differs from the window's phone hours — e.g. Gunma's form and mail are
            ``24/7`` while the phone is weekdays 9–12/13–16. None: not stated separately.
        hours_text: when answers come, in the operator's own words.
    """

    kind: Literal["web", "form", "line", "chat", "mail"]
    url: str
    label: Text | None = None
    hours: str | None = None
    hours_text: Text | None = None

    @field_validator("hours")
    @classmethod
    def _hours(cls, v: str | None) -> str | None:
        from bot.contacts.hours import Hours

        Hours.parse(v)
        return v

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not (_WEB_URL.match(v) or _MAILTO.match(v)):
            raise ValueError(f"url must be a web address (https://host/…) or mailto:name@host, got {v!r}")
        return v


class Eligibility(_Strict):
    """Who may use a window.

    Attributes:
        max_age: inclusive upper age (e.g. 18 for child lines), or None.
        regions: ISO 3166-2 prefecture codes (``JP-13`` Tokyo, ``JP-10`` Gunma) or None for all Japan.
        text: the operator's own wording.
    """

    max_age: int | None = Field(None, ge=0, le=120)
    regions: list[str] | None = None
    text: Text | None = None


class Contact(_Strict):
    """One consultation window.

    Attributes:
        id: stable identifier used by flows (``[a-z0-9_-]``).
        name, org: display name and operating organisation.
        phones: phone numbers as written; empty for web-only windows.
        channels: web forms, LINE, chat, mail.
        hours: opening hours in OpenStreetMap ``opening_hours`` syntax, evaluated in
            Asia/Tokyo (``PH`` = Japanese public holidays); ``None`` when not verified. For a
            web-form-only window: when the form accepts submissions. Checked with
            :meth:`bot.contacts.hours.Hours.parse`.
        hours_text: the operator's own wording of the hours (always shown).
        cost: what calling (or using) the window costs the person: ``free``; ``navi-dial`` (0570,
            caller pays, not in flat rates); ``charged`` (ordinary call charges even when the
            consultation itself is free — ``cost_text`` says so); ``mixed`` (depends on the
            number or region); ``unknown`` (not verified). ``cost_text`` gives the wording.
        topics: situation codes the window fits.
        eligibility: who may use it.
        languages: languages the window accepts (ISO 639-1), Japanese by default.
        caveats: things to tell the user (e.g. 0570 numbers are charged).
        role: what the window does (and does not do).
        source: URL of the page the data was checked against.
        verified: ISO date the data was last verified (YYYY-MM-DD): when someone read the page.
        live: True for a staffed chat or LINE consultation whose own address is not verified, so
            the entry links only the information page that leads to it (``kind: web``) — e.g.
            あなたのいばしょ, found through まもろうよこころ: a person answers there when it is open.
            Not needed with a phone, ``chat`` or ``line`` channel (those are live anyway); refused
            for an entry reached only by a form or mail. See :attr:`reachable_live`.
        source_date: the date the source page itself shows (updated / published) — ``YYYY-MM-DD``,
            or ``YYYY-MM`` / ``YYYY`` when the page gives no more —, when it is known; ``soudan validate`` warns when it is more than three years before today, since
            a page that old may no longer be true even if it was read recently.
    """

    id: str
    name: Text
    org: Text
    phones: list[PhoneInput] = Field(default_factory=list)
    channels: list[Channel] = Field(default_factory=list)
    hours: str | None = None
    hours_text: Text
    cost: Literal["free", "charged", "navi-dial", "mixed", "unknown"]
    cost_text: Text | None = None
    topics: list[Topic] = Field(min_length=1)
    eligibility: Eligibility = Field(default_factory=Eligibility)
    languages: list[str] = Field(default_factory=lambda: ["ja"])
    role: Text | None = None
    caveats: list[Text] = Field(default_factory=list)
    source: str
    verified: str
    source_date: str | None = None
    live: bool = False

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError(f"id {v!r} must be lower-case letters, digits, '_' or '-'")
        return v

    @field_validator("hours")
    @classmethod
    def _hours(cls, v: str | None) -> str | None:
        from bot.contacts.hours import Hours

        Hours.parse(v)  # cached: the directory reuses the parsed expression
        return v

    @field_validator("source")
    @classmethod
    def _source(cls, v: str) -> str:
        if not _WEB_URL.match(v):
            raise ValueError(f"source must be the URL of the page checked (https://host/…), got {v!r}")
        return v

    @model_validator(mode="after")
    def _reachable(self) -> Contact:
        if not self.phones and not self.channels:
            raise ValueError("the entry has neither `phones` nor `channels`: a user could not contact it; "
                             "add the number or the web page from the source")
        return self

    @model_validator(mode="after")
    def _live(self) -> Contact:
        kinds = {c.kind for c in self.channels if c.kind != "web"}
        if self.live and not self.phones and kinds and kinds <= {"form", "mail"}:
            raise ValueError("`live: true` is for a staffed chat or LINE reached through an information page; "
                             "a window reached only by a form or mail takes messages but nobody answers them "
                             "live: remove `live`")
        return self

    @field_validator("verified")
    @classmethod
    def _verified(cls, v: str) -> str:
        try:
            dt.date.fromisoformat(v)
        except ValueError:
            raise ValueError(f"verified must be a date YYYY-MM-DD in quotes, got {v!r}") from None
        return v

    @field_validator("source_date")
    @classmethod
    def _source_date(cls, v: str | None) -> str | None:
        if v is not None and source_period_end(v) is None:
            raise ValueError(f"source_date must be the date the page shows, YYYY-MM-DD, YYYY-MM or YYYY in "
                             f"quotes, got {v!r}")
        return v

    @property
    def reachable_live(self) -> bool:
        """True when a person answers the window when it is open: it has a phone, a ``chat`` or
        ``line`` channel, or is a staffed chat or LINE reached through a page (:attr:`live`).

        The one rule for "someone answers now": :meth:`bot.contacts.directory.Directory.status`
        marks an open window that is not reachable live :attr:`~bot.contacts.status.Status.send_only`
        (a form or mail takes the message, a reply comes later, if at all; an information page
        alone answers nothing), and :attr:`~bot.contacts.status.Status.is_staffed` is what the
        engine, the hand-off, the cards, 「いま受付中」 and contacts search ask."""
        return self.live or bool(self.phones) or any(c.kind in ("chat", "line") for c in self.channels)

    @property
    def send_only(self) -> bool:
        """The opposite of :attr:`reachable_live`: nobody answers the window live (Safe Line's form,
        an information page that is not :attr:`live`)."""
        return not self.reachable_live
