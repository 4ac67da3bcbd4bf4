"""Automation rules: event rules and time rules written as data (dict or TOML).

See ``docs/automation.md``. The desk runs them (:mod:`helpdesk_kit.desk.automation`); this
package parses, validates and evaluates them, with ``now`` given.
"""

from __future__ import annotations

from helpdesk_kit.automation.actions import (
    ACTIONS,
    Action,
    AddTags,
    ApplyMacro,
    Assign,
    Note,
    Notify,
    RemoveTags,
    Reply,
    SetField,
    Transition,
    parse_action,
)
from helpdesk_kit.automation.conditions import (
    OPERATORS,
    AllOf,
    AnyOf,
    CalendarLike,
    Compare,
    Condition,
    EvalContext,
    Not,
    parse_condition,
)
from helpdesk_kit.automation.rules import (
    DEFAULT_MAX_DEPTH,
    TRIGGERS,
    EventRule,
    Known,
    RuleSet,
    TimeRule,
    Wait,
    check_rules,
    load_rules,
    parse_rules,
    parse_wait,
    read_rules,
)
from helpdesk_kit.automation.state import RuleState, Tracked, next_due, track

__all__ = [
    "ACTIONS",
    "DEFAULT_MAX_DEPTH",
    "OPERATORS",
    "TRIGGERS",
    "Action",
    "AddTags",
    "AllOf",
    "AnyOf",
    "ApplyMacro",
    "Assign",
    "CalendarLike",
    "Compare",
    "Condition",
    "EvalContext",
    "EventRule",
    "Known",
    "Not",
    "Note",
    "Notify",
    "RemoveTags",
    "Reply",
    "RuleSet",
    "RuleState",
    "SetField",
    "TimeRule",
    "Tracked",
    "Transition",
    "Wait",
    "check_rules",
    "load_rules",
    "next_due",
    "parse_action",
    "parse_condition",
    "parse_rules",
    "parse_wait",
    "read_rules",
    "track",
]
