"""The storage port of the channels feature: what one inbox needs beyond the core repositories.

Two things: a delivered reply keeps the id its channel gave it (an e-mail's Message-ID), so a
customer's answer that quotes it threads back through
:meth:`~helpdesk_kit.storage.base.MessageRepository.find_ticket_by_external_ids`; and a
customer's messages across all their tickets and channels, in time order (the agent's
timeline of one customer).
"""

from __future__ import annotations

from typing import Protocol

from helpdesk_kit.tickets.model import Message

__all__ = ["ChannelRepository"]


class ChannelRepository(Protocol):
    """Channel ids of delivered messages and the cross-channel timeline of a customer."""

    def set_external_id(self, message_id: str, external_id: str) -> Message:
        """Give a stored message its channel id (after delivery) and return the message.

        ``NotFound`` if there is no such message; ``AlreadyExists`` if another message of the
        same channel has that id (the unit of work stays usable). Setting the id a message
        already has changes nothing.
        """
        ...

    def customer_messages(
        self,
        customer_id: str,
        *,
        include_notes: bool = True,
        limit: int = 1000,
        after: str | None = None,
    ) -> list[Message]:
        """Every message of every ticket whose customer is ``customer_id``, oldest first.

        Ordered by ``(created_at, id)``; ``after`` is the id of the last message of the
        previous page (the page starts after it). Internal notes are left out unless
        ``include_notes``. ``NotFound`` when ``after`` names no message.
        """
        ...
