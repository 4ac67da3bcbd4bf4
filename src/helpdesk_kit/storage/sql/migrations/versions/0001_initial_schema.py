"""Initial schema: customers, agents, groups, tickets, messages, attachments, events,
follow-ups, due items; the ticket-number sequence on PostgreSQL.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Frozen copies of the column types as they were at this revision (not imported from
# tables.py, which moves on): UTC datetimes with a zone, JSON (jsonb on PostgreSQL).
UTC_DATETIME = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Apply."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.schema.CreateSequence(sa.Sequence("ticket_number_seq", start=1001)))
    op.create_table(
        "agents",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("skills", JSON, nullable=False),
        sa.Column("languages", JSON, nullable=False),
        sa.Column("max_concurrent", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("shift", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agents")),
    )
    op.create_table(
        "counters",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_counters")),
    )
    op.create_table(
        "customers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("tier", sa.String(length=64), nullable=False),
        sa.Column("locale", sa.String(length=35), nullable=True),
        sa.Column("tags", JSON, nullable=False),
        sa.Column("attributes", JSON, nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=True),
        sa.Column("merged_into", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
    )
    op.create_table(
        "due_items",
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("due_at", UTC_DATETIME, nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.Column("claimed_until", UTC_DATETIME, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("done_at", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("kind", "key", name=op.f("pk_due_items")),
    )
    op.create_index(op.f("ix_due_items_kind_due_at"), "due_items", ["kind", "due_at"], unique=False)

    op.create_table(
        "groups",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("routing", sa.String(length=64), nullable=False),
        sa.Column("supervisor_id", sa.String(length=64), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_groups")),
        sa.UniqueConstraint("name", name=op.f("uq_groups_name")),
    )
    op.create_table(
        "agent_groups",
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.Column("group_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_agent_groups_agent_id_agents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("agent_id", "group_id", name=op.f("pk_agent_groups")),
    )
    op.create_index(op.f("ix_agent_groups_group_id"), "agent_groups", ["group_id"], unique=False)

    op.create_table(
        "customer_identities",
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=512), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_identities_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("kind", "value", name=op.f("pk_customer_identities")),
    )
    op.create_index(
        op.f("ix_customer_identities_customer_id"),
        "customer_identities",
        ["customer_id"],
        unique=False,
    )

    op.create_table(
        "tickets",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=1000), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=64), nullable=False),
        sa.Column("lifecycle", sa.String(length=64), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=200), nullable=True),
        sa.Column("tags", JSON, nullable=False),
        sa.Column("assignee_id", sa.String(length=64), nullable=True),
        sa.Column("group_id", sa.String(length=64), nullable=True),
        sa.Column("language", sa.String(length=35), nullable=True),
        sa.Column("thread_key", sa.String(length=512), nullable=True),
        sa.Column("participants", JSON, nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("first_response_at", UTC_DATETIME, nullable=True),
        sa.Column("solved_at", UTC_DATETIME, nullable=True),
        sa.Column("closed_at", UTC_DATETIME, nullable=True),
        sa.Column("confirmed_at", UTC_DATETIME, nullable=True),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("custom_fields", JSON, nullable=False),
        sa.Column("merged_into", sa.String(length=64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("version >= 1", name=op.f("ck_tickets_version_positive")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_tickets_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("number", name=op.f("uq_tickets_number")),
    )
    op.create_index(
        op.f("ix_tickets_assignee_id_status"), "tickets", ["assignee_id", "status"], unique=False
    )
    op.create_index(
        op.f("ix_tickets_channel_thread_key"), "tickets", ["channel", "thread_key"], unique=False
    )
    op.create_index(op.f("ix_tickets_created_at_id"), "tickets", ["created_at", "id"], unique=False)
    op.create_index(
        op.f("ix_tickets_customer_id_created_at"),
        "tickets",
        ["customer_id", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_tickets_group_id_status"), "tickets", ["group_id", "status"], unique=False
    )
    op.create_index(op.f("ix_tickets_updated_at"), "tickets", ["updated_at"], unique=False)

    op.create_table(
        "events",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_events_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("ticket_id", "seq", name=op.f("uq_events_ticket_id_seq")),
    )
    op.create_index(op.f("ix_events_at"), "events", ["at"], unique=False)

    op.create_table(
        "followups",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("assignee_id", sa.String(length=64), nullable=True),
        sa.Column("due_at", UTC_DATETIME, nullable=True),
        sa.Column("done_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_followups_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followups")),
    )
    op.create_index(op.f("ix_followups_ticket_id"), "followups", ["ticket_id"], unique=False)

    op.create_table(
        "messages",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", sa.String(length=64), nullable=False),
        sa.Column("author_kind", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.String(length=64), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=True),
        sa.Column("external_id", sa.String(length=998), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("attachment_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_messages_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.UniqueConstraint("channel", "external_id", name=op.f("uq_messages_channel_external_id")),
    )
    op.create_index(op.f("ix_messages_external_id"), "messages", ["external_id"], unique=False)
    op.create_index(
        op.f("ix_messages_ticket_id_created_at_id"),
        "messages",
        ["ticket_id", "created_at", "id"],
        unique=False,
    )

    op.create_table(
        "attachments",
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("content_id", sa.String(length=998), nullable=True),
        sa.Column("inline", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_attachments_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("message_id", "position", name=op.f("pk_attachments")),
    )


def downgrade() -> None:
    """Revert."""
    op.drop_table("attachments")
    op.drop_index(op.f("ix_messages_ticket_id_created_at_id"), table_name="messages")
    op.drop_index(op.f("ix_messages_external_id"), table_name="messages")

    op.drop_table("messages")
    op.drop_index(op.f("ix_followups_ticket_id"), table_name="followups")

    op.drop_table("followups")
    op.drop_index(op.f("ix_events_at"), table_name="events")

    op.drop_table("events")
    op.drop_index(op.f("ix_tickets_updated_at"), table_name="tickets")
    op.drop_index(op.f("ix_tickets_group_id_status"), table_name="tickets")
    op.drop_index(op.f("ix_tickets_customer_id_created_at"), table_name="tickets")
    op.drop_index(op.f("ix_tickets_created_at_id"), table_name="tickets")
    op.drop_index(op.f("ix_tickets_channel_thread_key"), table_name="tickets")
    op.drop_index(op.f("ix_tickets_assignee_id_status"), table_name="tickets")

    op.drop_table("tickets")
    op.drop_index(op.f("ix_customer_identities_customer_id"), table_name="customer_identities")

    op.drop_table("customer_identities")
    op.drop_index(op.f("ix_agent_groups_group_id"), table_name="agent_groups")

    op.drop_table("agent_groups")
    op.drop_table("groups")
    op.drop_index(op.f("ix_due_items_kind_due_at"), table_name="due_items")

    op.drop_table("due_items")
    op.drop_table("customers")
    op.drop_table("counters")
    op.drop_table("agents")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.schema.DropSequence(sa.Sequence("ticket_number_seq")))
