"""Flow definitions: the starter flows, TOML and dicts, and validation listing every problem."""

from __future__ import annotations

import pytest

from helpdesk_kit.bot import FlowSet, load_flows, starter_flows
from helpdesk_kit.bot.flows import Flow
from helpdesk_kit.bot.slots import SlotType
from helpdesk_kit.errors import InvalidDefinition, InvalidInput

RETURN_FLOW = """
[return_request]
intent = "return_refund"
action = "start_return"
max_retries = 1
confirm.en = "Return order {order_number} because {reason}? (yes/no)"
confirm.zh = "确认因为 {reason} 退回订单 {order_number} 吗？"

[[return_request.slots]]
name = "order_number"
type = "order_number"
ask = { en = "Which order?", zh = "哪个订单？" }

[[return_request.slots]]
name = "reason"
type = "choice"
ask = { en = "Why? {choices}", zh = "原因？{choices}" }
choices = [
  { value = "damaged", labels = { en = "Damaged", zh = "损坏" }, synonyms = ["broken"] },
  "wrong_item",
]
"""


def test_starter_flows_cover_order_status_and_password_reset():
    flows = starter_flows()
    assert sorted(flows.flows) == ["order_status", "password_reset"]
    assert flows.actions == {"order_status", "password_reset"}
    order = flows.for_intent("order_status")
    assert order is not None
    assert order.slot_names == ["order_number"]
    assert order.slot("order_number").type is SlotType.ORDER_NUMBER
    reset = flows.get("password_reset")
    assert reset.slot("account").from_customer == "email"
    assert {"en", "zh"} <= reset.locales()
    assert reset.confirmation({"account": "a@b.cn"}, "zh").startswith("我将向账号 a@b.cn")
    assert order.confirmation({"order_number": "1"}, "en") == ""  # no confirmation step
    assert flows.for_intent(None) is None
    assert flows.for_intent("coupon") is None


def test_toml_flow_with_a_choice_and_confirmation():
    flows = load_flows(RETURN_FLOW)
    flow = flows.get("return_request")
    assert flow.intent == "return_refund"
    assert flow.max_retries == 1
    assert [c.value for c in flow.slot("reason").choices] == ["damaged", "wrong_item"]
    text = flow.confirmation({"order_number": "SO123456", "reason": "damaged"}, "en")
    assert text == "Return order SO123456 because damaged? (yes/no)"
    merged = starter_flows().merged(flows)
    assert len(merged) == 3
    assert "return_request" in merged
    assert [f.name for f in merged] == ["order_status", "password_reset", "return_request"]


def test_every_problem_is_listed_at_once():
    bad = {
        "broken flow": {  # bad name
            "action": "",
            "colour": "blue",
            "max_retries": 99,
            "confirm": {"en": "Send to {nobody}?"},
            "slots": [
                {"name": "x", "type": "telepathy", "ask": {"en": "?"}},
                {"name": "y", "type": "choice", "ask": {"en": "?"}, "choices": ["only one"]},
                {"name": "z", "type": "email", "ask": "Mail?", "pattern": "[a-"},
                {
                    "name": "z",
                    "type": "text",
                    "ask": {"en": "?"},
                    "pattern": "(",
                    "min_length": 9,
                    "max_length": 3,
                },
                {
                    "name": "p",
                    "type": "phone",
                    "ask": {"en": "", "x1": "?"},
                    "from_customer": "email",
                },
                {"type": "text", "ask": {"en": "Hi {choices} {x}"}},
                "not a table",
            ],
        }
    }
    with pytest.raises(InvalidDefinition) as info:
        load_flows(bad)
    problems = "\n".join(info.value.problems)
    for expected in [
        "a flow name is a word",
        "unknown key(s) colour",
        "action must name a bot action",
        "max_retries must be a whole number from 0 to 10",
        "unknown type 'telepathy'",
        "must list at least 2 options",
        "only order_number and text slots take a pattern",
        "pattern is not a regular expression",
        "min_length is larger than max_length",
        "slot(s) z defined twice",
        "cannot be filled from the email",
        "must be non-empty text",
        "'x1' is not a locale tag",
        "name must be a word",
        "unknown placeholder(s) x",
        "slot 7 must be a table",
        "confirm.en: unknown slot(s) nobody",
    ]:
        assert expected in problems, expected
    assert len(info.value.problems) >= 17


def test_two_flows_for_one_intent_are_refused():
    flow = {"action": "a", "slots": []}
    with pytest.raises(InvalidDefinition, match="both handle intent 'x'"):
        load_flows({"one": {**flow, "intent": "x"}, "two": {**flow, "intent": "x"}})
    one = Flow.from_dict("one", {**flow, "intent": "x"})
    with pytest.raises(InvalidDefinition, match="both handle"):
        FlowSet({"one": one, "two": Flow.from_dict("two", {**flow, "intent": "x"})})


def test_other_inputs():
    with pytest.raises(InvalidDefinition, match="not valid TOML"):
        load_flows("[oops")
    with pytest.raises(InvalidDefinition, match="is not a Flow"):
        load_flows([object()])  # type: ignore[list-item]
    flows = load_flows([Flow.from_dict("f", {"action": "go"})])
    assert flows.get("f").intent == "f"
    assert load_flows(flows) is flows
    with pytest.raises(InvalidInput, match="no bot flow 'g'"):
        flows.get("g")
    with pytest.raises(InvalidInput, match="has no slot"):
        flows.get("f").slot("nope")
    with pytest.raises(InvalidDefinition, match="must be a table"):
        Flow.from_dict("f", "nope")  # type: ignore[arg-type]
    with pytest.raises(InvalidDefinition, match="bad placeholder syntax"):
        load_flows({"f": {"action": "a", "confirm": {"en": "oops {"}}})
