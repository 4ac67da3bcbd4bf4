"""Guards: named checks a transition runs before it fires, such as the close criteria."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import attrs

from helpdesk_kit.lifecycle.definition import Lifecycle, Transition
from helpdesk_kit.tickets.model import Actor, StateCategory, Ticket

__all__ = ["BUILTIN_GUARDS", "Guard", "GuardContext"]


@attrs.frozen
class GuardContext:
    """What a guard may look at. ``facts`` are figures the desk looked up (open follow-ups, ...)."""

    ticket: Ticket
    transition: Transition
    actor: Actor
    now: datetime
    lifecycle: Lifecycle
    facts: Mapping[str, Any] = attrs.field(factory=dict)


#: A guard returns None when the transition may go ahead, or the reason why not.
Guard = Callable[[GuardContext], str | None]


def problem_solved(ctx: GuardContext) -> str | None:
    """Close criterion 1: the ticket has been solved."""
    state = ctx.lifecycle.state(ctx.ticket.status)
    if state.category is not StateCategory.SOLVED or ctx.ticket.solved_at is None:
        return f"the ticket is {ctx.ticket.status!r}, not solved"
    return None


def customer_confirmed_or_timed_out(ctx: GuardContext) -> str | None:
    """Close criterion 2: the customer confirmed, or did not answer within the auto-close window."""
    if ctx.ticket.confirmed_at is not None:
        return None
    solved_at = ctx.ticket.solved_at
    window = ctx.lifecycle.duration_setting("auto_close_after")
    if solved_at is not None and ctx.now - solved_at >= window:
        return None
    if solved_at is None:
        return "the ticket has no solve time"
    left = window - (ctx.now - solved_at)
    return (
        f"the customer has not confirmed the solution and the auto-close window "
        f"({window}) has {left} left"
    )


def no_open_followups(ctx: GuardContext) -> str | None:
    """Close criterion 3: nothing is left to do (no open internal follow-ups)."""
    count = int(ctx.facts.get("open_followups", 0))
    if count:
        return f"{count} follow-up(s) still open"
    return None


def within_reopen_window(ctx: GuardContext) -> str | None:
    """A solved ticket may reopen only within the lifecycle's ``reopen_window``."""
    solved_at = ctx.ticket.solved_at
    window = ctx.lifecycle.duration_setting("reopen_window")
    if solved_at is not None and ctx.now - solved_at > window:
        return f"it was solved more than {window} ago (reopen window)"
    return None


def has_assignee(ctx: GuardContext) -> str | None:
    """The ticket must be assigned to an agent."""
    if ctx.ticket.assignee_id is None:
        return "the ticket has no assignee"
    return None


BUILTIN_GUARDS: Mapping[str, Guard] = {
    "problem_solved": problem_solved,
    "customer_confirmed_or_timed_out": customer_confirmed_or_timed_out,
    "no_open_followups": no_open_followups,
    "within_reopen_window": within_reopen_window,
    "has_assignee": has_assignee,
}
