"""Tickets: index on solved_at for the auto-close sweep.

Revision ID: 0005_ticket_solved_index
Revises: 0004_sla_timers
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0005_ticket_solved_index"
down_revision = "0004_sla_timers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_index("ix_tickets_solved_at", "tickets", ["solved_at"])


def downgrade() -> None:
    """Revert."""
    op.drop_index("ix_tickets_solved_at", table_name="tickets")
