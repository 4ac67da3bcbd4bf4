"""Fired escalation levels in memory (the reference semantics of the escalation repository)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs

from helpdesk_kit.errors import InvalidInput, NotFound
from helpdesk_kit.storage.escalation import FiredLevel

if TYPE_CHECKING:
    from helpdesk_kit.storage.memory import _Data, _Undo

__all__ = ["MemoryEscalations"]

Key = tuple[str, str, str]


def _order(f: FiredLevel) -> tuple[object, ...]:
    return (f.fired_at, f.policy, f.level)


class MemoryEscalations:
    """Fired levels in a dict keyed by (ticket, policy, level), changes in the undo log."""

    def __init__(self, data: _Data, undo: _Undo) -> None:
        self._rows: dict[Key, FiredLevel] = data.extra.setdefault("escalations", {})
        self._by_ticket: dict[str, frozenset[Key]] = data.extra.setdefault(
            "escalations_by_ticket", {}
        )
        self._tickets = data.tickets
        self._u = undo

    def add(self, fired: FiredLevel) -> bool:
        """Store the level unless its key is taken."""
        if not isinstance(fired, FiredLevel):
            raise InvalidInput(f"add() takes a FiredLevel, got {type(fired).__name__}")
        if fired.ticket_id not in self._tickets:
            raise NotFound("ticket", fired.ticket_id)
        if fired.key in self._rows:
            return False
        self._u.set(self._rows, fired.key, fired)
        keys = self._by_ticket.get(fired.ticket_id, frozenset())
        self._u.set(self._by_ticket, fired.ticket_id, keys | {fired.key})
        return True

    def update(self, fired: FiredLevel) -> None:
        """Replace the stored row's event id and data."""
        current = self._rows.get(fired.key)
        if current is None:
            raise NotFound("escalation", "/".join(fired.key))
        self._u.set(
            self._rows, fired.key, attrs.evolve(current, event_id=fired.event_id, data=fired.data)
        )

    def list_for_ticket(self, ticket_id: str) -> list[FiredLevel]:
        """The ticket's fired levels, oldest first."""
        return sorted((self._rows[k] for k in self._by_ticket.get(ticket_id, ())), key=_order)

    def list_for_tickets(self, ticket_ids: Sequence[str]) -> dict[str, list[FiredLevel]]:
        """The fired levels of several tickets."""
        out: dict[str, list[FiredLevel]] = {}
        for tid in dict.fromkeys(ticket_ids):
            found = self.list_for_ticket(tid)
            if found:
                out[tid] = found
        return out

    def for_update_many(self, ticket_ids: Sequence[str]) -> dict[str, list[FiredLevel]]:
        """A memory unit of work holds the whole store: read the existing tickets' levels."""
        return {
            tid: self.list_for_ticket(tid)
            for tid in sorted(set(ticket_ids))
            if tid in self._tickets
        }

    def count(self, *, policy: str | None = None, level: str | None = None) -> int:
        """How many levels fired."""
        return sum(
            1
            for f in self._rows.values()
            if (policy is None or f.policy == policy) and (level is None or f.level == level)
        )
