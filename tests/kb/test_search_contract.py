"""The search-backend contract on the in-memory BM25 index, SQLite FTS5 and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from itertools import count
from typing import Any

import pytest

from helpdesk_kit.kb import SearchIndex
from helpdesk_kit.testing.search_suite import *  # noqa: F403

PG_ENV = "HELPDESK_KIT_TEST_DATABASE_URL"


@pytest.fixture(scope="module")
def pg_search_url() -> Iterator[str]:
    """A PostgreSQL schema of its own for this module's search tables."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"PostgreSQL tests need {PG_ENV}")
    from helpdesk_kit.storage.sql.isolation import create_schema, drop_schema, new_schema_name

    schema = new_schema_name("helpdesk_kit_search_test")
    url = create_schema(base, schema)
    try:
        yield url
    finally:
        drop_schema(base, schema)


_tables = count()


@pytest.fixture(params=["bm25", "sqlite-fts5", "postgresql-fts"])
def search_backend_factory(request: pytest.FixtureRequest) -> Iterator[Callable[[], Any]]:
    """Makes empty indexes of each backend (a table of its own for every index)."""
    engines: list[Any] = []
    if request.param == "bm25":
        yield SearchIndex
        return
    from helpdesk_kit.storage.sql.engine import make_engine
    from helpdesk_kit.storage.sql.search import Fts5SearchIndex, PostgresSearchIndex

    if request.param == "sqlite-fts5":
        engine = make_engine("sqlite://")
        cls: Any = Fts5SearchIndex
    else:
        engine = make_engine(request.getfixturevalue("pg_search_url"))
        cls = PostgresSearchIndex
    engines.append(engine)
    yield lambda: cls(engine, table=f"kb_search_{next(_tables)}")
    for made in engines:
        made.dispose()
