"""The storage port for escalations: one row per (ticket, policy, level) that fired.

The row's unique key is what makes a level fire once: it is inserted in the same
transaction as the ``escalation.fired`` event, before the level's actions run, and a second
insert of the same key (another sweeper, a retried command) stores nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

import attrs

from helpdesk_kit.clock import ensure_aware

__all__ = ["EscalationRepository", "FiredLevel"]


def _aware(_inst: object, attribute: attrs.Attribute[Any], value: datetime) -> None:
    ensure_aware(value, attribute.name)


def _data(value: Mapping[str, Any]) -> dict[str, Any]:
    return dict(value)


@attrs.frozen
class FiredLevel:
    """An escalation level that fired on a ticket: when, through which event, and why.

    ``data``: the condition's reason (``why``) and the results of the level's actions.
    """

    ticket_id: str
    policy: str
    level: str
    fired_at: datetime = attrs.field(validator=_aware)
    event_id: str | None = None
    data: dict[str, Any] = attrs.field(factory=dict, converter=_data, hash=False)

    @property
    def key(self) -> tuple[str, str, str]:
        """Return ``(ticket_id, policy, level)``, the unique key."""
        return (self.ticket_id, self.policy, self.level)


class EscalationRepository(Protocol):
    """Fired escalation levels, unique per ``(ticket_id, policy, level)``."""

    def add(self, fired: FiredLevel) -> bool:
        """Store the fired level; False (nothing stored) when its key is already taken."""
        ...

    def update(self, fired: FiredLevel) -> None:
        """Replace the stored row's ``event_id`` and ``data``; ``NotFound`` if there is none."""
        ...

    def list_for_ticket(self, ticket_id: str) -> list[FiredLevel]:
        """The ticket's fired levels, oldest first (then policy, level)."""
        ...

    def list_for_tickets(self, ticket_ids: Sequence[str]) -> dict[str, list[FiredLevel]]:
        """The fired levels of several tickets (tickets without any are left out)."""
        ...

    def for_update_many(self, ticket_ids: Sequence[str]) -> dict[str, list[FiredLevel]]:
        """Lock the tickets (in id order) until the unit of work ends, then read their levels.

        The same row every command on a ticket locks: a sweeper and a command take turns.
        Tickets that do not exist are left out; a ticket without fired levels maps to ``[]``.
        """
        ...

    def count(self, *, policy: str | None = None, level: str | None = None) -> int:
        """How many levels fired (of a policy, of a level)."""
        ...
