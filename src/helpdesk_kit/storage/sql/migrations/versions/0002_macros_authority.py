"""Reply templates and macros (current and every version); authority requests and the
(actor, action) lock rows of limit checks.

Revision ID: 0002_macros_authority
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002_macros_authority"
down_revision = "0001"
branch_labels = None
depends_on = None

# Frozen copies of the column types as they were at this revision.
UTC_DATETIME = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _template_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("default_locale", sa.String(length=35), nullable=False),
        sa.Column("bodies", JSON, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=True),
        sa.Column("author", sa.String(length=200), nullable=True),
    ]


def _macro_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("shortcode", sa.String(length=64), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("template", sa.String(length=200), nullable=True),
        sa.Column("actions", JSON, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=True),
        sa.Column("author", sa.String(length=200), nullable=True),
    ]


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "reply_templates",
        *_template_columns(),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_reply_templates")),
    )
    op.create_index(op.f("ix_reply_templates_kind"), "reply_templates", ["kind"], unique=False)
    op.create_table(
        "reply_template_versions",
        *_template_columns(),
        sa.PrimaryKeyConstraint("name", "version", name=op.f("pk_reply_template_versions")),
    )
    op.create_table(
        "macros",
        *_macro_columns(),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_macros")),
    )
    op.create_index(op.f("ix_macros_shortcode"), "macros", ["shortcode"], unique=True)
    op.create_table(
        "macro_versions",
        *_macro_columns(),
        sa.PrimaryKeyConstraint("name", "version", name=op.f("pk_macro_versions")),
    )
    op.create_table(
        "authority_requests",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("requested_at", UTC_DATETIME, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decision", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("params", JSON, nullable=False),
        sa.Column("limit_amount", sa.String(length=64), nullable=True),
        sa.Column("used_amount", sa.String(length=64), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", UTC_DATETIME, nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("executed_at", UTC_DATETIME, nullable=True),
        sa.Column("result", JSON, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_authority_requests_ticket_id_tickets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authority_requests")),
    )
    op.create_index(
        op.f("ix_authority_requests_requested_by_action_requested_at"),
        "authority_requests",
        ["requested_by", "action", "requested_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_authority_requests_status_id"),
        "authority_requests",
        ["status", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_authority_requests_ticket_id"), "authority_requests", ["ticket_id"], unique=False
    )
    op.create_table(
        "authority_locks",
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("actor", "action", name=op.f("pk_authority_locks")),
    )


def downgrade() -> None:
    """Revert."""
    op.drop_table("authority_locks")
    op.drop_index(op.f("ix_authority_requests_ticket_id"), table_name="authority_requests")
    op.drop_index(op.f("ix_authority_requests_status_id"), table_name="authority_requests")
    op.drop_index(
        op.f("ix_authority_requests_requested_by_action_requested_at"),
        table_name="authority_requests",
    )
    op.drop_table("authority_requests")
    op.drop_table("macro_versions")
    op.drop_index(op.f("ix_macros_shortcode"), table_name="macros")
    op.drop_table("macros")
    op.drop_table("reply_template_versions")
    op.drop_index(op.f("ix_reply_templates_kind"), table_name="reply_templates")
    op.drop_table("reply_templates")
