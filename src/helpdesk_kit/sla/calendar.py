"""Business calendars: when the desk is open, and exact open-time arithmetic.

A :class:`BusinessCalendar` is weekly opening ranges in an IANA time zone, plus holidays
(closed all day), overrides (a day's ranges replaced) and optionally a holiday provider.
Precedence for a day: override > holiday > provider working day > provider holiday >
weekly hours.

Rules (see ``docs/calendars.md``):

* A range ``(start, end)`` is half-open and belongs to the day it starts on; if ``end`` is
  not after ``start`` it ends on the next day, so ``(time(0), time(0))`` is a full day.
* A range runs from the first instant the local wall clock reads its start (or later) to
  the first instant it reads its end (or later).  So a boundary in a DST gap falls on the
  instant the clock jumps; one in a DST fold on its first occurrence.  Durations are real
  elapsed time: a night shift across a DST change is an hour shorter or longer.
* ``elapsed(a, b)`` for ``b < a`` is ``-elapsed(b, a)``; ``add(a, d)`` for ``d < 0`` is the
  latest instant ``t <= a`` with ``elapsed(t, a) == -d``; ``add(a, 0)`` is ``a``.

Queries are O(log n): each calendar lazily indexes whole local years as merged open
intervals (integer microseconds, UTC) with prefix sums, then answers with ``bisect``.
"""

from __future__ import annotations

import itertools
import threading
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from helpdesk_kit.clock import ensure_aware
from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.sla.holidays import ChinaHolidays, HolidayProvider, HolidaySchedule
from helpdesk_kit.sla.timeline import (
    EPOCH,
    ONE_US,
    ZERO,
    Timeline,
    Zone,
    build_year,
    get_zone,
)

__all__ = ["BusinessCalendar", "DayRanges", "OpeningRange", "china_business_calendar"]

_WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY_US = 86_400_000_000
#: ``add``/``next_open`` give up after this many consecutive years without open time.
_EMPTY_YEARS_LIMIT = 10

RangesInput = Iterable["OpeningRange | Sequence[time]"]


def _time_validator(instance: object, attribute: attrs.Attribute[time], value: object) -> None:
    problem = _time_problem(value)
    if problem:
        raise InvalidInput(f"OpeningRange.{attribute.name}: {problem}")


def _time_problem(value: object) -> str:
    if not isinstance(value, time):
        return f"{value!r} is not a datetime.time"
    if value.tzinfo is not None:
        return f"{value!r} has a tzinfo; opening times are wall-clock times of the calendar zone"
    return ""


def _strip_fold(value: Any) -> Any:
    return value.replace(fold=0) if isinstance(value, time) else value


@attrs.frozen
class OpeningRange:
    """A half-open wall-clock range ``[start, end)``; ``end <= start`` runs past midnight."""

    start: time = attrs.field(validator=_time_validator, converter=_strip_fold)
    end: time = attrs.field(validator=_time_validator, converter=_strip_fold)

    @property
    def overnight(self) -> bool:
        """Say whether the range ends on the next day (``end`` not after ``start``)."""
        return self.end <= self.start

    @property
    def wall_length(self) -> timedelta:
        """Return the wall-clock length (the real length differs across a DST change)."""
        length = _time_us(self.end) - _time_us(self.start)
        return timedelta(microseconds=length if length > 0 else length + _DAY_US)

    def __iter__(self) -> Iterator[time]:
        """Unpack as ``start, end``."""
        yield self.start
        yield self.end

    def __str__(self) -> str:
        return f"{_fmt_time(self.start)}–{_fmt_time(self.end)}"


def _time_us(value: time) -> int:
    return (value.hour * 3600 + value.minute * 60 + value.second) * 1_000_000 + value.microsecond


def _fmt_time(value: time) -> str:
    text = value.strftime("%H:%M")
    if value.second or value.microsecond:
        text = value.isoformat()
    return text


class DayRanges(Mapping[date, tuple[OpeningRange, ...]]):
    """An immutable, hashable mapping of dates to a day's opening ranges (the overrides)."""

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[date, tuple[OpeningRange, ...]] | None = None) -> None:
        self._data: dict[date, tuple[OpeningRange, ...]] = dict(sorted((data or {}).items()))
        self._hash: int | None = None

    def __getitem__(self, key: date) -> tuple[OpeningRange, ...]:
        return self._data[key]

    def __iter__(self) -> Iterator[date]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DayRanges):
            return self._data == other._data
        return super().__eq__(other)

    def __repr__(self) -> str:
        items = ", ".join(
            f"{d.isoformat()}: [{', '.join(map(str, r))}]" for d, r in self._data.items()
        )
        return f"DayRanges({{{items}}})"


def _parse_ranges(value: object, where: str, problems: list[str]) -> tuple[OpeningRange, ...]:
    """Turn user input into sorted, non-overlapping ranges; append problems found."""
    if isinstance(value, OpeningRange) or (
        isinstance(value, Sequence) and len(value) == 2 and all(isinstance(v, time) for v in value)
    ):
        problems.append(f"{where}: expected a list of ranges, got a single range {value!r}")
        return ()
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        problems.append(f"{where}: expected a list of (start, end) time pairs, got {value!r}")
        return ()
    ranges: list[OpeningRange] = []
    for item in value:
        if isinstance(item, OpeningRange):
            ranges.append(item)
            continue
        if isinstance(item, str | bytes) or not isinstance(item, Sequence) or len(item) != 2:
            problems.append(f"{where}: {item!r} is not a (start, end) pair of datetime.time")
            continue
        bad = [p for p in (_time_problem(item[0]), _time_problem(item[1])) if p]
        if bad:
            problems.extend(f"{where}: {p}" for p in bad)
            continue
        ranges.append(OpeningRange(item[0], item[1]))
    ranges.sort(key=lambda r: r.start)
    # Within its day a range covers [start, end) on a 48-hour axis; overlaps are mistakes.
    for prev, cur in itertools.pairwise(ranges):
        prev_end = _time_us(prev.end) + (_DAY_US if prev.overnight else 0)
        if _time_us(cur.start) < prev_end:
            problems.append(f"{where}: ranges {prev} and {cur} overlap")
    return tuple(ranges)


def _is_date(value: object) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


def _most_common_hours(weekly: tuple[tuple[OpeningRange, ...], ...]) -> tuple[OpeningRange, ...]:
    """Return the commonest non-empty weekday ranges (ties: the earliest weekday's)."""
    counts = Counter(day for day in weekly if day)
    if not counts:
        return ()
    best = max(counts.values())
    return next(day for day in weekly if day and counts[day] == best)


class _IndexState:
    """The lazily built, per-calendar index; not part of the calendar's value."""

    __slots__ = ("lock", "schedules", "timeline", "years")

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.timeline: Timeline | None = None
        self.years: dict[int, tuple[list[int], list[int]]] = {}
        self.schedules: dict[int, HolidaySchedule] = {}

    def __reduce__(self) -> tuple[type[_IndexState], tuple[()]]:
        return (_IndexState, ())  # a copy or unpickled calendar rebuilds its index


@attrs.frozen(init=False, repr=False)
class BusinessCalendar:
    """When the desk is open: weekly ranges in a time zone, holidays and overrides.

    ``weekly_hours`` maps weekday (0 = Monday .. 6 = Sunday) to its ranges; missing days
    are closed.  ``holidays`` are closed all day; ``overrides`` replace a day's ranges
    (``[]`` closes it).  ``provider`` adds a holiday provider's holidays and working days
    (a working day on a normally closed weekday gets ``makeup_hours``, by default the
    commonest weekday hours).  Immutable, hashable and safe to share between threads.
    """

    timezone: str
    weekly_hours: tuple[tuple[OpeningRange, ...], ...]
    holidays: frozenset[date]
    overrides: DayRanges
    provider: HolidayProvider | None
    makeup_hours: tuple[OpeningRange, ...]
    _state: _IndexState = attrs.field(eq=False, hash=False, repr=False)

    def __init__(
        self,
        timezone: str | ZoneInfo,
        weekly_hours: Mapping[int, RangesInput],
        holidays: Iterable[date] = (),
        overrides: Mapping[date, RangesInput] | None = None,
        provider: HolidayProvider | None = None,
        makeup_hours: RangesInput | None = None,
    ) -> None:
        problems: list[str] = []
        key = _check_zone(timezone, problems)

        weekly: list[tuple[OpeningRange, ...]] = [() for _ in range(7)]
        if not isinstance(weekly_hours, Mapping):
            problems.append(
                f"weekly_hours must be a mapping of weekday (0=Mon..6=Sun) to ranges, "
                f"got {type(weekly_hours).__name__}"
            )
        else:
            for day, ranges in weekly_hours.items():
                if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
                    problems.append(f"weekly_hours: weekday {day!r} is not in 0..6 (0=Monday)")
                    continue
                weekly[day] = _parse_ranges(
                    ranges, f"weekly_hours[{_WEEKDAY_NAMES[day]}]", problems
                )

        closed: set[date] = set()
        if isinstance(holidays, str | bytes) or not isinstance(holidays, Iterable):
            problems.append(f"holidays must be an iterable of dates, got {holidays!r}")
        else:
            for closed_day in holidays:
                if _is_date(closed_day):
                    closed.add(closed_day)
                else:
                    problems.append(f"holidays: {closed_day!r} is not a date (use datetime.date)")

        replaced: dict[date, tuple[OpeningRange, ...]] = {}
        if overrides is not None and not isinstance(overrides, Mapping):
            problems.append(f"overrides must be a mapping of date to ranges, got {overrides!r}")
        elif overrides:
            for when, ranges in overrides.items():
                if not _is_date(when):
                    problems.append(f"overrides: key {when!r} is not a date (use datetime.date)")
                    continue
                replaced[when] = _parse_ranges(ranges, f"overrides[{when.isoformat()}]", problems)

        if provider is not None and not isinstance(provider, HolidayProvider):
            problems.append(
                f"provider {provider!r} is not a holiday provider (needs name, years, schedule())"
            )
        makeup: tuple[OpeningRange, ...] = ()
        if makeup_hours is not None:
            makeup = _parse_ranges(makeup_hours, "makeup_hours", problems)
        if problems:
            raise InvalidInput("invalid business calendar:", problems)

        weekly_t = tuple(weekly)
        if makeup_hours is None:
            makeup = _most_common_hours(weekly_t)
        self.__attrs_init__(
            key, weekly_t, frozenset(closed), DayRanges(replaced), provider, makeup, _IndexState()
        )

    # --- construction helpers ----------------------------------------------------------

    @classmethod
    def from_provider(
        cls,
        timezone: str | ZoneInfo,
        weekly_hours: Mapping[int, RangesInput],
        provider: HolidayProvider,
        *,
        holidays: Iterable[date] = (),
        overrides: Mapping[date, RangesInput] | None = None,
        makeup_hours: RangesInput | None = None,
    ) -> BusinessCalendar:
        """Build a calendar whose holidays and make-up working days come from ``provider``."""
        return cls(timezone, weekly_hours, holidays, overrides, provider, makeup_hours)

    def with_holidays(self, days: Iterable[date]) -> BusinessCalendar:
        """Return a copy with ``days`` added to the holidays."""
        return self._evolve(holidays=self.holidays | _dates(days, "with_holidays"))

    def without_holidays(self, days: Iterable[date]) -> BusinessCalendar:
        """Return a copy with ``days`` removed from the holidays (provider data is kept)."""
        return self._evolve(holidays=self.holidays - _dates(days, "without_holidays"))

    def with_overrides(self, overrides: Mapping[date, RangesInput]) -> BusinessCalendar:
        """Return a copy with ``overrides`` added (replacing existing ones for those dates)."""
        merged: dict[date, RangesInput] = dict(self.overrides)
        if not isinstance(overrides, Mapping):
            raise InvalidInput(
                f"with_overrides needs a mapping of date to ranges, got {overrides!r}"
            )
        merged.update(overrides)
        return self._evolve(overrides=merged)

    def without_overrides(self, days: Iterable[date]) -> BusinessCalendar:
        """Return a copy without the overrides of ``days``."""
        drop = _dates(days, "without_overrides")
        return self._evolve(overrides={d: r for d, r in self.overrides.items() if d not in drop})

    def with_provider(self, provider: HolidayProvider | None) -> BusinessCalendar:
        """Return a copy using ``provider`` (``None`` removes it)."""
        return self._evolve(provider=provider)

    def _evolve(self, **changes: Any) -> BusinessCalendar:
        fields: dict[str, Any] = {
            "timezone": self.timezone,
            "weekly_hours": dict(enumerate(self.weekly_hours)),
            "holidays": self.holidays,
            "overrides": self.overrides,
            "provider": self.provider,
            "makeup_hours": self.makeup_hours,
        }
        fields.update(changes)
        return BusinessCalendar(**fields)

    # --- days --------------------------------------------------------------------------

    @property
    def tzinfo(self) -> ZoneInfo:
        """Return the calendar's zone."""
        return self._zone.tz

    @property
    def _zone(self) -> Zone:
        return get_zone(self.timezone)

    def ranges_on(self, day: date) -> tuple[OpeningRange, ...]:
        """Return the opening ranges of ``day`` after overrides, holidays and the provider."""
        if not _is_date(day):
            raise InvalidInput(f"day must be a datetime.date, got {day!r}")
        found = self.overrides.get(day)
        if found is not None:
            return found
        if day in self.holidays:
            return ()
        weekly = self.weekly_hours[day.weekday()]
        if self.provider is not None:
            schedule = self._schedule(day.year)
            if day in schedule.working_days:
                return weekly or self.makeup_hours
            if day in schedule.holidays:
                return ()
        return weekly

    def is_working_day(self, day: date) -> bool:
        """Say whether ``day`` has any opening range."""
        return bool(self.ranges_on(day))

    def _schedule(self, year: int) -> HolidaySchedule:
        schedules = self._state.schedules
        found = schedules.get(year)
        if found is None:
            assert self.provider is not None
            found = self.provider.schedule(year)  # may raise HolidayDataMissing
            schedules[year] = found  # idempotent: a race computes the same value twice
        return found

    def _pairs_on(self, day: date) -> list[tuple[time, time]]:
        return [(r.start, r.end) for r in self.ranges_on(day)]

    @property
    def _spill(self) -> bool:
        return any(
            r.overnight
            for ranges in (*self.weekly_hours, self.makeup_hours, *self.overrides.values())
            for r in ranges
        )

    # --- the index ---------------------------------------------------------------------

    def _timeline_for(self, *keys: timedelta) -> Timeline:
        timeline = self._state.timeline
        if timeline is not None and all(timeline.lo <= k < timeline.hi for k in keys):
            return timeline
        zone = self._zone
        years = [zone.year_of(k // ONE_US) for k in keys]
        return self._extend(min(years), max(years))

    def _extend(self, first: int, last: int) -> Timeline:
        state = self._state
        with state.lock:
            timeline = state.timeline
            if timeline is not None:
                if timeline.first <= first and last <= timeline.last:
                    return timeline
                first, last = min(first, timeline.first), max(last, timeline.last)
            zone, spill = self._zone, self._spill
            for year in range(first, last + 1):
                if year not in state.years:
                    state.years[year] = build_year(zone, year, self._pairs_on, spill)
            timeline = Timeline(zone, first, last, state.years)
            state.timeline = timeline  # readers pick up the new, immutable timeline
            return timeline

    def _keys(self, *named: tuple[str, object]) -> tuple[Timeline, list[timedelta]]:
        """Validate instants, turn them into keys and make sure the index covers them."""
        timeline = self._state.timeline
        if timeline is not None:
            try:
                keys = [timeline.key(value) for _, value in named]  # type: ignore[arg-type]
            except (TypeError, AttributeError):
                pass  # not an aware datetime: the exact path below says what is wrong
            else:
                if all(timeline.lo <= k < timeline.hi for k in keys):
                    return timeline, keys
        keys = [_exact_key(value, name) for name, value in named]
        return self._timeline_for(*keys), keys

    def _from_key(self, key: timedelta) -> datetime:
        return (EPOCH + key).astimezone(self._zone.tz)

    # --- queries -----------------------------------------------------------------------

    def is_open(self, t: datetime) -> bool:
        """Say whether the desk is open at instant ``t`` (aware)."""
        timeline, (key,) = self._keys(("t", t))
        return timeline.is_open(key)

    def next_open(self, t: datetime) -> datetime:
        """Return ``t`` if open, else the next instant the desk opens (in the calendar zone)."""
        timeline, (key,) = self._keys(("t", t))
        if timeline.is_open(key):
            return self._from_key(key)
        empty = 0
        while True:
            found = timeline.next_start(key)
            if found is not None:
                return self._from_key(found)
            before = timeline.total()
            timeline = self._extend(timeline.first, timeline.last + 1)
            empty = 0 if timeline.total() > before else empty + 1
            if empty >= _EMPTY_YEARS_LIMIT:
                raise InvalidInput(
                    f"the calendar has no open time in the {_EMPTY_YEARS_LIMIT} years after "
                    f"{t.isoformat()}"
                )

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Return the open time between two instants (negative when ``end`` is before ``start``)."""
        # The hot path (an SLA sweep calls this per ticket), inlined: two keys, two bisects,
        # two additions.  Same computation as Timeline.key and Timeline.prefix.
        timeline = self._state.timeline
        if timeline is not None:
            try:
                tz = timeline.tz
                if timeline.fixed and start.tzinfo is tz and end.tzinfo is tz:
                    a = start - timeline.origin
                    b = end - timeline.origin
                else:
                    a = timeline.key(start)
                    b = timeline.key(end)
            except (TypeError, AttributeError):
                pass  # not aware datetimes: _keys() below says what is wrong
            else:
                lo, hi = timeline.lo, timeline.hi
                if lo <= a < hi and lo <= b < hi:
                    starts, ends, base = timeline.starts, timeline.ends, timeline.base
                    i = bisect_right(starts, a) - 1
                    if i >= 0:
                        end_i = ends[i]
                        a = base[i] + (a if a < end_i else end_i)
                    else:
                        a = ZERO
                    j = bisect_right(starts, b) - 1
                    if j >= 0:
                        end_j = ends[j]
                        b = base[j] + (b if b < end_j else end_j)
                    else:
                        b = ZERO
                    return b - a
        timeline, (a, b) = self._keys(("start", start), ("end", end))
        return timeline.prefix(b) - timeline.prefix(a)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """Return the earliest instant by which ``duration`` of open time has passed.

        For a negative ``duration``: the latest instant ``t <= start`` with
        ``elapsed(t, start) == -duration``.  ``add(start, timedelta(0))`` is ``start``.
        """
        if not isinstance(duration, timedelta):
            _exact_key(start, "start")
            raise InvalidInput(f"duration must be a timedelta, got {duration!r}")
        timeline, (key,) = self._keys(("start", start))
        if not duration:
            return self._from_key(key)
        forward = duration > ZERO
        empty = 0
        while True:
            target = timeline.prefix(key) + duration
            if forward and target <= timeline.total():
                return self._from_key(timeline.instant_after(target))
            if not forward and target >= ZERO:
                return self._from_key(timeline.instant_before(target))
            before = timeline.total()
            if forward:
                timeline = self._extend(timeline.first, timeline.last + 1)
            else:
                timeline = self._extend(timeline.first - 1, timeline.last)
            empty = 0 if timeline.total() > before else empty + 1
            if empty >= _EMPTY_YEARS_LIMIT:
                direction = "after" if forward else "before"
                raise InvalidInput(
                    f"cannot add {duration} to {start.isoformat()}: the calendar has no open "
                    f"time in the {_EMPTY_YEARS_LIMIT} years {direction} the last open time found"
                )

    def open_intervals(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Iterate over the open intervals inside ``[start, end)``, clipped, in the zone."""
        a = _exact_key(start, "start")
        b = _exact_key(end, "end")
        if b <= a:
            return iter(())
        timeline = self._timeline_for(a, b - ONE_US)
        from_key = self._from_key
        return iter([(from_key(s), from_key(e)) for s, e in timeline.intervals(a, b)])

    # --- presentation ------------------------------------------------------------------

    def __repr__(self) -> str:
        days = ", ".join(
            f"{_WEEKDAY_NAMES[i]}: {' '.join(map(str, r))}"
            for i, r in enumerate(self.weekly_hours)
            if r
        )
        parts = [f"{self.timezone!r}", f"{{{days}}}"]
        if self.holidays:
            parts.append(f"holidays={len(self.holidays)} day(s)")
        if self.overrides:
            parts.append(f"overrides={len(self.overrides)} day(s)")
        if self.provider is not None:
            parts.append(f"provider={self.provider.name!r}")
        return f"BusinessCalendar({', '.join(parts)})"


def _check_zone(timezone: object, problems: list[str]) -> str:
    if isinstance(timezone, ZoneInfo):
        if timezone.key is None:
            problems.append("timezone: a ZoneInfo built from a file has no IANA key; pass its name")
            return ""
        timezone = timezone.key
    if not isinstance(timezone, str):
        problems.append(f"timezone must be an IANA name such as 'Asia/Shanghai', got {timezone!r}")
        return ""
    try:
        get_zone(timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        problems.append(f"timezone {timezone!r} is not a known IANA time zone")
    return timezone


def _dates(days: Iterable[date], what: str) -> frozenset[date]:
    if isinstance(days, date):
        days = [days]
    if isinstance(days, str | bytes) or not isinstance(days, Iterable):
        raise InvalidInput(f"{what} needs an iterable of dates, got {days!r}")
    found = list(days)
    bad = [d for d in found if not _is_date(d)]
    if bad:
        raise InvalidInput(f"{what}: not dates:", [repr(d) for d in bad])
    return frozenset(found)


def _exact_key(value: object, name: str) -> timedelta:
    """Return an aware datetime as its offset from the UTC epoch; ``InvalidInput`` otherwise."""
    if not isinstance(value, datetime):
        raise InvalidInput(f"{name} must be an aware datetime, got {type(value).__name__}")
    ensure_aware(value, name)
    return value - EPOCH


MON_FRI_9_TO_18: Mapping[int, tuple[tuple[time, time], ...]] = {
    day: ((time(9), time(18)),) for day in range(5)
}


def china_business_calendar(
    *,
    holidays: Iterable[date] = (),
    overrides: Mapping[date, RangesInput] | None = None,
    weekly_hours: Mapping[int, RangesInput] | None = None,
) -> BusinessCalendar:
    """Return Mon–Fri 09:00–18:00 Asia/Shanghai with China's holidays and make-up working days."""
    return BusinessCalendar.from_provider(
        "Asia/Shanghai",
        MON_FRI_9_TO_18 if weekly_hours is None else weekly_hours,
        ChinaHolidays(),
        holidays=holidays,
        overrides=overrides,
    )
