"""What the desk's commands return beside plain domain objects."""

from __future__ import annotations

from typing import Any

import attrs

from helpdesk_kit.tickets.model import Customer, Message, Ticket

__all__ = ["ReceiveResult", "SweepResult"]


@attrs.frozen
class ReceiveResult:
    """The outcome of taking in one inbound message.

    ``created``: a new ticket was opened; ``duplicate``: the delivery had been taken in before
    (nothing changed); ``reopened``: a solved ticket reopened; ``ignored``: why nothing was
    stored (an automatic message such as a bounce that belongs to no ticket).
    """

    ticket: Ticket | None
    message: Message | None
    customer: Customer | None = None
    created: bool = False
    duplicate: bool = False
    reopened: bool = False
    ignored: str | None = None


@attrs.frozen
class SweepResult:
    """What one sweep did.

    ``closed``: refs of tickets auto-closed; ``skipped``: refs that could not close, with the
    reason; ``results``: what each installed sweeper (SLA, escalation, ...) returned.
    """

    closed: list[str] = attrs.field(factory=list)
    skipped: dict[str, str] = attrs.field(factory=dict)
    results: dict[str, Any] = attrs.field(factory=dict)
