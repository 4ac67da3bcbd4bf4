"""The in-memory implementation of :class:`~helpdesk_kit.storage.channels.ChannelRepository`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from helpdesk_kit.errors import AlreadyExists, InvalidInput, NotFound
from helpdesk_kit.tickets.model import Message

if TYPE_CHECKING:
    from helpdesk_kit.storage.memory import _Data, _Undo

__all__ = ["MemoryChannels"]


class MemoryChannels:
    """Channel ids of delivered messages and customer timelines, in memory."""

    def __init__(self, data: _Data, undo: _Undo) -> None:
        self._d = data
        self._u = undo

    def set_external_id(self, message_id: str, external_id: str) -> Message:
        """Give a stored message its channel id."""
        if not isinstance(external_id, str) or not external_id:
            raise InvalidInput(f"an external id must be a non-empty string, got {external_id!r}")
        current = self._d.messages.get(message_id)
        if current is None:
            raise NotFound("message", message_id)
        if current.external_id == external_id:
            return current
        key = (current.channel or "", external_id)
        owner = self._d.external.get(key)
        if owner is not None and owner != message_id:
            raise AlreadyExists("message", key, owner)
        if current.external_id is not None:
            self._u.delete(self._d.external, (current.channel or "", current.external_id))
        updated = attrs.evolve(current, external_id=external_id)
        self._u.set(self._d.external, key, message_id)
        self._u.set(self._d.messages, message_id, updated)
        return updated

    def customer_messages(
        self,
        customer_id: str,
        *,
        include_notes: bool = True,
        limit: int = 1000,
        after: str | None = None,
    ) -> list[Message]:
        """Every message of the customer's tickets, oldest first."""
        if limit < 1:
            raise InvalidInput(f"limit must be at least 1, got {limit}")
        found = [
            self._d.messages[mid]
            for tid, ticket in self._d.tickets.items()
            if ticket.customer_id == customer_id
            for mid in self._d.message_ids_by_ticket.get(tid, [])
        ]
        if not include_notes:
            found = [m for m in found if m.public]
        found.sort(key=lambda m: (m.created_at, m.id))
        if after is not None:
            last = self._d.messages.get(after)
            if last is None:
                raise NotFound("message", after)
            key = (last.created_at, last.id)
            found = [m for m in found if (m.created_at, m.id) > key]
        return found[:limit]
