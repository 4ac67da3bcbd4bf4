"""The automation table, on the shared ``metadata`` of :mod:`helpdesk_kit.storage.sql.tables`.

``automation_rule_states``: one row per (ticket, time rule) while the rule's condition
holds; ``fired_at`` is the exactly-once mark of the rule's firing for that entry.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, PrimaryKeyConstraint, String, Table

from helpdesk_kit.storage.sql.tables import ID, LIMITS, UTCDateTime, metadata

__all__ = ["automation_rule_states"]

automation_rule_states = Table(
    "automation_rule_states",
    metadata,
    Column("ticket_id", String(ID), ForeignKey("tickets.id"), nullable=False),
    Column("rule", String(LIMITS["name"]), nullable=False),
    Column("entered_at", UTCDateTime(), nullable=False),
    Column("fired_at", UTCDateTime()),
    PrimaryKeyConstraint("ticket_id", "rule"),
)
