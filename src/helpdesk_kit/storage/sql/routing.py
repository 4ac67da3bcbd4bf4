"""Routing state in SQL: indexed group queues, capacity holds, sticky agents, pointers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select, tuple_

from helpdesk_kit.clock import to_utc
from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.routing.queue import NO_DUE
from helpdesk_kit.storage.routing import QueueEntry
from helpdesk_kit.storage.sql import rows as R
from helpdesk_kit.storage.sql.repositories import _columns, _decode, _pg_dt, _sqlite_dt
from helpdesk_kit.storage.sql.tables import tickets
from helpdesk_kit.storage.sql.tables_routing import (
    routing_holds,
    routing_last_agents,
    routing_pointers,
    routing_queue,
)
from helpdesk_kit.tickets.model import Ticket

if TYPE_CHECKING:
    from helpdesk_kit.storage.sql.storage import SqlUnitOfWork

__all__ = ["SqlRouting"]

_CHUNK = 500
_TICKET_COLUMNS = _columns(tickets)
_HOLD_UPSERT = (
    "INSERT INTO routing_holds (ticket_id, agent_id) VALUES (?, ?) "
    "ON CONFLICT (ticket_id) DO UPDATE SET agent_id = excluded.agent_id"
)
_LAST_UPSERT = (
    "INSERT INTO routing_last_agents (customer_id, agent_id, at) VALUES (?, ?, ?) "
    "ON CONFLICT (customer_id) DO UPDATE SET agent_id = excluded.agent_id, at = excluded.at "
    "WHERE routing_last_agents.at <= excluded.at"
)
_POINTER_UPSERT = (
    "INSERT INTO routing_pointers (group_key, agent_id) VALUES (?, ?) "
    "ON CONFLICT (group_key) DO UPDATE SET agent_id = excluded.agent_id"
)
_QUEUE_UPSERT = (
    "INSERT INTO routing_queue (ticket_id, group_key, rank, due_at, created_at, queued_at) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (ticket_id) DO UPDATE SET "
    "group_key = excluded.group_key, rank = excluded.rank, due_at = excluded.due_at, "
    "created_at = excluded.created_at, queued_at = excluded.queued_at"
)
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

    # -- queue

    def enqueue(self, entries: Sequence[QueueEntry]) -> None:
        """Upsert the entries (one driver-level statement for all)."""
        if not entries:
            return
        dt = self._dt()
        rows = []
        for entry in entries:
            if not isinstance(entry, QueueEntry):
                raise InvalidInput(f"enqueue() takes QueueEntry objects, got {entry!r}")
            r = _row(entry)
            rows.append(
                (
                    r["ticket_id"],
                    r["group_key"],
                    r["rank"],
                    dt(r["due_at"]),
                    dt(r["created_at"]),
                    dt(r["queued_at"]),
                )
            )
        self._uow.run_many(_QUEUE_UPSERT, rows, what="queue entry")

    def _dt(self) -> Any:
        return _pg_dt if self._uow.dialect == "postgresql" else _sqlite_dt

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

    def lock_tickets(self, ticket_ids: Sequence[str]) -> list[Ticket]:
        """Lock the free ticket rows among ``ticket_ids`` (id order) and read them.

        PostgreSQL skips rows another transaction holds; SQLite writers take turns anyway.
        The tickets' last event numbers are read too, so recording their events costs no
        further query.
        """
        uow = self._uow
        wanted = sorted(set(ticket_ids))
        got: list[Ticket] = []
        pg = uow.dialect == "postgresql"
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ", ".join("?" * len(chunk))
            lock = " FOR UPDATE SKIP LOCKED" if pg else ""
            mine = [t for t in chunk if t in uow.locked]
            rows = uow.run(
                f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE id IN ({marks}) ORDER BY id{lock}",
                tuple(chunk),
            ).fetchall()
            found = {
                t.id: t for t in (R.ticket_from_row(_decode(tickets, uow.dialect, r)) for r in rows)
            }
            missing = [t for t in mine if t not in found]
            if missing:  # rows this transaction already holds are not skipped for us
                marks = ", ".join("?" * len(missing))
                rows = uow.run(
                    f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE id IN ({marks})", tuple(missing)
                ).fetchall()
                for r in rows:
                    t = R.ticket_from_row(_decode(tickets, uow.dialect, r))
                    found[t.id] = t
            ids = sorted(found)
            if ids:
                uow.locked.update(ids)
                unknown = [t for t in ids if t not in uow.last_seq]
                if unknown:
                    marks = ", ".join("?" * len(unknown))
                    seqs = dict.fromkeys(unknown, 0)
                    for tid, last in uow.run(
                        f"SELECT ticket_id, MAX(seq) FROM events WHERE ticket_id IN ({marks}) "
                        "GROUP BY ticket_id",
                        tuple(unknown),
                    ).fetchall():
                        seqs[tid] = int(last)
                    uow.last_seq.update(seqs)
            got += [found[t] for t in ids]
        return got

    def waiting_counts(self) -> dict[str | None, int]:
        """Queue lengths by group (an index-only scan of the queue index)."""
        q = select(_Q.group_key, func.count()).group_by(_Q.group_key).order_by(_Q.group_key)
        rows: Sequence[Any] = self._uow.execute(q).all()
        return {_group(r[0]): int(r[1]) for r in rows}

    def count(self, group_id: str | None) -> int:
        """Queue length."""
        q = select(func.count()).select_from(routing_queue).where(_Q.group_key == _key(group_id))
        return int(self._uow.execute(q).scalar_one())

    # -- capacity

    def set_holds(self, holds: Mapping[str, str | None]) -> None:
        """Upsert or delete holds."""
        gone = sorted(t for t, a in holds.items() if a is None)
        kept = [(t, a) for t, a in sorted(holds.items()) if a]
        for start in range(0, len(gone), _CHUNK):
            chunk = gone[start : start + _CHUNK]
            self._uow.execute(delete(routing_holds).where(routing_holds.c.ticket_id.in_(chunk)))
        if kept:
            self._uow.run_many(_HOLD_UPSERT, kept, what="routing hold")

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
        self._uow.run(_LAST_UPSERT, (customer_id, agent_id, self._dt()(at)), what="last agent")

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
        self._uow.run(_POINTER_UPSERT, (_key(group_id), agent_id), what="round-robin pointer")
