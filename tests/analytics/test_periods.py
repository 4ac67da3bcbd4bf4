"""Periods and buckets in the desk's zone, across midnight and DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk_kit.analytics.periods import (
    Period,
    bucket_label,
    bucket_start,
    frame,
    ms_of,
    parse_period,
)
from helpdesk_kit.errors import InvalidInput

from .conftest import BACKENDS, make_desk

NY = "America/New_York"
BERLIN = "Europe/Berlin"


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026-11", date(2026, 11, 1), date(2026, 12, 1)),
        ("2026-12", date(2026, 12, 1), date(2027, 1, 1)),
        ("2026-W48", date(2026, 11, 23), date(2026, 11, 30)),
        ("2026-W53", date(2026, 12, 28), date(2027, 1, 4)),
        ("2026-11-26", date(2026, 11, 26), date(2026, 11, 27)),
        ("2026-Q4", date(2026, 10, 1), date(2027, 1, 1)),
        ("2026", date(2026, 1, 1), date(2027, 1, 1)),
        ("2026-11-01..2026-11-15", date(2026, 11, 1), date(2026, 11, 16)),
    ],
)
def test_parse_period(text, start, end):
    p = parse_period(text)
    assert (p.start, p.end, p.label) == (start, end, text)


@pytest.mark.parametrize("bad", ["2026-13", "26-11", "2026-W60", "", "2026-11-31", "nov", 202611])
def test_bad_periods(bad):
    with pytest.raises(InvalidInput):
        parse_period(bad)


def test_previous_period():
    assert parse_period("2026-01").previous().label == "2025-12"
    assert parse_period("2026-W48").previous().start == date(2026, 11, 16)


def test_frame_bounds_follow_the_zone_across_dst():
    nov = frame("2026-11", NY)  # DST ends on Sunday 2026-11-01 at 02:00 EDT
    assert nov.start_ms == ms_of(datetime(2026, 11, 1, 4, tzinfo=UTC))  # 00:00 EDT
    assert nov.end_ms == ms_of(datetime(2026, 12, 1, 5, tzinfo=UTC))  # 00:00 EST
    assert [off // 3_600_000 for _, off in nov.segments] == [-4, -5]
    assert nov.segments[1][0] == ms_of(datetime(2026, 11, 1, 6, tzinfo=UTC))
    march = frame("2026-03", BERLIN)  # DST starts on 2026-03-29 at 02:00 CET
    assert [off // 3_600_000 for _, off in march.segments] == [1, 2]
    assert march.end_ms - march.start_ms == (31 * 24 - 1) * 3_600_000


def test_day_hour_weekday_around_the_fall_back_hour():
    fr = frame("2026-11", NY)
    first = ms_of(datetime(2026, 11, 1, 5, 30, tzinfo=UTC))  # 01:30 EDT
    second = ms_of(datetime(2026, 11, 1, 6, 30, tzinfo=UTC))  # 01:30 EST, an hour later
    late = ms_of(datetime(2026, 11, 2, 4, 30, tzinfo=UTC))  # 23:30 EST on Nov 1
    assert fr.day(first) == fr.day(second) == fr.day(late)
    assert (fr.hour(first), fr.hour(second), fr.hour(late)) == (1, 1, 23)
    assert fr.weekday(first) == 6  # Sunday
    assert bucket_label(fr.day(late), "day", fr.period) == "2026-11-01"
    assert bucket_label(fr.bucket(fr.day(late), "week"), "week", fr.period) == "2026-W44"
    assert bucket_label(fr.bucket(fr.day(late), "month"), "month", fr.period) == "2026-11"
    assert bucket_start(fr.bucket(fr.day(late), "week"), "week", fr.period) == date(2026, 10, 26)


def test_buckets_list_every_day_week_and_month():
    fr = frame("2026-11", "Asia/Shanghai")
    assert len(fr.buckets("day")) == 30
    assert [bucket_label(k, "week", fr.period) for k in fr.buckets("week")] == [
        "2026-W44",
        "2026-W45",
        "2026-W46",
        "2026-W47",
        "2026-W48",
        "2026-W49",
    ]
    assert fr.buckets("period") == [0]
    year = frame("2026", "Asia/Shanghai")
    assert [bucket_label(k, "month", year.period) for k in year.buckets("month")][-1] == "2026-12"


ZONES = ["UTC", "Asia/Shanghai", NY, BERLIN, "Australia/Lord_Howe", "Asia/Kathmandu"]


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(ZONES),
    st.integers(min_value=2024, max_value=2027),
    st.integers(min_value=1, max_value=12),
    st.floats(min_value=0, max_value=1),
)
def test_day_hour_and_buckets_match_zoneinfo(tz, year, month, where):
    """Oracle: the wall-clock date and hour zoneinfo gives for random instants of the month."""
    fr = frame(f"{year}-{month:02d}", tz)
    ms = fr.start_ms + int((fr.end_ms - fr.start_ms - 1) * where)
    wall = (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)).astimezone(ZoneInfo(tz))
    assert (wall.year, wall.month) == (year, month)
    day = fr.day(ms)
    assert date(1970, 1, 1) + timedelta(days=day) == wall.date()
    assert fr.hour(ms) == wall.hour
    assert fr.weekday(ms) == wall.weekday()
    assert bucket_start(fr.bucket(day, "week"), "week", fr.period) == wall.date() - timedelta(
        days=wall.weekday()
    )
    assert bucket_label(fr.bucket(day, "month"), "month", fr.period) == f"{year}-{month:02d}"


def test_period_validation():
    with pytest.raises(InvalidInput):
        Period(date(2026, 2, 1), date(2026, 1, 1), "x")
    with pytest.raises(InvalidInput, match="time zone"):
        frame("2026-11", "Mars/Olympus")


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_tickets_around_dst_are_counted_by_local_day_and_hour(helpdesk_storage):
    start = datetime(2026, 10, 31, tzinfo=UTC)
    desk = make_desk(helpdesk_storage, NY, start)
    customer = desk.add_customer("N", email="n@example.com")
    instants = [
        datetime(2026, 11, 1, 3, 59, tzinfo=UTC),  # 23:59 EDT Oct 31: not November
        datetime(2026, 11, 1, 4, 0, tzinfo=UTC),  # 00:00 EDT: the first instant
        datetime(2026, 11, 1, 4, 30, tzinfo=UTC),  # 00:30 EDT
        datetime(2026, 11, 1, 5, 30, tzinfo=UTC),  # 01:30 EDT
        datetime(2026, 11, 1, 6, 30, tzinfo=UTC),  # 01:30 EST (the repeated hour)
        datetime(2026, 11, 2, 4, 30, tzinfo=UTC),  # 23:30 EST, still Nov 1 (UTC says Nov 2)
        datetime(2026, 11, 2, 5, 30, tzinfo=UTC),  # 00:30 EST Nov 2
        datetime(2026, 12, 1, 4, 59, 59, tzinfo=UTC),  # 23:59:59 EST Nov 30: the last second
        datetime(2026, 12, 1, 5, 0, tzinfo=UTC),  # 00:00 EST Dec 1: not November
    ]
    for at in instants:
        desk.clock.set(at)
        desk.open_ticket(customer, "q", "question", channel="email", actor=customer)
    by_day = {r.bucket: r["tickets"] for r in desk.kpi("volume", "2026-11", grain="day")}
    assert by_day == {"2026-11-01": 5, "2026-11-02": 1, "2026-11-30": 1}
    by_hour = {r["hour"]: r["tickets"] for r in desk.kpi("volume", "2026-11", by="hour")}
    assert by_hour == {0: 3, 1: 2, 23: 2}
    weeks = {r.bucket: r["tickets"] for r in desk.kpi("volume", "2026-11", grain="week")}
    assert weeks == {"2026-W44": 5, "2026-W45": 1, "2026-W49": 1}
    october = desk.kpi("volume", "2026-10", grain="day")
    assert [(r.bucket, r["tickets"]) for r in october] == [("2026-10-31", 1)]


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_spring_forward_day_has_23_hours(helpdesk_storage):
    desk = make_desk(helpdesk_storage, BERLIN, datetime(2026, 3, 28, tzinfo=UTC))
    ann = desk.add_agent("Ann")
    customer = desk.add_customer("B", email="b@example.de")
    desk.clock.set(datetime(2026, 3, 29, 0, 30, tzinfo=UTC))  # 01:30 CET
    t = desk.open_ticket(customer, "q", "frage", channel="email", assignee=ann, actor=customer)
    desk.clock.set(datetime(2026, 3, 29, 1, 30, tzinfo=UTC))  # 03:30 CEST: 1 h later
    desk.reply(t, "antwort", author=ann)
    desk.clock.set(datetime(2026, 3, 31, 22, 30, tzinfo=UTC))  # 00:30 CEST on April 1
    desk.open_ticket(customer, "q2", "frage", channel="email", actor=customer)
    frt = desk.kpi("first_response", "2026-03", grain="day")
    assert [(r.bucket, r["count"], r["p50_s"]) for r in frt] == [("2026-03-29", 1, 3600.0)]
    by_hour = {r["hour"]: r["tickets"] for r in desk.kpi("volume", "2026-03", by="hour")}
    assert by_hour == {1: 1}
    assert [r.bucket for r in desk.kpi("volume", "2026-04", grain="day")] == ["2026-04-01"]
