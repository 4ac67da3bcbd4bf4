"""``create_app(helpdesk, auth=...)``: the ASGI app a host application mounts.

Starlette: small, plain ASGI (mounts into any ASGI host), WebSockets built in, no build
step. Pages are rendered on the server with Jinja2 (autoescape on); the little JavaScript
there is lives in ``web/static``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from helpdesk_kit.channels.webchat import ChatChannel
from helpdesk_kit.desk import Helpdesk
from helpdesk_kit.plugins import hookimpl
from helpdesk_kit.tickets.model import Ticket, TicketEvent
from helpdesk_kit.web import dashboard, helpcentre, widget, workspace
from helpdesk_kit.web.auth import AuthAdapter, SimpleAuth, WebUser
from helpdesk_kit.web.context import WebContext
from helpdesk_kit.web.hub import Hub
from helpdesk_kit.web.i18n import Translations
from helpdesk_kit.web.security import RateLimiter, SecurityMiddleware
from helpdesk_kit.web.settings import WebSettings
from helpdesk_kit.web.texts import COMMON_TEXTS
from helpdesk_kit.web.uploads import UploadStore

__all__ = ["HubPlugin", "create_app"]

HERE = Path(__file__).parent


def _plain(value: Any) -> Any:
    """``value`` made JSON-safe (datetimes as ISO text, unknown objects as text)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


class HubPlugin:
    """A desk plugin publishing every committed ticket event to the hub.

    Topics: ``ticket:<id>``, ``visitor:<customer id>`` and ``inbox``; the payload has
    ``kind`` (the event kind), ``ticket``, ``ref``, ``event``, ``actor``, ``at``, ``data``.
    """

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    @hookimpl
    def on_ticket_event(self, desk: Helpdesk, event: TicketEvent, ticket: Ticket) -> None:
        """Publish ``event`` to the ticket's, the customer's and the inbox topic."""
        payload = {
            "kind": event.kind,
            "ticket": ticket.id,
            "ref": ticket.ref,
            "event": event.id,
            "actor": event.actor,
            "at": event.at.isoformat(),
            "status": ticket.status,
            "assignee": ticket.assignee_id,
            "data": _plain(event.data),
        }
        self.hub.publish(f"ticket:{ticket.id}", payload)
        self.hub.publish(f"visitor:{ticket.customer_id}", payload)
        self.hub.publish("inbox", payload)


def _templates(extra: jinja2.BaseLoader | None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = [] if extra is None else [extra]
    loaders.append(jinja2.FileSystemLoader(HERE / "templates"))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,  # every template, whatever its name
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )

    def tojson_attr(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    def has_role(user: WebUser | None, *roles: str) -> bool:
        return user is not None and bool(user.roles & set(roles))

    env.filters["json"] = tojson_attr
    env.globals["has_role"] = has_role
    return env


def _chat_channel(desk: Helpdesk, hub: Hub) -> ChatChannel:
    """The desk's chat channel (added when the desk has none) wired to the hub."""
    chat = desk.channels.get("chat")
    if not isinstance(chat, ChatChannel):
        chat = ChatChannel(promise=widget.out_of_hours_promise)
        desk.channels["chat"] = chat
    elif chat.promise is not None and not callable(chat.promise):
        pass  # the host chose a fixed text
    if chat.agent_sink is None:

        def agent_sink(session_id: str, frame: dict[str, Any]) -> None:
            hub.publish(f"chat:{session_id}", frame)
            hub.publish(
                "inbox",
                {
                    "kind": f"chat.{frame.get('type', '')}",
                    "session": session_id,
                    "ticket_ref": frame.get("ticket"),
                },
            )

        chat.agent_sink = agent_sink
    return chat


def create_app(
    helpdesk: Helpdesk,
    auth: AuthAdapter | None = None,
    *,
    settings: WebSettings | None = None,
    templates: jinja2.BaseLoader | None = None,
    debug: bool = False,
) -> Starlette:
    """The web app on ``helpdesk``: widget, help centre, agent workspace and dashboard.

    ``auth`` tells who is signed in (default: a :class:`SimpleAuth` with no users, so only
    the public pages work). ``templates`` is a Jinja2 loader asked first, to override any
    template. Mount it in a host app: ``Mount("/support", app=create_app(desk, auth))``.
    """
    settings = settings if settings is not None else WebSettings()
    hub = Hub()
    i18n = Translations(settings.default_language)
    i18n.add(COMMON_TEXTS)
    auth = auth if auth is not None else SimpleAuth({})
    ctx = WebContext(
        desk=helpdesk,
        auth=auth,
        templates=_templates(templates),
        hub=hub,
        i18n=i18n,
        settings=settings,
        limiter=RateLimiter(settings.rate_burst, settings.rate_per_second),
    )
    ctx.chat = _chat_channel(helpdesk, hub)
    ctx.uploads = UploadStore(settings)
    if not any(
        isinstance(p, HubPlugin) and p.hub is hub for p in helpdesk.plugin_manager.get_plugins()
    ):
        helpdesk.plugin_manager.register(HubPlugin(hub), name=f"web-hub-{id(hub)}")

    async def home(request: Request) -> Response:
        return RedirectResponse(f"{request.scope.get('root_path', '')}/help", status_code=303)

    routes: list[BaseRoute] = [Route("/", home, name="home")]
    if isinstance(auth, SimpleAuth):
        routes += auth.routes(ctx)
    routes += widget.routes(ctx)
    routes += helpcentre.routes(ctx)
    routes += workspace.routes(ctx)
    routes += dashboard.routes(ctx)
    routes.append(Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"))
    app = Starlette(
        debug=debug,
        routes=routes,
        middleware=[
            Middleware(
                SecurityMiddleware,
                secure_cookies=settings.secure_cookies,
                embeddable=widget.embeddable,
                frame_ancestors=settings.frame_ancestors,
            )
        ],
    )
    app.state.web = ctx
    return app
