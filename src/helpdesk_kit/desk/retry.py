"""Retrying a command that lost a race with another writer."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from helpdesk_kit.errors import ConcurrencyConflict, HelpdeskError

__all__ = ["retry_on_conflict"]

T = TypeVar("T")


def retry_on_conflict(
    fn: Callable[[], T],
    *,
    attempts: int = 5,
    retry_on: tuple[type[HelpdeskError], ...] = (),
    base_delay: float = 0.005,
) -> T:
    """Call ``fn``; when it raises ``ConcurrencyConflict`` (or one of ``retry_on``), call it again.

    Each attempt must be a whole unit of work that reloads what it reads. Waits a little,
    with jitter, between attempts; the last failure is raised.
    """
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    kinds: tuple[type[BaseException], ...] = (ConcurrencyConflict, *retry_on)
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except kinds:
            if attempt == attempts:
                raise
            time.sleep(base_delay * attempt * (0.5 + random.random()))
    raise AssertionError("unreachable")  # pragma: no cover
