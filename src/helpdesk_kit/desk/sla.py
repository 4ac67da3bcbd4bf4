"""SLA on the desk: policies and calendars, timers kept in step with every command, sweeps.

:meth:`SlaCommands.configure_sla` installs a reactor (``"sla"``) that moves a ticket's
timers through the events of each command in the same unit of work, and a sweeper
(``"sla"``) that :meth:`Helpdesk.sweep` runs to record ``sla.warning`` and ``sla.breached``
events when thresholds pass between commands.

Exactly once: a notice is produced by the state machine when it marks a threshold reached
(``warned_at``/``breached_at``), and that mark is stored in the same transaction as the
notice's event. Sweepers find their work through the storage's ``due`` queue (one item per
ticket, due at its next threshold, claimed with a lease) and then lock the ticket before
reading its timers, the same row every command on that ticket locks: two sweepers, or a
sweeper and a command, take turns on a ticket and the second sees the first's marks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import attrs

from helpdesk_kit.clock import ensure_aware, to_utc
from helpdesk_kit.desk.due import sweep_due
from helpdesk_kit.desk.retry import retry_on_conflict
from helpdesk_kit.desk.work import Work
from helpdesk_kit.errors import InvalidDefinition, InvalidInput
from helpdesk_kit.plugins import collect_named
from helpdesk_kit.sla.calendar import BusinessCalendar
from helpdesk_kit.sla.config import calendar_from_dict, load_policies, policy_set_from_dict
from helpdesk_kit.sla.holidays import ProviderRegistry
from helpdesk_kit.sla.policy import ALWAYS_OPEN, METRICS, PolicySet, SlaPolicy, always_open_calendar
from helpdesk_kit.sla.promise import format_promise
from helpdesk_kit.sla.timers import (
    Notice,
    SlaContext,
    SlaSettings,
    SlaTimer,
    apply,
    next_instant,
    relevant,
    replay,
    tick,
    unrecorded,
)
from helpdesk_kit.storage.base import DEFAULT_LEASE
from helpdesk_kit.tickets import events as ev
from helpdesk_kit.tickets.model import Ticket, TicketEvent

if TYPE_CHECKING:
    from helpdesk_kit.desk.service import Helpdesk, TicketRef

__all__ = [
    "DUE_KIND",
    "SlaCommands",
    "SlaConfig",
    "SlaSweepResult",
    "holiday_registry",
]

#: The ``due`` queue kind of SLA sweeps: one item per ticket (key = ticket id).
DUE_KIND = "sla"
_ORDER = {m: i for i, m in enumerate(METRICS)}

PoliciesLike = PolicySet | SlaPolicy | Sequence[SlaPolicy] | Mapping[str, Any] | str | Path


@attrs.frozen
class SlaConfig:
    """A desk's SLA set-up: the policies, every calendar by name, the machine's settings.

    ``batch_size``: due items a sweeper claims at a time; ``lease``: how long a claimed
    item stays with a sweeper that stopped before finishing it; ``tickets_per_transaction``:
    how many claimed tickets one sweep transaction locks and updates together.
    """

    policies: PolicySet
    calendars: Mapping[str, BusinessCalendar]
    settings: SlaSettings = attrs.field(factory=SlaSettings)
    batch_size: int = 500
    lease: timedelta = DEFAULT_LEASE
    tickets_per_transaction: int = 50


@attrs.frozen
class SlaSweepResult:
    """What one SLA sweep did: tickets looked at, warnings and breaches recorded."""

    tickets: int = 0
    warnings: int = 0
    breaches: int = 0


def holiday_registry(hook: Any) -> ProviderRegistry:
    """A desk's holiday providers: the built-ins plus every ``register_holiday_providers``.

    A plugin may replace a built-in (``"china"``, ...); two plugins registering the same
    name is a ``PluginError``.
    """
    registry = ProviderRegistry.with_builtins()
    for name, factory in collect_named(hook.register_holiday_providers, "holiday provider").items():
        registry.register(name, factory, replace=True)
    return registry


def _desk(commands: SlaCommands) -> Helpdesk:
    """The mixin is only ever part of a Helpdesk."""
    return cast("Helpdesk", commands)


class SlaCommands:
    """The SLA part of :class:`~helpdesk_kit.desk.Helpdesk` (a mixin)."""

    _sla: SlaConfig | None = None
    #: Holiday providers by name (built-ins and plugins'), for calendars given as data.
    holiday_providers: ProviderRegistry

    # ---------------------------------------------------------------- set-up

    def configure_sla(
        self,
        policies: PoliciesLike,
        calendars: Mapping[str, BusinessCalendar | Mapping[str, Any]] | None = None,
        *,
        bot_time_counts: bool = False,
        batch_size: int = 500,
        lease: timedelta = DEFAULT_LEASE,
        tickets_per_transaction: int = 50,
    ) -> SlaConfig:
        """Turn SLA on (or change it): policies, calendars by name, and the settings.

        ``policies``: a :class:`PolicySet`, a list of :class:`SlaPolicy`, the plain-data form
        or the path of a TOML/JSON file (calendars defined there come along). ``calendars``
        adds calendars by name (``BusinessCalendar`` objects or their plain-data form; holiday
        providers are looked up in :attr:`holiday_providers`); ``"24x7"`` always exists.
        Every policy's calendar must be known, else ``InvalidDefinition`` lists them all.
        ``bot_time_counts``: count the time a bot holds a conversation before the hand-off
        towards the first response (off by default). ``batch_size``, ``lease`` and
        ``tickets_per_transaction`` tune sweeps (see :class:`SlaConfig`).
        """
        desk = _desk(self)
        if isinstance(policies, str | Path):
            pset = load_policies(policies, providers=desk.holiday_providers)
        elif isinstance(policies, Mapping):
            pset = policy_set_from_dict(policies, providers=desk.holiday_providers)
        else:
            pset = PolicySet.of(policies)
        problems: list[str] = []
        known: dict[str, BusinessCalendar] = {ALWAYS_OPEN: always_open_calendar()}
        known.update(pset.calendars)
        for name, spec in (calendars or {}).items():
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
                    problems += [f"calendar {name!r}: {p}" for p in exc.problems]
            else:
                problems.append(f"calendar {name!r} is not a BusinessCalendar: {spec!r}")
        for label, value in (
            ("batch_size", batch_size),
            ("tickets_per_transaction", tickets_per_transaction),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                problems.append(f"{label} must be a positive integer, got {value!r}")
        if not isinstance(lease, timedelta) or lease <= timedelta(0):
            problems.append(f"lease must be a positive timedelta, got {lease!r}")
        problems += pset.problems(known)
        if problems:
            raise InvalidDefinition("SLA configuration", problems)
        config = SlaConfig(
            pset,
            known,
            SlaSettings(bot_time_counts=bool(bot_time_counts)),
            batch_size,
            lease,
            tickets_per_transaction,
        )
        self._sla = config
        if not any(name == "sla" for name, _ in desk._reactors):
            desk.add_reactor("sla", _react)
            desk.add_sweeper("sla", _sweep)
        return config

    @property
    def sla_config(self) -> SlaConfig:
        """The desk's SLA set-up; ``InvalidInput`` when :meth:`configure_sla` was not called."""
        if self._sla is None:
            raise InvalidInput("SLA is not configured on this desk; call desk.configure_sla()")
        return self._sla

    def sla_calendar(self, name: str) -> BusinessCalendar:
        """The calendar called ``name`` in the SLA set-up."""
        calendars = self.sla_config.calendars
        if name not in calendars:
            raise InvalidInput(f"no SLA calendar {name!r} (known: {', '.join(sorted(calendars))})")
        return calendars[name]

    # ---------------------------------------------------------------- queries

    def sla_policy_for(self, ticket: TicketRef) -> SlaPolicy | None:
        """The policy that applies to the ticket now (None: no policy matches)."""
        desk = _desk(self)
        config = self.sla_config
        with desk.storage.unit_of_work() as uow:
            work = Work(uow, desk.now())
            current = desk._load_ticket(work, ticket)
            return _select(desk, work, current, config)

    def sla_timers(self, ticket: TicketRef, *, at: datetime | None = None) -> list[SlaTimer]:
        """The ticket's timers as of ``at`` (default now), in metric order.

        Thresholds that have passed since the last command or sweep show as reached
        (``breached`` status), as the next sweep will record them; nothing is stored.
        """
        desk = _desk(self)
        when = desk.now() if at is None else to_utc(ensure_aware(at, "at"))
        with desk.storage.unit_of_work() as uow:
            current = desk._load_ticket(Work(uow, when), ticket)
            stored = uow.sla.list_for_ticket(current.id)
        ticked, _ = tick({t.metric: t for t in stored}, when)
        return sorted(ticked.values(), key=lambda t: _ORDER[t.metric])

    def sla_due(self, ticket: TicketRef, metric: str = "first_response") -> datetime | None:
        """When ``metric``'s current cycle is due; None when it has no target, is paused or done."""
        if metric not in METRICS:
            raise InvalidInput(f"unknown SLA metric {metric!r} (known: {', '.join(METRICS)})")
        for timer in self.sla_timers(ticket):
            if timer.metric == metric:
                return None if timer.finished else timer.due_at
        return None

    def sla_promise(
        self,
        ticket: TicketRef,
        locale: str | None = None,
        *,
        zone: str | None = None,
    ) -> str | None:
        """The first-response promise for the customer ("我们将在 11月26日 10:30 前回复您").

        ``locale`` defaults to the ticket's language, then the customer's locale, then
        ``"zh"``; ``zone`` to the customer's ``attributes["timezone"]``, then the calendar's
        zone (the desk's for ``"24x7"``). None when no first response is due (met, no target,
        or the bot holds the conversation).
        """
        desk = _desk(self)
        current = desk.get_ticket(ticket)
        timer = next((t for t in self.sla_timers(current) if t.metric == "first_response"), None)
        if timer is None or timer.finished or timer.due_at is None:
            return None
        customer = desk.get_customer(current.customer_id)
        if zone is None:
            wanted = customer.attributes.get("timezone")
            if isinstance(wanted, str) and wanted:
                zone = wanted
            elif timer.calendar == ALWAYS_OPEN:
                zone = desk.settings.timezone
            else:
                zone = self.sla_calendar(timer.calendar).timezone
        language = locale or current.language or customer.locale or "zh"
        return format_promise(timer.due_at, language, zone, now=desk.now())

    # ---------------------------------------------------------------- repair

    def sla_rebuild(self, ticket: TicketRef) -> list[SlaTimer]:
        """Recompute the ticket's timers from its whole audit trail (after calendar changes).

        Thresholds the replay finds reached whose events are not in the trail are recorded
        now. Returns the new timers.
        """
        desk = _desk(self)
        config = self.sla_config

        def once() -> list[SlaTimer]:
            with desk._work() as work:
                current = desk._load_ticket(work, ticket)
                stored = work.uow.sla.for_update(current.id)
                trail = work.uow.events.list_for_ticket(current.id)
                ctx = _context(desk, work, current, config, {})
                result = replay(trail, ctx=ctx)
                timers, notices = tick(result.timers, work.now)
                late = unrecorded([*result.notices, *notices], trail)
                pending = _Pending(work)
                old = {t.metric: t for t in stored}
                pending.add(current.id, old, timers, late, force_due=True)
                pending.flush()
                return sorted(timers.values(), key=lambda t: _ORDER[t.metric])

        return retry_on_conflict(once)


# -------------------------------------------------------------------- the reactor


def _select(desk: Helpdesk, work: Work, ticket: Ticket, config: SlaConfig) -> SlaPolicy | None:
    policies = config.policies
    chosen = desk.hook.select_sla_policy(desk=desk, ticket=ticket, policies=list(policies))
    if chosen is not None:
        for policy in policies:
            if chosen is policy or chosen == policy or chosen == policy.name:
                return policy
        raise InvalidInput(
            f"select_sla_policy hook chose {chosen!r}, which is not one of the desk's policies "
            f"({', '.join(policies.names)})"
        )
    facts: dict[str, str | None] = {
        "channel": ticket.channel,
        "priority": ticket.priority.value,
        "category": ticket.category,
        "tier": None,
        "group": None,
    }
    if policies.needs("tier"):
        facts["tier"] = work.uow.customers.get(ticket.customer_id).tier
    if policies.needs("group") and ticket.group_id is not None:
        facts["group"] = work.uow.groups.get(ticket.group_id).name
    return policies.select(facts)


def _context(
    desk: Helpdesk,
    work: Work,
    ticket: Ticket,
    config: SlaConfig,
    merged: Mapping[str, Mapping[str, SlaTimer]],
) -> SlaContext:
    return SlaContext(
        ticket.id,
        desk.lifecycle(ticket.lifecycle),
        _select(desk, work, ticket, config),
        config.calendars,
        config.settings,
        merged,
    )


def _state_before(ticket: Ticket, events: Iterable[TicketEvent]) -> str:
    for event in events:
        if event.kind == ev.TICKET_CREATED:
            return str(event.data.get("status") or ticket.status)
        if event.kind in (ev.TRANSITIONED, ev.MERGED_INTO) and "from" in event.data:
            return str(event.data["from"])
    return ticket.status


class _Pending:
    """What one transaction stores for SLA: changed timers, due items and notices.

    Timers and events of every ticket go to storage in one statement each (bulk intake and
    sweeps touch many tickets); each ticket's due item is kept at its next threshold.
    """

    def __init__(self, work: Work) -> None:
        self.work = work
        self.timers: list[SlaTimer] = []
        self.notices: list[Notice] = []

    def add(
        self,
        ticket_id: str,
        old: Mapping[str, SlaTimer],
        new: Mapping[str, SlaTimer],
        notices: Sequence[Notice],
        *,
        force_due: bool = False,
    ) -> None:
        """Note one ticket's new timers and notices (``force_due``: re-schedule even if equal)."""
        self.timers += [t for metric, t in new.items() if old.get(metric) != t]
        self.notices += notices
        upcoming = next_instant(new.values())
        if force_due or upcoming != next_instant(old.values()):
            if upcoming is None:
                self.work.uow.due.cancel(DUE_KIND, ticket_id)
            else:
                self.work.uow.due.schedule(DUE_KIND, ticket_id, upcoming)

    def flush(self) -> tuple[int, int]:
        """Store what was noted; return (warnings, breaches) recorded."""
        work = self.work
        if self.timers:
            work.uow.sla.save(sorted(self.timers, key=lambda t: (t.ticket_id, _ORDER[t.metric])))
        notices = self.notices
        if notices:
            for ticket_id in dict.fromkeys(n.timer.ticket_id for n in notices):
                work.ticket(ticket_id)  # the after-commit hooks show the ticket with the event
            work.record(
                [
                    TicketEvent(n.timer.ticket_id, n.event_kind, work.now, "system", n.event_data())
                    for n in notices
                ]
            )
        self.timers, self.notices = [], []
        warnings = sum(1 for n in notices if n.kind == "warning")
        return warnings, len(notices) - warnings


def _react(desk: Helpdesk, work: Work, events: list[TicketEvent]) -> None:
    """Move the timers of every ticket these events touched (one unit of work)."""
    config = desk._sla
    if config is None:
        return
    by_ticket: dict[str, list[TicketEvent]] = {}
    for event in events:
        if relevant(event):
            by_ticket.setdefault(event.ticket_id, []).append(event)
    if not by_ticket:
        return
    created = {tid for tid, evs in by_ticket.items() if evs[0].kind == ev.TICKET_CREATED}
    sources = {
        tid: [str(e.data["source"]) for e in evs if e.kind == ev.MERGED_FROM and "source" in e.data]
        for tid, evs in by_ticket.items()
    }
    wanted = [tid for tid in by_ticket if tid not in created]
    wanted += [s for found in sources.values() for s in found]
    # One query for the whole batch, before any ticket is moved: a merge's target sees the
    # source's timers as they were just before the merge.
    snapshot: dict[str, dict[str, SlaTimer]] = {
        tid: {t.metric: t for t in timers}
        for tid, timers in (work.uow.sla.list_for_tickets(wanted) if wanted else {}).items()
    }
    pending = _Pending(work)
    for tid, evs in by_ticket.items():
        ticket = work.ticket(tid)
        merged = {s: snapshot.get(s, {}) for s in sources[tid]}
        ctx = _context(desk, work, ticket, config, merged)
        old = snapshot.get(tid, {})
        if not old and tid not in created:
            # A ticket from before SLA was configured: replay its whole trail once.
            trail = work.uow.events.list_for_ticket(tid)
            result = replay(trail, ctx=ctx)
            notices = unrecorded(result.notices, trail)
        else:
            result = apply(old, evs, state=_state_before(ticket, evs), ctx=ctx)
            notices = result.notices
        pending.add(tid, old, result.timers, notices)
    pending.flush()


# -------------------------------------------------------------------- the sweeper


def _sweep_tickets(desk: Helpdesk, ticket_ids: Sequence[str], now: datetime) -> tuple[int, int]:
    """One transaction: lock the tickets (in id order), move their timers to ``now``."""
    with desk._work(now) as work:
        stored = work.uow.sla.for_update_many(ticket_ids)  # the tickets are ours until commit
        pending = _Pending(work)
        for ticket_id in ticket_ids:
            timers = stored.get(ticket_id)
            if timers is None:  # the ticket is gone
                work.uow.due.cancel(DUE_KIND, ticket_id)
                continue
            old = {t.metric: t for t in timers}
            new, found = tick(old, now)
            pending.add(ticket_id, old, new, found, force_due=True)
        return pending.flush()


def _sweep(desk: Helpdesk, now: datetime) -> SlaSweepResult:
    """Record the warnings and breaches due at ``now`` (safe in several processes at once)."""
    config = desk._sla
    if config is None:
        return SlaSweepResult()
    handled, counts = sweep_due(
        desk.storage,
        DUE_KIND,
        now,
        lambda chunk: _sweep_tickets(desk, chunk, now),
        batch_size=config.batch_size,
        lease=config.lease,
        per_transaction=config.tickets_per_transaction,
    )
    return SlaSweepResult(handled, sum(w for w, _ in counts), sum(b for _, b in counts))
