"""The SQL backend beyond the shared contract: URLs and faults, migrations, query plans, CLI."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from helpdesk_kit.cli import main
from helpdesk_kit.desk import Helpdesk
from helpdesk_kit.errors import ConfigurationError, InvalidInput
from helpdesk_kit.storage.base import TicketFilter
from helpdesk_kit.storage.sql import SqlStorage
from helpdesk_kit.tickets.model import Customer

SQL = ["sqlite", "postgresql"]


def sqlite_url(path: Path) -> str:
    """The URL of a SQLite file."""
    return f"sqlite:///{path}"


@pytest.fixture(params=SQL)
def sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty, migrated database of each SQL kind."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "desk.db")
    return str(request.getfixturevalue("fresh_pg"))


# --------------------------------------------------------------------- URLs and faults


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("mysql://ann:s3cret@db.example/helpdesk", ["unknown storage URL scheme", "mysql"]),
        ("postgresql+asyncpg://ann:s3cret@127.0.0.1/helpdesk", ["driver", "asyncpg"]),
        ("postgresql+psycopg://ann:s3cret@127.0.0.1:1/helpdesk", ["cannot connect"]),
        ("sqlite:////nonexistent-folder/sub/desk.db", ["cannot connect", "nonexistent-folder"]),
        ("not a url", ["not a storage URL"]),
    ],
)
def test_bad_urls_name_the_problem_and_hide_the_password(url: str, words: list[str]) -> None:
    with pytest.raises(ConfigurationError) as info:
        Helpdesk.from_url(url)
    message = str(info.value)
    assert "s3cret" not in message
    for word in words:
        assert word in message
    if "ann:" in url:
        assert "ann:***@" in message


def test_sqlite_is_wal_with_foreign_keys(tmp_path: Path) -> None:
    storage = SqlStorage(sqlite_url(tmp_path / "d.db"))
    try:
        with storage.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    finally:
        storage.close()


def test_in_memory_sqlite_works_across_units_of_work() -> None:
    with Helpdesk.from_url("sqlite://") as desk:
        c = desk.add_customer("A", email="a@example.com")
        assert desk.get_customer(c.id) == c


def test_default_url_is_a_sqlite_file_in_the_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpdesk_kit.desk.service import default_url

    monkeypatch.delenv("HELPDESK_KIT_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    url = default_url()
    assert url == f"sqlite:///{tmp_path / 'data' / 'helpdesk_kit' / 'helpdesk.db'}"
    assert (tmp_path / "data" / "helpdesk_kit").is_dir()
    with Helpdesk.from_url() as desk:
        desk.add_customer("A", email="a@example.com")
    assert (tmp_path / "data" / "helpdesk_kit" / "helpdesk.db").exists()
    monkeypatch.setenv("HELPDESK_KIT_URL", "memory://")
    assert default_url() == "memory://"


def test_postgresql_without_schema_names_the_command(pg_url: str) -> None:
    from helpdesk_kit.storage.sql.isolation import create_schema, drop_schema, new_schema_name

    base = os.environ["HELPDESK_KIT_TEST_DATABASE_URL"]
    schema = new_schema_name("helpdesk_kit_empty")
    url = create_schema(base, schema)
    try:
        with pytest.raises(ConfigurationError) as info:
            Helpdesk.from_url(url)
        assert "helpdesk-kit db upgrade --url" in str(info.value)
        assert "no helpdesk_kit schema" in str(info.value)
        assert main(["db", "current", "--url", url]) == 1
        assert main(["db", "upgrade", "--url", url]) == 0
        assert main(["db", "current", "--url", url]) == 0
        with Helpdesk.from_url(url) as desk:
            assert desk.count_tickets() == 0
    finally:
        drop_schema(base, schema)


def test_sqlite_can_refuse_to_migrate(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="db upgrade"):
        SqlStorage(sqlite_url(tmp_path / "d.db"), migrate=False)


def test_old_schema_is_reported(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "d.db")
    SqlStorage(url).close()
    con = sqlite3.connect(tmp_path / "d.db")
    con.execute("UPDATE alembic_version SET version_num = 'f00d'")
    con.commit()
    con.close()
    with pytest.raises(ConfigurationError, match="newer than this helpdesk_kit"):
        SqlStorage(url)


# --------------------------------------------------------------------- migrations


def test_migrated_schema_equals_the_metadata(sql_url: str) -> None:
    """Alembic's autogenerate comparison finds nothing to change after ``upgrade``."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from helpdesk_kit.storage.sql.migrate import current_revision, head_revision
    from helpdesk_kit.storage.sql.tables import metadata

    storage = SqlStorage(sql_url)
    try:
        with storage.engine.connect() as conn:
            assert current_revision(conn) == head_revision()
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        storage.close()


def test_db_cli_on_a_new_sqlite_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from helpdesk_kit.storage.sql.migrate import head_revision

    url = sqlite_url(tmp_path / "new.db")
    head = head_revision()
    assert main(["db", "upgrade", "--url", url]) == 0
    assert f"schema at revision {head}" in capsys.readouterr().out
    assert main(["db", "current", "--url", url]) == 0
    assert f"revision {head}" in capsys.readouterr().out
    assert main(["db", "current", "--url", "memory://"]) == 1


# --------------------------------------------------------------------- query plans


def _captured(storage: SqlStorage, run: Callable[[], Any]) -> tuple[str, Any]:
    seen: list[tuple[str, Any]] = []

    def grab(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM tickets" in statement:
            seen.append((statement, params))

    event.listen(storage.engine, "before_cursor_execute", grab)
    try:
        run()
    finally:
        event.remove(storage.engine, "before_cursor_execute", grab)
    assert seen, "no ticket query ran"
    return seen[-1]


def _plan(storage: SqlStorage, statement: str, params: Any) -> str:
    raw = storage.engine.raw_connection()
    try:
        cur = raw.cursor()
        if storage.dialect == "postgresql":
            cur.execute("SET enable_seqscan = off")
            cur.execute("EXPLAIN " + statement, params)
            return "\n".join(r[0] for r in cur.fetchall())
        cur.execute("EXPLAIN QUERY PLAN " + statement, params)
        return "\n".join(str(r[-1]) for r in cur.fetchall())
    finally:
        raw.rollback()
        raw.close()


def test_my_open_tickets_and_customer_history_use_indexes(sql_url: str) -> None:
    storage = SqlStorage(sql_url)
    try:
        with storage.unit_of_work() as uow:
            c = uow.customers.add(Customer(name="c", identities=[("email", "c@x.y")]))
            uow.commit()
        # "my open tickets" may use either assignee index: (assignee, status) finds them,
        # (assignee, created_at, id) finds them already in list order.
        cases = {
            ("ix_tickets_assignee_id_status", "ix_tickets_assignee_id_created_at_id"): (
                TicketFilter(assignee_id="a1", status=("open",))
            ),
            ("ix_tickets_customer_id_created_at",): TicketFilter(customer_id=c.id),
        }
        for indexes, flt in cases.items():

            def run(flt: TicketFilter = flt) -> None:
                with storage.unit_of_work() as uow:
                    uow.tickets.list(flt, newest_first=True)

            statement, params = _captured(storage, run)
            plan = _plan(storage, statement, params)
            assert any(index in plan for index in indexes), plan
    finally:
        storage.close()


# --------------------------------------------------------------------- the desk on SQL


def test_desk_round_trip_on_sql(sql_url: str) -> None:
    """The desk's own flow (intake, dedupe, reply, merge, follow-ups) on each database."""
    from helpdesk_kit.clock import FrozenClock
    from helpdesk_kit.tickets.model import Identity, InboundMessage

    clock = FrozenClock()
    with Helpdesk.from_url(sql_url, clock=clock) as desk:
        agent = desk.add_agent("Lin", status="online", max_concurrent=2)
        who = Identity("email", "wang@example.cn")
        first = desk.receive(InboundMessage("email", who, "hi", "Order", external_id="<1@x>"))
        again = desk.receive(InboundMessage("email", who, "hi", "Order", external_id="<1@x>"))
        assert first.created
        assert again.duplicate
        assert again.ticket == first.ticket
        assert first.ticket is not None
        assert first.ticket.assignee_id == agent.id
        clock.advance(minutes=5)
        reply = desk.receive(
            InboundMessage("email", who, "more", "Re", external_id="<2@x>", thread_refs=["<1@x>"])
        )
        assert reply.ticket is not None
        assert reply.ticket.id == first.ticket.id
        other = desk.open_ticket(reply.customer or "", "Second", "text")
        desk.reply(first.ticket, "We are on it", author=agent)
        merged = desk.merge(other, first.ticket, actor=agent)
        f = desk.add_followup(merged, "call back", actor=agent)
        desk.complete_followup(f, actor=agent)
        events = desk.events(merged)
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert len(desk.messages(merged)) == 4
        assert desk.count_tickets() == 1
        assert desk.count_tickets(include_merged=True) == 2
        history = desk.customer_history(first.customer or "")
        assert [t.id for t in history] == [first.ticket.id]


def test_pytest_plugin_storage_fixture(request: pytest.FixtureRequest) -> None:
    """``helpdesk_storage`` gives an empty SQLite or PostgreSQL store for each test."""
    from helpdesk_kit import pytest_plugin

    for spec in SQL:
        if spec == "postgresql" and not os.environ.get("HELPDESK_KIT_TEST_DATABASE_URL"):
            continue
        for _ in range(2):
            gen = pytest_plugin.helpdesk_storage.__wrapped__(_Req(request, spec))  # type: ignore[attr-defined]
            storage = next(gen)
            try:
                desk = Helpdesk(storage=storage)
                assert desk.count_tickets(include_merged=True) == 0
                desk.open_ticket(desk.add_customer("x", email="x@y.z"), "s", "t")
            finally:
                gen.close()


class _Req:
    """A stand-in FixtureRequest with a param, resolving fixtures through the real one."""

    def __init__(self, real: pytest.FixtureRequest, param: str) -> None:
        self.param = param
        self.config = real.config
        self._real = real

    def getfixturevalue(self, name: str) -> Any:
        if name == "helpdesk_postgres_url":
            return self._real.getfixturevalue("pg_url")
        return self._real.getfixturevalue(name)


def test_ticket_numbers_continue_after_reopen(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "d.db")
    with Helpdesk.from_url(url) as desk:
        c = desk.add_customer("a", email="a@b.c")
        numbers = [desk.open_ticket(c, "s", "t").number for _ in range(3)]
    with Helpdesk.from_url(url) as desk:
        numbers.append(desk.open_ticket(c, "s", "t").number)
    assert numbers == [1001, 1002, 1003, 1004]


def test_postgres_text_limits(sql_url: str) -> None:
    """Identity and external ids beyond their documented limits are ``InvalidInput``."""
    from helpdesk_kit.errors import InvalidInput

    storage = SqlStorage(sql_url)
    try:
        with storage.unit_of_work() as uow, pytest.raises(InvalidInput, match="limit is 512"):
            uow.customers.add(Customer(identities=[("wechat", "o" * 513)]))
        with storage.unit_of_work() as uow:
            c = uow.customers.add(Customer(identities=[("wechat", "o" * 512)]))
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.customers.find_by_identity("wechat", "o" * 512) == c
            assert uow.execute(text("SELECT 1")).scalar() == 1
    finally:
        storage.close()


def test_a_hook_can_read_through_the_desk_mid_command(sql_url: str) -> None:
    """A route_ticket hook reading the desk shares the command's transaction: no waiting."""
    from helpdesk_kit.plugins import hookimpl

    seen: list[str] = []

    class Router:
        @hookimpl
        def route_ticket(self, desk: Any, ticket: Any, candidates: Any) -> str | None:
            current = desk.get_ticket(ticket.id)  # not committed yet: visible to a nested unit
            seen.append(current.subject)
            return str(candidates[-1].id)

    with Helpdesk.from_url(sql_url, plugins=[Router()], load_entrypoints=False) as desk:
        desk.add_agent("A", status="online")
        b = desk.add_agent("B", status="online")
        t = desk.open_ticket(desk.add_customer("c", email="c@x.y"), "Hook", "text")
    assert seen == ["Hook"]
    assert t.assignee_id == b.id


@pytest.mark.parametrize("count", [0, 1, 332, 333, 334, 1000])
def test_insert_rows_keeps_every_row_of_every_block(sql_url: str, count: int) -> None:
    """``insert_rows`` reads its rows once, a block at a time (SQLite: 333 rows of three
    columns per statement), and keeps each of them, in order, values as given."""
    storage = SqlStorage(sql_url)
    try:
        with storage.unit_of_work() as uow:
            uow.execute(text("CREATE TEMPORARY TABLE hk_rows (n INTEGER, word TEXT, half REAL)"))
            rows = ((i, f"w{i}" if i % 7 else None, i / 2) for i in range(count))
            uow.insert_rows("hk_rows", ["n", "word", "half"], rows, what="row")
            found = uow.execute(text("SELECT n, word, half FROM hk_rows ORDER BY n")).all()
            uow.execute(text("DROP TABLE hk_rows"))
        assert [tuple(r) for r in found] == [
            (i, f"w{i}" if i % 7 else None, i / 2) for i in range(count)
        ]
        with storage.unit_of_work() as uow, pytest.raises(InvalidInput, match="column"):
            uow.insert_rows("hk_rows", [], [()])
    finally:
        storage.close()
