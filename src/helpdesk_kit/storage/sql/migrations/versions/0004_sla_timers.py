"""SLA timers: one row per ticket and metric, thresholds and outcomes indexed.

Revision ID: 0004_sla_timers
Revises: 0003_knowledge_base
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004_sla_timers"
down_revision = "0003_knowledge_base"
branch_labels = None
depends_on = None

# Frozen copies of the column types as they were at this revision.
UTC_DATETIME = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "sla_timers",
        sa.Column("ticket_id", sa.String(length=64), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("policy", sa.String(length=200), nullable=True),
        sa.Column("calendar", sa.String(length=200), nullable=False),
        sa.Column("target_us", sa.BigInteger(), nullable=True),
        sa.Column("warn_fraction", sa.Float(), nullable=True),
        sa.Column("started_at", UTC_DATETIME, nullable=False),
        sa.Column("resumed_at", UTC_DATETIME, nullable=True),
        sa.Column("segments", JSON, nullable=False),
        sa.Column("used_us", sa.BigInteger(), nullable=False),
        sa.Column("warn_at", UTC_DATETIME, nullable=True),
        sa.Column("due_at", UTC_DATETIME, nullable=True),
        sa.Column("warned_at", UTC_DATETIME, nullable=True),
        sa.Column("breached_at", UTC_DATETIME, nullable=True),
        sa.Column("met_at", UTC_DATETIME, nullable=True),
        sa.Column("stopped_at", UTC_DATETIME, nullable=True),
        sa.Column("handoff_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_sla_timers_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("ticket_id", "metric", name=op.f("pk_sla_timers")),
    )
    op.create_index(
        op.f("ix_sla_timers_status_due_at"), "sla_timers", ["status", "due_at"], unique=False
    )
    op.create_index(
        op.f("ix_sla_timers_status_warn_at"), "sla_timers", ["status", "warn_at"], unique=False
    )
    op.create_index(op.f("ix_sla_timers_breached_at"), "sla_timers", ["breached_at"], unique=False)
    op.create_index(op.f("ix_sla_timers_met_at"), "sla_timers", ["met_at"], unique=False)


def downgrade() -> None:
    """Revert."""
    op.drop_index(op.f("ix_sla_timers_met_at"), table_name="sla_timers")
    op.drop_index(op.f("ix_sla_timers_breached_at"), table_name="sla_timers")
    op.drop_index(op.f("ix_sla_timers_status_warn_at"), table_name="sla_timers")
    op.drop_index(op.f("ix_sla_timers_status_due_at"), table_name="sla_timers")
    op.drop_table("sla_timers")
