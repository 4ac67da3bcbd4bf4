"""The SQL storage backend: one SQLAlchemy connection and transaction per unit of work."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Connection, CursorResult, Engine, Executable, NestedTransaction
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import StaticPool

from helpdesk_kit.errors import ConfigurationError, InvalidInput, StorageError
from helpdesk_kit.storage.analytics import AnalyticsRepository
from helpdesk_kit.storage.authority import AuthorityRepository
from helpdesk_kit.storage.automation import AutomationRepository
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
from helpdesk_kit.storage.bot import BotRepository
from helpdesk_kit.storage.channels import ChannelRepository
from helpdesk_kit.storage.escalation import EscalationRepository
from helpdesk_kit.storage.feedback import SurveyRepository
from helpdesk_kit.storage.kb import (
    KbArticleRepository,
    KbCategoryRepository,
    KbFeedbackRepository,
    KbSearchLogRepository,
)
from helpdesk_kit.storage.macros import MacroRepository, TemplateRepository
from helpdesk_kit.storage.routing import RoutingRepository
from helpdesk_kit.storage.sla import SlaTimerRepository
from helpdesk_kit.storage.sql.analytics import SqlAnalytics
from helpdesk_kit.storage.sql.authority import SqlAuthority
from helpdesk_kit.storage.sql.automation import SqlAutomation
from helpdesk_kit.storage.sql.bot import SqlBot
from helpdesk_kit.storage.sql.channels import SqlChannels
from helpdesk_kit.storage.sql.engine import (
    DEFERRED_BEGIN,
    make_engine,
    translate_driver_error,
    translate_error,
)
from helpdesk_kit.storage.sql.escalation import SqlEscalations
from helpdesk_kit.storage.sql.feedback import SqlSurveys
from helpdesk_kit.storage.sql.kb import (
    SqlKbArticles,
    SqlKbCategories,
    SqlKbFeedback,
    SqlKbSearchLog,
)
from helpdesk_kit.storage.sql.macros import SqlMacros, SqlTemplates
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
from helpdesk_kit.storage.sql.routing import SqlRouting
from helpdesk_kit.storage.sql.sla import SqlSlaTimers
from helpdesk_kit.storage.urls import redact_url

__all__ = ["SqlStorage", "SqlUnitOfWork"]

#: the most parameters one SQLite statement takes (its default SQLITE_MAX_VARIABLE_NUMBER
#: before 3.32; later builds take more)
SQLITE_MAX_PARAMS = 999
#: execution options of a statement kept out of SQLAlchemy's statement cache
_UNCACHED: dict[str, Any] = {"compiled_cache": None}


class SqlUnitOfWork:
    """A unit of work on :class:`SqlStorage`: one database transaction.

    A unit of work opened while another one of the same storage is open in the same thread
    (a plugin hook reading through the desk in the middle of a command) shares its
    connection and transaction through a savepoint: it sees the outer one's changes, its
    ``rollback`` undoes only its own, and what it commits lasts when the outer one commits.
    (Its own connection would wait for the outer one's locks for ever.)
    """

    def __init__(self, storage: SqlStorage, *, read_only: bool = False) -> None:
        self.storage = storage
        self.dialect = storage.dialect
        #: it only reads: on SQLite its transaction does not take the write lock
        self.read_only = read_only
        self._conn: Connection | None = None
        self._in_tx = False
        self._outer: SqlUnitOfWork | None = None
        self._savepoint: NestedTransaction | None = None
        self._cursor: Any = None
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
        self.channels: ChannelRepository = SqlChannels(self)
        self.templates: TemplateRepository = SqlTemplates(self)
        self.macros: MacroRepository = SqlMacros(self)
        self.authority: AuthorityRepository = SqlAuthority(self)
        self.kb_categories: KbCategoryRepository = SqlKbCategories(self)
        self.kb_articles: KbArticleRepository = SqlKbArticles(self)
        self.kb_feedback: KbFeedbackRepository = SqlKbFeedback(self)
        self.kb_searches: KbSearchLogRepository = SqlKbSearchLog(self)
        self.sla: SlaTimerRepository = SqlSlaTimers(self)
        self.bot: BotRepository = SqlBot(self)
        self.surveys: SurveyRepository = SqlSurveys(self)
        self.analytics: AnalyticsRepository = SqlAnalytics(self)
        self.escalations: EscalationRepository = SqlEscalations(self)
        self.automation: AutomationRepository = SqlAutomation(self)
        self.routing: RoutingRepository = SqlRouting(self)

    # -- plumbing for the repositories

    @property
    def connection(self) -> Connection:
        """The connection, inside a transaction (begun on first use)."""
        conn = self._conn
        if conn is None:
            raise StorageError("a SQL unit of work is used outside its 'with' block")
        if not self._in_tx:
            try:
                if self._outer is not None:
                    self._outer.connection  # noqa: B018 - the outer transaction must be open
                    self._savepoint = conn.begin_nested()
                else:
                    if self.read_only and self.dialect == "sqlite":
                        conn.info[DEFERRED_BEGIN] = True
                    conn.begin()
            except DBAPIError as exc:
                raise translate_error(exc, "transaction") from exc
            self._in_tx = True
        return conn

    def run(self, sql: str, params: Any = (), *, what: str = "record") -> Any:
        """Run driver-level SQL (``?`` placeholders) on this unit's transaction; a cursor.

        The hot statements of intake skip SQLAlchemy's per-statement machinery (about ten
        times the driver's own cost); they share the connection and transaction.
        """
        conn = self.connection
        cur = self._cursor
        if cur is None:
            cur = self._cursor = self._driver_cursor(conn)
        try:
            cur.execute(self.storage.driver_sql(sql), params)
        except self.storage.driver_error as exc:
            raise translate_driver_error(exc, self.storage.driver_error, what) from exc
        return cur

    def run_many(self, sql: str, rows: Iterable[tuple[Any, ...]], *, what: str = "record") -> None:
        """``executemany`` of driver-level SQL on this unit's transaction (rows read once)."""
        conn = self.connection
        cur = self._cursor
        if cur is None:
            cur = self._cursor = self._driver_cursor(conn)
        try:
            cur.executemany(self.storage.driver_sql(sql), rows)
        except self.storage.driver_error as exc:
            raise translate_driver_error(exc, self.storage.driver_error, what) from exc

    def insert_rows(
        self,
        table: str,
        columns: Sequence[str],
        rows: Iterable[Sequence[Any]],
        *,
        what: str = "record",
    ) -> None:
        """Insert plain rows (read once, a block at a time) into ``table``: on SQLite many
        rows per ``INSERT`` (up to its 999 parameters), elsewhere an ``executemany``.

        SQLite's cost per statement dominates an ``executemany`` of small rows; a block of
        rows per statement costs about half.
        """
        if not columns:
            raise InvalidInput(f"insert_rows into {table} needs at least one column")
        head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
        one = "(" + ", ".join("?" * len(columns)) + ")"
        if self.dialect != "sqlite":
            self.run_many(head + one, (tuple(r) for r in rows), what=what)
            return
        per = max(1, SQLITE_MAX_PARAMS // len(columns))
        full = head + ", ".join([one] * per)
        it = iter(rows)
        while block := list(itertools.islice(it, per)):
            sql = full if len(block) == per else head + ", ".join([one] * len(block))
            self.run(sql, list(itertools.chain.from_iterable(block)), what=what)

    @staticmethod
    def _driver_cursor(conn: Connection) -> Any:
        driver = conn.connection.driver_connection
        assert driver is not None
        return driver.cursor()

    def execute(
        self,
        statement: Executable,
        params: Mapping[str, Any] | list[dict[str, Any]] | None = None,
        *,
        what: str = "record",
        cached: bool = True,
    ) -> CursorResult[Any]:
        """Run a statement in this unit's transaction; driver errors become ours.

        ``cached=False`` keeps it out of SQLAlchemy's statement cache: for statements built
        afresh each time (over temporary tables), which would only push out the entries of
        statements that do repeat and keep their compiled forms alive until evicted.
        """
        conn = self.connection
        try:
            if not cached:
                return conn.execute(statement, params, execution_options=_UNCACHED)
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
        stack = self.storage._open_units()
        if stack:
            outer = stack[-1]
            self._outer = outer
            self._conn = outer._conn
            # one transaction, one view of which rows it holds and which numbers it took
            self.locked, self.last_seq, self.allocated = (
                outer.locked,
                outer.last_seq,
                outer.allocated,
            )
        else:
            try:
                self._conn = self.storage.engine.connect()
            except DBAPIError as exc:
                raise self.storage.connect_error(exc) from exc
        stack.append(self)
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
            stack = self.storage._open_units()
            if stack and stack[-1] is self:
                stack.pop()
            if self._cursor is not None:
                self._cursor.close()
            self._cursor = None
            if self._conn is not None and self._outer is None:
                self._conn.close()
            self._conn = None

    def commit(self) -> None:
        """Commit the transaction; later changes start a new one."""
        if self._conn is None or not self._in_tx:
            return
        if self._savepoint is not None:
            try:
                self._savepoint.commit()
            except DBAPIError as exc:
                raise translate_error(exc, "transaction") from exc
            finally:
                self._savepoint = None
                self._in_tx = False
            return
        try:
            self._conn.commit()
        except DBAPIError as exc:
            self._in_tx = False
            raise translate_error(exc, "transaction") from exc
        finally:
            self._forget()
        self._in_tx = False
        self.storage.after_commit(self._conn)

    def rollback(self) -> None:
        """Roll back everything since the last commit."""
        if self._conn is None or not self._in_tx:
            return
        self._in_tx = False
        # After a rollback (to a savepoint too) cached sequence numbers and row locks taken
        # since may be gone: forget them, the next use asks the database again.
        self._forget()
        try:
            if self._savepoint is not None:
                savepoint, self._savepoint = self._savepoint, None
                savepoint.rollback()
                return
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
        self._local = threading.local()
        self.driver_error: type[Exception] = self.engine.dialect.loaded_dbapi.Error
        self._driver_sql: dict[str, str] = {}
        self._stats_lock = threading.Lock()
        self._bulk_rows = 0
        self._analyze_at = 10_000
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

    def driver_sql(self, sql: str) -> str:
        """``sql`` with ``?`` placeholders in the driver's parameter style (cached)."""
        found = self._driver_sql.get(sql)
        if found is None:
            found = sql.replace("?", "%s") if self.dialect == "postgresql" else sql
            self._driver_sql[sql] = found
        return found

    def note_bulk_rows(self, count: int) -> None:
        """Count rows stored by bulk inserts (see :meth:`after_commit`)."""
        with self._stats_lock:
            self._bulk_rows += count

    def after_commit(self, conn: Connection) -> None:
        """Refresh PostgreSQL's table statistics when bulk inserts have grown the tables.

        The planner picks index scans for intake's lookups from these statistics; during a
        large import they go stale faster than autovacuum (if it is on at all) refreshes
        them. Runs ``ANALYZE`` after 10,000 bulk rows, then each time the count doubles.
        """
        if self.dialect != "postgresql":
            return
        with self._stats_lock:
            if self._bulk_rows < self._analyze_at:
                return
            self._analyze_at = max(self._analyze_at * 2, self._bulk_rows)
        try:
            with conn.begin():
                conn.exec_driver_sql(
                    "ANALYZE tickets, messages, events, customers, customer_identities"
                )
        except DBAPIError as exc:
            raise translate_error(exc, "table statistics") from exc

    def unit_of_work(self) -> SqlUnitOfWork:
        """Start a unit of work."""
        return SqlUnitOfWork(self)

    def reader(self) -> SqlUnitOfWork | None:
        """A unit of work that only reads, for another thread while units of work are open:
        on a connection of its own and, on SQLite, without the write lock (it reads the
        last committed state as it begins). None for an in-memory SQLite database (one
        connection shared by every unit of work)."""
        if isinstance(self.engine.pool, StaticPool):
            return None
        return SqlUnitOfWork(self, read_only=True)

    def _open_units(self) -> list[SqlUnitOfWork]:
        """The units of work open in this thread, outermost first."""
        stack: list[SqlUnitOfWork] | None = getattr(self._local, "stack", None)
        if stack is None:
            stack = self._local.stack = []
        return stack

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"SqlStorage({redact_url(self.url)!r})"
