"""The SQL storage backend: SQLite (the embedded default) and PostgreSQL, via SQLAlchemy Core.

Importing this package imports SQLAlchemy; the rest of helpdesk_kit loads it only when a
``sqlite://`` or ``postgresql://`` URL is opened.
"""

from __future__ import annotations

from helpdesk_kit.storage.sql.storage import SqlStorage, SqlUnitOfWork

__all__ = ["SqlStorage", "SqlUnitOfWork", "sql_factory"]


def sql_factory(url: str, **options: object) -> SqlStorage:
    """``sqlite:///path.db`` and ``postgresql+psycopg://user:pw@host/db``."""
    return SqlStorage(url, **options)  # type: ignore[arg-type]
