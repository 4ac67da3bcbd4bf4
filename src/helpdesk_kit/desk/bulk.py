"""Bulk intake: many inbound messages per unit of work, new conversations stored set-wise."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import attrs

from helpdesk_kit.desk.retry import retry_on_conflict
from helpdesk_kit.errors import AlreadyExists, InvalidInput
from helpdesk_kit.storage.base import chunked
from helpdesk_kit.tickets import events as ev
from helpdesk_kit.tickets.model import (
    Actor,
    AgentStatus,
    AuthorKind,
    Customer,
    Group,
    Identity,
    InboundMessage,
    Message,
    Priority,
    Ticket,
    TicketEvent,
)

if TYPE_CHECKING:
    from helpdesk_kit.desk.service import Helpdesk
    from helpdesk_kit.desk.work import Work

__all__ = ["ImportSummary", "import_messages"]


@attrs.define
class ImportSummary:
    """What :meth:`Helpdesk.import_messages` did.

    ``created``: new tickets; ``joined``: messages added to existing tickets (replies);
    ``duplicates``: deliveries already taken in; ``ignored``: automatic messages that belong
    to no ticket.
    """

    created: int = 0
    joined: int = 0
    duplicates: int = 0
    ignored: int = 0

    @property
    def total(self) -> int:
        """How many messages were looked at."""
        return self.created + self.joined + self.duplicates + self.ignored


def _simple(m: InboundMessage) -> bool:
    """A message that can only open a new ticket (no thread to look up)."""
    return not (m.thread_refs or m.ticket_number is not None or m.thread_key or m.is_automatic)


def import_messages(
    desk: Helpdesk, messages: Iterable[InboundMessage], *, batch_size: int = 1000
) -> ImportSummary:
    """See :meth:`Helpdesk.import_messages`."""
    if batch_size < 1:
        raise InvalidInput(f"batch_size must be at least 1, got {batch_size}")
    total = ImportSummary()
    for batch in chunked(messages, batch_size):
        for m in batch:
            if not isinstance(m, InboundMessage):
                raise InvalidInput(
                    f"import_messages() takes InboundMessages, got {type(m).__name__}"
                )
        done = _retried(desk, batch)
        total.created += done.created
        total.joined += done.joined
        total.duplicates += done.duplicates
        total.ignored += done.ignored
    return total


def _retried(desk: Helpdesk, batch: list[InboundMessage]) -> ImportSummary:
    """One batch as one unit of work, again from the start when it lost a race."""
    return retry_on_conflict(lambda: _one_batch(desk, batch), retry_on=(AlreadyExists,))


def _one_batch(desk: Helpdesk, batch: list[InboundMessage]) -> ImportSummary:
    from helpdesk_kit.desk.intake import receive_into

    summary = ImportSummary()
    with desk._work() as work:
        pending: list[InboundMessage] = []
        for m in batch:
            if _simple(m):
                pending.append(m)
                continue
            _open_many(desk, work, pending, summary)
            pending = []
            result = receive_into(desk, work, m)
            if result.duplicate:
                summary.duplicates += 1
            elif result.ignored:
                summary.ignored += 1
            elif result.created:
                summary.created += 1
            else:
                summary.joined += 1
        _open_many(desk, work, pending, summary)
    return summary


def _open_many(
    desk: Helpdesk, work: Work, batch: list[InboundMessage], summary: ImportSummary
) -> None:
    """Open one ticket per message of ``batch`` (none of them threads), a few statements."""
    if not batch:
        return
    from helpdesk_kit.desk.intake import _classify, subject_for

    uow = work.uow
    # Retried deliveries: in the database, or earlier in this batch.
    by_channel: dict[str, list[str]] = {}
    for m in batch:
        if m.external_id:
            by_channel.setdefault(m.channel, []).append(m.external_id)
    seen = {
        (channel, ext)
        for channel, ids in by_channel.items()
        for ext in uow.messages.existing_external_ids(channel, ids)
    }
    fresh: list[InboundMessage] = []
    for m in batch:
        if m.external_id:
            key = (m.channel, m.external_id)
            if key in seen:
                summary.duplicates += 1
                continue
            seen.add(key)
        fresh.append(m)
    if not fresh:
        return

    # One customer per identity: look them all up at once, create the missing ones.
    senders = list(dict.fromkeys(m.sender for m in fresh))
    customers: dict[Identity, Customer] = uow.customers.find_by_identities(senders)
    new_customers: list[Customer] = []
    for m in fresh:
        if m.sender not in customers:
            c = Customer(
                name=m.sender_name, identities=[m.sender], locale=m.locale, created_at=work.now
            )
            customers[m.sender] = c
            new_customers.append(c)
    uow.customers.add_many(new_customers)

    groups: dict[str | None, Group | None] = {None: None}
    numbers = uow.tickets.next_numbers(len(fresh))
    tickets: list[Ticket] = []
    stored: list[Message] = []
    events: list[TicketEvent] = []
    for m, number in zip(fresh, numbers, strict=True):
        customer = customers[m.sender]
        actor = Actor.customer(customer.id)
        found = _classify(desk, m, customer)
        group_name = found.get("group") or desk.settings.default_group
        if group_name not in groups:
            groups[group_name] = desk._group(work, group_name)
        ticket, created = desk._new_ticket(
            work,
            customer,
            number=number,
            subject=subject_for(m),
            channel=m.channel,
            priority=Priority(found.get("priority", Priority.NORMAL)),
            category=found.get("category"),
            tags=frozenset(found["tags"]),
            group=groups[group_name],
            lifecycle=found.get("lifecycle") or desk.settings.default_lifecycle,
            language=found.get("language") or m.locale,
            custom_fields={},
            thread_key=None,
            participants=frozenset(str(i) for i in m.cc),
            actor=actor,
        )
        message = Message(
            ticket_id=ticket.id,
            author_kind=AuthorKind.CUSTOMER,
            author_id=customer.id,
            text=m.text,
            html=m.html,
            attachments=m.attachments,
            created_at=work.now,
            channel=m.channel,
            external_id=m.external_id,
            subject=m.subject or None,
        )
        received = TicketEvent(
            ticket.id,
            ev.MESSAGE_RECEIVED,
            work.now,
            str(actor),
            {"message_id": message.id, "channel": m.channel},
        )
        tickets.append(ticket)
        stored.append(message)
        events += [created, received]
    uow.tickets.add_many(tickets)
    uow.messages.add_many(stored)
    for t in tickets:
        work.tickets[t.id] = t
    work.record(events)
    summary.created += len(tickets)

    if desk.settings.auto_assign and any(
        a.status is AgentStatus.ONLINE and a.max_concurrent > 0 for a in uow.agents.list()
    ):
        for t in tickets:
            desk._auto_route(work, t)
