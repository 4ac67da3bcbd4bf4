"""Routing state in SQL: indexed group queues, capacity holds, sticky agents, pointers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from helpdesk_kit.clock import to_utc
from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.routing.queue import NO_DUE
from helpdesk_kit.storage.routing import QueueEntry
from helpdesk_kit.storage.sql.tables import tickets
from helpdesk_kit.storage.sql.tables_routing import (
    routing_holds,
    routing_last_agents,
    routing_pointers,
    routing_queue,
)

if TYPE_CHECKING:
    from helpdesk_kit.storage.sql.storage import SqlUnitOfWork

__all__ = ["SqlRouting"]

_CHUNK = 500
_Q = routing_queue.c
_ORDER = (_Q.rank, _Q.due_at, _Q.created_at, _Q.ticket_id)


def _key(group_id: str | None) -> str:
    return "" if group_id is None else group_id


def _group(key: str) -> str | None:
    return key or None


def _row(entry: QueueEntry) -> dict[str, Any]:
    return {
        "ticket_id": entry.ticket_id,
        "group_key": _key(entry.group_id),
        "rank": entry.rank,
        "due_at": NO_DUE if entry.due_at is None else to_utc(entry.due_at),
        "created_at": to_utc(entry.created_at),
        "queued_at": to_utc(entry.queued_at),
    }


def _entry(row: Mapping[Any, Any]) -> QueueEntry:
    due = row["due_at"]
    return QueueEntry(
        ticket_id=row["ticket_id"],
        group_id=_group(row["group_key"]),
        created_at=row["created_at"],
        queued_at=row["queued_at"],
        due_at=None if due >= NO_DUE else due,
        rank=row["rank"],
    )


class SqlRouting:
    """The routing repository of a SQL unit of work."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def _insert(self) -> Any:
        return postgresql.insert if self._uow.dialect == "postgresql" else sqlite.insert

    # -- queue

    def enqueue(self, entries: Sequence[QueueEntry]) -> None:
        """Upsert the entries."""
        if not entries:
            return
        rows = []
        for entry in entries:
            if not isinstance(entry, QueueEntry):
                raise InvalidInput(f"enqueue() takes QueueEntry objects, got {entry!r}")
            rows.append(_row(entry))
        stmt = self._insert()(routing_queue)
        stmt = stmt.on_conflict_do_update(
            index_elements=["ticket_id"],
            set_={c: stmt.excluded[c] for c in rows[0] if c != "ticket_id"},
        )
        self._uow.execute(stmt, rows, what="queue entry")

    def dequeue(self, ticket_ids: Sequence[str]) -> int:
        """Delete the tickets' entries."""
        removed = 0
        ids = sorted(set(ticket_ids))
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            result = self._uow.execute(delete(routing_queue).where(_Q.ticket_id.in_(chunk)))
            removed += result.rowcount
        return removed

    def entries(self, ticket_ids: Sequence[str]) -> dict[str, QueueEntry]:
        """The waiting ones among ``ticket_ids``."""
        out: dict[str, QueueEntry] = {}
        ids = list(dict.fromkeys(ticket_ids))
        for start in range(0, len(ids), _CHUNK):
            q = select(routing_queue).where(_Q.ticket_id.in_(ids[start : start + _CHUNK]))
            for row in self._uow.execute(q).mappings():
                out[row["ticket_id"]] = _entry(row)
        return out

    def _head(self, group_id: str | None, limit: int, after: QueueEntry | None) -> Any:
        if limit < 1:
            raise InvalidInput(f"limit must be at least 1, got {limit}")
        q = select(routing_queue).where(_Q.group_key == _key(group_id))
        if after is not None:
            row = _row(after)
            q = q.where(
                tuple_(*_ORDER)
                > tuple_(row["rank"], row["due_at"], row["created_at"], row["ticket_id"])
            )
        return q.order_by(*_ORDER).limit(limit)

    def queue(
        self, group_id: str | None, *, limit: int = 100, after: QueueEntry | None = None
    ) -> list[QueueEntry]:
        """The group's queue in order (index range scan)."""
        q = self._head(group_id, limit, after)
        return [_entry(r) for r in self._uow.execute(q).mappings()]

    def claim(
        self,
        group_id: str | None,
        limit: int,
        *,
        after: QueueEntry | None = None,
        skip_locked: bool = True,
    ) -> list[QueueEntry]:
        """The queue's head, locked; rows others hold are skipped or waited for (PostgreSQL)."""
        q = self._head(group_id, limit, after)
        if self._uow.dialect == "postgresql":
            q = q.with_for_update(skip_locked=skip_locked)
        return [_entry(r) for r in self._uow.execute(q).mappings()]

    def lock_tickets(self, ticket_ids: Sequence[str]) -> list[str]:
        """Lock the free ticket rows among ``ticket_ids`` in id order (PostgreSQL)."""
        uow = self._uow
        wanted = sorted(set(ticket_ids))
        got: list[str] = []
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            q = select(tickets.c.id).where(tickets.c.id.in_(chunk)).order_by(tickets.c.id)
            if uow.dialect == "postgresql":
                mine = [t for t in chunk if t in uow.locked]
                q = q.with_for_update(skip_locked=True)
                found = {r[0] for r in uow.execute(q).all()}
                found.update(t for t in mine if t not in found)
                uow.locked.update(found)
                got += sorted(found)
            else:
                got += [r[0] for r in uow.execute(q).all()]
        return got

    def waiting_groups(self) -> list[str | None]:
        """Distinct group keys of the queue (index scan)."""
        q = select(_Q.group_key).distinct().order_by(_Q.group_key)
        return [_group(r[0]) for r in self._uow.execute(q).all()]

    def count(self, group_id: str | None) -> int:
        """Queue length."""
        q = select(func.count()).select_from(routing_queue).where(_Q.group_key == _key(group_id))
        return int(self._uow.execute(q).scalar_one())

    # -- capacity

    def set_holds(self, holds: Mapping[str, str | None]) -> None:
        """Upsert or delete holds."""
        gone = sorted(t for t, a in holds.items() if a is None)
        kept = [{"ticket_id": t, "agent_id": a} for t, a in sorted(holds.items()) if a]
        for start in range(0, len(gone), _CHUNK):
            chunk = gone[start : start + _CHUNK]
            self._uow.execute(delete(routing_holds).where(routing_holds.c.ticket_id.in_(chunk)))
        if kept:
            stmt = self._insert()(routing_holds)
            stmt = stmt.on_conflict_do_update(
                index_elements=["ticket_id"], set_={"agent_id": stmt.excluded.agent_id}
            )
            self._uow.execute(stmt, kept, what="routing hold")

    def holds(self, ticket_ids: Sequence[str]) -> dict[str, str]:
        """Who each ticket counts against."""
        out: dict[str, str] = {}
        ids = list(dict.fromkeys(ticket_ids))
        h = routing_holds.c
        for start in range(0, len(ids), _CHUNK):
            q = select(h.ticket_id, h.agent_id).where(h.ticket_id.in_(ids[start : start + _CHUNK]))
            found: Sequence[Any] = self._uow.execute(q).all()
            out.update({r[0]: r[1] for r in found})
        return out

    def loads(self, agent_ids: Sequence[str]) -> dict[str, int]:
        """Holds per agent (index on agent_id)."""
        counts = dict.fromkeys(agent_ids, 0)
        ids = list(dict.fromkeys(agent_ids))
        h = routing_holds.c
        for start in range(0, len(ids), _CHUNK):
            q = (
                select(h.agent_id, func.count())
                .where(h.agent_id.in_(ids[start : start + _CHUNK]))
                .group_by(h.agent_id)
            )
            rows: Sequence[Any] = self._uow.execute(q).all()
            for row in rows:
                counts[row[0]] = int(row[1])
        return counts

    # -- sticky and round robin

    def set_last_agent(self, customer_id: str, agent_id: str, at: datetime) -> None:
        """Upsert the customer's latest agent (a later ``at`` wins)."""
        stmt = self._insert()(routing_last_agents).values(
            customer_id=customer_id, agent_id=agent_id, at=to_utc(at)
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["customer_id"],
            set_={"agent_id": stmt.excluded.agent_id, "at": stmt.excluded.at},
            where=routing_last_agents.c.at <= stmt.excluded.at,
        )
        self._uow.execute(stmt, what="last agent")

    def last_agent(self, customer_id: str) -> str | None:
        """The customer's latest agent."""
        c = routing_last_agents.c
        found = self._uow.execute(select(c.agent_id).where(c.customer_id == customer_id)).first()
        return None if found is None else str(found[0])

    def pointer(self, group_id: str | None) -> str | None:
        """The group's pointer, row held until the transaction ends (PostgreSQL)."""
        c = routing_pointers.c
        q = select(c.agent_id).where(c.group_key == _key(group_id))
        if self._uow.dialect == "postgresql":
            q = q.with_for_update()
        found = self._uow.execute(q).first()
        return None if found is None else str(found[0])

    def set_pointer(self, group_id: str | None, agent_id: str) -> None:
        """Upsert the pointer."""
        stmt = self._insert()(routing_pointers).values(group_key=_key(group_id), agent_id=agent_id)
        stmt = stmt.on_conflict_do_update(
            index_elements=["group_key"], set_={"agent_id": stmt.excluded.agent_id}
        )
        self._uow.execute(stmt, what="round-robin pointer")
