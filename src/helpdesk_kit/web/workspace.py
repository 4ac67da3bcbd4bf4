"""The workspace pages (a stub until the workspace lands)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

if TYPE_CHECKING:
    from helpdesk_kit.web.context import WebContext

__all__ = ["routes"]


def routes(ctx: WebContext) -> list[BaseRoute]:
    """No routes yet."""
    return []
