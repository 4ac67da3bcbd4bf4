"""Service levels: business calendars and the holiday providers behind them."""

from __future__ import annotations

from helpdesk_kit.sla.calendar import (
    BusinessCalendar,
    DayRanges,
    OpeningRange,
    china_business_calendar,
)
from helpdesk_kit.sla.holidays import (
    ChinaHolidays,
    CountryHolidays,
    HolidayProvider,
    HolidaySchedule,
    IcalHolidays,
    ProviderRegistry,
    StaticHolidays,
    get_provider,
    register_provider,
)

__all__ = [
    "BusinessCalendar",
    "ChinaHolidays",
    "CountryHolidays",
    "DayRanges",
    "HolidayProvider",
    "HolidaySchedule",
    "IcalHolidays",
    "OpeningRange",
    "ProviderRegistry",
    "StaticHolidays",
    "china_business_calendar",
    "get_provider",
    "register_provider",
]
