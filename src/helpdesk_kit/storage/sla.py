"""The storage port for SLA timers: one row per ticket and metric, thresholds indexed.

Backends keep the due, warning, met and breach instants and the status as indexed columns,
so "which timers are due before X" is an index range scan; the sweep itself finds its work
through the unit of work's ``due`` queue (one item per ticket, at its next threshold).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from helpdesk_kit.sla.timers import SlaTimer

__all__ = ["SlaTimerRepository"]


class SlaTimerRepository(Protocol):
    """SLA timers, keyed by ``(ticket_id, metric)``."""

    def list_for_ticket(self, ticket_id: str) -> list[SlaTimer]:
        """The ticket's timers, in metric order (first_response, next_response, ...)."""
        ...

    def list_for_tickets(self, ticket_ids: Sequence[str]) -> dict[str, list[SlaTimer]]:
        """The timers of several tickets at once (tickets without timers are left out)."""
        ...

    def for_update(self, ticket_id: str) -> list[SlaTimer]:
        """The ticket's timers, holding the ticket until the unit of work ends.

        A sweeper calls this before deciding what to record: a command or another sweeper
        working on the same ticket waits (a backend with concurrent writers locks the
        ticket's row, the same row a command's update locks, so the order is always the
        ticket first, then its timers).
        """
        ...

    def for_update_many(self, ticket_ids: Sequence[str]) -> dict[str, list[SlaTimer]]:
        """:meth:`for_update` for several tickets, locked in id order (one sweep batch).

        Tickets that do not exist are left out; a ticket without timers maps to ``[]``.
        """
        ...

    def save(self, timers: Sequence[SlaTimer]) -> None:
        """Insert or replace these timers (each replaces the stored one of its key)."""
        ...

    def upcoming(
        self,
        before: datetime,
        *,
        metric: str | None = None,
        limit: int = 100,
    ) -> list[SlaTimer]:
        """Active timers (clock running, not breached) due before ``before``, earliest first.

        An indexed query (status, due_at): "what breaches in the next hour".
        """
        ...

    def breached_between(
        self, start: datetime, end: datetime, *, metric: str | None = None, limit: int = 1000
    ) -> list[SlaTimer]:
        """Timers whose breach instant lies in ``[start, end)``, in that order (indexed)."""
        ...
