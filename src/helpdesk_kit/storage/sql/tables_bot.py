"""Tables of the bot: conversation state per ticket and agents' intent relabels."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from helpdesk_kit.storage.sql.tables import LIMITS, JSONType, UTCDateTime, metadata

__all__ = ["bot_conversations", "bot_relabels"]

ID = LIMITS["id"]

#: One row per ticket the bot has talked in; ``state`` is the dialogue state as JSON.
bot_conversations = Table(
    "bot_conversations",
    metadata,
    Column("ticket_id", String(ID), ForeignKey("tickets.id"), primary_key=True),
    Column("stage", String(16), nullable=False),
    Column("state", JSONType(), nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    CheckConstraint("version >= 1", name="version_positive"),
    # the sweep that solves resolved conversations once they are quiet
    Index(None, "stage", "updated_at"),
)

#: Agents' verdicts on a conversation's intent: training examples for the classifier.
bot_relabels = Table(
    "bot_relabels",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("ticket_id", String(ID), ForeignKey("tickets.id"), nullable=False),
    Column("message_id", String(ID)),
    Column("text", Text, nullable=False),
    Column("intent", String(LIMITS["name"]), nullable=False),
    Column("previous", String(LIMITS["name"])),
    Column("agent_id", String(ID)),
    Column("at", UTCDateTime(), nullable=False),
    # the export order and its keyset pagination
    Index(None, "at", "id"),
    Index(None, "ticket_id"),
)
