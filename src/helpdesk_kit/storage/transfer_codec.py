"""The table rows of an export: which tables travel, and their values as JSON.

An export (format 2) is table-driven: every table on the SQL ``metadata`` travels as rows,
in foreign-key order, except the tables named in :data:`DERIVED_TABLES` (rebuilt after an
import) and :data:`TRANSIENT_TABLES` (rows that carry no data). The ``ticket_number`` row of
``counters`` is not copied as a row either: the next ticket number travels as a
``sequence`` record, because PostgreSQL keeps it in a sequence and SQLite in that row.

Values are encoded by column type, the same way whichever backend wrote them: datetimes as
ISO 8601 in UTC, dates as ISO dates, JSON columns as JSON, the rest as JSON scalars.
Decoding checks every value against its column (type, length, NULL), so a bad line is an
``InvalidInput`` that names the line before anything reaches a database.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import JSON, Boolean, Column, Date, Float, Integer, String, Table

from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.storage.sql.tables import UTCDateTime, metadata

__all__ = [
    "DERIVED_TABLES",
    "TICKET_COUNTER",
    "TRANSIENT_TABLES",
    "decode_row",
    "encode_row",
    "self_references",
    "transferred_tables",
]

#: Tables rebuilt after an import instead of copied: KPI facts are derived from tickets,
#: events and surveys; an import marks every ticket it stores for a KPI refresh.
DERIVED_TABLES = frozenset(
    {"kpi_tickets", "kpi_replies", "kpi_ratings", "kpi_bot_topics", "kpi_dirty"}
)

#: Tables whose rows hold no data: authority limit checks lock one (actor, action) row each,
#: created on first use.
TRANSIENT_TABLES = frozenset({"authority_locks"})

#: The ``counters`` row that numbers tickets on SQLite (a sequence on PostgreSQL); it travels
#: as the ``sequence`` record instead.
TICKET_COUNTER = "ticket_number"


def transferred_tables() -> list[Table]:
    """The tables an export holds, parents before children (foreign-key order)."""
    skip = DERIVED_TABLES | TRANSIENT_TABLES
    return [t for t in metadata.sorted_tables if t.name not in skip]


def self_references(table: Table) -> list[str]:
    """Columns of ``table`` with a foreign key to ``table`` itself (a tree, like categories)."""
    return [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]


def _encode(column: Column[Any], value: Any) -> Any:
    if value is None:
        return None
    kind = column.type
    if isinstance(value, Enum):
        value = value.value
    if isinstance(kind, UTCDateTime):
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise InvalidInput(f"{column.table.name}.{column.name}: {value!r} is not aware")
        return value.astimezone(UTC).isoformat()
    if isinstance(kind, Date):
        return value.isoformat()
    if isinstance(kind, Boolean):
        return bool(value)
    if isinstance(kind, Integer):
        return int(value)
    if isinstance(kind, Float):
        return float(value)
    return value


def encode_row(table: Table, row: Mapping[Any, Any]) -> dict[str, Any]:
    """The JSON values of a row of ``table`` (every column, in column order)."""
    return {c.name: _encode(c, row.get(c.name)) for c in table.columns}


def _bad(line_no: int, table: Table, column: Column[Any], why: str) -> InvalidInput:
    return InvalidInput(f"line {line_no}: {table.name}.{column.name} {why}")


def _decode(line_no: int, table: Table, column: Column[Any], value: Any) -> Any:
    if value is None:
        if not column.nullable:
            raise _bad(line_no, table, column, "must not be null")
        return None
    kind = column.type
    if isinstance(kind, JSON):
        return value
    if isinstance(kind, UTCDateTime):
        try:
            found = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise _bad(line_no, table, column, f"is not an ISO datetime: {value!r}") from None
        if found.tzinfo is None:
            raise _bad(line_no, table, column, f"has no time zone: {value!r}")
        return found.astimezone(UTC)
    if isinstance(kind, Date):
        try:
            return date.fromisoformat(value)
        except (TypeError, ValueError):
            raise _bad(line_no, table, column, f"is not an ISO date: {value!r}") from None
    if isinstance(kind, Boolean):
        if not isinstance(value, bool):
            raise _bad(line_no, table, column, f"must be true or false, got {value!r}")
        return value
    if isinstance(kind, Integer):
        if not isinstance(value, int) or isinstance(value, bool):
            raise _bad(line_no, table, column, f"must be an integer, got {value!r}")
        return value
    if isinstance(kind, Float):
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise _bad(line_no, table, column, f"must be a number, got {value!r}")
        return float(value)
    if isinstance(kind, String):  # Text is a String
        if not isinstance(value, str):
            raise _bad(line_no, table, column, f"must be a string, got {value!r}")
        if kind.length is not None and len(value) > kind.length:
            raise _bad(
                line_no, table, column, f"is {len(value)} characters long (limit {kind.length})"
            )
        return value
    return value


def decode_row(table: Table, data: Any, line_no: int) -> dict[str, Any]:
    """The Python values of an exported row, checked column by column.

    A column missing from the row (a file written before the column existed) is NULL when
    the column allows it; an unknown column or a wrong value is ``InvalidInput``.
    """
    if not isinstance(data, dict):
        raise InvalidInput(f"line {line_no}: a {table.name} row must be a JSON object")
    unknown = sorted(set(data) - set(table.columns.keys()))
    if unknown:
        raise InvalidInput(f"line {line_no}: table {table.name} has no column(s) {unknown}")
    return {c.name: _decode(line_no, table, c, data.get(c.name)) for c in table.columns}
