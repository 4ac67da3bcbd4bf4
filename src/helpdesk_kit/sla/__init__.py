"""Service levels: business calendars, holiday providers, SLA policies and timers."""

from __future__ import annotations

from helpdesk_kit.sla.calendar import (
    BusinessCalendar,
    DayRanges,
    OpeningRange,
    china_business_calendar,
)
from helpdesk_kit.sla.config import calendar_from_dict, load_policies, policy_set_from_dict
from helpdesk_kit.sla.defaults import GUIDE_CALENDAR, guide_policies
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
from helpdesk_kit.sla.policy import (
    ALWAYS_OPEN,
    CONDITION_FIELDS,
    METRICS,
    PolicySet,
    SlaPolicy,
    SlaTarget,
    always_open_calendar,
)
from helpdesk_kit.sla.promise import format_due, format_promise
from helpdesk_kit.sla.timers import (
    Notice,
    SlaContext,
    SlaSettings,
    SlaStatus,
    SlaTimer,
    apply,
    replay,
    step,
    tick,
)

__all__ = [
    "ALWAYS_OPEN",
    "CONDITION_FIELDS",
    "GUIDE_CALENDAR",
    "METRICS",
    "BusinessCalendar",
    "ChinaHolidays",
    "CountryHolidays",
    "DayRanges",
    "HolidayProvider",
    "HolidaySchedule",
    "IcalHolidays",
    "Notice",
    "OpeningRange",
    "PolicySet",
    "ProviderRegistry",
    "SlaContext",
    "SlaPolicy",
    "SlaSettings",
    "SlaStatus",
    "SlaTarget",
    "SlaTimer",
    "StaticHolidays",
    "always_open_calendar",
    "apply",
    "calendar_from_dict",
    "china_business_calendar",
    "format_due",
    "format_promise",
    "get_provider",
    "guide_policies",
    "load_policies",
    "policy_set_from_dict",
    "register_provider",
    "replay",
    "step",
    "tick",
]
