"""Hand-computed examples for BusinessCalendar: DST rules, overnight ranges, errors, API."""

from __future__ import annotations

import copy
import pickle
import threading
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from helpdesk_kit.errors import HolidayDataMissing, InvalidInput
from helpdesk_kit.sla import (
    BusinessCalendar,
    OpeningRange,
    StaticHolidays,
    china_business_calendar,
)

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
SHANGHAI = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)
US = timedelta(microseconds=1)
MON_FRI = {d: [(time(9), time(18))] for d in range(5)}


def every_day(*ranges: tuple[time, time]) -> dict[int, list[tuple[time, time]]]:
    return {d: list(ranges) for d in range(7)}


# --- basic arithmetic --------------------------------------------------------------------


def test_lunch_break_split_day() -> None:
    cal = BusinessCalendar("Asia/Shanghai", every_day((time(9), time(12)), (time(13), time(18))))
    start = datetime(2026, 3, 2, 11, tzinfo=SHANGHAI)
    assert cal.add(start, 2 * H) == datetime(2026, 3, 2, 14, tzinfo=SHANGHAI)
    assert cal.elapsed(start, datetime(2026, 3, 2, 14, tzinfo=SHANGHAI)) == 2 * H
    assert not cal.is_open(datetime(2026, 3, 2, 12, 30, tzinfo=SHANGHAI))
    assert cal.is_open(datetime(2026, 3, 2, 12, 59, 59, 999999, tzinfo=SHANGHAI)) is False
    assert cal.is_open(datetime(2026, 3, 2, 13, tzinfo=SHANGHAI))  # half-open: start is in
    assert not cal.is_open(datetime(2026, 3, 2, 18, tzinfo=SHANGHAI))  # ... end is out


def test_add_lands_on_the_end_of_a_range_not_the_next_start() -> None:
    cal = BusinessCalendar("Asia/Shanghai", every_day((time(9), time(12)), (time(13), time(18))))
    start = datetime(2026, 3, 2, 9, tzinfo=SHANGHAI)
    assert cal.add(start, 3 * H) == datetime(2026, 3, 2, 12, tzinfo=SHANGHAI)
    end = datetime(2026, 3, 2, 18, tzinfo=SHANGHAI)
    assert cal.add(end, -5 * H) == datetime(2026, 3, 2, 13, tzinfo=SHANGHAI)


def test_exact_to_the_microsecond() -> None:
    cal = BusinessCalendar("Europe/Berlin", MON_FRI)
    a = datetime(2026, 3, 6, 17, 59, 59, 999_998, tzinfo=BERLIN)  # Friday
    assert cal.add(a, 3 * US) == datetime(2026, 3, 9, 9, 0, 0, 1, tzinfo=BERLIN)
    assert cal.elapsed(a, datetime(2026, 3, 9, 9, 0, 0, 1, tzinfo=BERLIN)) == 3 * US
    b = datetime(2026, 3, 9, 9, 0, 0, 1, tzinfo=BERLIN)
    assert cal.add(b, -2 * US) == datetime(2026, 3, 6, 17, 59, 59, 999_999, tzinfo=BERLIN)
    assert cal.add(a, timedelta(seconds=1)) == datetime(2026, 3, 9, 9, 0, 0, 999_998, tzinfo=BERLIN)


def test_negative_elapsed_and_add() -> None:
    cal = BusinessCalendar("Asia/Shanghai", MON_FRI)
    a = datetime(2026, 3, 2, 10, tzinfo=SHANGHAI)
    b = datetime(2026, 3, 4, 15, tzinfo=SHANGHAI)
    assert cal.elapsed(a, b) == 23 * H
    assert cal.elapsed(b, a) == -23 * H
    assert cal.add(b, -23 * H) == a
    # backwards from a closed instant: the latest instant with that much open time before
    closed = datetime(2026, 3, 4, 20, tzinfo=SHANGHAI)
    assert cal.add(closed, -H) == datetime(2026, 3, 4, 17, tzinfo=SHANGHAI)
    assert cal.add(closed, -9 * H) == datetime(2026, 3, 4, 9, tzinfo=SHANGHAI)
    assert cal.add(closed, timedelta(0)) == closed


def test_next_open() -> None:
    cal = BusinessCalendar("Asia/Shanghai", MON_FRI)
    friday_night = datetime(2026, 3, 6, 19, tzinfo=SHANGHAI)
    assert cal.next_open(friday_night) == datetime(2026, 3, 9, 9, tzinfo=SHANGHAI)
    open_now = datetime(2026, 3, 9, 9, 30, tzinfo=SHANGHAI)
    assert cal.next_open(open_now) == open_now


def test_results_are_in_the_calendar_zone() -> None:
    cal = BusinessCalendar("Asia/Shanghai", MON_FRI)
    start = datetime(2026, 3, 2, 1, tzinfo=UTC)  # 09:00 in Shanghai
    due = cal.add(start, H)
    assert due.tzinfo == SHANGHAI
    assert due == datetime(2026, 3, 2, 10, tzinfo=SHANGHAI)
    assert cal.next_open(start).tzinfo == SHANGHAI
    first = next(cal.open_intervals(start, start + timedelta(days=1)))
    assert first[0].tzinfo == SHANGHAI


def test_open_intervals_clip_and_merge() -> None:
    cal = BusinessCalendar(
        "UTC",
        {
            0: [(time(9), time(12)), (time(12), time(18))],
            1: [(time(0), time(0))],
            2: [(time(0), time(6))],
        },
    )
    got = list(
        cal.open_intervals(
            datetime(2026, 3, 2, 10, tzinfo=UTC), datetime(2026, 3, 4, 3, tzinfo=UTC)
        )
    )
    assert got == [
        (datetime(2026, 3, 2, 10, tzinfo=UTC), datetime(2026, 3, 2, 18, tzinfo=UTC)),
        (datetime(2026, 3, 3, 0, tzinfo=UTC), datetime(2026, 3, 4, 3, tzinfo=UTC)),
    ]
    assert (
        list(cal.open_intervals(datetime(2026, 3, 4, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC)))
        == []
    )


# --- overnight ranges --------------------------------------------------------------------


def test_overnight_range_belongs_to_the_day_it_starts() -> None:
    friday = date(2026, 3, 6)
    cal = BusinessCalendar("Asia/Shanghai", {4: [(time(22), time(6))]})
    saturday_3am = datetime(2026, 3, 7, 3, tzinfo=SHANGHAI)
    assert cal.is_open(saturday_3am)
    assert (
        cal.elapsed(datetime(2026, 3, 6, tzinfo=SHANGHAI), datetime(2026, 3, 8, tzinfo=SHANGHAI))
        == 8 * H
    )
    # Friday's holiday closes the whole shift, Saturday's does not touch it
    assert not cal.with_holidays([friday]).is_open(saturday_3am)
    assert cal.with_holidays([date(2026, 3, 7)]).is_open(saturday_3am)


def test_equal_start_and_end_is_a_full_day() -> None:
    cal = BusinessCalendar("Asia/Shanghai", {2: [(time(0), time(0))], 5: [(time(8), time(8))]})
    wed = datetime(2026, 3, 4, tzinfo=SHANGHAI)
    assert cal.elapsed(wed, wed + timedelta(days=1)) == 24 * H
    sat = datetime(2026, 3, 7, 8, tzinfo=SHANGHAI)
    assert list(cal.open_intervals(sat - H, sat + timedelta(days=2))) == [
        (sat, sat + timedelta(days=1))
    ]


def test_overnight_range_across_new_year() -> None:
    cal = BusinessCalendar("Asia/Shanghai", every_day((time(22), time(6))))
    a = datetime(2025, 12, 31, 23, tzinfo=SHANGHAI)
    b = datetime(2026, 1, 1, 5, tzinfo=SHANGHAI)
    assert cal.elapsed(a, b) == 6 * H
    assert cal.add(a, 2 * H) == datetime(2026, 1, 1, 1, tzinfo=SHANGHAI)
    assert cal.add(b, -6 * H) == a
    assert cal.open_intervals(a, b).__next__() == (a, b)


# --- DST ---------------------------------------------------------------------------------
# New York 2026: spring forward Sun 8 March 02:00 EST -> 03:00 EDT,
#                fall back Sun 1 November 02:00 EDT -> 01:00 EST.


def test_spring_forward_range_is_an_hour_shorter() -> None:
    cal = BusinessCalendar("America/New_York", {6: [(time(0), time(6))]})
    sunday = datetime(2026, 3, 8, tzinfo=NY)
    assert cal.elapsed(sunday, sunday + timedelta(days=1)) == 5 * H


def test_fall_back_range_is_an_hour_longer() -> None:
    cal = BusinessCalendar("America/New_York", {5: [(time(22), time(6))]})  # Sat night
    saturday = datetime(2026, 10, 31, tzinfo=NY)
    assert cal.elapsed(saturday, saturday + timedelta(days=2)) == 9 * H


def test_boundaries_in_the_spring_gap_fall_on_the_jump() -> None:
    jump = datetime(2026, 3, 8, 7, tzinfo=UTC)  # 02:00 EST becomes 03:00 EDT
    starts_in_gap = BusinessCalendar("America/New_York", {6: [(time(2, 30), time(4))]})
    assert list(starts_in_gap.open_intervals(jump - 5 * H, jump + 5 * H)) == [
        (jump, datetime(2026, 3, 8, 4, tzinfo=NY))
    ]
    ends_in_gap = BusinessCalendar("America/New_York", {6: [(time(1), time(2, 30))]})
    assert list(ends_in_gap.open_intervals(jump - 5 * H, jump + 5 * H)) == [
        (datetime(2026, 3, 8, 1, tzinfo=NY), jump)
    ]
    inside_gap = BusinessCalendar("America/New_York", {6: [(time(2, 10), time(2, 50))]})
    assert inside_gap.elapsed(jump - 5 * H, jump + 5 * H) == timedelta(0)
    assert inside_gap.is_working_day(date(2026, 3, 8))  # it has a range, which never happens
    assert inside_gap.next_open(jump) == datetime(2026, 3, 15, 2, 10, tzinfo=NY)  # next week


def test_boundaries_in_the_autumn_fold_take_the_first_occurrence() -> None:
    first_0130 = datetime(2026, 11, 1, 1, 30, tzinfo=NY)  # fold=0: EDT
    second_0115 = datetime(2026, 11, 1, 1, 15, fold=1, tzinfo=NY)  # EST, the repeated hour
    assert first_0130.utcoffset() == -4 * H
    assert second_0115.utcoffset() == -5 * H
    ends_in_fold = BusinessCalendar("America/New_York", {6: [(time(0), time(1, 30))]})
    assert list(ends_in_fold.open_intervals(first_0130 - 5 * H, first_0130 + 5 * H)) == [
        (datetime(2026, 11, 1, tzinfo=NY), first_0130)
    ]
    assert not ends_in_fold.is_open(second_0115)  # the repeated half hour stays closed
    starts_in_fold = BusinessCalendar("America/New_York", {6: [(time(1, 30), time(5))]})
    assert starts_in_fold.is_open(second_0115)
    sunday = datetime(2026, 11, 1, tzinfo=NY)
    assert starts_in_fold.elapsed(sunday, sunday + timedelta(days=1)) == 4.5 * H
    assert starts_in_fold.next_open(sunday) == first_0130


def test_berlin_night_shift_across_both_changes() -> None:
    cal = BusinessCalendar("Europe/Berlin", {5: [(time(22), time(6))]})  # Saturday night
    spring = datetime(2026, 3, 28, 12, tzinfo=BERLIN)
    autumn = datetime(2026, 10, 24, 12, tzinfo=BERLIN)
    assert cal.elapsed(spring, spring + timedelta(days=1)) == 7 * H
    assert cal.elapsed(autumn, autumn + timedelta(days=1)) == 9 * H
    assert cal.add(datetime(2026, 10, 24, 22, tzinfo=BERLIN), 9 * H) == datetime(
        2026, 10, 25, 6, tzinfo=BERLIN
    )


def test_midnight_in_a_gap_santiago() -> None:
    # Chile springs forward at 24:00 on Sat 5 Sep 2026: Sunday has no 00:00–01:00.
    cal = BusinessCalendar("America/Santiago", {6: [(time(0), time(0))]})
    tz = ZoneInfo("America/Santiago")
    sunday = datetime(2026, 9, 6, 12, tzinfo=tz)
    assert cal.elapsed(sunday - 13 * H, sunday + 13 * H) == 23 * H
    assert cal.next_open(datetime(2026, 9, 5, 12, tzinfo=tz)) == datetime(2026, 9, 6, 1, tzinfo=tz)


# --- precedence, providers, copies ---------------------------------------------------------


def test_overrides_beat_holidays_beat_weekly_hours() -> None:
    day = date(2026, 3, 4)  # a Wednesday
    cal = BusinessCalendar(
        "Asia/Shanghai", MON_FRI, holidays={day}, overrides={day: [(time(10), time(11))]}
    )
    assert cal.ranges_on(day) == (OpeningRange(time(10), time(11)),)
    assert cal.without_overrides([day]).ranges_on(day) == ()
    assert cal.without_overrides([day]).without_holidays([day]).ranges_on(day) == (
        OpeningRange(time(9), time(18)),
    )
    closed = cal.with_overrides({day: []})
    assert not closed.is_working_day(day)
    assert cal.is_working_day(day)


def test_provider_working_day_and_precedence() -> None:
    makeup_sunday = date(2026, 3, 8)
    company_day_off = date(2026, 3, 10)
    provider = StaticHolidays(holidays=[date(2026, 3, 9)], working_days=[makeup_sunday])
    cal = BusinessCalendar.from_provider(
        "Asia/Shanghai", MON_FRI, provider, holidays=[company_day_off]
    )
    assert cal.ranges_on(makeup_sunday) == (OpeningRange(time(9), time(18)),)
    assert not cal.is_working_day(date(2026, 3, 9))
    assert not cal.is_working_day(company_day_off)
    # an explicit holiday beats the provider's working day; an override beats everything
    assert not cal.with_holidays([makeup_sunday]).is_working_day(makeup_sunday)
    assert cal.with_overrides({date(2026, 3, 9): [(time(9), time(12))]}).ranges_on(
        date(2026, 3, 9)
    ) == (OpeningRange(time(9), time(12)),)
    assert cal.with_provider(None).ranges_on(makeup_sunday) == ()


def test_makeup_hours_default_and_explicit() -> None:
    weekly = {0: [(time(10), time(18))], 1: [(time(9), time(17))], 2: [(time(9), time(17))]}
    provider = StaticHolidays(working_days=[date(2026, 3, 7)])  # a Saturday
    cal = BusinessCalendar.from_provider("UTC", weekly, provider)
    assert cal.ranges_on(date(2026, 3, 7)) == (OpeningRange(time(9), time(17)),)
    explicit = BusinessCalendar.from_provider(
        "UTC", weekly, provider, makeup_hours=[(time(8), time(12))]
    )
    assert explicit.ranges_on(date(2026, 3, 7)) == (OpeningRange(time(8), time(12)),)


def test_uncovered_provider_year_fails_lazily() -> None:
    provider = StaticHolidays(holidays=[date(2026, 5, 1)])  # covers 2026 only
    cal = BusinessCalendar.from_provider("Asia/Shanghai", MON_FRI, provider)  # no error yet
    inside = datetime(2026, 5, 1, 10, tzinfo=SHANGHAI)
    assert not cal.is_open(inside)
    with pytest.raises(HolidayDataMissing, match="2027"):
        cal.is_open(datetime(2027, 1, 4, 10, tzinfo=SHANGHAI))
    with pytest.raises(HolidayDataMissing, match="2027"):
        cal.add(datetime(2026, 12, 31, 17, tzinfo=SHANGHAI), 2 * H)
    with pytest.raises(HolidayDataMissing):
        cal.is_working_day(date(2025, 12, 31))
    assert cal.elapsed(inside, inside + H) == timedelta(0)  # the covered year still works


def test_china_calendar_past_its_data_raises() -> None:
    cal = china_business_calendar()
    with pytest.raises(HolidayDataMissing, match=r"china.*2027.*2004–2026"):
        cal.next_open(datetime(2027, 2, 1, tzinfo=SHANGHAI))


def test_with_holidays_returns_a_new_calendar() -> None:
    cal = BusinessCalendar("Asia/Shanghai", MON_FRI)
    day = date(2026, 3, 4)
    moment = datetime(2026, 3, 4, 10, tzinfo=SHANGHAI)
    assert cal.is_open(moment)  # builds cal's index
    closed = cal.with_holidays([day])
    assert not closed.is_open(moment)
    assert cal.is_open(moment)
    assert closed.without_holidays([day]) == cal
    assert hash(closed.without_holidays([day])) == hash(cal)


def test_equality_repr_pickle_copy() -> None:
    a = BusinessCalendar("Asia/Shanghai", MON_FRI, holidays=[date(2026, 5, 1)])
    b = BusinessCalendar(ZoneInfo("Asia/Shanghai"), {**MON_FRI, 5: []}, holidays={date(2026, 5, 1)})
    assert a == b
    assert hash(a) == hash(b)
    assert a != a.with_holidays([date(2026, 5, 4)])
    assert a != BusinessCalendar("Asia/Tokyo", MON_FRI, holidays=[date(2026, 5, 1)])
    assert repr(a) == (
        "BusinessCalendar('Asia/Shanghai', {Mon: 09:00–18:00, Tue: 09:00–18:00, "
        "Wed: 09:00–18:00, Thu: 09:00–18:00, Fri: 09:00–18:00}, holidays=1 day(s))"
    )
    assert "provider='china'" in repr(china_business_calendar())
    moment = datetime(2026, 3, 4, 10, tzinfo=SHANGHAI)
    a.is_open(moment)
    for clone in (pickle.loads(pickle.dumps(a)), copy.deepcopy(a), copy.copy(a)):
        assert clone == a
        assert clone.is_open(moment)
    with pytest.raises(AttributeError):
        a.timezone = "UTC"  # type: ignore[misc]


def test_threads_share_one_calendar() -> None:
    cal = china_business_calendar()
    start = datetime(2025, 1, 1, tzinfo=SHANGHAI)
    results: list[list[timedelta]] = []

    def work(offset: int) -> None:
        out = []
        for i in range(200):
            a = start + timedelta(days=(i * 7 + offset) % 700, hours=i % 24)
            out.append(cal.elapsed(a, a + timedelta(days=20)))
        results.append(out)

    threads = [threading.Thread(target=work, args=(0,)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 6
    assert all(r == results[0] for r in results)
    reference = china_business_calendar()  # a fresh calendar, built on one thread
    assert results[0][:50] == [
        reference.elapsed(
            start + timedelta(days=(i * 7) % 700, hours=i % 24),
            start + timedelta(days=(i * 7) % 700 + 20, hours=i % 24),
        )
        for i in range(50)
    ]


def test_far_apart_years() -> None:
    cal = BusinessCalendar("UTC", every_day((time(0), time(0))))
    a = datetime(2001, 1, 1, tzinfo=UTC)
    b = datetime(2031, 1, 1, tzinfo=UTC)
    assert cal.elapsed(a, b) == b - a
    assert cal.add(a, b - a) == b
    assert cal.add(b, a - b) == a


# --- errors --------------------------------------------------------------------------------


def test_naive_and_non_datetimes_are_refused() -> None:
    cal = BusinessCalendar("Asia/Shanghai", MON_FRI)
    naive = datetime(2026, 3, 2, 10)
    aware = datetime(2026, 3, 2, 10, tzinfo=SHANGHAI)
    for call in (
        lambda: cal.is_open(naive),
        lambda: cal.next_open(naive),
        lambda: cal.elapsed(naive, aware),
        lambda: cal.elapsed(aware, naive),
        lambda: cal.add(naive, H),
        lambda: cal.open_intervals(aware, naive),
    ):
        with pytest.raises(InvalidInput, match="naive"):
            call()
    with pytest.raises(InvalidInput, match="datetime"):
        cal.is_open(date(2026, 3, 2))  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="datetime"):
        cal.elapsed("2026-03-02", aware)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="timedelta"):
        cal.add(aware, 3600)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="date"):
        cal.ranges_on(aware)


def test_invalid_construction_lists_every_problem() -> None:
    with pytest.raises(InvalidInput) as info:
        BusinessCalendar(
            "Mars/Olympus_Mons",
            {
                7: [(time(9), time(17))],
                -1: [],
                0: [(time(9), time(12)), (time(11), time(13))],
                1: [("09:00", "18:00")],
                2: [(time(22), time(6)), (time(23), time(23, 30))],
                3: (time(9), time(18)),
                4: [(time(9, tzinfo=UTC), time(18))],
            },
            holidays=[datetime(2026, 1, 1), "2026-01-02"],
            overrides={"2026-01-03": [], date(2026, 1, 4): [(time(9),)]},
        )
    problems = info.value.problems
    assert len(problems) == 13, problems
    text = str(info.value)
    for needle in (
        "Mars/Olympus_Mons",
        "weekday 7",
        "weekday -1",
        "overlap",
        "'09:00'",
        "'18:00'",
        "23:00",
        "single range",
        "tzinfo",
        "datetime.datetime(2026, 1, 1",
        "'2026-01-02'",
        "'2026-01-03'",
        "(datetime.time(9, 0),)",
    ):
        assert needle in text, needle


def test_other_construction_errors() -> None:
    with pytest.raises(InvalidInput, match="mapping"):
        BusinessCalendar("UTC", [(time(9), time(17))])  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="IANA"):
        BusinessCalendar(8, MON_FRI)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="holiday provider"):
        BusinessCalendar("UTC", MON_FRI, provider=object())  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        OpeningRange("09:00", time(17))  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="iterable of dates"):
        BusinessCalendar("UTC", MON_FRI, holidays=date(2026, 1, 1))  # type: ignore[arg-type]


def test_never_open_calendar_reports_instead_of_looping() -> None:
    cal = BusinessCalendar("UTC", {}, overrides={date(2026, 3, 4): [(time(9), time(10))]})
    start = datetime(2026, 3, 1, tzinfo=UTC)
    assert cal.add(start, H) == datetime(2026, 3, 4, 10, tzinfo=UTC)
    with pytest.raises(InvalidInput, match="no open time"):
        cal.add(start, 2 * H)
    with pytest.raises(InvalidInput, match="no open time"):
        cal.next_open(datetime(2026, 3, 5, tzinfo=UTC))
    with pytest.raises(InvalidInput, match="no open time"):
        cal.add(start, -H)
