"""SQL tables of KPI analytics: per-ticket and per-response facts derived from the event log.

``kpi_tickets`` holds one row per ticket and ``kpi_replies`` one row per agent response
(first or next); both are derived by set-based SQL from ``tickets`` and ``events`` (see
:mod:`helpdesk_kit.storage.sql.analytics`) and refreshed for the tickets listed in
``kpi_dirty``, which the desk fills in the same transaction as every change. Instants are
Unix epoch milliseconds (``BIGINT``), so bucketing by local day, week or month is integer
arithmetic on every database.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from helpdesk_kit.storage.sql.tables import LIMITS, metadata

__all__ = [
    "TAG_SEPARATOR",
    "kpi_bot_topics",
    "kpi_dirty",
    "kpi_ratings",
    "kpi_replies",
    "kpi_tickets",
]

#: Separates the tags in ``kpi_tickets.tags`` (ASCII unit separator, never in a tag).
TAG_SEPARATOR = "\x1f"

_ID = LIMITS["id"]

kpi_tickets = Table(
    "kpi_tickets",
    metadata,
    Column("ticket_id", String(_ID), primary_key=True),
    Column("number", Integer, nullable=False),
    Column("customer_id", String(_ID), nullable=False),
    Column("channel", String(LIMITS["channel"]), nullable=False),
    Column("group_id", String(_ID)),
    Column("assignee_id", String(_ID)),
    Column("category", String(LIMITS["name"])),
    Column("priority", String(16), nullable=False),
    Column("status", String(LIMITS["status"]), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("first_response_ms", BigInteger),
    Column("first_responder", String(_ID)),
    Column("solved_ms", BigInteger),
    Column("closed_ms", BigInteger),
    Column("reopen_count", Integer, nullable=False),
    Column("agent_replies", Integer, nullable=False),
    Column("bot_replies", Integer, nullable=False),
    Column("customer_messages", Integer, nullable=False),
    Column("handoff", Integer, nullable=False),
    Column("spam", Integer, nullable=False),
    Column("merged", Integer, nullable=False),
    # the ticket's tags as one text: US + tag + US + tag + US (US = the unit separator)
    Column("tags", Text, nullable=False),
    Column("version", Integer, nullable=False),
    # a bot conversation, and whether the bot resolved it after the customer's last message
    # (helpdesk_kit.tickets.containment; migration 0011_metrics)
    Column("bot", Integer, nullable=False, server_default="0"),
    Column("bot_resolved", Integer, nullable=False, server_default="0"),
    Index(None, "created_ms"),
    Index(None, "solved_ms"),
    Index(None, "customer_id", "created_ms"),
    Index(None, "status"),
    Index(None, "number"),
)

#: the ticket's dimensions are copied in (they are re-derived with the ticket), so a
#: period's responses are one range scan
kpi_replies = Table(
    "kpi_replies",
    metadata,
    Column("ticket_id", String(_ID), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("agent_id", String(_ID)),
    Column("at_ms", BigInteger, nullable=False),
    Column("wait_start_ms", BigInteger, nullable=False),
    Column("first", Integer, nullable=False),
    Column("customer_id", String(_ID), nullable=False),
    Column("channel", String(LIMITS["channel"]), nullable=False),
    Column("group_id", String(_ID)),
    Column("category", String(LIMITS["name"])),
    Column("priority", String(16), nullable=False),
    Column("counted", Integer, nullable=False),
    PrimaryKeyConstraint("ticket_id", "seq"),
    Index(None, "at_ms"),
)

#: one row per answered survey, with its ticket's dimensions (re-derived with the ticket)
kpi_ratings = Table(
    "kpi_ratings",
    metadata,
    Column("survey_id", String(_ID), primary_key=True),
    Column("ticket_id", String(_ID), nullable=False),
    Column("rated_ms", BigInteger, nullable=False),
    Column("score", Integer),
    Column("nps", Integer),
    Column("agent_id", String(_ID)),
    Column("customer_id", String(_ID), nullable=False),
    Column("channel", String(LIMITS["channel"]), nullable=False),
    Column("group_id", String(_ID)),
    Column("category", String(LIMITS["name"])),
    Column("priority", String(16), nullable=False),
    Index(None, "rated_ms"),
    Index(None, "ticket_id"),
)

#: The topic events of bot containment (:mod:`helpdesk_kit.tickets.containment`), one row
#: per event: ``contact = 0`` a resolution (``bot.ended``, or a transition the bot made)
#: with its topic (the event's intent, else the ticket's category; none: no row);
#: ``contact = 1`` a ``bot.intent`` event with its intent on a non-spam ticket (a contact on
#: that topic). ``customer_id`` is the ticket's. Derived with the ticket, so "came back"
#: reads these few rows instead of the event log. Migration 0014_bot_topics.
kpi_bot_topics = Table(
    "kpi_bot_topics",
    metadata,
    Column("ticket_id", String(_ID), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("customer_id", String(_ID), nullable=False),
    Column("contact", Integer, nullable=False),
    Column("topic", Text, nullable=False),
    Column("at_ms", BigInteger, nullable=False),
    PrimaryKeyConstraint("ticket_id", "seq"),
    Index(None, "customer_id", "topic", "at_ms"),
)

kpi_dirty = Table(
    "kpi_dirty",
    metadata,
    Column("ticket_id", String(_ID), primary_key=True),
)
