"""Desk commands for one inbox: merging customers, a customer's cross-channel timeline,
and keeping the channel id of a delivered reply so answers to it thread back."""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from helpdesk_kit.errors import AlreadyExists, InvalidInput
from helpdesk_kit.storage.base import Storage, TicketFilter
from helpdesk_kit.tickets.model import Actor, Agent, Customer, Message, Ticket, TicketEvent

if TYPE_CHECKING:
    from helpdesk_kit.desk.work import Work

    ActorLike = Actor | Agent | Customer | None

__all__ = ["CUSTOMER_MERGED", "ChannelCommands"]

log = logging.getLogger("helpdesk_kit")

#: Recorded on every ticket that moved to the surviving customer of a merge.
#: data: ``source`` (the merged customer's id), ``into`` (the survivor's id), ``identities``
#: (what moved, as ``kind:value`` strings).
CUSTOMER_MERGED = "customer.merged"

_PAGE = 500
_MAX_CHAIN = 100


class ChannelCommands:
    """Mixin of :class:`~helpdesk_kit.desk.Helpdesk`: identity merge and the customer timeline."""

    if TYPE_CHECKING:  # provided by Helpdesk
        storage: Storage

        def _work(self, now: datetime | None = None) -> AbstractContextManager[Work]: ...

        @staticmethod
        def _actor(actor: ActorLike) -> Actor: ...

        @staticmethod
        def _require_staff(actor: Actor, what: str) -> None: ...

        @staticmethod
        def _customer_id(ref: Customer | str) -> str: ...

    def merge_customers(
        self,
        source: Customer | str,
        into: Customer | str,
        *,
        actor: ActorLike = None,
    ) -> Customer:
        """Merge customer ``source`` into ``into`` and return the surviving customer.

        Every ticket of ``source`` moves to ``into`` (a ``customer.merged`` event on each);
        its identities (email, phone, WeChat openid, chat visitor id, ...) move too, so
        future messages from any of them find the survivor; tags are united, the survivor's
        name, locale, tier and attributes win where it has them. ``source`` stays stored
        with ``merged_into`` set, so old references still resolve. One unit of work: all or
        nothing.
        """
        who = self._actor(actor)
        self._require_staff(who, "merging customers")
        with self._work() as work:
            src = work.uow.customers.get(self._customer_id(source))
            dst = work.uow.customers.get(self._customer_id(into))
            if src.id == dst.id:
                raise InvalidInput(f"cannot merge customer {src.display_name!r} into itself")
            if src.merged_into is not None:
                raise InvalidInput(
                    f"customer {src.display_name!r} was already merged into {src.merged_into}"
                )
            if dst.merged_into is not None:
                raise InvalidInput(
                    f"customer {dst.display_name!r} was merged into {dst.merged_into}; "
                    "merge into that customer instead"
                )
            moved_identities = [str(i) for i in src.identities]
            for ticket in _all_tickets(work, src.id):
                event = TicketEvent(
                    ticket.id,
                    CUSTOMER_MERGED,
                    work.now,
                    str(who),
                    {"source": src.id, "into": dst.id, "identities": moved_identities},
                )
                work.save(ticket, attrs.evolve(ticket, customer_id=dst.id), [event])
            # free the identities first: each one belongs to one customer at a time
            work.uow.customers.update(attrs.evolve(src, identities=(), merged_into=dst.id))
            survivor = attrs.evolve(
                dst,
                name=dst.name or src.name,
                identities=dst.identities + src.identities,
                locale=dst.locale or src.locale,
                tags=dst.tags | src.tags,
                attributes={**src.attributes, **dst.attributes},
            )
            return work.uow.customers.update(survivor)

    def customer_timeline(
        self,
        customer: Customer | str,
        *,
        include_notes: bool = True,
        limit: int = 1000,
        after: str | None = None,
    ) -> list[Message]:
        """Every message of every ticket of the customer, across channels, oldest first.

        A merged customer's timeline is its survivor's. Page with ``after`` = the id of the
        last message seen. Each message carries its ``ticket_id`` and ``channel``.
        """
        with self.storage.unit_of_work() as uow:
            current = uow.customers.get(self._customer_id(customer))
            for _ in range(_MAX_CHAIN):
                if current.merged_into is None:
                    break
                current = uow.customers.get(current.merged_into)
            return uow.channels.customer_messages(
                current.id, include_notes=include_notes, limit=limit, after=after
            )

    def _keep_channel_id(self, work: Work, message: Message, external_id: Any) -> None:
        """Store the id a channel gave a delivered reply, so answers quoting it thread back."""
        if external_id is None or external_id == "":
            return
        try:
            work.uow.channels.set_external_id(message.id, str(external_id))
        except (AlreadyExists, InvalidInput) as exc:
            log.warning("channel id %r of message %s not kept: %s", external_id, message.id, exc)


def _all_tickets(work: Work, customer_id: str) -> list[Ticket]:
    found: list[Ticket] = []
    after: str | None = None
    flt = TicketFilter(customer_id=customer_id, include_merged=True)
    while True:
        page = work.uow.tickets.list(flt, limit=_PAGE, after=after)
        found.extend(page.items)
        if page.next_cursor is None:
            return found
        after = page.next_cursor
