"""KPI report speed: a partial index of the bot.intent events.

Bot containment asks, for each contained conversation of a period, whether the customer
came back on the topic: through a ticket with that category or a ``bot.intent`` event with
that intent on one of their tickets. ``ix_events_bot_intent`` finds a ticket's
``bot.intent`` events without reading its other events.

Revision ID: 0012_analytics_speed
Revises: 0011_metrics
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_analytics_speed"
down_revision = "0011_metrics"
branch_labels = None
depends_on = None

_BOT_INTENT = sa.text("kind = 'bot.intent'")


def upgrade() -> None:
    """Apply."""
    op.create_index(
        "ix_events_bot_intent",
        "events",
        ["ticket_id"],
        sqlite_where=_BOT_INTENT,
        postgresql_where=_BOT_INTENT,
    )


def downgrade() -> None:
    """Revert."""
    op.drop_index("ix_events_bot_intent", table_name="events")
