"""Creating SQLAlchemy engines for storage URLs, and turning driver errors into ours."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    IntegrityError,
    NoSuchModuleError,
    OperationalError,
)
from sqlalchemy.pool import StaticPool

from helpdesk_kit.errors import (
    AlreadyExists,
    ConcurrencyConflict,
    ConfigurationError,
    HelpdeskError,
    InvalidInput,
    StorageError,
)
from helpdesk_kit.storage.urls import redact_url

__all__ = [
    "BUSY_TIMEOUT_MS",
    "CONNECT_TIMEOUT_S",
    "SYNCHRONOUS_MODES",
    "make_engine",
    "parse_url",
    "sqlstate",
    "translate_driver_error",
    "translate_error",
]

#: How long a SQLite writer waits for another one before giving up.
BUSY_TIMEOUT_MS = 30_000
#: How long connecting to a PostgreSQL server may take (unless the URL says otherwise).
CONNECT_TIMEOUT_S = 10
SYNCHRONOUS_MODES = ("off", "normal", "full", "extra")
_DRIVERS = {"sqlite": "the Python standard library's sqlite3", "postgresql": "psycopg"}


def parse_url(url: str) -> URL:
    """Parse a storage URL; ``ConfigurationError`` (password hidden) when it is malformed."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigurationError(f"not a valid database URL: {redact_url(url)!r} ({exc})") from None
    backend = parsed.get_backend_name()
    if backend not in _DRIVERS:
        raise ConfigurationError(
            f"the SQL backend supports sqlite and postgresql, not {backend!r} "
            f"(URL {redact_url(url)!r})"
        )
    if backend == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


#: key in a pooled connection's ``info``: its next transaction only reads (SQLite: ``BEGIN``,
#: not ``BEGIN IMMEDIATE``); the "begin" listener takes it off
DEFERRED_BEGIN = "helpdesk_kit.deferred_begin"


def make_engine(url: str, *, synchronous: str = "full", **engine_options: Any) -> Engine:
    """An engine for a ``sqlite`` or ``postgresql`` URL, set up the way the storage needs.

    SQLite: WAL journal (except in-memory databases), foreign keys on, a busy timeout,
    ``synchronous`` as given (``full`` by default: a committed message survives a power
    cut), and ``BEGIN IMMEDIATE`` so write transactions queue instead of failing.
    PostgreSQL: ``psycopg`` (3) unless the URL names another driver, and pre-ping.
    """
    parsed = parse_url(url)
    shown = redact_url(url)
    if synchronous.lower() not in SYNCHRONOUS_MODES:
        raise ConfigurationError(
            f"synchronous must be one of {', '.join(SYNCHRONOUS_MODES)}, got {synchronous!r}"
        )
    options: dict[str, Any] = dict(engine_options)
    in_memory = False
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        in_memory = database in ("", ":memory:") or "mode=memory" in str(parsed.query)
        connect_args = dict(options.pop("connect_args", {}))
        connect_args.setdefault("check_same_thread", False)
        connect_args.setdefault("timeout", BUSY_TIMEOUT_MS / 1000)
        options["connect_args"] = connect_args
        if in_memory:
            options.setdefault("poolclass", StaticPool)
    else:
        options.setdefault("pool_pre_ping", True)
        if "connect_timeout" not in parsed.query:
            # an unreachable server is an error after a while, not a hang
            connect_args = dict(options.pop("connect_args", {}))
            connect_args.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
            options["connect_args"] = connect_args
    try:
        engine = create_engine(parsed, **options)
    except (NoSuchModuleError, ImportError) as exc:
        backend = parsed.get_backend_name()
        hint = ""
        if backend == "postgresql":
            hint = " (install it with: pip install 'helpdesk_kit[pg]')"
        raise ConfigurationError(
            f"the database driver for {shown!r} is not available: {exc}{hint}"
        ) from None
    except ArgumentError as exc:
        raise ConfigurationError(f"cannot use database URL {shown!r}: {exc}") from None
    if engine.dialect.name == "sqlite":
        _set_up_sqlite(engine, synchronous.upper(), wal=not in_memory)
    return engine


def _set_up_sqlite(engine: Engine, synchronous: str, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN, not the driver.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if wal:
                cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute(f"PRAGMA synchronous = {synchronous}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Take the write lock at the start: a unit of work that reads and then writes can
        # never fail half-way because another writer committed in between. A unit of work
        # that only reads begins deferred: it need not queue behind writers.
        deferred = conn.info.pop(DEFERRED_BEGIN, False)
        conn.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


def sqlstate(exc: DBAPIError) -> str:
    """The SQLSTATE of a PostgreSQL error ('' for other drivers)."""
    orig = getattr(exc, "orig", None)
    return str(getattr(orig, "sqlstate", "") or "")


_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?P<cols>.*)")


def translate_driver_error(
    orig: Exception, base: type[Exception], what: str = "record"
) -> HelpdeskError:
    """Our exception for an error the DBAPI driver raised directly (the raw hot paths)."""
    wrapped = DBAPIError.instance(None, None, orig, base)
    assert isinstance(wrapped, DBAPIError)
    return translate_error(wrapped, what)


def translate_error(exc: DBAPIError, what: str = "record") -> HelpdeskError:
    """Our exception for a driver error raised while storing or reading ``what``."""
    state = sqlstate(exc)
    message = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if exc.orig else str(exc)
    if state in ("40001", "40P01"):
        return ConcurrencyConflict(what, message, 0, None)
    if state == "23505" or (isinstance(exc, IntegrityError) and _SQLITE_UNIQUE.search(message)):
        return AlreadyExists(what, message)
    if state == "23503" or "FOREIGN KEY constraint failed" in message:
        return InvalidInput(f"{what} refers to a record that does not exist ({message})")
    if state == "22001":
        return InvalidInput(f"{what}: a value is longer than its column allows ({message})")
    if state in ("22021", "22P05") or "NUL" in message or "0x00" in message:
        return InvalidInput(
            f"{what}: text contains a NUL character (U+0000), which PostgreSQL cannot store; "
            f"remove it before storing ({message})"
        )
    if isinstance(exc, IntegrityError):
        return InvalidInput(f"{what} breaks a database constraint: {message}")
    if isinstance(exc, OperationalError) and "locked" in message:
        return StorageError(
            f"the SQLite database stayed locked by another writer for "
            f"{BUSY_TIMEOUT_MS // 1000} s ({message})"
        )
    return StorageError(f"database error while handling {what}: {message}")
