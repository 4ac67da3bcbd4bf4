"""SLA timers in memory: the reference semantics of the SLA timer repository."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from helpdesk_kit.clock import to_utc
from helpdesk_kit.errors import InvalidInput, NotFound
from helpdesk_kit.sla.policy import METRICS
from helpdesk_kit.sla.timers import SlaStatus, SlaTimer

__all__ = ["MemorySlaTimers"]

_ORDER = {m: i for i, m in enumerate(METRICS)}


class MemorySlaTimers:
    """Timers in a dict of the memory store, changes recorded in the unit's undo log."""

    def __init__(self, data: Any, undo: Any) -> None:
        self._table: dict[tuple[str, str], SlaTimer] = data.extra.setdefault("sla_timers", {})
        self._by_ticket: dict[str, set[str]] = data.extra.setdefault("sla_timer_metrics", {})
        self._tickets: dict[str, Any] = data.tickets
        self._undo = undo

    def list_for_ticket(self, ticket_id: str) -> list[SlaTimer]:
        """The ticket's timers in metric order."""
        metrics = self._by_ticket.get(ticket_id, ())
        return sorted(
            (self._table[(ticket_id, m)] for m in metrics), key=lambda t: _ORDER[t.metric]
        )

    def list_for_tickets(self, ticket_ids: Sequence[str]) -> dict[str, list[SlaTimer]]:
        """The timers of several tickets."""
        out: dict[str, list[SlaTimer]] = {}
        for tid in dict.fromkeys(ticket_ids):
            found = self.list_for_ticket(tid)
            if found:
                out[tid] = found
        return out

    def for_update(self, ticket_id: str) -> list[SlaTimer]:
        """A memory unit of work holds the whole store: nothing more to lock."""
        if ticket_id not in self._tickets:
            raise NotFound("ticket", ticket_id)
        return self.list_for_ticket(ticket_id)

    def for_update_many(self, ticket_ids: Sequence[str]) -> dict[str, list[SlaTimer]]:
        """The timers of the tickets that exist."""
        return {
            tid: self.list_for_ticket(tid)
            for tid in sorted(set(ticket_ids))
            if tid in self._tickets
        }

    def save(self, timers: Sequence[SlaTimer]) -> None:
        """Insert or replace timers."""
        for timer in timers:
            if not isinstance(timer, SlaTimer):
                raise InvalidInput(f"save() takes SlaTimers, got {type(timer).__name__}")
            metrics = self._by_ticket.get(timer.ticket_id)
            if metrics is None:
                self._undo.set(self._by_ticket, timer.ticket_id, {timer.metric})
            elif timer.metric not in metrics:
                self._undo.set(self._by_ticket, timer.ticket_id, metrics | {timer.metric})
            self._undo.set(self._table, timer.key, timer)

    def upcoming(
        self, before: datetime, *, metric: str | None = None, limit: int = 100
    ) -> list[SlaTimer]:
        """Active timers due before ``before``, earliest first."""
        at = to_utc(before)
        found = [
            t
            for t in self._table.values()
            if t.status is SlaStatus.ACTIVE
            and t.due_at is not None
            and t.due_at < at
            and (metric is None or t.metric == metric)
        ]
        found.sort(key=lambda t: (to_utc(t.due_at or at), t.ticket_id, _ORDER[t.metric]))
        return found[:limit]

    def breached_between(
        self, start: datetime, end: datetime, *, metric: str | None = None, limit: int = 1000
    ) -> list[SlaTimer]:
        """Timers breached in ``[start, end)``."""
        a, b = to_utc(start), to_utc(end)
        found = [
            t
            for t in self._table.values()
            if t.breached_at is not None
            and a <= t.breached_at < b
            and (metric is None or t.metric == metric)
        ]
        found.sort(key=lambda t: (to_utc(t.breached_at or a), t.ticket_id, _ORDER[t.metric]))
        return found[:limit]
