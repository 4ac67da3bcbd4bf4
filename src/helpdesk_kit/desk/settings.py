"""Desk-wide settings."""

from __future__ import annotations

from typing import Literal

import attrs

__all__ = ["DeskSettings"]


@attrs.frozen
class DeskSettings:
    """How a desk behaves where there is a choice.

    ``default_lifecycle``: lifecycle of new tickets; ``default_group``: group name new tickets
    join when nothing else decides; ``auto_assign``: route new tickets to an agent at once;
    ``unknown_sender``: what to do with a reply to a ticket from someone who is neither its
    customer nor a participant (``"new_ticket"`` or ``"note"``); ``timezone``: the desk's IANA
    zone for reports.
    """

    default_lifecycle: str = "support"
    default_group: str | None = None
    auto_assign: bool = True
    unknown_sender: Literal["new_ticket", "note"] = attrs.field(
        default="new_ticket", validator=attrs.validators.in_(("new_ticket", "note"))
    )
    timezone: str = "UTC"
