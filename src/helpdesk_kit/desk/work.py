"""One command's unit of work: saves tickets with a version check and collects events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import attrs

from helpdesk_kit.errors import ConcurrencyConflict
from helpdesk_kit.storage.base import UnitOfWork
from helpdesk_kit.tickets.model import Customer, Message, Ticket, TicketEvent

__all__ = ["Work"]


class Work:
    """Wraps a unit of work; remembers the events and outgoing messages of one command."""

    def __init__(self, uow: UnitOfWork, now: datetime) -> None:
        self.uow = uow
        self.now = now
        self.events: list[TicketEvent] = []
        self.tickets: dict[str, Ticket] = {}
        self.outbox: list[tuple[Ticket, Message, Customer]] = []

    def add_ticket(self, ticket: Ticket, events: Sequence[TicketEvent] = ()) -> Ticket:
        """Store a new ticket and its first events."""
        stored = self.uow.tickets.add(ticket)
        self.tickets[stored.id] = stored
        self.record(events)
        return stored

    def save(
        self,
        old: Ticket,
        new: Ticket,
        events: Sequence[TicketEvent] = (),
        *,
        expected_version: int | None = None,
    ) -> Ticket:
        """Store ``new`` in place of ``old`` (one version later) and record ``events``.

        ``expected_version`` is the version the caller saw; a different stored version is a
        ``ConcurrencyConflict``.
        """
        if expected_version is not None and expected_version != old.version:
            raise ConcurrencyConflict("ticket", old.ref, expected_version, old.version)
        new = attrs.evolve(new, version=old.version + 1, updated_at=self.now)
        stored = self.uow.tickets.update(new, expected_version=old.version)
        self.tickets[stored.id] = stored
        self.record(events)
        return stored

    def record(self, events: Sequence[TicketEvent]) -> list[TicketEvent]:
        """Append events to the audit trail (numbered by storage)."""
        if not events:
            return []
        stored = self.uow.events.append(list(events))
        self.events.extend(stored)
        return stored

    def ticket(self, ticket_id: str) -> Ticket:
        """The ticket as this command last saw or saved it."""
        if ticket_id in self.tickets:
            return self.tickets[ticket_id]
        found = self.uow.tickets.get(ticket_id)
        self.tickets[ticket_id] = found
        return found
