"""Authority limits: money, per-role limits per action, approval requests (pure domain)."""

from __future__ import annotations

from helpdesk_kit.authority.money import Money, to_amount
from helpdesk_kit.authority.policy import (
    KNOWN_ROLES,
    SCOPES,
    UNLIMITED,
    ActionRule,
    AuthorityPolicy,
    Decision,
    decide,
)
from helpdesk_kit.authority.request import (
    COUNTED,
    EVENT_KINDS,
    AuthorityRequest,
    RequestStatus,
    window_total,
)

__all__ = [
    "COUNTED",
    "EVENT_KINDS",
    "KNOWN_ROLES",
    "SCOPES",
    "UNLIMITED",
    "ActionRule",
    "AuthorityPolicy",
    "AuthorityRequest",
    "Decision",
    "Money",
    "RequestStatus",
    "decide",
    "to_amount",
    "window_total",
]
