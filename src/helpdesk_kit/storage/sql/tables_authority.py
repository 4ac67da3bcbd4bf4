"""Tables of authority requests and the (actor, action) rows limit checks lock."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from helpdesk_kit.storage.sql.tables import LIMITS, JSONType, UTCDateTime, metadata

__all__ = ["authority_locks", "authority_requests"]

ID = LIMITS["id"]
#: Amounts are exact decimal text ("150.00"): the same on SQLite and PostgreSQL, no floats.
AMOUNT = 64

authority_requests = Table(
    "authority_requests",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("ticket_id", String(ID), ForeignKey("tickets.id"), nullable=False),
    Column("customer_id", String(ID), nullable=False),
    Column("action", String(LIMITS["kind"]), nullable=False),
    Column("amount", String(AMOUNT), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("requested_by", String(LIMITS["actor"]), nullable=False),
    Column("requested_at", UTCDateTime(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("decision", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Column("params", JSONType(), nullable=False),
    Column("limit_amount", String(AMOUNT)),
    Column("used_amount", String(AMOUNT)),
    Column("decided_by", String(LIMITS["actor"])),
    Column("decided_at", UTCDateTime()),
    Column("decision_note", Text),
    Column("executed_at", UTCDateTime()),
    Column("result", JSONType(), nullable=False),
    Column("error", Text),
    Column("version", Integer, nullable=False),
    # the window sum: one actor's requests for one action, by time
    Index(None, "requested_by", "action", "requested_at"),
    # the approval queue
    Index(None, "status", "id"),
    Index(None, "ticket_id"),
)

#: One row per (actor, action), locked ``FOR UPDATE`` while a limit is checked (PostgreSQL).
authority_locks = Table(
    "authority_locks",
    metadata,
    Column("actor", String(LIMITS["actor"]), nullable=False),
    Column("action", String(LIMITS["kind"]), nullable=False),
    PrimaryKeyConstraint("actor", "action"),
)
