"""Instants as integer microseconds, wall-clock resolution and the per-year open-time index.

This is the arithmetic under :class:`helpdesk_kit.sla.BusinessCalendar`:

* an instant is an ``int`` of microseconds since 1970-01-01 UTC, so sums and differences
  are exact (no float rounding, no ``timedelta`` normalisation in the hot path);
* a local wall-clock time is turned into an instant by :meth:`Zone.wall_to_us`, which
  returns *the first instant at which the zone's wall clock reads that time or later*
  (a time in a DST gap becomes the instant the clock jumps forward; an ambiguous time in a
  DST fold becomes its first occurrence);
* a :class:`Timeline` holds the merged open intervals of a contiguous run of years with a
  prefix sum of open microseconds, so every query is a couple of ``bisect`` calls.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from helpdesk_kit.errors import InvalidInput

__all__ = ["MAX_YEAR", "MIN_YEAR", "Timeline", "Zone", "build_year", "get_zone"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)  # noqa: DTZ001 - the origin of naive wall-clock arithmetic
ONE_US = timedelta(microseconds=1)
_ONE_DAY = timedelta(days=1)

#: Years a calendar can index: a year's index looks at the last day of the previous year
#: and the first instant of the next one, and both must be valid ``datetime`` values.
MIN_YEAR = 2
MAX_YEAR = 9997


class Zone:
    """Wall-clock <-> instant arithmetic for one IANA time zone, in integer microseconds."""

    __slots__ = ("_year_starts", "key", "tz")

    def __init__(self, key: str) -> None:
        self.key = key
        self.tz = ZoneInfo(key)
        self._year_starts: dict[int, int] = {}

    def __repr__(self) -> str:
        return f"Zone({self.key!r})"

    def to_us(self, value: datetime) -> int:
        """Return the instant of an aware datetime as microseconds since the epoch."""
        return (value - EPOCH) // ONE_US

    def from_us(self, us: int) -> datetime:
        """Return the instant ``us`` as an aware datetime in this zone."""
        return (EPOCH + timedelta(microseconds=us)).astimezone(self.tz)

    def wall_of(self, us: int) -> datetime:
        """Return the naive local wall-clock reading at instant ``us``."""
        return self.from_us(us).replace(tzinfo=None)

    def wall_to_us(self, wall: datetime) -> int:
        """Return the first instant at which the wall clock reads ``wall`` (naive) or later.

        For an ordinary time that is its only instant; for an ambiguous time (DST fold) it
        is the first occurrence (``fold=0``); for a time that never happens (DST gap) it is
        the instant the clock jumps over it.
        """
        naive_us = (wall - _NAIVE_EPOCH) // ONE_US
        offset = self.tz.utcoffset(wall.replace(tzinfo=self.tz, fold=0))
        assert offset is not None  # a ZoneInfo always has an offset
        candidate = naive_us - offset // ONE_US
        if self.wall_of(candidate) == wall.replace(fold=0):
            return candidate
        # ``wall`` is in a gap.  The jump lies between the instants the two offsets give;
        # before it the wall clock reads less than ``wall``, from it on more.
        other = self.tz.utcoffset(wall.replace(tzinfo=self.tz, fold=1))
        assert other is not None
        lo = min(candidate, naive_us - other // ONE_US)
        hi = max(candidate, naive_us - other // ONE_US)
        if self.wall_of(hi) < wall:  # pragma: no cover - defensive, zoneinfo never does this
            raise InvalidInput(f"cannot place wall time {wall.isoformat()} in zone {self.key}")
        while lo < hi:
            mid = (lo + hi) // 2
            if self.wall_of(mid) >= wall:
                hi = mid
            else:
                lo = mid + 1
        return lo

    def year_start(self, year: int) -> int:
        """Return the first instant of local ``year`` (its 1 January 00:00 resolved as above)."""
        found = self._year_starts.get(year)
        if found is None:
            found = self.wall_to_us(datetime(year, 1, 1))  # noqa: DTZ001 - local wall time
            self._year_starts[year] = found  # idempotent, so no lock is needed
        return found

    def year_of(self, us: int) -> int:
        """Return the local year that instant ``us`` belongs to (by :meth:`year_start`)."""
        try:
            year = (EPOCH + timedelta(microseconds=us)).year
        except OverflowError:
            raise InvalidInput("instant is outside the range of datetime") from None
        if year < MIN_YEAR or year > MAX_YEAR:
            raise InvalidInput(
                f"year {year} is outside the years a calendar supports ({MIN_YEAR}..{MAX_YEAR})"
            )
        if us < self.year_start(year):
            return year - 1
        if us >= self.year_start(year + 1):
            return year + 1
        return year


@functools.lru_cache(maxsize=128)
def get_zone(key: str) -> Zone:
    """Return the shared :class:`Zone` for an IANA key (raises like ``ZoneInfo``)."""
    return Zone(key)


RangesOn = Callable[[date], Sequence[tuple[time, time]]]


def build_year(
    zone: Zone, year: int, ranges_on: RangesOn, spill: bool
) -> tuple[list[int], list[int]]:
    """Return the merged open intervals ``(starts, ends)`` of local ``year``, as instants.

    ``ranges_on(day)`` gives a day's opening ranges; a range whose end is not after its
    start ends on the next day.  ``spill`` says whether any range can run overnight, in
    which case the last day of the previous year is consulted too.  Intervals are clipped
    to the year's instants ``[year_start(year), year_start(year + 1))``.
    """
    if year < MIN_YEAR or year > MAX_YEAR:
        raise InvalidInput(
            f"year {year} is outside the years a calendar supports ({MIN_YEAR}..{MAX_YEAR})"
        )
    lo = zone.year_start(year)
    hi = zone.year_start(year + 1)
    day = date(year, 1, 1)
    if spill:
        day -= _ONE_DAY
    last = date(year, 12, 31)
    pieces: list[tuple[int, int]] = []
    wall_to_us = zone.wall_to_us
    combine = datetime.combine
    while day <= last:
        for start, end in ranges_on(day):
            s = wall_to_us(combine(day, start))
            e = wall_to_us(combine(day + _ONE_DAY if end <= start else day, end))
            s = max(s, lo)
            e = min(e, hi)
            if s < e:
                pieces.append((s, e))
        day += _ONE_DAY
    pieces.sort()
    starts: list[int] = []
    ends: list[int] = []
    for s, e in pieces:
        if ends and s <= ends[-1]:
            if e > ends[-1]:
                ends[-1] = e
        else:
            starts.append(s)
            ends.append(e)
    return starts, ends


class Timeline:
    """Merged open intervals of the years ``first..last`` with prefix sums; immutable."""

    __slots__ = ("cum", "ends", "first", "hi", "last", "lo", "starts")

    def __init__(
        self, zone: Zone, first: int, last: int, years: dict[int, tuple[list[int], list[int]]]
    ) -> None:
        self.first = first
        self.last = last
        self.lo = zone.year_start(first)
        self.hi = zone.year_start(last + 1)
        starts: list[int] = []
        ends: list[int] = []
        for year in range(first, last + 1):
            year_starts, year_ends = years[year]
            for s, e in zip(year_starts, year_ends, strict=True):
                if ends and s <= ends[-1]:  # an interval cut at a year boundary: rejoin it
                    ends[-1] = max(ends[-1], e)
                else:
                    starts.append(s)
                    ends.append(e)
        cum = [0] * (len(starts) + 1)
        total = 0
        for i, (s, e) in enumerate(zip(starts, ends, strict=True)):
            total += e - s
            cum[i + 1] = total
        self.starts = starts
        self.ends = ends
        self.cum = cum  # cum[i]: open microseconds in [lo, starts[i]); cum[-1]: the total

    def covers(self, us: int) -> bool:
        """Say whether instant ``us`` lies inside the indexed years."""
        return self.lo <= us < self.hi

    def total(self) -> int:
        """Return the open microseconds in the indexed years."""
        return self.cum[-1]

    def is_open(self, us: int) -> bool:
        """Say whether instant ``us`` (inside the indexed years) is open."""
        i = bisect.bisect_right(self.starts, us) - 1
        return i >= 0 and us < self.ends[i]

    def prefix(self, us: int) -> int:
        """Return the open microseconds in ``[lo, us)``."""
        i = bisect.bisect_right(self.starts, us) - 1
        if i < 0:
            return 0
        end = self.ends[i]
        return self.cum[i] + (us if us < end else end) - self.starts[i]

    def instant_after(self, target: int) -> int:
        """Return the earliest instant whose prefix is ``target`` (``0 < target <= total``)."""
        i = bisect.bisect_left(self.cum, target) - 1
        return self.starts[i] + target - self.cum[i]

    def instant_before(self, target: int) -> int:
        """Return the latest instant whose prefix is ``target`` (``0 <= target < total``)."""
        i = bisect.bisect_right(self.cum, target) - 1
        return self.starts[i] + target - self.cum[i]

    def next_start(self, us: int) -> int | None:
        """Return the start of the first interval beginning after ``us``, if indexed."""
        i = bisect.bisect_right(self.starts, us)
        return self.starts[i] if i < len(self.starts) else None

    def intervals(self, a: int, b: int) -> list[tuple[int, int]]:
        """Return the open intervals clipped to ``[a, b)`` (both inside the indexed years)."""
        i = max(bisect.bisect_right(self.starts, a) - 1, 0)
        out: list[tuple[int, int]] = []
        starts, ends = self.starts, self.ends
        while i < len(starts) and starts[i] < b:
            s, e = max(starts[i], a), min(ends[i], b)
            if s < e:
                out.append((s, e))
            i += 1
        return out
