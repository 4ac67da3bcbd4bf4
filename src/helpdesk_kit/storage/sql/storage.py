"""The SQL storage backend: one SQLAlchemy connection and transaction per unit of work."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Connection, CursorResult, Engine, Executable
from sqlalchemy.exc import DBAPIError

from helpdesk_kit.errors import ConfigurationError, StorageError
from helpdesk_kit.storage.base import (
    AgentRepository,
    CustomerRepository,
    DueRepository,
    EventRepository,
    FollowUpRepository,
    GroupRepository,
    MessageRepository,
    TicketRepository,
)
from helpdesk_kit.storage.sql.engine import make_engine, translate_error
from helpdesk_kit.storage.sql.repositories import (
    SqlAgents,
    SqlCustomers,
    SqlDue,
    SqlEvents,
    SqlFollowUps,
    SqlGroups,
    SqlMessages,
    SqlTickets,
)
from helpdesk_kit.storage.urls import redact_url

__all__ = ["SqlStorage", "SqlUnitOfWork"]


class SqlUnitOfWork:
    """A unit of work on :class:`SqlStorage`: one database transaction."""

    def __init__(self, storage: SqlStorage) -> None:
        self.storage = storage
        self.dialect = storage.dialect
        self._conn: Connection | None = None
        self._in_tx = False
        #: tickets whose row this transaction holds (created, updated or locked)
        self.locked: set[str] = set()
        #: the last event seq this transaction knows for a locked ticket
        self.last_seq: dict[str, int] = {}
        #: ticket numbers allocated in this transaction
        self.allocated: set[int] = set()
        self.customers: CustomerRepository = SqlCustomers(self)
        self.agents: AgentRepository = SqlAgents(self)
        self.groups: GroupRepository = SqlGroups(self)
        self.tickets: TicketRepository = SqlTickets(self)
        self.messages: MessageRepository = SqlMessages(self)
        self.events: EventRepository = SqlEvents(self)
        self.followups: FollowUpRepository = SqlFollowUps(self)
        self.due: DueRepository = SqlDue(self)

    # -- plumbing for the repositories

    @property
    def connection(self) -> Connection:
        """The connection, inside a transaction (begun on first use)."""
        conn = self._conn
        if conn is None:
            raise StorageError("a SQL unit of work is used outside its 'with' block")
        if not self._in_tx:
            try:
                conn.begin()
            except DBAPIError as exc:
                raise translate_error(exc, "transaction") from exc
            self._in_tx = True
        return conn

    def execute(
        self,
        statement: Executable,
        params: Mapping[str, Any] | list[dict[str, Any]] | None = None,
        *,
        what: str = "record",
    ) -> CursorResult[Any]:
        """Run a statement in this unit's transaction; driver errors become ours."""
        conn = self.connection
        try:
            return conn.execute(statement, params)
        except DBAPIError as exc:
            raise translate_error(exc, what) from exc

    def created_ticket(self, ticket_id: str) -> None:
        """Remember a ticket inserted here: its trail starts empty and no one else sees it."""
        self.locked.add(ticket_id)
        self.last_seq[ticket_id] = 0

    def _forget(self) -> None:
        self.locked.clear()
        self.last_seq.clear()
        self.allocated.clear()

    # -- the UnitOfWork protocol

    def __enter__(self) -> Self:
        try:
            self._conn = self.storage.engine.connect()
        except DBAPIError as exc:
            raise self.storage.connect_error(exc) from exc
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._in_tx:
                self.rollback()
        finally:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def commit(self) -> None:
        """Commit the transaction; later changes start a new one."""
        if self._conn is None or not self._in_tx:
            return
        try:
            self._conn.commit()
        except DBAPIError as exc:
            self._in_tx = False
            raise translate_error(exc, "transaction") from exc
        finally:
            self._forget()
        self._in_tx = False

    def rollback(self) -> None:
        """Roll back everything since the last commit."""
        if self._conn is None or not self._in_tx:
            return
        self._in_tx = False
        self._forget()
        try:
            self._conn.rollback()
        except DBAPIError as exc:  # the connection died: nothing was committed anyway
            raise translate_error(exc, "transaction") from exc


class SqlStorage:
    """Storage in a SQL database through SQLAlchemy Core: SQLite or PostgreSQL.

    ``SqlStorage("sqlite:///helpdesk.db")`` creates and migrates the file when needed
    (``migrate=False`` to refuse); PostgreSQL schemas are migrated with
    ``helpdesk-kit db upgrade`` (or ``migrate=True``), and a missing or old schema is a
    ``ConfigurationError`` that names the command. ``synchronous`` sets SQLite's durability
    (``full`` by default). Other keywords go to ``sqlalchemy.create_engine``.
    """

    def __init__(
        self,
        url: str,
        *,
        migrate: bool | None = None,
        synchronous: str = "full",
        first_ticket_number: int = 1001,
        check_schema: bool = True,
        **engine_options: Any,
    ) -> None:
        self.url = url
        self.engine: Engine = make_engine(url, synchronous=synchronous, **engine_options)
        self.dialect: str = self.engine.dialect.name
        self.name = self.dialect
        self.first_ticket_number = first_ticket_number
        try:
            self._prepare(migrate, check_schema)
        except BaseException:
            self.engine.dispose()
            raise

    def _prepare(self, migrate: bool | None, check_schema: bool) -> None:
        from helpdesk_kit.storage.sql import migrate as migrations

        try:
            with self.engine.connect() as conn:
                state = migrations.schema_state(conn)
        except DBAPIError as exc:
            raise self.connect_error(exc) from exc
        if state == "current":
            return
        shown = redact_url(self.url)
        if state == "ahead":
            raise ConfigurationError(
                f"the database {shown!r} has a schema newer than this helpdesk_kit "
                "knows; upgrade helpdesk_kit"
            )
        if state == "unversioned":
            raise ConfigurationError(
                f"the database {shown!r} has tables but no helpdesk_kit schema version; "
                "use an empty database (or schema) for helpdesk_kit"
            )
        auto = self.dialect == "sqlite" if migrate is None else migrate
        if auto:
            migrations.upgrade(self.engine)
        elif check_schema:
            what = "has no helpdesk_kit schema" if state == "empty" else "has an old schema"
            raise ConfigurationError(
                f"the database {shown!r} {what}; run: helpdesk-kit db upgrade --url '{shown}'"
            )

    def connect_error(self, exc: DBAPIError) -> ConfigurationError:
        """A ``ConfigurationError`` for a failed connection, password hidden."""
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()
        first = reason[0] if reason else type(exc).__name__
        return ConfigurationError(
            f"cannot connect to the database {redact_url(self.url)!r}: {first}"
        )

    def unit_of_work(self) -> SqlUnitOfWork:
        """Start a unit of work."""
        return SqlUnitOfWork(self)

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"SqlStorage({redact_url(self.url)!r})"
