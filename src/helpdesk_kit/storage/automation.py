"""The storage port for automation: each ticket's standing with each time rule."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from helpdesk_kit.automation.state import RuleState

__all__ = ["AutomationRepository"]


class AutomationRepository(Protocol):
    """Time-rule states, one per (ticket, rule) while the rule's condition holds."""

    def states_for(self, ticket_ids: Sequence[str]) -> dict[str, dict[str, RuleState]]:
        """The states of these tickets, by ticket id then rule name (absent: none)."""
        ...

    def save(self, states: Sequence[RuleState]) -> None:
        """Store the states, replacing those of the same (ticket, rule)."""
        ...

    def drop(self, ticket_id: str, rules: Sequence[str]) -> int:
        """Remove the ticket's states of these rules; return how many were removed."""
        ...

    def mark_fired(
        self, ticket_id: str, rule: str, entered_at: datetime, fired_at: datetime
    ) -> bool:
        """Mark the state ``(ticket, rule, entered_at)`` fired, if it is not yet.

        True when this call marked it: the caller owns this firing. False when the state is
        gone, began at another time, or is already marked (another worker fired it). A
        concurrent transaction marking the same state makes this one wait for it to end.
        """
        ...
