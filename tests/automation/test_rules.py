"""Loading rules: TOML and dict forms, and validation that lists every problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpdesk_kit.automation import (
    AddTags,
    Assign,
    EventRule,
    Note,
    Notify,
    RemoveTags,
    Reply,
    SetField,
    TimeRule,
    Transition,
    load_rules,
    parse_rules,
)
from helpdesk_kit.errors import InvalidDefinition, InvalidInput

RULES_TOML = """
max_depth = 3

[[event_rules]]
name = "vip-first"
on = ["ticket.created"]
when = { field = "customer.tier", op = "eq", value = "vip" }
actions = [
  { action = "set", field = "priority", value = "urgent" },
  { action = "add_tag", tags = ["vip"] },
]

[[time_rules]]
name = "pending-reminder"
when = { field = "ticket.status", op = "eq", value = "pending" }
after = "3bd"
calendar = "office"
actions = [{ action = "reply", template = "pending_reminder" }]
"""


def test_toml_text_file_and_dict_give_the_same_rules(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(RULES_TOML, encoding="utf-8")
    from_text = load_rules(RULES_TOML)
    assert load_rules(path) == from_text
    assert load_rules(str(path)) == from_text
    import tomllib

    assert parse_rules(tomllib.loads(RULES_TOML)) == from_text
    assert from_text.max_depth == 3
    (rule,) = from_text.event_rules
    assert isinstance(rule, EventRule)
    assert rule.actions == (SetField("priority", "urgent"), AddTags(("vip",)))
    (timed,) = from_text.time_rules
    assert isinstance(timed, TimeRule)
    assert timed.after.business_days == 3
    assert timed.calendar == "office"
    assert from_text.for_trigger("ticket.created") == [rule]
    assert from_text.for_trigger("message.received") == []


def test_every_action_parses() -> None:
    rules = parse_rules(
        {
            "event_rules": [
                {
                    "name": "all-actions",
                    "on": "message.received",
                    "actions": [
                        {"action": "set", "field": "custom_fields.level", "value": 2},
                        {"action": "set", "field": "category", "value": "refund"},
                        {"action": "assign", "agent": "Li Lei"},
                        {"action": "assign", "group": "billing"},
                        {"action": "assign", "to": "route"},
                        {"action": "add_tag", "tags": "a"},
                        {"action": "remove_tag", "tags": ["a", "b"]},
                        {"action": "reply", "template": "t", "locale": "en"},
                        {"action": "note", "text": "n"},
                        {"action": "transition", "name": "solve"},
                        {"action": "notify", "subject": "s", "recipients": "lead"},
                    ],
                }
            ]
        }
    )
    assert rules.event_rules[0].actions == (
        SetField("custom_fields.level", 2),
        SetField("category", "refund"),
        Assign(agent="Li Lei"),
        Assign(group="billing"),
        Assign(route=True),
        AddTags(("a",)),
        RemoveTags(("a", "b")),
        Reply("t", "en"),
        Note("n"),
        Transition("solve"),
        Notify("s", "", ("lead",), "automation"),
    )


def test_every_structural_problem_is_listed() -> None:
    with pytest.raises(InvalidDefinition) as info:
        parse_rules(
            {
                "max_depth": 0,
                "colour": "blue",
                "event_rules": [
                    {
                        "name": "a",
                        "on": ["ticket.deleted"],
                        "when": {"field": "ticket.colour", "value": 1},
                        "actions": [
                            {"action": "explode"},
                            {"action": "set", "field": "status", "value": "x"},
                            {"action": "set", "field": "priority", "value": "critical"},
                            {"action": "assign"},
                            {"action": "assign", "to": "someone"},
                            {"action": "note"},
                            {"action": "reply", "template": "t", "colour": 1},
                        ],
                    },
                    {"name": "a", "on": ["ticket.created"], "actions": []},
                    {
                        "name": "",
                        "on": "ticket.created",
                        "actions": [{"action": "note", "text": "x"}],
                    },
                ],
                "time_rules": [
                    {"name": "t1", "after": "soon", "actions": [{"action": "note", "text": "x"}]},
                    {"name": "t2", "after": "-1h", "actions": [{"action": "note", "text": "x"}]},
                    {"name": "t3", "after": "3bd", "actions": [{"action": "note", "text": "x"}]},
                    {
                        "name": "t4",
                        "after": "1h",
                        "when": {"field": "message.text", "op": "contains", "value": "x"},
                        "actions": [{"action": "note", "text": "x"}],
                    },
                    {"name": "t5", "actions": [{"action": "note", "text": "x"}]},
                ],
            }
        )
    problems = info.value.problems
    expected = [
        "unknown key(s) colour",
        "event_rules.a.on: unknown trigger(s) 'ticket.deleted'",
        "event_rules.a.when: unknown field 'ticket.colour'",
        "unknown action 'explode'",
        "cannot set 'status'",
        "unknown priority 'critical'",
        "assign needs an agent, a group or to",
        "assign 'to' can only be \"route\"",
        "action 'note' needs text",
        "action 'reply' does not take colour",
        "duplicate rule name 'a'",
        "a rule needs a list of actions",
        "a rule needs a name",
        "time_rules.t1.after",
        "time_rules.t2.after: a wait cannot be negative",
        "counts business days and needs 'calendar'",
        "a time rule cannot test message.text",
        "a time rule needs 'after'",
        "max_depth: must be a whole number from 1 to 10",
    ]
    for fragment in expected:
        assert any(fragment in p for p in problems), (fragment, problems)
    assert len(problems) == len(expected), problems


def test_bad_toml_and_sources() -> None:
    with pytest.raises(InvalidDefinition, match="not valid TOML"):
        load_rules("[[event_rules]\nname=")
    with pytest.raises(InvalidInput, match="cannot read"):
        load_rules("missing-file.toml")
    with pytest.raises(InvalidInput):
        load_rules(42)  # type: ignore[arg-type]
