"""Automation rule states in SQL: upserts keyed by (ticket, rule), a conditional fired mark."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import and_, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from helpdesk_kit.automation.state import RuleState
from helpdesk_kit.clock import to_utc
from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.storage.sql.rows import check_length
from helpdesk_kit.storage.sql.tables_automation import automation_rule_states

if TYPE_CHECKING:
    from helpdesk_kit.storage.sql.storage import SqlUnitOfWork

__all__ = ["SqlAutomation"]

_T = automation_rule_states


class SqlAutomation:
    """The automation repository of a SQL unit of work."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def states_for(self, ticket_ids: Sequence[str]) -> dict[str, dict[str, RuleState]]:
        """The states of these tickets, a few hundred ids per query."""
        out: dict[str, dict[str, RuleState]] = {}
        ids = list(dict.fromkeys(ticket_ids))
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            q = select(_T).where(_T.c.ticket_id.in_(chunk)).order_by(_T.c.ticket_id, _T.c.rule)
            for row in self._uow.execute(q).mappings():
                out.setdefault(row["ticket_id"], {})[row["rule"]] = RuleState(
                    row["ticket_id"], row["rule"], row["entered_at"], row["fired_at"]
                )
        return out

    def save(self, states: Sequence[RuleState]) -> None:
        """Upsert the states (one statement, executed for every row)."""
        if not states:
            return
        rows = []
        for state in states:
            if not isinstance(state, RuleState):
                raise InvalidInput(f"save() takes RuleStates, got {type(state).__name__}")
            check_length(state.rule, "name", "automation rule name")
            rows.append(
                {
                    "ticket_id": state.ticket_id,
                    "rule": state.rule,
                    "entered_at": state.entered_at,
                    "fired_at": state.fired_at,
                }
            )
        insert = postgresql.insert if self._uow.dialect == "postgresql" else sqlite.insert
        stmt = insert(_T)
        stmt = stmt.on_conflict_do_update(
            index_elements=["ticket_id", "rule"],
            set_={"entered_at": stmt.excluded.entered_at, "fired_at": stmt.excluded.fired_at},
        )
        self._uow.execute(stmt, rows, what="automation rule state")

    def drop(self, ticket_id: str, rules: Sequence[str]) -> int:
        """Remove the ticket's states of these rules."""
        if not rules:
            return 0
        stmt = delete(_T).where(_T.c.ticket_id == ticket_id, _T.c.rule.in_(list(set(rules))))
        return int(self._uow.execute(stmt).rowcount or 0)

    def mark_fired(
        self, ticket_id: str, rule: str, entered_at: datetime, fired_at: datetime
    ) -> bool:
        """``UPDATE ... WHERE fired_at IS NULL``: one row changed means this call owns it.

        On PostgreSQL a concurrent mark of the same row waits for the other transaction and
        then finds ``fired_at`` set; SQLite writers take turns.
        """
        stmt = (
            update(_T)
            .where(
                and_(
                    _T.c.ticket_id == ticket_id,
                    _T.c.rule == rule,
                    _T.c.entered_at == to_utc(entered_at),
                    _T.c.fired_at.is_(None),
                )
            )
            .values(fired_at=fired_at)
        )
        return int(self._uow.execute(stmt).rowcount or 0) == 1
