"""The storage port of the bot: conversation state, agents' relabels, queue position, metrics.

A bot conversation's state (:class:`~helpdesk_kit.bot.dialogue.Conversation`) is kept per
ticket between the customer's messages, with a version for optimistic concurrency.
Relabels are the agents' verdicts on intents (training data). ``queue_ahead`` and
``metrics`` are set-based queries (SQL on SQLite and PostgreSQL); the in-memory backend is
their reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from helpdesk_kit.bot.dialogue import Conversation
from helpdesk_kit.bot.learning import Relabel
from helpdesk_kit.bot.metrics import BotMetrics
from helpdesk_kit.tickets.model import Ticket

__all__ = ["BotRepository"]


class BotRepository(Protocol):
    """Bot conversations (one per ticket), relabels and the bot's queries."""

    def get(self, ticket_id: str) -> Conversation | None:
        """The ticket's bot conversation (with its stored ``version``), or None."""
        ...

    def save(self, conversation: Conversation, *, expected_version: int) -> Conversation:
        """Store the conversation if the stored version is ``expected_version`` (0: none yet).

        Returns it with ``version = expected_version + 1``. A different stored version (or
        an existing conversation when 0 was expected) is a ``ConcurrencyConflict``;
        ``NotFound`` when the ticket does not exist.
        """
        ...

    def queue_ahead(self, ticket: Ticket, *, statuses: Sequence[str]) -> int:
        """How many tickets wait for an agent ahead of ``ticket`` in its group.

        Counted: unmerged, unassigned tickets of the same group (both without a group
        count as one queue) in one of ``statuses``, created before it (by ``(created_at,
        id)``), leaving out those the bot still holds (a conversation that was not
        handed off).
        """
        ...

    def resolved_before(
        self, before: datetime, *, statuses: Sequence[str], limit: int = 500
    ) -> list[str]:
        """Ids of tickets in one of ``statuses`` whose conversation the bot resolved (stage
        ``ended``) and that stayed quiet since, up to ``before``; oldest first, at most
        ``limit``."""
        ...

    def add_relabel(self, relabel: Relabel) -> Relabel:
        """Store an agent's relabel; ``AlreadyExists`` if its id is taken."""
        ...

    def relabels(self, *, limit: int = 1000, after: str | None = None) -> list[Relabel]:
        """Relabels ordered by ``(at, id)``, from the one after the relabel id ``after``.

        ``NotFound`` when ``after`` names no relabel.
        """
        ...

    def metrics(
        self,
        *,
        since: datetime | None,
        until: datetime | None,
        window: timedelta,
    ) -> BotMetrics:
        """Containment, hand-offs and accuracy of bot conversations started in
        ``[since, until)`` (see :func:`helpdesk_kit.bot.metrics.compute_bot_metrics`)."""
        ...
