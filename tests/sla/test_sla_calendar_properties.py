"""Property tests: BusinessCalendar against the brute-force minute oracle."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sla_oracle import MINUTE_US, MinuteOracle, from_us, to_us

from helpdesk_kit.sla import BusinessCalendar, china_business_calendar

ZONES = [
    "America/New_York",
    "Europe/Berlin",
    "Asia/Shanghai",
    "Australia/Lord_Howe",  # 30-minute DST shift
    "America/Santiago",  # changes at local midnight
]
PROPERTY_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _transition_days(zone: str) -> list[date]:
    """Local days in 2025–2026 on which the zone's UTC offset changes (scanning hours)."""
    tz = ZoneInfo(zone)
    found = []
    hour = datetime(2025, 1, 1, tzinfo=UTC)
    offset = hour.astimezone(tz).utcoffset()
    while hour.year < 2027:
        hour += timedelta(hours=1)
        local = hour.astimezone(tz)
        if local.utcoffset() != offset:
            offset = local.utcoffset()
            found.append(local.date())
    return found


ANCHORS = {zone: _transition_days(zone) for zone in ZONES}
# China: the weeks around the 2025–2026 holidays with weekend make-up days.
ANCHORS["Asia/Shanghai"] = [
    date(2025, 1, 24),
    date(2025, 2, 6),
    date(2025, 4, 25),
    date(2025, 9, 26),
    date(2025, 10, 9),
    date(2026, 1, 1),
    date(2026, 2, 12),
    date(2026, 2, 26),
    date(2026, 5, 7),
    date(2026, 9, 18),
    date(2026, 10, 8),
    date(2025, 12, 30),
]
assert all(len(ANCHORS[z]) >= 4 for z in ZONES if z != "Asia/Shanghai")

# Boundary minutes near the interesting wall-clock times (DST switches, midnight).
SPECIAL_MINUTES = [0, 30, 60, 90, 120, 135, 150, 165, 180, 210, 1380, 1410, 540, 720, 780, 1080]
minutes = st.one_of(st.sampled_from(SPECIAL_MINUTES), st.integers(0, 1439))


def _t(minute: int) -> time:
    return time(minute // 60, minute % 60)


@st.composite
def day_ranges(draw: st.DrawFn) -> list[tuple[time, time]]:
    """0–3 non-overlapping ranges; the last may run overnight or be a full day."""
    kind = draw(st.sampled_from(["closed", "ranges", "ranges", "ranges", "full"]))
    if kind == "closed":
        return []
    if kind == "full":
        m = draw(minutes)
        return [(_t(m), _t(m))]
    points = sorted(set(draw(st.lists(minutes, min_size=2, max_size=6))))
    if len(points) % 2:
        points = points[:-1]
    ranges = [(_t(points[i]), _t(points[i + 1])) for i in range(0, len(points), 2)]
    if ranges and draw(st.booleans()):
        start = points[-2]
        end = draw(st.integers(0, start))  # end <= start: ends on the next day
        ranges[-1] = (_t(start), _t(end))
    return ranges


@st.composite
def calendars(draw: st.DrawFn) -> tuple[BusinessCalendar, MinuteOracle, int, int]:
    """A random calendar around a DST change (or a China holiday) and its oracle."""
    zone = draw(st.sampled_from(ZONES))
    anchor = draw(st.sampled_from(ANCHORS[zone]))
    first_day = anchor - timedelta(days=draw(st.integers(0, 3)))
    days = [first_day + timedelta(days=i) for i in range(-1, 8)]
    weekly = {wd: draw(day_ranges()) for wd in range(7)}
    holidays = set(draw(st.lists(st.sampled_from(days), max_size=3)))
    overrides = {d: draw(day_ranges()) for d in draw(st.lists(st.sampled_from(days), max_size=3))}
    calendar = BusinessCalendar(zone, weekly, holidays, overrides)

    def ranges_of(day: date) -> Sequence[tuple[time, time]]:
        # Precedence written out independently: override > holiday > weekly hours.
        if day in overrides:
            return overrides[day]
        if day in holidays:
            return []
        return weekly[day.weekday()]

    tz = ZoneInfo(zone)
    lo = datetime.combine(first_day, time(0), tz)
    hi = lo + timedelta(days=5)
    oracle = MinuteOracle(zone, ranges_of, lo, hi)
    return calendar, oracle, oracle.lo_us, oracle.hi_us


@st.composite
def china_windows(draw: st.DrawFn) -> tuple[BusinessCalendar, MinuteOracle, int, int]:
    """The China Mon–Fri 9–18 calendar and an oracle that asks chinese_calendar directly."""
    anchor = draw(st.sampled_from(ANCHORS["Asia/Shanghai"]))
    first_day = anchor + timedelta(days=draw(st.integers(-3, 3)))

    def ranges_of(day: date) -> Sequence[tuple[time, time]]:
        return [(time(9), time(18))] if chinese_calendar.is_workday(day) else []

    tz = ZoneInfo("Asia/Shanghai")
    lo = datetime.combine(first_day, time(0), tz)
    oracle = MinuteOracle("Asia/Shanghai", ranges_of, lo, lo + timedelta(days=12))
    return CHINA, oracle, oracle.lo_us, oracle.hi_us


CHINA = china_business_calendar()


def instants(lo: int, hi: int) -> st.SearchStrategy[int]:
    """Arbitrary microsecond instants and whole minutes in ``[lo, hi)``."""
    return st.one_of(
        st.integers(lo, hi - 1),
        st.integers(lo // MINUTE_US, hi // MINUTE_US - 1).map(lambda m: m * MINUTE_US),
    )


def _aware(us: int, data: st.DataObject, zone: str) -> datetime:
    """An instant, presented in the calendar's zone (the fast path), UTC or another zone."""
    shown = data.draw(st.sampled_from([zone, zone, "UTC", "Asia/Tokyo", "America/Los_Angeles"]))
    return from_us(us).astimezone(ZoneInfo(shown))


def _check_calendar(
    calendar: BusinessCalendar, oracle: MinuteOracle, lo: int, hi: int, data: st.DataObject
) -> None:
    zone = calendar.timezone
    # is_open, next_open
    for _ in range(4):
        a = data.draw(instants(lo, hi))
        assert calendar.is_open(_aware(a, data, zone)) == oracle.is_open(a)
        expected = oracle.next_open(a)
        if expected is not None:
            got = calendar.next_open(_aware(a, data, zone))
            assert to_us(got) == expected
            assert got.tzinfo == ZoneInfo(zone)
    # elapsed in both directions, and additivity
    a, b, c = (data.draw(instants(lo, hi)) for _ in range(3))
    ea, eb, ec = (_aware(x, data, zone) for x in (a, b, c))
    elapsed_ab = calendar.elapsed(ea, eb)
    assert elapsed_ab == timedelta(microseconds=oracle.elapsed(a, b))
    assert calendar.elapsed(eb, ea) == -elapsed_ab
    assert elapsed_ab + calendar.elapsed(eb, ec) == calendar.elapsed(ea, ec)
    # add forwards and backwards, bounded by the open time the oracle's window holds
    for direction in (1, -1):
        start = data.draw(instants(lo, hi))
        available = oracle.elapsed(start, hi) if direction > 0 else oracle.elapsed(lo, start)
        how = data.draw(st.sampled_from(["any", "minutes", "to an edge"]))
        edges = [
            e if direction > 0 else s
            for s, e in (
                oracle.intervals(start, hi) if direction > 0 else oracle.intervals(lo, start)
            )
        ]
        if how == "to an edge" and edges:
            # Land exactly where an open interval ends (starts, going back): the earliest
            # (latest) instant is that edge, not the next interval's start (previous end).
            edge = data.draw(st.sampled_from(edges))
            d = abs(oracle.elapsed(start, edge))
        elif how == "minutes":
            d = data.draw(st.integers(0, available // MINUTE_US)) * MINUTE_US
        else:
            d = data.draw(st.integers(0, available))
        d *= direction
        got = calendar.add(_aware(start, data, zone), timedelta(microseconds=d))
        assert got.tzinfo == ZoneInfo(zone)
        expected_add = oracle.add(start, d)
        assert expected_add is not None
        assert to_us(got) == expected_add
        # elapsed(a, add(a, d)) == d, and nothing earlier (later, going back) would do
        if direction > 0:
            assert calendar.elapsed(_aware(start, data, zone), got) == timedelta(microseconds=d)
            # (step in UTC: aware datetime +/- timedelta is wall-clock arithmetic in Python)
            if d > 0:
                assert calendar.elapsed(
                    _aware(start, data, zone), from_us(to_us(got) - 1)
                ) < timedelta(microseconds=d)
        else:
            assert calendar.elapsed(got, _aware(start, data, zone)) == timedelta(microseconds=-d)
            if d < 0:
                assert calendar.elapsed(
                    from_us(to_us(got) + 1), _aware(start, data, zone)
                ) < timedelta(microseconds=-d)
    # open_intervals equals the oracle's runs of open minutes
    a, b = sorted(data.draw(instants(lo, hi)) for _ in range(2))
    runs = [
        (to_us(s), to_us(e))
        for s, e in calendar.open_intervals(_aware(a, data, zone), _aware(b, data, zone))
    ]
    assert runs == oracle.intervals(a, b)


@PROPERTY_SETTINGS
@given(case=calendars(), data=st.data())
def test_random_calendars_match_the_minute_oracle(
    case: tuple[BusinessCalendar, MinuteOracle, int, int], data: st.DataObject
) -> None:
    calendar, oracle, lo, hi = case
    _check_calendar(calendar, oracle, lo, hi, data)


@PROPERTY_SETTINGS
@given(case=china_windows(), data=st.data())
def test_china_schedule_matches_the_minute_oracle(
    case: tuple[BusinessCalendar, MinuteOracle, int, int], data: st.DataObject
) -> None:
    calendar, oracle, lo, hi = case
    _check_calendar(calendar, oracle, lo, hi, data)


@pytest.mark.parametrize("zone", ZONES)
def test_whole_window_agrees_minute_by_minute(zone: str) -> None:
    """Every minute around every 2025–2026 offset change, for a calendar with overnight and
    split ranges whose boundaries sit in the gaps and folds."""
    weekly = {
        wd: [
            (time(0, 30), time(1, 30)),
            (time(2, 15), time(3, 0)),
            (time(9), time(12)),
            (time(13), time(18)),
            (time(23), time(2, 30)),
        ]
        for wd in range(7)
    }
    calendar = BusinessCalendar(zone, weekly)
    tz = ZoneInfo(zone)
    for anchor in ANCHORS[zone]:
        lo = datetime.combine(anchor - timedelta(days=1), time(0), tz)
        oracle = MinuteOracle(zone, lambda d: weekly[d.weekday()], lo, lo + timedelta(days=3))
        for minute, is_open in enumerate(oracle.open):
            us = oracle.lo_us + minute * MINUTE_US
            assert calendar.is_open(from_us(us)) == is_open, from_us(us).astimezone(tz)
        assert calendar.elapsed(from_us(oracle.lo_us), from_us(oracle.hi_us)) == timedelta(
            minutes=sum(oracle.open)
        )


@pytest.mark.parametrize("zone", ZONES)
def test_same_zone_fast_path_equals_exact_conversion(zone: str) -> None:
    """Datetimes in the calendar's own zone skip the UTC conversion; check every minute
    around each offset change, both folds, and wall times inside the gaps."""
    calendar = BusinessCalendar(zone, {d: [(time(0), time(0))] for d in range(7)})
    tz = ZoneInfo(zone)
    calendar.is_open(datetime(2025, 6, 1, tzinfo=tz))
    calendar.is_open(datetime(2026, 6, 1, tzinfo=tz))  # index 2025–2026
    timeline = calendar._state.timeline
    assert timeline is not None
    assert timeline.fixed == (zone == "Asia/Shanghai")
    for anchor in ANCHORS[zone]:
        wall = datetime.combine(anchor - timedelta(days=1), time(0))
        for minute in range(3 * 1440):
            for fold in (0, 1):
                value = (wall + timedelta(minutes=minute)).replace(tzinfo=tz, fold=fold)
                assert timeline.key(value) == value - datetime(1970, 1, 1, tzinfo=UTC), value
