"""Result rows and the arithmetic every backend shares: raw integer aggregates become values.

Backends return *raw* aggregates per group (counts, integer sums, the two order statistics
around each percentile); :func:`finalize` turns them into the reported values the same way
for SQL and the plain-Python reference, so both give identical numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import attrs

from helpdesk_kit.analytics.metrics import metric
from helpdesk_kit.analytics.periods import Grain, Period, bucket_label, bucket_start
from helpdesk_kit.analytics.query import AMOUNT_SCALE

__all__ = [
    "GroupKey",
    "MetricRow",
    "Raw",
    "assemble",
    "finalize",
    "order_stats",
    "percentile_rank",
]

#: ``(bucket key, value of each grouped dimension...)``
GroupKey = tuple[Any, ...]
#: raw aggregates of one group (integers, or None)
Raw = dict[str, Any]


def percentile_rank(n: int, p: int) -> tuple[int, int]:
    """0-based rank of the lower order statistic and the interpolation numerator (/100).

    The ``p``-th percentile of ``n`` sorted values ``x`` is
    ``x[r] + (x[r+1] - x[r]) * f / 100`` with ``r, f = divmod((n - 1) * p, 100)`` — linear
    interpolation between the closest ranks (PostgreSQL's ``percentile_cont``, NumPy's
    default), in integer arithmetic so every backend picks the same ranks.
    """
    return divmod((n - 1) * p, 100)


def order_stats(values: Sequence[int], percentiles: Sequence[int]) -> dict[str, Any]:
    """``lo_P`` and ``hi_P`` of sorted ``values`` for each percentile (the reference)."""
    n = len(values)
    out: dict[str, Any] = {}
    for p in percentiles:
        r, _ = percentile_rank(n, p)
        out[f"lo_{p}"] = values[r] if n else None
        out[f"hi_{p}"] = values[r + 1] if r + 1 < n else None
    return out


def _interpolate(raw: Raw, p: int, scale: float) -> float | None:
    n = raw.get("n") or 0
    lo = raw.get(f"lo_{p}")
    if not n or lo is None:
        return None
    _, f = percentile_rank(n, p)
    hi = raw.get(f"hi_{p}")
    value = lo if hi is None or f == 0 else lo + (hi - lo) * f / 100
    return float(value) / scale


def _rate(hits: int, count: int) -> float | None:
    return hits / count if count else None


def finalize(name: str, raw: Raw, percentiles: Sequence[int]) -> dict[str, Any]:
    """The reported values of one group of metric ``name`` from its raw aggregates."""
    shape = metric(name).shape
    if shape == "count":
        return {"tickets": int(raw.get("n") or 0)}
    if shape == "duration":
        n = int(raw.get("n") or 0)
        out: dict[str, Any] = {"count": n, "mean_s": raw["sum"] / n / 1000 if n else None}
        for p in percentiles:
            out[f"p{p}_s"] = _interpolate(raw, p, 1000)
        return out
    if shape == "rate":
        n, hits = int(raw.get("n") or 0), int(raw.get("hits") or 0)
        return {"count": n, "hits": hits, "rate": _rate(hits, n)}
    if shape == "csat":
        n = int(raw.get("n") or 0)
        dist = {f"score_{k}": int(raw.get(f"s{k}") or 0) for k in range(1, 6)}
        satisfied = dist["score_4"] + dist["score_5"]
        return {
            "responses": n,
            "mean": raw["sum"] / n if n else None,
            "satisfied": satisfied,
            "csat": _rate(satisfied, n),
            **dist,
        }
    if shape == "nps":
        n = int(raw.get("n") or 0)
        pro, det = int(raw.get("promoters") or 0), int(raw.get("detractors") or 0)
        return {
            "responses": n,
            "promoters": pro,
            "passives": n - pro - det,
            "detractors": det,
            "nps": (pro - det) * 100 / n if n else None,
        }
    if shape == "money":
        n = int(raw.get("n") or 0)
        total = Decimal(int(raw.get("sum") or 0)) / AMOUNT_SCALE
        money: dict[str, Any] = {
            "customers": n,
            "total": total,
            "mean": (total / n).quantize(Decimal("0.01")) if n else None,
        }
        for p in percentiles:
            value = _interpolate(raw, p, 1)
            money[f"p{p}"] = (
                None if value is None else (Decimal(value) / AMOUNT_SCALE).quantize(Decimal("0.01"))
            )
        return money
    if shape == "activity":
        return {
            "handled": int(raw.get("handled") or 0),
            "responses": int(raw.get("responses") or 0),
            "tickets_touched": int(raw.get("touched") or 0),
            "active_hours": int(raw.get("active_hours") or 0),
        }
    # load
    open_, capacity = int(raw.get("open") or 0), int(raw.get("capacity") or 0)
    return {"open": open_, "capacity": capacity, "utilisation": _rate(open_, capacity)}


@attrs.frozen
class MetricRow:
    """One row of a KPI result: the bucket, the group's dimension values and the numbers."""

    metric: str
    bucket: str
    bucket_start: date
    keys: dict[str, Any] = attrs.field(factory=dict, hash=False)
    values: dict[str, Any] = attrs.field(factory=dict, hash=False)

    def as_dict(self) -> dict[str, Any]:
        """The row as one flat mapping (metric, bucket, dimensions, values)."""
        return {"metric": self.metric, "bucket": self.bucket, **self.keys, **self.values}

    def __getitem__(self, name: str) -> Any:
        """A dimension's or a value's entry: ``row["channel"]``, ``row["p50_s"]``."""
        if name in self.values:
            return self.values[name]
        if name in self.keys:
            return self.keys[name]
        return self.as_dict()[name]


def _sort_key(key: GroupKey) -> tuple[Any, ...]:
    return tuple((v is not None, v if v is not None else 0) for v in key)


def assemble(
    name: str,
    groups: Mapping[GroupKey, Raw],
    *,
    by: Sequence[str],
    grain: Grain,
    period: Period,
    percentiles: Sequence[int],
    extra_keys: Sequence[str] = (),
) -> list[MetricRow]:
    """Rows from raw groups keyed ``(bucket, *by, *extra_keys)``, in key order."""
    rows = []
    names = [*by, *extra_keys]
    for key in sorted(groups, key=_sort_key):
        bucket = int(key[0])
        rows.append(
            MetricRow(
                metric=name,
                bucket=bucket_label(bucket, grain, period),
                bucket_start=bucket_start(bucket, grain, period),
                keys=dict(zip(names, key[1:], strict=True)),
                values=finalize(name, groups[key], percentiles),
            )
        )
    return rows
