"""SQL tables of satisfaction surveys, on the shared ``metadata`` of :mod:`.tables`."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text

from helpdesk_kit.storage.sql.tables import LIMITS, UTCDateTime, metadata

__all__ = ["surveys"]

_ID = LIMITS["id"]

surveys = Table(
    "surveys",
    metadata,
    Column("id", String(_ID), primary_key=True),
    Column("ticket_id", String(_ID), ForeignKey("tickets.id"), nullable=False),
    Column("customer_id", String(_ID), nullable=False),
    Column("channel", String(LIMITS["channel"]), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("round", Integer, nullable=False),
    Column("sent_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("agent_id", String(_ID)),
    Column("message_id", String(_ID)),
    Column("score", Integer),
    Column("nps", Integer),
    Column("comment", Text),
    Column("reason", String(32)),
    Column("rated_at", UTCDateTime()),
    Column("updated_at", UTCDateTime()),
    Column("changes", Integer, nullable=False),
    Column("followup_id", String(_ID)),
    Index(None, "ticket_id", "sent_at"),
    # CSAT and NPS by the period of the answer
    Index(None, "rated_at"),
)
