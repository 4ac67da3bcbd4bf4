"""The repositories of the SQL backend: SQLAlchemy Core statements over ``tables``."""

from __future__ import annotations

import builtins
import functools
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import attrs
from sqlalchemy import (
    Boolean,
    ColumnElement,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from helpdesk_kit.clock import to_utc
from helpdesk_kit.errors import AlreadyExists, ConcurrencyConflict, InvalidInput, NotFound
from helpdesk_kit.storage.base import DEFAULT_LEASE, DueItem, Page, TicketFilter
from helpdesk_kit.storage.cursor import decode_cursor, encode_cursor
from helpdesk_kit.storage.sql import rows as R
from helpdesk_kit.storage.sql.tables import (
    UTCDateTime,
    agent_groups,
    agents,
    attachments,
    counters,
    customer_identities,
    customers,
    due_items,
    events,
    followups,
    groups,
    messages,
    tickets,
)
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

if TYPE_CHECKING:
    from helpdesk_kit.storage.sql.storage import SqlUnitOfWork

__all__ = [
    "SqlAgents",
    "SqlCustomers",
    "SqlDue",
    "SqlEvents",
    "SqlFollowUps",
    "SqlGroups",
    "SqlMessages",
    "SqlTickets",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_COUNTER = "ticket_number"

# Statements built once; executions reuse SQLAlchemy's compiled cache.
_OWNER_OF = select(customer_identities.c.customer_id).where(
    customer_identities.c.kind == bindparam("kind"),
    customer_identities.c.value == bindparam("value"),
)
_EVENTS_OF = select(events).where(events.c.ticket_id == bindparam("id")).order_by(events.c.seq)


def _micros_to_dt(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def _sqlite_dt(value: datetime | None) -> str | None:
    """The text SQLAlchemy's SQLite DateTime stores: fixed-width, UTC, microseconds."""
    if value is None:
        return None
    return _sqlite_dt_text(value)


@functools.lru_cache(maxsize=256)
def _sqlite_dt_text(value: datetime) -> str:
    # A batch's rows mostly share one instant (the command's ``now``): format it once.
    d = value.astimezone(UTC)
    return (
        f"{d.year:04d}-{d.month:02d}-{d.day:02d} "
        f"{d.hour:02d}:{d.minute:02d}:{d.second:02d}.{d.microsecond:06d}"
    )


def _pg_dt(value: datetime | None) -> datetime | None:
    return None if value is None else to_utc(value)


def _sqlite_json(value: Any) -> str:
    if not value:  # most tags, participants and custom fields are empty
        return "[]" if isinstance(value, list) else "{}"
    return json.dumps(value)


def _pg_json(value: Any) -> Any:
    from psycopg.types.json import Jsonb

    return Jsonb(value)


_Plan = tuple[str, list[str], list[tuple[int, Callable[[Any], Any]]]]
_FAST: dict[tuple[str, str], _Plan] = {}


def _fast_plan(table: Any, dialect: str) -> _Plan:
    """The driver-level INSERT for ``table``, its columns, and the encoders by position."""
    key = (table.name, dialect)
    plan = _FAST.get(key)
    if plan is None:
        mark = "?"  # SqlUnitOfWork.run turns it into the driver's style
        names = [c.name for c in table.c]
        sql = (
            f"INSERT INTO {table.name} ({', '.join(names)}) "
            f"VALUES ({', '.join([mark] * len(names))})"
        )
        special: list[tuple[int, Callable[[Any], Any]]] = []
        for i, c in enumerate(table.c):
            if isinstance(c.type, UTCDateTime):
                special.append((i, _pg_dt if dialect == "postgresql" else _sqlite_dt))
            elif c.name in _JSON_COLUMNS:
                special.append((i, _pg_json if dialect == "postgresql" else _sqlite_json))
        plan = _FAST[key] = (sql, names, special)
    return plan


_Decoders = tuple[list[str], list[tuple[int, Callable[[Any], Any]]]]
_DECODE: dict[tuple[str, str], _Decoders] = {}


@functools.lru_cache(maxsize=256)
def _sqlite_dt_parse(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _sqlite_dt_in(value: Any) -> datetime | None:
    return None if value is None else _sqlite_dt_parse(value)


def _pg_dt_in(value: Any) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def _sqlite_json_in(value: Any) -> Any:
    if value == "[]":
        return []
    if value == "{}":
        return {}
    return json.loads(value)


def _decoders(table: Any, dialect: str) -> _Decoders:
    """Column names of ``table`` and how to turn driver values into Python ones, by position."""
    key = (table.name, dialect)
    found = _DECODE.get(key)
    if found is None:
        special: list[tuple[int, Callable[[Any], Any]]] = []
        for i, c in enumerate(table.c):
            if isinstance(c.type, UTCDateTime):
                special.append((i, _pg_dt_in if dialect == "postgresql" else _sqlite_dt_in))
            elif c.name in _JSON_COLUMNS and dialect != "postgresql":
                special.append((i, _sqlite_json_in))
            elif isinstance(c.type, Boolean) and dialect != "postgresql":
                special.append((i, bool))
        found = _DECODE[key] = ([c.name for c in table.c], special)
    return found


def _decode(table: Any, dialect: str, row: Sequence[Any]) -> dict[str, Any]:
    """A driver row (the table's columns first, in order) as a name -> value mapping."""
    names, special = _decoders(table, dialect)
    values = list(row[: len(names)])
    for i, dec in special:
        values[i] = dec(values[i])
    return dict(zip(names, values, strict=True))


def _columns(table: Any, alias: str | None = None) -> str:
    """``t.a, t.b, ...``: every column of ``table`` in order, for driver-level SELECTs."""
    prefix = alias or table.name
    return ", ".join(f"{prefix}.{c.name}" for c in table.c)


_JSON_COLUMNS = frozenset(
    {"tags", "attributes", "skills", "languages", "participants", "custom_fields", "data"}
)


# Driver-level statements of the hot paths (``?`` placeholders; see SqlUnitOfWork.run).
_SQL_CUSTOMER = (
    f"SELECT {_columns(customers, 'c')}, i.kind, i.value FROM customers c "
    "LEFT JOIN customer_identities i ON i.customer_id = c.id WHERE c.id = ? ORDER BY i.position"
)
_SQL_CUSTOMER_BY_IDENTITY = (
    f"SELECT {_columns(customers, 'c')}, i.kind, i.value FROM customer_identities w "
    "JOIN customers c ON c.id = w.customer_id "
    "JOIN customer_identities i ON i.customer_id = c.id "
    "WHERE w.kind = ? AND w.value = ? ORDER BY i.position"
)
_SQL_TICKET_BY_ID = f"SELECT {_columns(tickets)} FROM tickets WHERE id = ?"
_SQL_TICKET_BY_NUMBER = f"SELECT {_columns(tickets)} FROM tickets WHERE number = ?"
_UPDATE_NAMES = [c.name for c in tickets.c if c.name not in ("id", "number")]
_SQL_UPDATE_TICKET = (
    "UPDATE tickets SET "
    + ", ".join(f"{n} = ?" for n in _UPDATE_NAMES)
    + " WHERE id = ? AND version = ? AND number = ?"
)
_SQL_AGENTS = f"SELECT {_columns(agents)} FROM agents ORDER BY name, id"
_SQL_AGENTS_OF_GROUP = (
    f"SELECT {_columns(agents)} FROM agents WHERE EXISTS (SELECT 1 FROM agent_groups g "
    "WHERE g.agent_id = agents.id AND g.group_id = ?) ORDER BY name, id"
)
_SQL_MESSAGE_BY_EXTERNAL = (
    f"SELECT {_columns(messages)} FROM messages WHERE channel = ? AND external_id = ?"
)


def _update_encoders(dialect: str) -> list[tuple[int, Callable[[Any], Any]]]:
    """Encoders for the SET values of ``_SQL_UPDATE_TICKET``, by position."""
    _, names, special = _fast_plan(tickets, dialect)
    by_name = {names[i]: enc for i, enc in special}
    return [(i, by_name[n]) for i, n in enumerate(_UPDATE_NAMES) if n in by_name]


class _Repo:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def _insert_many(self, table: Any, rows: Sequence[Mapping[str, Any]], what: str) -> None:
        """Insert many rows with one driver ``executemany`` (the bulk-intake hot path).

        Values are encoded here the way the column types would (UTC text or timestamptz,
        JSON), skipping SQLAlchemy's per-row parameter processing.
        """
        if not rows:
            return
        sql, names, special = _fast_plan(table, self._uow.dialect)
        params = []
        for row in rows:
            values = [row[name] for name in names]
            for i, enc in special:
                values[i] = enc(values[i])
            params.append(tuple(values))
        self._uow.run_many(sql, params, what=what)
        self._uow.storage.note_bulk_rows(len(params))

    def _insert(self, table: Any) -> Any:
        """``INSERT ... ON CONFLICT DO NOTHING RETURNING key``: no row back means a conflict.

        A conflict leaves the transaction usable (a PostgreSQL error would abort it), and a
        concurrent insert of the same key waits for the other transaction to finish first.
        """
        key = next(iter(table.primary_key.columns))
        if self._uow.dialect == "postgresql":
            return postgresql.insert(table).on_conflict_do_nothing().returning(key)
        return sqlite.insert(table).on_conflict_do_nothing().returning(key)

    def _inserted(self, table: Any, row: Mapping[str, Any], what: str) -> bool:
        """Insert one row unless it conflicts; True when it was stored.

        ``INSERT ... ON CONFLICT DO NOTHING RETURNING key`` sent straight to the driver (the
        same text on SQLite and PostgreSQL): no row back means a unique key was taken. A
        conflict leaves the transaction usable (an error would abort it on PostgreSQL), and
        a concurrent insert of the same key waits for the other transaction to finish.
        """
        sql, names, special = _fast_plan(table, self._uow.dialect)
        key = next(iter(table.primary_key.columns)).name
        values = [row[name] for name in names]
        for i, enc in special:
            values[i] = enc(values[i])
        cur = self._uow.run(f"{sql} ON CONFLICT DO NOTHING RETURNING {key}", values, what=what)
        return cur.fetchone() is not None


class SqlCustomers(_Repo):
    """Customers and identities."""

    def _load_many(self, ids: Sequence[str]) -> dict[str, Customer]:
        if not ids:
            return {}
        rows = self._uow.execute(select(customers).where(customers.c.id.in_(ids))).mappings()
        found = {r["id"]: r for r in rows}
        idents: dict[str, list[Identity]] = {i: [] for i in found}
        q = (
            select(customer_identities)
            .where(customer_identities.c.customer_id.in_(list(found)))
            .order_by(customer_identities.c.customer_id, customer_identities.c.position)
        )
        for r in self._uow.execute(q).mappings():
            idents[r["customer_id"]].append(Identity(r["kind"], r["value"]))
        return {i: R.customer_from_row(row, idents[i]) for i, row in found.items()}

    def _raise_taken(self, customer: Customer) -> None:
        for ident in customer.identities:
            owner = self._uow.execute(_OWNER_OF, {"kind": ident.kind, "value": ident.value})
            owner_id = owner.scalar()
            if owner_id is not None and owner_id != customer.id:
                raise AlreadyExists("identity", str(ident), owner_id)

    def add(self, customer: Customer) -> Customer:
        """Store a new customer; ``AlreadyExists`` if an identity is taken."""
        idents = R.identity_rows(customer)
        row = R.customer_row(customer)
        if not self._inserted(customers, row, "customer"):
            raise AlreadyExists("customer", customer.id, customer.id)
        if idents:
            stored = self._uow.execute(
                self._insert(customer_identities).values(idents), what="customer identity"
            ).all()
            if len(stored) != len(idents):
                self._uow.execute(
                    delete(customer_identities).where(
                        customer_identities.c.customer_id == customer.id
                    )
                )
                self._uow.execute(delete(customers).where(customers.c.id == customer.id))
                self._raise_taken(customer)
                raise AlreadyExists("identity", [str(i) for i in customer.identities])
        return customer

    def add_many(self, new: Sequence[Customer]) -> None:
        """Store new customers at once."""
        if not new:
            return
        idents = [r for c in new for r in R.identity_rows(c)]
        self._insert_many(customers, [R.customer_row(c) for c in new], "customer")
        self._insert_many(customer_identities, idents, "customer identity")

    def _one(self, sql: str, params: Sequence[Any]) -> Customer | None:
        """A customer from a driver query yielding its columns plus (kind, value) per identity."""
        found = self._uow.run(sql, params).fetchall()
        if not found:
            return None
        n = len(customers.c)
        row = _decode(customers, self._uow.dialect, found[0])
        idents = [Identity(r[n], r[n + 1]) for r in found if r[n] is not None]
        return R.customer_from_row(row, idents)

    def get(self, customer_id: str) -> Customer:
        """The customer; ``NotFound`` if there is none."""
        found = self._one(_SQL_CUSTOMER, (customer_id,))
        if found is None:
            raise NotFound("customer", customer_id)
        return found

    def update(self, customer: Customer) -> Customer:
        """Replace the stored customer and its identities."""
        old = self.get(customer.id)
        self._raise_taken(customer)
        self._uow.execute(
            update(customers).where(customers.c.id == customer.id),
            {k: v for k, v in R.customer_row(customer).items() if k != "id"},
            what="customer",
        )
        if old.identities != customer.identities:
            self._uow.execute(
                delete(customer_identities).where(customer_identities.c.customer_id == customer.id)
            )
            idents = R.identity_rows(customer)
            if idents:
                stored = self._uow.execute(
                    self._insert(customer_identities).values(idents), what="customer identity"
                ).all()
                if len(stored) != len(idents):
                    raise AlreadyExists("identity", [str(i) for i in customer.identities])
        return customer

    def find_by_identity(self, kind: str, value: str) -> Customer | None:
        """The owner of the identity (normalized), or None."""
        ident = Identity(kind, value)
        return self._one(_SQL_CUSTOMER_BY_IDENTITY, (ident.kind, ident.value))

    def find_by_identities(self, identities: Sequence[Identity]) -> dict[Identity, Customer]:
        """Owners of many identities in two queries."""
        if not identities:
            return {}
        keys = list({(i.kind, i.value) for i in identities})
        q = select(
            customer_identities.c.kind,
            customer_identities.c.value,
            customer_identities.c.customer_id,
        ).where(tuple_(customer_identities.c.kind, customer_identities.c.value).in_(keys))
        found: Sequence[Any] = self._uow.execute(q).all()
        owners = {(r[0], r[1]): r[2] for r in found}
        loaded = self._load_many(sorted(set(owners.values())))
        return {
            i: loaded[owners[(i.kind, i.value)]] for i in identities if (i.kind, i.value) in owners
        }

    def list(self, *, limit: int = 100, after: str | None = None) -> list[Customer]:
        """Customers ordered by id."""
        q = select(customers.c.id).order_by(customers.c.id).limit(limit)
        if after is not None:
            q = q.where(customers.c.id > after)
        ids = list(self._uow.execute(q).scalars())
        loaded = self._load_many(ids)
        return [loaded[i] for i in ids]


class SqlAgents(_Repo):
    """Agents and their group memberships."""

    def _groups_of(self, ids: Sequence[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {i: [] for i in ids}
        if ids:
            q = select(agent_groups).where(agent_groups.c.agent_id.in_(list(ids)))
            for r in self._uow.execute(q).mappings():
                out[r["agent_id"]].append(r["group_id"])
        return out

    def _set_groups(self, agent: Agent) -> None:
        if agent.groups:
            self._uow.execute(
                insert(agent_groups),
                [{"agent_id": agent.id, "group_id": g} for g in sorted(agent.groups)],
                what="agent group",
            )

    def add(self, agent: Agent) -> Agent:
        """Store a new agent."""
        if not self._inserted(agents, R.agent_row(agent), "agent"):
            raise AlreadyExists("agent", agent.id, agent.id)
        self._set_groups(agent)
        return agent

    def get(self, agent_id: str) -> Agent:
        """The agent; ``NotFound`` if there is none."""
        row = self._uow.execute(select(agents).where(agents.c.id == agent_id)).mappings().first()
        if row is None:
            raise NotFound("agent", agent_id)
        return R.agent_from_row(row, self._groups_of([agent_id])[agent_id])

    def update(self, agent: Agent) -> Agent:
        """Replace the stored agent."""
        values = {k: v for k, v in R.agent_row(agent).items() if k != "id"}
        result = self._uow.execute(
            update(agents).where(agents.c.id == agent.id), values, what="agent"
        )
        if result.rowcount == 0:
            raise NotFound("agent", agent.id)
        self._uow.execute(delete(agent_groups).where(agent_groups.c.agent_id == agent.id))
        self._set_groups(agent)
        return agent

    def list(self, *, group_id: str | None = None) -> list[Agent]:
        """All agents (of one group), ordered by name then id."""
        if group_id is None:
            rows = self._uow.run(_SQL_AGENTS).fetchall()
        else:
            rows = self._uow.run(_SQL_AGENTS_OF_GROUP, (group_id,)).fetchall()
        found = [_decode(agents, self._uow.dialect, r) for r in rows]
        memberships = self._groups_of([r["id"] for r in found])
        return [R.agent_from_row(r, memberships[r["id"]]) for r in found]

    def lock(self, agent_ids: Sequence[str]) -> None:
        """Lock the agents' rows in id order until the transaction ends (PostgreSQL)."""
        if agent_ids and self._uow.dialect == "postgresql":
            q = (
                select(agents.c.id)
                .where(agents.c.id.in_(sorted(set(agent_ids))))
                .order_by(agents.c.id)
                .with_for_update()
            )
            self._uow.execute(q).all()


class SqlGroups(_Repo):
    """Groups."""

    def add(self, group: Group) -> Group:
        """Store a new group; names are unique."""
        if not self._inserted(groups, R.group_row(group), "group"):
            existing = self.get_by_name(group.name)
            raise AlreadyExists(
                "group", group.name, existing.id if existing is not None else group.id
            )
        return group

    def get(self, group_id: str) -> Group:
        """The group; ``NotFound`` if there is none."""
        row = self._uow.execute(select(groups).where(groups.c.id == group_id)).mappings().first()
        if row is None:
            raise NotFound("group", group_id)
        return R.group_from_row(row)

    def get_by_name(self, name: str) -> Group | None:
        """The group called ``name``, or None."""
        row = self._uow.execute(select(groups).where(groups.c.name == name)).mappings().first()
        return None if row is None else R.group_from_row(row)

    def update(self, group: Group) -> Group:
        """Replace the stored group."""
        self.get(group.id)
        other = self.get_by_name(group.name)
        if other is not None and other.id != group.id:
            raise AlreadyExists("group", group.name, other.id)
        values = {k: v for k, v in R.group_row(group).items() if k != "id"}
        self._uow.execute(update(groups).where(groups.c.id == group.id), values, what="group")
        return group

    def list(self) -> list[Group]:
        """All groups by name."""
        rows = self._uow.execute(select(groups).order_by(groups.c.name)).mappings()
        return [R.group_from_row(r) for r in rows]


class SqlTickets(_Repo):
    """Tickets with optimistic versioning."""

    def next_number(self) -> int:
        """Allocate the next ticket number."""
        return self.next_numbers(1)[0]

    def next_numbers(self, count: int) -> list[int]:
        """Allocate ``count`` numbers (a sequence on PostgreSQL, a counter row on SQLite)."""
        if count < 0:
            raise InvalidInput(f"count must be >= 0, got {count}")
        if count == 0:
            return []
        uow = self._uow
        if uow.dialect == "postgresql":
            if count == 1:
                numbers = [int(uow.run("SELECT nextval('ticket_number_seq')").fetchone()[0])]
            else:
                cur = uow.run(
                    "SELECT nextval('ticket_number_seq') FROM generate_series(1, ?)", (count,)
                )
                numbers = sorted(int(r[0]) for r in cur.fetchall())
        else:
            got = uow.run(
                "UPDATE counters SET value = value + ? WHERE name = ? RETURNING value",
                (count, _COUNTER),
            ).fetchone()
            last = None if got is None else got[0]
            if last is None:
                first = uow.storage.first_ticket_number
                uow.execute(insert(counters), {"name": _COUNTER, "value": first + count})
                last = first + count
            numbers = list(range(int(last) - count, int(last)))
        uow.allocated.update(numbers)
        return numbers

    def _skip_numbers(self, highest: int) -> None:
        """Make sure numbers up to ``highest`` (stored from elsewhere) are never allocated."""
        uow = self._uow
        if uow.dialect == "postgresql":
            uow.execute(
                text(
                    "SELECT setval('ticket_number_seq', :n) FROM ticket_number_seq "
                    "WHERE last_value + CASE WHEN is_called THEN 1 ELSE 0 END <= :n"
                ),
                {"n": highest},
            )
            return
        moved = uow.execute(
            update(counters)
            .where(counters.c.name == _COUNTER, counters.c.value <= highest)
            .values(value=highest + 1)
        )
        if moved.rowcount == 0:
            exists_row = uow.execute(
                select(counters.c.value).where(counters.c.name == _COUNTER)
            ).scalar()
            if exists_row is None:
                start = max(uow.storage.first_ticket_number, highest + 1)
                uow.execute(insert(counters), {"name": _COUNTER, "value": start})

    def add(self, ticket: Ticket) -> Ticket:
        """Store a new ticket."""
        if not self._inserted(tickets, R.ticket_row(ticket), "ticket"):
            raise AlreadyExists("ticket", ticket.ref, ticket.id)
        self._uow.created_ticket(ticket.id)
        if ticket.number not in self._uow.allocated:
            self._skip_numbers(ticket.number)
        return ticket

    def add_many(self, new: Sequence[Ticket]) -> None:
        """Store new tickets at once."""
        if not new:
            return
        self._insert_many(tickets, [R.ticket_row(t) for t in new], "ticket")
        for t in new:
            self._uow.created_ticket(t.id)
        outside = [t.number for t in new if t.number not in self._uow.allocated]
        if outside:
            self._skip_numbers(max(outside))

    def get(self, ticket_id: str) -> Ticket:
        """The ticket; ``NotFound`` if there is none."""
        row = self._uow.run(_SQL_TICKET_BY_ID, (ticket_id,)).fetchone()
        if row is None:
            raise NotFound("ticket", ticket_id)
        return R.ticket_from_row(_decode(tickets, self._uow.dialect, row))

    def get_by_number(self, number: int) -> Ticket:
        """The ticket with that number."""
        row = self._uow.run(_SQL_TICKET_BY_NUMBER, (number,)).fetchone()
        if row is None:
            raise NotFound("ticket", f"#{number}")
        return R.ticket_from_row(_decode(tickets, self._uow.dialect, row))

    def update(self, ticket: Ticket, *, expected_version: int) -> Ticket:
        """``UPDATE ... WHERE id = ? AND version = ?``; no row means someone else won."""
        if ticket.version != expected_version + 1:
            raise InvalidInput(
                f"ticket {ticket.ref}: new version must be {expected_version + 1}, "
                f"got {ticket.version}"
            )
        row = R.ticket_row(ticket)
        values = [row[name] for name in _UPDATE_NAMES]
        for i, enc in _update_encoders(self._uow.dialect):
            values[i] = enc(values[i])
        values += [ticket.id, expected_version, ticket.number]
        cur = self._uow.run(_SQL_UPDATE_TICKET, values, what=f"ticket {ticket.ref}")
        if cur.rowcount == 1:
            self._uow.locked.add(ticket.id)
            return ticket
        stored = self._uow.run("SELECT version, number FROM tickets WHERE id = ?", (ticket.id,))
        current = stored.fetchone()
        if current is None:
            raise NotFound("ticket", ticket.id)
        if current[0] == expected_version:
            raise InvalidInput(f"ticket #{current[1]}: the number cannot change")
        raise ConcurrencyConflict("ticket", ticket.ref, expected_version, current[0])

    def _where(self, f: TicketFilter) -> list[ColumnElement[bool]]:
        c = tickets.c
        w: list[ColumnElement[bool]] = []
        if not f.include_merged:
            w.append(c.merged_into.is_(None))
        if f.status is not None:
            w.append(c.status.in_(f.status))
        if f.assignee_id is not None:
            unassigned = f.assignee_id == ""
            w.append(c.assignee_id.is_(None) if unassigned else c.assignee_id == f.assignee_id)
        if f.group_id is not None:
            w.append(c.group_id == f.group_id)
        if f.tag is not None:
            w.append(self._has_tag(f.tag))
        if f.priority is not None:
            w.append(c.priority.in_(f.priority))
        if f.channel is not None:
            w.append(c.channel.in_(f.channel))
        if f.customer_id is not None:
            w.append(c.customer_id == f.customer_id)
        if f.category is not None:
            w.append(c.category == f.category)
        if f.lifecycle is not None:
            w.append(c.lifecycle == f.lifecycle)
        if f.created_after is not None:
            w.append(c.created_at >= f.created_after)
        if f.created_before is not None:
            w.append(c.created_at < f.created_before)
        if f.updated_after is not None:
            w.append(c.updated_at >= f.updated_after)
        if f.updated_before is not None:
            w.append(c.updated_at < f.updated_before)
        return w

    def _has_tag(self, tag: str) -> ColumnElement[bool]:
        if self._uow.dialect == "postgresql":
            return tickets.c.tags.op("@>")(func.jsonb_build_array(tag))
        each = func.json_each(tickets.c.tags).table_valued("value")
        return exists().select_from(each).where(each.c.value == tag)

    def list(
        self,
        filter: TicketFilter,
        *,
        limit: int = 50,
        after: str | None = None,
        newest_first: bool = False,
    ) -> Page:
        """Tickets matching ``filter`` ordered by (created_at, id), keyset-paginated."""
        if limit < 1:
            raise InvalidInput(f"limit must be at least 1, got {limit}")
        c = tickets.c
        q = select(tickets).where(*self._where(filter))
        if after is not None:
            micros, ident = decode_cursor(after)
            key = tuple_(c.created_at, c.id)
            bound = tuple_(literal_column_value(_micros_to_dt(micros)), literal_id(ident))
            q = q.where(key < bound if newest_first else key > bound)
        if newest_first:
            q = q.order_by(c.created_at.desc(), c.id.desc())
        else:
            q = q.order_by(c.created_at, c.id)
        found = [R.ticket_from_row(r) for r in self._uow.execute(q.limit(limit + 1)).mappings()]
        page = found[:limit]
        more = len(found) > limit
        return Page(page, encode_cursor(page[-1]) if more and page else None)

    def count(self, filter: TicketFilter) -> int:
        """How many tickets match."""
        q = select(func.count()).select_from(tickets).where(*self._where(filter))
        return int(self._uow.execute(q).scalar_one())

    def find_by_thread(self, channel: str, thread_key: str) -> Ticket | None:
        """The newest unmerged ticket of a conversation."""
        c = tickets.c
        q = (
            select(tickets)
            .where(c.channel == channel, c.thread_key == thread_key, c.merged_into.is_(None))
            .order_by(c.created_at.desc(), c.id.desc())
            .limit(1)
        )
        row = self._uow.execute(q).mappings().first()
        return None if row is None else R.ticket_from_row(row)

    def open_counts(self, agent_ids: Sequence[str], *, statuses: Sequence[str]) -> dict[str, int]:
        """Open tickets per agent."""
        counts = dict.fromkeys(agent_ids, 0)
        if not agent_ids or not statuses:
            return counts
        c = tickets.c
        q = (
            select(c.assignee_id, func.count())
            .where(
                c.assignee_id.in_(list(agent_ids)),
                c.status.in_(list(statuses)),
                c.merged_into.is_(None),
            )
            .group_by(c.assignee_id)
        )
        found: Sequence[Any] = self._uow.execute(q).all()
        for row in found:
            counts[row[0]] = int(row[1])
        return counts

    def solved_before(
        self,
        statuses: Sequence[str],
        before: datetime,
        *,
        limit: int = 500,
        after: tuple[datetime, str] | None = None,
    ) -> builtins.list[Ticket]:
        """Tickets solved before ``before`` (index on ``solved_at``), by (solved_at, id)."""
        if not statuses:
            return []
        c = tickets.c
        q = select(tickets).where(
            c.solved_at < to_utc(before),
            c.status.in_(list(statuses)),
            c.merged_into.is_(None),
        )
        if after is not None:
            bound = tuple_(literal_column_value(to_utc(after[0])), literal_id(after[1]))
            q = q.where(tuple_(c.solved_at, c.id) > bound)
        q = q.order_by(c.solved_at, c.id).limit(limit)
        return [R.ticket_from_row(r) for r in self._uow.execute(q).mappings()]


def literal_column_value(value: datetime) -> Any:
    """A typed bound datetime for keyset comparisons."""
    return bindparam(None, value, type_=tickets.c.created_at.type)


def literal_id(value: str) -> Any:
    """A typed bound id for keyset comparisons."""
    return bindparam(None, value, type_=tickets.c.id.type)


class SqlMessages(_Repo):
    """Messages and attachment metadata."""

    def _attachments(self, message_ids: Sequence[str]) -> dict[str, list[AttachmentMeta]]:
        out: dict[str, list[AttachmentMeta]] = {}
        if message_ids:
            q = (
                select(attachments)
                .where(attachments.c.message_id.in_(list(message_ids)))
                .order_by(attachments.c.message_id, attachments.c.position)
            )
            for r in self._uow.execute(q).mappings():
                out.setdefault(r["message_id"], []).append(R.attachment_from_row(r))
        return out

    def _from_rows(self, found: Sequence[Mapping[Any, Any]]) -> list[Message]:
        with_files = [r["id"] for r in found if r["attachment_count"]]
        files = self._attachments(with_files)
        return [R.message_from_row(r, files.get(r["id"], ())) for r in found]

    def add(self, message: Message) -> Message:
        """Store a message; ``AlreadyExists`` if (channel, external_id) is taken."""
        if message.external_id is not None and message.channel is None:
            # NULL never collides in a unique key: check the channel-less id by hand.
            other = self._uow.execute(
                select(messages.c.id).where(
                    messages.c.channel.is_(None), messages.c.external_id == message.external_id
                )
            ).scalar()
            if other is not None:
                raise AlreadyExists("message", ("", message.external_id), other)
        if not self._inserted(messages, R.message_row(message), "message"):
            existing = None
            if message.external_id is not None:
                found = self.find_by_external_id(message.channel or "", message.external_id)
                existing = None if found is None else found.id
            key: object = (
                (message.channel, message.external_id) if existing is not None else message.id
            )
            raise AlreadyExists("message", key, existing or message.id)
        if message.attachments:
            self._uow.execute(insert(attachments), R.attachment_rows(message), what="attachment")
        return message

    def add_many(self, new: Sequence[Message]) -> None:
        """Store new messages at once."""
        if not new:
            return
        self._insert_many(messages, [R.message_row(m) for m in new], "message")
        self._insert_many(attachments, [r for m in new for r in R.attachment_rows(m)], "attachment")

    def get(self, message_id: str) -> Message:
        """The message; ``NotFound`` if there is none."""
        row = self._uow.execute(select(messages).where(messages.c.id == message_id)).mappings()
        found = row.first()
        if found is None:
            raise NotFound("message", message_id)
        return self._from_rows([found])[0]

    def find_by_external_id(self, channel: str, external_id: str) -> Message | None:
        """The message with this channel id, or None."""
        row: Mapping[Any, Any] | None
        if channel == "":
            q = select(messages).where(
                messages.c.channel.is_(None), messages.c.external_id == external_id
            )
            row = self._uow.execute(q).mappings().first()
        else:
            raw = self._uow.run(_SQL_MESSAGE_BY_EXTERNAL, (channel, external_id)).fetchone()
            row = None if raw is None else _decode(messages, self._uow.dialect, raw)
        return None if row is None else self._from_rows([row])[0]

    def existing_external_ids(self, channel: str, external_ids: Sequence[str]) -> set[str]:
        """Which external ids are already stored on ``channel``."""
        if not external_ids:
            return set()
        q = select(messages.c.external_id).where(
            messages.c.channel == channel, messages.c.external_id.in_(list(set(external_ids)))
        )
        return set(self._uow.execute(q).scalars())

    def find_ticket_by_external_ids(self, external_ids: Sequence[str]) -> str | None:
        """The ticket of the newest message with one of these external ids."""
        if not external_ids:
            return None
        q = (
            select(messages.c.ticket_id)
            .where(messages.c.external_id.in_(list(external_ids)))
            .order_by(messages.c.created_at.desc(), messages.c.id.desc())
            .limit(1)
        )
        found: str | None = self._uow.execute(q).scalar()
        return found

    def list_for_ticket(self, ticket_id: str) -> list[Message]:
        """A ticket's messages oldest first."""
        q = (
            select(messages)
            .where(messages.c.ticket_id == ticket_id)
            .order_by(messages.c.created_at, messages.c.id)
        )
        return self._from_rows(list(self._uow.execute(q).mappings()))

    def move(self, from_ticket_id: str, to_ticket_id: str) -> int:
        """Move a ticket's messages to another ticket."""
        result = self._uow.execute(
            update(messages)
            .where(messages.c.ticket_id == from_ticket_id)
            .values(ticket_id=to_ticket_id),
            what="message",
        )
        return int(result.rowcount)


class SqlEvents(_Repo):
    """The audit trail; each ticket's events are numbered 1, 2, 3, ... without gaps."""

    def _last_seq(self, ticket_id: str) -> int:
        uow = self._uow
        cached = uow.last_seq.get(ticket_id)
        if cached is not None:
            return cached
        if ticket_id not in uow.locked:
            # Two transactions appending to one trail take turns on the ticket's row; the
            # next statement then sees the other's committed events (READ COMMITTED).
            if (
                uow.dialect == "postgresql"
                and uow.run(
                    "SELECT id FROM tickets WHERE id = ? FOR UPDATE", (ticket_id,)
                ).fetchone()
                is None
            ):
                raise NotFound("ticket", ticket_id)
            uow.locked.add(ticket_id)
        last = int(
            uow.run(
                "SELECT COALESCE(MAX(seq), 0) FROM events WHERE ticket_id = ?", (ticket_id,)
            ).fetchone()[0]
        )
        uow.last_seq[ticket_id] = last
        return last

    def append(self, new: Sequence[TicketEvent]) -> list[TicketEvent]:
        """Store events numbered after each ticket's last one."""
        if not new:
            return []
        stored: list[TicketEvent] = []
        for event in new:
            seq = self._last_seq(event.ticket_id) + 1
            self._uow.last_seq[event.ticket_id] = seq
            stored.append(_with_seq(event, seq))
        self._insert_many(events, [R.event_row(e) for e in stored], "event")
        return stored

    def list_for_ticket(self, ticket_id: str) -> list[TicketEvent]:
        """A ticket's events in order."""
        found = self._uow.execute(_EVENTS_OF, {"id": ticket_id}).mappings()
        return [R.event_from_row(r) for r in found]

    def stream(self, *, after: str | None = None, limit: int = 1000) -> list[TicketEvent]:
        """Every event in id order."""
        q = select(events).order_by(events.c.id).limit(limit)
        if after is not None:
            q = q.where(events.c.id > after)
        return [R.event_from_row(r) for r in self._uow.execute(q).mappings()]


_EVENT_FIELDS = tuple(f.name for f in attrs.fields(TicketEvent))


def _with_seq(event: TicketEvent, seq: int) -> TicketEvent:
    """``event`` numbered ``seq``; a copy without re-running the validators it passed."""
    numbered = object.__new__(TicketEvent)
    for name in _EVENT_FIELDS:
        object.__setattr__(numbered, name, getattr(event, name))
    object.__setattr__(numbered, "seq", seq)
    return numbered


class SqlFollowUps(_Repo):
    """Follow-ups."""

    def add(self, followup: FollowUp) -> FollowUp:
        """Store a follow-up."""
        if not self._inserted(followups, R.followup_row(followup), "follow-up"):
            raise AlreadyExists("follow-up", followup.id, followup.id)
        return followup

    def get(self, followup_id: str) -> FollowUp:
        """The follow-up; ``NotFound`` if there is none."""
        q = select(followups).where(followups.c.id == followup_id)
        row = self._uow.execute(q).mappings().first()
        if row is None:
            raise NotFound("follow-up", followup_id)
        return R.followup_from_row(row)

    def update(self, followup: FollowUp) -> FollowUp:
        """Replace the stored follow-up."""
        values = {k: v for k, v in R.followup_row(followup).items() if k != "id"}
        result = self._uow.execute(
            update(followups).where(followups.c.id == followup.id), values, what="follow-up"
        )
        if result.rowcount == 0:
            raise NotFound("follow-up", followup.id)
        return followup

    def list_for_ticket(self, ticket_id: str) -> list[FollowUp]:
        """A ticket's follow-ups in creation order."""
        q = (
            select(followups)
            .where(followups.c.ticket_id == ticket_id)
            .order_by(followups.c.created_at, followups.c.id)
        )
        return [R.followup_from_row(r) for r in self._uow.execute(q).mappings()]

    def count_open(self, ticket_id: str) -> int:
        """How many follow-ups are not done."""
        q = (
            select(func.count())
            .select_from(followups)
            .where(followups.c.ticket_id == ticket_id, followups.c.done_at.is_(None))
        )
        return int(self._uow.execute(q).scalar_one())


_DUE_UPSERT = (
    " ON CONFLICT (kind, key) DO UPDATE SET due_at = excluded.due_at, data = excluded.data,"
    " claimed_by = NULL, claimed_until = NULL, attempts = 0, done_at = NULL"
)


class SqlDue(_Repo):
    """Due items: the work queue of sweeps."""

    def schedule(
        self, kind: str, key: str, due_at: datetime, data: Mapping[str, Any] | None = None
    ) -> DueItem:
        """Create or move an item (an upsert)."""
        R.check_length(kind, "kind", "due item kind")
        R.check_length(key, "due_key", "due item key")
        item = DueItem(kind, key, to_utc(due_at), dict(data or {}))
        row = {
            "kind": kind,
            "key": key,
            "due_at": item.due_at,
            "data": item.data,
            "claimed_by": None,
            "claimed_until": None,
            "attempts": 0,
            "done_at": None,
        }
        # an upsert sent straight to the driver: sweeps schedule one item per command
        sql, names, special = _fast_plan(due_items, self._uow.dialect)
        values = [row[name] for name in names]
        for i, enc in special:
            values[i] = enc(values[i])
        self._uow.run(sql + _DUE_UPSERT, values, what="due item")
        return item

    def get(self, kind: str, key: str) -> DueItem | None:
        """The item, or None."""
        q = select(due_items).where(due_items.c.kind == kind, due_items.c.key == key)
        row = self._uow.execute(q).mappings().first()
        return None if row is None else R.due_from_row(row)

    def cancel(self, kind: str, key: str) -> bool:
        """Remove the item."""
        result = self._uow.execute(
            delete(due_items).where(due_items.c.kind == kind, due_items.c.key == key)
        )
        return bool(result.rowcount)

    def claim_due(
        self,
        kind: str,
        now: datetime,
        limit: int,
        *,
        worker: str,
        lease: timedelta = DEFAULT_LEASE,
    ) -> list[DueItem]:
        """Claim due items; locked rows another worker is claiming are skipped."""
        if limit < 1:
            raise InvalidInput(f"limit must be at least 1, got {limit}")
        at = to_utc(now)
        d = due_items.c
        pick = (
            select(d.kind, d.key)
            .where(
                d.kind == kind,
                d.done_at.is_(None),
                d.due_at <= at,
                or_(d.claimed_until.is_(None), d.claimed_until <= at),
            )
            .order_by(d.due_at, d.key)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        stmt = (
            update(due_items)
            .where(tuple_(d.kind, d.key).in_(pick))
            .values(claimed_by=worker, claimed_until=at + lease, attempts=d.attempts + 1)
            .returning(*due_items.c)
        )
        claimed = [R.due_from_row(r) for r in self._uow.execute(stmt, what="due item").mappings()]
        return sorted(claimed, key=lambda i: (i.due_at, i.key))

    def complete(self, kind: str, key: str, *, worker: str, now: datetime) -> bool:
        """Mark done if ``worker`` holds the item."""
        d = due_items.c
        result = self._uow.execute(
            update(due_items)
            .where(d.kind == kind, d.key == key, d.claimed_by == worker, d.done_at.is_(None))
            .values(done_at=to_utc(now))
        )
        return bool(result.rowcount)

    def release(self, kind: str, key: str, *, worker: str) -> bool:
        """Give a claimed item back."""
        d = due_items.c
        result = self._uow.execute(
            update(due_items)
            .where(d.kind == kind, d.key == key, d.claimed_by == worker, d.done_at.is_(None))
            .values(claimed_by=None, claimed_until=None)
        )
        return bool(result.rowcount)

    def list(self, kind: str, *, include_done: bool = False) -> list[DueItem]:
        """Items of ``kind`` by (due_at, key)."""
        d = due_items.c
        q = select(due_items).where(d.kind == kind).order_by(d.due_at, d.key)
        if not include_done:
            q = q.where(d.done_at.is_(None))
        return [R.due_from_row(r) for r in self._uow.execute(q).mappings()]
