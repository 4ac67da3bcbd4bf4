"""Agent availability: a manual status (online/away/offline) and an optional shift calendar.

An agent is available at ``now`` when their status is ``online`` and either they have no
shift or their shift calendar is open at ``now``. A shift the desk does not know makes the
agent unavailable (a typo must not put someone on duty).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Protocol

from helpdesk_kit.tickets.model import Agent, AgentStatus

__all__ = ["ShiftCalendar", "is_available", "next_change"]


class ShiftCalendar(Protocol):
    """What routing needs of a shift: a ``BusinessCalendar`` (``sla.calendar``) has both."""

    def is_open(self, t: datetime) -> bool:
        """True when the shift is on at ``t``."""
        ...

    def next_open(self, t: datetime) -> datetime:
        """``t`` if the shift is on, else the next instant it starts."""
        ...


def is_available(agent: Agent, now: datetime, shifts: Mapping[str, ShiftCalendar]) -> bool:
    """True when ``agent`` may take tickets at ``now`` (online and on shift, if any)."""
    if agent.status is not AgentStatus.ONLINE or agent.max_concurrent <= 0:
        return False
    if agent.shift is None:
        return True
    calendar = shifts.get(agent.shift)
    return calendar is not None and calendar.is_open(now)


def next_change(
    agents: Iterable[Agent], now: datetime, shifts: Mapping[str, ShiftCalendar]
) -> datetime | None:
    """The earliest instant after ``now`` at which an online agent's shift starts, or None.

    Only online agents whose shift is closed at ``now`` count: they are who becomes
    available by the clock alone (status changes are commands and route at once).
    """
    found: datetime | None = None
    for agent in agents:
        if agent.status is not AgentStatus.ONLINE or agent.shift is None:
            continue
        calendar = shifts.get(agent.shift)
        if calendar is None or calendar.is_open(now):
            continue
        start = calendar.next_open(now)
        if found is None or start < found:
            found = start
    return found
