"""Routing: routing_queue, routing_holds, routing_last_agents, routing_pointers.

Existing open assigned tickets (not solved, closed or merged) become holds on their agents,
so capacity counts them from the start; each customer's latest assignee is remembered.
Waiting tickets are queued by ``Helpdesk.routing_rebuild()`` (the desk knows which
lifecycle states are open and which conversations the bot holds).

Revision ID: 0008_routing
Revises: 0007_surveys_and_kpis
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_routing"
down_revision = "0007_surveys_and_kpis"
branch_labels = None
depends_on = None

# Frozen copy of the column type as it was at this revision.
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "routing_queue",
        sa.Column("ticket_id", sa.String(length=64), nullable=False),
        sa.Column("group_key", sa.String(length=64), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("due_at", UTC_DATETIME, nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("queued_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_routing_queue_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_routing_queue")),
    )
    op.create_index(
        op.f("ix_routing_queue_group_key_rank_due_at_created_at_ticket_id"),
        "routing_queue",
        ["group_key", "rank", "due_at", "created_at", "ticket_id"],
    )
    op.create_table(
        "routing_holds",
        sa.Column("ticket_id", sa.String(length=64), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_routing_holds_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_routing_holds")),
    )
    op.create_index(op.f("ix_routing_holds_agent_id"), "routing_holds", ["agent_id"])
    op.create_table(
        "routing_last_agents",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_routing_last_agents")),
    )
    op.create_table(
        "routing_pointers",
        sa.Column("group_key", sa.String(length=64), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("group_key", name=op.f("pk_routing_pointers")),
    )
    op.execute(
        "INSERT INTO routing_holds (ticket_id, agent_id) SELECT id, assignee_id FROM tickets "
        "WHERE assignee_id IS NOT NULL AND merged_into IS NULL "
        "AND solved_at IS NULL AND closed_at IS NULL"
    )
    op.execute(
        "INSERT INTO routing_last_agents (customer_id, agent_id, at) "
        "SELECT t.customer_id, MIN(t.assignee_id), t.updated_at FROM tickets t "
        "JOIN (SELECT customer_id, MAX(updated_at) AS last FROM tickets "
        "WHERE assignee_id IS NOT NULL GROUP BY customer_id) m "
        "ON m.customer_id = t.customer_id AND m.last = t.updated_at "
        "WHERE t.assignee_id IS NOT NULL GROUP BY t.customer_id, t.updated_at"
    )


def downgrade() -> None:
    """Revert."""
    op.drop_table("routing_pointers")
    op.drop_table("routing_last_agents")
    op.drop_index(op.f("ix_routing_holds_agent_id"), table_name="routing_holds")
    op.drop_table("routing_holds")
    op.drop_index(
        op.f("ix_routing_queue_group_key_rank_due_at_created_at_ticket_id"),
        table_name="routing_queue",
    )
    op.drop_table("routing_queue")
