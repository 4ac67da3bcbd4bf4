"""Export and import on memory storage: the memory store's records as the SQL tables' rows.

Memory storage has no tables, so each transferred table has an entry in :data:`MEMORY_TABLES`:
how to list the table's rows from the store (with the SQL repositories' own row functions,
so both backends export the same lines) and how to store the rows back. A table on the SQL
``metadata`` without an entry (and not derived or transient) fails
``tests/storage/test_storage_transfer.py::test_every_table_is_transferred``: a feature that
adds a table adds its entry here.

Import collects the rows (memory holds everything anyway), then stores them table by table
in foreign-key order in one unit of work: an error leaves the store as it was.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import attrs

from helpdesk_kit.automation.state import RuleState
from helpdesk_kit.bot.dialogue import Conversation
from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.kb.model import ArticleVote
from helpdesk_kit.storage.memory_kb import _KbTables
from helpdesk_kit.storage.memory_macros import MemoryMacros, MemoryTemplates
from helpdesk_kit.storage.sql import rows as R
from helpdesk_kit.storage.sql.authority import request_from_row, request_row
from helpdesk_kit.storage.sql.bot import _relabel_from_row, _relabel_row
from helpdesk_kit.storage.sql.escalation import fired_from_row, fired_row
from helpdesk_kit.storage.sql.feedback import survey_from_row, survey_row
from helpdesk_kit.storage.sql.kb import (
    article_from_row,
    article_row,
    category_from_row,
    category_row,
    version_from_row,
    version_row,
    vote_from_row,
)
from helpdesk_kit.storage.sql.macros import (
    macro_from_row,
    macro_row,
    template_from_row,
    template_row,
)
from helpdesk_kit.storage.sql.routing import _entry as queue_entry_from_row
from helpdesk_kit.storage.sql.routing import _group as group_from_key
from helpdesk_kit.storage.sql.routing import _key as group_key
from helpdesk_kit.storage.sql.routing import _row as queue_entry_row
from helpdesk_kit.storage.sql.sla import timer_from_row, timer_row
from helpdesk_kit.storage.sql.tables_kb import KB_CHANGE_COUNTER
from helpdesk_kit.storage.transfer_codec import encode_row, transferred_tables
from helpdesk_kit.tickets.model import Identity

if TYPE_CHECKING:
    from helpdesk_kit.storage.memory import MemoryStorage, MemoryUnitOfWork, _Data

__all__ = ["MEMORY_TABLES", "MemoryLoader", "memory_rows"]

Row = dict[str, Any]
Rows = dict[str, list[Row]]


@attrs.frozen
class MemoryTable:
    """How one table's rows come out of and go into a memory store.

    ``rows(data)`` lists the table's rows; ``store(uow, rows_by_table)`` stores the rows of
    the table (it may read the rows of the tables it owns, e.g. a customer's identities).
    A table whose rows its owner stores has ``store=None``.
    """

    rows: Callable[[_Data], Iterable[Row]]
    store: Callable[[MemoryUnitOfWork, Rows], None] | None = None


def _kb(data: _Data) -> _KbTables:
    tables: Any = data.extra.get("kb")
    if tables is None:
        tables = data.extra["kb"] = _KbTables()  # type: ignore[assignment]
    found: _KbTables = tables
    return found


def _by(rows: Iterable[Row], key: str, order: str) -> dict[str, list[Row]]:
    grouped: dict[str, list[Row]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: r[order]):
        grouped[row[key]].append(row)
    return grouped


# ------------------------------------------------------------------------ people and tickets


def _store_customers(uow: MemoryUnitOfWork, rows: Rows) -> None:
    idents = _by(rows.get("customer_identities", ()), "customer_id", "position")
    for row in rows.get("customers", ()):
        found = [Identity(i["kind"], i["value"]) for i in idents.pop(row["id"], [])]
        uow.customers.add(R.customer_from_row(row, found))
    if idents:
        raise InvalidInput(f"identities of customers not in the export: {sorted(idents)}")


def _store_agents(uow: MemoryUnitOfWork, rows: Rows) -> None:
    member = _by(rows.get("agent_groups", ()), "agent_id", "group_id")
    for row in rows.get("agents", ()):
        groups = [g["group_id"] for g in member.pop(row["id"], [])]
        uow.agents.add(R.agent_from_row(row, groups))
    if member:
        raise InvalidInput(f"group memberships of agents not in the export: {sorted(member)}")


def _store_groups(uow: MemoryUnitOfWork, rows: Rows) -> None:
    for row in rows.get("groups", ()):
        uow.groups.add(R.group_from_row(row))


def _counter_rows(data: _Data) -> Iterator[Row]:
    change = _kb(data).counter["change"]
    if change:
        yield {"name": KB_CHANGE_COUNTER, "value": change}


def _store_counters(uow: MemoryUnitOfWork, rows: Rows) -> None:
    kb = _kb(uow._storage._data)
    for row in rows.get("counters", ()):
        if row["name"] != KB_CHANGE_COUNTER:
            raise InvalidInput(f"memory storage has no counter {row['name']!r}")
        uow._undo.set(kb.counter, "change", max(kb.counter["change"], row["value"]))


def _store_tickets(uow: MemoryUnitOfWork, rows: Rows) -> None:
    for row in rows.get("tickets", ()):
        uow.tickets.add(R.ticket_from_row(row))


def _message_rows(data: _Data) -> Iterator[Row]:
    return (R.message_row(m) for m in data.messages.values())


def _attachment_rows(data: _Data) -> Iterator[Row]:
    return (a for m in data.messages.values() for a in R.attachment_rows(m))


def _store_messages(uow: MemoryUnitOfWork, rows: Rows) -> None:
    files = _by(rows.get("attachments", ()), "message_id", "position")
    for row in rows.get("messages", ()):
        found = [R.attachment_from_row(a) for a in files.pop(row["id"], [])]
        uow.messages.add(R.message_from_row(row, found))
    if files:
        raise InvalidInput(f"attachments of messages not in the export: {sorted(files)}")


def _store_events(uow: MemoryUnitOfWork, rows: Rows) -> None:
    events = [R.event_from_row(r) for r in rows.get("events", ())]
    events.sort(key=lambda e: (e.ticket_id, e.seq))
    for original, numbered in zip(events, uow.events.append(events), strict=True):
        if original.seq != numbered.seq:
            raise InvalidInput(
                f"event {original.id}: its ticket's trail is not complete in the export "
                f"(seq {original.seq} would become {numbered.seq})"
            )


def _store_followups(uow: MemoryUnitOfWork, rows: Rows) -> None:
    for row in rows.get("followups", ()):
        uow.followups.add(R.followup_from_row(row))


def _due_rows(data: _Data) -> Iterator[Row]:
    return (attrs.asdict(item, recurse=False) for item in data.due.values())


def _store_due(uow: MemoryUnitOfWork, rows: Rows) -> None:
    due = uow._storage._data.due
    for row in rows.get("due_items", ()):
        item = R.due_from_row(row)
        uow._undo.set(due, (item.kind, item.key), item)


# ------------------------------------------------------------------------ templates and macros


def _versioned(table: str, to_row: Callable[[Any], Row]) -> tuple[MemoryTable, MemoryTable]:
    def current(data: _Data) -> Iterator[Row]:
        return (to_row(t) for t in data.extra.get(table, {}).values())

    def versions(data: _Data) -> Iterator[Row]:
        return (to_row(t) for t in data.extra.get(table + "_versions", {}).values())

    return MemoryTable(current), MemoryTable(versions)


def _store_versioned(
    extra_key: str, current: str, versions: str, from_row: Callable[[Row], Any]
) -> Callable[[MemoryUnitOfWork, Rows], None]:
    def store(uow: MemoryUnitOfWork, rows: Rows) -> None:
        extra = uow._storage._data.extra
        names: dict[str, Any] = extra.setdefault(extra_key, {})
        history: dict[tuple[str, int], Any] = extra.setdefault(extra_key + "_versions", {})
        for row in rows.get(versions, ()):
            item = from_row(row)
            if (item.name, item.version) in history:
                raise InvalidInput(f"{versions}: {item.name} v{item.version} is already stored")
            uow._undo.set(history, (item.name, item.version), item)
        for row in rows.get(current, ()):
            item = from_row(row)
            if item.name in names:
                raise InvalidInput(f"{current}: {item.name} is already stored")
            uow._undo.set(names, item.name, item)

    return store


# ------------------------------------------------------------------------ knowledge base


def _article_rows(data: _Data) -> Iterator[Row]:
    kb = _kb(data)
    for a in kb.articles.values():
        yield {**article_row(a), "change_seq": kb.changes.get(a.id, 0)}


def _vote_rows(data: _Data) -> Iterator[Row]:
    return (attrs.asdict(v, recurse=False) for v in _kb(data).votes.values())


def _unanswered_rows(data: _Data) -> Iterator[Row]:
    for (query, locale, day), (count, last) in _kb(data).unanswered.items():
        yield {"query": query, "locale": locale, "day": day, "count": count, "last_at": last}


def _store_kb(uow: MemoryUnitOfWork, rows: Rows) -> None:
    kb = _kb(uow._storage._data)
    u = uow._undo
    for row in rows.get("kb_categories", ()):
        uow.kb_categories.add(category_from_row(row))
    for row in rows.get("kb_articles", ()):
        article = article_from_row(row)
        pair = (article.key, article.locale)
        if article.id in kb.articles or pair in kb.article_keys:
            raise InvalidInput(f"article {article.key} ({article.locale}) is already stored")
        u.set(kb.articles, article.id, article)
        u.set(kb.article_keys, pair, article.id)
        if row["change_seq"]:
            u.set(kb.changes, article.id, row["change_seq"])
    for row in sorted(rows.get("kb_article_versions", ()), key=lambda r: r["number"]):
        uow.kb_articles.add_version(version_from_row(row))
    for row in rows.get("kb_votes", ()):
        vote: ArticleVote = vote_from_row(row)
        uow.kb_feedback.add_vote(vote)
    for row in rows.get("kb_article_views", ()):
        if row["views"]:
            uow.kb_feedback.add_views(row["article_id"], row["views"])
    for row in rows.get("kb_unanswered", ()):
        key = (row["query"], row["locale"], row["day"])
        u.set(kb.unanswered, key, (row["count"], row["last_at"]))


# ------------------------------------------------------------------------ SLA, bot, surveys


def _conversation_rows(data: _Data) -> Iterator[Row]:
    for ticket_id, (version, state) in data.extra.get("bot_conversations", {}).items():
        conversation = Conversation.from_dict(state, version=version)
        yield {
            "ticket_id": ticket_id,
            "stage": conversation.stage.value,
            "state": state,
            "version": version,
            "updated_at": conversation.updated_at or conversation.started_at,
        }


def _store_bot(uow: MemoryUnitOfWork, rows: Rows) -> None:
    talks: dict[str, Any] = uow._storage._data.extra.setdefault("bot_conversations", {})
    for row in rows.get("bot_conversations", ()):
        uow._undo.set(talks, row["ticket_id"], (row["version"], row["state"]))
    for row in rows.get("bot_relabels", ()):
        uow.bot.add_relabel(_relabel_from_row(row))


def _store_authority(uow: MemoryUnitOfWork, rows: Rows) -> None:
    for row in rows.get("authority_requests", ()):
        uow.authority.add(request_from_row(row))


def _store_sla(uow: MemoryUnitOfWork, rows: Rows) -> None:
    table = uow._storage._data.extra.get("sla_timers", {})
    timers = [timer_from_row(r) for r in rows.get("sla_timers", ())]
    for timer in timers:
        if timer.key in table:
            raise InvalidInput(f"SLA timer {timer.key} is already stored")
    uow.sla.save(timers)


def _store_surveys(uow: MemoryUnitOfWork, rows: Rows) -> None:
    uow.surveys.add_many([survey_from_row(r) for r in rows.get("surveys", ())])


def _store_escalations(uow: MemoryUnitOfWork, rows: Rows) -> None:
    for row in rows.get("escalations", ()):
        fired = fired_from_row(row)
        if not uow.escalations.add(fired):
            raise InvalidInput(f"escalation level {'/'.join(fired.key)} is already stored")


def _rule_state_row(state: RuleState) -> Row:
    return {
        "ticket_id": state.ticket_id,
        "rule": state.rule,
        "entered_at": state.entered_at,
        "fired_at": state.fired_at,
    }


def _store_rule_states(uow: MemoryUnitOfWork, rows: Rows) -> None:
    states = [
        RuleState(r["ticket_id"], r["rule"], r["entered_at"], r["fired_at"])
        for r in rows.get("automation_rule_states", ())
    ]
    stored = uow.automation.states_for([s.ticket_id for s in states])
    for state in states:
        if state.rule in stored.get(state.ticket_id, {}):
            raise InvalidInput(f"automation state {state.ticket_id}/{state.rule} is already stored")
    uow.automation.save(states)


def _queue_rows(data: _Data) -> Iterator[Row]:
    entries = data.extra.get("routing_entries", {})
    return (queue_entry_row(e) for e in entries.values())


def _hold_rows(data: _Data) -> Iterator[Row]:
    holds = data.extra.get("routing_holds", {})
    return ({"ticket_id": t, "agent_id": a} for t, a in holds.items())


def _last_agent_rows(data: _Data) -> Iterator[Row]:
    last = data.extra.get("routing_last", {})
    return ({"customer_id": c, "agent_id": a, "at": at} for c, (at, a) in last.items())


def _pointer_rows(data: _Data) -> Iterator[Row]:
    pointers = data.extra.get("routing_pointers", {})
    return ({"group_key": group_key(g), "agent_id": a} for g, a in pointers.items())


def _store_routing(uow: MemoryUnitOfWork, rows: Rows) -> None:
    routing = uow.routing
    entries = [queue_entry_from_row(r) for r in rows.get("routing_queue", ())]
    if routing.entries([e.ticket_id for e in entries]):
        raise InvalidInput("a ticket's routing queue place is already stored")
    routing.enqueue(entries)
    holds = {r["ticket_id"]: r["agent_id"] for r in rows.get("routing_holds", ())}
    if routing.holds(list(holds)):
        raise InvalidInput("a ticket's routing capacity hold is already stored")
    routing.set_holds(holds)
    for r in rows.get("routing_last_agents", ()):
        routing.set_last_agent(r["customer_id"], r["agent_id"], r["at"])
    for r in rows.get("routing_pointers", ()):
        routing.set_pointer(group_from_key(r["group_key"]), r["agent_id"])


def _extra(name: str, to_row: Callable[[Any], Row]) -> Callable[[_Data], Iterator[Row]]:
    def rows(data: _Data) -> Iterator[Row]:
        return (to_row(x) for x in data.extra.get(name, {}).values())

    return rows


_templates, _template_versions = _versioned(MemoryTemplates.table, template_row)
_macros, _macro_versions = _versioned(MemoryMacros.table, macro_row)

#: Every transferred table of the SQL schema, as the memory store holds it.
MEMORY_TABLES: dict[str, MemoryTable] = {
    "customers": MemoryTable(
        lambda d: (R.customer_row(c) for c in d.customers.values()), _store_customers
    ),
    "customer_identities": MemoryTable(
        lambda d: (i for c in d.customers.values() for i in R.identity_rows(c))
    ),
    "groups": MemoryTable(lambda d: (R.group_row(g) for g in d.groups.values()), _store_groups),
    "agents": MemoryTable(lambda d: (R.agent_row(a) for a in d.agents.values()), _store_agents),
    "agent_groups": MemoryTable(
        lambda d: ({"agent_id": a.id, "group_id": g} for a in d.agents.values() for g in a.groups)
    ),
    "counters": MemoryTable(_counter_rows, _store_counters),
    "tickets": MemoryTable(lambda d: (R.ticket_row(t) for t in d.tickets.values()), _store_tickets),
    "messages": MemoryTable(_message_rows, _store_messages),
    "attachments": MemoryTable(_attachment_rows),
    "events": MemoryTable(lambda d: (R.event_row(e) for e in d.event_log), _store_events),
    "followups": MemoryTable(
        lambda d: (R.followup_row(f) for f in d.followups.values()), _store_followups
    ),
    "due_items": MemoryTable(_due_rows, _store_due),
    "reply_templates": MemoryTable(
        _templates.rows,
        _store_versioned(
            MemoryTemplates.table,
            "reply_templates",
            "reply_template_versions",
            template_from_row,
        ),
    ),
    "reply_template_versions": _template_versions,
    "macros": MemoryTable(
        _macros.rows,
        _store_versioned(MemoryMacros.table, "macros", "macro_versions", macro_from_row),
    ),
    "macro_versions": _macro_versions,
    "authority_requests": MemoryTable(_extra("authority_requests", request_row), _store_authority),
    "kb_categories": MemoryTable(
        lambda d: map(category_row, _kb(d).categories.values()), _store_kb
    ),
    "kb_articles": MemoryTable(_article_rows),
    "kb_article_versions": MemoryTable(
        lambda d: (version_row(v) for vs in _kb(d).versions.values() for v in vs)
    ),
    "kb_votes": MemoryTable(_vote_rows),
    "kb_article_views": MemoryTable(
        lambda d: ({"article_id": a, "views": n} for a, n in _kb(d).views.items())
    ),
    "kb_unanswered": MemoryTable(_unanswered_rows),
    "sla_timers": MemoryTable(_extra("sla_timers", timer_row), _store_sla),
    "bot_conversations": MemoryTable(_conversation_rows, _store_bot),
    "bot_relabels": MemoryTable(_extra("bot_relabels", _relabel_row)),
    "surveys": MemoryTable(_extra("surveys", survey_row), _store_surveys),
    "escalations": MemoryTable(_extra("escalations", fired_row), _store_escalations),
    "routing_queue": MemoryTable(_queue_rows, _store_routing),
    "routing_holds": MemoryTable(_hold_rows),
    "routing_last_agents": MemoryTable(_last_agent_rows),
    "routing_pointers": MemoryTable(_pointer_rows),
    "automation_rule_states": MemoryTable(
        _extra("automation_rule_states", _rule_state_row), _store_rule_states
    ),
}


def memory_rows(storage: MemoryStorage) -> Iterator[tuple[str, Any]]:
    """``("sequence", next ticket number)`` then ``(table name, JSON row)`` of every table.

    Rows come in primary-key order, as SQL storage exports them.
    """
    with storage.unit_of_work():  # holds the store's lock: a consistent snapshot
        data = storage._data
        yield "sequence", data.counter["next"]
        for table in transferred_tables():
            entry = MEMORY_TABLES.get(table.name)
            if entry is None:
                raise InvalidInput(f"memory storage cannot export table {table.name!r}")
            keys = [c.name for c in table.primary_key.columns]
            found = [encode_row(table, r) for r in entry.rows(data)]
            found.sort(key=lambda r: tuple(r[k] for k in keys))
            for row in found:
                yield table.name, row


class MemoryLoader:
    """Collects decoded rows, then stores them in one memory unit of work."""

    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow
        self._rows: Rows = defaultdict(list)
        self._next_number = 0

    def add(self, table: Any, row: Row, line_no: int) -> None:
        """Queue a row of ``table`` (read from line ``line_no``)."""
        if table.name not in MEMORY_TABLES:
            raise InvalidInput(f"line {line_no}: memory storage cannot hold table {table.name!r}")
        self._rows[table.name].append(row)

    def set_next_ticket_number(self, number: int) -> None:
        """Remember the source's next ticket number."""
        self._next_number = number

    def finish(self) -> None:
        """Store every collected row, owners before the tables they own."""
        done: set[int] = set()
        for table in transferred_tables():
            store = MEMORY_TABLES[table.name].store
            if store is not None and id(store) not in done:
                done.add(id(store))
                store(self._uow, self._rows)
        data = self._uow._storage._data
        if self._next_number > data.counter["next"]:
            self._uow._undo.set(data.counter, "next", self._next_number)
