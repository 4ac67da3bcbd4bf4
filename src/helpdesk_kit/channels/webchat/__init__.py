"""The live-chat channel: a transport-independent session protocol for a site widget."""

from __future__ import annotations

from helpdesk_kit.channels.webchat.channel import (
    DEFAULT_PROMISE,
    AgentSink,
    ChatChannel,
    ChatSession,
    Promise,
    Sink,
)
from helpdesk_kit.channels.webchat.protocol import (
    MAX_TEXT,
    ClientFrame,
    SessionStatus,
    message_frame,
    parse_client_frame,
)

__all__ = [
    "DEFAULT_PROMISE",
    "MAX_TEXT",
    "AgentSink",
    "ChatChannel",
    "ChatSession",
    "ClientFrame",
    "Promise",
    "SessionStatus",
    "Sink",
    "message_frame",
    "parse_client_frame",
]
