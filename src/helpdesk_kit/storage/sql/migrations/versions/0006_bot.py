"""The bot: conversation state per ticket and agents' intent relabels.

Revision ID: 0006_bot
Revises: 0005_ticket_solved_index
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006_bot"
down_revision = "0005_ticket_solved_index"
branch_labels = None
depends_on = None

# Frozen copies of the column types as they were at this revision.
UTC_DATETIME = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "bot_conversations",
        sa.Column("ticket_id", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("state", JSON, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint("version >= 1", name=op.f("ck_bot_conversations_version_positive")),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_bot_conversations_ticket_id_tickets"),
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_bot_conversations")),
    )
    op.create_index(
        op.f("ix_bot_conversations_stage_updated_at"),
        "bot_conversations",
        ["stage", "updated_at"],
        unique=False,
    )
    op.create_table(
        "bot_relabels",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("intent", sa.String(length=200), nullable=False),
        sa.Column("previous", sa.String(length=200), nullable=True),
        sa.Column("agent_id", sa.String(length=64), nullable=True),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_bot_relabels_ticket_id_tickets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bot_relabels")),
    )
    op.create_index(op.f("ix_bot_relabels_at_id"), "bot_relabels", ["at", "id"], unique=False)
    op.create_index(op.f("ix_bot_relabels_ticket_id"), "bot_relabels", ["ticket_id"], unique=False)


def downgrade() -> None:
    """Revert."""
    op.drop_index(op.f("ix_bot_relabels_ticket_id"), table_name="bot_relabels")
    op.drop_index(op.f("ix_bot_relabels_at_id"), table_name="bot_relabels")
    op.drop_table("bot_relabels")
    op.drop_index(op.f("ix_bot_conversations_stage_updated_at"), table_name="bot_conversations")
    op.drop_table("bot_conversations")
