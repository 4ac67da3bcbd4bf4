"""SLA timers and the pure state machine that moves them with a ticket's events.

One :class:`SlaTimer` per ticket and metric (``first_response``, ``next_response``,
``periodic_update``, ``resolution``) holds the current *cycle* of that metric: when it
started, the intervals its clock ran (``segments``, plus the open one from ``resumed_at``),
the business time used on its calendar, its due and warning instants, and whether it was
met, breached or stopped.

:func:`step` is a pure function from (timers, one ticket event, the lifecycle state before
it, the policy in force, the calendars, the settings) to the new timers and the *notices*
(warnings and breaches) that became due; :func:`apply` folds it over several events,
:func:`tick` moves timers to a later instant without an event (what a sweep does) and
:func:`replay` rebuilds a ticket's timers from its whole audit trail. No I/O, no clock.

The exact rules are in ``docs/sla.md``; in short:

* every threshold (warning, due) is the first instant at which the business time the
  clock has run reaches ``target * warn_at`` or ``target``; it is *reached* at that
  instant (a reply at exactly the due instant is late);
* thresholds are found at each event and each tick; a reached threshold produces exactly
  one notice per ticket, metric and cycle and stays reached, whatever happens later;
* a policy change recomputes the thresholds from the cycle's original segments, so a
  shorter target can be found to have been reached in the past.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs

from helpdesk_kit.clock import ensure_aware, to_utc
from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.lifecycle.definition import Lifecycle
from helpdesk_kit.sla.calendar import BusinessCalendar
from helpdesk_kit.sla.policy import ALWAYS_OPEN, METRICS, SlaPolicy, always_open_calendar
from helpdesk_kit.tickets import events as ev
from helpdesk_kit.tickets.model import StateCategory, TicketEvent

__all__ = [
    "PAUSABLE",
    "Notice",
    "SlaContext",
    "SlaSettings",
    "SlaStatus",
    "SlaTimer",
    "Step",
    "apply",
    "business_time",
    "relevant",
    "replay",
    "step",
    "tick",
]

FIRST, NEXT, PERIODIC, RESOLUTION = METRICS
#: Metrics whose clock stops in states flagged ``sla_paused``.
PAUSABLE = frozenset({PERIODIC, RESOLUTION})
_DONE = (StateCategory.SOLVED, StateCategory.CLOSED)
ZERO = timedelta(0)

Segment = tuple[datetime, datetime]


class SlaStatus(enum.StrEnum):
    """Where a timer stands.

    ``active``: its clock runs; ``paused``: its clock is stopped (a paused state, or the
    bot holding the conversation); ``met``: done before its due instant; ``breached``: its
    due instant passed before it was done (``met_at`` says whether it was done later);
    ``stopped``: it ended without being met (the ticket closed or merged away, or a
    periodic update cycle when the ticket was solved).
    """

    ACTIVE = "active"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"
    STOPPED = "stopped"


def _opt_aware(_inst: object, attribute: attrs.Attribute[Any], value: datetime | None) -> None:
    if value is not None:
        ensure_aware(value, attribute.name)


def _check_metric(_inst: object, _attribute: attrs.Attribute[str], value: str) -> None:
    if value not in METRICS:
        raise InvalidInput(f"unknown SLA metric {value!r} (known: {', '.join(METRICS)})")


def _segments(value: Iterable[Sequence[datetime]]) -> tuple[Segment, ...]:
    return tuple((a, b) for a, b in value)


@attrs.frozen
class SlaTimer:
    """One cycle of one SLA metric of one ticket.

    ``segments`` are the closed intervals its clock ran, oldest first; while it runs,
    ``resumed_at`` is the start of the open one. ``used`` is the business time of
    ``segments`` on ``calendar``. ``target``/``warn_fraction`` come from ``policy`` (all
    None when no policy sets a target: the clock is kept, nothing is due). ``warn_at`` and
    ``due_at`` are the instants the thresholds are (or were) reached, None while unknown
    (paused); ``warned_at``/``breached_at`` are set when they are reached and never move.
    ``handoff_at`` (first response only) is when the conversation first went to a person.
    """

    ticket_id: str
    metric: str = attrs.field(validator=_check_metric)
    started_at: datetime = attrs.field(validator=_opt_aware)
    cycle: int = 1
    resumed_at: datetime | None = attrs.field(default=None, validator=_opt_aware)
    segments: tuple[Segment, ...] = attrs.field(default=(), converter=_segments)
    used: timedelta = ZERO
    policy: str | None = None
    calendar: str = ALWAYS_OPEN
    target: timedelta | None = None
    warn_fraction: float | None = None
    warn_at: datetime | None = attrs.field(default=None, validator=_opt_aware)
    due_at: datetime | None = attrs.field(default=None, validator=_opt_aware)
    warned_at: datetime | None = attrs.field(default=None, validator=_opt_aware)
    breached_at: datetime | None = attrs.field(default=None, validator=_opt_aware)
    met_at: datetime | None = attrs.field(default=None, validator=_opt_aware)
    stopped_at: datetime | None = attrs.field(default=None, validator=_opt_aware)
    handoff_at: datetime | None = attrs.field(default=None, validator=_opt_aware)

    @property
    def status(self) -> SlaStatus:
        """Return the timer's status (derived from its instants)."""
        if self.breached_at is not None:
            return SlaStatus.BREACHED
        if self.met_at is not None:
            return SlaStatus.MET
        if self.stopped_at is not None:
            return SlaStatus.STOPPED
        return SlaStatus.ACTIVE if self.resumed_at is not None else SlaStatus.PAUSED

    @property
    def running(self) -> bool:
        """Say whether the clock runs (whatever the outcome)."""
        return self.resumed_at is not None

    @property
    def finished(self) -> bool:
        """Say whether this cycle is over (met or stopped)."""
        return self.met_at is not None or self.stopped_at is not None

    @property
    def key(self) -> tuple[str, str]:
        """Return ``(ticket_id, metric)``, the timer's identity in storage."""
        return (self.ticket_id, self.metric)

    def used_at(self, now: datetime, calendar: BusinessCalendar) -> timedelta:
        """Return the business time used by ``now`` (counting the open segment)."""
        used = self.used
        if self.resumed_at is not None and now > self.resumed_at:
            used += calendar.elapsed(self.resumed_at, now)
        return used

    def remaining(self, now: datetime, calendar: BusinessCalendar) -> timedelta | None:
        """Return the business time left before the due instant (negative when late)."""
        if self.target is None:
            return None
        end = now
        if self.finished:
            end = min(x for x in (self.met_at, self.stopped_at) if x is not None)
        return self.target - self.used_at(end, calendar)


@attrs.frozen
class Notice:
    """A threshold that was reached: ``kind`` is ``"warning"`` or ``"breach"``."""

    kind: str
    timer: SlaTimer

    @property
    def event_kind(self) -> str:
        """Return the ticket event kind: ``sla.warning`` or ``sla.breached``."""
        return ev.SLA_WARNING if self.kind == "warning" else ev.SLA_BREACHED

    def event_data(self) -> dict[str, Any]:
        """Return the data recorded with the notice's ticket event."""
        t = self.timer
        data: dict[str, Any] = {
            "metric": t.metric,
            "cycle": t.cycle,
            "policy": t.policy,
            "calendar": t.calendar,
            "target_seconds": None if t.target is None else t.target.total_seconds(),
            "started_at": _iso(t.started_at),
            "due_at": _iso(t.due_at),
        }
        if self.kind == "warning":
            data["warn_at"] = _iso(t.warned_at)
        else:
            data["breached_at"] = _iso(t.breached_at)
        return data


def _iso(value: datetime | None) -> str | None:
    return None if value is None else to_utc(value).isoformat()


@attrs.frozen
class SlaSettings:
    """Choices of the state machine.

    ``bot_time_counts``: when False (the default) a bot that answers before any person
    holds the first-response clock until the hand-off. ``pause_flag``: the lifecycle state
    flag that stops the pausable clocks (resolution, periodic update).
    """

    bot_time_counts: bool = False
    pause_flag: str = "sla_paused"


@attrs.frozen
class SlaContext:
    """What :func:`step` needs besides the timers and the event.

    ``policy`` is the policy in force for the ticket (None: timers are kept without
    targets); ``calendars`` maps calendar names to calendars (``"24x7"`` is added when
    missing); ``merged`` maps a merged-away ticket's id to its timers as they were just
    before the merge (for ``ticket.merged_from``).
    """

    ticket_id: str
    lifecycle: Lifecycle
    policy: SlaPolicy | None = None
    calendars: Mapping[str, BusinessCalendar] = attrs.field(factory=dict)
    settings: SlaSettings = attrs.field(factory=SlaSettings)
    merged: Mapping[str, Mapping[str, SlaTimer]] = attrs.field(factory=dict)

    def calendar(self, name: str) -> BusinessCalendar:
        """Return the calendar called ``name``."""
        found = self.calendars.get(name)
        if found is not None:
            return found
        if name == ALWAYS_OPEN:
            return always_open_calendar()
        raise InvalidInput(
            f"no calendar {name!r} (known: {', '.join(sorted({*self.calendars, ALWAYS_OPEN}))})"
        )

    def fields_for(self, metric: str) -> tuple[str | None, timedelta | None, float | None, str]:
        """Return ``(policy, target, warn_fraction, calendar)`` of ``metric`` under the policy."""
        policy = self.policy
        if policy is None:
            return (None, None, None, ALWAYS_OPEN)
        target = policy.target_for(metric)
        calendar = policy.calendar_for(metric)
        if target is None:
            return (policy.name, None, None, calendar)
        return (policy.name, target.target, target.warn_at, calendar)

    def paused(self, state: str) -> bool:
        """Say whether ``state`` stops the pausable clocks."""
        found = self.lifecycle.states.get(state)
        return found is not None and self.settings.pause_flag in found.flags

    def category(self, state: str) -> StateCategory | None:
        """Return the category of ``state`` (None for a state the lifecycle does not know)."""
        found = self.lifecycle.states.get(state)
        return None if found is None else found.category


@attrs.frozen
class Step:
    """The result of :func:`step`/:func:`apply`: new timers, notices, the state after."""

    timers: dict[str, SlaTimer]
    notices: list[Notice]
    state: str


# --------------------------------------------------------------------------- arithmetic


def business_time(segments: Iterable[Segment], calendar: BusinessCalendar) -> timedelta:
    """Return the open time of ``calendar`` within the intervals ``segments``."""
    total = ZERO
    for a, b in segments:
        if b > a:
            total += calendar.elapsed(a, b)
    return total


def _reached(timer: SlaTimer, calendar: BusinessCalendar, threshold: timedelta) -> datetime | None:
    """The first instant the clock's business time reaches ``threshold`` (None: not yet known).

    Counted over the closed segments and then the open one; None when the clock is stopped
    and the closed segments hold less than ``threshold``.
    """
    acc = ZERO
    for a, b in timer.segments:
        if b <= a:
            continue
        part = calendar.elapsed(a, b)
        if acc + part >= threshold:
            return to_utc(calendar.add(a, threshold - acc))
        acc += part
    if timer.resumed_at is not None:
        return to_utc(calendar.add(timer.resumed_at, threshold - acc))
    return None


def _schedule(timer: SlaTimer, ctx: SlaContext) -> SlaTimer:
    """Recompute the thresholds not reached yet (reached ones never move)."""
    if timer.target is None or timer.warn_fraction is None:
        return attrs.evolve(timer, warn_at=timer.warned_at, due_at=timer.breached_at)
    calendar = ctx.calendar(timer.calendar)
    warn_at = timer.warned_at
    if warn_at is None:
        warn_at = _reached(timer, calendar, timer.target * timer.warn_fraction)
    due_at = timer.breached_at
    if due_at is None:
        due_at = _reached(timer, calendar, timer.target)
    if warn_at == timer.warn_at and due_at == timer.due_at:
        return timer
    return attrs.evolve(timer, warn_at=warn_at, due_at=due_at)


def _settle(timer: SlaTimer, now: datetime, notices: list[Notice]) -> SlaTimer:
    """Mark the thresholds reached by ``now`` and produce their notices."""
    if timer.finished:
        return timer
    changes: dict[str, Any] = {}
    if timer.warned_at is None and timer.warn_at is not None and timer.warn_at <= now:
        changes["warned_at"] = timer.warn_at
    if timer.breached_at is None and timer.due_at is not None and timer.due_at <= now:
        changes["breached_at"] = timer.due_at
    if not changes:
        return timer
    settled = attrs.evolve(timer, **changes)
    if "warned_at" in changes:
        notices.append(Notice("warning", settled))
    if "breached_at" in changes:
        notices.append(Notice("breach", settled))
    return settled


def _close_segment(timer: SlaTimer, at: datetime, ctx: SlaContext) -> SlaTimer:
    """Stop the clock at ``at`` (the open segment becomes a closed one)."""
    start = timer.resumed_at
    if start is None:
        return timer
    if at <= start:
        return attrs.evolve(timer, resumed_at=None)
    used = timer.used + ctx.calendar(timer.calendar).elapsed(start, at)
    return attrs.evolve(timer, resumed_at=None, segments=(*timer.segments, (start, at)), used=used)


def _pause(timer: SlaTimer, at: datetime, ctx: SlaContext) -> SlaTimer:
    if timer.finished or timer.resumed_at is None:
        return timer
    return _schedule(_close_segment(timer, at, ctx), ctx)


def _resume(timer: SlaTimer, at: datetime, ctx: SlaContext) -> SlaTimer:
    if timer.finished or timer.resumed_at is not None:
        return timer
    return _schedule(attrs.evolve(timer, resumed_at=at), ctx)


def _finish(timer: SlaTimer, at: datetime, ctx: SlaContext, *, met: bool) -> SlaTimer:
    """Meet or stop the cycle; the thresholds computed while it ran are kept for reports."""
    if timer.finished:
        return timer
    closed = _close_segment(timer, at, ctx)
    if met:
        return attrs.evolve(closed, met_at=at)
    return attrs.evolve(closed, stopped_at=at)


def _start(
    metric: str,
    at: datetime,
    ctx: SlaContext,
    *,
    running: bool,
    previous: SlaTimer | None = None,
    handoff_at: datetime | None = None,
) -> SlaTimer:
    policy, target, fraction, calendar = ctx.fields_for(metric)
    timer = SlaTimer(
        ctx.ticket_id,
        metric,
        at,
        cycle=1 if previous is None else previous.cycle + 1,
        resumed_at=at if running else None,
        policy=policy,
        calendar=calendar,
        target=target,
        warn_fraction=fraction,
        handoff_at=handoff_at,
    )
    return _schedule(timer, ctx)


def _retarget(timer: SlaTimer, ctx: SlaContext) -> SlaTimer:
    """Apply the policy in force; thresholds are recomputed from the cycle's own segments."""
    if timer.finished:
        return timer
    fields = ctx.fields_for(timer.metric)
    if fields == (timer.policy, timer.target, timer.warn_fraction, timer.calendar):
        return timer
    policy, target, fraction, calendar = fields
    used = timer.used
    if calendar != timer.calendar:
        used = business_time(timer.segments, ctx.calendar(calendar))
    moved = attrs.evolve(
        timer,
        policy=policy,
        target=target,
        warn_fraction=fraction,
        calendar=calendar,
        used=used,
    )
    return _schedule(moved, ctx)


def _union(segments: Iterable[Segment]) -> tuple[Segment, ...]:
    ordered = sorted((a, b) for a, b in segments if b > a)
    out: list[Segment] = []
    for a, b in ordered:
        if out and a <= out[-1][1]:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return tuple(out)


def _merge(timer: SlaTimer, source: SlaTimer, at: datetime, ctx: SlaContext) -> SlaTimer:
    """The target's unfinished timer takes the earlier start and the union of running time."""
    own = list(timer.segments)
    if timer.resumed_at is not None and at > timer.resumed_at:
        own.append((timer.resumed_at, at))
    theirs = list(source.segments)
    if source.resumed_at is not None and at > source.resumed_at:
        theirs.append((source.resumed_at, at))
    segments = _union(own + theirs)
    calendar = ctx.calendar(timer.calendar)
    handoffs = [h for h in (timer.handoff_at, source.handoff_at) if h is not None]
    merged = attrs.evolve(
        timer,
        started_at=min(timer.started_at, source.started_at),
        segments=segments,
        used=business_time(segments, calendar),
        resumed_at=at if timer.resumed_at is not None else None,
        handoff_at=min(handoffs) if handoffs else None,
    )
    return _schedule(merged, ctx)


# --------------------------------------------------------------------------- the machine

#: Event kinds that can change timers (other events only let time pass).
RELEVANT_KINDS = frozenset(
    {
        ev.TICKET_CREATED,
        ev.MESSAGE_RECEIVED,
        ev.REPLY_SENT,
        ev.TRANSITIONED,
        ev.REOPENED,
        ev.ASSIGNED,
        ev.HANDOFF,
        ev.PRIORITY_CHANGED,
        ev.FIELDS_CHANGED,
        ev.MERGED_INTO,
        ev.MERGED_FROM,
    }
)


def relevant(event: TicketEvent) -> bool:
    """Say whether ``event`` can change a ticket's timers (besides letting time pass)."""
    return event.kind in RELEVANT_KINDS


def _author_kind(event: TicketEvent) -> str:
    kind = event.data.get("author_kind")
    if isinstance(kind, str) and kind:
        return kind
    return event.actor.partition(":")[0]


def _agent_replied(timers: Mapping[str, SlaTimer]) -> bool:
    first = timers.get(FIRST)
    return first is not None and first.met_at is not None


def _handoff(out: dict[str, SlaTimer], at: datetime, ctx: SlaContext) -> None:
    first = out.get(FIRST)
    if first is None or first.finished or first.handoff_at is not None:
        return
    if first.resumed_at is None:  # the bot held the conversation: start counting now
        out[FIRST] = _start(FIRST, at, ctx, running=True, previous=first, handoff_at=at)
    else:
        out[FIRST] = attrs.evolve(first, handoff_at=at)


def _customer_waits(out: dict[str, SlaTimer], at: datetime, ctx: SlaContext) -> None:
    """A customer message or a reopen: a new next-response cycle unless one is running."""
    if not _agent_replied(out):
        return
    current = out.get(NEXT)
    if current is None or current.finished:
        out[NEXT] = _start(NEXT, at, ctx, running=True, previous=current)


def _agent_reply(out: dict[str, SlaTimer], at: datetime, state: str, ctx: SlaContext) -> None:
    first = out.get(FIRST)
    if first is not None and not first.finished:
        if first.resumed_at is None and first.handoff_at is None:
            _handoff(out, at, ctx)  # an agent answering for the bot is the hand-off
        out[FIRST] = _finish(out[FIRST], at, ctx, met=True)
    current = out.get(NEXT)
    if current is not None and not current.finished:
        out[NEXT] = _finish(current, at, ctx, met=True)
    periodic = out.get(PERIODIC)
    if periodic is not None and not periodic.finished:
        periodic = out[PERIODIC] = _finish(periodic, at, ctx, met=True)
    if ctx.category(state) not in _DONE:
        out[PERIODIC] = _start(PERIODIC, at, ctx, running=not ctx.paused(state), previous=periodic)


def _bot_reply(out: dict[str, SlaTimer], ctx: SlaContext) -> None:
    """A bot answering before any person took the conversation holds first response at zero."""
    if ctx.settings.bot_time_counts:
        return
    first = out.get(FIRST)
    if (
        first is None
        or first.finished
        or first.resumed_at is None
        or first.cycle != 1
        or first.handoff_at is not None
        or first.breached_at is not None
    ):
        return
    out[FIRST] = attrs.evolve(
        first, resumed_at=None, segments=(), used=ZERO, due_at=None, warn_at=first.warned_at
    )


def _transition(
    out: dict[str, SlaTimer], at: datetime, before: str, after: str, ctx: SlaContext
) -> None:
    was, now = ctx.category(before), ctx.category(after)
    stops = ctx.paused(after)
    for metric in (FIRST, NEXT):
        timer = out.get(metric)
        if timer is not None and now is StateCategory.CLOSED:
            out[metric] = _finish(timer, at, ctx, met=False)
    resolution = out.get(RESOLUTION)
    if resolution is not None:
        if now is StateCategory.CLOSED:
            resolution = _finish(resolution, at, ctx, met=False)
        elif now is StateCategory.SOLVED:
            if was is not StateCategory.SOLVED:
                resolution = _finish(resolution, at, ctx, met=True)
        elif was in _DONE and resolution.met_at is not None:  # reopened: resume the clock
            resolution = _schedule(
                attrs.evolve(resolution, met_at=None, resumed_at=None if stops else at), ctx
            )
        elif stops:
            resolution = _pause(resolution, at, ctx)
        else:
            resolution = _resume(resolution, at, ctx)
        out[RESOLUTION] = resolution
    periodic = out.get(PERIODIC)
    if periodic is not None:
        if now in _DONE:
            periodic = _finish(periodic, at, ctx, met=False)
        elif stops:
            periodic = _pause(periodic, at, ctx)
        else:
            periodic = _resume(periodic, at, ctx)
        out[PERIODIC] = periodic


def step(
    timers: Mapping[str, SlaTimer], event: TicketEvent, *, state: str, ctx: SlaContext
) -> Step:
    """Move a ticket's timers through one event.

    ``state`` is the ticket's lifecycle state just before the event. Returns the new
    timers (by metric), the notices of thresholds reached by ``event.at`` (including ones
    a policy change puts in the past) and the state after the event.
    """
    at = to_utc(ensure_aware(event.at, "event.at"))
    notices: list[Notice] = []
    out: dict[str, SlaTimer] = {}
    for metric, timer in timers.items():
        # Thresholds reached under the old targets first, then those a policy change puts
        # in the past (recomputed from the cycle's own segments).
        out[metric] = _settle(_retarget(_settle(timer, at, notices), ctx), at, notices)
    kind = event.kind
    data = event.data
    after = state
    if kind == ev.TICKET_CREATED:
        initial = str(data.get("status") or state)
        after = initial
        if FIRST not in out:
            out[FIRST] = _start(FIRST, at, ctx, running=True)
        if RESOLUTION not in out:
            out[RESOLUTION] = _start(RESOLUTION, at, ctx, running=not ctx.paused(initial))
    elif kind == ev.MESSAGE_RECEIVED:
        _customer_waits(out, at, ctx)
    elif kind == ev.REPLY_SENT:
        author = _author_kind(event)
        if author == "agent":
            _agent_reply(out, at, state, ctx)
        elif author == "bot":
            _bot_reply(out, ctx)
    elif kind == ev.ASSIGNED:
        if data.get("assignee_id"):
            _handoff(out, at, ctx)
    elif kind == ev.HANDOFF:
        _handoff(out, at, ctx)
    elif kind in (ev.TRANSITIONED, ev.MERGED_INTO):
        before = str(data.get("from", state))
        after = str(data.get("to", state))
        _transition(out, at, before, after, ctx)
    elif kind == ev.REOPENED:
        after = str(data.get("to", state))
        _customer_waits(out, at, ctx)
    elif kind == ev.MERGED_FROM:
        source = ctx.merged.get(str(data.get("source")), {})
        for metric, timer in list(out.items()):
            theirs = source.get(metric)
            if (
                timer.finished
                or theirs is None
                or theirs.met_at is not None
                or (theirs.stopped_at is not None and theirs.stopped_at < at)
            ):
                continue
            out[metric] = _merge(timer, theirs, at, ctx)
    for metric, timer in out.items():
        out[metric] = _settle(timer, at, notices)
    return Step(out, notices, after)


def apply(
    timers: Mapping[str, SlaTimer],
    events: Iterable[TicketEvent],
    *,
    state: str,
    ctx: SlaContext,
) -> Step:
    """Fold :func:`step` over ``events`` (in order), collecting every notice."""
    current = dict(timers)
    notices: list[Notice] = []
    for event in events:
        result = step(current, event, state=state, ctx=ctx)
        current, state = result.timers, result.state
        notices += result.notices
    return Step(current, notices, state)


def tick(timers: Mapping[str, SlaTimer], now: datetime) -> tuple[dict[str, SlaTimer], list[Notice]]:
    """Let time pass until ``now``: mark the thresholds reached and return their notices."""
    at = to_utc(ensure_aware(now, "now"))
    notices: list[Notice] = []
    out = {m: _settle(t, at, notices) for m, t in timers.items()}
    return out, notices


def replay(events: Sequence[TicketEvent], *, ctx: SlaContext) -> Step:
    """Rebuild a ticket's timers from its whole audit trail (oldest event first).

    The notices returned include thresholds whose ``sla.*`` events are already in the
    trail; :func:`unrecorded` filters those out.
    """
    state = ctx.lifecycle.initial
    for event in events:
        if event.kind == ev.TICKET_CREATED:
            state = str(event.data.get("status") or state)
            break
    return apply({}, events, state=state, ctx=ctx)


def unrecorded(notices: Iterable[Notice], events: Iterable[TicketEvent]) -> list[Notice]:
    """The notices whose ``sla.warning``/``sla.breached`` event is not among ``events``."""
    seen = {
        (e.kind, str(e.data.get("metric")), int(e.data.get("cycle") or 0))
        for e in events
        if e.kind in (ev.SLA_WARNING, ev.SLA_BREACHED)
    }
    return [n for n in notices if (n.event_kind, n.timer.metric, n.timer.cycle) not in seen]


def next_instant(timers: Iterable[SlaTimer]) -> datetime | None:
    """The earliest threshold not reached yet among running timers (when a sweep is due)."""
    found: datetime | None = None
    for t in timers:
        if t.finished:
            continue
        for instant, reached in ((t.warn_at, t.warned_at), (t.due_at, t.breached_at)):
            if instant is not None and reached is None and (found is None or instant < found):
                found = instant
    return found
