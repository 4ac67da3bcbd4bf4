"""Export and import of a whole desk as JSON Lines, streaming: every stored table.

The first line is a header ``{"type": "helpdesk_kit", "format": 2}``; the second the next
ticket number (``{"type": "sequence", "name": "ticket_number", "next": 1009}``); then one
line per row of every table of the SQL schema, in foreign-key order (parents first), each
table's rows in primary-key order::

    {"data": {"id": "01J...", "name": "after-sales", ...}, "table": "groups", "type": "row"}

The rows are the SQL tables' rows whichever backend wrote them (memory storage lists its
records as those rows), so an export moves between any two backends (memory, SQLite,
PostgreSQL) and a table a feature adds later travels without changes here. KPI facts are
not copied but rebuilt; see :mod:`helpdesk_kit.storage.transfer_codec`.

Import stores the whole file in one unit of work (one database transaction): a bad line
(``InvalidInput`` naming it) or a record that is already stored (``AlreadyExists``) leaves
the target exactly as it was. Files of format 1 (core records only) still import.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import IO, Any, Protocol

import attrs

from helpdesk_kit.errors import ConfigurationError, InvalidInput
from helpdesk_kit.storage.base import Storage, UnitOfWork
from helpdesk_kit.storage.transfer_codec import decode_row, transferred_tables
from helpdesk_kit.tickets.model import (
    Agent,
    AttachmentMeta,
    Customer,
    FollowUp,
    Group,
    Message,
    Ticket,
    TicketEvent,
)

__all__ = ["FORMAT", "FORMATS", "TransferCounts", "export_jsonl", "import_jsonl", "iter_records"]

#: The format :func:`export_jsonl` writes.
FORMAT = 2
#: The formats :func:`import_jsonl` reads (1: core records only, before every table travelled).
FORMATS = (1, 2)
_BATCH = 500


@attrs.define
class TransferCounts:
    """How many records of each type (table) were written or read."""

    counts: dict[str, int] = attrs.field(factory=dict)

    def add(self, kind: str, n: int = 1) -> None:
        """Count ``n`` records of ``kind``."""
        self.counts[kind] = self.counts.get(kind, 0) + n

    def __str__(self) -> str:
        return ", ".join(f"{n} {k}" for k, n in sorted(self.counts.items())) or "nothing"


def _rows(storage: Storage) -> Iterator[tuple[str, Any]]:
    from helpdesk_kit.storage.memory import MemoryStorage
    from helpdesk_kit.storage.sql.storage import SqlStorage

    if isinstance(storage, SqlStorage):
        from helpdesk_kit.storage.transfer_sql import sql_rows

        return sql_rows(storage)
    if isinstance(storage, MemoryStorage):
        from helpdesk_kit.storage.transfer_memory import memory_rows

        return memory_rows(storage)
    raise ConfigurationError(
        f"export and import work on memory and SQL storage, not on {storage!r}"
    )


def iter_records(storage: Storage) -> Iterator[tuple[str, str]]:
    """Every record of ``storage`` as (type or table name, JSON line without newline)."""
    yield "helpdesk_kit", json.dumps({"type": "helpdesk_kit", "format": FORMAT})
    for name, row in _rows(storage):
        if name == "sequence":
            line = {"type": "sequence", "name": "ticket_number", "next": row}
        else:
            line = {"type": "row", "table": name, "data": row}
        yield name, json.dumps(line, ensure_ascii=False, sort_keys=True)


def export_jsonl(storage: Storage, out: IO[str]) -> TransferCounts:
    """Write every record of ``storage`` to ``out`` as JSON Lines; the rows per table."""
    counts = TransferCounts()
    for kind, line in iter_records(storage):
        if kind not in ("helpdesk_kit", "sequence"):
            counts.add(kind)
        out.write(line + "\n")
    return counts


class _Loader(Protocol):
    def add(self, table: Any, row: dict[str, Any], line_no: int) -> None: ...

    def set_next_ticket_number(self, number: int) -> None: ...

    def finish(self) -> None: ...


def _loader(storage: Storage, uow: Any, batch_size: int) -> _Loader:
    from helpdesk_kit.storage.memory import MemoryStorage
    from helpdesk_kit.storage.sql.storage import SqlStorage

    if isinstance(storage, SqlStorage):
        from helpdesk_kit.storage.transfer_sql import SqlLoader

        return SqlLoader(uow, batch_size=batch_size)
    if isinstance(storage, MemoryStorage):
        from helpdesk_kit.storage.transfer_memory import MemoryLoader

        return MemoryLoader(uow)
    raise ConfigurationError(
        f"export and import work on memory and SQL storage, not on {storage!r}"
    )


def _records(lines: Iterable[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    for line_no, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except ValueError:
            raise InvalidInput(f"line {line_no}: not a JSON record with a 'type'") from None
        if not isinstance(record, dict) or not isinstance(record.get("type"), str):
            raise InvalidInput(f"line {line_no}: not a JSON record with a 'type'")
        yield line_no, record


def import_jsonl(
    storage: Storage, lines: Iterable[str], *, batch_size: int = _BATCH
) -> TransferCounts:
    """Store the records of an export into ``storage`` (best an empty one), all or nothing.

    Everything is stored in one unit of work, ``batch_size`` rows of a table per statement.
    ``InvalidInput`` names the line of a bad record; a record that is already stored is
    ``AlreadyExists``. Either way nothing of the file is stored.
    """
    records = _records(lines)
    first = next(records, None)
    if first is None or first[1].get("type") != "helpdesk_kit":
        raise InvalidInput("not a helpdesk_kit export: the first line is not its header")
    line_no, header = first
    if header.get("format") not in FORMATS:
        raise InvalidInput(
            f"line {line_no}: export format {header.get('format')!r} is not one of {FORMATS}"
        )
    with storage.unit_of_work() as uow:
        if header["format"] == 1:
            counts = _import_v1(uow, records, batch_size)
        else:
            counts = _import_rows(_loader(storage, uow, batch_size), records)
        uow.commit()
    return counts


def _import_rows(loader: _Loader, records: Iterator[tuple[int, dict[str, Any]]]) -> TransferCounts:
    counts = TransferCounts()
    tables = {t.name: t for t in transferred_tables()}
    for line_no, record in records:
        kind = record["type"]
        if kind == "row":
            table = tables.get(record.get("table"))  # type: ignore[arg-type]
            if table is None:
                raise InvalidInput(f"line {line_no}: unknown table {record.get('table')!r}")
            loader.add(table, decode_row(table, record.get("data"), line_no), line_no)
            counts.add(table.name)
        elif kind == "sequence" and record.get("name") == "ticket_number":
            number = record.get("next")
            if not isinstance(number, int) or isinstance(number, bool) or number < 1:
                raise InvalidInput(f"line {line_no}: the next ticket number must be >= 1")
            loader.set_next_ticket_number(number)
        else:
            raise InvalidInput(f"line {line_no}: unknown record type {kind!r}")
    loader.finish()
    return counts


# ------------------------------------------------------------------------ format 1


def _revive(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$dt"}:
            return datetime.fromisoformat(value["$dt"])
        return {k: _revive(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_revive(v) for v in value]
    return value


_BUILD = {
    "group": Group,
    "agent": Agent,
    "customer": Customer,
    "ticket": Ticket,
    "message": Message,
    "event": TicketEvent,
    "followup": FollowUp,
}


def _build(kind: str, data: dict[str, Any], line_no: int) -> Any:
    cls = _BUILD.get(kind)
    if cls is None:
        raise InvalidInput(f"line {line_no}: unknown record type {kind!r}")
    try:
        values = _revive(data)
        if kind == "message":
            values["attachments"] = [AttachmentMeta(**a) for a in values.get("attachments", [])]
        return cls(**values)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"line {line_no}: not a valid {kind} record: {exc}") from None


def _store(uow: UnitOfWork, kind: str, batch: list[Any]) -> None:
    if kind == "group":
        for g in batch:
            uow.groups.add(g)
    elif kind == "agent":
        for a in batch:
            uow.agents.add(a)
    elif kind == "customer":
        uow.customers.add_many(batch)
    elif kind == "ticket":
        uow.tickets.add_many(batch)
        uow.analytics.mark_dirty([t.id for t in batch])
    elif kind == "message":
        uow.messages.add_many(batch)
    elif kind == "event":
        stored = uow.events.append(batch)
        for original, numbered in zip(batch, stored, strict=True):
            if original.seq and original.seq != numbered.seq:
                raise InvalidInput(
                    f"event {original.id}: its ticket's trail is not complete in the file "
                    f"(seq {original.seq} would become {numbered.seq})"
                )
    else:
        for f in batch:
            uow.followups.add(f)


def _import_v1(
    uow: UnitOfWork, records: Iterator[tuple[int, dict[str, Any]]], batch_size: int
) -> TransferCounts:
    """Format 1: core records (groups, agents, customers, tickets, messages, events, ...)."""
    counts = TransferCounts()
    kind_now: str | None = None
    batch: list[Any] = []
    for line_no, record in records:
        kind = record["type"]
        obj = _build(kind, record.get("data") or {}, line_no)
        if kind != kind_now or len(batch) >= batch_size:
            if batch and kind_now is not None:
                _store(uow, kind_now, batch)
                counts.add(kind_now, len(batch))
            batch = []
            kind_now = kind
        batch.append(obj)
    if batch and kind_now is not None:
        _store(uow, kind_now, batch)
        counts.add(kind_now, len(batch))
    return counts
