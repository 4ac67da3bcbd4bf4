"""The routing tables, on the shared ``metadata`` of :mod:`helpdesk_kit.storage.sql.tables`.

* ``routing_queue``: one row per waiting ticket; ``group_key`` is the group id (``""`` for
  tickets without a group) and ``due_at`` the SLA due time (9999-12-31 when none), so the
  index ``(group_key, rank, due_at, created_at, ticket_id)`` serves a queue's head.
* ``routing_holds``: the agent each open assigned ticket counts against (index on agent).
* ``routing_last_agents``: each customer's latest agent (sticky routing).
* ``routing_pointers``: each group's round-robin pointer.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table

from helpdesk_kit.storage.sql.tables import ID, UTCDateTime, metadata

__all__ = ["routing_holds", "routing_last_agents", "routing_pointers", "routing_queue"]

routing_queue = Table(
    "routing_queue",
    metadata,
    Column("ticket_id", String(ID), ForeignKey("tickets.id"), primary_key=True),
    Column("group_key", String(ID), nullable=False),
    Column("rank", Integer, nullable=False),
    Column("due_at", UTCDateTime(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("queued_at", UTCDateTime(), nullable=False),
    Index(None, "group_key", "rank", "due_at", "created_at", "ticket_id"),
)

routing_holds = Table(
    "routing_holds",
    metadata,
    Column("ticket_id", String(ID), ForeignKey("tickets.id"), primary_key=True),
    Column("agent_id", String(ID), nullable=False),
    Index(None, "agent_id"),
)

routing_last_agents = Table(
    "routing_last_agents",
    metadata,
    Column("customer_id", String(ID), primary_key=True),
    Column("agent_id", String(ID), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
)

routing_pointers = Table(
    "routing_pointers",
    metadata,
    Column("group_key", String(ID), primary_key=True),
    Column("agent_id", String(ID), nullable=False),
)
