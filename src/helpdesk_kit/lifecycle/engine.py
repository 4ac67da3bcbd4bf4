"""Firing a transition: a pure function from (ticket, transition, actor, now) to the new state."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from helpdesk_kit.clock import ensure_aware
from helpdesk_kit.errors import GuardFailed, InvalidDefinition, InvalidInput, PermissionDenied
from helpdesk_kit.lifecycle.definition import Lifecycle
from helpdesk_kit.lifecycle.guards import BUILTIN_GUARDS, Guard, GuardContext
from helpdesk_kit.tickets import events as ev
from helpdesk_kit.tickets.model import Actor, StateCategory, Ticket, TicketEvent

__all__ = ["check_guards", "fire", "missing_guards"]

_DONE = (StateCategory.SOLVED, StateCategory.CLOSED)


def fire(
    lifecycle: Lifecycle,
    ticket: Ticket,
    transition: str,
    actor: Actor,
    now: datetime,
    *,
    guards: Mapping[str, Guard] = BUILTIN_GUARDS,
    facts: Mapping[str, Any] | None = None,
) -> tuple[Ticket, list[TicketEvent]]:
    """Fire ``transition`` on ``ticket``; return the new ticket and the events it caused.

    Raises ``TransitionNotAllowed`` (naming the allowed transitions), ``PermissionDenied``
    when the actor lacks the role, and ``GuardFailed`` naming the guard and why.
    The ticket's ``version`` is left for storage to move on.
    """
    ensure_aware(now, "now")
    if ticket.lifecycle != lifecycle.name:
        raise InvalidInput(
            f"ticket {ticket.ref} follows lifecycle {ticket.lifecycle!r}, not {lifecycle.name!r}"
        )
    t = lifecycle.transition(ticket.status, transition)
    if not t.allows(actor.roles):
        raise PermissionDenied(
            f"transition {transition!r} needs role {' or '.join(sorted(t.roles or ()))}; "
            f"{actor} has {', '.join(sorted(actor.roles)) or 'no role'}"
        )
    check_guards(lifecycle, ticket, transition, actor, now, guards=guards, facts=facts)
    old = lifecycle.state(ticket.status)
    new = lifecycle.state(t.target)
    changes: dict[str, Any] = {"status": new.name, "updated_at": now}
    reopened = old.category in _DONE and new.category not in _DONE
    if new.category is StateCategory.SOLVED and old.category is not StateCategory.SOLVED:
        changes.update(solved_at=now, confirmed_at=None)
    if new.category is StateCategory.CLOSED:
        changes["closed_at"] = now
    if reopened:
        changes.update(
            reopen_count=ticket.reopen_count + 1,
            solved_at=None,
            closed_at=None,
            confirmed_at=None,
        )
    data = {"transition": t.name, "from": old.name, "to": new.name}
    events = [TicketEvent(ticket.id, ev.TRANSITIONED, now, str(actor), data)]
    if reopened:
        events.append(TicketEvent(ticket.id, ev.REOPENED, now, str(actor), data))
    return attrs.evolve(ticket, **changes), events


def check_guards(
    lifecycle: Lifecycle,
    ticket: Ticket,
    transition: str,
    actor: Actor,
    now: datetime,
    *,
    guards: Mapping[str, Guard] = BUILTIN_GUARDS,
    facts: Mapping[str, Any] | None = None,
) -> None:
    """Run the guards of ``transition``; raise ``GuardFailed`` on the first that says no."""
    t = lifecycle.transition(ticket.status, transition)
    ctx = GuardContext(ticket, t, actor, now, lifecycle, dict(facts or {}))
    for name in t.guards:
        guard = guards.get(name)
        if guard is None:
            raise InvalidDefinition(
                f"lifecycle {lifecycle.name!r}", [f"transition {t.name!r}: unknown guard {name!r}"]
            )
        reason = guard(ctx)
        if reason:
            raise GuardFailed(t.name, name, reason)


def missing_guards(lifecycle: Lifecycle, guards: Mapping[str, Guard]) -> list[str]:
    """Problems for every guard the lifecycle names that ``guards`` does not have."""
    return [
        f"transition {t.name!r}: unknown guard {g!r} (known: {', '.join(sorted(guards))})"
        for t in lifecycle.transitions
        for g in t.guards
        if g not in guards
    ]
