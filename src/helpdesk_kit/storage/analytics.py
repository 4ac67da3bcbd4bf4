"""The storage port for KPI analytics: keep the derived facts current and compute metrics.

Each backend computes every metric of :mod:`helpdesk_kit.analytics.metrics` with the
definitions of ``docs/kpis.md``: the in-memory backend with the plain-Python reference
(:mod:`helpdesk_kit.analytics.reference`), the SQL backends with set-based SQL over
derived facts tables. For the same history all of them return the same rows.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any, Protocol

from helpdesk_kit.analytics.query import KpiContext, KpiQuery
from helpdesk_kit.analytics.rows import MetricRow
from helpdesk_kit.analytics.sla import SlaTimerRecord
from helpdesk_kit.tickets.model import Customer

__all__ = ["AnalyticsRepository", "HotWordText"]

#: ``(ticket_id, ticket_number, text)`` of one customer message, for hot words.
HotWordText = tuple[str, int, str]


class AnalyticsRepository(Protocol):
    """KPI computation over the tickets, their events and the surveys."""

    def mark_dirty(self, ticket_ids: Collection[str]) -> None:
        """Note that these tickets changed; their derived facts are refreshed before use.

        The desk calls it in the same unit of work as every change (a reactor), so a
        committed change is never missed.
        """
        ...

    def refresh(self, *, full: bool = False) -> int:
        """Bring the derived facts up to date (all of them when ``full``); how many tickets."""
        ...

    def compute(
        self,
        name: str,
        query: KpiQuery,
        context: KpiContext,
        *,
        sla_records: Sequence[SlaTimerRecord] | None = None,
        sla_table: Any = None,
    ) -> list[MetricRow]:
        """The rows of metric ``name`` for ``query``; the facts must be fresh (``refresh``).

        SLA achievement reads the SLA timers: ``sla_records`` on the in-memory backend,
        ``sla_table`` (see :mod:`helpdesk_kit.analytics.sla`) on SQL backends; without them
        it has no rows.
        """
        ...

    def expect(self, requests: Iterable[tuple[str, KpiQuery]]) -> None:
        """Note the metrics (name, query) the caller will ``compute`` in this unit of work.

        A hint only: a backend may compute several of them together (the SQL backend runs
        metrics that read the same rows with the same query in one statement) or ignore it;
        the numbers are the same either way.
        """
        ...

    def release(self) -> None:
        """Free what ``compute`` kept for this unit of work (temporary tables, snapshots)."""
        ...

    def served_customer_ids(self, query: KpiQuery, *, pre_sale_only: bool = False) -> list[str]:
        """Ids of customers with a counted ticket created in the period (filters applied).

        With ``pre_sale_only`` only tickets tagged ``query.pre_sale_tag`` count. The desk asks
        the host application for these customers' orders.
        """
        ...

    def customers(self, customer_ids: Sequence[str]) -> list[Customer]:
        """The customers with these ids, in their order (unknown ids left out), in bulk.

        Tags and attributes may be left empty: the objects go to order hooks, which need
        the id, name, tier and identities.
        """
        ...

    def hot_word_texts(self, query: KpiQuery, *, sample: int) -> list[HotWordText]:
        """Customer messages of the counted tickets created in the period, for hot words.

        When more than ``sample`` tickets match, only those whose number is a multiple of
        ``k = ceil(count / sample)`` are taken, so the sample is the same on every backend.
        """
        ...
