"""The storage port for routing: group queues, capacity holds, sticky agents, pointers.

* The queue: one entry per waiting ticket (open, unassigned, routed by the desk), in its
  group's queue ordered by :func:`helpdesk_kit.routing.queue.queue_key`. Backends index
  ``(group, rank, due, created, ticket)`` so the head of a queue is an index range scan.
* Holds: which agent each open assigned ticket counts against (capacity).
* The customer's last agent (sticky routing) and each group's round-robin pointer.

Group keys are group ids; ``None`` is the queue of tickets without a group.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

import attrs

from helpdesk_kit.clock import ensure_aware
from helpdesk_kit.routing.queue import NORMAL_RANK, queue_key
from helpdesk_kit.tickets.model import Ticket

__all__ = ["QueueEntry", "RoutingRepository"]


def _aware(_inst: object, attribute: attrs.Attribute[Any], value: datetime | None) -> None:
    if value is not None:
        ensure_aware(value, attribute.name)


@attrs.frozen
class QueueEntry:
    """A ticket waiting in its group's queue."""

    ticket_id: str
    group_id: str | None
    created_at: datetime = attrs.field(validator=_aware)
    queued_at: datetime = attrs.field(validator=_aware)
    due_at: datetime | None = attrs.field(default=None, validator=_aware)
    rank: int = NORMAL_RANK

    @property
    def key(self) -> tuple[int, datetime, datetime, str]:
        """The entry's place in its queue (smaller first)."""
        return queue_key(self.rank, self.due_at, self.created_at, self.ticket_id)


class RoutingRepository(Protocol):
    """Routing state of one unit of work."""

    def enqueue(self, entries: Sequence[QueueEntry]) -> None:
        """Insert or replace the entries (a ticket is in at most one queue)."""
        ...

    def dequeue(self, ticket_ids: Sequence[str]) -> int:
        """Remove the tickets from their queues; return how many were there."""
        ...

    def entries(self, ticket_ids: Sequence[str]) -> dict[str, QueueEntry]:
        """The entries of those tickets that wait (one query)."""
        ...

    def queue(
        self, group_id: str | None, *, limit: int = 100, after: QueueEntry | None = None
    ) -> list[QueueEntry]:
        """The group's waiting tickets in queue order, from the one after ``after``."""
        ...

    def claim(
        self,
        group_id: str | None,
        limit: int,
        *,
        after: QueueEntry | None = None,
        skip_locked: bool = True,
    ) -> list[QueueEntry]:
        """Like :meth:`queue`, holding the entries until the unit of work ends.

        Entries another unit of work holds are skipped (``FOR UPDATE SKIP LOCKED`` on
        PostgreSQL), or waited for with ``skip_locked=False``; backends that serialize
        units of work just read.
        """
        ...

    def lock_tickets(self, ticket_ids: Sequence[str]) -> list[Ticket]:
        """Lock those ticket rows that no one else holds (in id order) and return them."""
        ...

    def waiting_counts(self) -> dict[str | None, int]:
        """How many tickets wait in each group that has any (one index scan)."""
        ...

    def count(self, group_id: str | None) -> int:
        """How many tickets wait in the group's queue."""
        ...

    def set_holds(self, holds: Mapping[str, str | None]) -> None:
        """Record which agent each ticket counts against (None: it counts against no one)."""
        ...

    def holds(self, ticket_ids: Sequence[str]) -> dict[str, str]:
        """The agent each of these tickets counts against (tickets without one left out)."""
        ...

    def loads(self, agent_ids: Sequence[str]) -> dict[str, int]:
        """For each agent, how many tickets count against them."""
        ...

    def set_last_agent(self, customer_id: str, agent_id: str, at: datetime) -> None:
        """Remember the agent of the customer's latest assignment."""
        ...

    def last_agent(self, customer_id: str) -> str | None:
        """The agent of the customer's latest assignment, or None."""
        ...

    def pointer(self, group_id: str | None) -> str | None:
        """The agent the group's round robin served last, held until the unit ends."""
        ...

    def set_pointer(self, group_id: str | None, agent_id: str) -> None:
        """Move the group's round-robin pointer."""
        ...
