"""A brute-force minute oracle for business calendars, independent of the implementation.

It walks UTC minute by minute and asks, for each minute, whether the local wall clock
(its running maximum, see below) lies inside ``[start, end)`` of a range of the day the
range belongs to, comparing naive wall-clock datetimes only.  No interval index, no
``fold``/gap handling, no prefix sums.

Why the running maximum: the calendar's documented rule is that a range runs from the
first instant the wall clock reads its start (or later) to the first instant it reads its
end (or later).  "The wall clock has read ``w`` or later by now" is exactly "the largest
wall-clock reading so far is ``>= w``".  Outside the repeated hour of a DST fold the running
maximum *is* the wall clock, so this is the plain "is the local time inside a range" test.

All range boundaries in the tests are whole minutes and every zone used changes offset on
whole minutes, so openness is constant within each UTC minute; that makes the oracle exact
for arbitrary microsecond instants too (a partial minute counts by its overlap).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MINUTE_US = 60_000_000
US = timedelta(microseconds=1)

RangesOf = Callable[[date], Sequence[tuple[time, time]]]


def to_us(value: datetime) -> int:
    """Microseconds since the epoch of an aware datetime."""
    return (value - EPOCH) // US


def from_us(us: int) -> datetime:
    """The UTC datetime of an instant in microseconds."""
    return EPOCH + timedelta(microseconds=us)


class MinuteOracle:
    """Open/closed state of every UTC minute in ``[lo, hi)``, found by brute force."""

    def __init__(self, zone: str, ranges_of: RangesOf, lo: datetime, hi: datetime) -> None:
        tz = ZoneInfo(zone)
        self.lo_min = to_us(lo) // MINUTE_US
        self.hi_min = -(-to_us(hi) // MINUTE_US)
        self.open: list[bool] = []
        cache: dict[date, list[tuple[datetime, datetime]]] = {}

        def walls_of(day: date) -> list[tuple[datetime, datetime]]:
            found = cache.get(day)
            if found is None:
                found = []
                for start, end in ranges_of(day):
                    end_day = day + timedelta(days=1) if end <= start else day
                    found.append((datetime.combine(day, start), datetime.combine(end_day, end)))
                cache[day] = found
            return found

        running_max: datetime | None = None
        one_day = timedelta(days=1)
        # Start a day early so the running maximum has seen any fold before ``lo``.
        for minute in range(self.lo_min - 1440, self.hi_min):
            wall = from_us(minute * MINUTE_US).astimezone(tz).replace(tzinfo=None)
            if running_max is None or wall > running_max:
                running_max = wall
            if minute < self.lo_min:
                continue
            today = running_max.date()
            is_open = any(
                start <= running_max < end
                for day in (today - one_day, today)
                for start, end in walls_of(day)
            )
            self.open.append(is_open)

    @property
    def lo_us(self) -> int:
        """First instant the oracle knows."""
        return self.lo_min * MINUTE_US

    @property
    def hi_us(self) -> int:
        """First instant after the oracle's window."""
        return self.hi_min * MINUTE_US

    def is_open(self, us: int) -> bool:
        """Whether the minute holding ``us`` is open."""
        return self.open[us // MINUTE_US - self.lo_min]

    def elapsed(self, a: int, b: int) -> int:
        """Open microseconds in ``[a, b)``, minute by minute (negative if ``b < a``)."""
        if b < a:
            return -self.elapsed(b, a)
        total = 0
        minute = a // MINUTE_US
        while minute * MINUTE_US < b:
            if self.open[minute - self.lo_min]:
                start = max(a, minute * MINUTE_US)
                end = min(b, (minute + 1) * MINUTE_US)
                total += end - start
            minute += 1
        return total

    def add(self, a: int, d: int) -> int | None:
        """Earliest (d >= 0) / latest (d < 0) instant with ``d`` open time from ``a``.

        ``None`` when the window runs out first.
        """
        if d == 0:
            return a
        if d > 0:
            t = a
            while t < self.hi_us:
                minute = t // MINUTE_US
                stop = (minute + 1) * MINUTE_US
                if self.open[minute - self.lo_min]:
                    if t + d <= stop:
                        return t + d
                    d -= stop - t
                t = stop
            return None
        need = -d
        t = a
        while t > self.lo_us:
            minute = (t - 1) // MINUTE_US
            begin = minute * MINUTE_US
            if self.open[minute - self.lo_min]:
                if t - need >= begin:
                    return t - need
                need -= t - begin
            t = begin
        return None

    def next_open(self, a: int) -> int | None:
        """``a`` if open, else the start of the next open minute (``None``: not in window)."""
        if self.is_open(a):
            return a
        minute = a // MINUTE_US + 1
        while minute < self.hi_min:
            if self.open[minute - self.lo_min]:
                return minute * MINUTE_US
            minute += 1
        return None

    def intervals(self, a: int, b: int) -> list[tuple[int, int]]:
        """Maximal runs of open time inside ``[a, b)``."""
        runs: list[tuple[int, int]] = []
        minute = a // MINUTE_US
        while minute * MINUTE_US < b:
            if self.open[minute - self.lo_min]:
                start = max(a, minute * MINUTE_US)
                end = min(b, (minute + 1) * MINUTE_US)
                if runs and runs[-1][1] == start:
                    runs[-1] = (runs[-1][0], end)
                else:
                    runs.append((start, end))
            minute += 1
        return runs
