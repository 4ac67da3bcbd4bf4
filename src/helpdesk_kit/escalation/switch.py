"""Moving a ticket to another lifecycle (the complaint process): which state it lands in."""

from __future__ import annotations

from helpdesk_kit.lifecycle.definition import Lifecycle
from helpdesk_kit.tickets.model import StateCategory

__all__ = ["map_status"]

_NEAREST: dict[StateCategory, tuple[StateCategory, ...]] = {
    StateCategory.NEW: (StateCategory.NEW, StateCategory.OPEN),
    StateCategory.OPEN: (StateCategory.OPEN, StateCategory.NEW),
    StateCategory.PENDING: (StateCategory.PENDING, StateCategory.OPEN, StateCategory.NEW),
    StateCategory.SOLVED: (StateCategory.SOLVED, StateCategory.CLOSED),
    StateCategory.CLOSED: (StateCategory.CLOSED, StateCategory.SOLVED),
}


def map_status(source: Lifecycle, target: Lifecycle, status: str) -> str:
    """The state of ``target`` that best matches ``status`` of ``source``.

    The same name when it means the same (same category); else the state of the same
    category sharing the most flags (``sla_paused``, ``waiting_on_customer``, ...; the first
    in definition order on a tie), so SLA clocks keep running or stay paused as before; else
    the nearest category (pending → open → new, solved ↔ closed); else the initial state.
    """
    category = source.category(status)
    flags = source.states[status].flags
    same = target.states.get(status)
    if same is not None and same.category is category:
        return same.name
    for wanted in _NEAREST[category]:
        names = target.states_in(wanted)
        if names:
            return max(names, key=lambda n: (len(target.states[n].flags & flags), -names.index(n)))
    return target.initial
