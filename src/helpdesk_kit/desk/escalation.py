"""Escalation on the desk: policies checked with every command and by sweeps, levels fired once.

:meth:`EscalationCommands.configure_escalation` installs a reactor (``"escalation"``) and a
sweeper (``"escalation"``):

* the reactor runs in the unit of work of every command. For each ticket the command's
  events touched it checks the event conditions (keywords in a customer's message, a bad
  rating, a complaint ticket) and the time conditions that already hold, fires what is due,
  and schedules the ticket's ``due`` item at the next instant a time condition could hold;
* the sweeper claims the due items (one per ticket, ``FOR UPDATE SKIP LOCKED`` on
  PostgreSQL), locks their tickets, and fires the time levels that hold at ``now``.

Exactly once: a level's ``(ticket, policy, level)`` row is inserted before its actions run
and in the same transaction as its ``escalation.fired`` event; an insert that finds the key
taken stores nothing and the level is skipped. A sweeper locks the ticket before it reads
which levels fired, the row every command on the ticket locks, so two sweepers, or a sweeper
and a command, take turns and the second sees the first's row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import attrs

from helpdesk_kit.desk.due import sweep_due
from helpdesk_kit.desk.work import Work
from helpdesk_kit.errors import (
    GuardFailed,
    HelpdeskError,
    InvalidDefinition,
    InvalidInput,
    NotFound,
    PermissionDenied,
    TransitionNotAllowed,
)
from helpdesk_kit.escalation.config import check_policies, load_policies, policies_from_data
from helpdesk_kit.escalation.policy import (
    BUILTIN_ACTIONS,
    Action,
    Due,
    EscalationPolicy,
    Facts,
    Level,
    SlaBreached,
    SlaUsed,
    Waiting,
    evaluate,
)
from helpdesk_kit.escalation.switch import map_status
from helpdesk_kit.ids import new_id
from helpdesk_kit.plugins import collect_named, hookimpl
from helpdesk_kit.sla.policy import METRICS
from helpdesk_kit.sla.timers import SlaTimer
from helpdesk_kit.storage.base import DEFAULT_LEASE, DueItem
from helpdesk_kit.storage.escalation import FiredLevel
from helpdesk_kit.tickets import events as ev
from helpdesk_kit.tickets.model import Actor, Priority, StateCategory, Ticket, TicketEvent

if TYPE_CHECKING:
    from helpdesk_kit.desk.service import ActorLike, Helpdesk, TicketRef

__all__ = [
    "DUE_KIND",
    "EscalationCommands",
    "EscalationConfig",
    "EscalationSweepResult",
]

#: The ``due`` queue kind of escalation sweeps: one item per ticket (key = ticket id).
DUE_KIND = "escalation"
_PLUGIN_NAME = "helpdesk_kit.escalation.notifier"
#: Events that change nothing an escalation condition reads.
_IGNORED = frozenset(
    {ev.ESCALATION_FIRED, ev.DELIVERED, ev.DELIVERY_FAILED, ev.NOTE_ADDED, ev.SLA_WARNING}
)
_DONE = (StateCategory.SOLVED, StateCategory.CLOSED)
#: Errors of a built-in action that leave the transaction usable: recorded, not raised.
_ACTION_ERRORS = (InvalidInput, NotFound, PermissionDenied, TransitionNotAllowed, GuardFailed)

PoliciesLike = EscalationPolicy | Sequence[EscalationPolicy] | Mapping[str, Any] | str | Path
#: ``action(desk, ticket, level, params)`` as registered by plugins.
PluginAction = Callable[..., Mapping[str, Any] | None]


@attrs.frozen
class EscalationConfig:
    """A desk's escalation set-up: the policies, plugin actions and sweep settings.

    ``batch_size``: due items a sweeper claims at a time; ``lease``: how long a claimed
    item stays with a sweeper that stopped; ``tickets_per_transaction``: how many claimed
    tickets one sweep transaction locks and checks together.
    """

    policies: tuple[EscalationPolicy, ...]
    actions: Mapping[str, PluginAction] = attrs.field(factory=dict)
    batch_size: int = 500
    lease: timedelta = DEFAULT_LEASE
    tickets_per_transaction: int = 50

    @property
    def _conditions(self) -> list[Any]:
        return [lv.condition for p in self.policies for lv in p.levels]

    @property
    def needs_sla(self) -> bool:
        """Say whether a level reads SLA timers."""
        return any(isinstance(c, SlaUsed | SlaBreached) for c in self._conditions)

    @property
    def needs_waiting(self) -> bool:
        """Say whether a level waits on the customer's last unanswered message."""
        return any(isinstance(c, Waiting) and c.since != "created" for c in self._conditions)

    @property
    def needs_messages(self) -> bool:
        """Say whether a level reads the customer's messages."""
        return any(c.kind == "keywords" for c in self._conditions)

    @property
    def needs_tier(self) -> bool:
        """Say whether a policy is chosen by customer tier."""
        return any(p.applies_to.tiers for p in self.policies)

    @property
    def needs_group(self) -> bool:
        """Say whether a policy is chosen by group."""
        return any(p.applies_to.groups for p in self.policies)


@attrs.frozen
class EscalationSweepResult:
    """What one escalation sweep did: tickets looked at, levels fired."""

    tickets: int = 0
    fired: int = 0


def _desk(commands: EscalationCommands) -> Helpdesk:
    """The mixin is only ever part of a Helpdesk."""
    return cast("Helpdesk", commands)


class _Notifier:
    """Sends an escalation's notifications after its transaction committed (once)."""

    @hookimpl
    def on_ticket_event(self, desk: Helpdesk, event: TicketEvent, ticket: Ticket) -> None:
        """Deliver the notifications listed on an ``escalation.fired`` event."""
        if event.kind != ev.ESCALATION_FIRED:
            return
        for note in event.data.get("notifications", ()):
            desk.notify(
                str(note.get("kind", "escalation")),
                subject=str(note.get("subject", "")),
                text=str(note.get("text", "")),
                ticket=ticket,
                recipients=list(note.get("recipients", ())),
            )


class EscalationCommands:
    """The escalation part of :class:`~helpdesk_kit.desk.Helpdesk` (a mixin)."""

    _escalation: EscalationConfig | None = None

    # ---------------------------------------------------------------- set-up

    def configure_escalation(
        self,
        policies: PoliciesLike,
        *,
        batch_size: int = 500,
        lease: timedelta = DEFAULT_LEASE,
        tickets_per_transaction: int = 50,
    ) -> EscalationConfig:
        """Turn escalation on (or change its policies).

        ``policies``: :class:`EscalationPolicy` objects, their data form (a dict) or the path
        of a TOML/JSON file. Actions are the built-ins (``assign_group``,
        ``assign_supervisor``, ``raise_priority``, ``notify``, ``tag``, ``complaint``) and
        those plugins register through ``register_escalation_actions``. Levels with SLA
        conditions need :meth:`configure_sla` first. ``InvalidDefinition`` lists every
        problem.
        """
        desk = _desk(self)
        plugin_actions: dict[str, PluginAction] = collect_named(
            desk.hook.register_escalation_actions, "escalation action"
        )
        problems = [
            f"plugin action {name!r} has the name of a built-in action"
            for name in plugin_actions
            if name in BUILTIN_ACTIONS
        ]
        names = list(plugin_actions)
        if isinstance(policies, str | Path):
            found = load_policies(policies, actions=names)
        elif isinstance(policies, Mapping):
            found = policies_from_data(policies, actions=names)
        elif isinstance(policies, EscalationPolicy):
            found = [policies]
        else:
            found = list(policies)
        problems += check_policies(found, actions=names)
        for policy in found:
            if isinstance(policy, EscalationPolicy):
                problems += _desk_problems(desk, policy)
        for label, value in (
            ("batch_size", batch_size),
            ("tickets_per_transaction", tickets_per_transaction),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                problems.append(f"{label} must be a positive integer, got {value!r}")
        if not isinstance(lease, timedelta) or lease <= timedelta(0):
            problems.append(f"lease must be a positive timedelta, got {lease!r}")
        if problems:
            raise InvalidDefinition("escalation configuration", problems)
        config = EscalationConfig(
            tuple(found), plugin_actions, batch_size, lease, tickets_per_transaction
        )
        self._escalation = config
        if not any(name == "escalation" for name, _ in desk._reactors):
            desk.add_reactor("escalation", _react)
            desk.add_sweeper("escalation", _sweep)
        if desk.plugin_manager.get_plugin(_PLUGIN_NAME) is None:
            desk.plugin_manager.register(_Notifier(), name=_PLUGIN_NAME)
        return config

    @property
    def escalation_config(self) -> EscalationConfig:
        """The desk's escalation set-up; ``InvalidInput`` when it was not configured."""
        if self._escalation is None:
            raise InvalidInput(
                "escalation is not configured on this desk; call desk.configure_escalation()"
            )
        return self._escalation

    # ---------------------------------------------------------------- queries

    def escalations(self, ticket: TicketRef) -> list[FiredLevel]:
        """The escalation levels that fired on the ticket, oldest first."""
        desk = _desk(self)
        with desk.storage.unit_of_work() as uow:
            current = desk._load_ticket(Work(uow, desk.now()), ticket)
            return uow.escalations.list_for_ticket(current.id)

    def escalation_due(self, ticket: TicketRef) -> datetime | None:
        """When a sweep next checks the ticket's time levels (None: nothing to wait for)."""
        desk = _desk(self)
        with desk.storage.unit_of_work() as uow:
            current = desk._load_ticket(Work(uow, desk.now()), ticket)
            item = uow.due.get(DUE_KIND, current.id)
        return None if item is None or item.done_at is not None else item.due_at

    # ---------------------------------------------------------------- commands

    def change_lifecycle(
        self,
        ticket: TicketRef,
        lifecycle: str,
        *,
        status: str | None = None,
        actor: ActorLike = None,
        expected_version: int | None = None,
    ) -> Ticket:
        """Move a ticket to another lifecycle (e.g. ``"complaint"``), recorded as an event.

        ``status`` is the state it lands in; by default the state of the new lifecycle
        that means the same (see :func:`helpdesk_kit.escalation.map_status`): an open
        support ticket becomes an acknowledged complaint, a pending one a proposed one.
        """
        desk = _desk(self)
        who = desk._actor(actor)
        desk._require_staff(who, "changing the lifecycle")
        with desk._work() as work:
            old = desk._load_ticket(work, ticket)
            desk._check_not_merged(old)
            return _change_lifecycle(
                desk, work, old, lifecycle, status, who, expected_version=expected_version
            )


def _desk_problems(desk: Helpdesk, policy: EscalationPolicy) -> list[str]:
    problems: list[str] = []
    for level in policy.levels:
        where = f"policy {policy.name!r} level {level.name!r}"
        cond = level.condition
        if isinstance(cond, SlaUsed | SlaBreached):
            if cond.metric is not None and cond.metric not in METRICS:
                problems.append(
                    f"{where}: unknown SLA metric {cond.metric!r} (known: {', '.join(METRICS)})"
                )
            if desk._sla is None:
                problems.append(f"{where}: uses SLA timers; call desk.configure_sla() first")
        for action in level.actions:
            if action.name == "complaint":
                name = str(action.params.get("lifecycle", "complaint"))
                lc = desk.lifecycles.get(name)
                if lc is None:
                    problems.append(f"{where}: no lifecycle {name!r} to switch to")
                elif "status" in action.params and action.params["status"] not in lc.states:
                    problems.append(
                        f"{where}: lifecycle {name!r} has no state {action.params['status']!r}"
                    )
    return problems


# -------------------------------------------------------------------- lifecycle change


def _change_lifecycle(
    desk: Helpdesk,
    work: Work,
    ticket: Ticket,
    lifecycle: str,
    status: str | None,
    actor: Actor,
    *,
    expected_version: int | None = None,
) -> Ticket:
    target = desk.lifecycle(lifecycle)
    source = desk.lifecycle(ticket.lifecycle)
    if status is None:
        if target.name == source.name:
            return ticket
        status = map_status(source, target, ticket.status)
    elif status not in target.states:
        raise InvalidInput(
            f"lifecycle {target.name!r} has no state {status!r} "
            f"(states: {', '.join(target.states)})"
        )
    if target.name == source.name and status == ticket.status:
        return ticket
    category = target.category(status)
    changes: dict[str, Any] = {"lifecycle": target.name, "status": status}
    if category not in _DONE:
        changes.update(solved_at=None, closed_at=None)
    else:
        if ticket.solved_at is None:
            changes["solved_at"] = work.now
        if category is StateCategory.CLOSED and ticket.closed_at is None:
            changes["closed_at"] = work.now
    event = TicketEvent(
        ticket.id,
        ev.LIFECYCLE_CHANGED,
        work.now,
        str(actor),
        {
            "from_lifecycle": source.name,
            "to_lifecycle": target.name,
            "from": ticket.status,
            "to": status,
        },
    )
    return work.save(
        ticket, attrs.evolve(ticket, **changes), [event], expected_version=expected_version
    )


# -------------------------------------------------------------------- facts


def _reach(timer: SlaTimer, fraction: float, desk: Helpdesk) -> datetime | None:
    """When ``timer``'s current cycle used ``fraction`` of its target (None: not foreseeable)."""
    if timer.target is None or timer.finished:
        return None
    config = desk._sla
    calendar = None if config is None else config.calendars.get(timer.calendar)
    if calendar is None:
        return None
    if fraction == 1.0 and timer.breached_at is not None:
        return timer.breached_at
    needed = timer.target * fraction
    if timer.used >= needed:
        done = timedelta(0)
        for start, end in timer.segments:
            spent = calendar.elapsed(start, end)
            if done + spent >= needed:
                return calendar.add(start, needed - done)
            done += spent
    if timer.resumed_at is not None:
        return calendar.add(timer.resumed_at, max(needed - timer.used, timedelta(0)))
    return None


def _sla_reached(
    desk: Helpdesk, timers: Sequence[SlaTimer]
) -> Callable[[str | None, float], datetime | None]:
    def reached(metric: str | None, fraction: float) -> datetime | None:
        found = [
            at
            for t in timers
            if metric is None or t.metric == metric
            if (at := _reach(t, fraction, desk)) is not None
        ]
        return min(found) if found else None

    return reached


def _parse(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _waiting_from(events: Iterable[TicketEvent]) -> tuple[bool, datetime | None]:
    """(decided, since): the customer's last message no agent answered, from these events."""
    decided, since = False, None
    for event in events:
        if event.kind == ev.MESSAGE_RECEIVED:
            decided, since = True, event.at
        elif event.kind == ev.TICKET_CREATED or (
            event.kind == ev.REPLY_SENT and event.data.get("author_kind") == "agent"
        ):
            decided, since = True, None
        elif event.kind == ev.MERGED_FROM:
            decided = False  # the source's messages joined: ask the whole trail
    return decided, since


def _waiting_since(
    work: Work,
    ticket_id: str,
    events: Sequence[TicketEvent],
    item: DueItem | None,
    config: EscalationConfig,
) -> datetime | None:
    if not config.needs_waiting:
        return None
    decided, since = _waiting_from(events)
    if decided:
        return since
    if item is not None and "waiting_since" in item.data:
        return _parse(item.data["waiting_since"])
    return _waiting_from(work.uow.events.list_for_ticket(ticket_id))[1]


def _customer_texts(work: Work, ticket: Ticket, events: Sequence[TicketEvent]) -> tuple[str, ...]:
    texts: list[str] = []
    for event in events:
        if event.kind == ev.MESSAGE_RECEIVED and "message_id" in event.data:
            try:
                message = work.uow.messages.get(str(event.data["message_id"]))
            except NotFound:
                continue
            texts += [message.subject or "", message.text]
    return tuple(t for t in texts if t)


def _ratings(events: Sequence[TicketEvent]) -> tuple[int, ...]:
    scores: list[int] = []
    for event in events:
        score: Any = None
        if event.kind == ev.SURVEY_RATED:
            score = event.data.get("score")
        elif event.kind == ev.SURVEY_CHANGED:
            score = (event.data.get("to") or {}).get("score")
        if isinstance(score, int) and not isinstance(score, bool):
            scores.append(score)
    return tuple(scores)


# -------------------------------------------------------------------- firing


def _handle(
    desk: Helpdesk,
    work: Work,
    ticket: Ticket,
    config: EscalationConfig,
    fired: set[tuple[str, str]],
    timers: Sequence[SlaTimer],
    waiting: datetime | None,
    item: DueItem | None,
    *,
    messages: tuple[str, ...] = (),
    ratings: tuple[int, ...] = (),
    force: bool = False,
) -> int:
    """Fire what is due on one ticket and keep its due item at the next instant."""
    count = 0
    reached = _sla_reached(desk, timers)
    group: str | None = None
    tier: str | None = None
    if config.needs_tier:
        tier = work.uow.customers.get(ticket.customer_id).tier
    while True:
        if config.needs_group and ticket.group_id is not None:
            group = work.uow.groups.get(ticket.group_id).name
        lc = desk.lifecycle(ticket.lifecycle)
        facts = Facts(
            now=work.now,
            ticket=ticket,
            active=ticket.merged_into is None and lc.category(ticket.status) not in _DONE,
            group=group,
            tier=tier,
            waiting_since=waiting,
            sla_reached=reached,
            messages=messages,
            ratings=ratings,
        )
        result = evaluate(config.policies, facts, fired)
        if not result.due:
            break
        for due in result.due:
            if _fire(desk, work, ticket.id, due, config):
                count += 1
            fired.add((due.policy.name, due.level.name))
        ticket = work.ticket(ticket.id)
    data = {"waiting_since": None if waiting is None else waiting.isoformat()}
    if not config.needs_waiting:
        data = {}
    upcoming = result.next_at
    if upcoming is None:
        if item is not None:
            work.uow.due.cancel(DUE_KIND, ticket.id)
    elif (
        force
        or item is None
        or item.due_at != upcoming
        or item.data != data
        or item.done_at is not None
    ):
        work.uow.due.schedule(DUE_KIND, ticket.id, upcoming, data)
    return count


def _fire(desk: Helpdesk, work: Work, ticket_id: str, due: Due, config: EscalationConfig) -> bool:
    """Fire one level on a ticket unless it already fired; True when it fired here."""
    policy, level = due.policy, due.level
    event_id = new_id()
    why: dict[str, Any] = {**due.why, "at": due.at.isoformat()}
    row = FiredLevel(ticket_id, policy.name, level.name, work.now, event_id, {"why": why})
    if not work.uow.escalations.add(row):
        return False
    results: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    for action in level.actions:
        ticket = work.ticket(ticket_id)
        try:
            result = _run(desk, work, ticket, policy, level, action, config, notifications, why)
        except _ACTION_ERRORS as exc:
            result = {"ok": False, "error": str(exc)}
        results.append({"action": action.name, **result})
    work.uow.escalations.update(attrs.evolve(row, data={"why": why, "actions": results}))
    work.ticket(ticket_id)  # the after-commit hooks show the ticket with the event
    work.record(
        [
            TicketEvent(
                ticket_id,
                ev.ESCALATION_FIRED,
                work.now,
                "system",
                {
                    "policy": policy.name,
                    "level": level.name,
                    "condition": level.condition.to_dict(),
                    "why": why,
                    "actions": results,
                    "notifications": notifications,
                },
                id=event_id,
            )
        ]
    )
    return True


def _run(
    desk: Helpdesk,
    work: Work,
    ticket: Ticket,
    policy: EscalationPolicy,
    level: Level,
    action: Action,
    config: EscalationConfig,
    notifications: list[dict[str, Any]],
    why: Mapping[str, Any],
) -> dict[str, Any]:
    params = action.params
    system = Actor.system()
    name = action.name
    if name == "assign_group":
        group = desk._group(work, str(params["group"]))
        assert group is not None
        moved = desk._assign(work, ticket, None, group, system, reason="escalation")
        moved = desk._auto_route(work, moved)
        return {"ok": True, "group": group.name, "assignee_id": moved.assignee_id}
    if name == "assign_supervisor":
        return _assign_supervisor(desk, work, ticket, params)
    if name == "raise_priority":
        target = Priority(params["to"]) if "to" in params else ticket.priority.raised()
        if target.rank <= ticket.priority.rank:
            return {"ok": True, "priority": ticket.priority.value, "changed": False}
        event = TicketEvent(
            ticket.id,
            ev.PRIORITY_CHANGED,
            work.now,
            str(system),
            {"from": ticket.priority.value, "to": target.value, "reason": "escalation"},
        )
        work.save(ticket, attrs.evolve(ticket, priority=target), [event])
        return {"ok": True, "priority": target.value, "changed": True}
    if name == "tag":
        added = frozenset(str(t).strip() for t in params["tags"]) - ticket.tags
        if added:
            event = TicketEvent(
                ticket.id,
                ev.TAGS_CHANGED,
                work.now,
                str(system),
                {"added": sorted(added), "removed": [], "reason": "escalation"},
            )
            work.save(ticket, attrs.evolve(ticket, tags=ticket.tags | added), [event])
        return {"ok": True, "added": sorted(added)}
    if name == "complaint":
        lifecycle = str(params.get("lifecycle", "complaint"))
        status = params.get("status")
        moved = _change_lifecycle(
            desk, work, ticket, lifecycle, None if status is None else str(status), system
        )
        return {"ok": True, "lifecycle": moved.lifecycle, "status": moved.status}
    if name == "notify":
        return _notify(work, ticket, policy, level, params, notifications, why)
    fn = config.actions.get(name)
    if fn is None:  # checked at configure time; a plugin may have gone since
        return {"ok": False, "error": f"no escalation action {name!r}"}
    try:
        out = fn(desk, ticket, level, dict(params))
    except HelpdeskError:
        raise
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return {"ok": True, **dict(out or {})}


def _assign_supervisor(
    desk: Helpdesk, work: Work, ticket: Ticket, params: Mapping[str, Any]
) -> dict[str, Any]:
    if "group" in params:
        group = desk._group(work, str(params["group"]))
    elif ticket.group_id is not None:
        group = work.uow.groups.get(ticket.group_id)
    else:
        return {"ok": False, "error": "the ticket has no group, so no supervisor"}
    assert group is not None
    supervisor = group.supervisor_id
    if supervisor is None:
        return {"ok": False, "error": f"group {group.name!r} has no supervisor"}
    if ticket.assignee_id == supervisor:
        return {"ok": True, "assignee_id": supervisor, "changed": False}
    agent = work.uow.agents.get(supervisor)
    work.uow.agents.lock([agent.id])  # counted the same way routing counts
    load = work.uow.tickets.open_counts([agent.id], statuses=desk._active_statuses)[agent.id]
    if load >= agent.max_concurrent:
        return {
            "ok": False,
            "error": f"supervisor {agent.name!r} is at capacity "
            f"({load} of {agent.max_concurrent} tickets)",
            "assignee_id": ticket.assignee_id,
        }
    desk._assign(work, ticket, agent, group, Actor.system(), reason="escalation")
    return {"ok": True, "assignee_id": agent.id, "group": group.name, "changed": True}


def _notify(
    work: Work,
    ticket: Ticket,
    policy: EscalationPolicy,
    level: Level,
    params: Mapping[str, Any],
    notifications: list[dict[str, Any]],
    why: Mapping[str, Any],
) -> dict[str, Any]:
    recipients: list[str] = []
    for name in params.get("recipients", ["supervisor"]):
        if name == "supervisor":
            if ticket.group_id is not None:
                sup = work.uow.groups.get(ticket.group_id).supervisor_id
                if sup is not None:
                    recipients.append(sup)
        elif name == "assignee":
            if ticket.assignee_id is not None:
                recipients.append(ticket.assignee_id)
        elif name == "group":
            if ticket.group_id is not None:
                recipients.append(work.uow.groups.get(ticket.group_id).name)
        else:
            recipients.append(str(name))
    recipients = list(dict.fromkeys(recipients))
    subject = str(
        params.get("subject") or f"Escalation {level.name}: {ticket.ref} {ticket.subject}"
    )
    reason = ", ".join(f"{k}={v}" for k, v in why.items() if v not in (None, [], ""))
    text = str(
        params.get("text")
        or f"Ticket {ticket.ref} reached level {level.name!r} of escalation policy {policy.name!r}"
        + (f" ({level.description})" if level.description else "")
        + f": {reason}."
    )
    notifications.append(
        {
            "kind": str(params.get("kind", "escalation")),
            "recipients": recipients,
            "subject": subject,
            "text": text,
        }
    )
    return {"ok": bool(recipients), "recipients": recipients}


# -------------------------------------------------------------------- the reactor


def _react(desk: Helpdesk, work: Work, events: list[TicketEvent]) -> None:
    """Check the policies for every ticket these events touched (one unit of work)."""
    config = desk._escalation
    if config is None:
        return
    by_ticket: dict[str, list[TicketEvent]] = {}
    for event in events:
        if event.kind not in _IGNORED:
            by_ticket.setdefault(event.ticket_id, []).append(event)
    if not by_ticket:
        return
    ids = list(by_ticket)
    fired = work.uow.escalations.list_for_tickets(ids)
    timers = work.uow.sla.list_for_tickets(ids) if config.needs_sla else {}
    for tid, evs in by_ticket.items():
        ticket = work.ticket(tid)
        item = work.uow.due.get(DUE_KIND, tid)
        _handle(
            desk,
            work,
            ticket,
            config,
            {(f.policy, f.level) for f in fired.get(tid, ())},
            timers.get(tid, []),
            _waiting_since(work, tid, evs, item, config),
            item,
            messages=_customer_texts(work, ticket, evs) if config.needs_messages else (),
            ratings=_ratings(evs),
        )


# -------------------------------------------------------------------- the sweeper


def _sweep_tickets(desk: Helpdesk, ticket_ids: Sequence[str], now: datetime) -> int:
    """One transaction: lock the tickets (in id order), fire their due time levels."""
    config = desk._escalation
    assert config is not None
    count = 0
    with desk._work(now) as work:
        fired = work.uow.escalations.for_update_many(ticket_ids)  # ours until commit
        timers = work.uow.sla.list_for_tickets(list(fired)) if config.needs_sla else {}
        for tid in ticket_ids:
            if tid not in fired:  # the ticket is gone
                work.uow.due.cancel(DUE_KIND, tid)
                continue
            item = work.uow.due.get(DUE_KIND, tid)  # as it is now that the ticket is ours
            count += _handle(
                desk,
                work,
                work.ticket(tid),
                config,
                {(f.policy, f.level) for f in fired[tid]},
                timers.get(tid, []),
                _waiting_since(work, tid, (), item, config),
                item,
                force=True,
            )
    return count


def _sweep(desk: Helpdesk, now: datetime) -> EscalationSweepResult:
    """Fire the time levels due at ``now`` (safe in several processes at once)."""
    config = desk._escalation
    if config is None:
        return EscalationSweepResult()
    handled, fired = sweep_due(
        desk.storage,
        DUE_KIND,
        now,
        lambda chunk: _sweep_tickets(desk, chunk, now),
        batch_size=config.batch_size,
        lease=config.lease,
        per_transaction=config.tickets_per_transaction,
    )
    return EscalationSweepResult(handled, sum(fired))
