"""Random sequences of commands never corrupt a ticket or lose an event."""

import contextlib
from collections import Counter
from datetime import UTC, datetime

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from helpdesk_kit import Actor, FrozenClock, Helpdesk, Identity, InboundMessage
from helpdesk_kit.errors import HelpdeskError
from helpdesk_kit.plugins import hookimpl

TRANSITIONS = sorted(
    {
        "open",
        "pend",
        "hold",
        "resume",
        "solve",
        "reopen",
        "close",
        "mark_spam",
        "acknowledge",
        "investigate",
        "propose",
        "accept",
        "decline",
        "escalate",
        "follow_up",
    }
)


class Listener:
    def __init__(self):
        self.seen = Counter()

    @hookimpl
    def on_ticket_event(self, desk, event, ticket):
        self.seen[event.ticket_id] += 1


class DeskMachine(RuleBasedStateMachine):
    @initialize()
    def setup(self):
        self.listener = Listener()
        self.clock = FrozenClock(datetime(2026, 11, 2, 9, tzinfo=UTC))
        self.desk = Helpdesk(clock=self.clock, plugins=[self.listener], load_entrypoints=False)
        self.agents = [self.desk.add_agent(n, max_concurrent=3) for n in ("Ann", "Bob")]
        self.lead = self.desk.add_agent("Lead", role="supervisor", status="away")
        self.tickets: list[str] = []
        self.refs: list[str] = []
        self.counter = 0

    def _ticket(self, data):
        return data.draw(st.sampled_from(self.tickets))

    @rule(lifecycle=st.sampled_from(["support", "complaint"]), who=st.integers(0, 2))
    def open_ticket(self, lifecycle, who):
        customer = self.desk.find_customer(
            "email", f"c{who}@example.com"
        ) or self.desk.add_customer(f"C{who}", email=f"c{who}@example.com")
        t = self.desk.open_ticket(customer, "help", "text", lifecycle=lifecycle)
        self.tickets.append(t.id)

    @rule(data=st.data(), who=st.integers(0, 3), reply=st.booleans(), dup=st.booleans())
    def receive(self, data, who, reply, dup):
        self.counter += 1
        ext = f"m{self.counter}"
        if dup and self.refs:
            ext = data.draw(st.sampled_from(self.refs))
        refs = (data.draw(st.sampled_from(self.refs)),) if reply and self.refs else ()
        r = self.desk.receive(
            InboundMessage(
                "email",
                Identity("email", f"c{who}@example.com"),
                text="hi",
                subject="s",
                external_id=ext,
                thread_refs=refs,
            )
        )
        if r.created:
            self.tickets.append(r.ticket.id)
        self.refs.append(ext)

    @rule(data=st.data(), name=st.sampled_from(TRANSITIONS), actor=st.integers(0, 3))
    def transition(self, data, name, actor):
        if not self.tickets:
            return
        tid = self._ticket(data)
        who = [*self.agents, self.lead, Actor.customer("x")][actor]
        before = self.desk.events(tid)
        try:
            self.desk.transition(tid, name, actor=who)
        except HelpdeskError:
            assert self.desk.events(tid) == before

    @rule(data=st.data(), agent=st.integers(0, 1), then=st.sampled_from([None, "pend", "solve"]))
    def reply(self, data, agent, then):
        if not self.tickets:
            return
        tid = self._ticket(data)
        before = self.desk.events(tid)
        try:
            self.desk.reply(tid, "answer", author=self.agents[agent], transition=then)
        except HelpdeskError:
            assert self.desk.events(tid) == before

    @rule(data=st.data(), agent=st.integers(0, 1))
    def assign(self, data, agent):
        if self.tickets:
            with contextlib.suppress(HelpdeskError):
                self.desk.assign(self._ticket(data), self.agents[agent], actor=self.lead)

    @rule(data=st.data())
    def followup(self, data):
        if self.tickets:
            tid = self._ticket(data)
            open_ = [f for f in self.desk.followups(tid) if f.is_open]
            if open_:
                self.desk.complete_followup(open_[0])
            else:
                self.desk.add_followup(tid, "check")

    @rule(data=st.data())
    def merge(self, data):
        if len(self.tickets) >= 2:
            a, b = self._ticket(data), self._ticket(data)
            with contextlib.suppress(HelpdeskError):
                self.desk.merge(a, b, actor=self.lead)

    @rule(hours=st.integers(1, 200))
    def advance_and_sweep(self, hours):
        self.clock.advance(hours=hours)
        self.desk.sweep()

    @invariant()
    def tickets_are_consistent(self):
        for tid in getattr(self, "tickets", []):
            t = self.desk.get_ticket(tid)
            lc = self.desk.lifecycle(t.lifecycle)
            assert t.status in lc.states
            events = self.desk.events(tid)
            assert [e.seq for e in events] == list(range(1, len(events) + 1))
            assert self.listener.seen[tid] == len(events)
            assert events[0].kind == "ticket.created"
            category = lc.category(t.status)
            assert (t.solved_at is not None) == (category == "solved") or category == "closed"


DeskMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestDesk = DeskMachine.TestCase
