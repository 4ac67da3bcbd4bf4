"""Entry-point plugin of the e-mail channel (``helpdesk_kit`` group, name ``email``).

It registers an :class:`EmailChannel` when ``HELPDESK_KIT_CHANNELS`` lists ``email`` and
these variables are set:

- ``HELPDESK_KIT_EMAIL_ADDRESS`` — the support mailbox, ``"客服中心 <support@example.com>"``
- ``HELPDESK_KIT_SMTP_URL`` — ``smtp://user:password@host:587?starttls=true`` or
  ``smtps://user:password@host:465`` (user and password URL-encoded, both optional)
- optional ``HELPDESK_KIT_EMAIL_DOMAIN`` (of our Message-IDs) and
  ``HELPDESK_KIT_EMAIL_ACKNOWLEDGEMENT`` (text of the automatic answer; ``{ref}`` is filled in)

Applications that configure the channel in code register ``ChannelPlugin(EmailChannel(...))``
instead and leave ``email`` out of ``HELPDESK_KIT_CHANNELS``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from helpdesk_kit.channels.base import channel_enabled, env_settings
from helpdesk_kit.channels.email.channel import EmailChannel
from helpdesk_kit.channels.email.transports import SmtpSender
from helpdesk_kit.errors import PluginError
from helpdesk_kit.plugins import hookimpl

__all__ = ["from_env", "register_channels", "smtp_from_url"]

_TRUE = {"1", "true", "yes", "on"}


def smtp_from_url(url: str) -> SmtpSender:
    """An :class:`SmtpSender` from ``smtp://`` / ``smtps://`` URL (``PluginError`` if bad)."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise PluginError(
            "HELPDESK_KIT_SMTP_URL must look like smtp://user:password@host:587?starttls=true "
            f"or smtps://host:465, got scheme {parts.scheme!r}"
        )
    query = parse_qs(parts.query)
    starttls = query.get("starttls", ["false"])[-1].lower() in _TRUE
    ssl = parts.scheme == "smtps"
    try:
        port = parts.port or (465 if ssl else 587 if starttls else 25)
    except ValueError as exc:
        raise PluginError(f"HELPDESK_KIT_SMTP_URL has a bad port: {exc}") from None
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if (user is None) != (password is None):
        raise PluginError("HELPDESK_KIT_SMTP_URL needs both a user and a password, or neither")
    return SmtpSender(
        parts.hostname, port, username=user, password=password, starttls=starttls, ssl=ssl
    )


def from_env(environ: Mapping[str, str] | None = None) -> EmailChannel:
    """The e-mail channel configured by environment variables."""
    env = env_settings(
        "email",
        ["HELPDESK_KIT_EMAIL_ADDRESS", "HELPDESK_KIT_SMTP_URL"],
        ["HELPDESK_KIT_EMAIL_DOMAIN", "HELPDESK_KIT_EMAIL_ACKNOWLEDGEMENT"],
        environ,
    )
    return EmailChannel(
        env["HELPDESK_KIT_EMAIL_ADDRESS"],
        smtp_from_url(env["HELPDESK_KIT_SMTP_URL"]),
        domain=env.get("HELPDESK_KIT_EMAIL_DOMAIN"),
        acknowledgement=env.get("HELPDESK_KIT_EMAIL_ACKNOWLEDGEMENT"),
    )


@hookimpl
def register_channels(register: Callable[[Any], None]) -> None:
    """Register the e-mail channel when ``HELPDESK_KIT_CHANNELS`` enables it."""
    if channel_enabled("email"):
        register(from_env())
