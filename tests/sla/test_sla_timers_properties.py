"""Property tests: the SLA state machine against the minute-by-minute oracle.

Random tickets (customer messages, agent and bot replies, notes, assignments, hand-offs,
lifecycle transitions, priority changes that switch policy, sweeps) on random calendars
(split days, overnight ranges, holidays, three zones, DST weeks) and random targets.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from timer_oracle import TimerOracle, engine_view

from helpdesk_kit.lifecycle import Lifecycle
from helpdesk_kit.lifecycle.builtins import SUPPORT
from helpdesk_kit.sla import (
    ALWAYS_OPEN,
    BusinessCalendar,
    PolicySet,
    SlaContext,
    SlaPolicy,
    SlaSettings,
    SlaTarget,
    always_open_calendar,
    apply,
    replay,
    tick,
)
from helpdesk_kit.sla.timers import unrecorded
from helpdesk_kit.tickets import events as ev
from helpdesk_kit.tickets.model import TicketEvent

LIFECYCLE = Lifecycle.from_dict(SUPPORT)
TICKET = "T1"
ZONES = ["Asia/Shanghai", "Europe/Berlin", "America/New_York"]
# Starts near the 2026 DST changes of Berlin (Mar 29, Oct 25) and New York (Mar 8, Nov 1).
STARTS = [
    date(2026, 3, 6),
    date(2026, 3, 27),
    date(2026, 10, 23),
    date(2026, 10, 30),
    date(2026, 5, 4),
    date(2026, 9, 28),
]
DAY_TEMPLATES = [
    [],
    [(time(9), time(18))],
    [(time(9), time(12)), (time(13), time(18))],
    [(time(8, 30), time(11, 15)), (time(14), time(20, 45))],
    [(time(22), time(2))],
    [(time(7), time(9)), (time(20), time(23, 59))],
]
TARGET_SECONDS = [30, 90, 300, 450, 1800, 3600, 5400, 7200, 14400, 28800, 86400]
FRACTIONS = [0.25, 0.5, 0.8, 0.9, 1 / 3]
ACTIONS = [
    "customer",
    "customer",
    "customer",
    "agent",
    "agent",
    "agent",
    "agent_pend",
    "bot",
    "bot",
    "note",
    "assign",
    "handoff",
    "t:pend",
    "t:hold",
    "t:resume",
    "t:solve",
    "t:solve",
    "t:reopen",
    "t:close",
    "t:mark_spam",
    "t:open",
    "prio:low",
    "prio:urgent",
    "prio:high",
    "sweep",
    "sweep",
]
GAPS = [0, 1, 2, 5, 17, 30, 61, 90, 240, 600, 1440, 2880]
PROPERTY_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def calendars(draw: st.DrawFn, start: date) -> BusinessCalendar:
    zone = draw(st.sampled_from(ZONES))
    weekly = {day: draw(st.sampled_from(DAY_TEMPLATES)) for day in range(7)}
    if not any(weekly.values()):
        weekly[0] = [(time(9), time(18))]
    offsets = draw(st.sets(st.integers(0, 20), max_size=4))
    holidays = [start + timedelta(days=k) for k in offsets]
    overrides = {}
    if draw(st.booleans()):
        overrides[start + timedelta(days=draw(st.integers(0, 10)))] = [(time(10), time(15))]
    return BusinessCalendar(zone, weekly, holidays, overrides)


@st.composite
def targets(draw: st.DrawFn) -> dict[str, SlaTarget]:
    out: dict[str, SlaTarget] = {}
    for metric in ("first_response", "next_response", "periodic_update", "resolution"):
        if draw(st.booleans()):
            calendar = draw(st.sampled_from([None, None, "c1", "c2", ALWAYS_OPEN]))
            out[metric] = SlaTarget(
                timedelta(seconds=draw(st.sampled_from(TARGET_SECONDS))),
                draw(st.sampled_from(FRACTIONS)),
                calendar,
            )
    if not out:
        out["first_response"] = SlaTarget(timedelta(minutes=30))
    return out


@st.composite
def scenarios(draw: st.DrawFn) -> dict:
    day = draw(st.sampled_from(STARTS))
    start = datetime.combine(day, time(0), UTC) + timedelta(minutes=draw(st.integers(0, 1439)))
    cals = {"c1": draw(calendars(day)), "c2": draw(calendars(day))}
    policies = [
        SlaPolicy(
            "urgent",
            {"priority": {"high", "urgent"}},
            draw(st.sampled_from(["c1", "c2", ALWAYS_OPEN])),
            draw(targets()),
        )
    ]
    if draw(st.booleans()):  # otherwise low/normal tickets have no policy at all
        policies.append(
            SlaPolicy("normal", {}, draw(st.sampled_from(["c1", "c2"])), draw(targets()))
        )
    steps = draw(
        st.lists(
            st.tuples(st.sampled_from(GAPS), st.sampled_from(ACTIONS)), min_size=8, max_size=40
        )
    )
    return {
        "start": start,
        "calendars": cals,
        "policies": PolicySet(policies, cals),
        "priority": draw(st.sampled_from(["normal", "urgent"])),
        "steps": steps,
        "tail": draw(st.sampled_from(GAPS)),
        "bot_time_counts": draw(st.booleans()),
    }


class Desk:
    """Records the events the desk would record for each action (support lifecycle)."""

    def __init__(self, start: datetime, priority: str) -> None:
        self.state = "new"
        self.priority = priority

    def _event(self, kind: str, at: datetime, actor: str = "system", **data: object):
        return TicketEvent(TICKET, kind, at, actor, data)

    def _transition(self, name: str, at: datetime) -> list[TicketEvent]:
        for t in LIFECYCLE.transitions:
            if t.name == name and self.state in t.sources:
                before, self.state = self.state, t.target
                data = {"transition": name, "from": before, "to": t.target}
                out = [self._event(ev.TRANSITIONED, at, **data)]
                was = LIFECYCLE.states[before].category.value
                now = LIFECYCLE.states[t.target].category.value
                if was in ("solved", "closed") and now not in ("solved", "closed"):
                    out.append(self._event(ev.REOPENED, at, **data))
                return out
        return []

    def created(self, at: datetime) -> list[TicketEvent]:
        return [
            self._event(ev.TICKET_CREATED, at, "customer:c", status="new", priority=self.priority),
            self._event(ev.MESSAGE_RECEIVED, at, "customer:c"),
        ]

    def act(self, action: str, at: datetime) -> list[TicketEvent]:
        if self.state == "closed":
            return []
        if action == "customer":
            out = [self._event(ev.MESSAGE_RECEIVED, at, "customer:c")]
            if self.state == "pending":
                out += self._transition("resume", at)
            elif self.state == "solved":
                out += self._transition("reopen", at)
            return out
        if action in ("agent", "agent_pend"):
            out = [self._event(ev.REPLY_SENT, at, "agent:a", author_kind="agent")]
            if self.state == "new":
                out += self._transition("open", at)
            if action == "agent_pend":
                out += self._transition("pend", at)
            return out
        if action == "bot":
            return [self._event(ev.REPLY_SENT, at, "bot:bot", author_kind="bot")]
        if action == "note":
            return [self._event(ev.NOTE_ADDED, at, "agent:a")]
        if action == "assign":
            return [self._event(ev.ASSIGNED, at, "system", assignee_id="a")]
        if action == "handoff":
            return [self._event(ev.HANDOFF, at, "bot:bot")]
        if action.startswith("t:"):
            return self._transition(action[2:], at)
        if action.startswith("prio:"):
            new = action[5:]
            if new == self.priority:
                return []
            old, self.priority = self.priority, new
            return [self._event(ev.PRIORITY_CHANGED, at, "agent:a", **{"from": old, "to": new})]
        raise AssertionError(action)


def _context(scenario: dict, priority: str) -> SlaContext:
    policy = scenario["policies"].select({"priority": priority})
    return SlaContext(
        TICKET,
        LIFECYCLE,
        policy,
        scenario["calendars"],
        SlaSettings(bot_time_counts=scenario["bot_time_counts"]),
    )


def _run(scenario: dict):
    cals = scenario["calendars"]
    oracle = TimerOracle(LIFECYCLE, cals, bot_time_counts=scenario["bot_time_counts"])
    desk = Desk(scenario["start"], scenario["priority"])
    at = scenario["start"]
    timers: dict = {}
    state = "new"
    notices: list = []
    trail: list[TicketEvent] = []

    def batch(events: list[TicketEvent]) -> None:
        nonlocal timers, state
        ctx = _context(scenario, desk.priority)
        result = apply(timers, events, state=state, ctx=ctx)
        timers, state = result.timers, result.state
        notices.extend((n, at) for n in result.notices)
        oracle.batch(at, events, ctx.policy)
        trail.extend(events)

    batch(desk.created(at))
    for gap, action in scenario["steps"]:
        at = at + timedelta(minutes=gap)
        if action == "sweep":
            timers, found = tick(timers, at)
            notices.extend((n, at) for n in found)
            oracle.sweep(at)
            continue
        events = desk.act(action, at)
        if events:
            batch(events)
    end = at + timedelta(minutes=scenario["tail"])
    timers, found = tick(timers, end)
    notices.extend((n, end) for n in found)
    oracle.sweep(end)
    return timers, notices, oracle, end, trail


def _calendar_of(scenario: dict):
    cals = {**scenario["calendars"], ALWAYS_OPEN: always_open_calendar()}
    return cals.__getitem__


@PROPERTY_SETTINGS
@given(scenarios())
def test_timers_match_the_minute_oracle(scenario: dict) -> None:
    timers, notices, oracle, end, _trail = _run(scenario)
    expected = oracle.result()
    got = {m: engine_view(t, _calendar_of(scenario), end) for m, t in timers.items()}
    assert got == expected
    engine_notices = sorted(
        (
            n.timer.metric,
            n.timer.cycle,
            n.kind,
            n.timer.warned_at if n.kind == "warning" else n.timer.breached_at,
            emitted,
        )
        for n, emitted in notices
    )
    assert engine_notices == oracle.notice_list()


@PROPERTY_SETTINGS
@given(scenarios())
def test_each_threshold_is_noticed_once(scenario: dict) -> None:
    _timers, notices, _oracle, _end, _trail = _run(scenario)
    keys = [(n.timer.metric, n.timer.cycle, n.kind) for n, _ in notices]
    assert len(keys) == len(set(keys))


@PROPERTY_SETTINGS
@given(scenarios())
def test_replaying_the_trail_gives_the_same_timers(scenario: dict) -> None:
    timers, notices, _oracle, end, trail = _run(scenario)
    # Recorded notice events are part of the trail, as the desk records them.
    recorded = [
        TicketEvent(TICKET, n.event_kind, at, "system", n.event_data()) for n, at in notices
    ]
    ctx = _context(scenario, _final_priority(scenario))
    rebuilt = replay(trail, ctx=ctx)
    again, _ = tick(rebuilt.timers, end)
    if not _policy_never_changed(scenario):
        return  # a replay applies today's policy from the start: nothing simple to compare
    assert again == timers
    assert unrecorded(rebuilt.notices, recorded) == []


def _final_priority(scenario: dict) -> str:
    priority = scenario["priority"]
    for _gap, action in scenario["steps"]:
        if action.startswith("prio:"):
            priority = action[5:]
    return priority


def _policy_never_changed(scenario: dict) -> bool:
    policies = scenario["policies"]
    first = policies.select({"priority": scenario["priority"]})
    return all(
        policies.select({"priority": a[5:]}) is first
        for _g, a in scenario["steps"]
        if a.startswith("prio:")
    )
