"""Where each ticket stands with each time rule: since when its condition holds, if it fired.

One :class:`RuleState` per (ticket, time rule) while the rule's condition holds. It begins
when the condition begins to hold (``entered_at``), is marked when the rule fires
(``fired_at``), and is dropped when the condition stops holding. A rule therefore fires once
per entry into its condition (once per pending period), and a sweep that finds the mark set
does nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs

from helpdesk_kit.automation.conditions import CalendarLike
from helpdesk_kit.automation.rules import TimeRule
from helpdesk_kit.clock import ensure_aware

__all__ = ["RuleState", "Tracked", "next_due", "track"]


def _aware(_inst: object, attribute: attrs.Attribute[Any], value: datetime | None) -> None:
    if value is not None:
        ensure_aware(value, attribute.name)


@attrs.frozen
class RuleState:
    """A time rule's condition holds on a ticket since ``entered_at``; fired at ``fired_at``."""

    ticket_id: str
    rule: str
    entered_at: datetime = attrs.field(validator=_aware)
    fired_at: datetime | None = attrs.field(default=None, validator=_aware)

    @property
    def fired(self) -> bool:
        """True once the rule fired for this entry."""
        return self.fired_at is not None


@attrs.frozen
class Tracked:
    """What :func:`track` decided: states to store, rules whose state to drop."""

    states: dict[str, RuleState]
    changed: list[RuleState]
    dropped: list[str]


def track(
    ticket_id: str,
    old: Mapping[str, RuleState],
    holds: Mapping[str, bool],
    now: datetime,
) -> Tracked:
    """Move a ticket's rule states to ``holds`` (rule name -> does its condition hold now).

    A condition that begins to hold starts a state at ``now``; one that stops drops it; one
    that keeps holding keeps its state (and its fired mark). Rules not in ``holds`` (no
    longer configured) are dropped.
    """
    states: dict[str, RuleState] = {}
    changed: list[RuleState] = []
    for rule, holding in holds.items():
        if not holding:
            continue
        current = old.get(rule)
        if current is None:
            current = RuleState(ticket_id, rule, now)
            changed.append(current)
        states[rule] = current
    dropped = sorted(rule for rule in old if rule not in states)
    return Tracked(states, changed, dropped)


def next_due(
    states: Mapping[str, RuleState],
    rules: Sequence[TimeRule],
    calendars: Mapping[str, CalendarLike],
) -> datetime | None:
    """The earliest instant one of ``rules`` is due on the ticket (None: none can fire)."""
    due: datetime | None = None
    for rule in rules:
        state = states.get(rule.name)
        if state is None or state.fired:
            continue
        at = rule.deadline(state.entered_at, calendars)
        if due is None or at < due:
            due = at
    return due
