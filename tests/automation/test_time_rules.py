"""Time rules: a week of business days on a frozen clock, re-entry, exactly once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from helpdesk_kit.clock import FrozenClock
from helpdesk_kit.desk import Helpdesk
from helpdesk_kit.storage.sql import SqlStorage
from helpdesk_kit.tickets import events as ev
from helpdesk_kit.tickets.model import Identity, InboundMessage

from .conftest import BACKENDS, OFFICE, Inbox

#: Monday 2026-11-02 09:00 in Shanghai.
MONDAY_9 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)

PENDING_RULES: dict[str, Any] = {
    "calendars": {"office": OFFICE},
    "time_rules": [
        {
            "name": "pending-reminder",
            "when": {"field": "ticket.status", "op": "eq", "value": "pending"},
            "after": "3bd",
            "calendar": "office",
            "actions": [{"action": "reply", "template": "pending_reminder"}],
        },
        {
            "name": "pending-solve",
            "when": {"field": "ticket.status", "op": "eq", "value": "pending"},
            "after": "5bd",
            "calendar": "office",
            "actions": [{"action": "transition", "name": "solve"}],
        },
    ],
}


def setup_desk(desk: Helpdesk) -> Any:
    desk.save_template(
        "pending_reminder",
        {"zh": "您好，{customer.name}，请问问题解决了吗？", "en": "Hi {customer.name}, any news?"},
        default_locale="zh",
    )
    desk.configure_automation(PENDING_RULES)
    agent = desk.add_agent("Li Lei")
    customer = desk.add_customer("王先生", email="wang@example.cn")
    return agent, customer


def fired_at(desk: Helpdesk, ticket: Any) -> list[tuple[str, datetime]]:
    return [(e.data["rule"], e.at) for e in desk.events(ticket) if e.kind == ev.AUTOMATION_FIRED]


def sweep_hourly(desk: Helpdesk, clock: FrozenClock, hours: int) -> None:
    for _ in range(hours):
        clock.advance(timedelta(hours=1))
        desk.sweep()
        desk.sweep()  # a second sweep at the same instant finds nothing to do


@pytest.mark.helpdesk_clock(MONDAY_9)
@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_pending_week_reminds_after_3_and_solves_after_5_business_days(
    helpdesk: Helpdesk, helpdesk_clock: FrozenClock
) -> None:
    agent, customer = setup_desk(helpdesk)
    ticket = helpdesk.open_ticket(customer, "发票", "请开发票")
    helpdesk_clock.advance(timedelta(hours=1))  # Monday 10:00 local
    helpdesk.reply(ticket, "请提供抬头", author=agent, transition="pend")
    pended = helpdesk_clock.now()
    states = helpdesk.automation_states(ticket)
    assert [(s.rule, s.entered_at, s.fired_at) for s in states] == [
        ("pending-reminder", pended, None),
        ("pending-solve", pended, None),
    ]
    assert helpdesk.automation_due(ticket) == datetime(2026, 11, 5, 2, 0, tzinfo=UTC)
    sweep_hourly(helpdesk, helpdesk_clock, 24 * 9)
    thursday_10 = datetime(2026, 11, 5, 2, 0, tzinfo=UTC)
    next_monday_10 = datetime(2026, 11, 9, 2, 0, tzinfo=UTC)
    assert fired_at(helpdesk, ticket) == [
        ("pending-reminder", thursday_10),
        ("pending-solve", next_monday_10),
    ]
    current = helpdesk.get_ticket(ticket.id)
    assert current.status in ("solved", "closed")
    reminders = [m for m in helpdesk.messages(ticket) if m.author_kind.value == "system"]
    assert [m.text for m in reminders] == ["您好，王先生，请问问题解决了吗？"]
    assert helpdesk.automation_states(ticket) == []  # no longer pending: nothing left to fire


@pytest.mark.helpdesk_clock(MONDAY_9)
def test_each_pending_period_fires_once(helpdesk: Helpdesk, helpdesk_clock: FrozenClock) -> None:
    agent, customer = setup_desk(helpdesk)
    ticket = helpdesk.open_ticket(customer, "发票", "请开发票")
    helpdesk.reply(ticket, "请提供抬头", author=agent, transition="pend")
    sweep_hourly(helpdesk, helpdesk_clock, 24 * 3 + 1)  # Thursday 10:00: reminded
    assert [r for r, _ in fired_at(helpdesk, ticket)] == ["pending-reminder"]
    helpdesk.receive(
        InboundMessage(
            channel="web",
            sender=Identity("email", "wang@example.cn"),
            text="抬头是某某公司",
            ticket_number=ticket.number,
        )
    )
    assert helpdesk.get_ticket(ticket.id).status == "open"
    assert helpdesk.automation_states(ticket) == []
    helpdesk_clock.advance(timedelta(minutes=30))
    helpdesk.reply(ticket, "还需要税号", author=agent, transition="pend")
    second_entry = helpdesk_clock.now()
    sweep_hourly(helpdesk, helpdesk_clock, 24 * 6)  # Thursday 10:30 + 3bd = Tuesday 10:30
    reminders = [at for r, at in fired_at(helpdesk, ticket) if r == "pending-reminder"]
    assert len(reminders) == 2
    assert reminders[1] == datetime(2026, 11, 10, 2, 30, tzinfo=UTC)  # Tuesday 10:30 local
    assert second_entry == datetime(2026, 11, 5, 2, 30, tzinfo=UTC)


@pytest.mark.helpdesk_clock(MONDAY_9)
def test_unassigned_for_an_hour_notifies_once(
    helpdesk: Helpdesk, helpdesk_clock: FrozenClock, inbox: Inbox
) -> None:
    helpdesk.configure_automation(
        {
            "time_rules": [
                {
                    "name": "unassigned-1h",
                    "when": {"field": "ticket.assignee", "op": "is_empty"},
                    "after": "1h",
                    "actions": [
                        {
                            "action": "notify",
                            "subject": "{ticket.number} waits for an agent",
                            "recipients": ["leads"],
                        }
                    ],
                }
            ]
        }
    )
    customer = helpdesk.add_customer("C", email="c@example.cn")
    ticket = helpdesk.open_ticket(customer, "s", "t")  # nobody online: stays unassigned
    helpdesk_clock.advance(timedelta(minutes=59))
    helpdesk.sweep()
    assert inbox.sent == []
    helpdesk_clock.advance(timedelta(minutes=1))
    result = helpdesk.sweep().results["automation"]
    assert (result.tickets, result.fired) == (1, 1)
    assert [n["subject"] for n in inbox.sent] == [f"{ticket.ref} waits for an agent"]
    helpdesk_clock.advance(timedelta(hours=5))
    assert helpdesk.sweep().results["automation"].tickets == 0  # nothing due, nothing claimed
    agent = helpdesk.add_agent("A")
    helpdesk.assign(ticket, agent)
    helpdesk.assign(ticket, None)  # unassigned again: a new entry
    helpdesk_clock.advance(timedelta(hours=1))
    helpdesk.sweep()
    assert len(inbox.sent) == 2


@pytest.mark.helpdesk_clock(MONDAY_9)
def test_a_sweep_claims_only_due_tickets(helpdesk: Helpdesk, helpdesk_clock: FrozenClock) -> None:
    agent, customer = setup_desk(helpdesk)
    tickets = [helpdesk.open_ticket(customer, f"s{i}", "t") for i in range(20)]
    helpdesk.reply(tickets[0], "wait", author=agent, transition="pend")
    with helpdesk.storage.unit_of_work() as uow:
        assert [i.key for i in uow.due.list("automation")] == [tickets[0].id]
    helpdesk_clock.advance(timedelta(days=1))
    assert helpdesk.sweep().results["automation"].tickets == 0


def test_customer_fields_and_bad_state_are_rechecked_at_sweep_time(
    helpdesk: Helpdesk, helpdesk_clock: FrozenClock, inbox: Inbox
) -> None:
    helpdesk.configure_automation(
        {
            "time_rules": [
                {
                    "name": "vip-waits",
                    "when": [
                        {"field": "customer.tier", "op": "eq", "value": "vip"},
                        {"field": "ticket.assignee", "op": "is_empty"},
                    ],
                    "after": "30m",
                    "actions": [{"action": "notify", "subject": "VIP waits"}],
                }
            ]
        }
    )
    vip = helpdesk.add_customer("V", email="v@example.cn", tier="vip")
    helpdesk.open_ticket(vip, "s", "t")
    helpdesk.update_customer(vip, tier="standard")  # no ticket event: the sweep re-checks
    helpdesk_clock.advance(timedelta(hours=1))
    helpdesk.sweep()
    assert inbox.sent == []


def _second_storage(backend: str, first: Any, request: pytest.FixtureRequest) -> SqlStorage:
    if backend == "sqlite":
        return SqlStorage(str(first.engine.url))
    return SqlStorage(request.getfixturevalue("helpdesk_postgres_url"))


@pytest.mark.helpdesk_clock(MONDAY_9)
@pytest.mark.parametrize("helpdesk_storage", ["sqlite", "postgresql"], indirect=True)
def test_two_desks_on_one_database_fire_each_rule_once(
    helpdesk: Helpdesk,
    helpdesk_clock: FrozenClock,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    agent, customer = setup_desk(helpdesk)
    tickets = [helpdesk.open_ticket(customer, f"s{i}", "t") for i in range(12)]
    for t in tickets:
        helpdesk.reply(t, "wait", author=agent, transition="pend")
    backend = "sqlite" if helpdesk.storage.name == "sqlite" else "postgresql"  # type: ignore[attr-defined]
    other = Helpdesk(_second_storage(backend, helpdesk.storage, request), helpdesk_clock)
    other.configure_automation(PENDING_RULES)
    helpdesk_clock.advance(timedelta(days=10))
    errors: list[BaseException] = []

    def run(desk: Helpdesk) -> None:
        try:
            for _ in range(3):
                desk.sweep()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(d,)) for d in (helpdesk, other, helpdesk)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    other.close()
    assert errors == []
    for t in tickets:
        assert sorted(r for r, _ in fired_at(helpdesk, t)) == ["pending-reminder", "pending-solve"]


@pytest.mark.helpdesk_clock(MONDAY_9)
@pytest.mark.parametrize("helpdesk_storage", ["sqlite"], indirect=True)
def test_a_duplicate_claim_does_not_fire_twice(
    helpdesk: Helpdesk, helpdesk_clock: FrozenClock
) -> None:
    """Even when two workers get the same ticket (a lease ran out), the fired mark holds."""
    from helpdesk_kit.desk.automation import _sweep_tickets

    agent, customer = setup_desk(helpdesk)
    ticket = helpdesk.open_ticket(customer, "s", "t")
    helpdesk.reply(ticket, "wait", author=agent, transition="pend")
    other = Helpdesk(SqlStorage(str(helpdesk.storage.engine.url)), helpdesk_clock)  # type: ignore[attr-defined]
    other.configure_automation(PENDING_RULES)
    later = helpdesk_clock.now() + timedelta(days=3)
    assert _sweep_tickets(helpdesk, [ticket.id], later) == 1
    assert _sweep_tickets(other, [ticket.id], later) == 0
    assert _sweep_tickets(helpdesk, [ticket.id], later) == 0
    other.close()
    assert [r for r, _ in fired_at(helpdesk, ticket)] == ["pending-reminder"]
