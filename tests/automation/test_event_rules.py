"""Event rules on the desk: triggers, every action, failures, the loop guard, validation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from helpdesk_kit.desk import Helpdesk
from helpdesk_kit.errors import InvalidDefinition, InvalidInput
from helpdesk_kit.tickets import events as ev
from helpdesk_kit.tickets.model import Identity, InboundMessage

from .conftest import BACKENDS, OFFICE, Inbox


def rule(name: str, on: Any, actions: list[dict[str, Any]], when: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "on": on, "actions": actions}
    if when is not None:
        out["when"] = when
    return out


def kinds(desk: Helpdesk, ticket: Any, prefix: str = "automation.") -> list[str]:
    return [e.kind for e in desk.events(ticket) if e.kind.startswith(prefix)]


def fired(desk: Helpdesk, ticket: Any) -> list[str]:
    return [e.data["rule"] for e in desk.events(ticket) if e.kind == ev.AUTOMATION_FIRED]


def test_created_rule_sets_priority_and_tags_in_the_same_unit(helpdesk: Helpdesk) -> None:
    helpdesk.configure_automation(
        {
            "event_rules": [
                rule(
                    "vip-first",
                    ["ticket.created"],
                    [
                        {"action": "set", "field": "priority", "value": "urgent"},
                        {"action": "add_tag", "tags": ["vip"]},
                    ],
                    {"field": "customer.tier", "op": "eq", "value": "vip"},
                )
            ]
        }
    )
    vip = helpdesk.add_customer("Wang", email="wang@example.cn", tier="vip")
    plain = helpdesk.add_customer("Li", email="li@example.cn")
    t1 = helpdesk.open_ticket(vip, "订单", "在哪里")
    t2 = helpdesk.open_ticket(plain, "订单", "在哪里")
    # the command returns the ticket as it left it; the rule ran in the same unit of work
    assert helpdesk.get_ticket(t1.id).priority.value == "urgent"
    assert helpdesk.get_ticket(t1.id).tags == {"vip"}
    assert helpdesk.get_ticket(t2.id).priority.value == "normal"
    assert fired(helpdesk, t1) == ["vip-first"]
    event = next(e for e in helpdesk.events(t1) if e.kind == ev.AUTOMATION_FIRED)
    assert event.data == {
        "rule": "vip-first",
        "rule_kind": "event",
        "trigger": "ticket.created",
        "depth": 1,
    }
    assert fired(helpdesk, t2) == []


def test_message_text_keywords_cjk_and_english(helpdesk: Helpdesk, inbox: Inbox) -> None:
    helpdesk.add_group("complaints")
    helpdesk.configure_automation(
        {
            "event_rules": [
                rule(
                    "complaint-words",
                    ["message.received"],
                    [
                        {"action": "add_tag", "tags": "complaint"},
                        {"action": "assign", "group": "complaints"},
                        {
                            "action": "notify",
                            "recipients": ["complaints"],
                            "subject": "Complaint on {ticket.number}",
                            "text": "{customer.name} wrote a complaint",
                        },
                    ],
                    {
                        "field": "message.text",
                        "op": "any_of",
                        "value": ["投诉", "律师", "12315", "lawyer"],
                    },
                )
            ]
        }
    )
    customer = helpdesk.add_customer("Zhao", email="zhao@example.cn")
    calm = helpdesk.open_ticket(customer, "退货", "请问怎么退货？")
    assert fired(helpdesk, calm) == []
    helpdesk.receive(
        InboundMessage(
            channel="web",
            sender=Identity("email", "zhao@example.cn"),
            text="再不处理我就打12315投诉！",
            ticket_number=calm.number,
        )
    )
    assert fired(helpdesk, calm) == ["complaint-words"]
    current = helpdesk.get_ticket(calm.id)
    assert "complaint" in current.tags
    assert helpdesk.get_group("complaints").id == current.group_id
    assert len(inbox.sent) == 1
    sent = inbox.sent[0]
    assert sent["subject"] == f"Complaint on {calm.ref}"
    assert sent["text"] == "Zhao wrote a complaint"
    assert sent["recipients"] == ["complaints"]
    assert sent["ticket_id"] == calm.id
    # a new ticket's first message is received too; English words match whole words
    english = helpdesk.open_ticket(customer, "Refund", "My LAWYER will call you.")
    assert fired(helpdesk, english) == ["complaint-words"]
    other = helpdesk.open_ticket(customer, "Refund", "I like lawyers' jokes")
    assert fired(helpdesk, other) == []


def test_updated_rule_sees_what_changed_and_cascades(helpdesk: Helpdesk) -> None:
    helpdesk.add_group("escalations")
    lead = helpdesk.add_agent("Lead", groups=["escalations"], role="supervisor")
    helpdesk.configure_automation(
        {
            "event_rules": [
                rule(
                    "urgent-to-escalations",
                    ["ticket.updated"],
                    [{"action": "assign", "group": "escalations"}],
                    [
                        {"field": "event.changed", "op": "contains", "value": "priority"},
                        {"field": "ticket.priority", "op": "ge", "value": "urgent"},
                    ],
                ),
                rule(
                    "tag-vip-urgent",
                    ["ticket.updated"],
                    [{"action": "set", "field": "priority", "value": "urgent"}],
                    # the second test makes the rule stop holding once it did its work
                    [
                        {"field": "ticket.tags", "op": "contains", "value": "vip"},
                        {"field": "ticket.priority", "op": "lt", "value": "urgent"},
                    ],
                ),
            ]
        }
    )
    customer = helpdesk.add_customer("C", email="c@example.cn")
    ticket = helpdesk.open_ticket(customer, "s", "t")
    assert ticket.assignee_id == lead.id  # auto-routed (the only online agent)
    helpdesk.tag(ticket, add=["vip"])
    current = helpdesk.get_ticket(ticket.id)
    assert current.priority.value == "urgent"
    assert current.group_id == helpdesk.get_group("escalations").id
    chain = [
        (e.data["rule"], e.data["depth"])
        for e in helpdesk.events(ticket)
        if e.kind == ev.AUTOMATION_FIRED
    ]
    assert chain == [("tag-vip-urgent", 1), ("urgent-to-escalations", 2)]


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_every_action_on_the_desk(helpdesk: Helpdesk, inbox: Inbox) -> None:
    helpdesk.add_group("billing")
    li = helpdesk.add_agent("Li Lei", groups=["billing"])
    helpdesk.save_template("first_reply", {"en": "Hi {customer.name}, we got {ticket.number}."})
    helpdesk.configure_automation(
        {
            "event_rules": [
                rule(
                    "everything",
                    ["ticket.created"],
                    [
                        {"action": "set", "field": "category", "value": "refund"},
                        {"action": "set", "field": "custom_fields.level", "value": 2},
                        {"action": "set", "field": "language", "value": "en"},
                        {"action": "set", "field": "group", "value": "billing"},
                        {"action": "assign", "agent": "Li Lei"},
                        {"action": "add_tag", "tags": ["a", "b"]},
                        {"action": "remove_tag", "tags": "a"},
                        {"action": "reply", "template": "first_reply"},
                        {"action": "note", "text": "Agent: {agent.name}"},
                        {"action": "transition", "name": "pend"},
                        {"action": "notify", "subject": "new refund", "kind": "refund"},
                    ],
                )
            ]
        },
        calendars={"office": OFFICE},
    )
    customer = helpdesk.add_customer("Ann", email="ann@example.com")
    ticket = helpdesk.open_ticket(customer, "refund please", "x")
    current = helpdesk.get_ticket(ticket.id)
    assert current.category == "refund"
    assert current.custom_fields == {"level": 2}
    assert current.language == "en"
    assert current.group_id == helpdesk.get_group("billing").id
    assert current.assignee_id == li.id
    assert current.tags == {"b"}
    assert current.status == "pending"
    messages = helpdesk.messages(ticket)
    reply = next(m for m in messages if m.public and m.author_kind.value == "system")
    assert reply.text == f"Hi Ann, we got {ticket.ref}."
    note = next(m for m in messages if not m.public)
    assert note.text == "Agent: Li Lei"
    assert [n["kind"] for n in inbox.sent] == ["refund"]
    assert kinds(helpdesk, ticket, "automation.failed") == []


def test_assign_route_picks_an_agent(helpdesk: Helpdesk) -> None:
    from helpdesk_kit.desk.settings import DeskSettings

    desk = Helpdesk(helpdesk.storage, helpdesk.clock, settings=DeskSettings(auto_assign=False))
    agent = desk.add_agent("Solo")
    desk.configure_automation(
        {"event_rules": [rule("route", "ticket.created", [{"action": "assign", "to": "route"}])]}
    )
    customer = desk.add_customer("C", email="c@example.cn")
    ticket = desk.open_ticket(customer, "s", "t")
    assert desk.get_ticket(ticket.id).assignee_id == agent.id


def test_an_action_that_cannot_run_is_recorded_not_raised(helpdesk: Helpdesk) -> None:
    helpdesk.configure_automation(
        {
            "event_rules": [
                rule(
                    "reopen-new",
                    ["ticket.created"],
                    [
                        {"action": "transition", "name": "reopen"},
                        {"action": "assign", "agent": "Nobody"},
                        {"action": "add_tag", "tags": "still-runs"},
                    ],
                )
            ]
        }
    )
    customer = helpdesk.add_customer("C", email="c@example.cn")
    ticket = helpdesk.open_ticket(customer, "s", "t")
    failures = [e.data for e in helpdesk.events(ticket) if e.kind == ev.AUTOMATION_FAILED]
    assert [f["action"] for f in failures] == ["transition", "assign"]
    assert "TransitionNotAllowed" in failures[0]["error"]
    assert "NotFound" in failures[1]["error"]
    assert helpdesk.get_ticket(ticket.id).tags == {"still-runs"}


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
@pytest.mark.parametrize("max_depth", [1, 3])
def test_loop_guard_stops_a_cascade_and_records_it(helpdesk: Helpdesk, max_depth: int) -> None:
    helpdesk.configure_automation(
        {
            "event_rules": [
                rule(
                    "ping",
                    ["ticket.updated", "ticket.created"],
                    [
                        {"action": "add_tag", "tags": "ping"},
                        {"action": "remove_tag", "tags": "pong"},
                    ],
                    {"not": {"field": "ticket.tags", "op": "contains", "value": "ping"}},
                ),
                rule(
                    "pong",
                    ["ticket.updated"],
                    [
                        {"action": "add_tag", "tags": "pong"},
                        {"action": "remove_tag", "tags": "ping"},
                    ],
                    {"field": "ticket.tags", "op": "contains", "value": "ping"},
                ),
            ]
        },
        max_depth=max_depth,
    )
    customer = helpdesk.add_customer("C", email="c@example.cn")
    ticket = helpdesk.open_ticket(customer, "s", "t")  # no exception
    depths = [e.data["depth"] for e in helpdesk.events(ticket) if e.kind == ev.AUTOMATION_FIRED]
    assert sorted(set(depths)) == list(range(1, max_depth + 1))
    (stopped,) = [e for e in helpdesk.events(ticket) if e.kind == ev.AUTOMATION_LOOP_STOPPED]
    assert stopped.data["depth"] == max_depth + 1
    assert stopped.data["max_depth"] == max_depth
    assert stopped.data["rules"]
    assert set(stopped.data["rules"]) <= {"ping", "pong"}
    # the next command starts a new cascade
    helpdesk.tag(ticket, add=["other"])
    assert len(kinds(helpdesk, ticket, ev.AUTOMATION_LOOP_STOPPED)) == 2


def test_validation_lists_every_problem_including_desk_references(helpdesk: Helpdesk) -> None:
    helpdesk.add_group("billing")
    helpdesk.save_template("known", {"en": "hi"})
    with pytest.raises(InvalidDefinition) as info:
        helpdesk.configure_automation(
            {
                "event_rules": [
                    rule(
                        "a",
                        ["ticket.created"],
                        [
                            {"action": "reply", "template": "unknown_template"},
                            {"action": "reply", "template": "known"},
                            {"action": "assign", "group": "nope"},
                            {"action": "transition", "name": "teleport"},
                            {"action": "note", "text": "{ticket.colour}"},
                            {"action": "frobnicate"},
                        ],
                        {"field": "time.open", "op": "eq", "value": True, "calendar": "moon"},
                    ),
                    rule("a", ["ticket.created"], [{"action": "add_tag", "tags": "x"}]),
                ],
                "time_rules": [
                    {
                        "name": "t",
                        "after": "2 weeks",
                        "calendar": "mars",
                        "actions": [{"action": "note", "text": "x"}],
                    }
                ],
                "calendars": {"broken": {"timezone": "Nowhere/City", "hours": {}}},
            }
        )
    problems = info.value.problems
    expected = [
        "unknown action 'frobnicate'",
        "duplicate rule name 'a'",
        "time_rules.t.after",
        "calendars.broken",
        "unknown template 'unknown_template'",
        "unknown group 'nope'",
        "no lifecycle has a transition 'teleport'",
        "unknown calendar 'moon'",
        "ticket.colour",
    ]
    for fragment in expected:
        assert any(fragment in p for p in problems), (fragment, problems)
    assert not any("'known'" in p for p in problems)
    with pytest.raises(InvalidInput, match="not configured"):
        Helpdesk().automation_config  # noqa: B018


def test_macro_action_and_unknown_macro(helpdesk: Helpdesk) -> None:
    helpdesk.save_template("refund_started", {"en": "We started your refund."})
    helpdesk.save_macro(
        "refund", shortcode="/refund", template="refund_started", add_tags=["refund"]
    )
    with pytest.raises(InvalidDefinition, match="unknown macro '/nope'"):
        helpdesk.configure_automation(
            {"event_rules": [rule("m", "ticket.created", [{"action": "macro", "name": "/nope"}])]}
        )
    helpdesk.configure_automation(
        {
            "event_rules": [
                rule(
                    "refund-words",
                    "message.received",
                    [{"action": "macro", "name": "/refund"}],
                    {"field": "message.text", "op": "any_of", "value": ["退款", "refund"]},
                )
            ]
        }
    )
    customer = helpdesk.add_customer("C", email="c@example.cn")
    ticket = helpdesk.open_ticket(customer, "钱", "我要退款")
    assert helpdesk.get_ticket(ticket.id).tags == {"refund"}
    assert [m.text for m in helpdesk.messages(ticket) if m.author_kind.value == "system"] == [
        "We started your refund."
    ]


def test_track_tickets_from_before_the_rules(helpdesk: Helpdesk) -> None:
    customer = helpdesk.add_customer("C", email="c@example.cn")
    old = helpdesk.open_ticket(customer, "s", "t")
    helpdesk.configure_automation(
        {
            "time_rules": [
                {
                    "name": "unassigned",
                    "when": {"field": "assignee", "op": "is_empty"},
                    "after": "1h",
                    "actions": [{"action": "add_tag", "tags": "late"}],
                }
            ]
        }
    )
    assert helpdesk.automation_states(old) == []
    assert helpdesk.automation_track([old.ref]) == 1
    (state,) = helpdesk.automation_states(old)
    assert state.entered_at == helpdesk.now()
    assert helpdesk.automation_due(old) == helpdesk.now() + timedelta(hours=1)


def test_loop_guard_also_bounds_a_loop_through_another_reactor(helpdesk: Helpdesk) -> None:
    """A rule's change makes another reactor change the ticket, which triggers the rule."""
    import attrs

    from helpdesk_kit.tickets.model import Actor, Priority

    def echo(desk: Helpdesk, work: Any, events: list[Any]) -> None:
        for event in events:
            if event.kind != ev.TAGS_CHANGED:
                continue
            old = work.ticket(event.ticket_id)
            new = Priority.HIGH if old.priority is Priority.NORMAL else Priority.NORMAL
            change = desk._event(
                work,
                old,
                ev.PRIORITY_CHANGED,
                Actor.system(),
                **{"from": old.priority.value, "to": new.value},
            )
            work.save(old, attrs.evolve(old, priority=new), [change])

    helpdesk.add_reactor("echo", echo)
    toggle = {"field": "event.changed", "op": "contains", "value": "priority"}
    has_t = {"field": "tags", "op": "contains", "value": "t"}
    helpdesk.configure_automation(
        {
            "event_rules": [
                rule(
                    "add-t",
                    "ticket.updated",
                    [{"action": "add_tag", "tags": "t"}],
                    [toggle, {"not": has_t}],
                ),
                rule(
                    "drop-t",
                    "ticket.updated",
                    [{"action": "remove_tag", "tags": "t"}],
                    [toggle, has_t],
                ),
            ]
        },
        max_depth=4,
    )
    customer = helpdesk.add_customer("C", email="c@example.cn")
    ticket = helpdesk.open_ticket(customer, "s", "t")
    helpdesk.set_priority(ticket, "urgent")  # no StorageError about endless reactions
    depths = [e.data["depth"] for e in helpdesk.events(ticket) if e.kind == ev.AUTOMATION_FIRED]
    assert sorted(set(depths)) == [1, 2, 3, 4]
    assert len(kinds(helpdesk, ticket, ev.AUTOMATION_LOOP_STOPPED)) == 1


def test_out_of_hours_auto_reply_by_a_named_calendar(
    helpdesk: Helpdesk, helpdesk_clock: Any
) -> None:
    from datetime import UTC, datetime

    helpdesk.save_template("closed_now", {"zh": "现在是非工作时间，我们将在上班后尽快回复。"})
    helpdesk.save_template("a_note", {"en": "x"}, kind="note")
    rules = {
        "event_rules": [
            rule(
                "after-hours",
                "ticket.created",
                [{"action": "reply", "template": "closed_now"}],
                {"field": "time.open", "op": "eq", "value": False, "calendar": "office"},
            )
        ]
    }
    with pytest.raises(InvalidDefinition, match="'note' template, not a reply"):
        helpdesk.configure_automation(
            {
                "event_rules": [
                    rule("n", "ticket.created", [{"action": "reply", "template": "a_note"}])
                ]
            }
        )
    helpdesk.configure_automation(rules, calendars={"office": OFFICE})
    customer = helpdesk.add_customer("C", email="c@example.cn")
    helpdesk_clock.set(datetime(2026, 11, 2, 3, 0, tzinfo=UTC))  # Monday 11:00 in Shanghai
    day = helpdesk.open_ticket(customer, "s", "t")
    helpdesk_clock.set(datetime(2026, 11, 2, 13, 0, tzinfo=UTC))  # Monday 21:00
    night = helpdesk.open_ticket(customer, "s", "t")
    assert fired(helpdesk, day) == []
    assert fired(helpdesk, night) == ["after-hours"]
