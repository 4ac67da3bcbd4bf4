"""The order of a group queue: rank, then SLA due time, then arrival.

Rank 0 goes first (VIP customers in a ``vip_first`` group), then rank 1. Within a rank,
the earliest SLA due time first; tickets without an SLA due time after those with one,
by ``created_at``; the ticket id breaks ties.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["NORMAL_RANK", "NO_DUE", "VIP_RANK", "queue_key"]

#: Stands for "no SLA due time": sorts after every real instant.
NO_DUE = datetime(9999, 12, 31, tzinfo=UTC)
VIP_RANK = 0
NORMAL_RANK = 1


def queue_key(
    rank: int, due_at: datetime | None, created_at: datetime, ticket_id: str
) -> tuple[int, datetime, datetime, str]:
    """The sort key of a waiting ticket (smaller is served first)."""
    return (rank, NO_DUE if due_at is None else due_at, created_at, ticket_id)
