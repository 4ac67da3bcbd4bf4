"""The knowledge base's tables, on the shared ``metadata`` of :mod:`.tables`.

Created by the Alembic revision ``0002_knowledge_base``. Article changes are numbered by the
``kb_article_change`` row of the ``counters`` table (``change_seq``): a process catches up
with articles other processes changed by asking for changes after the last number it saw.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from helpdesk_kit.storage.sql.tables import ID, JSONType, UTCDateTime, metadata

__all__ = [
    "KB_CHANGE_COUNTER",
    "kb_article_versions",
    "kb_article_views",
    "kb_articles",
    "kb_categories",
    "kb_unanswered",
    "kb_votes",
]

#: The ``counters`` row that numbers article changes.
KB_CHANGE_COUNTER = "kb_article_change"
KEY = 120
LOCALE = 35

kb_categories = Table(
    "kb_categories",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("key", String(KEY), nullable=False),
    Column("name", String(200), nullable=False),
    Column("parent_id", String(ID), ForeignKey("kb_categories.id")),
    Column("description", Text, nullable=False),
    Column("position", Integer, nullable=False),
    Column("names", JSONType(), nullable=False),
    UniqueConstraint("key"),
    Index(None, "parent_id"),
)

kb_articles = Table(
    "kb_articles",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("key", String(KEY), nullable=False),
    Column("locale", String(LOCALE), nullable=False),
    Column("title", String(500), nullable=False),
    Column("body", Text, nullable=False),
    Column("html", Text),
    Column("status", String(16), nullable=False),
    Column("category_id", String(ID), ForeignKey("kb_categories.id")),
    Column("owner_id", String(ID)),
    Column("review_by", Date),
    Column("tags", JSONType(), nullable=False),
    Column("questions", JSONType(), nullable=False),
    Column("related", JSONType(), nullable=False),
    Column("attachments", JSONType(), nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime()),
    Column("updated_at", UTCDateTime()),
    Column("published_at", UTCDateTime()),
    Column("change_seq", Integer, nullable=False),
    UniqueConstraint("key", "locale"),
    Index(None, "status", "locale"),
    Index(None, "category_id"),
    Index(None, "review_by"),
    Index(None, "change_seq"),
)

kb_article_versions = Table(
    "kb_article_versions",
    metadata,
    Column("article_id", String(ID), ForeignKey("kb_articles.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("title", String(500), nullable=False),
    Column("body", Text, nullable=False),
    Column("html", Text),
    Column("status", String(16), nullable=False),
    Column("questions", JSONType(), nullable=False),
    Column("tags", JSONType(), nullable=False),
    Column("editor", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("note", Text, nullable=False),
    PrimaryKeyConstraint("article_id", "number"),
)

kb_votes = Table(
    "kb_votes",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("article_id", String(ID), ForeignKey("kb_articles.id"), nullable=False),
    Column("helpful", Boolean, nullable=False),
    Column("reason", Text),
    Column("voter", String(200)),
    Column("at", UTCDateTime(), nullable=False),
    # one vote per known voter and article; anonymous (NULL) votes never collide
    UniqueConstraint("article_id", "voter"),
    Index(None, "article_id", "at"),
)

kb_article_views = Table(
    "kb_article_views",
    metadata,
    Column("article_id", String(ID), ForeignKey("kb_articles.id"), primary_key=True),
    Column("views", Integer, nullable=False),
)

#: Searches without a good answer, counted per (normalized query, locale, UTC day).
kb_unanswered = Table(
    "kb_unanswered",
    metadata,
    Column("query", String(200), nullable=False),
    Column("locale", String(LOCALE), nullable=False),  # "" when the search had none
    Column("day", Date, nullable=False),
    Column("count", Integer, nullable=False),
    Column("last_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("query", "locale", "day"),
    Index(None, "day"),
)
