"""A hypothesis state machine: arrivals, agent presence, clock moves, sweeps, keyword messages.

Invariants after every step: no level fires twice (rows and events agree, one each), no
agent holds more open tickets than ``max_concurrent``, no ticket is dropped (every ticket is
retrievable, open unassigned tickets are listed), and every level whose time came fired.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from helpdesk_kit import Helpdesk, Identity, InboundMessage
from helpdesk_kit.clock import FrozenClock
from helpdesk_kit.escalation import guide_policies, policies_from_data
from helpdesk_kit.storage.base import TicketFilter
from helpdesk_kit.tickets import events as ev
from helpdesk_kit.tickets.model import StateCategory

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TEXTS = ["where is my order", "我要投诉", "refund please", "找律师", "thanks", "12315"]
STATUSES = ["online", "away", "offline"]


class EscalationMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = FrozenClock(T0)
        self.desk = Helpdesk(clock=self.clock, load_entrypoints=False)
        lead = self.desk.add_agent("Lead", role="supervisor", max_concurrent=2)
        self.desk.add_group("support", supervisor=lead)
        self.desk.add_group("managers")
        self.agents = [lead.id]
        for i, group in enumerate(["support", "support", "managers"]):
            agent = self.desk.add_agent(f"A{i}", groups=[group], max_concurrent=1 + i)
            self.agents.append(agent.id)
        self.desk.configure_escalation(
            [
                *guide_policies(time_limit="3h"),
                *policies_from_data(
                    {
                        "name": "stale",
                        "levels": [
                            {
                                "name": "managers",
                                "when": {"waiting": "8h"},
                                "actions": [{"action": "assign_group", "group": "managers"}],
                            }
                        ],
                    }
                ),
            ]
        )
        self.customers: list[str] = []
        self.tickets: list[str] = []

    @rule(text=st.sampled_from(TEXTS), new_customer=st.booleans())
    def arrival(self, text: str, new_customer: bool) -> None:
        if new_customer or not self.customers:
            n = len(self.customers)
            self.customers.append(f"c{n}@example.com")
        email = self.customers[-1]
        result = self.desk.receive(
            InboundMessage(channel="form", sender=Identity("email", email), text=text, subject=text)
        )
        if result.ticket.id not in self.tickets:
            self.tickets.append(result.ticket.id)

    @precondition(lambda self: bool(self.tickets))
    @rule(data=st.data(), text=st.sampled_from(TEXTS))
    def customer_message(self, data: st.DataObject, text: str) -> None:
        tid = data.draw(st.sampled_from(self.tickets))
        ticket = self.desk.get_ticket(tid)
        customer = self.desk.get_customer(ticket.customer_id)
        self.desk.receive(
            InboundMessage(
                channel="form",
                sender=customer.identities[0],
                text=text,
                ticket_number=ticket.number,
            )
        )

    @precondition(lambda self: bool(self.tickets))
    @rule(data=st.data())
    def agent_reply(self, data: st.DataObject) -> None:
        tid = data.draw(st.sampled_from(self.tickets))
        ticket = self.desk.get_ticket(tid)
        if ticket.assignee_id is not None and ticket.merged_into is None:
            self.desk.reply(tid, "on it", author=self.desk.get_agent(ticket.assignee_id))

    @rule(index=st.integers(0, 3), status=st.sampled_from(STATUSES))
    def agent_status(self, index: int, status: str) -> None:
        self.desk.set_agent_status(self.agents[index], status)

    @rule(minutes=st.integers(1, 300))
    def advance(self, minutes: int) -> None:
        self.clock.advance(timedelta(minutes=minutes))

    @rule()
    def sweep(self) -> None:
        now = self.clock.now()
        self.desk.sweep()
        for tid in self.tickets:  # everything due by now was handled
            due = self.desk.escalation_due(tid)
            assert due is None or due > now

    @invariant()
    def never_fires_a_level_twice(self) -> None:
        rows: Counter[tuple[str, str, str]] = Counter()
        fired: Counter[tuple[str, str, str]] = Counter()
        for tid in self.tickets:
            for f in self.desk.escalations(tid):
                rows[f.key] += 1
            for e in self.desk.events(tid):
                if e.kind == ev.ESCALATION_FIRED:
                    fired[(tid, e.data["policy"], e.data["level"])] += 1
        assert rows == fired
        assert all(n == 1 for n in rows.values())

    @invariant()
    def never_above_capacity(self) -> None:
        desk = self.desk
        for agent in desk.agents():
            open_ = [
                t
                for t in desk.list_tickets(assignee_id=agent.id, limit=1000).items
                if desk.lifecycle(t.lifecycle).category(t.status)
                not in (StateCategory.SOLVED, StateCategory.CLOSED)
            ]
            assert len(open_) <= agent.max_concurrent, agent.name

    @invariant()
    def never_drops_a_ticket(self) -> None:
        listed = {
            t.id for t in self.desk.list_tickets(TicketFilter(assignee_id=""), limit=1000).items
        }
        for tid in self.tickets:
            ticket = self.desk.get_ticket(tid)
            if ticket.assignee_id is None and ticket.merged_into is None:
                assert tid in listed


TestEscalationMachine = EscalationMachine.TestCase
TestEscalationMachine.settings = settings(
    max_examples=40,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
