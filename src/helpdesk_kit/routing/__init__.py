"""Routing: which agent gets a ticket, when agents are available, how group queues are ordered.

Pure functions over candidates and facts (no storage, no clock): the desk gathers the
facts (loads, the customer's tier and last agent, the group's round-robin pointer) and
calls a strategy chosen by the ticket's group (``Group.routing``).
"""

from helpdesk_kit.routing.availability import ShiftCalendar, is_available, next_change
from helpdesk_kit.routing.queue import NO_DUE, queue_key
from helpdesk_kit.routing.strategies import (
    BUILTIN_STRATEGIES,
    Candidate,
    RoutingContext,
    Strategy,
    VipRule,
    least_loaded,
    round_robin,
    skill_match,
    skills,
    sticky,
    vip_first,
)

__all__ = [
    "BUILTIN_STRATEGIES",
    "NO_DUE",
    "Candidate",
    "RoutingContext",
    "ShiftCalendar",
    "Strategy",
    "VipRule",
    "is_available",
    "least_loaded",
    "next_change",
    "queue_key",
    "round_robin",
    "skill_match",
    "skills",
    "sticky",
    "vip_first",
]
