"""The in-memory implementation of :class:`~helpdesk_kit.storage.bot.BotRepository`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import attrs

from helpdesk_kit.bot.dialogue import Conversation, Stage
from helpdesk_kit.bot.learning import Relabel
from helpdesk_kit.bot.metrics import BotMetrics, check_window, compute_bot_metrics
from helpdesk_kit.errors import AlreadyExists, ConcurrencyConflict, InvalidInput, NotFound
from helpdesk_kit.tickets.model import Ticket

if TYPE_CHECKING:
    from helpdesk_kit.storage.memory import _Data, _Undo

__all__ = ["MemoryBot"]


class MemoryBot:
    """Bot conversations by ticket id and relabels by id, in memory."""

    def __init__(self, data: _Data, undo: _Undo) -> None:
        self._d = data
        self._u = undo
        self._conversations: dict[str, tuple[int, dict[str, Any]]] = data.extra.setdefault(
            "bot_conversations", {}
        )
        self._relabels: dict[str, Relabel] = data.extra.setdefault("bot_relabels", {})

    def get(self, ticket_id: str) -> Conversation | None:
        """The ticket's conversation, or None."""
        found = self._conversations.get(ticket_id)
        if found is None:
            return None
        version, state = found
        return Conversation.from_dict(state, version=version)

    def save(self, conversation: Conversation, *, expected_version: int) -> Conversation:
        """Store it if the stored version is ``expected_version``."""
        tid = conversation.ticket_id
        if tid not in self._d.tickets:
            raise NotFound("ticket", tid)
        found = self._conversations.get(tid)
        current = 0 if found is None else found[0]
        if current != expected_version:
            raise ConcurrencyConflict("bot conversation", tid, expected_version, current)
        version = expected_version + 1
        self._u.set(self._conversations, tid, (version, conversation.to_dict()))
        return attrs.evolve(conversation, version=version)

    def queue_ahead(self, ticket: Ticket, *, statuses: Sequence[str]) -> int:
        """Unassigned, active tickets of the group ahead of ``ticket`` not held by the bot."""
        wanted = set(statuses)
        key = (ticket.created_at, ticket.id)
        count = 0
        for t in self._d.tickets.values():
            if (
                t.merged_into is None
                and t.assignee_id is None
                and t.status in wanted
                and t.group_id == ticket.group_id
                and (t.created_at, t.id) < key
            ):
                held = self._conversations.get(t.id)
                if held is None or held[1].get("stage") == Stage.HANDED_OFF.value:
                    count += 1
        return count

    def resolved_before(
        self, before: datetime, *, statuses: Sequence[str], limit: int = 500
    ) -> list[str]:
        """Tickets whose conversation ended (and stayed quiet) by ``before``, oldest first."""
        if limit < 1:
            raise InvalidInput(f"limit must be at least 1, got {limit}")
        wanted = set(statuses)
        found = []
        for tid, (_, state) in self._conversations.items():
            if state.get("stage") != Stage.ENDED.value:
                continue
            updated = datetime.fromisoformat(state["updated_at"])
            ticket = self._d.tickets.get(tid)
            if ticket is not None and ticket.status in wanted and updated <= before:
                found.append((updated, tid))
        return [tid for _, tid in sorted(found)[:limit]]

    def add_relabel(self, relabel: Relabel) -> Relabel:
        """Store a relabel."""
        if relabel.id in self._relabels:
            raise AlreadyExists("relabel", relabel.id, relabel.id)
        if relabel.ticket_id not in self._d.tickets:
            raise NotFound("ticket", relabel.ticket_id)
        self._u.set(self._relabels, relabel.id, relabel)
        return relabel

    def relabels(self, *, limit: int = 1000, after: str | None = None) -> list[Relabel]:
        """Relabels by ``(at, id)``."""
        if limit < 1:
            raise InvalidInput(f"limit must be at least 1, got {limit}")
        ordered = sorted(self._relabels.values(), key=lambda r: (r.at, r.id))
        if after is not None:
            last = self._relabels.get(after)
            if last is None:
                raise NotFound("relabel", after)
            ordered = [r for r in ordered if (r.at, r.id) > (last.at, last.id)]
        return ordered[:limit]

    def metrics(
        self,
        *,
        since: datetime | None,
        until: datetime | None,
        window: timedelta,
    ) -> BotMetrics:
        """The metrics, computed by the reference implementation over the event log."""
        check_window(window)
        customers = {tid: t.customer_id for tid, t in self._d.tickets.items()}
        categories = {tid: t.category for tid, t in self._d.tickets.items()}
        return compute_bot_metrics(
            self._d.event_log,
            customers,
            since=since,
            until=until,
            window=window,
            category_of=categories,
        )
