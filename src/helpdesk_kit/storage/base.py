"""The storage port: repositories, the unit of work and the query objects every backend serves.

A backend implements :class:`Storage`. The desk opens one unit of work per command::

    with storage.unit_of_work() as uow:
        ticket = uow.tickets.get(ticket_id)
        ...
        uow.commit()

Leaving the ``with`` block without ``commit()`` (or through an exception) rolls back:
nothing half-done is stored.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Protocol, Self

import attrs

from helpdesk_kit.clock import ensure_aware
from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.storage.analytics import AnalyticsRepository
from helpdesk_kit.storage.authority import AuthorityRepository
from helpdesk_kit.storage.automation import AutomationRepository
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
from helpdesk_kit.tickets.model import (
    Agent,
    Customer,
    FollowUp,
    Group,
    Identity,
    Message,
    Priority,
    Ticket,
    TicketEvent,
)

__all__ = [
    "DEFAULT_LEASE",
    "AgentRepository",
    "CustomerRepository",
    "DueItem",
    "DueRepository",
    "EventRepository",
    "FollowUpRepository",
    "GroupRepository",
    "MessageRepository",
    "Page",
    "Storage",
    "TicketFilter",
    "TicketRepository",
    "UnitOfWork",
]


def _opt_aware(_inst: object, attribute: attrs.Attribute[Any], value: datetime | None) -> None:
    if value is not None:
        ensure_aware(value, attribute.name)


def _opt_strs(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


@attrs.frozen
class TicketFilter:
    """What to select in ticket lists; every field left ``None`` matches everything.

    Fields that take a collection match any of its values (``status=("new", "open")``).
    ``assignee_id=""`` selects unassigned tickets. Time ranges are half-open: ``[after, before)``.
    Merged tickets are left out unless ``include_merged``.
    """

    status: tuple[str, ...] | None = attrs.field(default=None, converter=_opt_strs)
    assignee_id: str | None = None
    group_id: str | None = None
    tag: str | None = None
    priority: tuple[str, ...] | None = attrs.field(default=None, converter=_opt_strs)
    channel: tuple[str, ...] | None = attrs.field(default=None, converter=_opt_strs)
    customer_id: str | None = None
    category: str | None = None
    lifecycle: str | None = None
    created_after: datetime | None = attrs.field(default=None, validator=_opt_aware)
    created_before: datetime | None = attrs.field(default=None, validator=_opt_aware)
    updated_after: datetime | None = attrs.field(default=None, validator=_opt_aware)
    updated_before: datetime | None = attrs.field(default=None, validator=_opt_aware)
    include_merged: bool = False

    def __attrs_post_init__(self) -> None:
        if self.priority is not None:
            bad = [p for p in self.priority if p not in {x.value for x in Priority}]
            if bad:
                raise InvalidInput(f"unknown priority {bad[0]!r}")

    def matches(self, t: Ticket) -> bool:
        """True when ``t`` is selected (the reference semantics every backend follows)."""
        if not self.include_merged and t.merged_into is not None:
            return False
        if self.status is not None and t.status not in self.status:
            return False
        if self.assignee_id is not None and (t.assignee_id or "") != self.assignee_id:
            return False
        if self.group_id is not None and t.group_id != self.group_id:
            return False
        if self.tag is not None and self.tag not in t.tags:
            return False
        if self.priority is not None and t.priority.value not in self.priority:
            return False
        if self.channel is not None and t.channel not in self.channel:
            return False
        if self.customer_id is not None and t.customer_id != self.customer_id:
            return False
        if self.category is not None and t.category != self.category:
            return False
        if self.lifecycle is not None and t.lifecycle != self.lifecycle:
            return False
        if self.created_after is not None and t.created_at < self.created_after:
            return False
        if self.created_before is not None and t.created_at >= self.created_before:
            return False
        if self.updated_after is not None and t.updated_at < self.updated_after:
            return False
        return not (self.updated_before is not None and t.updated_at >= self.updated_before)


@attrs.frozen
class Page:
    """One page of a keyset-paginated list; pass ``next_cursor`` as ``after`` for the next."""

    items: list[Ticket]
    next_cursor: str | None


class CustomerRepository(Protocol):
    """Customers and their identities; (kind, value) of an identity is unique."""

    def add(self, customer: Customer) -> Customer:
        """Store a new customer; ``AlreadyExists`` if one of its identities is taken."""
        ...

    def get(self, customer_id: str) -> Customer:
        """Return the customer; ``NotFound`` if there is none."""
        ...

    def update(self, customer: Customer) -> Customer:
        """Replace the stored customer (identities included); ``AlreadyExists`` on a taken one."""
        ...

    def find_by_identity(self, kind: str, value: str) -> Customer | None:
        """Return the customer owning the identity (normalized), or None."""
        ...

    def list(self, *, limit: int = 100, after: str | None = None) -> list[Customer]:
        """Customers ordered by id, from the one after ``after``."""
        ...

    def find_by_identities(self, identities: Sequence[Identity]) -> dict[Identity, Customer]:
        """For each identity that has an owner, the owner (one query for bulk intake)."""
        ...

    def add_many(self, customers: Sequence[Customer]) -> None:
        """Store new customers at once; ``AlreadyExists`` as :meth:`add`."""
        ...


class AgentRepository(Protocol):
    """Agents."""

    def add(self, agent: Agent) -> Agent:
        """Store a new agent."""
        ...

    def get(self, agent_id: str) -> Agent:
        """Return the agent; ``NotFound`` if there is none."""
        ...

    def update(self, agent: Agent) -> Agent:
        """Replace the stored agent."""
        ...

    def list(self, *, group_id: str | None = None) -> list[Agent]:
        """All agents (of one group when given), ordered by name then id."""
        ...

    def lock(self, agent_ids: Sequence[str]) -> None:
        """Hold these agents until the unit of work ends, so concurrent routing waits.

        Routing counts an agent's open tickets and then assigns one more; two processes
        doing that at once could both see free capacity. A backend with concurrent writers
        locks the rows (``SELECT ... FOR UPDATE`` in id order); one that serializes units of
        work does nothing.
        """
        ...


class GroupRepository(Protocol):
    """Groups (teams)."""

    def add(self, group: Group) -> Group:
        """Store a new group; group names are unique (``AlreadyExists``)."""
        ...

    def get(self, group_id: str) -> Group:
        """Return the group; ``NotFound`` if there is none."""
        ...

    def get_by_name(self, name: str) -> Group | None:
        """Return the group called ``name``, or None."""
        ...

    def update(self, group: Group) -> Group:
        """Replace the stored group."""
        ...

    def list(self) -> list[Group]:
        """All groups ordered by name."""
        ...


class TicketRepository(Protocol):
    """Tickets, with optimistic versioning."""

    def next_number(self) -> int:
        """Allocate the next human ticket number of this desk (unique, increasing)."""
        ...

    def next_numbers(self, count: int) -> list[int]:
        """Allocate ``count`` ticket numbers at once (bulk intake)."""
        ...

    def add(self, ticket: Ticket) -> Ticket:
        """Store a new ticket; numbers it was given elsewhere are never allocated later."""
        ...

    def add_many(self, tickets: Sequence[Ticket]) -> None:
        """Store new tickets at once."""
        ...

    def get(self, ticket_id: str) -> Ticket:
        """Return the ticket; ``NotFound`` if there is none."""
        ...

    def get_by_number(self, number: int) -> Ticket:
        """Return the ticket with that number; ``NotFound`` if there is none."""
        ...

    def update(self, ticket: Ticket, *, expected_version: int) -> Ticket:
        """Store ``ticket`` if the stored version is ``expected_version``.

        A different stored version raises ``ConcurrencyConflict``.

        ``ticket.version`` must be ``expected_version + 1``.
        """
        ...

    def list(
        self,
        filter: TicketFilter,
        *,
        limit: int = 50,
        after: str | None = None,
        newest_first: bool = False,
    ) -> Page:
        """Tickets matching ``filter``, ordered by (created_at, id), keyset-paginated."""
        ...

    def count(self, filter: TicketFilter) -> int:
        """How many tickets match ``filter``."""
        ...

    def find_by_thread(self, channel: str, thread_key: str) -> Ticket | None:
        """The newest unmerged ticket on ``channel`` with ``thread_key``, or None."""
        ...

    def open_counts(self, agent_ids: Sequence[str], *, statuses: Sequence[str]) -> dict[str, int]:
        """For each agent, how many unmerged tickets in ``statuses`` they hold."""
        ...

    def solved_before(
        self,
        statuses: Sequence[str],
        before: datetime,
        *,
        limit: int = 500,
        after: tuple[datetime, str] | None = None,
    ) -> builtins.list[Ticket]:
        """Unmerged tickets in ``statuses`` solved before ``before``, by (solved_at, id).

        ``after`` continues from the (solved_at, id) of the last ticket of the previous batch.
        The auto-close sweep's query (an index on the solve time serves it).
        """
        ...


class MessageRepository(Protocol):
    """Messages; (channel, external_id) is unique when external_id is set."""

    def add(self, message: Message) -> Message:
        """Store a message; ``AlreadyExists`` if (channel, external_id) is taken."""
        ...

    def get(self, message_id: str) -> Message:
        """Return the message; ``NotFound`` if there is none."""
        ...

    def add_many(self, messages: Sequence[Message]) -> None:
        """Store new messages at once; ``AlreadyExists`` as :meth:`add`."""
        ...

    def find_by_external_id(self, channel: str, external_id: str) -> Message | None:
        """The message with this channel id, or None."""
        ...

    def existing_external_ids(self, channel: str, external_ids: Sequence[str]) -> set[str]:
        """Which of ``external_ids`` are already stored on ``channel`` (bulk dedupe)."""
        ...

    def find_ticket_by_external_ids(self, external_ids: Sequence[str]) -> str | None:
        """The ticket id of the newest message whose external id is one of ``external_ids``."""
        ...

    def list_for_ticket(self, ticket_id: str) -> list[Message]:
        """The ticket's messages in the order they were created."""
        ...

    def move(self, from_ticket_id: str, to_ticket_id: str) -> int:
        """Move every message of one ticket to another (merging); return how many moved."""
        ...


class EventRepository(Protocol):
    """The append-only audit trail."""

    def append(self, events: Sequence[TicketEvent]) -> list[TicketEvent]:
        """Store events, numbering each ticket's events 1, 2, 3, ...; return them with ``seq``."""
        ...

    def list_for_ticket(self, ticket_id: str) -> list[TicketEvent]:
        """A ticket's events in ``seq`` order."""
        ...

    def stream(self, *, after: str | None = None, limit: int = 1000) -> list[TicketEvent]:
        """Every ticket's events in id order, from the one after the id ``after``."""
        ...


class FollowUpRepository(Protocol):
    """Internal follow-ups on tickets."""

    def add(self, followup: FollowUp) -> FollowUp:
        """Store a follow-up."""
        ...

    def get(self, followup_id: str) -> FollowUp:
        """Return the follow-up; ``NotFound`` if there is none."""
        ...

    def update(self, followup: FollowUp) -> FollowUp:
        """Replace the stored follow-up."""
        ...

    def list_for_ticket(self, ticket_id: str) -> list[FollowUp]:
        """A ticket's follow-ups in creation order."""
        ...

    def count_open(self, ticket_id: str) -> int:
        """How many of the ticket's follow-ups are not done."""
        ...


#: How long a claimed due item stays with its worker before another may take it.
DEFAULT_LEASE = timedelta(minutes=5)


@attrs.frozen
class DueItem:
    """A piece of time-based work: ``(kind, key)`` is due at ``due_at``.

    Sweeps (SLA warnings and breaches, escalations, time rules) schedule items and workers
    claim the due ones; a claim is a lease (``claimed_until``) so a crashed worker's items
    come back. ``done_at`` is set when a worker completes the item.
    """

    kind: str
    key: str
    due_at: datetime = attrs.field(validator=_opt_aware)
    data: dict[str, Any] = attrs.field(factory=dict, converter=dict, hash=False)
    claimed_by: str | None = None
    claimed_until: datetime | None = attrs.field(default=None, validator=_opt_aware)
    attempts: int = 0
    done_at: datetime | None = attrs.field(default=None, validator=_opt_aware)


class DueRepository(Protocol):
    """Due items: scheduled, claimed by one worker at a time, completed."""

    def schedule(
        self, kind: str, key: str, due_at: datetime, data: Mapping[str, Any] | None = None
    ) -> DueItem:
        """Create or move the item ``(kind, key)``; a moved item is unclaimed and not done."""
        ...

    def get(self, kind: str, key: str) -> DueItem | None:
        """The item, or None."""
        ...

    def cancel(self, kind: str, key: str) -> bool:
        """Remove the item; False if there was none."""
        ...

    def claim_due(
        self,
        kind: str,
        now: datetime,
        limit: int,
        *,
        worker: str,
        lease: timedelta = DEFAULT_LEASE,
    ) -> list[DueItem]:
        """Claim up to ``limit`` items of ``kind`` due at ``now``, earliest first.

        An item is due when ``due_at <= now``, it is not done, and it is unclaimed or its
        lease ran out. Claimed items belong to ``worker`` until ``now + lease``. Two units of
        work claiming at once never get the same item (``FOR UPDATE SKIP LOCKED``).
        """
        ...

    def complete(self, kind: str, key: str, *, worker: str, now: datetime) -> bool:
        """Mark the item done if ``worker`` still holds it; False if it lost it."""
        ...

    def release(self, kind: str, key: str, *, worker: str) -> bool:
        """Give a claimed item back (to retry soon); False if ``worker`` did not hold it."""
        ...

    def list(self, kind: str, *, include_done: bool = False) -> list[DueItem]:
        """The items of ``kind`` ordered by (due_at, key)."""
        ...


class UnitOfWork(Protocol):
    """One transaction over every repository."""

    customers: CustomerRepository
    agents: AgentRepository
    groups: GroupRepository
    tickets: TicketRepository
    messages: MessageRepository
    events: EventRepository
    followups: FollowUpRepository
    due: DueRepository
    channels: ChannelRepository
    templates: TemplateRepository
    macros: MacroRepository
    authority: AuthorityRepository
    kb_categories: KbCategoryRepository
    kb_articles: KbArticleRepository
    kb_feedback: KbFeedbackRepository
    kb_searches: KbSearchLogRepository
    sla: SlaTimerRepository
    bot: BotRepository
    surveys: SurveyRepository
    analytics: AnalyticsRepository
    escalations: EscalationRepository
    automation: AutomationRepository
    routing: RoutingRepository

    def commit(self) -> None:
        """Make every change of this unit visible at once."""
        ...

    def rollback(self) -> None:
        """Forget every change of this unit."""
        ...

    def __enter__(self) -> Self:
        """Begin."""
        ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """End: roll back what was not committed."""
        ...


class Storage(Protocol):
    """A storage backend: a factory of units of work."""

    name: str

    def unit_of_work(self) -> UnitOfWork:
        """Start a unit of work (use it as a context manager)."""
        ...

    def close(self) -> None:
        """Release connections and files."""
        ...


def chunked(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Yield lists of at most ``size`` items."""
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
