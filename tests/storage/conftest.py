"""Backends for the storage tests: memory, SQLite (a temp file) and PostgreSQL.

PostgreSQL tests need ``HELPDESK_KIT_TEST_DATABASE_URL`` (for example
``postgresql+psycopg://postgres@127.0.0.1:5432/test``); without it they are skipped. This
session works in a schema of its own on that server, dropped at the end.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from helpdesk_kit.storage.base import Storage
from helpdesk_kit.storage.memory import MemoryStorage

ENV = "HELPDESK_KIT_TEST_DATABASE_URL"
SKIP_PG = f"PostgreSQL tests need {ENV}, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ["memory", "sqlite", "postgresql"]


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A URL into a fresh PostgreSQL schema, migrated, for this test session."""
    base = os.environ.get(ENV)
    if not base:
        pytest.skip(SKIP_PG)
    from helpdesk_kit.storage.sql import SqlStorage
    from helpdesk_kit.storage.sql.isolation import create_schema, drop_schema, new_schema_name

    schema = new_schema_name("helpdesk_kit_storage_test")
    url = create_schema(base, schema)
    try:
        SqlStorage(url, migrate=True).close()
        yield url
    finally:
        drop_schema(base, schema)


@pytest.fixture
def fresh_pg(pg_url: str) -> str:
    """The session's PostgreSQL URL, emptied for this test."""
    from helpdesk_kit.storage.sql import SqlStorage
    from helpdesk_kit.storage.sql.isolation import wipe

    s = SqlStorage(pg_url)
    try:
        wipe(s)
    finally:
        s.close()
    return pg_url


def sqlite_url(path: Path) -> str:
    """The URL of a SQLite file."""
    return f"sqlite:///{path}"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The name of the backend under test."""
    return str(request.param)


@pytest.fixture
def storage_factory(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Callable[[], Storage]:
    """Makes empty storages of ``backend`` (what the conformance suite needs)."""
    if backend == "memory":
        return MemoryStorage
    from helpdesk_kit.storage.sql import SqlStorage

    if backend == "sqlite":
        counter = iter(range(1_000_000))
        return lambda: SqlStorage(sqlite_url(tmp_path / f"s{next(counter)}.db"))
    url = request.getfixturevalue("fresh_pg")

    def make() -> Storage:
        from helpdesk_kit.storage.sql.isolation import wipe

        s = SqlStorage(url)
        wipe(s)
        return s

    return make
