"""The SQL implementation of :class:`~helpdesk_kit.storage.channels.ChannelRepository`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select, tuple_, update

from helpdesk_kit.errors import AlreadyExists, InvalidInput, NotFound
from helpdesk_kit.storage.sql import rows as R
from helpdesk_kit.storage.sql.repositories import SqlMessages, literal_column_value, literal_id
from helpdesk_kit.storage.sql.tables import messages, tickets
from helpdesk_kit.tickets.model import Message

if TYPE_CHECKING:
    from helpdesk_kit.storage.sql.storage import SqlUnitOfWork

__all__ = ["SqlChannels"]


class SqlChannels:
    """Channel ids of delivered messages and customer timelines, in SQL."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow
        self._messages = SqlMessages(uow)

    def set_external_id(self, message_id: str, external_id: str) -> Message:
        """Give a stored message its channel id.

        The clash is looked for first, so a taken id raises ``AlreadyExists`` without a
        failed statement (which would abort a PostgreSQL transaction).
        """
        if not isinstance(external_id, str) or not external_id:
            raise InvalidInput(f"an external id must be a non-empty string, got {external_id!r}")
        R.check_length(external_id, "external_id", "external message id")
        current = self._messages.get(message_id)
        if current.external_id == external_id:
            return current
        m = messages.c
        clash = select(m.id).where(m.external_id == external_id, m.id != message_id)
        clash = clash.where(
            m.channel.is_(None) if current.channel is None else m.channel == current.channel
        )
        owner = self._uow.execute(clash.limit(1)).scalar()
        if owner is not None:
            raise AlreadyExists("message", (current.channel or "", external_id), owner)
        self._uow.execute(
            update(messages).where(m.id == message_id).values(external_id=external_id),
            what="message",
        )
        return self._messages.get(message_id)

    def customer_messages(
        self,
        customer_id: str,
        *,
        include_notes: bool = True,
        limit: int = 1000,
        after: str | None = None,
    ) -> list[Message]:
        """Every message of the customer's tickets, oldest first (one indexed join)."""
        if limit < 1:
            raise InvalidInput(f"limit must be at least 1, got {limit}")
        m = messages.c
        q = (
            select(messages)
            .join(tickets, tickets.c.id == m.ticket_id)
            .where(tickets.c.customer_id == customer_id)
        )
        if not include_notes:
            q = q.where(m.public.is_(True))
        if after is not None:
            last: Any = self._uow.execute(select(m.created_at, m.id).where(m.id == after)).first()
            if last is None:
                raise NotFound("message", after)
            bound = tuple_(literal_column_value(last[0]), literal_id(last[1]))
            q = q.where(tuple_(m.created_at, m.id) > bound)
        q = q.order_by(m.created_at, m.id).limit(limit)
        found = list(self._uow.execute(q).mappings())
        return self._messages._from_rows(found)
