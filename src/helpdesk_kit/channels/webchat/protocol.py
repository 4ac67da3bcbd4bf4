"""The chat widget's session protocol: JSON frames between the visitor's browser and the desk.

Transport-independent: a WebSocket, long polling or a test hands frames (dicts, or JSON
text) to :meth:`ChatSession.handle <helpdesk_kit.channels.webchat.ChatSession.handle>` and
delivers the frames the session emits. Every frame has a ``type``.

Visitor → desk:

==============  ==========================================================================
``message``     ``text`` (1–5000 characters), optional ``id`` (the widget's id, used to
                acknowledge it and to drop a re-sent copy)
``typing``      ``typing``: true or false
``contact``     optional ``email``, ``phone``, ``name`` the visitor gives (for answers after
                the chat)
``transcript``  ask for the conversation so far
``end``         the visitor closes the chat
``ping``        keep-alive
==============  ==========================================================================

Desk → visitor: ``welcome`` (``session``, ``status``, ``ticket``), ``ack`` (``id``,
``message``, ``ticket``), ``message`` (``id``, ``author`` = visitor/agent/bot/system,
``name``, ``text``, ``at``), ``typing`` (``name``, ``typing``), ``agent_joined`` /
``agent_left`` (``name``), ``status`` (``status``, ``ticket``, ``ask_contact``),
``transcript`` (``messages``), ``ended`` (``by``), ``error`` (``code``, ``message``),
``pong``. Statuses: ``new`` (nothing written yet), ``queued`` (waiting for an agent),
``active`` (an agent joined), ``offline`` (no agent online: the chat became a ticket),
``bot`` (the desk's bot answers; an agent takes over after its hand-off), ``ended``.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.tickets.model import AuthorKind, Message

__all__ = [
    "MAX_TEXT",
    "ClientFrame",
    "SessionStatus",
    "message_frame",
    "parse_client_frame",
]

#: Longest chat message accepted, in characters.
MAX_TEXT = 5000
_MAX_ID = 128
_CLIENT_TYPES = ("message", "typing", "contact", "transcript", "end", "ping")


class SessionStatus(enum.StrEnum):
    """Where a chat session stands."""

    NEW = "new"
    QUEUED = "queued"
    ACTIVE = "active"
    OFFLINE = "offline"
    BOT = "bot"
    ENDED = "ended"


@attrs.frozen
class ClientFrame:
    """A validated frame from the visitor's widget."""

    type: str
    text: str = ""
    id: str | None = None
    typing: bool = False
    email: str | None = None
    phone: str | None = None
    name: str | None = None


def _opt_str(data: Mapping[str, Any], key: str, limit: int) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{key!r} must be a string, got {type(value).__name__}")
    value = value.strip()
    if len(value) > limit:
        raise InvalidInput(f"{key!r} is {len(value)} characters long; the limit is {limit}")
    return value or None


def parse_client_frame(data: Mapping[str, Any] | str | bytes) -> ClientFrame:
    """Validate a frame from the widget (a dict or JSON text); ``InvalidInput`` says why not."""
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"a frame must be a JSON object: {exc}") from None
    if not isinstance(data, Mapping):
        raise InvalidInput(f"a frame must be a JSON object, got {type(data).__name__}")
    kind = data.get("type")
    if kind not in _CLIENT_TYPES:
        raise InvalidInput(f"unknown frame type {kind!r} (known: {', '.join(_CLIENT_TYPES)})")
    if kind == "message":
        text = data.get("text")
        if not isinstance(text, str) or not text.strip():
            raise InvalidInput("a message frame needs a non-empty 'text'")
        if len(text) > MAX_TEXT:
            raise InvalidInput(
                f"the message is {len(text)} characters long; the limit is {MAX_TEXT}"
            )
        if "\x00" in text:
            raise InvalidInput("the message contains a NUL character")
        client_id = data.get("id")
        if client_id is not None and (
            not isinstance(client_id, str | int) or isinstance(client_id, bool)
        ):
            raise InvalidInput("'id' must be a string or a number")
        cid = None if client_id is None else str(client_id)
        if cid is not None and not 0 < len(cid) <= _MAX_ID:
            raise InvalidInput(f"'id' must be 1 to {_MAX_ID} characters long")
        return ClientFrame("message", text=text.strip(), id=cid)
    if kind == "typing":
        value = data.get("typing", True)
        if not isinstance(value, bool):
            raise InvalidInput("'typing' must be true or false")
        return ClientFrame("typing", typing=value)
    if kind == "contact":
        frame = ClientFrame(
            "contact",
            email=_opt_str(data, "email", 254),
            phone=_opt_str(data, "phone", 40),
            name=_opt_str(data, "name", 200),
        )
        if frame.email is None and frame.phone is None and frame.name is None:
            raise InvalidInput("a contact frame needs 'email', 'phone' or 'name'")
        return frame
    return ClientFrame(str(kind))


_AUTHORS = {
    AuthorKind.CUSTOMER: "visitor",
    AuthorKind.AGENT: "agent",
    AuthorKind.BOT: "bot",
    AuthorKind.SYSTEM: "system",
}


def message_frame(message: Message, name: str = "") -> dict[str, Any]:
    """The ``message`` frame showing a stored message to the visitor."""
    return {
        "type": "message",
        "id": message.id,
        "author": _AUTHORS[message.author_kind],
        "name": name,
        "text": message.text,
        "at": _iso(message.created_at),
        "attachments": [
            {"filename": a.filename, "url": a.url, "size": a.size}
            for a in message.attachments
            if a.url is not None
        ],
    }


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")
