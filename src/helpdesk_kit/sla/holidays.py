"""Holiday providers: where a calendar's public holidays and make-up working days come from.

A provider answers one question, year by year: which days of ``year`` are closed all day
(``holidays``) and which days are working days although they would normally be closed
(``working_days``, e.g. China's weekend make-up working days, 调休/补班).  A year the
provider has no data for raises :class:`~helpdesk_kit.errors.HolidayDataMissing`, never an
empty answer, so a missing year cannot silently count its holidays as working days.

Providers are chosen by name through a :class:`ProviderRegistry`.  Built in:

``static``   a given list of holidays and working days (:class:`StaticHolidays`);
``ical``     the all-day events of an iCalendar file or text (:class:`IcalHolidays`);
``china``    China's official schedule, ``chinesecalendar`` package (:class:`ChinaHolidays`);
``country``  any country or subdivision of the ``holidays`` package (:class:`CountryHolidays`).
"""

from __future__ import annotations

import functools
import inspect
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime, timedelta
from os import PathLike
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import attrs

from helpdesk_kit.errors import ConfigurationError, HolidayDataMissing, InvalidInput

__all__ = [
    "ChinaHolidays",
    "CountryHolidays",
    "HolidayProvider",
    "HolidaySchedule",
    "IcalEvent",
    "IcalHolidays",
    "ProviderFactory",
    "ProviderRegistry",
    "StaticHolidays",
    "default_registry",
    "format_years",
    "get_provider",
    "parse_ical",
    "register_provider",
]


class _Names(Mapping[date, str]):
    """A read-only, picklable mapping of dates to holiday names."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[date, str] | None = None) -> None:
        self._data = dict(data or {})

    def __getitem__(self, key: date) -> str:
        return self._data[key]

    def __iter__(self) -> Iterator[date]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __reduce__(self) -> tuple[type[_Names], tuple[dict[date, str]]]:
        return (_Names, (self._data,))

    def __repr__(self) -> str:
        return f"{dict(sorted(self._data.items()))!r}"


def _frozen_names(value: Mapping[date, str]) -> Mapping[date, str]:
    return value if isinstance(value, _Names) else _Names(value)


@attrs.frozen
class HolidaySchedule:
    """One year of a provider's data: closed days, extra working days and their names."""

    year: int
    holidays: frozenset[date] = frozenset()
    working_days: frozenset[date] = frozenset()
    names: Mapping[date, str] = attrs.field(
        factory=dict, converter=_frozen_names, eq=False, hash=False, repr=False
    )


@runtime_checkable
class HolidayProvider(Protocol):
    """Anything that can tell a calendar the holidays and working days of a year."""

    @property
    def name(self) -> str:
        """Return the provider's registry name (used in error messages)."""
        ...

    @property
    def years(self) -> frozenset[int] | None:
        """Return the years this provider has data for (``None``: every year)."""
        ...

    def schedule(self, year: int) -> HolidaySchedule:
        """Return ``year``'s schedule; raise ``HolidayDataMissing`` for an uncovered year."""
        ...


def format_years(years: Iterable[int] | None) -> str:
    """Render a set of years compactly, e.g. ``2004–2026`` or ``2025, 2027``."""
    if years is None:
        return "every year"
    ordered = sorted(set(years))
    if not ordered:
        return "no year"
    spans: list[str] = []
    first = prev = ordered[0]
    for year in [*ordered[1:], None]:
        if year is not None and year == prev + 1:
            prev = year
            continue
        spans.append(str(first) if first == prev else f"{first}–{prev}")
        if year is not None:
            first = prev = year
    return ", ".join(spans)


def _check_covered(provider: HolidayProvider, year: int, hint: str = "") -> None:
    years = provider.years
    if years is not None and year not in years:
        raise HolidayDataMissing(provider.name, year, format_years(years), hint)


def _date_problems(values: Iterable[object], what: str) -> list[str]:
    problems: list[str] = []
    for value in values:
        if isinstance(value, datetime) or not isinstance(value, date):
            problems.append(f"{what}: {value!r} is not a date (use datetime.date)")
    return problems


def _years_option(years: Iterable[int] | None, what: str) -> frozenset[int] | None:
    if years is None:
        return None
    if isinstance(years, int):
        years = [years]
    try:
        found = frozenset(years)
    except TypeError:
        raise InvalidInput(f"{what}: years must be an iterable of ints, got {years!r}") from None
    bad = [y for y in found if not isinstance(y, int) or isinstance(y, bool)]
    if bad:
        raise InvalidInput(f"{what}: years must be ints, got {sorted(map(repr, bad))}")
    return found


def _span(dates: Iterable[date]) -> frozenset[int] | None:
    years = {d.year for d in dates}
    if not years:
        return None
    return frozenset(range(min(years), max(years) + 1))


# --- static ------------------------------------------------------------------------------


@attrs.frozen(init=False)
class StaticHolidays:
    """A fixed list of holidays and working days.

    ``years`` are the years the lists are complete for; by default every year from the
    earliest to the latest date given (so a list for 2026 does not claim to know 2027).
    With no dates and no ``years`` the provider covers every year and has no holidays.
    """

    holidays: frozenset[date]
    working_days: frozenset[date]
    years: frozenset[int] | None
    _names: tuple[tuple[date, str], ...] = attrs.field(eq=False, hash=False, repr=False)

    def __init__(
        self,
        holidays: Iterable[date] | Mapping[date, str] = (),
        working_days: Iterable[date] | Mapping[date, str] = (),
        years: Iterable[int] | None = None,
    ) -> None:
        holiday_list = list(holidays)
        working_list = list(working_days)
        problems = _date_problems(holiday_list, "holidays") + _date_problems(
            working_list, "working_days"
        )
        both = sorted(set(holiday_list) & set(working_list))
        problems += [f"{d.isoformat()} is both a holiday and a working day" for d in both]
        if problems:
            raise InvalidInput("invalid static holiday provider:", problems)
        names: dict[date, str] = {}
        for source in (holidays, working_days):
            if isinstance(source, Mapping):
                names.update({d: str(n) for d, n in source.items()})
        covered = _years_option(years, "static provider")
        if covered is None:
            covered = _span([*holiday_list, *working_list])
        self.__attrs_init__(
            frozenset(holiday_list), frozenset(working_list), covered, tuple(sorted(names.items()))
        )

    @property
    def name(self) -> str:
        """Return ``"static"``."""
        return "static"

    def schedule(self, year: int) -> HolidaySchedule:
        """Return the given dates that fall in ``year``."""
        _check_covered(self, year, "give the year's holidays (or its years=) to the provider")
        return HolidaySchedule(
            year,
            frozenset(d for d in self.holidays if d.year == year),
            frozenset(d for d in self.working_days if d.year == year),
            {d: n for d, n in self._names if d.year == year},
        )


# --- iCalendar ---------------------------------------------------------------------------


@attrs.frozen
class IcalEvent:
    """An all-day VEVENT: the days ``[start, end)``, its SUMMARY and whether it is a working day."""

    start: date
    end: date
    summary: str = ""
    working_day: bool = False

    def days(self) -> Iterator[date]:
        """Yield every day of the event."""
        day = self.start
        while day < self.end:
            yield day
            day += timedelta(days=1)


_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DURATION_RE = re.compile(r"^\+?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def _unfold(text: str) -> list[tuple[int, str]]:
    """Join folded content lines (RFC 5545 §3.1); return ``(line number, line)`` pairs."""
    lines: list[tuple[int, str]] = []
    for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        if raw[:1] in (" ", "\t") and lines:
            lines[-1] = (lines[-1][0], lines[-1][1] + raw[1:])
        elif raw.strip():
            lines.append((number, raw))
    return lines


def _split_content_line(line: str) -> tuple[str, dict[str, str], str] | None:
    """Split ``NAME;PARAM=V;...:VALUE`` honouring quoted parameter values."""
    quoted = False
    for i, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == ":" and not quoted:
            head, value = line[:i], line[i + 1 :]
            break
    else:
        return None
    parts: list[str] = []
    current = ""
    quoted = False
    for char in head:
        if char == '"':
            quoted = not quoted
        if char == ";" and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    params: dict[str, str] = {}
    for param in parts[1:]:
        key, _, val = param.partition("=")
        params[key.strip().upper()] = val.strip().strip('"')
    return parts[0].strip().upper(), params, value


def _unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def parse_ical(
    text: str, working_day_pattern: str | re.Pattern[str] | None = None
) -> tuple[IcalEvent, ...]:
    """Parse the all-day VEVENTs of iCalendar text; raise ``InvalidInput`` listing every problem.

    DTSTART must be a date (``DTSTART;VALUE=DATE:20261001``); the end is DTEND (exclusive)
    or DTSTART + DURATION in whole days or weeks, else one day.  Cancelled events are
    skipped.  Timed and recurring events are refused: a holiday closes whole days, and
    recurrence would need a horizon; expand them, or use overrides for partial days.
    Events whose SUMMARY matches ``working_day_pattern`` are working days (e.g. ``"补班"``).
    """
    pattern = (
        re.compile(working_day_pattern)
        if isinstance(working_day_pattern, str)
        else (working_day_pattern)
    )
    problems: list[str] = []
    events: list[IcalEvent] = []
    stack: list[str] = []
    props: dict[str, tuple[int, dict[str, str], str]] = {}
    event_line = 0
    seen_calendar = False
    for number, line in _unfold(text):
        split = _split_content_line(line)
        if split is None:
            problems.append(f"line {number}: not an iCalendar content line: {line[:60]!r}")
            continue
        name, params, value = split
        if name == "BEGIN":
            component = value.strip().upper()
            stack.append(component)
            seen_calendar = seen_calendar or component == "VCALENDAR"
            if component == "VEVENT":
                props = {}
                event_line = number
            continue
        if name == "END":
            component = value.strip().upper()
            if not stack or stack[-1] != component:
                problems.append(f"line {number}: END:{component} without matching BEGIN")
                continue
            stack.pop()
            if component == "VEVENT":
                event = _event_from(props, event_line, pattern, problems)
                if event is not None:
                    events.append(event)
            continue
        if stack and stack[-1] == "VEVENT" and name not in props:
            props[name] = (number, params, value)
    if stack:
        problems.append(f"component(s) not closed at end of data: {', '.join(stack)}")
    if not seen_calendar and not events and not problems:
        problems.append("no BEGIN:VCALENDAR found: this is not iCalendar data")
    if problems:
        raise InvalidInput("could not read the iCalendar holidays:", problems)
    return tuple(sorted(events, key=lambda e: (e.start, e.end, e.summary)))


def _ical_date(
    prop: tuple[int, dict[str, str], str], name: str, problems: list[str]
) -> date | None:
    number, params, value = prop
    value = value.strip()
    match = _DATE_RE.match(value)
    if params.get("VALUE", "DATE").upper() != "DATE" or match is None:
        problems.append(
            f"line {number}: {name} {value!r} is not an all-day date (want {name};VALUE=DATE:"
            "YYYYMMDD); timed events are not holidays — use an override for part of a day"
        )
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError as exc:
        problems.append(f"line {number}: {name} {value!r} is not a valid date ({exc})")
        return None


def _event_from(
    props: dict[str, tuple[int, dict[str, str], str]],
    line: int,
    pattern: re.Pattern[str] | None,
    problems: list[str],
) -> IcalEvent | None:
    if props.get("STATUS", (0, {}, ""))[2].strip().upper() == "CANCELLED":
        return None
    summary = _unescape(props["SUMMARY"][2]) if "SUMMARY" in props else ""
    where = f"line {line}: VEVENT {summary!r}" if summary else f"line {line}: VEVENT"
    for recurring in ("RRULE", "RDATE"):
        if recurring in props:
            problems.append(
                f"{where} has {recurring}; recurring events are not supported, list each occurrence"
            )
            return None
    if "DTSTART" not in props:
        problems.append(f"{where} has no DTSTART")
        return None
    start = _ical_date(props["DTSTART"], "DTSTART", problems)
    if start is None:
        return None
    end: date | None = start + timedelta(days=1)
    if "DTEND" in props:
        end = _ical_date(props["DTEND"], "DTEND", problems)
    elif "DURATION" in props:
        number, _, value = props["DURATION"]
        match = _DURATION_RE.match(value.strip())
        if match is None or any(match[i] and int(match[i]) for i in (3, 4, 5)):
            problems.append(f"line {number}: DURATION {value!r} is not whole days or weeks")
            return None
        end = start + timedelta(weeks=int(match[1] or 0), days=int(match[2] or 0))
    if end is None:
        return None
    if end <= start:
        problems.append(f"{where} ends ({end.isoformat()}) before it starts ({start.isoformat()})")
        return None
    working = bool(pattern is not None and pattern.search(summary))
    return IcalEvent(start, end, summary, working)


@attrs.frozen(init=False)
class IcalHolidays:
    """Holidays (and optionally working days) from the all-day events of an iCalendar file.

    ``years`` defaults to every year from the first to the last event.  Build it from
    text with ``IcalHolidays(text)`` or from a file with :meth:`from_path`.
    """

    events: tuple[IcalEvent, ...]
    years: frozenset[int] | None

    def __init__(
        self,
        text: str,
        *,
        years: Iterable[int] | None = None,
        working_day_pattern: str | re.Pattern[str] | None = None,
    ) -> None:
        if not isinstance(text, str):
            raise InvalidInput(f"iCalendar text must be a str, got {type(text).__name__}")
        events = parse_ical(text, working_day_pattern)
        covered = _years_option(years, "ical provider")
        if covered is None:
            covered = _span(day for event in events for day in event.days())
        self.__attrs_init__(events, covered)

    @classmethod
    def from_path(
        cls,
        path: str | PathLike[str],
        *,
        years: Iterable[int] | None = None,
        working_day_pattern: str | re.Pattern[str] | None = None,
    ) -> IcalHolidays:
        """Read an ``.ics`` file (UTF-8) and build the provider."""
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise InvalidInput(f"cannot read iCalendar file {str(path)!r}: {exc}") from exc
        return cls(text, years=years, working_day_pattern=working_day_pattern)

    @property
    def name(self) -> str:
        """Return ``"ical"``."""
        return "ical"

    def schedule(self, year: int) -> HolidaySchedule:
        """Return the event days of ``year``; a day both closed and working counts as working."""
        _check_covered(self, year, "the iCalendar data has no events that year")
        holidays: set[date] = set()
        working: set[date] = set()
        names: dict[date, str] = {}
        for event in self.events:
            if event.end.year < year or event.start.year > year:
                continue
            for day in event.days():
                if day.year == year:
                    (working if event.working_day else holidays).add(day)
                    names.setdefault(day, event.summary)
        return HolidaySchedule(year, frozenset(holidays - working), frozenset(working), names)


# --- China (chinesecalendar) -----------------------------------------------------------------


def _chinese_calendar_constants() -> Any:
    try:
        from chinese_calendar import constants
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ConfigurationError(
            "the 'china' holiday provider needs the chinesecalendar package: "
            "pip install 'helpdesk_kit[zh]'"
        ) from exc
    return constants


@functools.lru_cache(maxsize=1)
def _china_years() -> frozenset[int]:
    constants = _chinese_calendar_constants()
    days = list(constants.holidays) + list(constants.workdays)
    return frozenset(range(min(days).year, max(days).year + 1))


@functools.lru_cache(maxsize=64)
def _china_year(year: int) -> HolidaySchedule:
    constants = _chinese_calendar_constants()
    chinese = {h.value: h.chinese for h in constants.Holiday}
    names: dict[date, str] = {}
    holidays: set[date] = set()
    working: set[date] = set()
    for source, target in ((constants.holidays, holidays), (constants.workdays, working)):
        for day, english in source.items():
            if day.year == year:
                target.add(day)
                label = chinese.get(english)
                names[day] = f"{label} {english}" if label else str(english)
    for day in working:
        names[day] = f"补班 make-up working day ({names[day]})"
    return HolidaySchedule(year, frozenset(holidays), frozenset(working), names)


@attrs.frozen
class ChinaHolidays:
    """China's official public holidays and weekend make-up working days (调休).

    Data from the ``chinesecalendar`` package (import name ``chinese_calendar``, the ``zh``
    extra); it covers the years the State Council has published that the installed
    version knows (2004–2026 in chinesecalendar 1.11).
    """

    @property
    def name(self) -> str:
        """Return ``"china"``."""
        return "china"

    @property
    def years(self) -> frozenset[int]:
        """Return the years the installed chinesecalendar covers."""
        return _china_years()

    def schedule(self, year: int) -> HolidaySchedule:
        """Return ``year``'s holidays and make-up working days."""
        _check_covered(
            self,
            year,
            "upgrade chinesecalendar once the State Council publishes the year, or add "
            "the year's holidays and make-up days as calendar holidays/overrides",
        )
        return _china_year(year)


# --- any country (holidays) --------------------------------------------------------------


def _holidays_package() -> Any:
    try:
        import holidays
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ConfigurationError(
            "the 'country' holiday provider needs the holidays package: pip install holidays"
        ) from exc
    return holidays


@attrs.frozen(init=False)
class CountryHolidays:
    """Public holidays of a country (and subdivision) from the ``holidays`` package.

    Weekend days the package marks as working days (``weekend_workdays``) become working
    days.  Covers the package's ``start_year..end_year`` for that country.
    """

    country: str
    subdiv: str | None
    observed: bool
    years: frozenset[int]

    def __init__(self, country: str, subdiv: str | None = None, observed: bool = True) -> None:
        package = _holidays_package()
        try:
            probe = package.country_holidays(country, subdiv=subdiv, observed=observed, years=[])
        except (NotImplementedError, KeyError, ValueError, TypeError) as exc:
            raise InvalidInput(
                f"unknown country/subdivision {country!r}/{subdiv!r} for the holidays "
                f"package: {exc}"
            ) from exc
        years = frozenset(range(int(probe.start_year), int(probe.end_year) + 1))
        self.__attrs_init__(country, subdiv, observed, years)

    @property
    def name(self) -> str:
        """Return ``"country"``."""
        return "country"

    def schedule(self, year: int) -> HolidaySchedule:
        """Return the country's holidays (and weekend working days) in ``year``."""
        _check_covered(self, year, f"the holidays package has no {self.country} data that year")
        return _country_year(self.country, self.subdiv, self.observed, year)


@functools.lru_cache(maxsize=256)
def _country_year(country: str, subdiv: str | None, observed: bool, year: int) -> HolidaySchedule:
    package = _holidays_package()
    found = package.country_holidays(country, subdiv=subdiv, observed=observed, years=year)
    names = {d: str(n) for d, n in found.items() if d.year == year}
    working = frozenset(d for d in getattr(found, "weekend_workdays", ()) if d.year == year)
    return HolidaySchedule(year, frozenset(names) - working, working, names)


# --- registry ----------------------------------------------------------------------------

ProviderFactory = Callable[..., HolidayProvider]


def _ical_factory(
    path: str | PathLike[str] | None = None,
    text: str | None = None,
    *,
    years: Iterable[int] | None = None,
    working_day_pattern: str | None = None,
) -> IcalHolidays:
    """Build an :class:`IcalHolidays` from ``path=`` or ``text=`` (exactly one)."""
    if (path is None) == (text is None):
        raise InvalidInput("the 'ical' provider needs exactly one of path= or text=")
    if path is not None:
        return IcalHolidays.from_path(path, years=years, working_day_pattern=working_day_pattern)
    assert text is not None
    return IcalHolidays(text, years=years, working_day_pattern=working_day_pattern)


class ProviderRegistry:
    """Holiday provider factories by name; a desk owns one (plugins add to it via a hook)."""

    def __init__(self, factories: Mapping[str, ProviderFactory] | None = None) -> None:
        self._lock = threading.Lock()
        self._factories: dict[str, ProviderFactory] = dict(factories or {})

    @classmethod
    def with_builtins(cls) -> ProviderRegistry:
        """Return a registry holding ``static``, ``ical``, ``china`` and ``country``."""
        return cls(
            {
                "static": StaticHolidays,
                "ical": _ical_factory,
                "china": ChinaHolidays,
                "country": CountryHolidays,
            }
        )

    def register(self, name: str, factory: ProviderFactory, *, replace: bool = False) -> None:
        """Add ``factory`` under ``name``; a taken name is an error unless ``replace``."""
        if not isinstance(name, str) or not name.strip():
            raise InvalidInput(f"a holiday provider name must be a non-empty str, got {name!r}")
        if not callable(factory):
            raise InvalidInput(f"holiday provider factory for {name!r} is not callable")
        with self._lock:
            if name in self._factories and not replace:
                raise ConfigurationError(
                    f"holiday provider {name!r} is already registered; pass replace=True "
                    "to override it"
                )
            self._factories[name] = factory

    def names(self) -> list[str]:
        """Return the registered names, sorted."""
        with self._lock:
            return sorted(self._factories)

    def __contains__(self, name: object) -> bool:
        with self._lock:
            return name in self._factories

    def get(self, name: str, /, **options: Any) -> HolidayProvider:
        """Build the provider registered as ``name`` with ``options``."""
        with self._lock:
            factory = self._factories.get(name)
            known = sorted(self._factories)
        if factory is None:
            raise ConfigurationError(
                f"unknown holiday provider {name!r} (known: {', '.join(known) or 'none'})"
            )
        try:
            inspect.signature(factory).bind(**options)
        except TypeError as exc:
            raise ConfigurationError(
                f"bad options for holiday provider {name!r}: {exc} "
                f"(it takes {_describe_signature(factory)})"
            ) from None
        except ValueError:  # pragma: no cover - builtins without a signature
            pass
        provider = factory(**options)
        if not isinstance(provider, HolidayProvider):
            raise ConfigurationError(
                f"holiday provider factory {name!r} returned {type(provider).__name__}, "
                "which has no name/years/schedule()"
            )
        return provider

    def __repr__(self) -> str:
        return f"ProviderRegistry({self.names()!r})"


def _describe_signature(factory: ProviderFactory) -> str:
    try:
        return str(inspect.signature(factory))
    except (TypeError, ValueError):  # pragma: no cover
        return "(...)"


_default: ProviderRegistry | None = None
_default_lock = threading.Lock()


def default_registry() -> ProviderRegistry:
    """Return the process-wide registry used by :func:`get_provider` (built on first use).

    A desk should own its own :class:`ProviderRegistry`; this one is a convenience for
    scripts and the module-level functions.
    """
    global _default
    with _default_lock:
        if _default is None:
            _default = ProviderRegistry.with_builtins()
        return _default


def register_provider(name: str, factory: ProviderFactory, *, replace: bool = False) -> None:
    """Register ``factory`` as holiday provider ``name`` in the default registry."""
    default_registry().register(name, factory, replace=replace)


def get_provider(name: str, /, **options: Any) -> HolidayProvider:
    """Build holiday provider ``name`` from the default registry, e.g. ``get_provider("china")``."""
    return default_registry().get(name, **options)
