"""Report periods and time buckets in the desk's time zone, DST-correct, as integer keys.

Every instant is handled as Unix epoch **milliseconds** (floored). A :class:`Frame` fixes a
period (local dates ``[start, end)``) in an IANA zone: its UTC bounds and the zone's UTC
offsets inside it (one *segment* per offset, split exactly at each DST change). An instant's
local day number is ``(ms + offset(ms)) // 86_400_000`` (days since 1970-01-01 local);
weeks are keyed by their Monday's day number (ISO weeks), months by ``year * 12 + month - 1``.
The SQL backends evaluate the same integer arithmetic, with the offsets as a ``CASE`` over
the segment starts, so SQLite (which has no time zones) and PostgreSQL bucket exactly as
the plain-Python reference does.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, date, datetime, timedelta
from typing import Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from helpdesk_kit.clock import ensure_aware
from helpdesk_kit.errors import InvalidInput

__all__ = [
    "DAY_MS",
    "GRAINS",
    "HOUR_MS",
    "Frame",
    "Grain",
    "Period",
    "bucket_label",
    "bucket_start",
    "day_of",
    "frame",
    "month_key",
    "ms_of",
    "parse_period",
    "week_key",
    "zone",
]

Grain = Literal["day", "week", "month", "period"]
GRAINS: tuple[str, ...] = get_args(Grain)
DAY_MS = 86_400_000
HOUR_MS = 3_600_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DATE = date(1970, 1, 1)
_MS = timedelta(milliseconds=1)


def ms_of(value: datetime) -> int:
    """Unix epoch milliseconds of an aware datetime, floored."""
    return (ensure_aware(value) - _EPOCH) // _MS


def zone(name: str) -> ZoneInfo:
    """The IANA zone called ``name``; ``InvalidInput`` for an unknown one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"unknown time zone {name!r} (use an IANA name such as 'Asia/Shanghai')"
        ) from None


def _date(d: date) -> int:
    return (d - _EPOCH_DATE).days


def _from_day(day: int) -> date:
    return _EPOCH_DATE + timedelta(days=day)


def week_key(day: int) -> int:
    """The day number of the Monday of ``day``'s ISO week (1970-01-01 was a Thursday)."""
    return day - (day + 3) % 7


def month_key(day: int) -> int:
    """``year * 12 + month - 1`` of a day number."""
    d = _from_day(day)
    return d.year * 12 + d.month - 1


@attrs.frozen
class Period:
    """A reporting period: the local dates ``[start, end)`` and a label such as ``2026-11``."""

    start: date
    end: date
    label: str

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.start, date) or not isinstance(self.end, date):
            raise InvalidInput("a period's start and end must be dates")
        if self.end <= self.start:
            raise InvalidInput(f"period {self.label!r} ends before it starts")

    @property
    def days(self) -> int:
        """How many local days the period has."""
        return (self.end - self.start).days

    def previous(self) -> Period:
        """The period of the same kind just before this one (the month before a month)."""
        if re.fullmatch(r"\d{4}-\d{2}", self.label):
            y, m = self.start.year, self.start.month - 1
            if m == 0:
                y, m = y - 1, 12
            return parse_period(f"{y:04d}-{m:02d}")
        return Period(self.start - (self.end - self.start), self.start, f"before {self.label}")


_MONTH = re.compile(r"(\d{4})-(\d{2})")
_WEEK = re.compile(r"(\d{4})-W(\d{2})")
_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_YEAR = re.compile(r"(\d{4})")
_QUARTER = re.compile(r"(\d{4})-Q([1-4])")
_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})")


def parse_period(text: str | Period) -> Period:
    """Parse ``2026-11`` (a month), ``2026-W48``, ``2026-11-26``, ``2026-Q4``, ``2026`` or
    ``2026-11-01..2026-11-15`` (both days included)."""
    if isinstance(text, Period):
        return text
    if not isinstance(text, str):
        raise InvalidInput(f"a period is text such as '2026-11', got {text!r}")
    s = text.strip()
    try:
        if m := _MONTH.fullmatch(s):
            y, mo = int(m[1]), int(m[2])
            start = date(y, mo, 1)
            end = date(y + (mo == 12), mo % 12 + 1, 1)
            return Period(start, end, s)
        if m := _WEEK.fullmatch(s):
            start = date.fromisocalendar(int(m[1]), int(m[2]), 1)
            return Period(start, start + timedelta(days=7), s)
        if m := _DAY.fullmatch(s):
            start = date(int(m[1]), int(m[2]), int(m[3]))
            return Period(start, start + timedelta(days=1), s)
        if m := _QUARTER.fullmatch(s):
            y, q = int(m[1]), int(m[2])
            start = date(y, 3 * q - 2, 1)
            end = date(y + (q == 4), (3 * q) % 12 + 1, 1)
            return Period(start, end, s)
        if m := _YEAR.fullmatch(s):
            return Period(date(int(m[1]), 1, 1), date(int(m[1]) + 1, 1, 1), s)
        if m := _RANGE.fullmatch(s):
            first, last = date.fromisoformat(m[1]), date.fromisoformat(m[2])
            return Period(first, last + timedelta(days=1), s)
    except ValueError as exc:
        raise InvalidInput(f"not a valid period {text!r}: {exc}") from None
    raise InvalidInput(
        f"not a period: {text!r} (use 2026-11, 2026-W48, 2026-11-26, 2026-Q4, 2026 "
        "or 2026-11-01..2026-11-15)"
    )


def _local_midnight_ms(d: date, tz: ZoneInfo) -> int:
    """UTC ms of the first instant of local date ``d`` (a midnight skipped by DST moves on)."""
    naive = datetime(d.year, d.month, d.day)  # noqa: DTZ001 - resolved in tz below
    local = naive.replace(tzinfo=tz)
    # fold=0 picks the earlier of two ambiguous instants; a non-existent midnight (DST starting
    # at 00:00) resolves forward, to the first instant that day really has.
    utc = local.astimezone(UTC)
    if utc.astimezone(tz).date() < d:  # pragma: no cover - zones moving clocks at midnight
        utc = utc + timedelta(hours=1)
    return ms_of(utc)


def _offset_ms(ms: int, tz: ZoneInfo) -> int:
    offset = (_EPOCH + timedelta(milliseconds=ms)).astimezone(tz).utcoffset()
    assert offset is not None
    return offset // _MS


def _segments(start_ms: int, end_ms: int, tz: ZoneInfo) -> tuple[tuple[int, int], ...]:
    """``((from_ms, offset_ms), ...)``: the zone's offset from each segment start on."""
    step = 6 * HOUR_MS
    out = [(start_ms, _offset_ms(start_ms, tz))]
    probe = start_ms
    while probe < end_ms:
        nxt = min(probe + step, end_ms)
        if _offset_ms(nxt, tz) != out[-1][1]:
            lo, hi = probe, nxt  # offset(lo) == current, offset(hi) != current
            while hi - lo > 1000:
                mid = (lo + hi) // 2
                if _offset_ms(mid, tz) == out[-1][1]:
                    lo = mid
                else:
                    hi = mid
            # offsets change on whole seconds: find the first second with the new offset
            edge = hi - hi % 1000 if _offset_ms(hi - hi % 1000, tz) != out[-1][1] else hi
            out.append((edge, _offset_ms(edge, tz)))
        probe = nxt
    return tuple(out)


@attrs.frozen
class Frame:
    """A period resolved in a time zone: its UTC bounds and the zone's offsets inside it.

    ``segments`` are ``(from_ms, offset_ms)`` pairs in order; the first starts at
    ``start_ms``. ``month_starts`` are ``(day_number, month_key)`` of every month touching
    the period, for the ``CASE`` that maps a day to its month in SQL.
    """

    period: Period
    timezone: str
    start_ms: int
    end_ms: int
    segments: tuple[tuple[int, int], ...]
    month_starts: tuple[tuple[int, int], ...]

    def offset(self, ms: int) -> int:
        """The zone's UTC offset (ms) at ``ms`` (inside the frame; outside, the nearest one)."""
        found = self.segments[0][1]
        for start, off in self.segments:
            if ms >= start:
                found = off
            else:
                break
        return found

    def local_ms(self, ms: int) -> int:
        """``ms`` moved to local wall-clock time (still counted from 1970-01-01)."""
        return ms + self.offset(ms)

    def day(self, ms: int) -> int:
        """The local day number of an instant."""
        return self.local_ms(ms) // DAY_MS

    def hour(self, ms: int) -> int:
        """The local hour (0-23) of an instant."""
        return (self.local_ms(ms) // HOUR_MS) % 24

    def weekday(self, ms: int) -> int:
        """The local weekday of an instant, Monday = 0."""
        return (self.day(ms) + 3) % 7

    def contains(self, ms: int) -> bool:
        """True when the instant is inside the period."""
        return self.start_ms <= ms < self.end_ms

    def bucket(self, day: int, grain: Grain) -> int:
        """The key of the bucket holding local day ``day``."""
        if grain == "day":
            return day
        if grain == "week":
            return week_key(day)
        if grain == "month":
            return month_key(day)
        return 0

    def buckets(self, grain: Grain) -> list[int]:
        """Every bucket key of the period in order (also the empty ones)."""
        first, last = _date(self.period.start), _date(self.period.end)
        keys: list[int] = []
        for day in range(first, last):
            key = self.bucket(day, grain)
            if not keys or keys[-1] != key:
                keys.append(key)
        return keys


def frame(period: Period | str, timezone: str) -> Frame:
    """Resolve ``period`` in ``timezone`` (remembered: a report asks ~70 times)."""
    return _frame(parse_period(period), timezone)


@functools.lru_cache(maxsize=256)
def _frame(p: Period, timezone: str) -> Frame:
    tz = zone(timezone)
    start_ms = _local_midnight_ms(p.start, tz)
    end_ms = _local_midnight_ms(p.end, tz)
    months: list[tuple[int, int]] = []
    d = date(p.start.year, p.start.month, 1)
    while d <= p.end:
        months.append((_date(d), d.year * 12 + d.month - 1))
        d = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return Frame(p, timezone, start_ms, end_ms, _segments(start_ms, end_ms, tz), tuple(months))


def bucket_start(key: int, grain: Grain, period: Period) -> date:
    """The first local date of bucket ``key`` (for ``"period"``: the period's start)."""
    if grain in ("day", "week"):
        return _from_day(key)
    if grain == "month":
        return date(key // 12, key % 12 + 1, 1)
    return period.start


def bucket_label(key: int, grain: Grain, period: Period) -> str:
    """``2026-11-26`` for a day, ``2026-W48`` for a week, ``2026-11`` for a month."""
    if grain == "day":
        return _from_day(key).isoformat()
    if grain == "week":
        iso = _from_day(key).isocalendar()
        return f"{iso.year:04d}-W{iso.week:02d}"
    if grain == "month":
        return f"{key // 12:04d}-{key % 12 + 1:02d}"
    return period.label


def day_of(value: datetime, timezone: str) -> int:
    """The local day number of an aware datetime in ``timezone`` (for tests and callers)."""
    local = ensure_aware(value).astimezone(zone(timezone))
    return _date(local.date())


def check_grain(grain: str) -> Grain:
    """``grain`` if it is one of ``GRAINS``; ``InvalidInput`` otherwise."""
    if grain not in GRAINS:
        raise InvalidInput(f"grain must be one of {', '.join(GRAINS)}, not {grain!r}")
    return grain  # type: ignore[return-value]
