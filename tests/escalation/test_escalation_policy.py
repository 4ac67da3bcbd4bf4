"""Escalation policies as data: every condition and action, validation listing every problem."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from helpdesk_kit.errors import InvalidDefinition, InvalidInput
from helpdesk_kit.escalation import (
    DEFAULT_KEYWORDS,
    BadRating,
    ComplaintTicket,
    Facts,
    KeywordMatcher,
    Keywords,
    SlaBreached,
    SlaUsed,
    Waiting,
    condition_from_dict,
    evaluate,
    guide_policies,
    guide_policy_data,
    load_policies,
    map_status,
    policies_from_data,
    policy_from_dict,
)
from helpdesk_kit.lifecycle.builtins import builtin_lifecycles
from helpdesk_kit.tickets.model import Ticket

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _ticket(**fields: object) -> Ticket:
    base: dict[str, object] = {
        "number": 1,
        "subject": "s",
        "customer_id": "c",
        "channel": "email",
        "status": "open",
        "created_at": T0,
        "updated_at": T0,
    }
    base.update(fields)
    return Ticket(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("我要投诉你们", ["投诉"]),
        ("再不处理我就找律师,打12315", ["律师", "12315"]),
        ("打１２３１５", ["12315"]),  # full-width digits
        ("I want a REFUND now", ["refund"]),
        ("Refunds please", ["refund"]),
        ("prefund account", []),
        ("my lawyer will call", ["lawyer"]),
        ("file a complaint", ["complaint"]),
        ("我要曝光你们", ["曝光"]),
        ("where is my parcel", []),
    ],
)
def test_keywords_case_insensitive_and_cjk_substring(text: str, found: list[str]) -> None:
    assert KeywordMatcher(DEFAULT_KEYWORDS).find(text) == found


def test_conditions_from_data() -> None:
    assert condition_from_dict({"sla": "first_response", "percent": 80}) == SlaUsed(
        "first_response", 80
    )
    assert condition_from_dict({"breach": "any"}) == SlaBreached(None)
    assert condition_from_dict({"breach": "resolution"}) == SlaBreached("resolution")
    assert condition_from_dict({"waiting": "2h", "since": "customer_message"}) == Waiting(
        timedelta(hours=2), "customer_message"
    )
    assert condition_from_dict({"keywords": "default"}) == Keywords(DEFAULT_KEYWORDS)
    sentiment = condition_from_dict({"sentiment": ["太差"]})
    assert isinstance(sentiment, Keywords)
    assert sentiment.label == "sentiment"
    assert condition_from_dict({"rating_at_most": 2}) == BadRating(2)
    assert condition_from_dict({"complaint": True}) == ComplaintTicket()


def test_every_problem_is_listed() -> None:
    data = {
        "policies": [
            {
                "name": "p",
                "colour": "red",
                "applies_to": {"priorities": ["sky"], "planets": ["mars"]},
                "levels": [
                    {"name": "a", "when": {"waiting": "-1h"}, "actions": [{"action": "tag"}]},
                    {"name": "a", "when": {"sla": "first_response"}, "actions": []},
                    {
                        "name": "b",
                        "when": {"keywords": [], "rating_at_most": 9},
                        "actions": [{"action": "launch"}, {"action": "raise_priority", "to": "x"}],
                    },
                    {"when": {"rating_at_most": 0}, "actions": ["notify"]},
                ],
            },
            {"name": "p", "levels": []},
        ]
    }
    with pytest.raises(InvalidDefinition) as info:
        policies_from_data(data, actions=["page_oncall"])
    problems = "\n".join(info.value.problems)
    for needle in [
        "unknown key(s) colour",
        "unknown priorities sky",
        "unknown applies_to key(s) planets",
        "waiting must be positive",
        "tag needs tags",
        "used twice",
        "percent must be a number above 0",
        "actions must be a non-empty list",
        "give exactly one of",
        "unknown action 'launch'",
        "raise_priority to must be one of",
        "a level needs a name",
        "rating_at_most must be a score from 1 to 5",
        "levels must be a non-empty list",
        "policy 'p': the name is used twice",
    ]:
        assert needle in problems, needle
    assert len(info.value.problems) >= 15


def test_round_trip_and_toml(tmp_path: Path) -> None:
    policies = guide_policies()
    again = policies_from_data({"policies": [p.to_dict() for p in policies]})
    assert again == policies
    toml = tmp_path / "esc.toml"
    toml.write_text(
        """
[[policies]]
name = "vip"
applies_to = { tiers = ["vip"] }

[[policies.levels]]
name = "fast"
when = { sla = "first_response", percent = 50 }
actions = [{ action = "notify", recipients = ["supervisor"] }, { action = "page" }]
""",
        encoding="utf-8",
    )
    (vip,) = load_policies(toml)
    assert vip.applies_to.tiers == {"vip"}
    assert vip.levels[0].condition == SlaUsed("first_response", 50)
    with pytest.raises(InvalidDefinition, match="unknown action 'page'"):
        load_policies(toml, actions=[])
    bad = tmp_path / "esc.yaml"
    bad.write_text("x")
    with pytest.raises(InvalidInput):
        load_policies(bad)
    assert policy_from_dict(guide_policy_data()["policies"][0]) == policies[0]


def test_evaluate_fires_due_and_schedules_next() -> None:
    (policy,) = policies_from_data(
        {
            "name": "p",
            "levels": [
                {"name": "one", "when": {"waiting": "1h"}, "actions": ["notify"]},
                {"name": "two", "when": {"waiting": "3h"}, "actions": ["notify"]},
                {"name": "kw", "when": {"keywords": ["refund"]}, "actions": ["notify"]},
            ],
        }
    )
    ticket = _ticket()
    facts = Facts(now=T0 + timedelta(hours=2), ticket=ticket, messages=("a refund please",))
    result = evaluate([policy], facts, set())
    assert [d.level.name for d in result.due] == ["one", "kw"]
    assert result.next_at == T0 + timedelta(hours=3)
    result = evaluate([policy], facts, {("p", "one"), ("p", "kw")})
    assert result.due == ()
    # time levels wait while the ticket is solved; event levels do not
    inactive = Facts(now=T0 + timedelta(hours=5), ticket=ticket, active=False, messages=("refund",))
    result = evaluate([policy], inactive, set())
    assert [d.level.name for d in result.due] == ["kw"]
    assert result.next_at is None


def test_applies_to_selects_tickets() -> None:
    (policy,) = policies_from_data(
        {
            "name": "vip",
            "applies_to": {"tiers": ["vip"], "channels": ["email"], "tags": ["x", "y"]},
            "levels": [{"name": "a", "when": {"complaint": True}, "actions": ["notify"]}],
        }
    )
    ticket = _ticket(lifecycle="complaint", tags={"y"})
    assert evaluate([policy], Facts(now=T0, ticket=ticket, tier="vip"), set()).due
    assert not evaluate([policy], Facts(now=T0, ticket=ticket, tier="standard"), set()).due
    other = _ticket(lifecycle="complaint", tags={"z"})
    assert not evaluate([policy], Facts(now=T0, ticket=other, tier="vip"), set()).due


def test_rating_and_complaint_conditions() -> None:
    ticket = _ticket(category="complaint")
    assert BadRating(2).holds_at(Facts(now=T0, ticket=ticket, ratings=(2,))) == T0
    assert BadRating(2).holds_at(Facts(now=T0, ticket=ticket, ratings=(3,))) is None
    assert ComplaintTicket().holds_at(Facts(now=T0, ticket=ticket)) == T0
    assert ComplaintTicket().holds_at(Facts(now=T0, ticket=_ticket())) is None


def test_map_status_keeps_meaning() -> None:
    support, complaint = builtin_lifecycles()
    assert map_status(support, complaint, "new") == "received"
    assert map_status(support, complaint, "open") == "acknowledged"
    assert map_status(support, complaint, "pending") == "proposed"
    assert map_status(support, complaint, "solved") == "resolved"
    assert map_status(support, complaint, "closed") == "closed"
    assert map_status(complaint, support, "escalated") == "open"
    assert map_status(complaint, support, "followed_up") == "solved"
