"""Knowledge base: categories, articles, article versions, votes, views, unanswered searches.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003_knowledge_base"
down_revision = "0002_macros_authority"
branch_labels = None
depends_on = None

# Frozen copies of the column types as they were at this revision.
UTC_DATETIME = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "kb_categories",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("parent_id", sa.String(length=64), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("names", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["kb_categories.id"],
            name=op.f("fk_kb_categories_parent_id_kb_categories"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_categories")),
        sa.UniqueConstraint("key", name=op.f("uq_kb_categories_key")),
    )
    op.create_index(
        op.f("ix_kb_categories_parent_id"), "kb_categories", ["parent_id"], unique=False
    )

    op.create_table(
        "kb_articles",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("locale", sa.String(length=35), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("category_id", sa.String(length=64), nullable=True),
        sa.Column("owner_id", sa.String(length=64), nullable=True),
        sa.Column("review_by", sa.Date(), nullable=True),
        sa.Column("tags", JSON, nullable=False),
        sa.Column("questions", JSON, nullable=False),
        sa.Column("related", JSON, nullable=False),
        sa.Column("attachments", JSON, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=True),
        sa.Column("updated_at", UTC_DATETIME, nullable=True),
        sa.Column("published_at", UTC_DATETIME, nullable=True),
        sa.Column("change_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["kb_categories.id"],
            name=op.f("fk_kb_articles_category_id_kb_categories"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_articles")),
        sa.UniqueConstraint("key", "locale", name=op.f("uq_kb_articles_key_locale")),
    )
    op.create_index(
        op.f("ix_kb_articles_status_locale"), "kb_articles", ["status", "locale"], unique=False
    )
    op.create_index(
        op.f("ix_kb_articles_category_id"), "kb_articles", ["category_id"], unique=False
    )
    op.create_index(op.f("ix_kb_articles_review_by"), "kb_articles", ["review_by"], unique=False)
    op.create_index(op.f("ix_kb_articles_change_seq"), "kb_articles", ["change_seq"], unique=False)

    op.create_table(
        "kb_article_versions",
        sa.Column("article_id", sa.String(length=64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("questions", JSON, nullable=False),
        sa.Column("tags", JSON, nullable=False),
        sa.Column("editor", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["kb_articles.id"],
            name=op.f("fk_kb_article_versions_article_id_kb_articles"),
        ),
        sa.PrimaryKeyConstraint("article_id", "number", name=op.f("pk_kb_article_versions")),
    )

    op.create_table(
        "kb_votes",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("article_id", sa.String(length=64), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("voter", sa.String(length=200), nullable=True),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["kb_articles.id"],
            name=op.f("fk_kb_votes_article_id_kb_articles"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_votes")),
        sa.UniqueConstraint("article_id", "voter", name=op.f("uq_kb_votes_article_id_voter")),
    )
    op.create_index(
        op.f("ix_kb_votes_article_id_at"), "kb_votes", ["article_id", "at"], unique=False
    )

    op.create_table(
        "kb_article_views",
        sa.Column("article_id", sa.String(length=64), nullable=False),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["kb_articles.id"],
            name=op.f("fk_kb_article_views_article_id_kb_articles"),
        ),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_kb_article_views")),
    )

    op.create_table(
        "kb_unanswered",
        sa.Column("query", sa.String(length=200), nullable=False),
        sa.Column("locale", sa.String(length=35), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("last_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("query", "locale", "day", name=op.f("pk_kb_unanswered")),
    )
    op.create_index(op.f("ix_kb_unanswered_day"), "kb_unanswered", ["day"], unique=False)


def downgrade() -> None:
    """Revert."""
    op.drop_index(op.f("ix_kb_unanswered_day"), table_name="kb_unanswered")
    op.drop_table("kb_unanswered")
    op.drop_table("kb_article_views")
    op.drop_index(op.f("ix_kb_votes_article_id_at"), table_name="kb_votes")
    op.drop_table("kb_votes")
    op.drop_table("kb_article_versions")
    op.drop_index(op.f("ix_kb_articles_change_seq"), table_name="kb_articles")
    op.drop_index(op.f("ix_kb_articles_review_by"), table_name="kb_articles")
    op.drop_index(op.f("ix_kb_articles_category_id"), table_name="kb_articles")
    op.drop_index(op.f("ix_kb_articles_status_locale"), table_name="kb_articles")
    op.drop_table("kb_articles")
    op.drop_index(op.f("ix_kb_categories_parent_id"), table_name="kb_categories")
    op.drop_table("kb_categories")
