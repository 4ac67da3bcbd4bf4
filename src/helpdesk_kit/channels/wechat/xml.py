"""WeChat's XML: message pushes in, passive replies out, parsed without entity expansion.

Pushes are small flat ``<xml>`` documents. They are parsed with the standard library's
expat parser configured the way ``defusedxml`` does it — a document type declaration (the
only way to declare entities, and so to build a "billion laughs" bomb or reach external
files) is refused outright, as are entity declarations and external entity references —
so no extra dependency is needed; WeChat never sends a DTD.
"""

from __future__ import annotations

import enum
import re
from datetime import UTC, datetime
from typing import Any
from xml.parsers import expat

import attrs

from helpdesk_kit.errors import InvalidInput

__all__ = [
    "MAX_PUSH_BYTES",
    "MsgType",
    "WeChatPush",
    "parse_push",
    "parse_xml",
    "text_reply_xml",
]

#: Largest push body accepted; real ones are well under 4 KB.
MAX_PUSH_BYTES = 256 * 1024
_MAX_DEPTH = 16


class MsgType(enum.StrEnum):
    """Message types of a push (``event`` carries ``Event``)."""

    TEXT = "text"
    IMAGE = "image"
    VOICE = "voice"
    VIDEO = "video"
    SHORTVIDEO = "shortvideo"
    LOCATION = "location"
    LINK = "link"
    EVENT = "event"


class _Refused(Exception):
    pass


def _refuse(what: str) -> Any:
    def handler(*_args: Any) -> Any:
        raise _Refused(what)

    return handler


def parse_xml(data: bytes | str, *, max_bytes: int = MAX_PUSH_BYTES) -> dict[str, Any]:
    """The children of an ``<xml>`` document as a dict (nested elements as dicts).

    Text of leaf elements (CDATA included) is kept as is; an element repeated becomes a
    list. ``InvalidInput`` for malformed XML, a DTD or entity declaration, another root,
    too deep nesting, or more than ``max_bytes``.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if len(raw) > max_bytes:
        raise InvalidInput(f"the XML is {len(raw)} bytes; the limit is {max_bytes}")
    if not raw.strip():
        raise InvalidInput("the XML body is empty")
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse("a document type declaration (DTD)")
    parser.EntityDeclHandler = _refuse("an entity declaration")
    parser.UnparsedEntityDeclHandler = _refuse("an unparsed entity declaration")
    parser.ExternalEntityRefHandler = _refuse("an external entity reference")
    parser.buffer_text = True
    stack: list[tuple[str, dict[str, Any], list[str]]] = []
    root: list[tuple[str, dict[str, Any], list[str]]] = []

    def start(tag: str, _attrs: dict[str, str]) -> None:
        if len(stack) >= _MAX_DEPTH:
            raise _Refused(f"nesting deeper than {_MAX_DEPTH} levels")
        stack.append((tag, {}, []))

    def end(tag: str) -> None:
        name, children, text = stack.pop()
        value: Any = children if children else "".join(text)
        if not stack:
            root.append((name, children, text))
            return
        siblings = stack[-1][1]
        if name in siblings:
            existing = siblings[name]
            if isinstance(existing, list):
                existing.append(value)
            else:
                siblings[name] = [existing, value]
        else:
            siblings[name] = value

    def chars(text: str) -> None:
        if stack:
            stack[-1][2].append(text)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(raw, True)
    except _Refused as exc:
        raise InvalidInput(f"the XML is refused: it contains {exc}") from None
    except expat.ExpatError as exc:
        raise InvalidInput(f"the XML is not well-formed: {exc}") from None
    if not root or root[0][0] != "xml":
        found = root[0][0] if root else "nothing"
        raise InvalidInput(f"a WeChat push has the root element <xml>, got <{found}>")
    return root[0][1]


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


@attrs.frozen
class WeChatPush:
    """One message or event pushed to the server URL.

    ``to_user`` is the account (``gh_...``), ``from_user`` the user's openid. Text has
    ``content``; image ``pic_url`` and ``media_id``; voice ``media_id``, ``format`` and
    ``recognition`` (the speech recognition result, when enabled); video ``media_id`` and
    ``thumb_media_id``; location ``latitude``, ``longitude``, ``label``; link ``title``,
    ``description``, ``url``; events ``event`` (``subscribe``, ``unsubscribe``, ``SCAN``,
    ``CLICK``, ...) and ``event_key``. ``fields`` keeps every element as sent.
    """

    to_user: str
    from_user: str
    create_time: datetime
    msg_type: str
    msg_id: str | None = None
    content: str = ""
    pic_url: str | None = None
    media_id: str | None = None
    format: str | None = None
    recognition: str | None = None
    thumb_media_id: str | None = None
    latitude: str | None = None
    longitude: str | None = None
    label: str | None = None
    title: str | None = None
    description: str | None = None
    url: str | None = None
    event: str | None = None
    event_key: str | None = None
    fields: dict[str, Any] = attrs.field(factory=dict, hash=False, repr=False)

    @property
    def is_event(self) -> bool:
        """True for an event (subscribe, menu click, ...), not a message from the user."""
        return self.msg_type == MsgType.EVENT

    @property
    def dedupe_key(self) -> str:
        """What identifies a retried push: the MsgId, for events openid + time + event."""
        if self.msg_id:
            return self.msg_id
        stamp = int(self.create_time.timestamp())
        return f"{self.from_user}:{stamp}:{self.event or self.msg_type}"


def _opt(fields: dict[str, Any], name: str) -> str | None:
    value = _text(fields.get(name)).strip()
    return value or None


def parse_push(data: bytes | str) -> WeChatPush:
    """Parse a push body; ``InvalidInput`` names what is malformed or missing."""
    fields = parse_xml(data)
    problems = [
        f"<{name}> is missing"
        for name in ("ToUserName", "FromUserName", "CreateTime", "MsgType")
        if not _text(fields.get(name)).strip()
    ]
    stamp = _text(fields.get("CreateTime")).strip()
    if stamp and not stamp.isdigit():
        problems.append(f"<CreateTime> is not a Unix time: {stamp!r}")
    msg_type = _text(fields.get("MsgType")).strip().lower()
    if msg_type == MsgType.EVENT and not _text(fields.get("Event")).strip():
        problems.append("<Event> is missing from an event")
    if problems:
        raise InvalidInput("the WeChat push is incomplete:", problems)
    return WeChatPush(
        to_user=_text(fields["ToUserName"]).strip(),
        from_user=_text(fields["FromUserName"]).strip(),
        create_time=datetime.fromtimestamp(int(stamp), UTC),
        msg_type=msg_type,
        msg_id=_opt(fields, "MsgId") or _opt(fields, "MsgID"),
        content=_text(fields.get("Content")),
        pic_url=_opt(fields, "PicUrl"),
        media_id=_opt(fields, "MediaId"),
        format=_opt(fields, "Format"),
        recognition=_opt(fields, "Recognition"),
        thumb_media_id=_opt(fields, "ThumbMediaId"),
        latitude=_opt(fields, "Location_X"),
        longitude=_opt(fields, "Location_Y"),
        label=_opt(fields, "Label"),
        title=_opt(fields, "Title"),
        description=_opt(fields, "Description"),
        url=_opt(fields, "Url"),
        event=_opt(fields, "Event"),
        event_key=_opt(fields, "EventKey"),
        fields=fields,
    )


_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _cdata(text: str) -> str:
    # characters XML cannot carry are dropped; "]]>" is split across two sections
    clean = _NOT_XML.sub("", text)
    return "<![CDATA[" + clean.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply_xml(to_user: str, from_user: str, content: str, created: datetime) -> str:
    """The passive reply XML of a text message (answered in the push's HTTP response)."""
    stamp = int(created.timestamp())
    return (
        "<xml>"
        f"<ToUserName>{_cdata(to_user)}</ToUserName>"
        f"<FromUserName>{_cdata(from_user)}</FromUserName>"
        f"<CreateTime>{stamp}</CreateTime>"
        "<MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{_cdata(content)}</Content>"
        "</xml>"
    )
