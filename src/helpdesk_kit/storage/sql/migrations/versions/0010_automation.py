"""Automation rules: automation_rule_states (time-rule entries and their fired marks).

Revision ID: 0010_automation
Revises: 0009_escalation
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_automation"
down_revision = "0009_escalation"
branch_labels = None
depends_on = None

# Frozen copy of the column type as it was at this revision.
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "automation_rule_states",
        sa.Column("ticket_id", sa.String(length=64), nullable=False),
        sa.Column("rule", sa.String(length=200), nullable=False),
        sa.Column("entered_at", UTC_DATETIME, nullable=False),
        sa.Column("fired_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_automation_rule_states_ticket_id_tickets"),
        ),
        sa.PrimaryKeyConstraint("ticket_id", "rule", name=op.f("pk_automation_rule_states")),
    )


def downgrade() -> None:
    """Revert."""
    op.drop_table("automation_rule_states")
