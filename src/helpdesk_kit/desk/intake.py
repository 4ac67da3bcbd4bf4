"""Taking in a customer's message: dedupe, find the customer and the thread, or open a ticket."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from helpdesk_kit.desk.results import ReceiveResult
from helpdesk_kit.desk.work import Work
from helpdesk_kit.errors import NotFound
from helpdesk_kit.tickets import events as ev
from helpdesk_kit.tickets.model import (
    MAX_SUBJECT_LENGTH,
    Actor,
    AuthorKind,
    Customer,
    InboundMessage,
    Message,
    Priority,
    StateCategory,
    Ticket,
    TicketEvent,
)

if TYPE_CHECKING:
    from helpdesk_kit.desk.service import Helpdesk

__all__ = ["receive_into", "subject_for"]


def receive_into(desk: Helpdesk, work: Work, inbound: InboundMessage) -> ReceiveResult:
    """Take ``inbound`` in within ``work`` (see :meth:`Helpdesk.receive`)."""
    uow = work.uow
    if inbound.external_id:
        existing = uow.messages.find_by_external_id(inbound.channel, inbound.external_id)
        if existing is not None:
            seen = uow.tickets.get(existing.ticket_id)
            return ReceiveResult(
                seen, existing, uow.customers.get(seen.customer_id), duplicate=True
            )

    customer: Customer | None = uow.customers.find_by_identity(
        inbound.sender.kind, inbound.sender.value
    )
    ticket: Ticket | None
    ticket, how = _find_thread(work, inbound)
    if ticket is not None and how != "thread_key" and not _may_join(ticket, customer, inbound):
        if desk.settings.unknown_sender == "note":
            return _as_note(desk, work, ticket, inbound, customer, unknown_sender=True)
        ticket = None

    if inbound.is_automatic:
        if ticket is None:
            return ReceiveResult(
                None,
                None,
                customer,
                ignored=(
                    "automatic message (auto-reply, bounce or loop) that belongs to no ticket"
                ),
            )
        return _as_note(desk, work, ticket, inbound, customer, unknown_sender=False)

    if customer is None:
        customer = uow.customers.add(
            Customer(
                name=inbound.sender_name,
                identities=[inbound.sender],
                locale=inbound.locale,
                created_at=work.now,
            )
        )
    actor = Actor.customer(customer.id)

    follow_up_of: Ticket | None = None
    reopened = False
    transition: str | None = None
    if ticket is not None:
        lc = desk.lifecycle(ticket.lifecycle)
        category = lc.category(ticket.status)
        if category is StateCategory.CLOSED:
            follow_up_of, ticket = ticket, None
        else:
            transition = lc.reply_transition("on_customer_reply", ticket.status)
            if transition is not None and category is StateCategory.SOLVED:
                reason = desk._why_not(work, ticket, transition, actor)
                if reason is not None:
                    follow_up_of, ticket, transition = ticket, None, None

    created = ticket is None
    if ticket is None:
        ticket = _open_from(desk, work, inbound, customer, actor, follow_up_of)

    message = uow.messages.add(
        Message(
            ticket_id=ticket.id,
            author_kind=AuthorKind.CUSTOMER,
            author_id=customer.id,
            text=inbound.text,
            html=inbound.html,
            attachments=inbound.attachments,
            created_at=work.now,
            channel=inbound.channel,
            external_id=inbound.external_id,
            subject=inbound.subject or None,
        )
    )
    received = TicketEvent(
        ticket.id,
        ev.MESSAGE_RECEIVED,
        work.now,
        str(actor),
        {"message_id": message.id, "channel": inbound.channel},
    )
    if created:
        work.record([received])
        ticket = desk._auto_route(work, ticket)
    else:
        ticket = work.save(ticket, ticket, [received])
        if transition is not None:
            before = desk.lifecycle(ticket.lifecycle).category(ticket.status)
            ticket = desk._fire(work, ticket, transition, actor)
            reopened = before is StateCategory.SOLVED
    return ReceiveResult(ticket, message, customer, created=created, reopened=reopened)


def _find_thread(work: Work, inbound: InboundMessage) -> tuple[Ticket | None, str]:
    uow = work.uow
    if inbound.thread_refs:
        tid = uow.messages.find_ticket_by_external_ids(list(inbound.thread_refs))
        if tid is not None:
            return _follow_merges(work, work.ticket(tid)), "reference"
    if inbound.ticket_number is not None:
        try:
            found = uow.tickets.get_by_number(inbound.ticket_number)
        except NotFound:
            found = None
        if found is not None:
            work.tickets[found.id] = found
            return _follow_merges(work, found), "number"
    if inbound.thread_key:
        found = uow.tickets.find_by_thread(inbound.channel, inbound.thread_key)
        if found is not None:
            work.tickets[found.id] = found
            return _follow_merges(work, found), "thread_key"
    return None, ""


def _follow_merges(work: Work, ticket: Ticket) -> Ticket:
    seen = {ticket.id}
    while ticket.merged_into is not None and ticket.merged_into not in seen:
        seen.add(ticket.merged_into)
        ticket = work.ticket(ticket.merged_into)
    return ticket


def _may_join(ticket: Ticket, customer: Customer | None, inbound: InboundMessage) -> bool:
    if customer is not None and customer.id == ticket.customer_id:
        return True
    return str(inbound.sender) in ticket.participants


def _as_note(
    desk: Helpdesk,
    work: Work,
    ticket: Ticket,
    inbound: InboundMessage,
    customer: Customer | None,
    *,
    unknown_sender: bool,
) -> ReceiveResult:
    header = (
        "Automatic message"
        if inbound.is_automatic
        else f"Message from {inbound.sender} (not a participant of this ticket)"
    )
    message = work.uow.messages.add(
        Message(
            ticket_id=ticket.id,
            author_kind=AuthorKind.SYSTEM,
            author_id=None,
            text=f"[{header}]\n{inbound.text}",
            html=None,
            attachments=inbound.attachments,
            created_at=work.now,
            channel=inbound.channel,
            external_id=inbound.external_id,
            public=False,
            subject=inbound.subject or None,
        )
    )
    event = TicketEvent(
        ticket.id,
        ev.NOTE_ADDED,
        work.now,
        "system",
        {
            "message_id": message.id,
            "automatic": inbound.is_automatic,
            "unknown_sender": unknown_sender,
            "sender": str(inbound.sender),
        },
    )
    saved = work.save(ticket, ticket, [event])
    return ReceiveResult(saved, message, customer)


def subject_for(inbound: InboundMessage) -> str:
    """The subject a new ticket gets: the message's, else its first line, shortened to the limit."""
    subject = " ".join(inbound.subject.split())
    if not subject:
        first = next((line.strip() for line in inbound.text.splitlines() if line.strip()), "")
        subject = first[:80] + ("…" if len(first) > 80 else "")
    if not subject:
        subject = "(no subject)"
    if len(subject) > MAX_SUBJECT_LENGTH:
        subject = subject[: MAX_SUBJECT_LENGTH - 1] + "…"
    return subject


def _classify(desk: Helpdesk, inbound: InboundMessage, customer: Customer) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    tags: set[str] = set()
    for result in desk.hook.classify_message(desk=desk, message=inbound, customer=customer):
        if not result:
            continue
        for key, value in result.items():
            if key == "tags":
                tags.update(value)
            elif value is not None:
                merged.setdefault(key, value)
    merged["tags"] = tags
    return merged


def _open_from(
    desk: Helpdesk,
    work: Work,
    inbound: InboundMessage,
    customer: Customer,
    actor: Actor,
    follow_up_of: Ticket | None,
) -> Ticket:
    found = _classify(desk, inbound, customer)
    custom: dict[str, Any] = {}
    if follow_up_of is not None:
        custom["follow_up_of"] = follow_up_of.number
    participants = frozenset(str(i) for i in inbound.cc)
    ticket = desk._create_ticket(
        work,
        customer,
        subject=subject_for(inbound),
        channel=inbound.channel,
        priority=Priority(found.get("priority", Priority.NORMAL)),
        category=found.get("category"),
        tags=frozenset(found["tags"]),
        group=desk._group(work, found.get("group")),
        lifecycle=found.get("lifecycle") or desk.settings.default_lifecycle,
        language=found.get("language") or inbound.locale,
        custom_fields=custom,
        thread_key=inbound.thread_key,
        participants=participants,
        actor=actor,
    )
    return ticket
