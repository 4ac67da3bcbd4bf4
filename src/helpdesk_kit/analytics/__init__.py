"""KPI analytics: metric definitions, periods in the desk's zone, the plain-Python reference,
hot words, agent appraisal and reports.

Pure domain code; the desk's :class:`~helpdesk_kit.desk.analytics.KpiCommands` run the
queries in the storage (SQL on SQLite and PostgreSQL). Definitions: ``docs/kpis.md``.
"""

from __future__ import annotations

from helpdesk_kit.analytics.appraisal import (
    Leaderboard,
    QualityGuard,
    Scorecard,
    leaderboard,
    scorecards,
)
from helpdesk_kit.analytics.hotwords import HotWords, Term, hot_words
from helpdesk_kit.analytics.metrics import DIMENSIONS, METRICS, MetricDef, metric
from helpdesk_kit.analytics.periods import GRAINS, Frame, Period, frame, parse_period
from helpdesk_kit.analytics.query import KpiContext, KpiQuery, Order, OrderRows
from helpdesk_kit.analytics.rows import MetricRow
from helpdesk_kit.analytics.sla import SlaTimerRecord, SlaTimers

__all__ = [
    "DIMENSIONS",
    "GRAINS",
    "METRICS",
    "Frame",
    "HotWords",
    "KpiContext",
    "KpiQuery",
    "Leaderboard",
    "MetricDef",
    "MetricRow",
    "Order",
    "OrderRows",
    "Period",
    "QualityGuard",
    "Scorecard",
    "SlaTimerRecord",
    "SlaTimers",
    "Term",
    "frame",
    "hot_words",
    "leaderboard",
    "metric",
    "parse_period",
    "scorecards",
]
