"""Routing on the desk: strategies per group, availability, group queues, the sweeper.

How the state stays right:

* ``_auto_route`` (every new ticket, every bot hand-off) picks an agent at once when one
  is available with free capacity; the group's strategy (``Group.routing``) or the
  ``route_ticket`` hook chooses.
* The ``"routing"`` reactor reconciles every ticket a command touched, in the same
  transaction: an open unassigned ticket (not held by the bot) waits in exactly one queue
  (its group's), an open assigned ticket holds one unit of its agent's capacity, anything
  else neither. When capacity frees (a ticket solved, closed, reassigned) the group's
  waiting tickets are routed in that same transaction, and so is a ticket moved to another
  group or reopened without an agent; a ticket taken off its agent waits for the next
  trigger.
* An agent coming online (or getting more capacity, or another group) routes waiting
  tickets at once; shift starts are picked up by :meth:`Helpdesk.sweep` (the ``"routing"``
  sweeper), which costs one index query when nothing waits.

Concurrency: a router claims the head of a queue with ``FOR UPDATE SKIP LOCKED``, locks the
free ticket rows among them (skipping busy ones), then locks the candidate agents in id
order before it counts their load. Two routers never hand out the same ticket and never
both see the same free slot; SQLite serializes writers anyway.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import attrs

from helpdesk_kit.clock import ensure_aware, to_utc
from helpdesk_kit.desk.retry import retry_on_conflict
from helpdesk_kit.desk.work import Work
from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.plugins import collect_named
from helpdesk_kit.routing.availability import ShiftCalendar, is_available, next_change
from helpdesk_kit.routing.queue import NORMAL_RANK, VIP_RANK
from helpdesk_kit.routing.strategies import (
    BUILTIN_STRATEGIES,
    Candidate,
    RoutingContext,
    Strategy,
    VipRule,
)
from helpdesk_kit.storage.routing import QueueEntry
from helpdesk_kit.tickets import events as ev
from helpdesk_kit.tickets.model import (
    Actor,
    Agent,
    Group,
    StateCategory,
    Ticket,
    TicketEvent,
)

if TYPE_CHECKING:
    from helpdesk_kit.desk.service import Helpdesk

__all__ = [
    "RouteResult",
    "RoutingCommands",
    "RoutingConfig",
    "RoutingSweepResult",
    "load_shifts",
]

log = logging.getLogger("helpdesk_kit.routing")

_DONE = (StateCategory.SOLVED, StateCategory.CLOSED)
#: Event kinds after which a ticket's queue place or capacity hold may have changed.
_RECONCILE = frozenset(
    {
        ev.TICKET_CREATED,
        ev.ASSIGNED,
        ev.TRANSITIONED,
        ev.REOPENED,
        ev.MERGED_INTO,
        ev.HANDOFF,
        ev.BOT_STARTED,
        ev.BOT_ENDED,
        ev.BOT_CANCELLED,
        ev.PRIORITY_CHANGED,
    }
)
#: Strategies whose facts routing looks up only when they are used.
_NEEDS_POINTER = frozenset({"round_robin"})
_NEEDS_LAST = frozenset({"sticky"})
#: Built-in strategies that pick someone whenever there is a candidate.
_ALWAYS_PICKS = frozenset({"least_loaded", "round_robin", "sticky", "vip_first"})


@attrs.frozen
class RoutingConfig:
    """A desk's routing settings.

    ``vip``: the VIP rule (tiers → priority and a dedicated group), or None.
    ``batch_size``: queue entries one routing transaction claims.
    ``scan_in_commands``: at most this many waiting tickets a command looks at when it
    frees capacity (the sweep and :meth:`RoutingCommands.route_waiting` look at all).
    """

    vip: VipRule | None = None
    batch_size: int = 100
    scan_in_commands: int = 200


@attrs.frozen
class RouteResult:
    """What :meth:`RoutingCommands.route_waiting` did: tickets assigned, per group name."""

    assigned: int = 0
    groups: Mapping[str, int] = attrs.field(factory=dict)
    waiting: int = 0


def _desk(commands: RoutingCommands) -> Helpdesk:
    """The mixin is only ever part of a Helpdesk."""
    return cast("Helpdesk", commands)


class RoutingCommands:
    """The routing part of :class:`~helpdesk_kit.desk.Helpdesk` (a mixin)."""

    _routing: RoutingConfig
    _shifts: dict[str, ShiftCalendar]
    _strategies: dict[str, Strategy]

    # ---------------------------------------------------------------- set-up

    def _setup_routing(self) -> None:
        desk = _desk(self)
        self._routing = RoutingConfig()
        self._shifts = {}
        strategies: dict[str, Strategy] = dict(BUILTIN_STRATEGIES)
        strategies.update(
            collect_named(desk.hook.register_routing_strategies, "routing strategy", replace=True)
        )
        self._strategies = strategies
        desk.add_reactor("routing", _react)

    def _install_routing_sweeper(self) -> None:
        desk = _desk(self)
        if "routing" not in desk._sweepers:
            desk.add_sweeper("routing", _sweep)

    def configure_routing(
        self,
        *,
        vip: VipRule | Mapping[str, Any] | None = None,
        batch_size: int = 100,
        scan_in_commands: int = 200,
    ) -> RoutingConfig:
        """Set the VIP rule and the routing batch sizes (see :class:`RoutingConfig`).

        Also installs the ``"routing"`` sweeper, so :meth:`Helpdesk.sweep` (and
        ``helpdesk-kit sweep``) routes waiting tickets; :meth:`add_shift` installs it too.

        ``vip`` is a :class:`VipRule` or its plain form
        ``{"tiers": ["vip"], "priority": "high", "group": "VIP"}``.
        """
        problems: list[str] = []
        rule: VipRule | None
        if vip is None or isinstance(vip, VipRule):
            rule = vip
        else:
            try:
                rule = VipRule(**dict(vip))
            except (TypeError, ValueError) as exc:
                raise InvalidInput(f"VIP rule: {exc}") from None
        for label, value in (("batch_size", batch_size), ("scan_in_commands", scan_in_commands)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                problems.append(f"{label} must be a positive integer, got {value!r}")
        if problems:
            raise InvalidInput("; ".join(problems))
        self._routing = RoutingConfig(rule, batch_size, scan_in_commands)
        self._install_routing_sweeper()
        return self._routing

    @property
    def routing_config(self) -> RoutingConfig:
        """The desk's routing settings."""
        return self._routing

    def add_shift(self, name: str, calendar: ShiftCalendar) -> None:
        """Register a shift calendar (a ``BusinessCalendar``) that agents name in ``shift``."""
        if not isinstance(name, str) or not name.strip():
            raise InvalidInput(f"a shift needs a non-empty name, got {name!r}")
        if not (hasattr(calendar, "is_open") and hasattr(calendar, "next_open")):
            raise InvalidInput(
                f"shift {name!r}: a calendar needs is_open() and next_open() "
                "(use helpdesk_kit.sla.calendar.BusinessCalendar)"
            )
        self._shifts[name] = calendar
        self._install_routing_sweeper()  # shift starts are picked up by sweeps

    @property
    def shifts(self) -> dict[str, ShiftCalendar]:
        """The shift calendars by name."""
        return dict(self._shifts)

    @property
    def routing_strategies(self) -> list[str]:
        """Names of the strategies a group may use (built-ins and plugins')."""
        return sorted(self._strategies)

    # ---------------------------------------------------------------- queries

    def is_available(self, agent: Agent | str, at: datetime | None = None) -> bool:
        """True when the agent is online and on shift at ``at`` (default now)."""
        desk = _desk(self)
        found = agent if isinstance(agent, Agent) else desk.get_agent(agent)
        when = desk.now() if at is None else to_utc(ensure_aware(at, "at"))
        return is_available(found, when, self._shifts)

    def queue(self, group: Group | str | None = None, *, limit: int | None = None) -> list[Ticket]:
        """The tickets waiting in a group's queue, in the order they will be served.

        ``group`` is a Group, a name or an id; None is the queue of tickets without a group.
        """
        desk = _desk(self)
        with desk.storage.unit_of_work() as uow:
            work = Work(uow, desk.now())
            grp = desk._group(work, group)
            gid = None if grp is None else grp.id
            out: list[Ticket] = []
            after: QueueEntry | None = None
            while limit is None or len(out) < limit:
                page = uow.routing.queue(gid, limit=500, after=after)
                out += [uow.tickets.get(e.ticket_id) for e in page]
                if len(page) < 500:
                    break
                after = page[-1]
            return out if limit is None else out[:limit]

    def queue_length(self, group: Group | str | None = None) -> int:
        """How many tickets wait in a group's queue."""
        desk = _desk(self)
        with desk.storage.unit_of_work() as uow:
            grp = desk._group(Work(uow, desk.now()), group)
            return uow.routing.count(None if grp is None else grp.id)

    def agent_load(self, agent: Agent | str) -> int:
        """How many open tickets count against the agent's capacity."""
        desk = _desk(self)
        aid = desk._agent_id(agent)
        with desk.storage.unit_of_work() as uow:
            return uow.routing.loads([aid])[aid]

    def eligible_agents(self, work: Work, ticket: Ticket) -> list[Agent]:
        """Available agents of the ticket's group (every agent when it has none) with free
        capacity; they stay locked until ``work`` ends."""
        return [c.agent for c in _candidates(_desk(self), work, ticket.group_id)]

    # ---------------------------------------------------------------- commands

    def route_waiting(
        self, now: datetime | None = None, *, group: Group | str | None = None
    ) -> RouteResult:
        """Assign waiting tickets to available agents, queue by queue, in queue order.

        ``group`` limits it to one group's queue. Safe to run in several processes at once.
        """
        desk = _desk(self)
        at = desk.now() if now is None else to_utc(ensure_aware(now, "now"))
        with desk.storage.unit_of_work() as uow:
            if group is not None:
                grp = desk._group(Work(uow, at), group)
                keys: list[str | None] = [None if grp is None else grp.id]
            else:
                keys = list(uow.routing.waiting_counts())
        return _route_all(desk, keys, at)

    def routing_rebuild(self) -> int:
        """Re-derive every open ticket's queue place and capacity hold (after an upgrade).

        Returns how many tickets were looked at.
        """
        desk = _desk(self)
        seen = 0
        statuses = sorted(
            {
                s.name
                for lc in desk.lifecycles.values()
                for s in lc.states.values()
                if s.category not in _DONE
            }
        )
        from helpdesk_kit.storage.base import TicketFilter

        batch: list[str] = []
        for ticket in desk._iter_tickets(TicketFilter(status=statuses)):
            batch.append(ticket.id)
            if len(batch) >= 200:
                seen += _rebuild(desk, batch)
                batch = []
        if batch:
            seen += _rebuild(desk, batch)
        return seen

    # ---------------------------------------------------------------- internals

    def _auto_route(self, work: Work, ticket: Ticket) -> Ticket:
        """Route a new (or handed-off) ticket at once; when nobody can take it, it waits."""
        desk = _desk(self)
        if not desk.settings.auto_assign or ticket.assignee_id is not None:
            return ticket
        if desk._bot_holds(work, ticket):
            return ticket  # the bot answers first; its hand-off routes the ticket
        return self._route_now(work, ticket)

    def _route_now(self, work: Work, ticket: Ticket) -> Ticket:
        """Route ``ticket`` by its group's strategy now (an automation rule's ``route``)."""
        desk = _desk(self)
        ticket = _apply_vip(desk, work, ticket)
        group = None if ticket.group_id is None else work.uow.groups.get(ticket.group_id)
        router = _Router(desk, work, group)
        if not router.candidates:
            return ticket
        chosen = router.choose(ticket)
        if chosen is None:
            return ticket
        assigned = router.assign(ticket, chosen)
        router.finish()
        return assigned

    def _agent_updated(self, old: Agent, new: Agent) -> None:
        """An agent changed (committed): when they may take (more) tickets, route waiting ones.

        Runs in a transaction of its own after the change, so it locks queue rows before
        agent rows like every other router.
        """
        desk = _desk(self)
        now = desk.now()
        if not is_available(new, now, self._shifts):
            return
        more = (
            not is_available(old, now, self._shifts)
            or new.max_concurrent > old.max_concurrent
            or not new.groups <= old.groups
        )
        if not more:
            return
        keys = [*sorted(new.groups), None]

        def once() -> int:
            with desk._work(now) as work:
                return _route_in(desk, work, keys, self._routing.scan_in_commands)

        retry_on_conflict(once)


# -------------------------------------------------------------------- helpers


def _is_open(desk: Helpdesk, ticket: Ticket) -> bool:
    if ticket.merged_into is not None:
        return False
    lc = desk.lifecycles.get(ticket.lifecycle)
    if lc is None or ticket.status not in lc.states:
        return True
    return lc.category(ticket.status) not in _DONE


def _group_agents(desk: Helpdesk, work: Work, group_id: str | None) -> list[Agent]:
    return [
        a
        for a in work.uow.agents.list(group_id=group_id)
        if is_available(a, work.now, desk._shifts)
    ]


def _candidates(
    desk: Helpdesk, work: Work, group_id: str | None, available: list[Agent] | None = None
) -> list[Candidate]:
    if available is None:
        available = _group_agents(desk, work, group_id)
    if not available:
        return []
    ids = [a.id for a in available]
    # Hold the candidates until this unit of work ends: a concurrent router waits here and
    # then counts this one's assignments, so nobody goes above max_concurrent.
    work.uow.agents.lock(ids)
    loads = work.uow.routing.loads(ids)
    return [Candidate(a, loads[a.id]) for a in available if loads[a.id] < a.max_concurrent]


def _apply_vip(desk: Helpdesk, work: Work, ticket: Ticket) -> Ticket:
    rule = desk._routing.vip
    if rule is None:
        return ticket
    tier = work.uow.customers.get(ticket.customer_id).tier
    if not rule.applies(tier):
        return ticket
    if rule.priority is not None and ticket.priority.rank < rule.priority.rank:
        event = desk._event(
            work,
            ticket,
            ev.PRIORITY_CHANGED,
            Actor.system(),
            **{"from": ticket.priority.value, "to": rule.priority.value, "reason": "vip"},
        )
        ticket = work.save(ticket, attrs.evolve(ticket, priority=rule.priority), [event])
    if rule.group is not None:
        group = work.uow.groups.get_by_name(rule.group)
        if group is None:
            log.warning("VIP group %r does not exist; the ticket keeps its group", rule.group)
        elif group.id != ticket.group_id:
            ticket = desk._assign(work, ticket, None, group, Actor.system(), reason="vip")
    return ticket


class _Router:
    """Routing decisions for one group inside one unit of work (candidates locked once)."""

    def __init__(
        self,
        desk: Helpdesk,
        work: Work,
        group: Group | None,
        available: list[Agent] | None = None,
    ) -> None:
        self.desk = desk
        self.work = work
        self.group = group
        self.group_id = None if group is None else group.id
        name = "least_loaded" if group is None else group.routing
        strategy = desk._strategies.get(name)
        if strategy is None:
            log.warning(
                "group %r uses the unknown routing strategy %r; routing least loaded",
                None if group is None else group.name,
                name,
            )
            name, strategy = "least_loaded", desk._strategies["least_loaded"]
        self.name = name
        self.strategy = strategy
        self.builtin = strategy is BUILTIN_STRATEGIES.get(name)
        self.candidates: dict[str, Candidate] = {
            c.agent.id: c for c in _candidates(desk, work, self.group_id, available)
        }
        self._pointer_read = False
        self.pointer: str | None = None
        self.pointer_moved = False
        # written once per batch by finish(): holds, queue removals, customers' last agents
        self._asks_hook = bool(desk.hook.route_ticket.get_hookimpls())
        # least loaded, the default, keeps a heap instead of scanning every candidate
        self._fast = self.builtin and name == "least_loaded"
        self._heap: list[tuple[float, int, str, str]] | None = None
        self._holds: dict[str, str | None] = {}
        self._events: list[TicketEvent] = []
        self._dequeued: list[str] = []
        self._last: dict[str, str] = {}

    def _needs(self, names: frozenset[str]) -> bool:
        return not self.builtin or self.name in names

    def choose(self, ticket: Ticket) -> str | None:
        """The agent for ``ticket`` among the candidates, or None."""
        if not self.candidates:
            return None
        desk, work = self.desk, self.work
        if self._asks_hook:
            chosen = desk.hook.route_ticket(
                desk=desk, ticket=ticket, candidates=[c.agent for c in self.candidates.values()]
            )
            if chosen is not None:
                if chosen not in self.candidates:
                    raise InvalidInput(
                        f"route_ticket hook chose {chosen!r}, which is not a candidate"
                    )
                return str(chosen)
        if self._fast:
            return self._least()
        pool = list(self.candidates.values())
        rule = desk._routing.vip
        tier: str | None = None
        if rule is not None or self._needs(frozenset({"vip_first"})):
            tier = work.uow.customers.get(ticket.customer_id).tier
        if self._needs(_NEEDS_POINTER) and not self._pointer_read:
            self.pointer = work.uow.routing.pointer(self.group_id)
            self._pointer_read = True
        last = work.uow.routing.last_agent(ticket.customer_id) if self._needs(_NEEDS_LAST) else None
        ctx = RoutingContext(
            ticket,
            pool,
            tier=tier,
            vip=rule is not None and rule.applies(tier),
            last_agent_id=last,
            pointer=self.pointer,
        )
        picked = self.strategy(ctx)
        if picked is None:
            return None
        if picked not in self.candidates:
            raise InvalidInput(
                f"routing strategy {self.name!r} chose {picked!r}, which is not a candidate"
            )
        return str(picked)

    def _least(self) -> str | None:
        """What :func:`least_loaded` returns, from a heap of (ratio, load, name, id)."""
        heap = self._heap
        if heap is None:
            heap = self._heap = [_heap_key(c) for c in self.candidates.values()]
            heapq.heapify(heap)
        while heap:
            top = heap[0]
            current = self.candidates.get(top[3])
            if current is None or current.load != top[1]:
                heapq.heappop(heap)  # stale: the agent is full or took a ticket since
                continue
            return top[3]
        return None

    def assign(self, ticket: Ticket, agent_id: str) -> Ticket:
        """Assign and count it at once (holds, queue, sticky, round robin)."""
        desk, work = self.desk, self.work
        cand = self.candidates[agent_id]
        # what Helpdesk._assign records, with the events of the whole batch stored at once
        event = desk._event(
            work,
            ticket,
            ev.ASSIGNED,
            Actor.system(),
            assignee_id=agent_id,
            group_id=ticket.group_id,
            previous_assignee_id=ticket.assignee_id,
            previous_group_id=ticket.group_id,
            reason="routing",
        )
        saved = work.save(ticket, attrs.evolve(ticket, assignee_id=agent_id))
        self._events.append(event)
        self._holds[ticket.id] = agent_id
        self._dequeued.append(ticket.id)
        self._last[ticket.customer_id] = agent_id
        if cand.load + 1 >= cand.agent.max_concurrent:
            del self.candidates[agent_id]
        else:
            more = Candidate(cand.agent, cand.load + 1)
            self.candidates[agent_id] = more
            if self._heap is not None:
                heapq.heappush(self._heap, _heap_key(more))
        if self.name in _NEEDS_POINTER:
            self.pointer = agent_id
            self.pointer_moved = True
        return saved

    def finish(self) -> None:
        """Store what the assignments changed (before the reactors run)."""
        if self._events:
            self.work.record(self._events)
            self._events = []
        routing = self.work.uow.routing
        if self._holds:
            routing.set_holds(self._holds)
            self._holds = {}
        if self._dequeued:
            routing.dequeue(self._dequeued)
            self._dequeued = []
        for customer_id, agent_id in self._last.items():
            routing.set_last_agent(customer_id, agent_id, self.work.now)
        self._last = {}
        if self.pointer_moved and self.pointer is not None:
            routing.set_pointer(self.group_id, self.pointer)
            self.pointer_moved = False


def _heap_key(c: Candidate) -> tuple[float, int, str, str]:
    return (c.ratio, c.load, c.agent.name, c.agent.id)


def _still_waiting(desk: Helpdesk, ticket: Ticket) -> bool:
    return ticket.assignee_id is None and _is_open(desk, ticket)


def _route_group_batch(
    desk: Helpdesk,
    work: Work,
    group_id: str | None,
    limit: int,
    after: QueueEntry | None,
    *,
    skip_locked: bool = True,
    exclude: frozenset[str] = frozenset(),
) -> tuple[int, list[QueueEntry], bool]:
    """Route one claimed batch of a queue: (assigned, claimed entries, capacity left)."""
    uow = work.uow
    group = None if group_id is None else _get_group(work, group_id)
    if group_id is not None and group is None:
        return 0, [], False
    # A first look without locks: a group whose agents are all away or full costs two
    # queries and claims nothing.
    available = _group_agents(desk, work, group_id)
    if not available:
        return 0, [], False
    loads = uow.routing.loads([a.id for a in available])
    free = sum(max(0, a.max_concurrent - loads[a.id]) for a in available)
    if free == 0:
        return 0, [], False
    strategy = "least_loaded" if group is None else group.routing
    always = strategy in _ALWAYS_PICKS and (
        desk._strategies.get(strategy) is BUILTIN_STRATEGIES[strategy]
    )
    take = min(limit, free) if always else limit
    entries = uow.routing.claim(group_id, take, after=after, skip_locked=skip_locked)
    if not entries:
        return 0, [], True
    router = _Router(desk, work, group, available)
    if not router.candidates:
        return 0, entries, False
    mine: set[str] = set()
    for t in uow.routing.lock_tickets([e.ticket_id for e in entries]):
        mine.add(t.id)
        work.tickets.setdefault(t.id, t)  # read fresh under the lock (or changed by us)
    assigned = 0
    stale: list[str] = []
    for entry in entries:
        if not router.candidates:
            break
        if entry.ticket_id not in mine or entry.ticket_id in exclude:
            continue  # a command is changing it right now; its reactor decides
        ticket = work.ticket(entry.ticket_id)
        if not _still_waiting(desk, ticket):
            stale.append(ticket.id)
            continue
        chosen = router.choose(ticket)
        if chosen is not None:
            router.assign(ticket, chosen)
            assigned += 1
    router.finish()
    if stale:
        uow.routing.dequeue(stale)
    return assigned, entries, bool(router.candidates)


def _get_group(work: Work, group_id: str) -> Group | None:
    from helpdesk_kit.errors import NotFound

    try:
        return work.uow.groups.get(group_id)
    except NotFound:
        return None


def _route_in(
    desk: Helpdesk,
    work: Work,
    keys: Iterable[str | None],
    scan: int,
    exclude: frozenset[str] = frozenset(),
) -> int:
    """Route waiting tickets of these queues inside ``work`` (a command's transaction).

    Capacity freed here must not be lost to a router busy with the same queue, so the
    head of the queue is waited for rather than skipped: queue rows are always locked
    before agent rows, by every router, so the waits cannot form a cycle.
    """
    assigned = 0
    batch = desk._routing.batch_size
    for key in dict.fromkeys(keys):
        after: QueueEntry | None = None
        looked = 0
        while looked < scan:
            n, entries, left = _route_group_batch(
                desk,
                work,
                key,
                min(batch, scan - looked),
                after,
                skip_locked=False,
                exclude=exclude,
            )
            assigned += n
            looked += len(entries)
            if not entries or not left:
                break
            after = entries[-1]
    return assigned


def _route_all(desk: Helpdesk, keys: Sequence[str | None], at: datetime) -> RouteResult:
    """Route every queue in ``keys``, retried on conflicts.

    One transaction claims up to ``batch_size`` waiting tickets, from as many queues as it
    takes: a sweep over many small queues commits a few times, not once per queue.
    """
    batch = desk._routing.batch_size
    todo: list[str | None] = list(dict.fromkeys(keys))
    cursor: dict[str | None, QueueEntry | None] = dict.fromkeys(todo)
    done: dict[str | None, int] = dict.fromkeys(todo, 0)

    def one() -> list[tuple[str | None, int, list[QueueEntry], bool]]:
        out = []
        with desk._work(at) as work:
            budget = batch
            for key in todo:
                n, entries, left = _route_group_batch(desk, work, key, budget, cursor[key])
                out.append((key, n, entries, left))
                budget -= max(len(entries), 1)
                if budget <= 0:
                    break
        return out

    while todo:
        for key, n, entries, left in retry_on_conflict(one):
            done[key] += n
            if not entries or not left:
                todo.remove(key)
            else:
                cursor[key] = entries[-1]
    names: dict[str | None, str] = {None: ""}
    for g in desk.groups():
        names[g.id] = g.name
    per_group = {names.get(k, k or ""): n for k, n in done.items() if n}
    with desk.storage.unit_of_work() as uow:
        counts = uow.routing.waiting_counts()
    return RouteResult(sum(done.values()), per_group, sum(counts.get(k, 0) for k in keys))


def _due_times(desk: Helpdesk, work: Work, ticket_ids: Sequence[str]) -> dict[str, datetime]:
    """The earliest running SLA due time of each ticket (tickets without one left out).

    A ticket created in this unit of work has no stored timers yet (the SLA reactor may run
    after this one): its timers are replayed from its trail, which changes nothing.
    """
    from helpdesk_kit.desk.sla import _context
    from helpdesk_kit.sla.timers import replay

    out: dict[str, datetime] = {}
    if not ticket_ids:
        return out
    stored = work.uow.sla.list_for_tickets(ticket_ids)
    config = desk._sla
    for tid in ticket_ids:
        timers = stored.get(tid)
        if timers is None:
            if config is None:
                continue
            trail = work.uow.events.list_for_ticket(tid)
            ctx = _context(desk, work, work.ticket(tid), config, {})
            timers = list(replay(trail, ctx=ctx).timers.values())
        dues = [t.due_at for t in timers if not t.finished and t.due_at is not None]
        if dues:
            out[tid] = min(dues)
    return out


def _reconcile(
    desk: Helpdesk, work: Work, ticket_ids: Sequence[str], tried: set[str]
) -> tuple[set[str], set[str | None], set[str]]:
    """Put each ticket in its right queue/hold state.

    Returns the agents whose capacity freed, the groups whose queues got tickets that
    routing has not tried yet (moved there, reopened), and the tickets just taken off an
    agent: those wait for the next trigger rather than going straight back to whoever is
    free in the same command. ``tried``: tickets routing just tried (new or handed off).
    """
    uow = work.uow
    routing = uow.routing
    tickets = {tid: work.ticket(tid) for tid in ticket_ids}
    entries = routing.entries(ticket_ids)
    holds = routing.holds(ticket_ids)
    new_holds: dict[str, str | None] = {}
    freed: set[str] = set()
    requeued: set[str | None] = set()
    released: set[str] = set()
    waiting: list[Ticket] = []
    leaving: list[str] = []
    for tid, t in tickets.items():
        open_ = _is_open(desk, t)
        hold = t.assignee_id if open_ and t.assignee_id else None
        old = holds.get(tid)
        if old != hold:
            new_holds[tid] = hold
            if old is not None:
                freed.add(old)
                if open_ and t.assignee_id is None:
                    released.add(tid)
        wants = (
            open_
            and t.assignee_id is None
            and desk.settings.auto_assign
            and not desk._bot_holds(work, t)
        )
        if wants:
            waiting.append(t)
        elif tid in entries:
            leaving.append(tid)
    if new_holds:
        routing.set_holds(new_holds)
    if leaving:
        routing.dequeue(leaving)
    if waiting:
        dues = _due_times(desk, work, [t.id for t in waiting])
        vip = desk._routing.vip
        groups: dict[str, Group | None] = {}
        fresh: list[QueueEntry] = []
        for t in waiting:
            rank = NORMAL_RANK
            if t.group_id is not None and vip is not None:
                if t.group_id not in groups:
                    groups[t.group_id] = _get_group(work, t.group_id)
                grp = groups[t.group_id]
                if grp is not None and grp.routing == "vip_first":
                    tier = uow.customers.get(t.customer_id).tier
                    rank = VIP_RANK if vip.applies(tier) else NORMAL_RANK
            old_entry = entries.get(t.id)
            entry = QueueEntry(
                ticket_id=t.id,
                group_id=t.group_id,
                created_at=t.created_at,
                queued_at=work.now if old_entry is None else old_entry.queued_at,
                due_at=dues.get(t.id),
                rank=rank,
            )
            if old_entry == entry:
                continue
            fresh.append(entry)
            moved = old_entry is None or old_entry.group_id != t.group_id
            if moved and t.id not in tried and t.id not in released:
                requeued.add(t.group_id)
        routing.enqueue(fresh)
    return freed, requeued, released


def _react(desk: Helpdesk, work: Work, events: list[TicketEvent]) -> None:
    """Keep queues and capacity holds in step with what a command did (same transaction)."""
    touched: dict[str, None] = {}
    tried: set[str] = set()
    for event in events:
        if event.kind in _RECONCILE:
            touched[event.ticket_id] = None
            if event.kind in (ev.TICKET_CREATED, ev.HANDOFF):
                tried.add(event.ticket_id)
        if (
            event.kind == ev.ASSIGNED
            and event.data.get("assignee_id")
            and event.data.get("reason") != "routing"  # the router remembered it already
        ):
            ticket = work.ticket(event.ticket_id)
            work.uow.routing.set_last_agent(
                ticket.customer_id, str(event.data["assignee_id"]), event.at
            )
    if not touched:
        return
    freed, requeued, released = _reconcile(desk, work, list(touched), tried)
    keys: list[str | None] = list(requeued)
    if freed:
        for aid in sorted(freed):
            try:
                agent = work.uow.agents.get(aid)
            except Exception:  # an agent id from a plugin or a deleted agent
                continue
            if is_available(agent, work.now, desk._shifts):
                keys += [*sorted(agent.groups), None]
    if keys:
        _route_in(desk, work, keys, desk._routing.scan_in_commands, frozenset(released))


def _rebuild(desk: Helpdesk, ticket_ids: Sequence[str]) -> int:
    def once() -> int:
        with desk._work() as work:
            _reconcile(desk, work, ticket_ids, set(ticket_ids))
        return len(ticket_ids)

    return retry_on_conflict(once)


@attrs.frozen
class RoutingSweepResult:
    """What one routing sweep did."""

    assigned: int = 0
    waiting: int = 0
    next_shift_start: datetime | None = None


def _sweep(desk: Helpdesk, now: datetime) -> RoutingSweepResult:
    """Route waiting tickets (shift starts, missed triggers); one index query when none wait."""
    with desk.storage.unit_of_work() as uow:
        keys = list(uow.routing.waiting_counts())
        if not keys:
            return RoutingSweepResult()
        agents = uow.agents.list() if desk._shifts else []
    result = _route_all(desk, keys, now)
    return RoutingSweepResult(
        result.assigned, result.waiting, next_change(agents, now, desk._shifts)
    )


def load_shifts(path: str | Path, *, providers: Any = None) -> dict[str, Any]:
    """Shift calendars from a TOML or JSON file: ``{name: calendar table}``.

    Each table has the shape of an SLA calendar (``timezone``, ``hours``, ``holidays``...,
    see ``docs/calendars.md``); every problem of every calendar is listed at once.
    """
    import json
    import tomllib

    from helpdesk_kit.errors import InvalidDefinition
    from helpdesk_kit.sla.config import calendar_from_dict

    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read the shifts file {str(file)!r}: {exc}") from None
    try:
        data = json.loads(text) if file.suffix == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput(f"the shifts file {str(file)!r} is not valid: {exc}") from None
    problems: list[str] = []
    found: dict[str, Any] = {}
    for name, spec in data.items():
        if not isinstance(spec, Mapping):
            problems.append(f"shift {name!r}: expected a calendar table")
            continue
        try:
            found[str(name)] = calendar_from_dict(spec, providers=providers, name=str(name))
        except InvalidDefinition as exc:
            problems += [f"shift {name!r}: {p}" for p in exc.problems]
    if problems:
        raise InvalidDefinition("shifts", problems)
    return found
