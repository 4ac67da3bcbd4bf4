"""Export and import on SQL storage, table by table from the schema's ``metadata``.

Export reads every transferred table in one read-only transaction (a snapshot: repeatable
read on PostgreSQL, SQLite's read transaction), streaming each table in primary-key order
(byte order of text keys on both databases, so SQLite and PostgreSQL export the same lines).
Import writes in one transaction: batches of one table are inserted with ``executemany``;
a failure anywhere rolls the whole import back. Tables added later are covered without code
here: they are on ``metadata``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, String, Table, and_, func, insert, select, text, update

from helpdesk_kit.errors import HelpdeskError
from helpdesk_kit.storage.sql.tables import counters, tickets
from helpdesk_kit.storage.transfer_codec import (
    TICKET_COUNTER,
    encode_row,
    self_references,
    transferred_tables,
)

if TYPE_CHECKING:
    from helpdesk_kit.storage.sql.storage import SqlStorage, SqlUnitOfWork

__all__ = ["SqlLoader", "sql_rows"]

_PAGE = 1000


def _order(uow: SqlUnitOfWork, column: Column[Any]) -> Any:
    if uow.dialect == "postgresql" and isinstance(column.type, String):
        return column.collate("C")
    return column


def next_ticket_number(uow: SqlUnitOfWork) -> int:
    """The number the next new ticket would get (nothing is allocated)."""
    if uow.dialect == "postgresql":
        found: Any = uow.execute(text("SELECT last_value, is_called FROM ticket_number_seq"))
        last, called = found.one()
        return int(last) + (1 if called else 0)
    found = uow.execute(select(counters.c.value).where(counters.c.name == TICKET_COUNTER)).scalar()
    return uow.storage.first_ticket_number if found is None else int(found)


def sql_rows(storage: SqlStorage) -> Iterator[tuple[str, Any]]:
    """``("sequence", next ticket number)`` then ``(table name, JSON row)`` of every table."""
    with storage.unit_of_work() as uow:
        if uow.dialect == "postgresql":
            uow.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
        yield "sequence", next_ticket_number(uow)
        for table in transferred_tables():
            q = select(table).order_by(*(_order(uow, c) for c in table.primary_key.columns))
            if table is counters:
                q = q.where(counters.c.name != TICKET_COUNTER)
            result = uow.execute(q.execution_options(yield_per=_PAGE), what=table.name)
            for row in result.mappings():
                yield table.name, encode_row(table, row)


class SqlLoader:
    """Stores decoded rows in one SQL unit of work, a batch of one table at a time."""

    def __init__(self, uow: SqlUnitOfWork, *, batch_size: int) -> None:
        self._uow = uow
        self._batch_size = batch_size
        self._table: Table | None = None
        self._rows: list[dict[str, Any]] = []
        self._lines: tuple[int, int] = (0, 0)
        #: rows whose self-references are set once their whole table is stored
        self._links: list[tuple[dict[str, Any], dict[str, Any]]] = []
        self._links_table: Table | None = None
        self._next_number: int | None = None

    def add(self, table: Table, row: dict[str, Any], line_no: int) -> None:
        """Queue a row of ``table`` (read from line ``line_no``)."""
        if table is not self._table or len(self._rows) >= self._batch_size:
            self._flush()
            if table is not self._table:
                self._link()
            self._table = table
            self._lines = (line_no, line_no)
        refs = self_references(table)
        if refs and any(row[r] is not None for r in refs):
            key = {c.name: row[c.name] for c in table.primary_key.columns}
            self._links.append((key, {r: row[r] for r in refs}))
            self._links_table = table
            row = {**row, **dict.fromkeys(refs)}
        self._rows.append(row)
        self._lines = (self._lines[0], line_no)

    def set_next_ticket_number(self, number: int) -> None:
        """Remember the source's next ticket number (applied by :meth:`finish`)."""
        self._next_number = number

    def _where(self, what: str, exc: HelpdeskError) -> HelpdeskError:
        first, last = self._lines
        where = f"line {first}" if first == last else f"lines {first}-{last}"
        exc.add_note(f"while storing {what} from {where} of the export")
        return exc

    def _flush(self) -> None:
        table, rows = self._table, self._rows
        if table is None or not rows:
            return
        try:
            self._uow.execute(insert(table), rows, what=f"{table.name} row")
        except HelpdeskError as exc:
            raise self._where(table.name, exc) from None
        if table is tickets:
            self._uow.analytics.mark_dirty([r["id"] for r in rows])
        self._rows = []

    def _link(self) -> None:
        table, links = self._links_table, self._links
        if table is None or not links:
            return
        for key, values in links:
            cond = and_(*(table.c[k] == v for k, v in key.items()))
            try:
                self._uow.execute(update(table).where(cond).values(**values), what=table.name)
            except HelpdeskError as exc:
                raise self._where(f"{table.name} links", exc) from None
        self._links, self._links_table = [], None

    def finish(self) -> None:
        """Store what is queued, set self-references, and move the ticket numbering on."""
        self._flush()
        self._link()
        top = self._uow.execute(select(func.max(tickets.c.number))).scalar()
        wanted = max(self._next_number or 0, 0 if top is None else int(top) + 1)
        if wanted and wanted > next_ticket_number(self._uow):
            if self._uow.dialect == "postgresql":
                self._uow.execute(
                    text("SELECT setval('ticket_number_seq', :n, true)"), {"n": wanted - 1}
                )
            else:
                c = counters.c
                moved = self._uow.execute(
                    update(counters).where(c.name == TICKET_COUNTER).values(value=wanted)
                )
                if moved.rowcount == 0:
                    self._uow.execute(insert(counters), {"name": TICKET_COUNTER, "value": wanted})
