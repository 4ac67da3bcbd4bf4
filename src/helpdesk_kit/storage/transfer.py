"""Export and import of a whole desk as JSON Lines, through the storage port, streaming.

Each line is one record: ``{"type": "customer", "data": {...}}``. The first line is a header
``{"type": "helpdesk_kit", "format": 1}``. Records come in an order that import can replay
(groups, agents, customers, then per ticket page: tickets, their messages, events and
follow-ups), so import never holds more than one batch in memory, and export never more than
one page. Works between any two backends (SQLite to PostgreSQL, memory to SQLite, ...).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import IO, Any

import attrs

from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.storage.base import Storage, TicketFilter, UnitOfWork
from helpdesk_kit.tickets.model import (
    Agent,
    AttachmentMeta,
    Customer,
    FollowUp,
    Group,
    Identity,
    Message,
    Ticket,
    TicketEvent,
)

__all__ = ["FORMAT", "TransferCounts", "export_jsonl", "import_jsonl", "iter_records"]

FORMAT = 1
_TICKET_PAGE = 200
_BATCH = 500


@attrs.define
class TransferCounts:
    """How many records of each type were written or read."""

    counts: dict[str, int] = attrs.field(factory=dict)

    def add(self, kind: str, n: int = 1) -> None:
        """Count ``n`` records of ``kind``."""
        self.counts[kind] = self.counts.get(kind, 0) + n

    def __str__(self) -> str:
        return ", ".join(f"{n} {k}(s)" for k, n in sorted(self.counts.items())) or "nothing"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, frozenset | set):
        return sorted(value)
    if isinstance(value, Identity):
        return [value.kind, value.value]
    if isinstance(value, AttachmentMeta):
        return attrs.asdict(value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "value") and isinstance(getattr(value, "value", None), str):
        return value.value  # enums
    return value


def _revive(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$dt"}:
            return datetime.fromisoformat(value["$dt"])
        return {k: _revive(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_revive(v) for v in value]
    return value


def _record(kind: str, obj: Any) -> tuple[str, str]:
    data = {f.name: _plain(getattr(obj, f.name)) for f in attrs.fields(type(obj))}
    return kind, json.dumps({"type": kind, "data": data}, ensure_ascii=False, sort_keys=True)


def iter_records(storage: Storage) -> Iterator[tuple[str, str]]:
    """Every record of ``storage`` as (type, JSON line without newline), streaming."""
    yield "helpdesk_kit", json.dumps({"type": "helpdesk_kit", "format": FORMAT})
    with storage.unit_of_work() as uow:
        groups = uow.groups.list()
        agents = uow.agents.list()
    for g in groups:
        yield _record("group", g)
    for a in agents:
        yield _record("agent", a)
    after: str | None = None
    while True:
        with storage.unit_of_work() as uow:
            customers = uow.customers.list(limit=_BATCH, after=after)
        if not customers:
            break
        for c in customers:
            yield _record("customer", c)
        after = customers[-1].id
    cursor: str | None = None
    everything = TicketFilter(include_merged=True)
    while True:
        with storage.unit_of_work() as uow:
            page = uow.tickets.list(everything, limit=_TICKET_PAGE, after=cursor)
            lines = []
            for t in page.items:
                lines.append(_record("ticket", t))
            for t in page.items:
                lines += [_record("message", m) for m in uow.messages.list_for_ticket(t.id)]
                lines += [_record("event", e) for e in uow.events.list_for_ticket(t.id)]
                lines += [_record("followup", f) for f in uow.followups.list_for_ticket(t.id)]
        yield from lines
        if page.next_cursor is None:
            break
        cursor = page.next_cursor


def export_jsonl(storage: Storage, out: IO[str]) -> TransferCounts:
    """Write every record of ``storage`` to ``out`` as JSON Lines."""
    counts = TransferCounts()
    for kind, line in iter_records(storage):
        if kind != "helpdesk_kit":
            counts.add(kind)
        out.write(line + "\n")
    return counts


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


def import_jsonl(
    storage: Storage, lines: Iterable[str], *, batch_size: int = _BATCH
) -> TransferCounts:
    """Store the records of an export into ``storage`` (best into an empty one).

    Records are stored in batches of the same type, each batch in one unit of work; a record
    that already exists is an ``AlreadyExists`` error naming it.
    """
    counts = TransferCounts()
    kind_now: str | None = None
    batch: list[Any] = []
    header_seen = False

    def flush() -> None:
        if batch and kind_now is not None:
            with storage.unit_of_work() as uow:
                _store(uow, kind_now, batch)
                uow.commit()
            counts.add(kind_now, len(batch))
            batch.clear()

    for line_no, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
            kind, data = record["type"], record.get("data")
        except (ValueError, KeyError, TypeError):
            raise InvalidInput(f"line {line_no}: not a JSON record with a 'type'") from None
        if kind == "helpdesk_kit":
            if record.get("format") != FORMAT:
                raise InvalidInput(
                    f"line {line_no}: export format {record.get('format')!r} is not {FORMAT}"
                )
            header_seen = True
            continue
        if not header_seen:
            raise InvalidInput("not a helpdesk_kit export: the first line is not its header")
        obj = _build(kind, data or {}, line_no)
        if kind != kind_now or len(batch) >= batch_size:
            flush()
            kind_now = kind
        batch.append(obj)
    flush()
    return counts
