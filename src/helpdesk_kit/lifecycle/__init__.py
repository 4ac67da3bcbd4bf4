"""Declarative ticket lifecycles: data, validation, guards and a pure firing engine."""

from __future__ import annotations

from helpdesk_kit.lifecycle.builtins import COMPLAINT, SUPPORT, builtin_lifecycles
from helpdesk_kit.lifecycle.definition import KNOWN_ROLES, Lifecycle, State, Transition
from helpdesk_kit.lifecycle.engine import check_guards, fire, missing_guards
from helpdesk_kit.lifecycle.guards import BUILTIN_GUARDS, Guard, GuardContext

__all__ = [
    "BUILTIN_GUARDS",
    "COMPLAINT",
    "KNOWN_ROLES",
    "SUPPORT",
    "Guard",
    "GuardContext",
    "Lifecycle",
    "State",
    "Transition",
    "builtin_lifecycles",
    "check_guards",
    "fire",
    "missing_guards",
]
