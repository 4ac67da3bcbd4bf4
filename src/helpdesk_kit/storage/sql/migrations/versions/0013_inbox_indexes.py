"""Tickets: indexes for inbox pages (an assignee's, a group's, unassigned) in list order.

Revision ID: 0013_inbox_indexes
Revises: 0012_analytics_speed
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0013_inbox_indexes"
down_revision = "0012_analytics_speed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_index(
        "ix_tickets_assignee_id_created_at_id", "tickets", ["assignee_id", "created_at", "id"]
    )
    op.create_index(
        "ix_tickets_group_id_created_at_id", "tickets", ["group_id", "created_at", "id"]
    )


def downgrade() -> None:
    """Revert."""
    op.drop_index("ix_tickets_group_id_created_at_id", table_name="tickets")
    op.drop_index("ix_tickets_assignee_id_created_at_id", table_name="tickets")
