"""Satisfaction surveys and KPI facts: surveys, kpi_tickets, kpi_replies, kpi_ratings, kpi_dirty.

Every ticket already stored is listed in ``kpi_dirty``, so the first KPI query derives its
facts from the event log.

Revision ID: 0007_surveys_and_kpis
Revises: 0006_bot
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_surveys_and_kpis"
down_revision = "0006_bot"
branch_labels = None
depends_on = None

# Frozen copy of the column type as it was at this revision.
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "surveys",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("sent_at", UTC_DATETIME, nullable=False),
        sa.Column("expires_at", UTC_DATETIME, nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=True),
        sa.Column("message_id", sa.String(length=64), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("nps", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("rated_at", UTC_DATETIME, nullable=True),
        sa.Column("updated_at", UTC_DATETIME, nullable=True),
        sa.Column("changes", sa.Integer(), nullable=False),
        sa.Column("followup_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_surveys_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys")),
    )
    op.create_index(op.f("ix_surveys_ticket_id_sent_at"), "surveys", ["ticket_id", "sent_at"])
    op.create_index(op.f("ix_surveys_rated_at"), "surveys", ["rated_at"])

    op.create_table(
        "kpi_tickets",
        sa.Column("ticket_id", sa.String(length=64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("group_id", sa.String(length=64), nullable=True),
        sa.Column("assignee_id", sa.String(length=64), nullable=True),
        sa.Column("category", sa.String(length=200), nullable=True),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=64), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("first_response_ms", sa.BigInteger(), nullable=True),
        sa.Column("first_responder", sa.String(length=64), nullable=True),
        sa.Column("solved_ms", sa.BigInteger(), nullable=True),
        sa.Column("closed_ms", sa.BigInteger(), nullable=True),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("agent_replies", sa.Integer(), nullable=False),
        sa.Column("bot_replies", sa.Integer(), nullable=False),
        sa.Column("customer_messages", sa.Integer(), nullable=False),
        sa.Column("handoff", sa.Integer(), nullable=False),
        sa.Column("spam", sa.Integer(), nullable=False),
        sa.Column("merged", sa.Integer(), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_kpi_tickets")),
    )
    op.create_index(op.f("ix_kpi_tickets_created_ms"), "kpi_tickets", ["created_ms"])
    op.create_index(op.f("ix_kpi_tickets_solved_ms"), "kpi_tickets", ["solved_ms"])
    op.create_index(
        op.f("ix_kpi_tickets_customer_id_created_ms"), "kpi_tickets", ["customer_id", "created_ms"]
    )
    op.create_index(op.f("ix_kpi_tickets_status"), "kpi_tickets", ["status"])
    op.create_index(op.f("ix_kpi_tickets_number"), "kpi_tickets", ["number"])

    op.create_table(
        "kpi_replies",
        sa.Column("ticket_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=True),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.Column("wait_start_ms", sa.BigInteger(), nullable=False),
        sa.Column("first", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("group_id", sa.String(length=64), nullable=True),
        sa.Column("category", sa.String(length=200), nullable=True),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("counted", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id", "seq", name=op.f("pk_kpi_replies")),
    )
    op.create_index(op.f("ix_kpi_replies_at_ms"), "kpi_replies", ["at_ms"])

    op.create_table(
        "kpi_ratings",
        sa.Column("survey_id", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", sa.String(length=64), nullable=False),
        sa.Column("rated_ms", sa.BigInteger(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("nps", sa.Integer(), nullable=True),
        sa.Column("agent_id", sa.String(length=64), nullable=True),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("group_id", sa.String(length=64), nullable=True),
        sa.Column("category", sa.String(length=200), nullable=True),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("survey_id", name=op.f("pk_kpi_ratings")),
    )
    op.create_index(op.f("ix_kpi_ratings_rated_ms"), "kpi_ratings", ["rated_ms"])
    op.create_index(op.f("ix_kpi_ratings_ticket_id"), "kpi_ratings", ["ticket_id"])

    op.create_table(
        "kpi_dirty",
        sa.Column("ticket_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_kpi_dirty")),
    )
    op.execute("INSERT INTO kpi_dirty (ticket_id) SELECT id FROM tickets")


def downgrade() -> None:
    """Revert."""
    op.drop_table("kpi_dirty")
    op.drop_index(op.f("ix_kpi_ratings_ticket_id"), table_name="kpi_ratings")
    op.drop_index(op.f("ix_kpi_ratings_rated_ms"), table_name="kpi_ratings")
    op.drop_table("kpi_ratings")
    op.drop_index(op.f("ix_kpi_replies_at_ms"), table_name="kpi_replies")
    op.drop_table("kpi_replies")
    for name in ("number", "status", "customer_id_created_ms", "solved_ms", "created_ms"):
        op.drop_index(op.f(f"ix_kpi_tickets_{name}"), table_name="kpi_tickets")
    op.drop_table("kpi_tickets")
    op.drop_index(op.f("ix_surveys_rated_at"), table_name="surveys")
    op.drop_index(op.f("ix_surveys_ticket_id_sent_at"), table_name="surveys")
    op.drop_table("surveys")
