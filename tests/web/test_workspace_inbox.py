"""Inbox views: mine, my group, unassigned and SLA at risk, paged with cursors."""

from __future__ import annotations

from datetime import timedelta

import pytest

from helpdesk_kit import Helpdesk
from helpdesk_kit.desk import DeskSettings
from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.sla import SlaPolicy, SlaTarget
from helpdesk_kit.web.inbox import active_statuses, inbox_page, view_counts

BACKENDS = pytest.mark.parametrize(
    "helpdesk_storage", ["memory", "sqlite", "postgresql"], indirect=True
)
H = timedelta(hours=1)


@pytest.fixture
def desk(helpdesk_storage, helpdesk_clock) -> Helpdesk:
    made = Helpdesk(
        helpdesk_storage,
        helpdesk_clock,
        settings=DeskSettings(auto_assign=False),
        load_entrypoints=False,
    )
    made.configure_sla(
        [
            SlaPolicy("urgent", {"priority": {"urgent"}}, "24x7", {"first_response": SlaTarget(H)}),
            SlaPolicy("normal", {}, "24x7", {"first_response": SlaTarget(8 * H)}),
        ]
    )
    return made


def _all(desk, view, **kw):
    """Every row of a view, walking the cursors (the oracle is the plain list)."""
    rows, after = [], None
    while True:
        page = inbox_page(desk, view, after=after, limit=3, **kw)
        rows.extend(page.rows)
        if page.next_cursor is None:
            return rows
        after = page.next_cursor


@BACKENDS
def test_views_select_open_tickets_by_owner(desk: Helpdesk) -> None:
    sales = desk.add_group("sales")
    desk.add_group("billing")
    ana = desk.add_agent("Ana", groups=["sales"])
    bo = desk.add_agent("Bo", groups=["billing"])
    cust = desk.add_customer("Li Lei")
    mine = [desk.open_ticket(cust, f"mine {i}", "hi", assignee=ana) for i in range(4)]
    desk.open_ticket(cust, "bo's", "hi", assignee=bo)
    grp = [desk.open_ticket(cust, f"sales {i}", "hi", group=sales) for i in range(5)]
    done = desk.open_ticket(cust, "done", "hi", assignee=ana)
    desk.reply(done, "fixed", author=ana, transition="solve")
    ana = desk.get_agent(ana.id)

    assert [r.ticket.id for r in _all(desk, "mine", agent=ana)] == [t.id for t in mine]
    assert [r.ticket.id for r in _all(desk, "group", agent=ana)] == [t.id for t in grp]
    unassigned = {r.ticket.id for r in _all(desk, "unassigned", agent=ana)}
    assert unassigned == {t.id for t in grp}
    assert all(r.customer_name == "Li Lei" for r in _all(desk, "mine", agent=ana))
    counts = view_counts(desk, agent=ana)
    assert counts["mine"] == 4
    assert counts["group"] == 5
    assert counts["unassigned"] == 5
    assert "solved" not in active_statuses(desk)


@BACKENDS
def test_at_risk_lists_timers_due_within_the_horizon(desk: Helpdesk, helpdesk_clock) -> None:
    cust = desk.add_customer("Han Meimei")
    urgent = desk.open_ticket(cust, "urgent", "help", priority="urgent")
    normal = desk.open_ticket(cust, "normal", "help")
    ana = desk.add_agent("Ana")
    assert [r.ticket.id for r in _all(desk, "at_risk", agent=ana)] == []
    helpdesk_clock.advance(timedelta(minutes=30))
    rows = _all(desk, "at_risk", agent=ana)
    assert [r.ticket.id for r in rows] == [urgent.id]
    assert rows[0].at_risk
    assert not rows[0].overdue
    helpdesk_clock.advance(timedelta(hours=7, minutes=10))
    rows = _all(desk, "at_risk", agent=ana)
    assert [r.ticket.id for r in rows] == [urgent.id, normal.id]
    assert rows[0].overdue
    assert rows[1].at_risk
    assert not rows[1].overdue
    # answered: the timer is met, the ticket leaves the view
    desk.reply(normal, "on it", author=ana)
    assert [r.ticket.id for r in _all(desk, "at_risk", agent=ana)] == [urgent.id]


@BACKENDS
def test_at_risk_pages_with_cursors(desk: Helpdesk, helpdesk_clock) -> None:
    cust = desk.add_customer("Wang")
    made = []
    for i in range(7):
        made.append(desk.open_ticket(cust, f"t{i}", "x", priority="urgent"))
        helpdesk_clock.advance(timedelta(minutes=1))
    rows = _all(desk, "at_risk", agent=None)
    assert [r.ticket.id for r in rows] == [t.id for t in made]


def test_bad_arguments_are_invalid_input(desk: Helpdesk) -> None:
    with pytest.raises(InvalidInput):
        inbox_page(desk, "everything", agent=None)
    with pytest.raises(InvalidInput):
        inbox_page(desk, "mine", agent=None)
    with pytest.raises(InvalidInput):
        inbox_page(desk, "unassigned", agent=None, limit=0)
    with pytest.raises(InvalidInput):
        inbox_page(desk, "at_risk", agent=None, after="!!not-a-cursor")
    assert inbox_page(desk, "group", agent=None).rows == []
