"""The SQL schema: SQLAlchemy Core tables on one ``MetaData``.

Alembic owns the schema in databases (``storage/sql/migrations``); these tables are what the
repositories query and what the migrations must produce (a test compares them). A later
feature adds its tables in a section of its own at the end, with a migration of its own.

Conventions: ids are the 26-character ULIDs of :func:`helpdesk_kit.ids.new_id` (columns allow
64 for plugin ids); datetimes are stored in UTC (``timestamptz`` on PostgreSQL, fixed-width
ISO text on SQLite) and read back aware; collections are JSON (``jsonb`` on PostgreSQL).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Sequence,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

from helpdesk_kit.clock import ensure_aware

__all__ = [
    "LIMITS",
    "UTCDateTime",
    "agent_groups",
    "agents",
    "attachments",
    "counters",
    "customer_identities",
    "customers",
    "due_items",
    "events",
    "followups",
    "groups",
    "messages",
    "metadata",
    "ticket_number_seq",
    "tickets",
]

#: Naming convention so constraint names are the same in every database and migration.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

#: Documented column limits, in characters; longer values are rejected with ``InvalidInput``.
LIMITS = {
    "id": 64,
    "name": 200,
    "kind": 64,
    "channel": 64,
    "identity": 512,
    "external_id": 998,
    "thread_key": 512,
    "subject": 1000,
    "status": 64,
    "actor": 200,
    "due_key": 200,
}

ID = LIMITS["id"]


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored in UTC and read back aware (UTC) on every database."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        """Convert to UTC; SQLite gets a naive UTC value (its column has no zone)."""
        if value is None:
            return None
        utc = ensure_aware(value).astimezone(UTC)
        return utc if dialect.name == "postgresql" else utc.replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Return an aware UTC datetime."""
        if value is None:
            return None
        found: datetime = (
            value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        )
        if found.tzinfo is None:
            return found.replace(tzinfo=UTC)
        return found.astimezone(UTC)


def JSONType() -> Any:
    """JSON; ``jsonb`` on PostgreSQL."""
    return JSON().with_variant(JSONB(), "postgresql")


def _id(name: str, *args: Any, **kw: Any) -> Column[Any]:
    return Column(name, String(ID), *args, **kw)


# ------------------------------------------------------------------------ people

customers = Table(
    "customers",
    metadata,
    _id("id", primary_key=True),
    Column("name", Text, nullable=False),
    Column("tier", String(64), nullable=False),
    Column("locale", String(35)),
    Column("tags", JSONType(), nullable=False),
    Column("attributes", JSONType(), nullable=False),
    Column("created_at", UTCDateTime()),
    _id("merged_into"),
)

customer_identities = Table(
    "customer_identities",
    metadata,
    Column("kind", String(LIMITS["kind"]), nullable=False),
    Column("value", String(LIMITS["identity"]), nullable=False),
    _id("customer_id", ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    PrimaryKeyConstraint("kind", "value"),
    Index(None, "customer_id"),
)

groups = Table(
    "groups",
    metadata,
    _id("id", primary_key=True),
    Column("name", String(LIMITS["name"]), nullable=False),
    Column("routing", String(64), nullable=False),
    _id("supervisor_id"),
    Column("description", Text, nullable=False),
    UniqueConstraint("name"),
)

agents = Table(
    "agents",
    metadata,
    _id("id", primary_key=True),
    Column("name", Text, nullable=False),
    Column("email", String(320)),
    Column("role", String(32), nullable=False),
    Column("skills", JSONType(), nullable=False),
    Column("languages", JSONType(), nullable=False),
    Column("max_concurrent", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("shift", String(64)),
)

agent_groups = Table(
    "agent_groups",
    metadata,
    _id("agent_id", ForeignKey("agents.id", ondelete="CASCADE"), nullable=False),
    _id("group_id", nullable=False),
    PrimaryKeyConstraint("agent_id", "group_id"),
    Index(None, "group_id"),
)

# ------------------------------------------------------------------------ tickets

#: Ticket numbers on PostgreSQL: a sequence, so concurrent intakes never wait on one row
#: (a rolled-back transaction leaves a gap). SQLite uses the ``counters`` row.
ticket_number_seq = Sequence("ticket_number_seq", start=1001, metadata=metadata)

counters = Table(
    "counters",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Integer, nullable=False),
)

tickets = Table(
    "tickets",
    metadata,
    _id("id", primary_key=True),
    Column("number", Integer, nullable=False),
    Column("subject", String(LIMITS["subject"]), nullable=False),
    _id("customer_id", ForeignKey("customers.id"), nullable=False),
    Column("channel", String(LIMITS["channel"]), nullable=False),
    Column("status", String(LIMITS["status"]), nullable=False),
    Column("lifecycle", String(64), nullable=False),
    Column("priority", String(16), nullable=False),
    Column("category", String(LIMITS["name"])),
    Column("tags", JSONType(), nullable=False),
    _id("assignee_id"),
    _id("group_id"),
    Column("language", String(35)),
    Column("thread_key", String(LIMITS["thread_key"])),
    Column("participants", JSONType(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("first_response_at", UTCDateTime()),
    Column("solved_at", UTCDateTime()),
    Column("closed_at", UTCDateTime()),
    Column("confirmed_at", UTCDateTime()),
    Column("reopen_count", Integer, nullable=False),
    Column("custom_fields", JSONType(), nullable=False),
    _id("merged_into"),
    Column("version", Integer, nullable=False),
    UniqueConstraint("number"),
    CheckConstraint("version >= 1", name="version_positive"),
    # "my open tickets": assignee + status
    Index(None, "assignee_id", "status"),
    # "this customer's history", newest first
    Index(None, "customer_id", "created_at"),
    # list order and keyset pagination
    Index(None, "created_at", "id"),
    Index(None, "group_id", "status"),
    # inbox pages (mine, a group's, unassigned) in list order without sorting the whole view
    Index(None, "assignee_id", "created_at", "id"),
    Index(None, "group_id", "created_at", "id"),
    Index(None, "channel", "thread_key"),
    Index(None, "updated_at"),
    # the sweeper's auto-close: solved tickets whose window has passed
    Index(None, "solved_at"),
)

messages = Table(
    "messages",
    metadata,
    _id("id", primary_key=True),
    _id("ticket_id", ForeignKey("tickets.id"), nullable=False),
    Column("author_kind", String(16), nullable=False),
    _id("author_id"),
    Column("text", Text, nullable=False),
    Column("html", Text),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("public", Boolean, nullable=False),
    Column("channel", String(LIMITS["channel"])),
    Column("external_id", String(LIMITS["external_id"])),
    Column("subject", Text),
    Column("attachment_count", Integer, nullable=False),
    # idempotent intake: one message per (channel, external id); NULL ids never collide
    UniqueConstraint("channel", "external_id"),
    Index(None, "ticket_id", "created_at", "id"),
    Index(None, "external_id"),
)

attachments = Table(
    "attachments",
    metadata,
    _id("message_id", ForeignKey("messages.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("filename", Text, nullable=False),
    Column("content_type", String(255), nullable=False),
    Column("size", Integer, nullable=False),
    Column("url", Text),
    Column("content_id", String(LIMITS["external_id"])),
    Column("inline", Boolean, nullable=False),
    PrimaryKeyConstraint("message_id", "position"),
)

events = Table(
    "events",
    metadata,
    _id("id", primary_key=True),
    _id("ticket_id", ForeignKey("tickets.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("kind", String(LIMITS["kind"]), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor", String(LIMITS["actor"]), nullable=False),
    Column("data", JSONType(), nullable=False),
    UniqueConstraint("ticket_id", "seq"),
    Index(None, "at"),
)

followups = Table(
    "followups",
    metadata,
    _id("id", primary_key=True),
    _id("ticket_id", ForeignKey("tickets.id"), nullable=False),
    Column("title", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("reason", Text),
    _id("assignee_id"),
    Column("due_at", UTCDateTime()),
    Column("done_at", UTCDateTime()),
    Index(None, "ticket_id"),
)

# ------------------------------------------------------------------------ work queue

#: Time-based work (SLA warnings, escalations, time rules) claimed by sweeping workers.
due_items = Table(
    "due_items",
    metadata,
    Column("kind", String(LIMITS["kind"]), nullable=False),
    Column("key", String(LIMITS["due_key"]), nullable=False),
    Column("due_at", UTCDateTime(), nullable=False),
    Column("data", JSONType(), nullable=False),
    Column("claimed_by", String(LIMITS["actor"])),
    Column("claimed_until", UTCDateTime()),
    Column("attempts", Integer, nullable=False),
    Column("done_at", UTCDateTime()),
    PrimaryKeyConstraint("kind", "key"),
    Index(None, "kind", "due_at"),
)

# ------------------------------------------------------------------------ feature tables
# Features define their tables in modules of their own on ``metadata``; importing them here
# makes ``metadata`` complete wherever it is used (migrations, wiping test databases).

from helpdesk_kit.storage.sql import (  # noqa: E402, F401
    tables_analytics,
    tables_authority,
    tables_automation,
    tables_bot,
    tables_escalation,
    tables_feedback,
    tables_kb,
    tables_macros,
    tables_routing,
    tables_sla,
)
