"""The chat widget: script, frame, WebSocket and the POST/long-poll fallback."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

from helpdesk_kit.tickets.model import Ticket

if TYPE_CHECKING:
    from helpdesk_kit.desk import Helpdesk
    from helpdesk_kit.web.context import WebContext

__all__ = ["embeddable", "out_of_hours_promise", "routes"]

_OFFLINE = {
    "zh": "我们的客服暂时不在线。您的留言已保存为工单 {ref}，我们会尽快回复。",
    "en": "All our agents are offline right now. We saved your message as ticket {ref} "
    "and will answer as soon as we are back.",
}


def out_of_hours_promise(desk: Helpdesk, ticket: Ticket) -> str:
    """What a visitor is told when no agent is online: the SLA promise when there is one."""
    lang = "zh" if (ticket.language or "zh").lower().startswith("zh") else "en"
    text = _OFFLINE[lang].format(ref=ticket.ref)
    promise = desk.sla_promise(ticket, lang)
    return f"{text} {promise}" if promise else text


def embeddable(path: str) -> bool:
    """Whether the page at ``path`` may be framed by other sites (the widget's frame)."""
    return path.startswith("/widget/frame")


def routes(ctx: WebContext) -> list[BaseRoute]:
    """The widget's routes."""
    return []
