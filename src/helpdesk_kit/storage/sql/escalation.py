"""Fired escalation levels in SQL: insert-if-absent on the (ticket, policy, level) key."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select, update

from helpdesk_kit.errors import InvalidInput, NotFound
from helpdesk_kit.storage.escalation import FiredLevel
from helpdesk_kit.storage.sql.repositories import _Repo
from helpdesk_kit.storage.sql.rows import check_length
from helpdesk_kit.storage.sql.tables_escalation import escalations

__all__ = ["SqlEscalations", "fired_from_row", "fired_row"]


def fired_row(f: FiredLevel) -> dict[str, Any]:
    """The ``escalations`` row of a fired level."""
    check_length(f.policy, "name", "escalation policy name")
    check_length(f.level, "name", "escalation level name")
    return {
        "ticket_id": f.ticket_id,
        "policy": f.policy,
        "level": f.level,
        "fired_at": f.fired_at,
        "event_id": f.event_id,
        "data": f.data,
    }


def fired_from_row(row: Mapping[Any, Any]) -> FiredLevel:
    """A fired level from its row."""
    return FiredLevel(
        ticket_id=row["ticket_id"],
        policy=row["policy"],
        level=row["level"],
        fired_at=row["fired_at"],
        event_id=row["event_id"],
        data=row["data"] or {},
    )


def _order(f: FiredLevel) -> tuple[object, ...]:
    return (f.fired_at, f.policy, f.level)


class SqlEscalations(_Repo):
    """Fired levels in the ``escalations`` table."""

    def add(self, fired: FiredLevel) -> bool:
        """Insert unless the key is taken (``ON CONFLICT DO NOTHING``: a concurrent insert of
        the same key waits for the other transaction, then stores nothing)."""
        if not isinstance(fired, FiredLevel):
            raise InvalidInput(f"add() takes a FiredLevel, got {type(fired).__name__}")
        uow = self._uow
        if uow.run("SELECT id FROM tickets WHERE id = ?", (fired.ticket_id,)).fetchone() is None:
            raise NotFound("ticket", fired.ticket_id)
        return self._inserted(escalations, fired_row(fired), "escalation")

    def update(self, fired: FiredLevel) -> None:
        """Replace the row's event id and data."""
        c = escalations.c
        done = self._uow.execute(
            update(escalations).where(
                c.ticket_id == fired.ticket_id, c.policy == fired.policy, c.level == fired.level
            ),
            {"event_id": fired.event_id, "data": fired.data},
            what="escalation",
        )
        if done.rowcount != 1:
            raise NotFound("escalation", "/".join(fired.key))

    def list_for_ticket(self, ticket_id: str) -> list[FiredLevel]:
        """The ticket's fired levels, oldest first."""
        return self.list_for_tickets([ticket_id]).get(ticket_id, [])

    def list_for_tickets(self, ticket_ids: Sequence[str]) -> dict[str, list[FiredLevel]]:
        """The fired levels of several tickets, a few hundred ids per query."""
        out: dict[str, list[FiredLevel]] = {}
        ids = list(dict.fromkeys(ticket_ids))
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            q = select(escalations).where(escalations.c.ticket_id.in_(chunk))
            for row in self._uow.execute(q).mappings():
                out.setdefault(row["ticket_id"], []).append(fired_from_row(row))
        return {tid: sorted(found, key=_order) for tid, found in out.items()}

    def for_update_many(self, ticket_ids: Sequence[str]) -> dict[str, list[FiredLevel]]:
        """Lock the tickets' rows in id order (PostgreSQL; SQLite writers take turns), then read."""
        uow = self._uow
        wanted = sorted(set(ticket_ids))
        existing: list[str] = []
        lock = " FOR UPDATE" if uow.dialect == "postgresql" else ""
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            found = uow.run(
                f"SELECT id FROM tickets WHERE id IN ({marks}) ORDER BY id{lock}", tuple(chunk)
            ).fetchall()
            existing += [row[0] for row in found]
        if lock:
            uow.locked.update(existing)
        fired = self.list_for_tickets(existing)
        return {tid: fired.get(tid, []) for tid in existing}

    def count(self, *, policy: str | None = None, level: str | None = None) -> int:
        """How many levels fired."""
        q = select(func.count()).select_from(escalations)
        if policy is not None:
            q = q.where(escalations.c.policy == policy)
        if level is not None:
            q = q.where(escalations.c.level == level)
        return int(self._uow.execute(q).scalar_one())
