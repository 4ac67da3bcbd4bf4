"""Escalation policies: levels with conditions and actions, fired once per ticket.

Pure domain: conditions read :class:`Facts` gathered by the desk; the desk
(:mod:`helpdesk_kit.desk.escalation`) runs the actions and stores what fired.
"""

from __future__ import annotations

from helpdesk_kit.escalation.config import (
    check_policies,
    condition_from_dict,
    load_policies,
    policies_from_data,
    policy_from_dict,
)
from helpdesk_kit.escalation.guide import guide_policies, guide_policy_data
from helpdesk_kit.escalation.keywords import (
    DEFAULT_KEYWORDS,
    DEFAULT_SENTIMENT_WORDS,
    KeywordMatcher,
)
from helpdesk_kit.escalation.policy import (
    BUILTIN_ACTIONS,
    Action,
    AppliesTo,
    BadRating,
    ComplaintTicket,
    Condition,
    Due,
    EscalationPolicy,
    Evaluation,
    Facts,
    Keywords,
    Level,
    SlaBreached,
    SlaUsed,
    Waiting,
    evaluate,
)
from helpdesk_kit.escalation.switch import map_status

__all__ = [
    "BUILTIN_ACTIONS",
    "DEFAULT_KEYWORDS",
    "DEFAULT_SENTIMENT_WORDS",
    "Action",
    "AppliesTo",
    "BadRating",
    "ComplaintTicket",
    "Condition",
    "Due",
    "EscalationPolicy",
    "Evaluation",
    "Facts",
    "KeywordMatcher",
    "Keywords",
    "Level",
    "SlaBreached",
    "SlaUsed",
    "Waiting",
    "check_policies",
    "condition_from_dict",
    "evaluate",
    "guide_policies",
    "guide_policy_data",
    "load_policies",
    "map_status",
    "policies_from_data",
    "policy_from_dict",
]
