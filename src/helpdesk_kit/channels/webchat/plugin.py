"""Entry-point plugin of the live-chat channel (``helpdesk_kit`` group, name ``chat``).

Registers a :class:`ChatChannel` with its defaults when ``HELPDESK_KIT_CHANNELS`` lists
``chat``; optional ``HELPDESK_KIT_CHAT_PROMISE`` replaces the out-of-hours promise (``{ref}``
is the ticket number). The web layer finds it as ``desk.channels["chat"]``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from helpdesk_kit.channels.base import channel_enabled, env_settings
from helpdesk_kit.channels.webchat.channel import DEFAULT_PROMISE, ChatChannel
from helpdesk_kit.plugins import hookimpl

__all__ = ["from_env", "register_channels"]


def from_env(environ: Mapping[str, str] | None = None) -> ChatChannel:
    """The chat channel configured by environment variables."""
    env = env_settings("chat", [], ["HELPDESK_KIT_CHAT_PROMISE"], environ)
    return ChatChannel(promise=env.get("HELPDESK_KIT_CHAT_PROMISE", DEFAULT_PROMISE))


@hookimpl
def register_channels(register: Callable[[Any], None]) -> None:
    """Register the chat channel when ``HELPDESK_KIT_CHANNELS`` enables it."""
    if channel_enabled("chat"):
        register(from_env())
