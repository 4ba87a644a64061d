"""Event mapping (pure): parsed webhook events as jobs for the handler.

Text → :class:`~bot.engine.types.Text` (LINE emoji removed: :func:`~.codecs.strip_emojis`; emoji
alone → unsupported); postback → :class:`~bot.engine.types.Pick` (data from
:func:`~.codecs.parse_postback`); follow → :class:`~bot.engine.types.Start`; unfollow → forget the
user; sticker/image/video/audio/location/file → :class:`~bot.engine.types.Unsupported` (a
sticker keeps the words it carries, :attr:`Job.words`, for the crisis check); messages,
postbacks and joins in a group or room → the 1:1 invitation; everything else (unknown event types,
beacons, edits, unsend, standby mode…) is ignored; a message of a type the SDK does not know yet,
from a user, is answered as unsupported.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pydantic.v1

from bot.adapters.line.codecs import menu_command, parse_postback, strip_emojis
from bot.adapters.line.sdk import (  # line-bot-sdk, imported there once
    AudioMessageContent,
    Event,
    FileMessageContent,
    FollowEvent,
    GroupSource,
    ImageMessageContent,
    JoinEvent,
    LocationMessageContent,
    MessageEvent,
    PostbackEvent,
    RoomSource,
    StickerMessageContent,
    TextMessageContent,
    UnfollowEvent,
    UnknownEvent,
    UserSource,
    VideoMessageContent,
)
from bot.engine.types import Input, Start, Text, Unsupported

__all__ = ["EVENT_TYPES", "MESSAGE_TYPES", "PLATFORM", "Action", "Job", "MalformedEvent", "event_kind", "job_from_json",
           "read_event", "to_job"]

PLATFORM = "line"
"""Platform name used for store keys, event-id namespaces and metrics labels."""

_UNSUPPORTED = {
    StickerMessageContent: "sticker", ImageMessageContent: "image", VideoMessageContent: "video",
    AudioMessageContent: "audio", LocationMessageContent: "location", FileMessageContent: "file",
}

Action = Literal["input", "forget", "invite", "ignore"]


@dataclass
class Job:
    """One webhook event, reduced to what the adapter needs (raw ids live only in memory).

    Attributes:
        kind: the ``type`` label of ``soudan_events_total`` (:func:`event_kind`).
        action: ``input`` (give :attr:`inp` to the engine), ``forget`` (unfollow), ``invite``
            (a group or room: the 1:1 invitation) or ``ignore``.
        chat: ``user:<id>``, ``group:<id>`` / ``room:<id>``, or ``x:<index>`` for ignored events;
            events of one chat are handled in order.
        timestamp: the event's ``timestamp`` (milliseconds since the epoch; 0 when absent).
        event_id: ``webhookEventId`` (None when absent).
        reply_token, user_id: the event's reply token and raw LINE user id, if any.
        inp: the engine input for ``input`` (a rich menu area's postback: a
            :class:`~bot.engine.types.Command`, see :func:`~.codecs.menu_command`); for
            ``invite``, a group's text message as :class:`~bot.engine.types.Text` (read for
            crisis words only), else None.
        words: a sticker's ``text`` (a message sticker's typed words) and ``keywords``, each as
            LINE sent it, read for crisis words only (:meth:`.handler.EventHandler.process`), never
            kept; empty for every other event.
    """

    kind: str
    action: Action
    chat: str
    timestamp: int
    event_id: str | None
    reply_token: str | None = None
    user_id: str | None = None
    inp: Input | None = None
    words: tuple[str, ...] = ()


EVENT_TYPES = frozenset({
    "message", "unsend", "follow", "unfollow", "join", "leave", "memberJoined", "memberLeft", "postback",
    "videoPlayComplete", "beacon", "accountLink", "things", "module", "activated", "deactivated",
    "botSuspended", "botResumed", "membership", "pnpDeliveryCompletion",
})
"""Webhook event types of the Messaging API reference; any other type is counted as ``other``."""

MESSAGE_TYPES = frozenset({"text", "image", "video", "audio", "file", "location", "sticker"})
"""Message types of the Messaging API reference; any other is counted as ``message.other``."""


def event_kind(etype: object, mtype: object = None) -> str:
    """The ``type`` label of ``soudan_events_total`` for a LINE event: ``follow``,
    ``message.text``… A type outside :data:`EVENT_TYPES` / :data:`MESSAGE_TYPES` (a new one, or
    anything a signed body may carry) becomes ``other`` / ``message.other``, so a label value is
    always one of a known set."""
    if etype == "message":
        return f"message.{mtype if isinstance(mtype, str) and mtype in MESSAGE_TYPES else 'other'}"
    return etype if isinstance(etype, str) and etype in EVENT_TYPES else "other"


def _kind(event: Any) -> str:
    etype = str(getattr(getattr(event, "type", None), "value", getattr(event, "type", None)))
    if isinstance(event, MessageEvent):
        return event_kind("message", str(getattr(event.message, "type", "")))
    return event_kind(etype)


def _sticker_words(msg: Any) -> tuple[str, ...]:
    """The words a sticker carries — its ``text`` (a message sticker), then its ``keywords`` —
    from the SDK's model or the message's JSON object; () for anything else."""
    if isinstance(msg, StickerMessageContent):
        text, keywords = msg.text, msg.keywords
    elif isinstance(msg, dict) and msg.get("type") == "sticker":
        text, keywords = msg.get("text"), msg.get("keywords")
    else:
        return ()
    said = [text, *(keywords if isinstance(keywords, list) else ())]
    return tuple(w for w in said if isinstance(w, str) and w.strip())


def _unknown_message(raw: Any, index: int) -> Job | None:
    """A user's event the SDK could not parse that we can still answer: a message of a new type
    (answered as unsupported), a text message with a part the SDK refuses (no ``quoteToken``, an
    emoji entry without ``productId``…: its text is read as usual, LINE emoji left in), or a follow event without ``follow.isUnblocked`` (the SDK requires
    it; LINE's older bodies and some tools omit it): a new follow, greeted like any other."""
    if not isinstance(raw, dict) or raw.get("type") not in ("message", "follow") or raw.get("mode", "active") != "active":
        return None
    src, msg = raw.get("source"), raw.get("message")
    uid = src.get("userId") if isinstance(src, dict) and src.get("type") == "user" else None
    mtype = msg.get("type") if isinstance(msg, dict) else None
    eid, token, ts = raw.get("webhookEventId"), raw.get("replyToken"), raw.get("timestamp")
    if not (isinstance(uid, str) and uid and isinstance(eid, str) and eid):
        return None
    follow = raw["type"] == "follow"
    inp: Input = Start() if follow else Unsupported("unknown")
    text = msg.get("text") if isinstance(msg, dict) and mtype == "text" else None
    if isinstance(text, str) and text.strip():  # a text with a part the SDK refused: still read (crisis words!)
        inp = Text(text)
    return Job("follow" if follow else event_kind("message", mtype),
               "input", f"user:{uid}", ts if isinstance(ts, int) else 0, eid,
               reply_token=token if isinstance(token, str) else None, user_id=uid, inp=inp,
               words=_sticker_words(msg))


def _text_job(chat: str, ts: int, eid: str | None, token: str | None, uid: str, text: str,
              emojis: Sequence[Any] | None) -> Job:
    text = strip_emojis(text, emojis)
    inp = Text(text) if text.strip() or not emojis else Unsupported("emoji")
    return Job("message.text", "input", chat, ts, eid, reply_token=token, user_id=uid, inp=inp)


def _postback_job(chat: str, ts: int, eid: str | None, token: str | None, uid: str, data: str) -> Job:
    inp = menu_command(data) or parse_postback(data)  # a rich menu area, else a choice button
    return Job("postback", "input", chat, ts, eid, reply_token=token, user_id=uid, inp=inp)


def _optional_str(d: dict[str, Any], key: str) -> bool:
    v = d.get(key)
    return v is None or type(v) is str


def job_from_json(raw: Any) -> Job | None:
    """The job of one webhook event's JSON object when it has one of the two common shapes — a
    text message (without LINE emoji or mentions) or a postback, from a user, in active mode —
    with every field of the exact JSON type the SDK's models require (``timestamp`` an integer,
    ``webhookEventId`` a string, ``deliveryContext.isRedelivery`` a boolean, ``quoteToken`` a
    string…). For such an event the SDK's parse cannot fail and :func:`to_job` of its model is
    this very job (the two share the mapping). None for any other event: :func:`read_event` then
    reads it with the SDK's models, whose answer (a model, ``UnknownEvent`` or an error) decides.
    """
    if type(raw) is not dict:
        return None
    etype = raw.get("type")
    if etype != "message" and etype != "postback":
        return None
    ts, eid, src, dc = raw.get("timestamp"), raw.get("webhookEventId"), raw.get("source"), raw.get("deliveryContext")
    if (type(ts) is not int or raw.get("mode") != "active" or type(eid) is not str or not _optional_str(raw, "replyToken")
            or type(src) is not dict or src.get("type") != "user" or type(dc) is not dict
            or type(dc.get("isRedelivery")) is not bool):
        return None
    uid = src.get("userId")
    if type(uid) is not str or not uid:
        return None
    token = raw.get("replyToken")
    if etype == "message":
        msg = raw.get("message")
        if (type(msg) is not dict or msg.get("type") != "text" or type(msg.get("id")) is not str
                or type(msg.get("text")) is not str or type(msg.get("quoteToken")) is not str
                or msg.get("emojis") is not None or msg.get("mention") is not None
                or not _optional_str(msg, "quotedMessageId") or not _optional_str(msg, "markAsReadToken")):
            return None
        return _text_job(f"user:{uid}", ts, eid, token, uid, msg["text"], None)
    pb = raw.get("postback")
    if type(pb) is not dict or type(pb.get("data")) is not str:
        return None
    params = pb.get("params")
    if params is not None and not (type(params) is dict and all(type(v) is str for v in params.values())):
        return None
    return _postback_job(f"user:{uid}", ts, eid, token, uid, pb["data"])


class MalformedEvent(ValueError):
    """One event of a webhook body that neither the direct mapping nor the SDK's models can read
    (LINE's older bodies and hand-made ones: no ``webhookEventId``, ``deliveryContext``, ``mode``
    or ``timestamp``; a field of the wrong JSON type; not a JSON object at all).

    Attributes:
        kind: the event's ``type`` label (:func:`event_kind`; ``other`` when it has none).
        fields: the names of the fields at fault (``("webhookEventId",)``, ``("message", "type")``),
            never their values; the exception's name when the SDK gave none.
    """

    def __init__(self, kind: str, fields: tuple[str, ...]) -> None:
        super().__init__(f"{kind} event: {', '.join(fields) or '?'}")
        self.kind = kind
        self.fields = fields


_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")


def _fields(exc: BaseException) -> tuple[str, ...]:
    """The fields a parse failure names (pydantic's ``loc``, model field names only: a key of the
    body that is not a plain identifier is left out), else the exception's class name."""
    if isinstance(exc, pydantic.v1.ValidationError):
        names = (".".join(str(p) for p in e["loc"] if isinstance(p, int) or _FIELD.fullmatch(str(p)))
                 for e in exc.errors())
        found = tuple(dict.fromkeys(n for n in names if n))
        if found:
            return found
    return (type(exc).__name__,)


def read_event(raw: Any, index: int) -> Job:
    """The job of one event of a webhook body (its JSON object), read on its own: the direct
    mapping (:func:`job_from_json`) for the common shapes, else the SDK's models as
    ``WebhookParser.parse`` applies them (``Event.from_dict``; a type it does not know, or a model
    it cannot fill, as ``UnknownEvent``), mapped by :func:`to_job`. One malformed event therefore
    costs only itself, never the other events of its body (the SDK's parser refuses the whole
    body).

    Args:
        raw: the event's JSON value.
        index: its position in the body.

    Raises:
        MalformedEvent: when even ``UnknownEvent`` cannot be made of it.
    """
    job = job_from_json(raw)
    if job is not None:
        return job
    if type(raw) is not dict:
        raise MalformedEvent("other", ("event",))
    first: BaseException | None = None
    try:
        try:
            event = Event.from_dict(raw)
        except ValueError as exc:  # the SDK's own fallback
            first = exc
            event = UnknownEvent.new_from_json_dict(raw)
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        msg = raw.get("message")
        kind = event_kind(raw.get("type"), msg.get("type") if isinstance(msg, dict) else None)
        # the model's own complaint (a field missing) says more than UnknownEvent's
        at_fault = first if isinstance(first, pydantic.v1.ValidationError) else exc
        raise MalformedEvent(kind, _fields(at_fault)) from None
    return to_job(event, index, raw)


def to_job(event: Any, index: int, raw: Any = None) -> Job:
    """Map one parsed SDK event to a :class:`Job` (pure; never raises for a parsed event).

    Args:
        event: the SDK event.
        index: its position in the body (groups ignored events apart).
        raw: the event's JSON object (read for :class:`UnknownEvent` only: the SDK keeps no user
            id for these).
    """
    if isinstance(event, UnknownEvent):
        return _unknown_message(raw, index) or Job(_kind(event), "ignore", f"x:{index}", 0, None)
    kind = _kind(event)
    ts = int(getattr(event, "timestamp", 0) or 0)
    eid = getattr(event, "webhook_event_id", None)
    token = getattr(event, "reply_token", None)
    src = getattr(event, "source", None)
    mode = getattr(event, "mode", None)
    if str(getattr(mode, "value", mode)) == "standby":  # another channel is active (module mode)
        return Job(kind, "ignore", f"x:{index}", ts, eid)
    if isinstance(src, GroupSource | RoomSource):
        chat_id = src.group_id if isinstance(src, GroupSource) else src.room_id
        if chat_id and isinstance(event, MessageEvent | PostbackEvent | JoinEvent):
            # a group's text is read for crisis words only (the crisis card), never kept
            said = (Text(event.message.text or "") if isinstance(event, MessageEvent)
                    and isinstance(event.message, TextMessageContent) else None)
            return Job(kind, "invite", f"{src.type}:{chat_id}", ts, eid, reply_token=token, inp=said,
                       words=_sticker_words(getattr(event, "message", None)))
        return Job(kind, "ignore", f"x:{index}", ts, eid)
    uid = src.user_id if isinstance(src, UserSource) else None
    if not uid:
        return Job(kind, "ignore", f"x:{index}", ts, eid)
    chat = f"user:{uid}"
    inp: Input | None = None
    if isinstance(event, MessageEvent):
        msg = event.message
        if isinstance(msg, TextMessageContent):
            return _text_job(chat, ts, eid, token, uid, msg.text or "", msg.emojis)
        kind_name = next((v for t, v in _UNSUPPORTED.items() if isinstance(msg, t)), None)
        if kind_name == "sticker":
            return Job(kind, "input", chat, ts, eid, reply_token=token, user_id=uid, inp=Unsupported("sticker"),
                       words=_sticker_words(msg))
        inp = Unsupported(kind_name) if kind_name else None
    elif isinstance(event, PostbackEvent):
        return _postback_job(chat, ts, eid, token, uid, event.postback.data or "")
    elif isinstance(event, FollowEvent):
        inp = Start()
    elif isinstance(event, UnfollowEvent):
        return Job(kind, "forget", chat, ts, eid, user_id=uid)
    if inp is None:
        return Job(kind, "ignore", f"x:{index}", ts, eid)
    return Job(kind, "input", chat, ts, eid, reply_token=token, user_id=uid, inp=inp)
