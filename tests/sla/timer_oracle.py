"""A brute-force oracle for SLA timers: the ticket's history replayed minute by minute.

It follows docs/sla.md as literally as it can and shares no arithmetic with the engine:
time advances in whole UTC minutes; for each minute it records which metric clocks ran,
and business time is the number of those minutes the calendar says are open
(``calendar.is_open`` at the minute's start; every calendar in the tests changes state
on whole minutes only, and events happen on whole minutes). A threshold is reached at
the first instant the running open time reaches it, found by walking the minutes (to the
microsecond inside the crossing minute). No segments, no ``calendar.add``/``elapsed``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from helpdesk_kit.lifecycle import Lifecycle
from helpdesk_kit.sla import ALWAYS_OPEN, BusinessCalendar, SlaPolicy, always_open_calendar
from helpdesk_kit.tickets import events as ev
from helpdesk_kit.tickets.model import StateCategory, TicketEvent

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MINUTE = 60_000_000  # microseconds
DONE = (StateCategory.SOLVED, StateCategory.CLOSED)


def minute_of(t: datetime) -> int:
    us = (t - EPOCH) // timedelta(microseconds=1)
    assert us % MINUTE == 0, "oracle events must be on whole minutes"
    return us // MINUTE


def instant(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


class OpenMinutes:
    """Which UTC minutes a calendar is open, asked minute by minute and remembered."""

    def __init__(self, calendar: BusinessCalendar) -> None:
        self.calendar = calendar
        self.known: dict[int, bool] = {}

    def __call__(self, minute: int) -> bool:
        found = self.known.get(minute)
        if found is None:
            found = self.known[minute] = self.calendar.is_open(instant(minute * MINUTE))
        return found


class OTimer:
    """One cycle of one metric, as the oracle sees it."""

    def __init__(self, metric: str, cycle: int, start: int, running: bool) -> None:
        self.metric = metric
        self.cycle = cycle
        self.started = start  # minute
        self.running = running
        self.ran: list[int] = []  # minutes its clock ran, in order
        self.met: int | None = None
        self.stopped: int | None = None
        self.warned_us: int | None = None
        self.breached_us: int | None = None
        self.handoff: int | None = None
        self.policy: str | None = None
        self.target_us: int | None = None
        self.warn_us: int | None = None
        self.calendar = ALWAYS_OPEN

    @property
    def finished(self) -> bool:
        return self.met is not None or self.stopped is not None


class TimerOracle:
    """Replay one ticket's batches of events (and sweeps) and keep its timers."""

    def __init__(
        self,
        lifecycle: Lifecycle,
        calendars: Mapping[str, BusinessCalendar],
        *,
        bot_time_counts: bool = False,
    ) -> None:
        self.lc = lifecycle
        self.open = {name: OpenMinutes(cal) for name, cal in calendars.items()}
        self.open.setdefault(ALWAYS_OPEN, OpenMinutes(always_open_calendar()))
        self.bot_time_counts = bot_time_counts
        self.timers: dict[str, OTimer] = {}
        self.retired: list[OTimer] = []
        self.notices: list[tuple[str, int, str, int, int]] = []  # metric, cycle, kind, at, emitted
        self.now: int | None = None
        self.state = lifecycle.initial
        self.policy: SlaPolicy | None = None

    # ---------------------------------------------------------------- time

    def advance(self, minute: int) -> None:
        """Let the clocks run minute by minute up to ``minute``."""
        if self.now is None:
            self.now = minute
            return
        assert minute >= self.now
        for m in range(self.now, minute):
            for timer in self.timers.values():
                if timer.running and not timer.finished:
                    timer.ran.append(m)
        self.now = minute

    def reach(self, timer: OTimer, threshold_us: int, *, future: bool) -> int | None:
        """The instant (µs) at which the timer's open running time reaches the threshold."""
        is_open = self.open[timer.calendar]
        acc = 0
        for m in timer.ran:
            if is_open(m):
                if acc + MINUTE >= threshold_us:
                    return m * MINUTE + (threshold_us - acc)
                acc += MINUTE
        if not future or not timer.running or timer.finished:
            return None
        assert self.now is not None
        m = self.now
        for _ in range(60 * 24 * 400):  # a year and a bit of minutes is plenty for the tests
            if is_open(m):
                if acc + MINUTE >= threshold_us:
                    return m * MINUTE + (threshold_us - acc)
                acc += MINUTE
            m += 1
        raise AssertionError("no due instant within a year")

    def used_us(self, timer: OTimer) -> int:
        is_open = self.open[timer.calendar]
        return sum(MINUTE for m in timer.ran if is_open(m))

    def settle(self) -> None:
        """Mark every threshold reached by now; a reached one never moves."""
        assert self.now is not None
        now_us = self.now * MINUTE
        for timer in self.timers.values():
            if timer.finished or timer.target_us is None or timer.warn_us is None:
                continue
            if timer.warned_us is None:
                found = self.reach(timer, timer.warn_us, future=False)
                if found is not None and found <= now_us:
                    timer.warned_us = found
                    self.notices.append((timer.metric, timer.cycle, "warning", found, now_us))
            if timer.breached_us is None:
                found = self.reach(timer, timer.target_us, future=False)
                if found is not None and found <= now_us:
                    timer.breached_us = found
                    self.notices.append((timer.metric, timer.cycle, "breach", found, now_us))

    # ---------------------------------------------------------------- policy

    def _fields(self, metric: str) -> tuple[str | None, int | None, int | None, str]:
        policy = self.policy
        if policy is None:
            return None, None, None, ALWAYS_OPEN
        target = policy.targets.get(metric)
        calendar = target.calendar if target is not None and target.calendar else policy.calendar
        if target is None:
            return policy.name, None, None, calendar
        target_us = target.target // timedelta(microseconds=1)
        warn_us = (target.target * target.warn_at) // timedelta(microseconds=1)
        return policy.name, target_us, warn_us, calendar

    def _apply_policy(self, timer: OTimer) -> None:
        timer.policy, timer.target_us, timer.warn_us, timer.calendar = self._fields(timer.metric)

    # ---------------------------------------------------------------- events

    def new(self, metric: str, running: bool, *, handoff: int | None = None) -> OTimer:
        assert self.now is not None
        old = self.timers.get(metric)
        if old is not None:
            self.retired.append(old)
        timer = OTimer(metric, 1 if old is None else old.cycle + 1, self.now, running)
        timer.handoff = handoff
        self._apply_policy(timer)
        self.timers[metric] = timer
        return timer

    def finish(self, metric: str, *, met: bool) -> None:
        timer = self.timers.get(metric)
        if timer is None or timer.finished:
            return
        timer.running = False
        if met:
            timer.met = self.now
        else:
            timer.stopped = self.now

    def paused(self, state: str) -> bool:
        return "sla_paused" in self.lc.states[state].flags

    def category(self, state: str) -> StateCategory:
        return self.lc.states[state].category

    def handoff(self) -> None:
        first = self.timers.get("first_response")
        if first is None or first.finished or first.handoff is not None:
            return
        if not first.running:
            self.new("first_response", True, handoff=self.now)
        else:
            first.handoff = self.now

    def customer_waits(self) -> None:
        first = self.timers.get("first_response")
        if first is None or first.met is None:
            return
        current = self.timers.get("next_response")
        if current is None or current.finished:
            self.new("next_response", True)

    def batch(
        self,
        at: datetime,
        events: Sequence[TicketEvent],
        policy: SlaPolicy | None,
        merged: Mapping[str, Any] | None = None,
    ) -> None:
        """One command's events (all at ``at``); ``policy`` is in force for the batch."""
        self.advance(minute_of(at))
        for event in events:
            self.settle()
            self.policy = policy
            for timer in self.timers.values():
                if not timer.finished:
                    self._apply_policy(timer)
            self.settle()
            self.event(event, merged or {})
            self.settle()

    def sweep(self, at: datetime) -> None:
        self.advance(minute_of(at))
        self.settle()

    def event(self, e: TicketEvent, merged: Mapping[str, Any]) -> None:
        kind, data, state = e.kind, e.data, self.state
        timers = self.timers
        if kind == ev.TICKET_CREATED:
            self.state = data["status"]
            if "first_response" not in timers:
                self.new("first_response", True)
            if "resolution" not in timers:
                self.new("resolution", not self.paused(self.state))
        elif kind == ev.MESSAGE_RECEIVED:
            self.customer_waits()
        elif kind == ev.REPLY_SENT and data["author_kind"] == "agent":
            first = timers.get("first_response")
            if first is not None and not first.finished:
                if not first.running and first.handoff is None:
                    self.handoff()
                self.finish("first_response", met=True)
            self.finish("next_response", met=True)
            self.finish("periodic_update", met=True)
            if self.category(state) not in DONE:
                self.new("periodic_update", not self.paused(state))
        elif kind == ev.REPLY_SENT and data["author_kind"] == "bot":
            first = timers.get("first_response")
            if (
                not self.bot_time_counts
                and first is not None
                and not first.finished
                and first.running
                and first.cycle == 1
                and first.handoff is None
                and first.breached_us is None
            ):
                first.running = False
                first.ran = []
        elif (kind == ev.ASSIGNED and data.get("assignee_id")) or kind == ev.HANDOFF:
            self.handoff()
        elif kind in (ev.TRANSITIONED, ev.MERGED_INTO):
            before, after = data["from"], data["to"]
            self.state = after
            was, now = self.category(before), self.category(after)
            stops = self.paused(after)
            if now is StateCategory.CLOSED:
                self.finish("first_response", met=False)
                self.finish("next_response", met=False)
            res = timers.get("resolution")
            if res is not None:
                if now is StateCategory.CLOSED:
                    self.finish("resolution", met=False)
                elif now is StateCategory.SOLVED:
                    if was is not StateCategory.SOLVED:
                        self.finish("resolution", met=True)
                elif was in DONE and res.met is not None:
                    res.met = None
                    res.running = not stops
                elif not res.finished:
                    res.running = not stops
            periodic = timers.get("periodic_update")
            if periodic is not None and not periodic.finished:
                if now in DONE:
                    self.finish("periodic_update", met=False)
                else:
                    periodic.running = not stops
        elif kind == ev.REOPENED:
            self.customer_waits()

    # ---------------------------------------------------------------- results

    def result(self) -> dict[str, dict[str, Any]]:
        """Each metric's current cycle in comparable form (instants as aware datetimes)."""
        out: dict[str, dict[str, Any]] = {}
        for metric, t in self.timers.items():
            due = warn = None
            if not t.finished:
                # A reached threshold keeps its instant, even if no target applies any more.
                warn_us, due_us = t.warned_us, t.breached_us
                if t.target_us is not None and t.warn_us is not None:
                    if warn_us is None:
                        warn_us = self.reach(t, t.warn_us, future=True)
                    if due_us is None:
                        due_us = self.reach(t, t.target_us, future=True)
                warn = None if warn_us is None else instant(warn_us)
                due = None if due_us is None else instant(due_us)
            status = (
                "breached"
                if t.breached_us is not None
                else "met"
                if t.met is not None
                else "stopped"
                if t.stopped is not None
                else "active"
                if t.running
                else "paused"
            )
            out[metric] = {
                "cycle": t.cycle,
                "started_at": instant(t.started * MINUTE),
                "status": status,
                "policy": t.policy,
                "calendar": t.calendar,
                "used": timedelta(microseconds=self.used_us(t)),
                "warned_at": None if t.warned_us is None else instant(t.warned_us),
                "breached_at": None if t.breached_us is None else instant(t.breached_us),
                "met_at": None if t.met is None else instant(t.met * MINUTE),
                "stopped_at": None if t.stopped is None else instant(t.stopped * MINUTE),
                "handoff_at": None if t.handoff is None else instant(t.handoff * MINUTE),
                "warn_at": warn,
                "due_at": due,
            }
        return out

    def notice_list(self) -> list[tuple[str, int, str, datetime, datetime]]:
        return sorted(
            (m, c, k, instant(at), instant(emitted)) for m, c, k, at, emitted in self.notices
        )


def engine_view(
    timer: Any, calendar_of: Callable[[str], BusinessCalendar], now: datetime
) -> dict[str, Any]:
    """The engine's timer in the oracle's comparable form."""
    finished = timer.finished
    end = now
    if finished:
        end = timer.met_at or timer.stopped_at
    return {
        "cycle": timer.cycle,
        "started_at": timer.started_at,
        "status": timer.status.value,
        "policy": timer.policy,
        "calendar": timer.calendar,
        "used": timer.used_at(end, calendar_of(timer.calendar)),
        "warned_at": timer.warned_at,
        "breached_at": timer.breached_at,
        "met_at": timer.met_at,
        "stopped_at": timer.stopped_at,
        "handoff_at": timer.handoff_at,
        "warn_at": None if finished else timer.warn_at,
        "due_at": None if finished else timer.due_at,
    }
