"""Holiday providers (static, ical, china, country) and their registry."""

from __future__ import annotations

import pickle
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from helpdesk_kit.errors import ConfigurationError, HolidayDataMissing, InvalidInput
from helpdesk_kit.sla import (
    BusinessCalendar,
    ChinaHolidays,
    CountryHolidays,
    HolidayProvider,
    HolidaySchedule,
    IcalHolidays,
    ProviderRegistry,
    StaticHolidays,
    china_business_calendar,
    get_provider,
)
from helpdesk_kit.sla.holidays import format_years, parse_ical

SHANGHAI = ZoneInfo("Asia/Shanghai")


def days(first: date, last: date) -> set[date]:
    return {first + timedelta(days=i) for i in range((last - first).days + 1)}


# --- China: the State Council's 2025 and 2026 notices -------------------------------------

CHINA_MAKEUP_DAYS = {
    2025: {
        date(2025, 1, 26),
        date(2025, 2, 8),
        date(2025, 4, 27),
        date(2025, 9, 28),
        date(2025, 10, 11),
    },
    2026: {
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    },
}
CHINA_HOLIDAYS = {
    2025: {date(2025, 1, 1)}
    | days(date(2025, 1, 28), date(2025, 2, 4))
    | days(date(2025, 4, 4), date(2025, 4, 6))
    | days(date(2025, 5, 1), date(2025, 5, 5))
    | days(date(2025, 5, 31), date(2025, 6, 2))
    | days(date(2025, 10, 1), date(2025, 10, 8)),
    2026: days(date(2026, 1, 1), date(2026, 1, 3))
    | days(date(2026, 2, 15), date(2026, 2, 23))
    | days(date(2026, 4, 4), date(2026, 4, 6))
    | days(date(2026, 5, 1), date(2026, 5, 5))
    | days(date(2026, 6, 19), date(2026, 6, 21))
    | days(date(2026, 9, 25), date(2026, 9, 27))
    | days(date(2026, 10, 1), date(2026, 10, 7)),
}


@pytest.mark.parametrize("year", [2025, 2026])
def test_china_provider_matches_the_official_schedule(year: int) -> None:
    schedule = ChinaHolidays().schedule(year)
    assert schedule.working_days == CHINA_MAKEUP_DAYS[year]
    assert schedule.holidays == CHINA_HOLIDAYS[year]
    assert "国庆" in schedule.names[date(year, 10, 1)]
    assert all(d.weekday() >= 5 for d in schedule.working_days)


def test_china_calendar_opens_on_makeup_weekends_and_closes_for_holidays() -> None:
    cal = china_business_calendar()
    for year in (2025, 2026):
        for day in CHINA_MAKEUP_DAYS[year]:
            assert cal.is_open(datetime.combine(day, time(10), SHANGHAI)), day
        for day in CHINA_HOLIDAYS[year]:
            assert not cal.is_working_day(day), day
    # 2025 has 248 working days: 365 - 104 weekend days - 18 holidays falling on weekdays
    # (1 + 6 + 1 + 3 + 1 + 6) + 5 make-up days.
    weekday_holidays = [d for d in CHINA_HOLIDAYS[2025] if d.weekday() < 5]
    assert len(weekday_holidays) == 18
    first = datetime(2025, 1, 1, tzinfo=SHANGHAI)
    assert cal.elapsed(first, datetime(2026, 1, 1, tzinfo=SHANGHAI)) == timedelta(hours=9 * 248)


def test_schedules_are_read_only_and_picklable() -> None:
    schedule = ChinaHolidays().schedule(2026)
    clone = pickle.loads(pickle.dumps(schedule))
    assert clone == schedule
    assert clone.names == schedule.names
    with pytest.raises(TypeError):
        schedule.names[date(2026, 1, 5)] = "x"  # type: ignore[index]


def test_china_provider_years_and_missing_year() -> None:
    provider = ChinaHolidays()
    assert {2004, 2025, 2026} <= provider.years
    assert 2027 not in provider.years
    with pytest.raises(HolidayDataMissing) as info:
        provider.schedule(2027)
    assert info.value.year == 2027
    assert info.value.provider == "china"
    assert isinstance(info.value, ConfigurationError)
    with pytest.raises(HolidayDataMissing):
        provider.schedule(2003)


# --- static ---------------------------------------------------------------------------------


def test_static_provider() -> None:
    provider = StaticHolidays(
        holidays={date(2026, 5, 1): "Labour Day", date(2026, 12, 25): "Christmas"},
        working_days=[date(2026, 5, 9)],
    )
    assert provider.years == frozenset({2026})
    schedule = provider.schedule(2026)
    assert schedule == HolidaySchedule(
        2026, frozenset({date(2026, 5, 1), date(2026, 12, 25)}), frozenset({date(2026, 5, 9)})
    )
    assert schedule.names[date(2026, 5, 1)] == "Labour Day"
    with pytest.raises(HolidayDataMissing, match=r"2025.*covers 2026"):
        provider.schedule(2025)
    wide = StaticHolidays([date(2026, 5, 1)], years=range(2020, 2031))
    assert wide.schedule(2029).holidays == frozenset()
    assert StaticHolidays().years is None
    assert StaticHolidays().schedule(1999).holidays == set()
    assert provider == StaticHolidays(
        holidays=[date(2026, 12, 25), date(2026, 5, 1)], working_days=[date(2026, 5, 9)]
    )


def test_static_provider_rejects_bad_input() -> None:
    with pytest.raises(InvalidInput) as info:
        StaticHolidays(
            holidays=[date(2026, 5, 1), "2026-05-02", datetime(2026, 5, 3)],  # type: ignore[list-item]
            working_days=[date(2026, 5, 1)],
        )
    assert len(info.value.problems) == 3
    with pytest.raises(InvalidInput, match="ints"):
        StaticHolidays(years=["2026"])  # type: ignore[list-item]


# --- iCalendar ------------------------------------------------------------------------------

ICS = (
    "BEGIN:VCALENDAR\r\n"
    "VERSION:2.0\r\n"
    "PRODID:-//helpdesk_kit tests//EN\r\n"
    "BEGIN:VEVENT\r\n"
    "UID:1@test\r\n"
    "DTSTART;VALUE=DATE:20261001\r\n"
    "DTEND;VALUE=DATE:20261008\r\n"
    "SUMMARY:国庆节\\, National Day\r\n"
    "END:VEVENT\r\n"
    "BEGIN:VEVENT\r\n"
    "UID:2@test\r\n"
    "DTSTART;VALUE=DATE:20251231\r\n"
    "DTEND;VALUE=DATE:20260102\r\n"
    "SUMMARY:New Year\r\n"
    "BEGIN:VALARM\r\n"
    "TRIGGER:-PT15M\r\n"
    "ACTION:DISPLAY\r\n"
    "DTSTART:20251230T090000Z\r\n"
    "END:VALARM\r\n"
    "END:VEVENT\r\n"
    "BEGIN:VEVENT\r\n"
    'DTSTART;TZID="Asia/Shanghai";VALUE=DATE:20260501\r\n'
    "DURATION:P5D\r\n"
    "SUMMARY:Labour \r\n"
    " Day\r\n"
    "END:VEVENT\r\n"
    "BEGIN:VEVENT\r\n"
    "DTSTART;VALUE=DATE:20260509\r\n"
    "SUMMARY:补班 make-up working day\r\n"
    "END:VEVENT\r\n"
    "BEGIN:VEVENT\r\n"
    "DTSTART;VALUE=DATE:20260704\r\n"
    "STATUS:CANCELLED\r\n"
    "SUMMARY:Cancelled picnic\r\n"
    "END:VEVENT\r\n"
    "END:VCALENDAR\r\n"
)


def test_ical_all_day_and_multi_day_events() -> None:
    provider = IcalHolidays(ICS, working_day_pattern="补班")
    assert provider.years == frozenset({2025, 2026})
    assert provider.schedule(2025).holidays == {date(2025, 12, 31)}
    later = provider.schedule(2026)
    assert later.holidays == (
        {date(2026, 1, 1)}
        | days(date(2026, 5, 1), date(2026, 5, 5))
        | days(date(2026, 10, 1), date(2026, 10, 7))
    )
    assert later.working_days == {date(2026, 5, 9)}
    assert later.names[date(2026, 10, 3)] == "国庆节, National Day"
    assert later.names[date(2026, 5, 2)] == "Labour Day"
    assert date(2026, 7, 4) not in later.holidays  # cancelled
    with pytest.raises(HolidayDataMissing):
        provider.schedule(2027)
    # without the pattern the make-up day is just another holiday
    assert date(2026, 5, 9) in IcalHolidays(ICS).schedule(2026).holidays


def test_ical_calendar_end_to_end(tmp_path: Path) -> None:
    path = tmp_path / "holidays.ics"
    path.write_text(ICS, encoding="utf-8")
    provider = get_provider("ical", path=path, working_day_pattern="补班")
    cal = BusinessCalendar.from_provider(
        "Asia/Shanghai", {d: [(time(9), time(18))] for d in range(5)}, provider
    )
    assert not cal.is_working_day(date(2026, 10, 1))
    assert cal.is_working_day(date(2026, 5, 9))  # a Saturday make-up day
    assert cal.is_working_day(date(2026, 10, 8))
    assert get_provider("ical", text=ICS) == IcalHolidays(ICS)


def test_ical_lf_only_and_plain_date_values() -> None:
    text = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20260101\nEND:VEVENT\nEND:VCALENDAR\n"
    assert parse_ical(text)[0].start == date(2026, 1, 1)
    assert parse_ical(text)[0].end == date(2026, 1, 2)
    assert parse_ical("BEGIN:VCALENDAR\nEND:VCALENDAR\n") == ()


def test_ical_problems_are_all_reported() -> None:
    bad = (
        "BEGIN:VCALENDAR\n"
        "BEGIN:VEVENT\nDTSTART:20261001T090000Z\nDTEND:20261001T120000Z\nEND:VEVENT\n"
        "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20261225\nRRULE:FREQ=YEARLY\nSUMMARY:Xmas\n"
        "END:VEVENT\n"
        "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20261305\nEND:VEVENT\n"
        "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20261005\nDTEND;VALUE=DATE:20261001\nEND:VEVENT\n"
        "BEGIN:VEVENT\nSUMMARY:no start\nEND:VEVENT\n"
        "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20261005\nDURATION:PT4H\nEND:VEVENT\n"
        "this line has no colon\n"
        "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20261006\n"
    )
    with pytest.raises(InvalidInput) as info:
        parse_ical(bad)
    text = str(info.value)
    for needle in (
        "not an all-day date",
        "RRULE",
        "not a valid date",
        "ends (2026-10-01)",
        "no DTSTART",
        "PT4H",
        "no colon",
        "not closed",
    ):
        assert needle in text, needle
    assert len(info.value.problems) == 8
    with pytest.raises(InvalidInput, match="not iCalendar"):
        IcalHolidays("hello: world")
    with pytest.raises(InvalidInput, match="cannot read"):
        IcalHolidays.from_path("/nonexistent/holidays.ics")
    with pytest.raises(InvalidInput, match="exactly one"):
        get_provider("ical")


# --- country (holidays package) -------------------------------------------------------------


def test_country_provider_us_new_york() -> None:
    provider = get_provider("country", country="US", subdiv="NY")
    assert isinstance(provider, CountryHolidays)
    schedule = provider.schedule(2026)
    assert date(2026, 7, 3) in schedule.holidays  # Independence Day (observed), a Friday
    assert date(2026, 11, 26) in schedule.holidays  # Thanksgiving
    assert schedule.working_days == frozenset()
    with pytest.raises(HolidayDataMissing, match="country"):
        provider.schedule(max(provider.years) + 1)
    ny = BusinessCalendar.from_provider(
        "America/New_York", {d: [(time(9), time(17))] for d in range(5)}, provider
    )
    thursday = datetime(2026, 7, 2, 16, tzinfo=ZoneInfo("America/New_York"))
    assert ny.add(thursday, timedelta(hours=2)) == datetime(
        2026, 7, 6, 10, tzinfo=ZoneInfo("America/New_York")
    )


def test_country_provider_weekend_workdays() -> None:
    schedule = CountryHolidays("CN").schedule(2026)
    assert schedule.working_days == CHINA_MAKEUP_DAYS[2026]
    assert not schedule.working_days & schedule.holidays


def test_country_provider_unknown_country() -> None:
    with pytest.raises(InvalidInput, match="XX"):
        CountryHolidays("XX")
    with pytest.raises(InvalidInput, match="ZZ"):
        CountryHolidays("US", subdiv="ZZ")


# --- registry -------------------------------------------------------------------------------


def test_registry_builtins_and_errors() -> None:
    registry = ProviderRegistry.with_builtins()
    assert registry.names() == ["china", "country", "ical", "static"]
    assert isinstance(registry.get("china"), ChinaHolidays)
    assert registry.get("static", holidays=[date(2026, 5, 1)]).years == frozenset({2026})
    with pytest.raises(ConfigurationError, match=r"unknown holiday provider 'chna'.*china"):
        registry.get("chna")
    with pytest.raises(ConfigurationError, match=r"bad options.*country"):
        registry.get("country", nation="US")
    with pytest.raises(ConfigurationError, match="already registered"):
        registry.register("china", ChinaHolidays)


def test_registry_plugins_register_their_own() -> None:
    registry = ProviderRegistry()
    assert registry.names() == []
    assert "static" not in registry

    def company(year_end_closure: bool = True) -> HolidayProvider:
        closed = days(date(2026, 12, 24), date(2026, 12, 31)) if year_end_closure else set()
        return StaticHolidays(closed, years=[2026])

    registry.register("company", company)
    provider = registry.get("company")
    assert provider.schedule(2026).holidays == days(date(2026, 12, 24), date(2026, 12, 31))
    registry.register("company", lambda: StaticHolidays(years=[2026]), replace=True)
    assert registry.get("company").schedule(2026).holidays == frozenset()
    registry.register("broken", lambda: "not a provider")  # type: ignore[arg-type,return-value]
    with pytest.raises(ConfigurationError, match="returned str"):
        registry.get("broken")
    with pytest.raises(InvalidInput):
        registry.register("", company)
    with pytest.raises(InvalidInput):
        registry.register("x", 42)  # type: ignore[arg-type]
    assert "company" in repr(registry)


def test_format_years() -> None:
    assert format_years(None) == "every year"
    assert format_years([]) == "no year"
    assert format_years([2004, 2005, 2006, 2026, 2028, 2029]) == "2004–2006, 2026, 2028–2029"
