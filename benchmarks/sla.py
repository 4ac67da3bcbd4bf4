"""SLA benchmarks.

Section ``calendar``: ``BusinessCalendar.elapsed`` on Mon–Fri 09:00–18:00 Asia/Shanghai with
China's 2025–2026 holidays and make-up working days, against the ``businesstime`` package
on the same random pairs (up to 30 days apart), in the same run.

Run::

    PYTHONPATH=src /work/venv/bin/python benchmarks/sla.py                # every section
    PYTHONPATH=src /work/venv/bin/python benchmarks/sla.py --only calendar --pairs 100000

New sections: write ``bench_<name>(args)`` and add it to ``SECTIONS``.
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import random
import sys
import time as timer
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

try:
    import helpdesk_kit  # noqa: F401
except ImportError:  # running from a checkout without PYTHONPATH=src
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from helpdesk_kit.sla import ChinaHolidays, china_business_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
OPEN, CLOSE = time(9), time(18)


def _pairs(count: int, seed: int, max_days: int) -> list[tuple[datetime, datetime]]:
    """Random aware Shanghai pairs: start in 2025-01-01..2026-12-01, end up to max_days later."""
    rng = random.Random(seed)
    origin = datetime(2025, 1, 1, tzinfo=SHANGHAI)
    span = int((datetime(2026, 12, 1, tzinfo=SHANGHAI) - origin).total_seconds())
    out = []
    for _ in range(count):
        start = origin + timedelta(seconds=rng.randrange(span))
        out.append((start, start + timedelta(seconds=rng.randrange(max_days * 86400 + 1))))
    return out


def _time_calls(fn: Callable[[], list[object]], repeat: int) -> tuple[float, list[object]]:
    """Best-of-``repeat`` wall time of ``fn`` and its last result."""
    best = float("inf")
    result: list[object] = []
    for _ in range(repeat):
        began = timer.perf_counter()
        result = fn()
        best = min(best, timer.perf_counter() - began)
    return best, result


def bench_calendar(args: argparse.Namespace) -> dict[str, float]:
    """Compare ``elapsed`` with businesstime on the same pairs; print figures and disagreements."""
    import businesstime  # the baseline; not a helpdesk_kit dependency

    pairs = _pairs(args.pairs, args.seed, args.max_days)
    naive_pairs = [(a.replace(tzinfo=None), b.replace(tzinfo=None)) for a, b in pairs]
    china = {y: ChinaHolidays().schedule(y) for y in (2025, 2026)}
    holidays = {d for s in china.values() for d in s.holidays}
    makeup_days = sorted(d for s in china.values() for d in s.working_days)

    # One-time index of a fresh calendar (both years), then the steady state.
    began = timer.perf_counter()
    calendar = china_business_calendar()
    calendar.elapsed(datetime(2025, 1, 1, tzinfo=SHANGHAI), datetime(2026, 12, 31, tzinfo=SHANGHAI))
    index_s = timer.perf_counter() - began

    # A set makes businesstime's holiday test O(1): the fairest baseline we can give it.
    baseline = businesstime.BusinessTime(
        business_hours=(OPEN, CLOSE), weekends=(5, 6), holidays=frozenset(holidays)
    )
    elapsed = calendar.elapsed
    delta = baseline.businesstimedelta
    ours_s, ours = _time_calls(lambda: [elapsed(a, b) for a, b in pairs], args.repeat)
    theirs_s, theirs_raw = _time_calls(lambda: [delta(a, b) for a, b in naive_pairs], args.repeat)
    # businesstime counts whole business days in .days; each is one 9-hour day.
    day = timedelta(hours=9)
    theirs = [t.days * day + timedelta(seconds=t.seconds, microseconds=t.microseconds)
              for t in theirs_raw]  # type: ignore[attr-defined]

    n = len(pairs)
    ours_us = ours_s / n * 1e6
    theirs_us = theirs_s / n * 1e6
    print(f"== calendar: elapsed() on {n:,} pairs up to {args.max_days} days apart "
          f"(Mon–Fri 9–18 Asia/Shanghai, China 2025–2026; best of {args.repeat})")
    print(f"  index build (2 years, one-time): {index_s * 1e3:8.2f} ms")
    print(f"  helpdesk_kit BusinessCalendar : {ours_us:8.2f} µs/call  ({ours_s:.3f} s total)")
    print(f"  businesstime 0.3              : {theirs_us:8.2f} µs/call  ({theirs_s:.3f} s total)")
    print(f"  speed ratio                   : {theirs_s / ours_s:8.1f}x faster")

    # Who is right?  Recount every pair day by day with chinese_calendar.is_workday
    # (independent of helpdesk_kit's index and providers), then explain each disagreement.
    import chinese_calendar

    workday = functools.lru_cache(maxsize=None)(chinese_calendar.is_workday)
    makeup = set(makeup_days)
    wrong_ours = 0
    reasons: Counter[str] = Counter()
    shapes: Counter[str] = Counter()
    examples: list[str] = []
    for (a, b), mine, base in zip(pairs, ours, theirs, strict=True):
        truth, on_makeup = _recount(a, b, workday, makeup)
        if mine != truth:
            wrong_ours += 1
        if mine == base:
            continue
        if base == truth:
            reasons["businesstime right, helpdesk_kit wrong"] += 1
        elif base == truth - on_makeup:
            reasons["make-up working day (调休): businesstime counts it as a weekend"] += 1
        else:
            reasons["businesstime miscounts (see shapes below)"] += 1
            shapes[_shape(a, b)] += 1
            if len(examples) < args.show:
                examples.append(f"      e.g. {a:%Y-%m-%d %a %H:%M} → {b:%Y-%m-%d %a %H:%M}: "
                                f"open {truth}, businesstime {base}")
    agree = n - sum(reasons.values())
    print(f"  helpdesk_kit equals the day-by-day recount on {n - wrong_ours:,} of {n:,} pairs")
    print(f"  businesstime agrees with helpdesk_kit on {agree:,} of {n:,} ({agree / n:.1%}); "
          "the rest:")
    for reason, count in reasons.most_common():
        print(f"    {count:7,}  {reason}")
    for shape, count in shapes.most_common(4):
        print(f"             {count:7,}  {shape}")
    for line in examples:
        print(line)
    print("  (businesstime has no time zones: it was given naive Shanghai wall times, which is")
    print("   exact here only because Asia/Shanghai has no DST.)")
    return {"ours_us": ours_us, "theirs_us": theirs_us, "ratio": theirs_s / ours_s,
            "index_ms": index_s * 1e3, "disagree": float(n - agree),
            "ours_wrong": float(wrong_ours)}


def _recount(
    a: datetime, b: datetime, workday: Callable[[date], bool], makeup: set[date]
) -> tuple[timedelta, timedelta]:
    """Open time in [a, b) by walking the days; also the part that falls on make-up days."""
    total = on_makeup = timedelta(0)
    day = a.date()
    while day <= b.date():
        if workday(day):
            part = min(b, datetime.combine(day, CLOSE, SHANGHAI)) - max(
                a, datetime.combine(day, OPEN, SHANGHAI)
            )
            if part > timedelta(0):
                total += part
                if day in makeup:
                    on_makeup += part
        day += timedelta(days=1)
    return total, on_makeup


def _shape(a: datetime, b: datetime) -> str:
    """Describe where a pair starts and ends relative to opening hours."""
    def where(t: datetime) -> str:
        if t.time() >= CLOSE:
            return "after 18:00"
        if t.time() < OPEN:
            return "before 09:00"
        return "within 09–18"
    return f"start {where(a)}, end {where(b)}" + (", same day" if a.date() == b.date() else "")


SECTIONS: dict[str, Callable[[argparse.Namespace], object]] = {
    "calendar": bench_calendar,
}


def main(argv: list[str] | None = None) -> int:
    """Run the chosen benchmark sections and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--only", choices=sorted(SECTIONS), action="append",
                        help="run only these sections (repeatable); default: all")
    parser.add_argument("--pairs", type=int, default=100_000, help="calendar: random pairs")
    parser.add_argument("--max-days", type=int, default=30, help="calendar: max days apart")
    parser.add_argument("--seed", type=int, default=20251001)
    parser.add_argument("--repeat", type=int, default=3, help="best of N timing runs")
    parser.add_argument("--show", type=int, default=5, help="examples of unexplained differences")
    args = parser.parse_args(argv)
    print(f"python {sys.version.split()[0]} on {platform.machine()}, {os.cpu_count()} CPU(s)")
    for name in args.only or list(SECTIONS):
        SECTIONS[name](args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
