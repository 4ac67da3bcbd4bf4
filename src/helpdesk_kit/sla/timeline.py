"""Wall-clock resolution, the zone's offset table and the per-year open-time index.

This is the arithmetic under :class:`helpdesk_kit.sla.BusinessCalendar`:

* while an index is built, instants are ``int`` microseconds since 1970-01-01 UTC, and a
  local wall-clock time becomes an instant by :meth:`Zone.wall_to_us`: *the first instant
  at which the zone's wall clock reads that time or later* (a time in a DST gap becomes
  the instant the clock jumps forward; an ambiguous time in a fold its first occurrence);
* a :class:`Timeline` holds the merged open intervals of a contiguous run of local years
  with a prefix sum of open time, as *keys* — ``timedelta`` offsets from the UTC epoch, so
  comparisons and sums run in C and stay exact — and answers every query with ``bisect``.
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
ZERO = timedelta(0)
_ONE_DAY = timedelta(days=1)
_DAY_US = 86_400_000_000
_SAMPLE_US = 6 * 3_600_000_000  # transitions are found by sampling offsets every 6 hours

#: Years a calendar can index: a year's index looks at the last day of the previous year
#: and the first instant of the next one, and both must be valid ``datetime`` values.
MIN_YEAR = 2
MAX_YEAR = 9997


class Zone:
    """Wall-clock <-> instant arithmetic for one IANA time zone, in integer microseconds."""

    __slots__ = ("_transitions", "_year_starts", "key", "tz")

    def __init__(self, key: str) -> None:
        self.key = key
        self.tz = ZoneInfo(key)
        self._year_starts: dict[int, int] = {}
        self._transitions: dict[int, list[tuple[int, int, int]]] = {}

    def __repr__(self) -> str:
        return f"Zone({self.key!r})"

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

    def offset_at(self, us: int) -> int:
        """Return the zone's UTC offset at instant ``us``, in microseconds."""
        offset = self.from_us(us).utcoffset()
        assert offset is not None
        return offset // ONE_US

    def transitions(self, a: int, b: int) -> list[tuple[int, int, int]]:
        """Return ``(instant, offset before, offset after)`` of each offset change in ``[a, b)``."""
        found: list[tuple[int, int, int]] = []
        chunk = a // _DAY_US // 30
        while chunk * 30 * _DAY_US < b:
            found.extend(t for t in self._chunk_transitions(chunk) if a <= t[0] < b)
            chunk += 1
        return found

    def _chunk_transitions(self, chunk: int) -> list[tuple[int, int, int]]:
        """Offset changes at instants in the 30-day chunk ``chunk`` (cached, idempotent)."""
        found = self._transitions.get(chunk)
        if found is not None:
            return found
        found = []
        start = chunk * 30 * _DAY_US
        last = start + 30 * _DAY_US - 1
        # Sample p < q and search (p, q] for the first instant with the new offset; the
        # first sample is just before the chunk so a change exactly at its start counts.
        p = start - 1
        offset = self.offset_at(p)
        while p < last:
            q = min(p + _SAMPLE_US, last)
            new = self.offset_at(q)
            if new != offset:
                lo, hi = p, q
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    if self.offset_at(mid) == offset:
                        lo = mid
                    else:
                        hi = mid
                found.append((hi, offset, new))
                offset = new
            p = q
        self._transitions[chunk] = found
        return found

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
    """Merged open intervals of the local years ``first..last`` with prefix sums; immutable.

    Instants are *keys*: ``timedelta`` offsets from the UTC epoch, so that comparisons and
    sums run in C and stay exact to the microsecond.  :meth:`key` turns an aware datetime
    into a key; for a datetime in the calendar's own zone it avoids a UTC conversion by
    looking the offset up in the timeline's table of the zone's transitions.
    """

    __slots__ = (
        "base",
        "cum",
        "ends",
        "first",
        "fixed",
        "hi",
        "last",
        "lo",
        "local_epoch",
        "off0",
        "off_after",
        "origin",
        "starts",
        "tz",
        "win_hi",
        "win_lo",
    )

    def __init__(
        self, zone: Zone, first: int, last: int, years: dict[int, tuple[list[int], list[int]]]
    ) -> None:
        self.first = first
        self.last = last
        lo_us = zone.year_start(first)
        hi_us = zone.year_start(last + 1)
        self.lo = timedelta(microseconds=lo_us)
        self.hi = timedelta(microseconds=hi_us)
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
        cum = [ZERO] * (len(starts) + 1)
        total = 0
        for i, (s, e) in enumerate(zip(starts, ends, strict=True)):
            total += e - s
            cum[i + 1] = timedelta(microseconds=total)
        self.starts = [timedelta(microseconds=s) for s in starts]
        self.ends = [timedelta(microseconds=e) for e in ends]
        self.cum = cum  # cum[i]: open time in [lo, starts[i]); cum[-1]: the total
        # prefix(key) inside or after interval i is base[i] + min(key, ends[i]): one addition
        self.base = [c - s for c, s in zip(cum, self.starts, strict=False)]

        # The zone's offsets around the indexed years, for :meth:`key`.  A day of margin on
        # both sides: a wall time whose instant lies outside that margin cannot be mapped
        # into [lo, hi) by a wrong offset (offsets differ by less than a day).
        self.tz = zone.tz
        margin_lo, margin_hi = lo_us - _DAY_US, hi_us + _DAY_US
        self.off0 = timedelta(microseconds=zone.offset_at(margin_lo))
        transitions = zone.transitions(margin_lo, margin_hi)
        self.win_lo = [timedelta(microseconds=t + min(b, a)) for t, b, a in transitions]
        self.win_hi = [timedelta(microseconds=t + max(b, a)) for t, b, a in transitions]
        self.off_after = [timedelta(microseconds=a) for _, _, a in transitions]
        self.fixed = not transitions
        self.local_epoch = datetime(1970, 1, 1, tzinfo=self.tz)
        # For a fixed offset, key = wall - offset = value - (local epoch + offset) in one
        # same-zone subtraction (which Python does on the wall-clock fields, without offsets).
        self.origin = datetime(1970, 1, 1, tzinfo=self.tz) + self.off0

    def key(self, value: datetime) -> timedelta:
        """Return the key of an aware datetime (raises ``TypeError`` for anything else)."""
        if value.tzinfo is self.tz:
            if self.fixed:
                return value - self.origin
            wall = value - self.local_epoch
            k = bisect.bisect_right(self.win_lo, wall) - 1
            if k < 0:
                return wall - self.off0
            if wall >= self.win_hi[k]:
                return wall - self.off_after[k]
            # inside a gap or fold: let zoneinfo apply fold= (PEP 495)
        return value - EPOCH

    def total(self) -> timedelta:
        """Return the open time in the indexed years."""
        return self.cum[-1]

    def is_open(self, key: timedelta) -> bool:
        """Say whether instant ``key`` (inside the indexed years) is open."""
        i = bisect.bisect_right(self.starts, key) - 1
        return i >= 0 and key < self.ends[i]

    def prefix(self, key: timedelta) -> timedelta:
        """Return the open time in ``[lo, key)``."""
        i = bisect.bisect_right(self.starts, key) - 1
        if i < 0:
            return ZERO
        end = self.ends[i]
        return self.base[i] + (key if key < end else end)

    def instant_after(self, target: timedelta) -> timedelta:
        """Return the earliest key whose prefix is ``target`` (``0 < target <= total``)."""
        i = bisect.bisect_left(self.cum, target) - 1
        return self.starts[i] + (target - self.cum[i])

    def instant_before(self, target: timedelta) -> timedelta:
        """Return the latest key whose prefix is ``target`` (``0 <= target < total``)."""
        i = bisect.bisect_right(self.cum, target) - 1
        return self.starts[i] + (target - self.cum[i])

    def next_start(self, key: timedelta) -> timedelta | None:
        """Return the start of the first interval beginning after ``key``, if indexed."""
        i = bisect.bisect_right(self.starts, key)
        return self.starts[i] if i < len(self.starts) else None

    def intervals(self, a: timedelta, b: timedelta) -> list[tuple[timedelta, timedelta]]:
        """Return the open intervals clipped to ``[a, b)`` (both inside the indexed years)."""
        i = max(bisect.bisect_right(self.starts, a) - 1, 0)
        out: list[tuple[timedelta, timedelta]] = []
        starts, ends = self.starts, self.ends
        while i < len(starts) and starts[i] < b:
            s, e = max(starts[i], a), min(ends[i], b)
            if s < e:
                out.append((s, e))
            i += 1
        return out
