"""Property tests against brute-force oracles: waits in business days, and time rules that
fire once per entry into their condition under random status changes and sweeps."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk_kit.automation import parse_wait
from helpdesk_kit.clock import FrozenClock
from helpdesk_kit.desk import Helpdesk
from helpdesk_kit.sla.calendar import BusinessCalendar
from helpdesk_kit.tickets import events as ev

ZONE = ZoneInfo("Asia/Shanghai")
HOLIDAYS = [date(2026, 1, 1), date(2026, 1, 2), date(2026, 2, 17), date(2026, 10, 1)]
CALENDAR = BusinessCalendar(
    "Asia/Shanghai", {d: [(time(9), time(18))] for d in range(5)}, holidays=HOLIDAYS
)


def oracle_business_days(start: datetime, days: int) -> datetime:
    """Count forward one calendar day at a time; a day counts when it has opening hours."""
    local = start.astimezone(ZONE)
    day, counted = local.date(), 0
    while counted < days:
        day += timedelta(days=1)
        weekday_open = day.weekday() < 5
        if weekday_open and day not in HOLIDAYS:
            counted += 1
    return datetime.combine(day, local.time(), tzinfo=ZONE)


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(2025, 12, 1),
        max_value=datetime(2026, 12, 1),
        timezones=st.just(UTC),
    ),
    days=st.integers(1, 30),
)
def test_business_days_match_the_day_by_day_oracle(start: datetime, days: int) -> None:
    problems: list[str] = []
    wait = parse_wait(f"{days}bd", "after", problems)
    assert wait is not None
    found = wait.deadline(start, CALENDAR)
    assert found == oracle_business_days(start, days)
    assert found.tzinfo is start.tzinfo


STEPS = st.lists(
    st.tuples(st.sampled_from(["toggle", "sweep", "sweep", "tag"]), st.integers(1, 150)),
    min_size=1,
    max_size=30,
)


@settings(max_examples=40, deadline=None)
@given(steps=STEPS)
def test_time_rule_fires_once_per_entry_like_the_oracle(steps: list[tuple[str, int]]) -> None:
    clock = FrozenClock(datetime(2026, 11, 2, 1, 0, tzinfo=UTC))
    desk = Helpdesk(clock=clock, load_entrypoints=False)
    desk.configure_automation(
        {
            "time_rules": [
                {
                    "name": "waiting-2h",
                    "when": {"field": "ticket.status", "op": "eq", "value": "pending"},
                    "after": "2h",
                    "actions": [{"action": "add_tag", "tags": "reminded"}],
                }
            ]
        }
    )
    agent = desk.add_agent("A")
    ticket = desk.open_ticket(desk.add_customer("c", email="c@example.com"), "s", "t")
    # the oracle: the current entry into "pending", whether it fired, every expected firing
    entry: datetime | None = None
    done = False
    expected: list[datetime] = []
    for kind, minutes in steps:
        clock.advance(timedelta(minutes=minutes))
        now = clock.now()
        if kind == "toggle":
            if desk.get_ticket(ticket).status == "pending":
                desk.transition(ticket, "resume", actor=agent)
                entry, done = None, False
            else:
                desk.transition(ticket, "pend", actor=agent)
                entry, done = now, False
        elif kind == "tag":
            desk.tag(ticket, add=[f"t{minutes}"], actor=agent)  # an event that changes nothing
        else:
            desk.sweep()
            if entry is not None and not done and now >= entry + timedelta(hours=2):
                expected.append(now)
                done = True
    fired = [e.at for e in desk.events(ticket) if e.kind == ev.AUTOMATION_FIRED]
    assert fired == expected
