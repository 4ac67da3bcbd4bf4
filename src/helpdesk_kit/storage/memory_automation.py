"""Automation rule states in memory (the reference semantics of ``AutomationRepository``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from helpdesk_kit.automation.state import RuleState
from helpdesk_kit.errors import InvalidInput

if TYPE_CHECKING:
    from helpdesk_kit.storage.memory import _Data, _Undo

__all__ = ["MemoryAutomation"]


class MemoryAutomation:
    """:class:`~helpdesk_kit.storage.automation.AutomationRepository` on a memory store."""

    def __init__(self, data: _Data, undo: _Undo) -> None:
        table: dict[Any, Any] = data.extra.setdefault("automation_rule_states", {})
        self._table: dict[tuple[str, str], RuleState] = table
        self._u = undo

    def states_for(self, ticket_ids: Sequence[str]) -> dict[str, dict[str, RuleState]]:
        """The states of these tickets."""
        wanted = set(ticket_ids)
        out: dict[str, dict[str, RuleState]] = {}
        for (tid, rule), state in self._table.items():
            if tid in wanted:
                out.setdefault(tid, {})[rule] = state
        return {tid: dict(sorted(found.items())) for tid, found in out.items()}

    def save(self, states: Sequence[RuleState]) -> None:
        """Store the states."""
        for state in states:
            if not isinstance(state, RuleState):
                raise InvalidInput(f"save() takes RuleStates, got {type(state).__name__}")
            self._u.set(self._table, (state.ticket_id, state.rule), state)

    def drop(self, ticket_id: str, rules: Sequence[str]) -> int:
        """Remove the ticket's states of these rules."""
        removed = 0
        for rule in dict.fromkeys(rules):
            if (ticket_id, rule) in self._table:
                self._u.delete(self._table, (ticket_id, rule))
                removed += 1
        return removed

    def mark_fired(
        self, ticket_id: str, rule: str, entered_at: datetime, fired_at: datetime
    ) -> bool:
        """Mark the state fired if it began at ``entered_at`` and is not marked yet."""
        current = self._table.get((ticket_id, rule))
        if current is None or current.entered_at != entered_at or current.fired:
            return False
        self._u.set(self._table, (ticket_id, rule), attrs.evolve(current, fired_at=fired_at))
        return True
