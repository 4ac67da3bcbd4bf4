"""Inbox queries for the agent workspace: the views, their pages and the rows they show.

Four views: ``mine`` (open tickets assigned to the agent), ``group`` (open tickets of one of
the agent's groups), ``unassigned`` (open tickets nobody holds) and ``at_risk`` (tickets whose
SLA timer runs out within the horizon, or has already run out without a sweep noticing yet).
The first three are keyset pages of :meth:`Helpdesk.list_tickets` (an indexed range scan
whatever the table's size); ``at_risk`` reads the SLA timers' ``(status, due_at)`` index.
No web framework here: the workspace pages, the dashboard and the benchmark call these.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from datetime import datetime, timedelta

import attrs

from helpdesk_kit.desk import Helpdesk
from helpdesk_kit.errors import InvalidInput, NotFound
from helpdesk_kit.sla.policy import METRICS
from helpdesk_kit.sla.timers import SlaTimer
from helpdesk_kit.storage.base import TicketFilter
from helpdesk_kit.tickets.model import Agent, StateCategory, Ticket

__all__ = [
    "AT_RISK_COUNT_CAP",
    "VIEWS",
    "InboxPage",
    "InboxRow",
    "active_statuses",
    "at_risk_timers",
    "count_view",
    "inbox_page",
    "pick_group",
    "view_counts",
]

#: The inbox views, in the order the workspace shows them.
VIEWS = ("mine", "group", "unassigned", "at_risk")
#: How far ahead ``at_risk`` looks by default.
DEFAULT_HORIZON = timedelta(hours=1)
#: Largest page a caller may ask for.
MAX_PAGE = 200
#: The at-risk count stops here (the view shows "99+"): counting is a scan of the timers.
AT_RISK_COUNT_CAP = 100

_DONE = (StateCategory.SOLVED, StateCategory.CLOSED)


@attrs.frozen
class InboxRow:
    """One line of an inbox: the ticket, who asked, and its most urgent SLA timer."""

    ticket: Ticket
    customer_name: str
    timer: SlaTimer | None = None
    overdue: bool = False
    at_risk: bool = False

    @property
    def due_at(self) -> datetime | None:
        """When the most urgent running SLA timer is due (None: nothing is due)."""
        return None if self.timer is None else self.timer.due_at


@attrs.frozen
class InboxPage:
    """One page of a view: its rows and the cursor of the next page (None: the last)."""

    view: str
    rows: list[InboxRow]
    next_cursor: str | None
    group_id: str | None = None


def active_statuses(desk: Helpdesk) -> tuple[str, ...]:
    """Every lifecycle state that still needs work (not solved or closed)."""
    return tuple(
        sorted(
            {
                s.name
                for lc in desk.lifecycles.values()
                for s in lc.states.values()
                if s.category not in _DONE
            }
        )
    )


def _check_limit(limit: int) -> int:
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be an integer from 1 to {MAX_PAGE}, got {limit!r}")
    return limit


def _urgent(timers: Sequence[SlaTimer]) -> SlaTimer | None:
    running = [t for t in timers if not t.finished and t.running and t.due_at is not None]
    return min(running, key=lambda t: (t.due_at, t.metric)) if running else None


def _rows(
    desk: Helpdesk,
    tickets: Sequence[Ticket],
    now: datetime,
    horizon: timedelta,
    timers: dict[str, list[SlaTimer]] | None = None,
) -> list[InboxRow]:
    """Rows for ``tickets``: customer names and SLA timers read in one unit of work."""
    names: dict[str, str] = {}
    with desk.storage.unit_of_work() as uow:
        if timers is None:
            timers = uow.sla.list_for_tickets([t.id for t in tickets])
        for t in tickets:
            if t.customer_id not in names:
                try:
                    names[t.customer_id] = uow.customers.get(t.customer_id).name
                except NotFound:
                    names[t.customer_id] = ""
    rows = []
    for t in tickets:
        timer = _urgent(timers.get(t.id, ()))
        due = None if timer is None else timer.due_at
        rows.append(
            InboxRow(
                ticket=t,
                customer_name=names.get(t.customer_id, ""),
                timer=timer,
                overdue=due is not None and due <= now,
                at_risk=due is not None and due <= now + horizon,
            )
        )
    return rows


def _offset_cursor(after: str | None) -> int:
    if after is None:
        return 0
    try:
        value = int(base64.urlsafe_b64decode(after.encode()).decode().removeprefix("o:"))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput(f"not an inbox cursor: {after!r}") from None
    if value < 0:
        raise InvalidInput(f"not an inbox cursor: {after!r}")
    return value


def _encode_offset(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


def at_risk_timers(
    desk: Helpdesk,
    *,
    now: datetime | None = None,
    horizon: timedelta = DEFAULT_HORIZON,
    limit: int = 1000,
) -> list[SlaTimer]:
    """Running SLA timers due before ``now + horizon``, earliest first, one per ticket (its
    most urgent), at most ``limit`` of them."""
    when = desk.now() if now is None else now
    with desk.storage.unit_of_work() as uow:
        # a ticket has at most one timer per metric: this many timers hold ``limit`` tickets
        found = uow.sla.upcoming(when + horizon, limit=limit * len(METRICS))
    seen: set[str] = set()
    out = []
    for timer in found:
        if timer.ticket_id not in seen:
            seen.add(timer.ticket_id)
            out.append(timer)
    return out[:limit]


def inbox_page(
    desk: Helpdesk,
    view: str,
    *,
    agent: Agent | None,
    group_id: str | None = None,
    after: str | None = None,
    limit: int = 25,
    horizon: timedelta = DEFAULT_HORIZON,
) -> InboxPage:
    """One page of an inbox view for ``agent`` (``group_id`` picks one of its groups).

    ``mine`` and ``group`` need an agent; ``group`` defaults to the agent's first group
    (by name). Open tickets only, oldest first: the one waiting longest is on top.
    """
    _check_limit(limit)
    if view not in VIEWS:
        raise InvalidInput(f"unknown inbox view {view!r} (known: {', '.join(VIEWS)})")
    now = desk.now()
    if view == "at_risk":
        return _at_risk_page(desk, after=after, limit=limit, now=now, horizon=horizon)
    statuses = active_statuses(desk)
    if view == "mine":
        if agent is None:
            raise InvalidInput("the 'mine' view needs an agent")
        flt = TicketFilter(status=statuses, assignee_id=agent.id)
    elif view == "group":
        group_id = pick_group(desk, agent, group_id)
        if group_id is None:
            return InboxPage(view, [], None, None)
        flt = TicketFilter(status=statuses, group_id=group_id)
    else:
        flt = TicketFilter(status=statuses, assignee_id="")
    page = desk.list_tickets(flt, limit=limit, after=after)
    return InboxPage(view, _rows(desk, page.items, now, horizon), page.next_cursor, group_id)


def pick_group(desk: Helpdesk, agent: Agent | None, group_id: str | None) -> str | None:
    """The group a ``group`` view shows: ``group_id``, else the agent's first by name."""
    groups = {g.id: g for g in desk.groups()}
    mine = sorted(
        (groups[g] for g in (agent.groups if agent else ()) if g in groups),
        key=lambda g: g.name,
    )
    if group_id is None:
        return mine[0].id if mine else None
    if group_id not in groups:
        raise NotFound("group", group_id)
    return group_id


def _at_risk_page(
    desk: Helpdesk, *, after: str | None, limit: int, now: datetime, horizon: timedelta
) -> InboxPage:
    offset = _offset_cursor(after)
    timers = at_risk_timers(desk, now=now, horizon=horizon, limit=offset + limit + 1)
    chosen = timers[offset : offset + limit]
    open_ = set(active_statuses(desk))
    tickets: list[Ticket] = []
    with desk.storage.unit_of_work() as uow:
        for timer in chosen:
            try:
                t = uow.tickets.get(timer.ticket_id)
            except NotFound:
                continue
            if t.status in open_ and t.merged_into is None:
                tickets.append(t)
        all_timers = uow.sla.list_for_tickets([t.id for t in tickets])
    rows = _rows(desk, tickets, now, horizon, all_timers)
    more = offset + limit < len(timers)
    return InboxPage("at_risk", rows, _encode_offset(offset + limit) if more else None)


def count_view(
    desk: Helpdesk,
    view: str,
    *,
    agent: Agent | None,
    group_id: str | None = None,
    horizon: timedelta = DEFAULT_HORIZON,
) -> int:
    """How many open tickets one view holds (``at_risk`` stops at :data:`AT_RISK_COUNT_CAP`).

    ``group`` counts ``group_id`` (default: the agent's first group); ``mine`` and ``group``
    are 0 without an agent or a group.
    """
    statuses = active_statuses(desk)
    if view == "mine":
        if agent is None:
            return 0
        return desk.count_tickets(TicketFilter(status=statuses, assignee_id=agent.id))
    if view == "group":
        gid = pick_group(desk, agent, group_id)
        if gid is None:
            return 0
        return desk.count_tickets(TicketFilter(status=statuses, group_id=gid))
    if view == "unassigned":
        return desk.count_tickets(TicketFilter(status=statuses, assignee_id=""))
    if view == "at_risk":
        return len(at_risk_timers(desk, horizon=horizon, limit=AT_RISK_COUNT_CAP))
    raise InvalidInput(f"unknown inbox view {view!r} (known: {', '.join(VIEWS)})")


def view_counts(
    desk: Helpdesk,
    *,
    agent: Agent | None,
    group_id: str | None = None,
    horizon: timedelta = DEFAULT_HORIZON,
) -> dict[str, int]:
    """How many open tickets each view holds (the numbers beside the view names);
    ``at_risk`` stops counting at :data:`AT_RISK_COUNT_CAP`."""
    return {
        view: count_view(desk, view, agent=agent, group_id=group_id, horizon=horizon)
        for view in VIEWS
    }
