"""What each KPI takes from a period's rows, so that several KPIs can share one pass.

A *pass* is one statement over one copy of a period's rows (see
:meth:`~helpdesk_kit.storage.sql.analytics.SqlAnalytics._base`) for one grouping. Each metric
below is written once, as a :class:`PassSpec`: which rows it counts (``where``), the sums it
takes over them and, for a duration, the value whose order statistics it needs. A metric
asked alone runs as its own statement (its ``where`` in the ``WHERE`` clause); metrics the
caller said it will ask with the same query (``SqlAnalytics.expect``) run in one statement,
each aggregate limited to its metric's rows by a ``CASE`` — the same numbers, one scan and
one sort instead of several.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
from sqlalchemy import ColumnElement, FromClause, and_, case, or_

__all__ = ["PASS_METRICS", "PassSpec", "pass_spec"]


@attrs.frozen
class PassSpec:
    """One metric's share of a pass over a period's rows.

    ``sums`` maps each raw aggregate to the per-row value it sums, or to None for a count of
    the metric's rows (every spec without ``value`` has one such count: a group with no rows
    of the metric is not one of its groups). ``value`` is a duration: the pass gives its
    ``n``, ``sum`` and the order statistics around each percentile.
    """

    where: ColumnElement[bool] | None = None
    sums: dict[str, ColumnElement[Any] | None] = attrs.field(factory=dict)
    value: ColumnElement[Any] | None = None

    @property
    def count(self) -> str:
        """The raw aggregate whose zero means "no rows of this metric in the group"."""
        if self.value is not None:
            return "n"
        return next(name for name, expr in self.sums.items() if expr is None)


def _flag(cond: ColumnElement[bool]) -> ColumnElement[Any]:
    return case((cond, 1), else_=0)


def _volume(b: FromClause) -> PassSpec:
    return PassSpec(sums={"n": None})


def _reopen_rate(b: FromClause) -> PassSpec:
    c = b.c
    return PassSpec(
        where=or_(c.solved_ms.is_not(None), c.reopen_count > 0),
        sums={"n": None, "hits": _flag(c.reopen_count > 0)},
    )


def _first_response(b: FromClause) -> PassSpec:
    return PassSpec(value=b.c.first_response_ms - b.c.created_ms)


def _one_touch_rate(b: FromClause) -> PassSpec:
    c = b.c
    return PassSpec(
        where=c.agent_replies >= 1,
        sums={"n": None, "hits": _flag(and_(c.agent_replies == 1, c.reopen_count == 0))},
    )


def _resolution(b: FromClause) -> PassSpec:
    return PassSpec(value=b.c.solved_ms - b.c.created_ms)


def _handled(b: FromClause) -> PassSpec:
    return PassSpec(sums={"handled": None})


def _next_response(b: FromClause) -> PassSpec:
    return PassSpec(where=b.c.first == 0, value=b.c.wait)


def _csat(b: FromClause) -> PassSpec:
    score = b.c.score
    sums: dict[str, ColumnElement[Any] | None] = {"n": None, "sum": score}
    for k in range(1, 6):
        sums[f"s{k}"] = _flag(score == k)
    return PassSpec(where=score.is_not(None), sums=sums)


def _nps(b: FromClause) -> PassSpec:
    nps = b.c.nps
    return PassSpec(
        where=nps.is_not(None),
        sums={"n": None, "promoters": _flag(nps >= 9), "detractors": _flag(nps <= 6)},
    )


#: metric -> (the period's rows it reads, the column that is its agent, its spec);
#: ``agent_activity`` here is its ``handled`` part (the rest reads the responses)
PASS_METRICS: dict[str, tuple[str, str, Callable[[FromClause], PassSpec]]] = {
    "volume": ("created", "assignee", _volume),
    "reopen_rate": ("created", "assignee", _reopen_rate),
    "first_response": ("created", "first_responder", _first_response),
    "one_touch_rate": ("solved", "assignee", _one_touch_rate),
    "resolution": ("solved", "assignee", _resolution),
    "agent_activity": ("solved", "assignee", _handled),
    "next_response": ("replies", "agent", _next_response),
    "csat": ("ratings", "agent", _csat),
    "nps": ("ratings", "agent", _nps),
}


def pass_spec(name: str, rows: FromClause) -> PassSpec:
    """Metric ``name``'s spec over ``rows`` (a copy of the period's rows it reads)."""
    return PASS_METRICS[name][2](rows)
