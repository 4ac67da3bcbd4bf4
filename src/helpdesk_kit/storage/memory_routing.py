"""Routing state in memory: the reference semantics of the routing repository.

Each group's queue is a list kept sorted by queue key (``bisect``), so the head of a queue
and inserting a ticket cost O(log n) comparisons; changes go through the unit's undo log.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.storage.routing import QueueEntry

__all__ = ["MemoryRouting"]

_Key = tuple[int, datetime, datetime, str]


class MemoryRouting:
    """The routing repository of a memory unit of work."""

    def __init__(self, data: Any, undo: Any) -> None:
        extra = data.extra
        self._entries: dict[str, QueueEntry] = extra.setdefault("routing_entries", {})
        self._queues: dict[str | None, list[_Key]] = extra.setdefault("routing_queues", {})
        self._holds: dict[str, str] = extra.setdefault("routing_holds", {})
        self._loads: dict[str, int] = extra.setdefault("routing_loads", {})
        self._last: dict[str, tuple[datetime, str]] = extra.setdefault("routing_last", {})
        self._pointers: dict[str | None, str] = extra.setdefault("routing_pointers", {})
        self._tickets: dict[str, Any] = data.tickets
        self._undo = undo

    # -- queue

    def _insert(self, entry: QueueEntry) -> None:
        keys = self._queues.get(entry.group_id)
        if keys is None:
            self._undo.set(self._queues, entry.group_id, [])
            keys = self._queues[entry.group_id]
        key = entry.key
        index = bisect.bisect_left(keys, key)
        keys.insert(index, key)
        self._undo.log.append(lambda: keys.remove(key))

    def _remove(self, entry: QueueEntry) -> None:
        keys = self._queues[entry.group_id]
        key = entry.key
        index = bisect.bisect_left(keys, key)
        del keys[index]
        self._undo.log.append(lambda: bisect.insort(keys, key))

    def enqueue(self, entries: Sequence[QueueEntry]) -> None:
        """Insert or replace entries."""
        for entry in entries:
            if not isinstance(entry, QueueEntry):
                raise InvalidInput(f"enqueue() takes QueueEntry objects, got {entry!r}")
            old = self._entries.get(entry.ticket_id)
            if old is not None:
                self._remove(old)
            self._insert(entry)
            self._undo.set(self._entries, entry.ticket_id, entry)

    def dequeue(self, ticket_ids: Sequence[str]) -> int:
        """Remove tickets from their queues."""
        removed = 0
        for tid in dict.fromkeys(ticket_ids):
            old = self._entries.get(tid)
            if old is None:
                continue
            self._remove(old)
            self._undo.delete(self._entries, tid)
            removed += 1
        return removed

    def entries(self, ticket_ids: Sequence[str]) -> dict[str, QueueEntry]:
        """The entries of the waiting tickets among ``ticket_ids``."""
        return {t: self._entries[t] for t in ticket_ids if t in self._entries}

    def queue(
        self, group_id: str | None, *, limit: int = 100, after: QueueEntry | None = None
    ) -> list[QueueEntry]:
        """The group's queue in order."""
        if limit < 1:
            raise InvalidInput(f"limit must be at least 1, got {limit}")
        keys = self._queues.get(group_id, [])
        start = 0 if after is None else bisect.bisect_right(keys, after.key)
        return [self._entries[k[3]] for k in keys[start : start + limit]]

    def claim(
        self,
        group_id: str | None,
        limit: int,
        *,
        after: QueueEntry | None = None,
        skip_locked: bool = True,
    ) -> list[QueueEntry]:
        """A memory unit holds the whole store: the head of the queue is ours."""
        return self.queue(group_id, limit=limit, after=after)

    def lock_tickets(self, ticket_ids: Sequence[str]) -> list[Any]:
        """Every existing ticket is ours while the unit runs."""
        return [self._tickets[t] for t in sorted(set(ticket_ids)) if t in self._tickets]

    def waiting_counts(self) -> dict[str | None, int]:
        """Queue lengths of the groups with waiting tickets."""
        return {
            g: len(keys)
            for g, keys in sorted(self._queues.items(), key=lambda kv: kv[0] or "")
            if keys
        }

    def count(self, group_id: str | None) -> int:
        """Length of the group's queue."""
        return len(self._queues.get(group_id, ()))

    # -- capacity

    def set_holds(self, holds: Mapping[str, str | None]) -> None:
        """Move tickets' holds between agents."""
        for tid, agent in holds.items():
            old = self._holds.get(tid)
            if old == agent:
                continue
            if old is not None:
                self._undo.set(self._loads, old, self._loads.get(old, 0) - 1)
                self._undo.delete(self._holds, tid)
            if agent is not None:
                self._undo.set(self._loads, agent, self._loads.get(agent, 0) + 1)
                self._undo.set(self._holds, tid, agent)

    def holds(self, ticket_ids: Sequence[str]) -> dict[str, str]:
        """Who each ticket counts against."""
        return {t: self._holds[t] for t in ticket_ids if t in self._holds}

    def loads(self, agent_ids: Sequence[str]) -> dict[str, int]:
        """Tickets counting against each agent."""
        return {a: self._loads.get(a, 0) for a in agent_ids}

    # -- sticky and round robin

    def set_last_agent(self, customer_id: str, agent_id: str, at: datetime) -> None:
        """Remember the customer's latest agent (a later ``at`` wins)."""
        old = self._last.get(customer_id)
        if old is None or at >= old[0]:
            self._undo.set(self._last, customer_id, (at, agent_id))

    def last_agent(self, customer_id: str) -> str | None:
        """The customer's latest agent."""
        found = self._last.get(customer_id)
        return None if found is None else found[1]

    def pointer(self, group_id: str | None) -> str | None:
        """The group's round-robin pointer."""
        return self._pointers.get(group_id)

    def set_pointer(self, group_id: str | None, agent_id: str) -> None:
        """Move the pointer."""
        self._undo.set(self._pointers, group_id, agent_id)
