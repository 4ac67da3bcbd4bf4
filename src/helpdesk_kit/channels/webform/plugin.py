"""Entry-point plugin of the web-form channel (``helpdesk_kit`` group, name ``form``).

Registers a :class:`FormChannel` when ``HELPDESK_KIT_CHANNELS`` lists ``form``. Optional
``HELPDESK_KIT_FORMS`` names a TOML file of ``[[form]]`` tables to load;
``HELPDESK_KIT_FORM_REPLY_VIA`` the channel replies are relayed through (default ``email``;
``none`` keeps them in the portal).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from helpdesk_kit.channels.base import channel_enabled, env_settings
from helpdesk_kit.channels.webform.channel import FormChannel
from helpdesk_kit.channels.webform.definition import forms_from_toml
from helpdesk_kit.errors import PluginError
from helpdesk_kit.plugins import hookimpl

__all__ = ["from_env", "register_channels"]


def from_env(environ: Mapping[str, str] | None = None) -> FormChannel:
    """The web-form channel configured by environment variables."""
    env = env_settings("form", [], ["HELPDESK_KIT_FORMS", "HELPDESK_KIT_FORM_REPLY_VIA"], environ)
    via = env.get("HELPDESK_KIT_FORM_REPLY_VIA", "email")
    forms = []
    if "HELPDESK_KIT_FORMS" in env:
        path = Path(env["HELPDESK_KIT_FORMS"])
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise PluginError(f"cannot read HELPDESK_KIT_FORMS file {path}: {exc}") from exc
        forms = forms_from_toml(text)
    return FormChannel(forms, reply_via=None if via.lower() == "none" else via)


@hookimpl
def register_channels(register: Callable[[Any], None]) -> None:
    """Register the web-form channel when ``HELPDESK_KIT_CHANNELS`` enables it."""
    if channel_enabled("form"):
        register(from_env())
