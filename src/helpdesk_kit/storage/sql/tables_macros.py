"""Tables of reply templates and macros: the current version of each, and every version."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Index, Integer, PrimaryKeyConstraint, String, Table, Text

from helpdesk_kit.storage.sql.tables import LIMITS, JSONType, UTCDateTime, metadata

__all__ = ["macro_versions", "macros", "reply_template_versions", "reply_templates"]

NAME = LIMITS["name"]


def _template_columns() -> list[Column[Any]]:
    return [
        Column("name", String(NAME), nullable=False),
        Column("version", Integer, nullable=False),
        Column("kind", String(LIMITS["kind"]), nullable=False),
        Column("description", Text, nullable=False),
        Column("default_locale", String(35), nullable=False),
        Column("bodies", JSONType(), nullable=False),
        Column("updated_at", UTCDateTime()),
        Column("author", String(LIMITS["actor"])),
    ]


def _macro_columns() -> list[Column[Any]]:
    return [
        Column("name", String(NAME), nullable=False),
        Column("version", Integer, nullable=False),
        Column("shortcode", String(64)),
        Column("description", Text, nullable=False),
        Column("template", String(NAME)),
        Column("actions", JSONType(), nullable=False),
        Column("updated_at", UTCDateTime()),
        Column("author", String(LIMITS["actor"])),
    ]


reply_templates = Table(
    "reply_templates",
    metadata,
    *_template_columns(),
    PrimaryKeyConstraint("name"),
    Index(None, "kind"),
)

reply_template_versions = Table(
    "reply_template_versions",
    metadata,
    *_template_columns(),
    PrimaryKeyConstraint("name", "version"),
)

macros = Table(
    "macros",
    metadata,
    *_macro_columns(),
    PrimaryKeyConstraint("name"),
    # one macro per short code; NULL (no short code) never collides
    Index(None, "shortcode", unique=True),
)

macro_versions = Table(
    "macro_versions",
    metadata,
    *_macro_columns(),
    PrimaryKeyConstraint("name", "version"),
)
