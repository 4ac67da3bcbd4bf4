"""Backends for the routing tests: memory, SQLite (a temp file) and PostgreSQL.

PostgreSQL needs ``HELPDESK_KIT_TEST_DATABASE_URL`` (the session's schema comes from the
shipped ``helpdesk_postgres_url`` fixture); without it those tests are skipped.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest

from helpdesk_kit.storage.base import Storage
from helpdesk_kit.storage.memory import MemoryStorage

BACKENDS = ["memory", "sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The name of the backend under test."""
    return str(request.param)


@pytest.fixture
def storage_factory(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Callable[[], Storage]:
    """Makes empty storages of ``backend``."""
    if backend == "memory":
        return MemoryStorage
    from helpdesk_kit.storage.sql import SqlStorage

    if backend == "sqlite":
        counter = itertools.count()
        return lambda: SqlStorage(f"sqlite:///{tmp_path / f's{next(counter)}.db'}")
    url = str(request.getfixturevalue("helpdesk_postgres_url"))

    def make() -> Storage:
        from helpdesk_kit.storage.sql.isolation import wipe

        s = SqlStorage(url)
        wipe(s)
        return s

    return make


@pytest.fixture(params=["sqlite", "postgresql"])
def sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated database of each SQL kind."""
    from helpdesk_kit.storage.sql import SqlStorage

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'desk.db'}"
        SqlStorage(url).close()
        return url
    url = str(request.getfixturevalue("helpdesk_postgres_url"))
    from helpdesk_kit.storage.sql.isolation import wipe

    s = SqlStorage(url)
    try:
        wipe(s)
    finally:
        s.close()
    return url
