"""Property: walking an inbox view's cursors gives exactly the brute-force selection.

Oracle: every ticket, kept when it is open (its state's category is not solved or closed),
not merged and matches the view (assignee, group, unassigned; at risk: its earliest running
SLA timer, as stored — a breach no sweep has recorded yet included — is due before now +
horizon), in (created_at, id) order — or, at risk, in due order — read straight from the
tickets and timers, whatever the page size.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpdesk_kit import Helpdesk
from helpdesk_kit.clock import FrozenClock
from helpdesk_kit.desk import DeskSettings
from helpdesk_kit.sla import SlaPolicy, SlaTarget
from helpdesk_kit.storage.memory import MemoryStorage
from helpdesk_kit.storage.sql import SqlStorage
from helpdesk_kit.web.inbox import DEFAULT_HORIZON, active_statuses, inbox_page

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

ticket_specs = st.lists(
    st.tuples(
        st.sampled_from([None, "ana", "bo"]),  # assignee
        st.sampled_from([None, "sales", "billing"]),  # group
        st.sampled_from(["urgent", "normal"]),  # priority: 1 h or 8 h first response
        st.sampled_from([None, "reply", "solve"]),  # what happens next
        st.integers(0, 90),  # minutes before the next ticket
    ),
    max_size=14,
)


def _desk(backend: str, tmp_path, n: int) -> tuple[Helpdesk, FrozenClock]:
    clock = FrozenClock(T0)
    storage = (
        MemoryStorage() if backend == "memory" else SqlStorage(f"sqlite:///{tmp_path}/p{n}.db")
    )
    desk = Helpdesk(
        storage, clock, settings=DeskSettings(auto_assign=False), load_entrypoints=False
    )
    h = timedelta(hours=1)
    desk.configure_sla(
        [
            SlaPolicy("u", {"priority": {"urgent"}}, "24x7", {"first_response": SlaTarget(h)}),
            SlaPolicy("n", {}, "24x7", {"first_response": SlaTarget(8 * h)}),
        ]
    )
    desk.add_group("sales")
    desk.add_group("billing")
    desk.add_agent("ana", groups=["sales"])
    desk.add_agent("bo", groups=["billing", "sales"])
    return desk, clock


def _walk(desk: Helpdesk, view: str, agent, limit: int, group_id=None) -> list[str]:
    out, after = [], None
    while True:
        page = inbox_page(desk, view, agent=agent, group_id=group_id, after=after, limit=limit)
        out.extend(r.ticket.id for r in page.rows)
        if page.next_cursor is None:
            return out
        after = page.next_cursor


_counter = iter(range(10**9))


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(specs=ticket_specs, limit=st.integers(1, 4))
def test_views_equal_the_brute_force_selection(backend, tmp_path, specs, limit) -> None:
    desk, clock = _desk(backend, tmp_path, next(_counter))
    agents = {a.name: a for a in desk.agents()}
    cust = desk.add_customer("c")
    for i, (assignee, group, priority, then, gap) in enumerate(specs):
        t = desk.open_ticket(
            cust,
            f"t{i}",
            "x",
            priority=priority,
            group=group,
            assignee=agents[assignee] if assignee else None,
        )
        if then is not None:
            desk.reply(
                t, "ok", author=agents["ana"], transition="solve" if then == "solve" else None
            )
        clock.advance(timedelta(minutes=gap))
    open_ = set(active_statuses(desk))
    every = sorted(desk.list_tickets(limit=1000).items, key=lambda t: (t.created_at, t.id))
    live = [t for t in every if t.status in open_ and t.merged_into is None]
    ana = desk.get_agent(agents["ana"].id)
    sales = desk.get_group("sales").id
    assert _walk(desk, "mine", ana, limit) == [t.id for t in live if t.assignee_id == ana.id]
    assert _walk(desk, "group", ana, limit) == [t.id for t in live if t.group_id == sales]
    assert _walk(desk, "unassigned", ana, limit) == [t.id for t in live if not t.assignee_id]
    now = desk.now()
    due = {}
    for t in every:
        with desk.storage.unit_of_work() as uow:
            stored = uow.sla.list_for_ticket(t.id)  # as the last command or sweep left them
        running = [
            x.due_at
            for x in stored
            if x.due_at is not None and x.running and not x.finished and x.breached_at is None
        ]
        if running and min(running) < now + DEFAULT_HORIZON and t.status in open_:
            due[t.id] = min(running)
    expected = sorted(due, key=lambda tid: (due[tid], tid))
    assert _walk(desk, "at_risk", None, limit) == expected
