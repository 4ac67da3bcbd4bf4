"""Automation rules on the desk: event rules in every unit of work, time rules in sweeps.

:meth:`AutomationCommands.configure_automation` installs a reactor (``"automation"``) and a
sweeper (``"automation"``).

Event rules run in the unit of work of the command whose events trigger them (a ticket
created, updated, or a customer message received), so their changes commit or roll back
with it. Their own events can trigger rules again; the cascade is bounded by the rule set's
``max_depth``, and a rule held back by the bound is recorded as ``automation.loop_stopped``
instead of raising. Every firing is recorded as ``automation.fired``.

Time rules: the reactor keeps one state per (ticket, time rule) while the rule's condition
holds (since when it holds, and whether the rule fired for that entry) and schedules the
ticket's item in the storage's ``due`` queue at the next instant one of its rules is due.
A sweep claims the due items only; it never scans the tickets. A rule fires once per entry
into its condition: the fired mark is set with a conditional update in the transaction of
the rule's actions, so two sweepers (threads, processes, hosts) never both fire it.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import attrs

from helpdesk_kit.automation.actions import (
    Action,
    AddTags,
    ApplyMacro,
    Assign,
    Note,
    Notify,
    RemoveTags,
    Reply,
    SetField,
    Transition,
)
from helpdesk_kit.automation.conditions import CalendarLike, EvalContext
from helpdesk_kit.automation.rules import (
    EventRule,
    Known,
    RuleSet,
    TimeRule,
    check_rules,
    read_rules,
)
from helpdesk_kit.automation.state import RuleState, next_due, track
from helpdesk_kit.desk.due import sweep_due
from helpdesk_kit.desk.work import Work
from helpdesk_kit.errors import (
    GuardFailed,
    InvalidDefinition,
    InvalidInput,
    NotFound,
    PermissionDenied,
    TransitionNotAllowed,
)
from helpdesk_kit.macros.model import Template
from helpdesk_kit.plugins import hookimpl
from helpdesk_kit.sla.calendar import BusinessCalendar
from helpdesk_kit.sla.config import calendar_from_dict
from helpdesk_kit.sla.policy import ALWAYS_OPEN, always_open_calendar
from helpdesk_kit.storage.base import DEFAULT_LEASE
from helpdesk_kit.tickets import events as ev
from helpdesk_kit.tickets.model import (
    Actor,
    Agent,
    AuthorKind,
    Customer,
    Message,
    Priority,
    Ticket,
    TicketEvent,
)

if TYPE_CHECKING:
    from helpdesk_kit.desk.service import Helpdesk, TicketRef

__all__ = [
    "DUE_KIND",
    "AutomationCommands",
    "AutomationConfig",
    "AutomationSweepResult",
]

#: The ``due`` queue kind of time rules: one item per ticket (key = ticket id).
DUE_KIND = "automation"
#: Event kinds that make a ``ticket.updated`` trigger, and the field each changes.
_UPDATES = {
    ev.TRANSITIONED: ("status",),
    ev.ASSIGNED: (),
    ev.PRIORITY_CHANGED: ("priority",),
    ev.TAGS_CHANGED: ("tags",),
    ev.FIELDS_CHANGED: (),
    ev.CONFIRMED: ("confirmed",),
    ev.MERGED_FROM: ("merged",),
}
#: Events that never change a field a condition reads: no need to re-check time rules.
_QUIET = (
    "automation.",
    "sla.",
    ev.DELIVERED,
    ev.DELIVERY_FAILED,
    ev.NOTE_ADDED,
    "followup.",
    "survey.",
)
#: Errors an action may meet on a particular ticket; recorded, not raised.
_ACTION_ERRORS = (TransitionNotAllowed, GuardFailed, InvalidInput, NotFound, PermissionDenied)
RulesLike = RuleSet | Mapping[str, Any] | str | Path


@attrs.frozen
class AutomationConfig:
    """A desk's automation: the rules, every calendar they may name, the sweep settings."""

    rules: RuleSet
    calendars: Mapping[str, BusinessCalendar]
    batch_size: int = 500
    lease: timedelta = DEFAULT_LEASE
    tickets_per_transaction: int = 50


@attrs.frozen
class AutomationSweepResult:
    """What one time-rule sweep did: tickets looked at, rules fired."""

    tickets: int = 0
    fired: int = 0

    def __str__(self) -> str:
        return f"{self.tickets} ticket(s), {self.fired} time rule(s) fired"


def _desk(commands: object) -> Helpdesk:
    """The mixin is only ever part of a Helpdesk."""
    return cast("Helpdesk", commands)


class _Notifier:
    """Sends ``automation.notify`` events through the ``notify`` hook after they commit."""

    @hookimpl
    def on_ticket_event(self, desk: Helpdesk, event: TicketEvent, ticket: Ticket) -> None:
        """Deliver one committed notification."""
        if event.kind != ev.AUTOMATION_NOTIFY:
            return
        data = event.data
        desk.notify(
            str(data.get("notification") or "automation"),
            subject=str(data.get("subject", "")),
            text=str(data.get("text", "")),
            ticket=ticket,
            recipients=list(data.get("recipients") or ()),
        )


_NOTIFIER_NAME = "helpdesk_kit.automation.notifier"


class AutomationCommands:
    """The automation part of :class:`~helpdesk_kit.desk.Helpdesk` (a mixin)."""

    _automation: AutomationConfig | None = None

    def configure_automation(
        self,
        rules: RulesLike,
        *,
        calendars: Mapping[str, BusinessCalendar | Mapping[str, Any]] | None = None,
        max_depth: int | None = None,
        batch_size: int = 500,
        lease: timedelta = DEFAULT_LEASE,
        tickets_per_transaction: int = 50,
    ) -> AutomationConfig:
        """Turn automation on (or replace the rules): event rules and time rules.

        ``rules``: a :class:`RuleSet`, the plain-data form, the path of a TOML file or TOML
        text. Calendars a rule names come from ``calendars`` (objects or plain data), the
        rule file's ``[calendars]`` table and the SLA set-up; ``"24x7"`` always exists.
        ``max_depth`` overrides the rule set's cascade bound. Every problem (unknown fields,
        operators, actions, templates, calendars, groups, transitions, bad durations,
        duplicate names) is listed in one ``InvalidDefinition``.
        """
        desk = _desk(self)
        if isinstance(rules, RuleSet):
            ruleset, problems = rules, list[str]()
        else:
            ruleset, problems = check_rules(read_rules(rules))
        known_calendars = self._automation_calendars(ruleset, calendars, problems)
        if max_depth is not None:
            if (
                isinstance(max_depth, bool)
                or not isinstance(max_depth, int)
                or not (1 <= max_depth <= 10)
            ):
                problems.append(f"max_depth must be a whole number from 1 to 10, got {max_depth!r}")
            else:
                ruleset = attrs.evolve(ruleset, max_depth=max_depth)
        for label, value in (
            ("batch_size", batch_size),
            ("tickets_per_transaction", tickets_per_transaction),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                problems.append(f"{label} must be a positive integer, got {value!r}")
        if not isinstance(lease, timedelta) or lease <= timedelta(0):
            problems.append(f"lease must be a positive timedelta, got {lease!r}")
        with desk.storage.unit_of_work() as uow:
            stored = uow.templates.list()
            templates = frozenset(t.name for t in stored)
            kinds = {t.name: t.kind for t in stored}
            groups = frozenset(g.name for g in uow.groups.list())
            found = uow.macros.list()
            macros = frozenset(m.name for m in found) | frozenset(
                m.shortcode for m in found if m.shortcode is not None
            )
        transitions = frozenset(t.name for lc in desk.lifecycles.values() for t in lc.transitions)
        problems += ruleset.problems(
            Known(templates, frozenset(known_calendars), transitions, groups, macros)
        )
        problems += self._text_problems(ruleset)
        for group_name, rule_list in (
            ("event_rules", ruleset.event_rules),
            ("time_rules", ruleset.time_rules),
        ):
            for rule in rule_list:
                for i, action in enumerate(rule.actions):
                    if isinstance(action, Reply) and kinds.get(action.template, "reply") != "reply":
                        problems.append(
                            f"{group_name}.{rule.name}.actions[{i}]: template "
                            f"{action.template!r} is a {kinds[action.template]!r} template, "
                            "not a reply"
                        )
        if problems:
            raise InvalidDefinition("automation rules", problems)
        config = AutomationConfig(
            ruleset, known_calendars, batch_size, lease, tickets_per_transaction
        )
        self._automation = config
        if not any(name == "automation" for name, _ in desk._reactors):
            desk.add_reactor("automation", _react)
            desk.add_sweeper("automation", _sweep)
        if desk.plugin_manager.get_plugin(_NOTIFIER_NAME) is None:
            desk.plugin_manager.register(_Notifier(), name=_NOTIFIER_NAME)
        return config

    def _automation_calendars(
        self,
        ruleset: RuleSet,
        extra: Mapping[str, BusinessCalendar | Mapping[str, Any]] | None,
        problems: list[str],
    ) -> dict[str, BusinessCalendar]:
        desk = _desk(self)
        known: dict[str, BusinessCalendar] = {ALWAYS_OPEN: always_open_calendar()}
        if desk._sla is not None:
            known.update(desk._sla.calendars)
        specs: dict[str, Any] = {**ruleset.calendars, **dict(extra or {})}
        for name, spec in specs.items():
            if name == ALWAYS_OPEN:
                problems.append(f"calendar {ALWAYS_OPEN!r} is built in and cannot be replaced")
            elif isinstance(spec, BusinessCalendar):
                known[name] = spec
            elif isinstance(spec, Mapping):
                try:
                    known[name] = calendar_from_dict(
                        spec, providers=desk.holiday_providers, name=name
                    )
                except InvalidDefinition as exc:
                    problems.extend(f"calendars.{name}: {p}" for p in exc.problems)
            else:
                problems.append(f"calendars.{name}: not a calendar: {spec!r}")
        return known

    def _text_problems(self, ruleset: RuleSet) -> list[str]:
        desk = _desk(self)
        out: list[str] = []
        rules: list[EventRule | TimeRule] = [*ruleset.event_rules, *ruleset.time_rules]
        for rule in rules:
            group = "event_rules" if isinstance(rule, EventRule) else "time_rules"
            for i, action in enumerate(rule.actions):
                texts: list[tuple[str, str]] = []
                if isinstance(action, Note):
                    texts.append(("text", action.text))
                elif isinstance(action, Notify):
                    texts += [("subject", action.subject), ("text", action.text)]
                for key, text in texts:
                    if not text:
                        continue
                    draft = Template(name=f"{rule.name}.{key}", bodies={"en": text}, kind="note")
                    out += [
                        f"{group}.{rule.name}.actions[{i}].{key}: {p.removeprefix('en: ')}"
                        for p in desk.validate_template(draft)
                    ]
        return out

    @property
    def automation_config(self) -> AutomationConfig:
        """The desk's automation; ``InvalidInput`` when it was not configured."""
        if self._automation is None:
            raise InvalidInput(
                "automation is not configured on this desk; call desk.configure_automation()"
            )
        return self._automation

    def automation_states(self, ticket: TicketRef) -> list[RuleState]:
        """The ticket's time-rule states (rules whose condition holds now), by rule name."""
        desk = _desk(self)
        with desk.storage.unit_of_work() as uow:
            current = desk._load_ticket(Work(uow, desk.now()), ticket)
            found = uow.automation.states_for([current.id]).get(current.id, {})
        return [found[name] for name in sorted(found)]

    def automation_track(self, tickets: Iterable[TicketRef]) -> int:
        """Start time rules on tickets from before :meth:`configure_automation`.

        States are otherwise kept from a ticket's first event after configuration; this
        checks the given tickets now (a condition that holds is entered now). Returns how
        many tickets were checked.
        """
        desk = _desk(self)
        self.automation_config  # noqa: B018 - raises when automation is off
        with desk._work() as work:
            ids = [desk._load_ticket(work, ref).id for ref in tickets]
            _refresh(desk, work, ids, force=True)
        return len(ids)

    def automation_due(self, ticket: TicketRef) -> datetime | None:
        """When the ticket's next time rule is due (None: none can fire)."""
        config = self.automation_config
        states = {s.rule: s for s in self.automation_states(ticket)}
        return next_due(states, config.rules.active_time_rules, config.calendars)


# -------------------------------------------------------------------- facts


def _facts(
    work: Work,
    ticket: Ticket,
    customer: Customer,
    *,
    trigger: str | None = None,
    text: str | None = None,
    changed: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    group = None
    if ticket.group_id is not None:
        try:
            group = work.uow.groups.get(ticket.group_id).name
        except NotFound:
            group = None
    return {
        "ticket.status": ticket.status,
        "ticket.priority": ticket.priority.value,
        "ticket.channel": ticket.channel,
        "ticket.category": ticket.category,
        "ticket.tags": ticket.tags,
        "ticket.assignee": ticket.assignee_id,
        "ticket.group": group,
        "ticket.language": ticket.language,
        "ticket.subject": ticket.subject,
        "ticket.lifecycle": ticket.lifecycle,
        "ticket.custom_fields": ticket.custom_fields,
        "customer.tier": customer.tier,
        "customer.tags": customer.tags,
        "customer.locale": customer.locale,
        "customer.name": customer.name,
        "customer.attributes": customer.attributes,
        "message.text": text,
        "event.changed": changed,
        "event.trigger": trigger,
    }


def _context(desk: Helpdesk, work: Work, facts: Mapping[str, Any]) -> EvalContext:
    config = desk._automation
    assert config is not None
    calendars: Mapping[str, CalendarLike] = config.calendars
    return EvalContext(facts, work.now, calendars, desk.settings.timezone)


def _changed(events: Sequence[TicketEvent]) -> frozenset[str]:
    out: set[str] = set()
    for event in events:
        out.update(_UPDATES.get(event.kind, ()))
        if event.kind == ev.ASSIGNED:
            if event.data.get("assignee_id") != event.data.get("previous_assignee_id"):
                out.add("assignee")
            if event.data.get("group_id") != event.data.get("previous_group_id"):
                out.add("group")
        elif event.kind == ev.FIELDS_CHANGED:
            out.update(str(k) for k in dict(event.data.get("changes") or {}))
    return frozenset(out)


def _message_text(work: Work, events: Sequence[TicketEvent]) -> str | None:
    texts = []
    for event in events:
        if event.kind == ev.MESSAGE_RECEIVED and event.data.get("message_id"):
            try:
                texts.append(work.uow.messages.get(str(event.data["message_id"])).text)
            except NotFound:
                continue
    return "\n".join(texts) if texts else None


# -------------------------------------------------------------------- the reactor


class _Cascade:
    """One unit of work's cascade: per ticket, how many rounds of rules fired on it.

    Counting rounds per ticket (rather than following which event caused which) also bounds
    a loop that runs through another reactor (a rule's change makes another feature change
    the ticket, which triggers the rule again).
    """

    def __init__(self) -> None:
        self.rounds: dict[str, int] = {}
        self.stopped: set[str] = set()
        self.customers: dict[str, Customer] = {}

    def customer(self, work: Work, customer_id: str) -> Customer:
        """The customer, read once per unit of work (rules never change customers)."""
        found = self.customers.get(customer_id)
        if found is None:
            found = self.customers[customer_id] = work.uow.customers.get(customer_id)
        return found


_CASCADES: weakref.WeakKeyDictionary[Work, _Cascade] = weakref.WeakKeyDictionary()


def _cascade(work: Work) -> _Cascade:
    found = _CASCADES.get(work)
    if found is None:
        found = _CASCADES[work] = _Cascade()
    return found


def _react(desk: Helpdesk, work: Work, events: list[TicketEvent]) -> None:
    """Run the event rules these events trigger, then keep time-rule states in step."""
    config = desk._automation
    if config is None:
        return
    by_ticket: dict[str, list[TicketEvent]] = {}
    for event in events:
        by_ticket.setdefault(event.ticket_id, []).append(event)
    cascade = _cascade(work)
    rules = config.rules
    if rules.event_rules:
        for tid, evs in by_ticket.items():
            _run_event_rules(desk, work, tid, evs, cascade)
    if rules.active_time_rules:
        touched = [
            tid for tid, evs in by_ticket.items() if any(not e.kind.startswith(_QUIET) for e in evs)
        ]
        _refresh(desk, work, touched, force=False)


def _triggers(evs: Sequence[TicketEvent]) -> list[tuple[str, list[TicketEvent]]]:
    created = [e for e in evs if e.kind == ev.TICKET_CREATED]
    received = [e for e in evs if e.kind == ev.MESSAGE_RECEIVED]
    updated = [e for e in evs if e.kind in _UPDATES]
    out: list[tuple[str, list[TicketEvent]]] = []
    if created:
        out.append(("ticket.created", created + received))
    if received:
        out.append(("message.received", received))
    if updated and not created:  # what a command does while creating is part of creating
        out.append(("ticket.updated", updated))
    return out


def _run_event_rules(
    desk: Helpdesk, work: Work, ticket_id: str, evs: list[TicketEvent], cascade: _Cascade
) -> None:
    config = desk._automation
    assert config is not None
    triggers = _triggers(evs)
    if not triggers:
        return
    depth = cascade.rounds.get(ticket_id, 0) + 1
    try:
        ticket = work.ticket(ticket_id)
    except NotFound:
        return
    if ticket.merged_into is not None:
        return
    customer = cascade.customer(work, ticket.customer_id)
    fired: set[str] = set()
    held_back: list[str] = []
    contexts: dict[tuple[str, int], EvalContext] = {}  # by trigger and ticket version
    for trigger, trigger_events in triggers:
        text = None
        if trigger in ("ticket.created", "message.received"):
            text = _message_text(work, trigger_events)
            if trigger == "ticket.created":
                text = ticket.subject if text is None else f"{ticket.subject}\n{text}"
        for rule in config.rules.for_trigger(trigger):
            if rule.name in fired or rule.name in held_back:
                continue
            ticket = work.ticket(ticket_id)
            ctx = contexts.get((trigger, ticket.version))
            if ctx is None:
                changed = _changed(trigger_events) if trigger == "ticket.updated" else frozenset()
                facts = _facts(work, ticket, customer, trigger=trigger, text=text, changed=changed)
                ctx = contexts[(trigger, ticket.version)] = _context(desk, work, facts)
            if not rule.when.holds(ctx):
                continue
            if depth > config.rules.max_depth:
                held_back.append(rule.name)
                continue
            fired.add(rule.name)
            cascade.rounds[ticket_id] = depth
            _fire_rule(desk, work, ticket, rule, kind="event", trigger=trigger, depth=depth)
    if held_back and ticket_id not in cascade.stopped:
        cascade.stopped.add(ticket_id)
        current = work.ticket(ticket_id)
        work.record(
            [
                desk._event(
                    work,
                    current,
                    ev.AUTOMATION_LOOP_STOPPED,
                    Actor.system(),
                    rules=held_back,
                    depth=depth,
                    max_depth=config.rules.max_depth,
                )
            ]
        )


def _fire_rule(
    desk: Helpdesk,
    work: Work,
    ticket: Ticket,
    rule: EventRule | TimeRule,
    *,
    kind: str,
    trigger: str | None,
    depth: int,
) -> None:
    actor = Actor.system()
    work.record(
        [
            desk._event(
                work,
                ticket,
                ev.AUTOMATION_FIRED,
                actor,
                rule=rule.name,
                rule_kind=kind,
                trigger=trigger,
                depth=depth,
            )
        ]
    )
    for action in rule.actions:
        current = work.ticket(ticket.id)
        try:
            _run_action(desk, work, current, action, rule.name, actor)
        except _ACTION_ERRORS as exc:
            work.record(
                [
                    desk._event(
                        work,
                        work.ticket(ticket.id),
                        ev.AUTOMATION_FAILED,
                        actor,
                        rule=rule.name,
                        action=_action_name(action),
                        error=f"{type(exc).__name__}: {exc}",
                    )
                ]
            )


def _action_name(action: Action) -> str:
    names = {
        SetField: "set",
        Assign: "assign",
        AddTags: "add_tag",
        RemoveTags: "remove_tag",
        Reply: "reply",
        Note: "note",
        Transition: "transition",
        Notify: "notify",
        ApplyMacro: "macro",
    }
    return names[type(action)]


def _run_action(
    desk: Helpdesk, work: Work, ticket: Ticket, action: Action, rule: str, actor: Actor
) -> None:
    if isinstance(action, SetField):
        _set_field(desk, work, ticket, action, actor)
    elif isinstance(action, Assign):
        _assign(desk, work, ticket, action, actor)
    elif isinstance(action, AddTags | RemoveTags):
        add = set(action.tags) if isinstance(action, AddTags) else set()
        remove = set(action.tags) if isinstance(action, RemoveTags) else set()
        tags = (ticket.tags | add) - remove
        if tags != ticket.tags:
            event = desk._event(
                work,
                ticket,
                ev.TAGS_CHANGED,
                actor,
                added=sorted(tags - ticket.tags),
                removed=sorted(ticket.tags - tags),
            )
            work.save(ticket, attrs.evolve(ticket, tags=tags), [event])
    elif isinstance(action, Reply):
        desk._check_not_merged(ticket)
        desk.reply_with_template_in(
            work, ticket, action.template, actor=actor, locale=action.locale
        )
    elif isinstance(action, Note):
        text = _render_text(desk, work, ticket, action.text, f"{rule}.note")
        note = Message(
            ticket_id=ticket.id,
            author_kind=AuthorKind.SYSTEM,
            text=text,
            created_at=work.now,
            channel=None,
            public=False,
        )
        work.uow.messages.add(note)
        work.save(
            ticket, ticket, [desk._event(work, ticket, ev.NOTE_ADDED, actor, message_id=note.id)]
        )
    elif isinstance(action, Transition):
        desk._fire(work, ticket, action.name, actor)
    elif isinstance(action, ApplyMacro):
        desk.apply_macro_in(work, ticket, action.name, actor=actor)
    else:
        subject = _render_text(desk, work, ticket, action.subject, f"{rule}.subject")
        text = _render_text(desk, work, ticket, action.text, f"{rule}.text") if action.text else ""
        work.record(
            [
                desk._event(
                    work,
                    ticket,
                    ev.AUTOMATION_NOTIFY,
                    actor,
                    rule=rule,
                    notification=action.kind,
                    recipients=list(action.recipients),
                    subject=subject,
                    text=text,
                )
            ]
        )


def _render_text(desk: Helpdesk, work: Work, ticket: Ticket, text: str, name: str) -> str:
    agent: Agent | None = None
    if ticket.assignee_id is not None:
        try:
            agent = work.uow.agents.get(ticket.assignee_id)
        except NotFound:
            agent = None
    template = Template(name=name, bodies={"en": text}, kind="note")
    return desk._render(work, template, ticket, agent, None).text


def _set_field(desk: Helpdesk, work: Work, ticket: Ticket, action: SetField, actor: Actor) -> None:
    if action.field == "priority":
        prio = Priority(action.value)
        if ticket.priority is not prio:
            event = desk._event(
                work,
                ticket,
                ev.PRIORITY_CHANGED,
                actor,
                **{"from": ticket.priority.value, "to": prio.value},
            )
            work.save(ticket, attrs.evolve(ticket, priority=prio), [event])
    elif action.field == "group":
        _assign(desk, work, ticket, Assign(group=str(action.value)), actor)
    elif action.field.startswith("custom_fields."):
        key = action.field.removeprefix("custom_fields.")
        desk._set_fields(work, ticket, {"custom_fields": {key: action.value}}, actor)
    else:
        desk._set_fields(work, ticket, {action.field: action.value}, actor)


def _find_agent(work: Work, ref: str) -> Agent:
    try:
        return work.uow.agents.get(ref)
    except NotFound:
        pass
    named = [a for a in work.uow.agents.list() if a.name == ref]
    if len(named) == 1:
        return named[0]
    if named:
        raise InvalidInput(f"{len(named)} agents are called {ref!r}; name the agent by id")
    raise NotFound("agent", ref)


def _assign(desk: Helpdesk, work: Work, ticket: Ticket, action: Assign, actor: Actor) -> None:
    group = desk._group(work, action.group) if action.group is not None else None
    if action.agent is not None:
        agent = _find_agent(work, action.agent)
        desk._assign(work, ticket, agent, group, actor, reason="automation")
        return
    if group is not None and group.id != ticket.group_id:
        keep = None
        if ticket.assignee_id is not None:
            holder = work.uow.agents.get(ticket.assignee_id)
            keep = holder if group.id in holder.groups else None
        ticket = desk._assign(work, ticket, keep, group, actor, reason="automation")
    if ticket.assignee_id is None and (action.route or group is not None):
        desk._route_now(work, ticket)  # by the group's strategy; nobody free: it waits


# -------------------------------------------------------------------- time rules


def _refresh(desk: Helpdesk, work: Work, ticket_ids: Sequence[str], *, force: bool) -> None:
    """Move the tickets' time-rule states to their conditions now; reschedule their due item.

    ``force``: reschedule even when no state changed (after a sweep claimed the item).
    """
    config = desk._automation
    if config is None or not ticket_ids:
        return
    rules = config.rules.active_time_rules
    repo = work.uow.automation
    stored = repo.states_for(ticket_ids)
    changed: list[RuleState] = []
    for tid in ticket_ids:
        old = stored.get(tid, {})
        try:
            ticket = work.ticket(tid)
        except NotFound:
            work.uow.due.cancel(DUE_KIND, tid)
            continue
        holds: dict[str, bool] = {}
        if ticket.merged_into is None and rules:
            customer = _cascade(work).customer(work, ticket.customer_id)
            ctx = _context(desk, work, _facts(work, ticket, customer))
            holds = {rule.name: rule.when.holds(ctx) for rule in rules}
        tracked = track(tid, old, holds, work.now)
        changed += tracked.changed
        if tracked.dropped:
            repo.drop(tid, tracked.dropped)
        if not (force or tracked.changed or tracked.dropped):
            continue
        due = next_due(tracked.states, rules, config.calendars)
        if due is None:
            work.uow.due.cancel(DUE_KIND, tid)
        else:
            work.uow.due.schedule(DUE_KIND, tid, due)
    repo.save(changed)


def _sweep_tickets(desk: Helpdesk, ticket_ids: Sequence[str], now: datetime) -> int:
    """One transaction: fire the time rules due on these tickets, reschedule them."""
    config = desk._automation
    assert config is not None
    rules = config.rules.active_time_rules
    fired = 0
    with desk._work(now) as work:
        stored = work.uow.automation.states_for(ticket_ids)
        cascade = _cascade(work)
        for tid in ticket_ids:
            states = stored.get(tid, {})
            try:
                ticket = work.ticket(tid)
            except NotFound:
                continue
            due = sorted(
                (
                    (rule.deadline(states[rule.name].entered_at, config.calendars), rule)
                    for rule in rules
                    if rule.name in states and not states[rule.name].fired
                ),
                key=lambda pair: (pair[0], pair[1].name),
            )
            for deadline, rule in due:
                if deadline > now:
                    break
                ticket = work.ticket(tid)
                if ticket.merged_into is not None:
                    break
                customer = cascade.customer(work, ticket.customer_id)
                if not rule.when.holds(_context(desk, work, _facts(work, ticket, customer))):
                    continue  # no longer holds: the refresh below drops the state
                entered = states[rule.name].entered_at
                if not work.uow.automation.mark_fired(tid, rule.name, entered, now):
                    continue  # another sweeper fired it, or the entry changed
                cascade.rounds[tid] = 1
                _fire_rule(desk, work, ticket, rule, kind="time", trigger=None, depth=1)
                fired += 1
        _refresh(desk, work, ticket_ids, force=True)
    return fired


def _sweep(desk: Helpdesk, now: datetime) -> AutomationSweepResult:
    """Fire the time rules due at ``now`` (safe in several processes at once)."""
    config = desk._automation
    if config is None:
        return AutomationSweepResult()
    handled, fired = sweep_due(
        desk.storage,
        DUE_KIND,
        now,
        lambda chunk: _sweep_tickets(desk, chunk, now),
        batch_size=config.batch_size,
        lease=config.lease,
        per_transaction=config.tickets_per_transaction,
    )
    return AutomationSweepResult(handled, sum(fired))
