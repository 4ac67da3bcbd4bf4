"""Entry-point plugin of the WeChat channel (``helpdesk_kit`` group, name ``wechat``).

Registers a :class:`WeChatChannel` when ``HELPDESK_KIT_CHANNELS`` lists ``wechat`` and
``HELPDESK_KIT_WECHAT_TOKEN`` (the server-URL token) is set. With
``HELPDESK_KIT_WECHAT_APP_ID`` and ``HELPDESK_KIT_WECHAT_APP_SECRET`` it can send
customer-service messages (replies after the passive window). Optional
``HELPDESK_KIT_WECHAT_WELCOME`` and ``HELPDESK_KIT_WECHAT_ACKNOWLEDGEMENT`` (``{ref}`` filled
in) are the automatic answers to a new follower and to a new ticket.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from helpdesk_kit.channels.base import channel_enabled, env_settings
from helpdesk_kit.channels.wechat.api import WeChatApi
from helpdesk_kit.channels.wechat.channel import WeChatChannel
from helpdesk_kit.errors import PluginError
from helpdesk_kit.plugins import hookimpl

__all__ = ["from_env", "register_channels"]


def from_env(environ: Mapping[str, str] | None = None) -> WeChatChannel:
    """The WeChat channel configured by environment variables."""
    env = env_settings(
        "wechat",
        ["HELPDESK_KIT_WECHAT_TOKEN"],
        [
            "HELPDESK_KIT_WECHAT_APP_ID",
            "HELPDESK_KIT_WECHAT_APP_SECRET",
            "HELPDESK_KIT_WECHAT_WELCOME",
            "HELPDESK_KIT_WECHAT_ACKNOWLEDGEMENT",
        ],
        environ,
    )
    app_id = env.get("HELPDESK_KIT_WECHAT_APP_ID")
    secret = env.get("HELPDESK_KIT_WECHAT_APP_SECRET")
    if (app_id is None) != (secret is None):
        raise PluginError(
            "set both HELPDESK_KIT_WECHAT_APP_ID and HELPDESK_KIT_WECHAT_APP_SECRET, or neither"
        )
    api = WeChatApi(app_id, secret) if app_id and secret else None
    return WeChatChannel(
        env["HELPDESK_KIT_WECHAT_TOKEN"],
        api,
        welcome=env.get("HELPDESK_KIT_WECHAT_WELCOME"),
        acknowledgement=env.get("HELPDESK_KIT_WECHAT_ACKNOWLEDGEMENT"),
    )


@hookimpl
def register_channels(register: Callable[[Any], None]) -> None:
    """Register the WeChat channel when ``HELPDESK_KIT_CHANNELS`` enables it."""
    if channel_enabled("wechat"):
        register(from_env())
