"""KPI facts for the one bot-containment definition: kpi_tickets.bot and bot_resolved.

Every ticket already stored is listed in ``kpi_dirty``, so the first KPI query derives the
new facts from the event log.

Revision ID: 0011_metrics
Revises: 0010_automation
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_metrics"
down_revision = "0010_automation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("kpi_tickets") as batch:
        batch.add_column(sa.Column("bot", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(
            sa.Column("bot_resolved", sa.Integer(), server_default="0", nullable=False)
        )
    op.execute(
        "INSERT INTO kpi_dirty (ticket_id) SELECT id FROM tickets "
        "WHERE id NOT IN (SELECT ticket_id FROM kpi_dirty)"
    )


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("kpi_tickets") as batch:
        batch.drop_column("bot_resolved")
        batch.drop_column("bot")
