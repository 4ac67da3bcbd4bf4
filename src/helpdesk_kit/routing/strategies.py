"""Routing strategies: pure functions that pick one agent among the candidates.

A strategy takes a :class:`RoutingContext` (the ticket, the candidates — available agents
with free capacity and their current load — and the facts the desk looked up) and returns
the chosen agent's id, or None when no candidate suits the ticket (it then waits in its
group's queue). Groups choose a strategy by name (``Group.routing``); plugins add more
through the ``register_routing_strategies`` hook.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from helpdesk_kit.errors import InvalidDefinition
from helpdesk_kit.tickets.model import Agent, Priority, Ticket

__all__ = [
    "BUILTIN_STRATEGIES",
    "Candidate",
    "RoutingContext",
    "Strategy",
    "VipRule",
    "least_loaded",
    "round_robin",
    "skill_match",
    "skills",
    "sticky",
    "vip_first",
]


@attrs.frozen
class Candidate:
    """An available agent with free capacity, and how many open tickets they hold."""

    agent: Agent
    load: int

    @property
    def free(self) -> int:
        """How many more tickets the agent may take."""
        return self.agent.max_concurrent - self.load

    @property
    def ratio(self) -> float:
        """Load as a fraction of capacity."""
        return self.load / self.agent.max_concurrent if self.agent.max_concurrent else 1.0


def _candidates(values: Iterable[Candidate]) -> tuple[Candidate, ...]:
    return tuple(sorted(values, key=lambda c: c.agent.id))


@attrs.frozen
class RoutingContext:
    """What a strategy may look at; ``candidates`` are sorted by agent id.

    ``tier``: the customer's tier; ``vip``: the customer's tier is a VIP tier of the desk;
    ``last_agent_id``: the agent of the customer's previous assignment (sticky routing);
    ``pointer``: the id of the agent the group's round robin served last.
    """

    ticket: Ticket
    candidates: tuple[Candidate, ...] = attrs.field(converter=_candidates)
    tier: str | None = None
    vip: bool = False
    last_agent_id: str | None = None
    pointer: str | None = None
    facts: Mapping[str, Any] = attrs.field(factory=dict)


#: ``strategy(context) -> agent id or None``.
Strategy = Callable[[RoutingContext], str | None]


def _least(candidates: Iterable[Candidate]) -> str | None:
    best = min(
        candidates,
        key=lambda c: (c.ratio, c.load, c.agent.name, c.agent.id),
        default=None,
    )
    return None if best is None else best.agent.id


def least_loaded(ctx: RoutingContext) -> str | None:
    """The candidate with the smallest load relative to capacity (then fewest, then name)."""
    return _least(ctx.candidates)


def round_robin(ctx: RoutingContext) -> str | None:
    """The next candidate after the group's pointer, in agent-id order (wrapping around)."""
    if not ctx.candidates:
        return None
    if ctx.pointer is not None:
        for c in ctx.candidates:
            if c.agent.id > ctx.pointer:
                return c.agent.id
    return ctx.candidates[0].agent.id


def _primary(language: str) -> str:
    return language.strip().lower().replace("_", "-").split("-")[0]


def skill_match(agent: Agent, ticket: Ticket) -> bool:
    """True when the agent has the ticket's category as a skill and speaks its language.

    A ticket without a category or language asks nothing of that kind. Languages match on
    the primary subtag (``zh-CN`` ticket, ``zh`` agent); skills match case-insensitively.
    """
    if ticket.category:
        wanted = ticket.category.strip().lower()
        if wanted not in {s.strip().lower() for s in agent.skills}:
            return False
    if ticket.language:
        spoken = {_primary(lang) for lang in agent.languages}
        if _primary(ticket.language) not in spoken:
            return False
    return True


def skills(ctx: RoutingContext) -> str | None:
    """The least-loaded candidate whose skills and languages match the ticket; else None."""
    return _least(c for c in ctx.candidates if skill_match(c.agent, ctx.ticket))


def sticky(ctx: RoutingContext) -> str | None:
    """The customer's last agent when they are a candidate, else the least loaded."""
    if ctx.last_agent_id is not None:
        for c in ctx.candidates:
            if c.agent.id == ctx.last_agent_id:
                return c.agent.id
    return _least(ctx.candidates)


def vip_first(ctx: RoutingContext) -> str | None:
    """VIP tickets go to agents with the ``vip`` skill when one is free; else least loaded.

    The group's queue serves VIP customers first (see :mod:`helpdesk_kit.routing.queue`).
    """
    if ctx.vip:
        chosen = _least(c for c in ctx.candidates if "vip" in c.agent.skills)
        if chosen is not None:
            return chosen
    return _least(ctx.candidates)


BUILTIN_STRATEGIES: dict[str, Strategy] = {
    "least_loaded": least_loaded,
    "round_robin": round_robin,
    "skills": skills,
    "sticky": sticky,
    "vip_first": vip_first,
}


def _tiers(values: Iterable[str]) -> frozenset[str]:
    if isinstance(values, str):
        values = [values]
    return frozenset(str(v).strip().lower() for v in values)


def _priority(value: Any) -> Priority | None:
    return None if value is None else Priority(value)


@attrs.frozen
class VipRule:
    """Customers of these tiers are VIP: their tickets get at least ``priority`` and go to
    ``group`` (a group name; None keeps the ticket's group)."""

    tiers: frozenset[str] = attrs.field(converter=_tiers)
    priority: Priority | None = attrs.field(default=Priority.HIGH, converter=_priority)
    group: str | None = None

    def __attrs_post_init__(self) -> None:
        problems = []
        if not self.tiers:
            problems.append("a VIP rule needs at least one customer tier")
        if any(not t for t in self.tiers):
            problems.append("customer tiers must be non-empty")
        if self.group is not None and not str(self.group).strip():
            problems.append("the VIP group name must be non-empty")
        if problems:
            raise InvalidDefinition("VIP rule", problems)

    def applies(self, tier: str | None) -> bool:
        """True for a customer of a VIP tier."""
        return tier is not None and tier.strip().lower() in self.tiers
