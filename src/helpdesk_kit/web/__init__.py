"""The optional web app (extra ``web``): chat widget, help centre, agent workspace, dashboard.

``create_app(helpdesk, auth=...)`` returns an ASGI (Starlette) app to mount in a host
application; ``helpdesk-kit serve`` runs it on the embedded default desk.
"""

from __future__ import annotations

from helpdesk_kit.web.app import HubPlugin, create_app
from helpdesk_kit.web.auth import (
    AuthAdapter,
    SimpleAuth,
    SimpleUser,
    WebUser,
    hash_password,
    require_user,
)
from helpdesk_kit.web.context import WebContext
from helpdesk_kit.web.hub import Hub
from helpdesk_kit.web.i18n import Translations, pick_language
from helpdesk_kit.web.settings import WebSettings
from helpdesk_kit.web.visitors import sign_visitor

__all__ = [
    "AuthAdapter",
    "Hub",
    "HubPlugin",
    "SimpleAuth",
    "SimpleUser",
    "Translations",
    "WebContext",
    "WebSettings",
    "WebUser",
    "create_app",
    "hash_password",
    "pick_language",
    "require_user",
    "sign_visitor",
]
