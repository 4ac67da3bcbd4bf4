"""The in-memory storage backend: the reference semantics of the storage port.

A unit of work holds the backend's lock from start to end (so units are serializable)
and keeps an undo log; leaving without ``commit()`` replays the log backwards.
"""

from __future__ import annotations

import bisect
import builtins
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Self

import attrs

from helpdesk_kit.clock import to_utc
from helpdesk_kit.errors import AlreadyExists, ConcurrencyConflict, InvalidInput, NotFound
from helpdesk_kit.storage.analytics import AnalyticsRepository
from helpdesk_kit.storage.authority import AuthorityRepository
from helpdesk_kit.storage.automation import AutomationRepository
from helpdesk_kit.storage.base import (
    DEFAULT_LEASE,
    AgentRepository,
    CustomerRepository,
    DueItem,
    DueRepository,
    EventRepository,
    FollowUpRepository,
    GroupRepository,
    MessageRepository,
    Page,
    TicketFilter,
    TicketRepository,
)
from helpdesk_kit.storage.bot import BotRepository
from helpdesk_kit.storage.channels import ChannelRepository
from helpdesk_kit.storage.cursor import decode_cursor, encode_cursor, ticket_sort_key
from helpdesk_kit.storage.escalation import EscalationRepository
from helpdesk_kit.storage.feedback import SurveyRepository
from helpdesk_kit.storage.kb import (
    KbArticleRepository,
    KbCategoryRepository,
    KbFeedbackRepository,
    KbSearchLogRepository,
)
from helpdesk_kit.storage.macros import MacroRepository, TemplateRepository
from helpdesk_kit.storage.memory_analytics import MemoryAnalytics
from helpdesk_kit.storage.memory_authority import MemoryAuthority
from helpdesk_kit.storage.memory_automation import MemoryAutomation
from helpdesk_kit.storage.memory_bot import MemoryBot
from helpdesk_kit.storage.memory_channels import MemoryChannels
from helpdesk_kit.storage.memory_escalation import MemoryEscalations
from helpdesk_kit.storage.memory_feedback import MemorySurveys
from helpdesk_kit.storage.memory_kb import (
    MemoryKbArticles,
    MemoryKbCategories,
    MemoryKbFeedback,
    MemoryKbSearchLog,
)
from helpdesk_kit.storage.memory_macros import MemoryMacros, MemoryTemplates
from helpdesk_kit.storage.memory_routing import MemoryRouting
from helpdesk_kit.storage.memory_sla import MemorySlaTimers
from helpdesk_kit.storage.routing import RoutingRepository
from helpdesk_kit.storage.sla import SlaTimerRepository
from helpdesk_kit.tickets.model import (
    Agent,
    Customer,
    FollowUp,
    Group,
    Identity,
    Message,
    Ticket,
    TicketEvent,
)

__all__ = ["MemoryStorage"]

_MISSING = object()


class _Data:
    """The committed tables."""

    def __init__(self, first_number: int) -> None:
        self.customers: dict[str, Customer] = {}
        self.identities: dict[tuple[str, str], str] = {}
        self.agents: dict[str, Agent] = {}
        self.groups: dict[str, Group] = {}
        self.group_names: dict[str, str] = {}
        self.tickets: dict[str, Ticket] = {}
        self.numbers: dict[int, str] = {}
        # (channel, thread_key) -> ids of the tickets on that thread, for find_by_thread
        self.threads: dict[tuple[str, str], frozenset[str]] = {}
        self.counter: dict[str, int] = {"next": first_number}
        self.messages: dict[str, Message] = {}
        self.message_ids_by_ticket: dict[str, list[str]] = {}
        self.external: dict[tuple[str, str], str] = {}
        self.events_by_ticket: dict[str, list[TicketEvent]] = {}
        self.event_log: list[TicketEvent] = []
        self.followups: dict[str, FollowUp] = {}
        self.due: dict[tuple[str, str], DueItem] = {}
        self.extra: dict[str, dict[Any, Any]] = {}


class _Undo:
    """Records how to revert each change made in a unit of work."""

    def __init__(self) -> None:
        self.log: list[Callable[[], None]] = []

    def set(self, table: dict[Any, Any], key: Any, value: Any) -> None:
        old = table.get(key, _MISSING)
        table[key] = value
        if old is _MISSING:
            self.log.append(lambda: table.__delitem__(key))
        else:
            self.log.append(lambda: table.__setitem__(key, old))

    def delete(self, table: dict[Any, Any], key: Any) -> None:
        old = table.pop(key, _MISSING)
        if old is not _MISSING:
            self.log.append(lambda: table.__setitem__(key, old))

    def append(self, items: list[Any], item: Any) -> None:
        items.append(item)
        self.log.append(lambda: items.__delitem__(-1))

    def insort(self, items: list[Any], item: Any, key: Callable[[Any], Any]) -> None:
        index = bisect.bisect_right(items, key(item), key=key)
        items.insert(index, item)
        self.log.append(lambda: items.pop(index))

    def replace_list(self, table: dict[Any, Any], key: Any, value: list[Any]) -> None:
        old = table.get(key, _MISSING)
        table[key] = value
        if old is _MISSING:
            self.log.append(lambda: table.__delitem__(key))
        else:
            self.log.append(lambda: table.__setitem__(key, old))

    def revert(self) -> None:
        while self.log:
            self.log.pop()()


class _Repo:
    def __init__(self, data: _Data, undo: _Undo) -> None:
        self._d = data
        self._u = undo


class _Customers(_Repo):
    def _claim(self, customer: Customer) -> None:
        for ident in customer.identities:
            owner = self._d.identities.get((ident.kind, ident.value))
            if owner is not None and owner != customer.id:
                raise AlreadyExists("identity", str(ident), owner)

    def add(self, customer: Customer) -> Customer:
        if customer.id in self._d.customers:
            raise AlreadyExists("customer", customer.id, customer.id)
        self._claim(customer)
        self._u.set(self._d.customers, customer.id, customer)
        for ident in customer.identities:
            self._u.set(self._d.identities, (ident.kind, ident.value), customer.id)
        return customer

    def get(self, customer_id: str) -> Customer:
        try:
            return self._d.customers[customer_id]
        except KeyError:
            raise NotFound("customer", customer_id) from None

    def update(self, customer: Customer) -> Customer:
        old = self.get(customer.id)
        self._claim(customer)
        for ident in old.identities:
            if ident not in customer.identities:
                self._u.delete(self._d.identities, (ident.kind, ident.value))
        for ident in customer.identities:
            self._u.set(self._d.identities, (ident.kind, ident.value), customer.id)
        self._u.set(self._d.customers, customer.id, customer)
        return customer

    def find_by_identity(self, kind: str, value: str) -> Customer | None:
        ident = Identity(kind, value)
        owner = self._d.identities.get((ident.kind, ident.value))
        return None if owner is None else self._d.customers[owner]

    def list(self, *, limit: int = 100, after: str | None = None) -> list[Customer]:
        ids = sorted(self._d.customers)
        start = bisect.bisect_right(ids, after) if after is not None else 0
        return [self._d.customers[i] for i in ids[start : start + limit]]

    def find_by_identities(self, identities: Sequence[Identity]) -> dict[Identity, Customer]:
        found = {}
        for ident in identities:
            owner = self._d.identities.get((ident.kind, ident.value))
            if owner is not None:
                found[ident] = self._d.customers[owner]
        return found

    def add_many(self, customers: Sequence[Customer]) -> None:
        for customer in customers:
            self.add(customer)


class _Agents(_Repo):
    def add(self, agent: Agent) -> Agent:
        if agent.id in self._d.agents:
            raise AlreadyExists("agent", agent.id, agent.id)
        self._u.set(self._d.agents, agent.id, agent)
        return agent

    def get(self, agent_id: str) -> Agent:
        try:
            return self._d.agents[agent_id]
        except KeyError:
            raise NotFound("agent", agent_id) from None

    def update(self, agent: Agent) -> Agent:
        self.get(agent.id)
        self._u.set(self._d.agents, agent.id, agent)
        return agent

    def list(self, *, group_id: str | None = None) -> list[Agent]:
        agents = [a for a in self._d.agents.values() if group_id is None or group_id in a.groups]
        return sorted(agents, key=lambda a: (a.name, a.id))

    def lock(self, agent_ids: Sequence[str]) -> None:
        """Nothing to do: a memory unit of work holds the whole store."""


class _Groups(_Repo):
    def add(self, group: Group) -> Group:
        if group.name in self._d.group_names:
            raise AlreadyExists("group", group.name, self._d.group_names[group.name])
        self._u.set(self._d.groups, group.id, group)
        self._u.set(self._d.group_names, group.name, group.id)
        return group

    def get(self, group_id: str) -> Group:
        try:
            return self._d.groups[group_id]
        except KeyError:
            raise NotFound("group", group_id) from None

    def get_by_name(self, name: str) -> Group | None:
        gid = self._d.group_names.get(name)
        return None if gid is None else self._d.groups[gid]

    def update(self, group: Group) -> Group:
        old = self.get(group.id)
        if old.name != group.name:
            if group.name in self._d.group_names:
                raise AlreadyExists("group", group.name, self._d.group_names[group.name])
            self._u.delete(self._d.group_names, old.name)
            self._u.set(self._d.group_names, group.name, group.id)
        self._u.set(self._d.groups, group.id, group)
        return group

    def list(self) -> list[Group]:
        return sorted(self._d.groups.values(), key=lambda g: g.name)


class _Tickets(_Repo):
    def next_number(self) -> int:
        number = self._d.counter["next"]
        self._u.set(self._d.counter, "next", number + 1)
        return number

    def next_numbers(self, count: int) -> list[int]:
        if count < 0:
            raise InvalidInput(f"count must be >= 0, got {count}")
        first = self._d.counter["next"]
        self._u.set(self._d.counter, "next", first + count)
        return list(range(first, first + count))

    def add_many(self, tickets: Sequence[Ticket]) -> None:
        for ticket in tickets:
            self.add(ticket)

    def add(self, ticket: Ticket) -> Ticket:
        if ticket.id in self._d.tickets:
            raise AlreadyExists("ticket", ticket.id, ticket.id)
        if ticket.number in self._d.numbers:
            raise AlreadyExists("ticket number", ticket.number, self._d.numbers[ticket.number])
        self._u.set(self._d.tickets, ticket.id, ticket)
        self._u.set(self._d.numbers, ticket.number, ticket.id)
        self._index_thread(None, ticket)
        if ticket.number >= self._d.counter["next"]:
            self._u.set(self._d.counter, "next", ticket.number + 1)
        return ticket

    def get(self, ticket_id: str) -> Ticket:
        try:
            return self._d.tickets[ticket_id]
        except KeyError:
            raise NotFound("ticket", ticket_id) from None

    def get_by_number(self, number: int) -> Ticket:
        tid = self._d.numbers.get(number)
        if tid is None:
            raise NotFound("ticket", f"#{number}")
        return self._d.tickets[tid]

    def update(self, ticket: Ticket, *, expected_version: int) -> Ticket:
        current = self._d.tickets.get(ticket.id)
        if current is None:
            raise NotFound("ticket", ticket.id)
        if current.version != expected_version:
            raise ConcurrencyConflict("ticket", ticket.ref, expected_version, current.version)
        if ticket.version != expected_version + 1:
            raise InvalidInput(
                f"ticket {ticket.ref}: new version must be {expected_version + 1}, "
                f"got {ticket.version}"
            )
        if ticket.number != current.number:
            raise InvalidInput(f"ticket {current.ref}: the number cannot change")
        self._u.set(self._d.tickets, ticket.id, ticket)
        self._index_thread(current, ticket)
        return ticket

    def _index_thread(self, old: Ticket | None, new: Ticket) -> None:
        before = None if old is None or old.thread_key is None else (old.channel, old.thread_key)
        after = None if new.thread_key is None else (new.channel, new.thread_key)
        if before == after:
            return
        threads = self._d.threads
        if before is not None:
            rest = threads.get(before, frozenset()) - {new.id}
            if rest:
                self._u.set(threads, before, rest)
            elif before in threads:
                self._u.delete(threads, before)
        if after is not None:
            self._u.set(threads, after, threads.get(after, frozenset()) | {new.id})

    def _select(self, filter: TicketFilter) -> list[Ticket]:
        return [t for t in self._d.tickets.values() if filter.matches(t)]

    def list(
        self,
        filter: TicketFilter,
        *,
        limit: int = 50,
        after: str | None = None,
        newest_first: bool = False,
    ) -> Page:
        if limit < 1:
            raise InvalidInput(f"limit must be at least 1, got {limit}")
        items = sorted(self._select(filter), key=ticket_sort_key, reverse=newest_first)
        if after is not None:
            key = decode_cursor(after)
            if newest_first:
                items = [t for t in items if ticket_sort_key(t) < key]
            else:
                items = [t for t in items if ticket_sort_key(t) > key]
        page = items[:limit]
        more = len(items) > limit
        return Page(page, encode_cursor(page[-1]) if more and page else None)

    def count(self, filter: TicketFilter) -> int:
        return len(self._select(filter))

    def find_by_thread(self, channel: str, thread_key: str) -> Ticket | None:
        ids = self._d.threads.get((channel, thread_key), ())
        found = [t for t in map(self._d.tickets.__getitem__, ids) if t.merged_into is None]
        return max(found, key=ticket_sort_key) if found else None

    def open_counts(self, agent_ids: Sequence[str], *, statuses: Sequence[str]) -> dict[str, int]:
        wanted = set(agent_ids)
        counts = dict.fromkeys(agent_ids, 0)
        allowed = set(statuses)
        for t in self._d.tickets.values():
            if t.assignee_id in wanted and t.status in allowed and t.merged_into is None:
                counts[t.assignee_id] += 1
        return counts

    def solved_before(
        self,
        statuses: Sequence[str],
        before: datetime,
        *,
        limit: int = 500,
        after: tuple[datetime, str] | None = None,
    ) -> builtins.list[Ticket]:
        wanted = set(statuses)
        found = [
            (t.solved_at, t.id, t)
            for t in self._d.tickets.values()
            if t.status in wanted
            and t.merged_into is None
            and t.solved_at is not None
            and t.solved_at < before
            and (after is None or (t.solved_at, t.id) > after)
        ]
        return [t for _, _, t in sorted(found, key=lambda x: (x[0], x[1]))[:limit]]


class _Messages(_Repo):
    def add(self, message: Message) -> Message:
        if message.id in self._d.messages:
            raise AlreadyExists("message", message.id, message.id)
        if message.external_id is not None:
            key = (message.channel or "", message.external_id)
            if key in self._d.external:
                raise AlreadyExists("message", key, self._d.external[key])
            self._u.set(self._d.external, key, message.id)
        self._u.set(self._d.messages, message.id, message)
        ids = self._d.message_ids_by_ticket.get(message.ticket_id)
        if ids is None:
            self._u.replace_list(self._d.message_ids_by_ticket, message.ticket_id, [message.id])
        else:
            self._u.append(ids, message.id)
        return message

    def get(self, message_id: str) -> Message:
        try:
            return self._d.messages[message_id]
        except KeyError:
            raise NotFound("message", message_id) from None

    def add_many(self, messages: Sequence[Message]) -> None:
        for message in messages:
            self.add(message)

    def find_by_external_id(self, channel: str, external_id: str) -> Message | None:
        mid = self._d.external.get((channel, external_id))
        return None if mid is None else self._d.messages[mid]

    def existing_external_ids(self, channel: str, external_ids: Sequence[str]) -> set[str]:
        return {e for e in external_ids if (channel, e) in self._d.external}

    def find_ticket_by_external_ids(self, external_ids: Sequence[str]) -> str | None:
        wanted = set(external_ids)
        best: Message | None = None
        for (_channel, ext), mid in self._d.external.items():
            if ext in wanted:
                m = self._d.messages[mid]
                if best is None or (m.created_at, m.id) > (best.created_at, best.id):
                    best = m
        return None if best is None else best.ticket_id

    def list_for_ticket(self, ticket_id: str) -> list[Message]:
        msgs = [self._d.messages[i] for i in self._d.message_ids_by_ticket.get(ticket_id, [])]
        return sorted(msgs, key=lambda m: (m.created_at, m.id))

    def move(self, from_ticket_id: str, to_ticket_id: str) -> int:
        ids = list(self._d.message_ids_by_ticket.get(from_ticket_id, []))
        for mid in ids:
            self._u.set(
                self._d.messages, mid, attrs.evolve(self._d.messages[mid], ticket_id=to_ticket_id)
            )
        target = list(self._d.message_ids_by_ticket.get(to_ticket_id, [])) + ids
        self._u.replace_list(self._d.message_ids_by_ticket, to_ticket_id, target)
        self._u.replace_list(self._d.message_ids_by_ticket, from_ticket_id, [])
        return len(ids)


class _Events(_Repo):
    def append(self, events: Sequence[TicketEvent]) -> list[TicketEvent]:
        stored = []
        for event in events:
            trail = self._d.events_by_ticket.get(event.ticket_id)
            if trail is None:
                trail = []
                self._u.replace_list(self._d.events_by_ticket, event.ticket_id, trail)
            numbered = attrs.evolve(event, seq=len(trail) + 1)
            self._u.append(trail, numbered)
            self._u.insort(self._d.event_log, numbered, key=lambda e: e.id)
            stored.append(numbered)
        return stored

    def list_for_ticket(self, ticket_id: str) -> list[TicketEvent]:
        return list(self._d.events_by_ticket.get(ticket_id, []))

    def stream(self, *, after: str | None = None, limit: int = 1000) -> list[TicketEvent]:
        log = self._d.event_log
        start = bisect.bisect_right(log, after, key=lambda e: e.id) if after is not None else 0
        return log[start : start + limit]


class _FollowUps(_Repo):
    def add(self, followup: FollowUp) -> FollowUp:
        if followup.id in self._d.followups:
            raise AlreadyExists("follow-up", followup.id, followup.id)
        self._u.set(self._d.followups, followup.id, followup)
        return followup

    def get(self, followup_id: str) -> FollowUp:
        try:
            return self._d.followups[followup_id]
        except KeyError:
            raise NotFound("follow-up", followup_id) from None

    def update(self, followup: FollowUp) -> FollowUp:
        self.get(followup.id)
        self._u.set(self._d.followups, followup.id, followup)
        return followup

    def list_for_ticket(self, ticket_id: str) -> list[FollowUp]:
        found = [f for f in self._d.followups.values() if f.ticket_id == ticket_id]
        return sorted(found, key=lambda f: (f.created_at, f.id))

    def count_open(self, ticket_id: str) -> int:
        return sum(1 for f in self._d.followups.values() if f.ticket_id == ticket_id and f.is_open)


class _Due(_Repo):
    def schedule(
        self, kind: str, key: str, due_at: datetime, data: Mapping[str, Any] | None = None
    ) -> DueItem:
        item = DueItem(kind, key, to_utc(due_at), dict(data or {}))
        self._u.set(self._d.due, (kind, key), item)
        return item

    def get(self, kind: str, key: str) -> DueItem | None:
        return self._d.due.get((kind, key))

    def cancel(self, kind: str, key: str) -> bool:
        if (kind, key) not in self._d.due:
            return False
        self._u.delete(self._d.due, (kind, key))
        return True

    def claim_due(
        self,
        kind: str,
        now: datetime,
        limit: int,
        *,
        worker: str,
        lease: timedelta = DEFAULT_LEASE,
    ) -> list[DueItem]:
        if limit < 1:
            raise InvalidInput(f"limit must be at least 1, got {limit}")
        at = to_utc(now)
        due = sorted(
            (
                i
                for i in self._d.due.values()
                if i.kind == kind
                and i.done_at is None
                and i.due_at <= at
                and (i.claimed_until is None or i.claimed_until <= at)
            ),
            key=lambda i: (i.due_at, i.key),
        )[:limit]
        claimed = []
        for item in due:
            new = attrs.evolve(
                item, claimed_by=worker, claimed_until=at + lease, attempts=item.attempts + 1
            )
            self._u.set(self._d.due, (kind, item.key), new)
            claimed.append(new)
        return claimed

    def complete(self, kind: str, key: str, *, worker: str, now: datetime) -> bool:
        item = self._d.due.get((kind, key))
        if item is None or item.claimed_by != worker or item.done_at is not None:
            return False
        self._u.set(self._d.due, (kind, key), attrs.evolve(item, done_at=to_utc(now)))
        return True

    def release(self, kind: str, key: str, *, worker: str) -> bool:
        item = self._d.due.get((kind, key))
        if item is None or item.claimed_by != worker or item.done_at is not None:
            return False
        new = attrs.evolve(item, claimed_by=None, claimed_until=None)
        self._u.set(self._d.due, (kind, key), new)
        return True

    def list(self, kind: str, *, include_done: bool = False) -> list[DueItem]:
        items = [
            i
            for i in self._d.due.values()
            if i.kind == kind and (include_done or i.done_at is None)
        ]
        return sorted(items, key=lambda i: (i.due_at, i.key))


class MemoryUnitOfWork:
    """A unit of work on :class:`MemoryStorage`."""

    def __init__(self, storage: MemoryStorage) -> None:
        self._storage = storage
        self._undo = _Undo()
        data = storage._data
        self.customers: CustomerRepository = _Customers(data, self._undo)
        self.agents: AgentRepository = _Agents(data, self._undo)
        self.groups: GroupRepository = _Groups(data, self._undo)
        self.tickets: TicketRepository = _Tickets(data, self._undo)
        self.messages: MessageRepository = _Messages(data, self._undo)
        self.events: EventRepository = _Events(data, self._undo)
        self.followups: FollowUpRepository = _FollowUps(data, self._undo)
        self.due: DueRepository = _Due(data, self._undo)
        self.channels: ChannelRepository = MemoryChannels(data, self._undo)
        self.templates: TemplateRepository = MemoryTemplates(data, self._undo)
        self.macros: MacroRepository = MemoryMacros(data, self._undo)
        self.authority: AuthorityRepository = MemoryAuthority(data, self._undo)
        self.kb_categories: KbCategoryRepository = MemoryKbCategories(data, self._undo)
        self.kb_articles: KbArticleRepository = MemoryKbArticles(data, self._undo)
        self.kb_feedback: KbFeedbackRepository = MemoryKbFeedback(data, self._undo)
        self.kb_searches: KbSearchLogRepository = MemoryKbSearchLog(data, self._undo)
        self.sla: SlaTimerRepository = MemorySlaTimers(data, self._undo)
        self.bot: BotRepository = MemoryBot(data, self._undo)
        self.surveys: SurveyRepository = MemorySurveys(data, self._undo)
        self.analytics: AnalyticsRepository = MemoryAnalytics(data, self._undo)
        self.escalations: EscalationRepository = MemoryEscalations(data, self._undo)
        self.automation: AutomationRepository = MemoryAutomation(data, self._undo)
        self.routing: RoutingRepository = MemoryRouting(data, self._undo)
        self._active = False

    def __enter__(self) -> Self:
        self._storage._lock.acquire()
        self._active = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.rollback()
        finally:
            self._active = False
            self._storage._lock.release()

    def commit(self) -> None:
        """Keep every change made so far."""
        self._undo.log.clear()

    def rollback(self) -> None:
        """Revert every change made since the last commit."""
        self._undo.revert()


class MemoryStorage:
    """Everything in process memory; for tests, simulations and trying things out."""

    name = "memory"

    def __init__(self, *, first_ticket_number: int = 1001) -> None:
        self._lock = threading.RLock()
        self._data = _Data(first_ticket_number)

    def unit_of_work(self) -> MemoryUnitOfWork:
        """Start a unit of work."""
        return MemoryUnitOfWork(self)

    def close(self) -> None:
        """Nothing to release."""

    def __repr__(self) -> str:
        return f"MemoryStorage(tickets={len(self._data.tickets)})"
