"""Escalations: one row per ticket, policy and level that fired.

Revision ID: 0009_escalation
Revises: 0008_routing
Create Date: 2026-12-14
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009_escalation"
down_revision = "0008_routing"
branch_labels = None
depends_on = None

# Frozen copies of the column types as they were at this revision.
UTC_DATETIME = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "escalations",
        sa.Column("ticket_id", sa.String(length=64), nullable=False),
        sa.Column("policy", sa.String(length=200), nullable=False),
        sa.Column("level", sa.String(length=200), nullable=False),
        sa.Column("fired_at", UTC_DATETIME, nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=True),
        sa.Column("data", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_escalations_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("ticket_id", "policy", "level", name=op.f("pk_escalations")),
    )
    op.create_index(op.f("ix_escalations_fired_at"), "escalations", ["fired_at"], unique=False)
    op.create_index(
        op.f("ix_escalations_policy_level"), "escalations", ["policy", "level"], unique=False
    )


def downgrade() -> None:
    """Revert."""
    op.drop_index(op.f("ix_escalations_policy_level"), table_name="escalations")
    op.drop_index(op.f("ix_escalations_fired_at"), table_name="escalations")
    op.drop_table("escalations")
