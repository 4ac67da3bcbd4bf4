"""SLA timers in SQL: upserts keyed by (ticket, metric), indexed queries on the thresholds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from helpdesk_kit.clock import to_utc
from helpdesk_kit.errors import InvalidInput, NotFound
from helpdesk_kit.sla.policy import METRICS
from helpdesk_kit.sla.timers import SlaStatus, SlaTimer
from helpdesk_kit.storage.sql.rows import check_length
from helpdesk_kit.storage.sql.tables_sla import sla_timers

if TYPE_CHECKING:
    from helpdesk_kit.storage.sql.storage import SqlUnitOfWork

__all__ = ["SqlSlaTimers", "timer_from_row", "timer_row"]

_ORDER = {m: i for i, m in enumerate(METRICS)}
_US = timedelta(microseconds=1)
_COLUMNS = [c.name for c in sla_timers.c]
_OF_TICKET = select(sla_timers).where(sla_timers.c.ticket_id == bindparam("id"))


def _us(value: timedelta | None) -> int | None:
    return None if value is None else value // _US


def timer_row(t: SlaTimer) -> dict[str, Any]:
    """The ``sla_timers`` row of a timer."""
    return {
        "ticket_id": t.ticket_id,
        "metric": t.metric,
        "cycle": t.cycle,
        "status": t.status.value,
        "policy": t.policy,
        "calendar": t.calendar,
        "target_us": _us(t.target),
        "warn_fraction": t.warn_fraction,
        "started_at": t.started_at,
        "resumed_at": t.resumed_at,
        "segments": [[to_utc(a).isoformat(), to_utc(b).isoformat()] for a, b in t.segments],
        "used_us": t.used // _US,
        "warn_at": t.warn_at,
        "due_at": t.due_at,
        "warned_at": t.warned_at,
        "breached_at": t.breached_at,
        "met_at": t.met_at,
        "stopped_at": t.stopped_at,
        "handoff_at": t.handoff_at,
    }


def timer_from_row(row: Mapping[Any, Any]) -> SlaTimer:
    """A timer from its row."""
    target = row["target_us"]
    return SlaTimer(
        ticket_id=row["ticket_id"],
        metric=row["metric"],
        started_at=row["started_at"],
        cycle=row["cycle"],
        resumed_at=row["resumed_at"],
        segments=tuple(
            (datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in row["segments"]
        ),
        used=timedelta(microseconds=row["used_us"]),
        policy=row["policy"],
        calendar=row["calendar"],
        target=None if target is None else timedelta(microseconds=target),
        warn_fraction=row["warn_fraction"],
        warn_at=row["warn_at"],
        due_at=row["due_at"],
        warned_at=row["warned_at"],
        breached_at=row["breached_at"],
        met_at=row["met_at"],
        stopped_at=row["stopped_at"],
        handoff_at=row["handoff_at"],
    )


def _sorted(timers: list[SlaTimer]) -> list[SlaTimer]:
    return sorted(timers, key=lambda t: _ORDER.get(t.metric, 99))


class SqlSlaTimers:
    """The SLA timer repository of a SQL unit of work."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def list_for_ticket(self, ticket_id: str) -> list[SlaTimer]:
        """The ticket's timers in metric order."""
        rows = self._uow.execute(_OF_TICKET, {"id": ticket_id}).mappings()
        return _sorted([timer_from_row(r) for r in rows])

    def list_for_tickets(self, ticket_ids: Sequence[str]) -> dict[str, list[SlaTimer]]:
        """The timers of several tickets, a few hundred ids per query."""
        out: dict[str, list[SlaTimer]] = {}
        ids = list(dict.fromkeys(ticket_ids))
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            q = select(sla_timers).where(sla_timers.c.ticket_id.in_(chunk))
            for row in self._uow.execute(q).mappings():
                out.setdefault(row["ticket_id"], []).append(timer_from_row(row))
        return {tid: _sorted(found) for tid, found in out.items()}

    def for_update(self, ticket_id: str) -> list[SlaTimer]:
        """Lock the ticket's row (PostgreSQL; SQLite writers already take turns), then read."""
        uow = self._uow
        if ticket_id not in uow.locked:
            lock = " FOR UPDATE" if uow.dialect == "postgresql" else ""
            found = uow.run("SELECT id FROM tickets WHERE id = ?" + lock, (ticket_id,))
            if found.fetchone() is None:
                raise NotFound("ticket", ticket_id)
            if lock:
                uow.locked.add(ticket_id)
        return self.list_for_ticket(ticket_id)

    def for_update_many(self, ticket_ids: Sequence[str]) -> dict[str, list[SlaTimer]]:
        """Lock the tickets' rows in id order (PostgreSQL), then read their timers."""
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
        timers = self.list_for_tickets(existing)
        return {tid: timers.get(tid, []) for tid in existing}

    def save(self, timers: Sequence[SlaTimer]) -> None:
        """Upsert the timers (one statement, executed for every row)."""
        if not timers:
            return
        rows = []
        for timer in timers:
            if not isinstance(timer, SlaTimer):
                raise InvalidInput(f"save() takes SlaTimers, got {type(timer).__name__}")
            check_length(timer.policy, "name", "SLA policy name")
            check_length(timer.calendar, "name", "SLA calendar name")
            rows.append(timer_row(timer))
        insert = postgresql.insert if self._uow.dialect == "postgresql" else sqlite.insert
        stmt = insert(sla_timers)
        stmt = stmt.on_conflict_do_update(
            index_elements=["ticket_id", "metric"],
            set_={c: stmt.excluded[c] for c in _COLUMNS if c not in ("ticket_id", "metric")},
        )
        self._uow.execute(stmt, rows, what="SLA timer")

    def upcoming(
        self, before: datetime, *, metric: str | None = None, limit: int = 100
    ) -> list[SlaTimer]:
        """Active timers due before ``before`` (index ``status, due_at``)."""
        c = sla_timers.c
        q = (
            select(sla_timers)
            .where(c.status == SlaStatus.ACTIVE.value, c.due_at < to_utc(before))
            .order_by(c.due_at, c.ticket_id, c.metric)
            .limit(limit)
        )
        if metric is not None:
            q = q.where(c.metric == metric)
        rows = self._uow.execute(q).mappings()
        found = [timer_from_row(r) for r in rows]
        found.sort(key=lambda t: (t.due_at, t.ticket_id, _ORDER.get(t.metric, 99)))
        return found

    def breached_between(
        self, start: datetime, end: datetime, *, metric: str | None = None, limit: int = 1000
    ) -> list[SlaTimer]:
        """Timers breached in ``[start, end)`` (index ``breached_at``)."""
        c = sla_timers.c
        q = (
            select(sla_timers)
            .where(c.breached_at >= to_utc(start), c.breached_at < to_utc(end))
            .order_by(c.breached_at, c.ticket_id, c.metric)
            .limit(limit)
        )
        if metric is not None:
            q = q.where(c.metric == metric)
        rows = self._uow.execute(q).mappings()
        found = [timer_from_row(r) for r in rows]
        found.sort(key=lambda t: (t.breached_at, t.ticket_id, _ORDER.get(t.metric, 99)))
        return found
