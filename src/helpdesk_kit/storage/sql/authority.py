"""SQL repository of authority requests, with the (actor, action) lock for limit checks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from helpdesk_kit.authority.money import Money
from helpdesk_kit.authority.request import COUNTED, AuthorityRequest
from helpdesk_kit.clock import to_utc
from helpdesk_kit.errors import AlreadyExists, ConcurrencyConflict, InvalidInput, NotFound
from helpdesk_kit.storage.sql import rows as R
from helpdesk_kit.storage.sql.tables_authority import authority_locks, authority_requests

if TYPE_CHECKING:
    from helpdesk_kit.storage.sql.storage import SqlUnitOfWork

__all__ = ["SqlAuthority", "request_from_row", "request_row"]

_COUNTED = [s.value for s in COUNTED]


def _amount(m: Money | None) -> str | None:
    return None if m is None else format(m.amount, "f")


def request_row(r: AuthorityRequest) -> dict[str, Any]:
    """The ``authority_requests`` row of a request."""
    R.check_length(r.requested_by, "actor", "requested_by")
    R.check_length(r.decided_by, "actor", "decided_by")
    R.check_length(r.action, "kind", "action")
    return {
        "id": r.id,
        "ticket_id": r.ticket_id,
        "customer_id": r.customer_id,
        "action": r.action,
        "amount": _amount(r.amount),
        "currency": r.amount.currency,
        "requested_by": r.requested_by,
        "requested_at": r.requested_at,
        "status": r.status.value,
        "decision": r.decision,
        "reason": r.reason,
        "params": r.params,
        "limit_amount": _amount(r.limit),
        "used_amount": _amount(r.used),
        "decided_by": r.decided_by,
        "decided_at": r.decided_at,
        "decision_note": r.decision_note,
        "executed_at": r.executed_at,
        "result": r.result,
        "error": r.error,
        "version": r.version,
    }


def request_from_row(row: Mapping[Any, Any]) -> AuthorityRequest:
    """The request of a row."""
    currency = row["currency"]

    def money(text: str | None) -> Money | None:
        return None if text is None else Money(text, currency)

    amount = money(row["amount"])
    assert amount is not None
    return AuthorityRequest(
        id=row["id"],
        ticket_id=row["ticket_id"],
        customer_id=row["customer_id"],
        action=row["action"],
        amount=amount,
        requested_by=row["requested_by"],
        requested_at=row["requested_at"],
        status=row["status"],
        decision=row["decision"],
        reason=row["reason"],
        params=row["params"],
        limit=money(row["limit_amount"]),
        used=money(row["used_amount"]),
        decided_by=row["decided_by"],
        decided_at=row["decided_at"],
        decision_note=row["decision_note"],
        executed_at=row["executed_at"],
        result=row["result"],
        error=row["error"],
        version=row["version"],
    )


class SqlAuthority:
    """Authority requests."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def _insert_ignore(self, table: Any, row: Mapping[Any, Any]) -> Any:
        make = postgresql.insert if self._uow.dialect == "postgresql" else sqlite.insert
        return make(table).values(dict(row)).on_conflict_do_nothing()

    def add(self, request: AuthorityRequest) -> AuthorityRequest:
        """Store a new request; ``AlreadyExists`` if its id is taken."""
        stmt = self._insert_ignore(authority_requests, request_row(request)).returning(
            authority_requests.c.id
        )
        if self._uow.execute(stmt, what="authority request").first() is None:
            raise AlreadyExists("authority request", request.id, request.id)
        return request

    def get(self, request_id: str) -> AuthorityRequest:
        """The request; ``NotFound`` if there is none."""
        row = (
            self._uow.execute(
                select(authority_requests).where(authority_requests.c.id == request_id)
            )
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound("authority request", request_id)
        return request_from_row(row)

    def update(self, request: AuthorityRequest, *, expected_version: int) -> AuthorityRequest:
        """Store ``request`` if the stored version is ``expected_version``."""
        if request.version != expected_version + 1:
            raise InvalidInput(
                f"authority request {request.id}: new version must be {expected_version + 1}, "
                f"got {request.version}"
            )
        c = authority_requests.c
        values = {k: v for k, v in request_row(request).items() if k != "id"}
        result = self._uow.execute(
            update(authority_requests)
            .where(c.id == request.id, c.version == expected_version)
            .values(values),
            what="authority request",
        )
        if result.rowcount == 0:
            found = self._uow.execute(
                select(c.version).where(c.id == request.id)
            ).scalar_one_or_none()
            if found is None:
                raise NotFound("authority request", request.id)
            raise ConcurrencyConflict("authority request", request.id, expected_version, found)
        return request

    def counted(
        self,
        requested_by: str,
        action: str,
        since: datetime,
        *,
        customer_id: str | None = None,
        ticket_id: str | None = None,
    ) -> list[AuthorityRequest]:
        """What counts against the actor's limit in the window."""
        c = authority_requests.c
        q = (
            select(authority_requests)
            .where(
                c.requested_by == requested_by,
                c.action == action,
                c.requested_at >= to_utc(since),
                c.status.in_(_COUNTED),
            )
            .order_by(c.id)
        )
        if customer_id is not None:
            q = q.where(c.customer_id == customer_id)
        if ticket_id is not None:
            q = q.where(c.ticket_id == ticket_id)
        return [request_from_row(r) for r in self._uow.execute(q).mappings()]

    def lock(self, requested_by: str, action: str) -> None:
        """Lock the (actor, action) row until the transaction ends (PostgreSQL).

        SQLite units of work already take turns (``BEGIN IMMEDIATE``).
        """
        if self._uow.dialect != "postgresql":
            return
        key = {"actor": requested_by, "action": action}
        self._uow.execute(self._insert_ignore(authority_locks, key), what="authority lock")
        c = authority_locks.c
        self._uow.execute(
            select(c.actor).where(c.actor == requested_by, c.action == action).with_for_update()
        ).all()

    def list(
        self,
        *,
        status: Sequence[str] | None = None,
        ticket_id: str | None = None,
        requested_by: str | None = None,
        limit: int = 100,
        after: str | None = None,
    ) -> list[AuthorityRequest]:
        """Matching requests by id."""
        if limit < 1:
            raise InvalidInput(f"limit must be at least 1, got {limit}")
        c = authority_requests.c
        q = select(authority_requests).order_by(c.id).limit(limit)
        if status is not None:
            q = q.where(c.status.in_([str(s) for s in status]))
        if ticket_id is not None:
            q = q.where(c.ticket_id == ticket_id)
        if requested_by is not None:
            q = q.where(c.requested_by == requested_by)
        if after is not None:
            q = q.where(c.id > after)
        return [request_from_row(r) for r in self._uow.execute(q).mappings()]
