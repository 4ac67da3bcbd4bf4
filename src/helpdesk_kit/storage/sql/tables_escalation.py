"""The fired-escalations table, on the shared ``metadata`` of :mod:`.tables`.

The primary key ``(ticket_id, policy, level)`` is what makes each level fire once per ticket.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, PrimaryKeyConstraint, String, Table

from helpdesk_kit.storage.sql.tables import ID, LIMITS, JSONType, UTCDateTime, metadata

__all__ = ["escalations"]

escalations = Table(
    "escalations",
    metadata,
    Column("ticket_id", String(ID), ForeignKey("tickets.id"), nullable=False),
    Column("policy", String(LIMITS["name"]), nullable=False),
    Column("level", String(LIMITS["name"]), nullable=False),
    Column("fired_at", UTCDateTime(), nullable=False),
    Column("event_id", String(ID)),
    Column("data", JSONType(), nullable=False),
    PrimaryKeyConstraint("ticket_id", "policy", "level"),
    # reports: escalations by period, by policy and level
    Index(None, "fired_at"),
    Index(None, "policy", "level"),
)
