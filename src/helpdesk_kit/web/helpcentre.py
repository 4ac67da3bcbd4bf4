"""The help centre: categories, articles, search as you type, "did this help?"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

if TYPE_CHECKING:
    from helpdesk_kit.web.context import WebContext

__all__ = ["routes"]


def routes(ctx: WebContext) -> list[BaseRoute]:
    """The help centre's routes."""
    return []
