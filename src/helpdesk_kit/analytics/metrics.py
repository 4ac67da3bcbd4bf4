"""The metric catalogue: one entry per KPI, named as in ``docs/kpis.md``.

Each definition says how its rows are shaped (``shape``), which instant puts a record in a
period (``dated_by``), who the ``agent`` dimension is, and which dimensions it can be
grouped by. The words of the definitions live in ``docs/kpis.md``; the computations in
:mod:`helpdesk_kit.analytics.reference` (plain Python) and the SQL backend.
"""

from __future__ import annotations

from typing import Literal

import attrs

from helpdesk_kit.errors import InvalidInput

__all__ = [
    "DIMENSIONS",
    "METRICS",
    "TICKET_DIMENSIONS",
    "MetricDef",
    "Shape",
    "metric",
]

#: Dimensions rows can be grouped and filtered by.
DIMENSIONS = ("channel", "group", "agent", "category", "priority", "tier", "hour", "weekday")
TICKET_DIMENSIONS = DIMENSIONS

Shape = Literal["count", "duration", "rate", "csat", "nps", "money", "activity", "load"]


@attrs.frozen
class MetricDef:
    """One KPI: its name, title, row shape, dating rule and the dimensions it supports."""

    name: str
    title: str
    shape: Shape
    dated_by: str
    agent: str
    dimensions: tuple[str, ...] = DIMENSIONS
    lower_is_better: bool = False


_M = [
    MetricDef("volume", "Ticket volume", "count", "created", "assignee"),
    MetricDef(
        "first_response",
        "First response time",
        "duration",
        "created",
        "first responder",
        lower_is_better=True,
    ),
    MetricDef(
        "next_response",
        "Next response time",
        "duration",
        "reply",
        "replying agent",
        lower_is_better=True,
    ),
    MetricDef(
        "resolution",
        "Full resolution time",
        "duration",
        "solved",
        "assignee",
        lower_is_better=True,
    ),
    MetricDef("one_touch_rate", "One-touch resolution rate", "rate", "solved", "assignee"),
    MetricDef("reopen_rate", "Reopen rate", "rate", "created", "assignee", lower_is_better=True),
    MetricDef("csat", "CSAT", "csat", "rated", "surveyed agent"),
    MetricDef("nps", "NPS", "nps", "rated", "surveyed agent"),
    MetricDef(
        "backlog",
        "Backlog and ticket age",
        "duration",
        "now",
        "assignee",
        dimensions=("channel", "group", "agent", "category", "priority", "tier"),
        lower_is_better=True,
    ),
    MetricDef(
        "agent_activity",
        "Handled tickets and responses",
        "activity",
        "solved / reply",
        "agent",
        dimensions=("agent",),
    ),
    MetricDef("utilisation", "Agent utilisation", "load", "now", "agent", dimensions=("agent",)),
    MetricDef(
        "bot_containment",
        "Bot containment rate",
        "rate",
        "created",
        "none",
        dimensions=("channel", "group", "category", "priority", "tier", "hour", "weekday"),
    ),
    MetricDef("conversion_rate", "Pre-sale conversion rate", "rate", "created", "assignee"),
    MetricDef(
        "repeat_rate",
        "Repeat purchase rate of served customers",
        "rate",
        "created",
        "none",
        dimensions=("tier",),
    ),
    MetricDef(
        "clv",
        "Lifetime value of served customers",
        "money",
        "created",
        "none",
        dimensions=("tier",),
    ),
    MetricDef(
        "sla_achievement",
        "SLA achievement per metric",
        "rate",
        "met or breached",
        "assignee",
    ),
]

METRICS: dict[str, MetricDef] = {m.name: m for m in _M}


def metric(name: str) -> MetricDef:
    """The definition of metric ``name``; ``InvalidInput`` naming the known ones."""
    try:
        return METRICS[name]
    except KeyError:
        raise InvalidInput(f"unknown metric {name!r} (known: {', '.join(METRICS)})") from None
