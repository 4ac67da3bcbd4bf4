"""The guide's escalation path (问题升级流程) as data: agent → team lead → manager.

The guide asks for "什么问题需要升级给主管或技术团队,以及升级的路径和时限": which problems go to
the team lead or a specialist team, by which path and within which time limit. Shipped:

1. ``team_lead`` — the customer waited ``time_limit`` without an agent's answer: the ticket
   goes to its group's supervisor (team lead), priority one step up, the lead is notified;
2. ``complaint_words`` — the customer's message carries complaint or legal words (投诉, 律师,
   12315, 曝光, refund, lawyer, ...): the ticket switches to the complaint process;
3. ``bad_rating`` — a satisfaction score of 2 or less: the team lead is notified;
4. ``manager`` — the ticket is a complaint: it goes to the managers' group, urgent, and the
   managers are notified.
"""

from __future__ import annotations

from typing import Any

from helpdesk_kit.escalation.config import policies_from_data
from helpdesk_kit.escalation.policy import EscalationPolicy

__all__ = ["guide_policies", "guide_policy_data"]


def guide_policy_data(
    *, time_limit: str = "2h", manager_group: str = "managers", bad_rating: int = 2
) -> dict[str, Any]:
    """The guide's path in its data form (to save as TOML and adapt)."""
    return {
        "policies": [
            {
                "name": "guide",
                "description": "agent → team lead after the time limit → manager for complaints",
                "levels": [
                    {
                        "name": "team_lead",
                        "description": f"no answer for {time_limit}: to the team lead",
                        "when": {"waiting": time_limit, "since": "customer_message"},
                        "actions": [
                            {"action": "assign_supervisor"},
                            {"action": "raise_priority"},
                            {"action": "tag", "tags": ["escalated"]},
                            {"action": "notify", "recipients": ["supervisor"]},
                        ],
                    },
                    {
                        "name": "complaint_words",
                        "description": "complaint or legal words: the complaint process",
                        "when": {"keywords": "default"},
                        "actions": [
                            {"action": "tag", "tags": ["complaint"]},
                            {"action": "complaint"},
                        ],
                    },
                    {
                        "name": "bad_rating",
                        "description": f"rated {bad_rating} or less: the team lead calls back",
                        "when": {"rating_at_most": bad_rating},
                        "actions": [
                            {"action": "tag", "tags": ["bad_rating"]},
                            {"action": "notify", "recipients": ["supervisor"]},
                        ],
                    },
                    {
                        "name": "manager",
                        "description": "complaints go to a manager",
                        "when": {"complaint": True},
                        "actions": [
                            {"action": "assign_group", "group": manager_group},
                            {"action": "raise_priority", "to": "urgent"},
                            {"action": "notify", "recipients": [manager_group]},
                        ],
                    },
                ],
            }
        ]
    }


def guide_policies(
    *, time_limit: str = "2h", manager_group: str = "managers", bad_rating: int = 2
) -> list[EscalationPolicy]:
    """The guide's escalation path: ``time_limit`` to the team lead, complaints to managers.

    ``manager_group`` names the managers' group (create it on the desk; until it exists the
    ``manager`` level records that the group is missing). ``bad_rating``: the highest score
    that counts as a bad rating.
    """
    data = guide_policy_data(
        time_limit=time_limit, manager_group=manager_group, bad_rating=bad_rating
    )
    return policies_from_data(data)
