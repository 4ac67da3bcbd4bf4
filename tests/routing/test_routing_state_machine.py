"""A state machine over the desk's routing, checked against the tickets themselves.

Random arrivals, agent status changes, clock advances (across shift starts), solves,
unassignments and sweeps. After every step: nobody holds more open tickets than their
capacity, no ticket was routed twice without being released in between, every open
unassigned ticket waits in exactly one queue (its group's) and nothing else does, and
the stored loads equal the truth. After a sweep no queue waits while one of its agents is
available with free capacity.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from helpdesk_kit.clock import FrozenClock
from helpdesk_kit.desk import Helpdesk
from helpdesk_kit.routing import is_available
from helpdesk_kit.sla.config import calendar_from_dict
from helpdesk_kit.storage.base import TicketFilter
from helpdesk_kit.tickets import events as ev
from helpdesk_kit.tickets.model import StateCategory

T0 = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)  # Monday 08:00 in Shanghai
STATUSES = ["online", "away", "offline"]


class RoutingMachine(RuleBasedStateMachine):
    """The desk under random traffic."""

    @initialize()
    def setup(self) -> None:
        self.clock = FrozenClock(T0)
        self.desk = Helpdesk(clock=self.clock, load_entrypoints=False)
        self.desk.add_shift(
            "day",
            calendar_from_dict({"timezone": "Asia/Shanghai", "hours": {"mon-fri": "09:00-12:00"}}),
        )
        self.desk.configure_sla(
            {
                "policies": [
                    {
                        "name": "chat",
                        "conditions": {"channel": ["chat"]},
                        "targets": {"first_response": "10m"},
                    }
                ]
            }
        )
        self.groups = [
            self.desk.add_group("A"),
            self.desk.add_group("B", routing="round_robin"),
        ]
        self.agents = [
            self.desk.add_agent("Ann", groups=["A"], max_concurrent=2),
            self.desk.add_agent("Bob", groups=["A", "B"], max_concurrent=1, shift="day"),
            self.desk.add_agent("Cy", groups=["B"], max_concurrent=2, status="offline"),
        ]
        self.customers = [self.desk.add_customer(f"C{n}") for n in range(3)]
        self.routed: dict[str, int] = {}

    @rule(
        group=st.sampled_from([0, 1, None]),
        customer=st.integers(0, 2),
        channel=st.sampled_from(["chat", "web"]),
    )
    def arrive(self, group: int | None, customer: int, channel: str) -> None:
        self.desk.open_ticket(
            self.customers[customer],
            "help",
            "hi",
            channel=channel,
            group=None if group is None else self.groups[group],
        )

    @rule(agent=st.integers(0, 2), status=st.sampled_from(STATUSES))
    def set_status(self, agent: int, status: str) -> None:
        self.desk.set_agent_status(self.agents[agent], status)

    @rule(minutes=st.sampled_from([1, 30, 60, 180, 720]))
    def advance(self, minutes: int) -> None:
        self.clock.advance(timedelta(minutes=minutes))

    @rule(pick=st.integers(0, 1000))
    def solve(self, pick: int) -> None:
        mine = self._tickets(assigned=True, open_=True)
        if mine:
            t = mine[pick % len(mine)]
            self.desk.transition(t, "solve", actor=self.desk.get_agent(t.assignee_id))

    @rule(pick=st.integers(0, 1000))
    def unassign(self, pick: int) -> None:
        mine = self._tickets(assigned=True, open_=True)
        if mine:
            self.desk.assign(mine[pick % len(mine)], None)

    @rule()
    def sweep(self) -> None:
        self.desk.sweep()
        now = self.desk.now()
        shifts = self.desk.shifts
        for key, agents in ((g.id, self._group_agents(g.id)) for g in self.groups):
            free = [
                a
                for a in agents
                if is_available(a, now, shifts) and self.desk.agent_load(a) < a.max_concurrent
            ]
            assert not (free and self.desk.queue(self.desk.get_group(key))), (
                "a queue waits while an agent is free"
            )

    # ---------------------------------------------------------------- helpers

    def _group_agents(self, group_id: str) -> list[Any]:
        return [a for a in self.desk.agents() if group_id in a.groups]

    def _tickets(self, *, assigned: bool | None = None, open_: bool | None = None) -> list[Any]:
        out = []
        for t in self.desk._iter_tickets(TicketFilter()):
            lc = self.desk.lifecycle(t.lifecycle)
            is_open = lc.category(t.status) not in (StateCategory.SOLVED, StateCategory.CLOSED)
            if open_ is not None and is_open != open_:
                continue
            if assigned is not None and (t.assignee_id is not None) != assigned:
                continue
            out.append(t)
        return out

    # ---------------------------------------------------------------- invariants

    @invariant()
    def nobody_above_capacity_and_loads_are_true(self) -> None:
        if not hasattr(self, "desk"):
            return
        truth: dict[str, int] = {}
        for t in self._tickets(assigned=True, open_=True):
            truth[t.assignee_id] = truth.get(t.assignee_id, 0) + 1
        for agent in self.desk.agents():
            assert truth.get(agent.id, 0) <= agent.max_concurrent, agent.name
            assert self.desk.agent_load(agent) == truth.get(agent.id, 0), agent.name

    @invariant()
    def every_open_unassigned_ticket_is_in_exactly_one_queue(self) -> None:
        if not hasattr(self, "desk"):
            return
        waiting = {t.id: t.group_id for t in self._tickets(assigned=False, open_=True)}
        queued: dict[str, str | None] = {}
        keys = [None, *(g.id for g in self.groups)]
        with self.desk.storage.unit_of_work() as uow:
            for key in keys:
                for entry in uow.routing.queue(key, limit=10_000):
                    assert entry.ticket_id not in queued, "a ticket is in two queues"
                    queued[entry.ticket_id] = key
        assert queued == waiting

    @invariant()
    def no_ticket_routed_twice_without_release(self) -> None:
        if not hasattr(self, "desk"):
            return
        for t in self._tickets():
            holder: str | None = None
            for e in self.desk.events(t):
                if e.kind != ev.ASSIGNED:
                    continue
                if e.data.get("reason") == "routing":
                    assert holder is None, f"{t.ref} routed while assigned"
                holder = e.data.get("assignee_id")


RoutingMachine.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestRoutingMachine = RoutingMachine.TestCase
