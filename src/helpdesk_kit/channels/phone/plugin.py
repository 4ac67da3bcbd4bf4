"""Entry-point plugin of the phone channel (``helpdesk_kit`` group, name ``phone``).

Registers a :class:`PhoneChannel` when ``HELPDESK_KIT_CHANNELS`` lists ``phone``; optional
``HELPDESK_KIT_PHONE_COUNTRY_CODE`` (``86``) makes national numbers E.164. Replies are relayed
by e-mail (an SMS gateway is configured in code: ``PhoneChannel(sms=...)``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from helpdesk_kit.channels.base import channel_enabled, env_settings
from helpdesk_kit.channels.phone.channel import PhoneChannel
from helpdesk_kit.errors import InvalidInput, PluginError
from helpdesk_kit.plugins import hookimpl

__all__ = ["from_env", "register_channels"]


def from_env(environ: Mapping[str, str] | None = None) -> PhoneChannel:
    """The phone channel configured by environment variables."""
    env = env_settings("phone", [], ["HELPDESK_KIT_PHONE_COUNTRY_CODE"], environ)
    try:
        return PhoneChannel(country_code=env.get("HELPDESK_KIT_PHONE_COUNTRY_CODE"))
    except InvalidInput as exc:
        raise PluginError(f"HELPDESK_KIT_PHONE_COUNTRY_CODE: {exc}") from None


@hookimpl
def register_channels(register: Callable[[Any], None]) -> None:
    """Register the phone channel when ``HELPDESK_KIT_CHANNELS`` enables it."""
    if channel_enabled("phone"):
        register(from_env())
