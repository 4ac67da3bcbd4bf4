"""Separate databases for tests: a PostgreSQL schema per test session, emptying a store.

Tests (ours, and plugin authors' through :mod:`helpdesk_kit.testing`) share one PostgreSQL
server with other users; each session works in a schema of its own, named uniquely,
reached through ``search_path`` in the URL, and dropped at the end.
"""

from __future__ import annotations

import os
import re
import secrets

from sqlalchemy import create_engine, text

from helpdesk_kit.errors import ConfigurationError
from helpdesk_kit.storage.sql.engine import parse_url
from helpdesk_kit.storage.sql.storage import SqlStorage
from helpdesk_kit.storage.sql.tables import metadata

__all__ = ["create_schema", "drop_schema", "new_schema_name", "schema_url", "wipe"]

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def new_schema_name(prefix: str = "helpdesk_kit_test") -> str:
    """A schema name no other session uses: prefix, process id and random letters."""
    return f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"


def _check(schema: str) -> str:
    if not _NAME.match(schema):
        raise ConfigurationError(f"not a plain schema name: {schema!r}")
    return schema


def schema_url(url: str, schema: str) -> str:
    """``url`` with ``search_path`` set to ``schema`` (PostgreSQL)."""
    parsed = parse_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise ConfigurationError("schemas are for PostgreSQL URLs")
    updated = parsed.update_query_dict({"options": f"-csearch_path={_check(schema)}"})
    return updated.render_as_string(hide_password=False)


def create_schema(url: str, schema: str) -> str:
    """Create ``schema`` on the server and return the URL that works inside it."""
    engine = create_engine(parse_url(url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{_check(schema)}"'))
    finally:
        engine.dispose()
    return schema_url(url, schema)


def drop_schema(url: str, schema: str) -> None:
    """Drop ``schema`` and everything in it."""
    engine = create_engine(parse_url(url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{_check(schema)}" CASCADE'))
    finally:
        engine.dispose()


def wipe(storage: SqlStorage) -> None:
    """Delete every row and restart ticket numbers: an empty desk on a migrated schema."""
    names = [t.name for t in reversed(metadata.sorted_tables)]
    with storage.engine.begin() as conn:
        if storage.dialect == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in names)))
            conn.execute(text("ALTER SEQUENCE ticket_number_seq RESTART WITH 1001"))
        else:
            for name in names:
                conn.execute(text(f'DELETE FROM "{name}"'))
