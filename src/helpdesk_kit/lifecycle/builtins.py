"""The built-in lifecycles: ``support`` and the guide's ``complaint`` process."""

from __future__ import annotations

from typing import Any

from helpdesk_kit.lifecycle.definition import Lifecycle

__all__ = ["COMPLAINT", "SUPPORT", "builtin_lifecycles"]

_STAFF = ["agent", "supervisor", "admin"]
_CLOSE_CRITERIA = ["problem_solved", "customer_confirmed_or_timed_out", "no_open_followups"]

#: new → open → pending (waiting on the customer) / on_hold (waiting on a third party)
#: → solved → closed. A customer reply reopens a solved ticket within ``reopen_window``;
#: the sweeper closes solved tickets after ``auto_close_after``.
SUPPORT: dict[str, Any] = {
    "name": "support",
    "description": "General support: answer, wait on the customer or a third party, solve, close.",
    "initial": "new",
    "states": {
        "new": {"category": "new", "label": "New"},
        "open": {"category": "open", "label": "Open"},
        "pending": {
            "category": "pending",
            "flags": ["sla_paused", "waiting_on_customer"],
            "label": "Waiting on customer",
        },
        "on_hold": {
            "category": "pending",
            "flags": ["sla_paused", "waiting_on_third_party"],
            "label": "On hold (third party)",
        },
        "solved": {"category": "solved", "flags": ["sla_paused"], "label": "Solved"},
        "closed": {"category": "closed", "label": "Closed"},
    },
    "transitions": [
        {"name": "open", "from": ["new"], "to": "open", "roles": [*_STAFF, "bot"]},
        {"name": "pend", "from": ["new", "open", "on_hold"], "to": "pending", "roles": _STAFF},
        {"name": "hold", "from": ["new", "open", "pending"], "to": "on_hold", "roles": _STAFF},
        {
            "name": "resume",
            "from": ["pending", "on_hold"],
            "to": "open",
            "roles": [*_STAFF, "customer"],
        },
        {
            "name": "solve",
            "from": ["new", "open", "pending", "on_hold"],
            "to": "solved",
            "roles": [*_STAFF, "bot"],
        },
        {
            "name": "reopen",
            "from": ["solved"],
            "to": "open",
            "guards": ["within_reopen_window"],
            "roles": [*_STAFF, "customer"],
        },
        {
            "name": "close",
            "from": ["solved"],
            "to": "closed",
            "guards": _CLOSE_CRITERIA,
            "roles": _STAFF,
        },
        {
            "name": "mark_spam",
            "from": ["new", "open", "pending", "on_hold"],
            "to": "closed",
            "roles": _STAFF,
            "label": "Spam or not a request",
        },
    ],
    "settings": {
        "reopen_window": "7d",
        "auto_close_after": "3d",
        "on_customer_reply": {"pending": "resume", "solved": "reopen"},
        "on_agent_reply": {"new": "open"},
    },
}

#: The guide's complaint process (投诉处理流程): receive, acknowledge within a time limit,
#: investigate, propose a resolution, the customer accepts (or it escalates), follow up, close.
COMPLAINT: dict[str, Any] = {
    "name": "complaint",
    "description": "Complaints: acknowledge in time, investigate, propose, accept or escalate, "
    "follow up, close.",
    "initial": "received",
    "states": {
        "received": {"category": "new", "label": "Received"},
        "acknowledged": {"category": "open", "label": "Acknowledged"},
        "investigating": {"category": "open", "label": "Investigating"},
        "escalated": {"category": "open", "flags": ["escalated"], "label": "Escalated"},
        "proposed": {
            "category": "pending",
            "flags": ["sla_paused", "waiting_on_customer"],
            "label": "Resolution proposed",
        },
        "resolved": {"category": "solved", "flags": ["sla_paused"], "label": "Resolved"},
        "followed_up": {
            "category": "solved",
            "flags": ["sla_paused"],
            "label": "Followed up (回访)",
        },
        "closed": {"category": "closed", "label": "Closed"},
    },
    "transitions": [
        {"name": "acknowledge", "from": ["received"], "to": "acknowledged", "roles": _STAFF},
        {
            "name": "investigate",
            "from": ["acknowledged", "escalated"],
            "to": "investigating",
            "roles": _STAFF,
        },
        {
            "name": "propose",
            "from": ["investigating", "escalated"],
            "to": "proposed",
            "roles": _STAFF,
        },
        {"name": "accept", "from": ["proposed"], "to": "resolved", "roles": [*_STAFF, "customer"]},
        {
            "name": "decline",
            "from": ["proposed"],
            "to": "escalated",
            "roles": [*_STAFF, "customer"],
            "label": "Customer declines: escalate",
        },
        {
            "name": "escalate",
            "from": ["received", "acknowledged", "investigating"],
            "to": "escalated",
            "roles": _STAFF,
        },
        {"name": "follow_up", "from": ["resolved"], "to": "followed_up", "roles": _STAFF},
        {
            "name": "reopen",
            "from": ["resolved", "followed_up"],
            "to": "investigating",
            "guards": ["within_reopen_window"],
            "roles": [*_STAFF, "customer"],
        },
        {
            "name": "close",
            "from": ["followed_up"],
            "to": "closed",
            "guards": _CLOSE_CRITERIA,
            "roles": ["supervisor", "admin"],
        },
    ],
    "settings": {
        "reopen_window": "14d",
        "auto_close_after": "7d",
        "acknowledge_within": "2h",
        "on_customer_reply": {"resolved": "reopen", "followed_up": "reopen"},
        "on_agent_reply": {"received": "acknowledge"},
    },
}


def builtin_lifecycles() -> list[Lifecycle]:
    """Build the built-in lifecycles."""
    return [Lifecycle.from_dict(SUPPORT), Lifecycle.from_dict(COMPLAINT)]
