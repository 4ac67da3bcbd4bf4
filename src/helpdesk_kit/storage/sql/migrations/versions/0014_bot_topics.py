"""KPI facts for bot containment's "came back": kpi_bot_topics.

One row per resolution and per ``bot.intent`` contact, derived with its ticket, so bot
containment no longer looks each conversation up in the event log, and the partial index of
``bot.intent`` events it used (0012_analytics_speed) goes. The tickets that have
such events are listed in ``kpi_dirty``, so the first KPI query derives their rows; no
other ticket has any.

Revision ID: 0014_bot_topics
Revises: 0013_inbox_indexes
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_bot_topics"
down_revision = "0013_inbox_indexes"
branch_labels = None
depends_on = None

_BOT_INTENT = sa.text("kind = 'bot.intent'")


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "kpi_bot_topics",
        sa.Column("ticket_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("contact", sa.Integer(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id", "seq", name=op.f("pk_kpi_bot_topics")),
    )
    op.create_index(
        op.f("ix_kpi_bot_topics_customer_id_topic_at_ms"),
        "kpi_bot_topics",
        ["customer_id", "topic", "at_ms"],
    )
    op.drop_index("ix_events_bot_intent", table_name="events")
    op.execute(
        "INSERT INTO kpi_dirty (ticket_id) SELECT DISTINCT ticket_id FROM events "
        "WHERE (kind IN ('bot.ended', 'bot.intent') OR (kind = 'ticket.transitioned' "
        "AND (actor = 'bot' OR actor LIKE 'bot:%'))) "
        "AND ticket_id NOT IN (SELECT ticket_id FROM kpi_dirty)"
    )


def downgrade() -> None:
    """Revert."""
    op.create_index(
        "ix_events_bot_intent",
        "events",
        ["ticket_id"],
        sqlite_where=_BOT_INTENT,
        postgresql_where=_BOT_INTENT,
    )
    op.drop_index(op.f("ix_kpi_bot_topics_customer_id_topic_at_ms"), table_name="kpi_bot_topics")
    op.drop_table("kpi_bot_topics")
