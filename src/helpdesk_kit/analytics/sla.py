"""The interface through which SLA achievement reads the SLA timers (wired when they exist).

SLA timers are another feature's data: one record per ticket and SLA metric
(``first_response``, ``next_response``, ``resolution``, ...) with when it is due, when it was
met and when it was breached. KPI analytics reads them through :class:`SlaTimers`:

- SQL backends read ``table``: a SQLAlchemy ``Table`` with the columns ``ticket_id``,
  ``metric``, ``due_at``, ``met_at``, ``breached_at`` (aware datetimes, ``UTCDateTime``)
  and ``status`` (``active``, ``paused``, ``met``, ``breached``);
- the in-memory backend calls ``records(uow)``, which returns :class:`SlaTimerRecord` values.

A timer counts once it is decided: **achieved** when it was met no later than it was due
(dated by when it was met), **missed** when it was breached (dated by the breach) or met
after it was due without a recorded breach (dated by the due instant). Running timers
(active or paused, neither met nor breached) are not counted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import attrs

__all__ = ["SlaTimerRecord", "SlaTimers"]


@attrs.frozen
class SlaTimerRecord:
    """One SLA timer as analytics sees it (instants in epoch milliseconds)."""

    ticket_id: str
    metric: str
    due_ms: int
    met_ms: int | None = None
    breached_ms: int | None = None
    status: str = "active"

    @property
    def achieved(self) -> bool:
        """Met no later than due, and not breached before it was met."""
        return (
            self.met_ms is not None
            and self.met_ms <= self.due_ms
            and (self.breached_ms is None or self.met_ms < self.breached_ms)
        )

    @property
    def ended_ms(self) -> int | None:
        """When the outcome was decided (see the module docstring), or None while running."""
        if self.achieved:
            return self.met_ms
        if self.breached_ms is not None:
            return self.breached_ms
        if self.met_ms is not None:
            return self.due_ms
        return None


@attrs.frozen
class SlaTimers:
    """Where SLA achievement finds the timers: a SQL ``table`` and/or a memory ``records``."""

    table: Any = None
    records: Callable[[Any], Iterable[SlaTimerRecord]] | None = None
