"""The SLA timers table, on the shared ``metadata`` of :mod:`helpdesk_kit.storage.sql.tables`.

One row per ticket and metric (the metric's current cycle). The thresholds and outcomes
are indexed: ``(status, due_at)`` and ``(status, warn_at)`` for "what is due soon",
``breached_at`` and ``met_at`` for reports. Durations are whole microseconds.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
)

from helpdesk_kit.storage.sql.tables import ID, LIMITS, JSONType, UTCDateTime, metadata

__all__ = ["sla_timers"]

sla_timers = Table(
    "sla_timers",
    metadata,
    Column("ticket_id", String(ID), ForeignKey("tickets.id"), nullable=False),
    Column("metric", String(32), nullable=False),
    Column("cycle", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("policy", String(LIMITS["name"])),
    Column("calendar", String(LIMITS["name"]), nullable=False),
    Column("target_us", BigInteger),
    Column("warn_fraction", Float),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("resumed_at", UTCDateTime()),
    Column("segments", JSONType(), nullable=False),
    Column("used_us", BigInteger, nullable=False),
    Column("warn_at", UTCDateTime()),
    Column("due_at", UTCDateTime()),
    Column("warned_at", UTCDateTime()),
    Column("breached_at", UTCDateTime()),
    Column("met_at", UTCDateTime()),
    Column("stopped_at", UTCDateTime()),
    Column("handoff_at", UTCDateTime()),
    PrimaryKeyConstraint("ticket_id", "metric"),
    Index(None, "status", "due_at"),
    Index(None, "status", "warn_at"),
    Index(None, "breached_at"),
    Index(None, "met_at"),
)
