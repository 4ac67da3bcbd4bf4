"""Working off the storage's due queue: claim due items in batches, handle them in chunks.

SLA, escalation and automation time rules each keep one due item per ticket under a kind of
their own; their sweepers share this loop.
"""

from __future__ import annotations

import functools
import os
import socket
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from helpdesk_kit.desk.retry import retry_on_conflict
from helpdesk_kit.storage.base import Storage

__all__ = ["sweep_due", "worker_name"]

T = TypeVar("T")


def worker_name() -> str:
    """A name for this sweeper's claims: host, process and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def sweep_due(
    storage: Storage,
    kind: str,
    now: datetime,
    handle: Callable[[Sequence[str]], T],
    *,
    batch_size: int,
    lease: timedelta,
    per_transaction: int,
) -> tuple[int, list[T]]:
    """Claim the items of ``kind`` due at ``now`` and pass their keys to ``handle`` in chunks.

    Each chunk is retried on a concurrency conflict; a key claimed again in this sweep (the
    handler rescheduled it at or before ``now``) is not handled twice. Returns how many keys
    were handled and each chunk's result.
    """
    worker = worker_name()
    seen: set[str] = set()
    results: list[T] = []
    while True:
        with storage.unit_of_work() as uow:
            items = uow.due.claim_due(kind, now, batch_size, worker=worker, lease=lease)
            uow.commit()
        todo = [item.key for item in items if item.key not in seen]
        if not todo:
            return len(seen), results
        seen.update(todo)
        for start in range(0, len(todo), per_transaction):
            chunk = todo[start : start + per_transaction]
            results.append(retry_on_conflict(functools.partial(handle, chunk)))
