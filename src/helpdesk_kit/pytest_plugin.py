"""pytest fixtures for testing code built on helpdesk_kit (loaded through ``pytest11``).

Fixtures (none autouse, nothing imported until a fixture is used):

- ``helpdesk_clock``: a :class:`~helpdesk_kit.clock.FrozenClock` at 2026-11-02 09:00 UTC
  (a Monday); change the start with ``@pytest.mark.helpdesk_clock(datetime(...))``.
- ``helpdesk_storage``: the storage backend, ``memory`` unless parametrized indirectly
  (``@pytest.mark.parametrize("helpdesk_storage", ["memory", "sqlite", "postgresql"],
  indirect=True)``) or set with ``--helpdesk-storage=URL``; empty for every test.
- ``helpdesk_postgres_url``: a PostgreSQL schema of this session (skips without
  ``HELPDESK_KIT_TEST_DATABASE_URL``).
- ``helpdesk_plugins``: a list of plugins for the desk; override it to add yours.
- ``helpdesk``: a :class:`~helpdesk_kit.desk.Helpdesk` on those, without entry-point plugins
  unless ``--helpdesk-entrypoints`` is given.
- ``make_customer``, ``make_agent``, ``make_ticket``: factories with sensible defaults.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from helpdesk_kit.clock import FrozenClock
    from helpdesk_kit.desk import Helpdesk
    from helpdesk_kit.storage.base import Storage
    from helpdesk_kit.tickets.model import Agent, Customer, Ticket

__all__ = [
    "helpdesk",
    "helpdesk_clock",
    "helpdesk_plugins",
    "helpdesk_postgres_url",
    "helpdesk_storage",
    "make_agent",
    "make_customer",
    "make_ticket",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--helpdesk-storage`` and ``--helpdesk-entrypoints``."""
    group = parser.getgroup("helpdesk_kit")
    group.addoption(
        "--helpdesk-storage",
        default=None,
        help="storage for the helpdesk fixtures: 'memory' (default), 'sqlite' or a URL",
    )
    group.addoption(
        "--helpdesk-entrypoints",
        action="store_true",
        default=False,
        help="let the helpdesk fixture load plugins published through entry points",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Declare the ``helpdesk_clock`` marker."""
    config.addinivalue_line(
        "markers", "helpdesk_clock(start): start the helpdesk_clock fixture at an aware datetime"
    )


@pytest.fixture
def helpdesk_clock(request: pytest.FixtureRequest) -> FrozenClock:
    """A frozen clock for the desk; move it with ``advance()`` and ``set()``."""
    from helpdesk_kit.clock import FrozenClock

    marker = request.node.get_closest_marker("helpdesk_clock")
    start: datetime | None = marker.args[0] if marker and marker.args else None
    return FrozenClock(start)


_PG_ENV = "HELPDESK_KIT_TEST_DATABASE_URL"


@pytest.fixture(scope="session")
def helpdesk_postgres_url() -> Iterator[str]:
    """A URL into a new PostgreSQL schema for this test session, migrated; dropped at the end.

    The server comes from ``HELPDESK_KIT_TEST_DATABASE_URL``; without it the test is skipped.
    The schema has a unique name, so sessions sharing one server never see each other.
    """
    base = os.environ.get(_PG_ENV, "")
    if not base:
        pytest.skip(
            f"PostgreSQL tests need {_PG_ENV}, e.g. "
            "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        )
    from helpdesk_kit.storage.sql import SqlStorage
    from helpdesk_kit.storage.sql.isolation import create_schema, drop_schema, new_schema_name

    schema = new_schema_name()
    url = create_schema(base, schema)
    try:
        SqlStorage(url, migrate=True).close()
        yield url
    finally:
        drop_schema(base, schema)


def _storage_for(spec: str, request: pytest.FixtureRequest) -> Storage:
    from helpdesk_kit.desk.service import BUILTIN_PLUGINS
    from helpdesk_kit.plugins import collect_named, create_plugin_manager
    from helpdesk_kit.storage.urls import open_storage

    if spec == "memory":
        url = "memory://"
    elif spec == "sqlite":
        tmp = request.getfixturevalue("tmp_path_factory").mktemp("helpdesk")
        url = f"sqlite:///{tmp / 'helpdesk.db'}"
    elif spec in ("postgresql", "postgres"):
        from helpdesk_kit.storage.sql import SqlStorage
        from helpdesk_kit.storage.sql.isolation import wipe

        pg = SqlStorage(request.getfixturevalue("helpdesk_postgres_url"))
        wipe(pg)  # every test starts on an empty desk
        return pg
    else:
        url = spec
    pm = create_plugin_manager(builtins=BUILTIN_PLUGINS, load_entrypoints=True)
    factories = collect_named(pm.hook.register_storage_backends, "storage backend", replace=True)
    storage: Storage = open_storage(url, factories)
    return storage


@pytest.fixture
def helpdesk_storage(request: pytest.FixtureRequest) -> Iterator[Storage]:
    """A fresh, empty storage backend: ``memory`` unless parametrized or set on the command line.

    ``"sqlite"`` is a new file per test; ``"postgresql"`` is the session's schema (see
    ``helpdesk_postgres_url``) emptied for the test; anything else is a storage URL.
    """
    spec = getattr(request, "param", None) or request.config.getoption(
        "--helpdesk-storage", default=None
    )
    storage = _storage_for(spec or "memory", request)
    try:
        yield storage
    finally:
        storage.close()


@pytest.fixture
def helpdesk_plugins() -> list[object]:
    """Plugins given to the ``helpdesk`` fixture; override this fixture to add your own."""
    return []


@pytest.fixture
def helpdesk(
    request: pytest.FixtureRequest,
    helpdesk_storage: Storage,
    helpdesk_clock: FrozenClock,
    helpdesk_plugins: list[object],
) -> Helpdesk:
    """A desk on ``helpdesk_storage`` and ``helpdesk_clock`` with ``helpdesk_plugins``."""
    from helpdesk_kit.desk import Helpdesk

    desk = Helpdesk(
        storage=helpdesk_storage,
        clock=helpdesk_clock,
        plugins=helpdesk_plugins,
        load_entrypoints=bool(request.config.getoption("--helpdesk-entrypoints")),
    )
    return desk


_counter = itertools.count(1)


@pytest.fixture
def make_customer(helpdesk: Helpdesk) -> Callable[..., Customer]:
    """``make_customer(name=..., email=..., **fields)``: a stored customer with a unique email."""

    def make(name: str | None = None, **fields: Any) -> Customer:
        n = next(_counter)
        if not any(k in fields for k in ("email", "phone", "identities")):
            fields["email"] = f"customer{n}@example.com"
        return helpdesk.add_customer(name if name is not None else f"Customer {n}", **fields)

    return make


@pytest.fixture
def make_agent(helpdesk: Helpdesk) -> Callable[..., Agent]:
    """``make_agent(name=..., **fields)``: a stored agent, online by default."""

    def make(name: str | None = None, **fields: Any) -> Agent:
        n = next(_counter)
        fields.setdefault("email", f"agent{n}@shop.example")
        return helpdesk.add_agent(name if name is not None else f"Agent {n}", **fields)

    return make


@pytest.fixture
def make_ticket(
    helpdesk: Helpdesk, make_customer: Callable[..., Customer]
) -> Callable[..., Ticket]:
    """``make_ticket(subject=..., text=..., customer=..., **fields)``: a stored ticket."""

    def make(
        subject: str = "Where is my order?",
        text: str = "I ordered last week and nothing arrived.",
        *,
        customer: Customer | None = None,
        **fields: Any,
    ) -> Ticket:
        return helpdesk.open_ticket(customer or make_customer(), subject, text, **fields)

    return make
