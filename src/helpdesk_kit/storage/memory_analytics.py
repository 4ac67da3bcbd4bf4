"""KPI analytics in memory: the plain-Python reference over the store's tickets and events."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from helpdesk_kit.analytics.facts import TicketFacts
from helpdesk_kit.analytics.hotwords import sample_every
from helpdesk_kit.analytics.query import KpiContext, KpiQuery
from helpdesk_kit.analytics.reference import KpiData, compute, kpi_data
from helpdesk_kit.analytics.rows import MetricRow
from helpdesk_kit.analytics.sla import SlaTimerRecord
from helpdesk_kit.storage.analytics import HotWordText
from helpdesk_kit.storage.memory_feedback import surveys_of
from helpdesk_kit.tickets.model import AuthorKind, Customer

if TYPE_CHECKING:
    from helpdesk_kit.storage.memory import _Data, _Undo

__all__ = ["MemoryAnalytics", "created_in"]


def created_in(
    facts: Sequence[TicketFacts], query: KpiQuery, tiers: dict[str, str]
) -> list[TicketFacts]:
    """Counted tickets created in the period that pass the query's filters."""
    fr = query.frame
    out = []
    for f in facts:
        if not f.in_scope or not fr.contains(f.created_ms):
            continue
        dims = {
            "channel": f.channel,
            "group": f.group_id,
            "agent": f.assignee_id,
            "category": f.category,
            "priority": f.priority,
            "tier": tiers.get(f.customer_id),
            "hour": fr.hour(f.created_ms),
            "weekday": fr.weekday(f.created_ms),
        }
        if all(dims[k] in v for k, v in query.filters.items()):
            out.append(f)
    return out


class MemoryAnalytics:
    """:class:`~helpdesk_kit.storage.analytics.AnalyticsRepository` on a memory store."""

    def __init__(self, data: _Data, undo: _Undo) -> None:
        self._d = data
        self._cache: KpiData | None = None

    def mark_dirty(self, ticket_ids: Collection[str]) -> None:
        """Nothing to do: the reference reads the live store."""

    def refresh(self, *, full: bool = False) -> int:
        """Nothing is derived ahead in memory; forget this unit's snapshot."""
        self._cache = None
        return 0

    def _data(self) -> KpiData:
        if self._cache is None:
            d = self._d
            self._cache = kpi_data(
                d.tickets.values(),
                lambda tid: d.events_by_ticket.get(tid, []),
                tiers={c.id: c.tier for c in d.customers.values()},
                surveys=list(surveys_of(d).values()),
                agents=list(d.agents.values()),
            )
        return self._cache

    def compute(
        self,
        name: str,
        query: KpiQuery,
        context: KpiContext,
        *,
        sla_records: Sequence[SlaTimerRecord] | None = None,
        sla_table: Any = None,
    ) -> list[MetricRow]:
        """The rows of metric ``name`` computed by the reference."""
        data = self._data()
        if sla_records is not None:
            data = attrs.evolve(data, sla_timers=list(sla_records))
        return compute(name, data, query, context)

    def expect(self, requests: Iterable[tuple[str, KpiQuery]]) -> None:
        """Nothing to plan: the reference computes each metric from the same snapshot."""

    def release(self) -> None:
        """Forget this unit's snapshot of the store."""
        self._cache = None

    def served_customer_ids(self, query: KpiQuery, *, pre_sale_only: bool = False) -> list[str]:
        """Customers with a counted ticket created in the period, by id."""
        data = self._data()
        found = created_in(list(data.tickets.values()), query, dict(data.tiers))
        if pre_sale_only:
            found = [f for f in found if query.pre_sale_tag in f.tags]
        return sorted({f.customer_id for f in found})

    def customers(self, customer_ids: Sequence[str]) -> list[Customer]:
        """The customers with these ids."""
        return [self._d.customers[c] for c in customer_ids if c in self._d.customers]

    def hot_word_texts(self, query: KpiQuery, *, sample: int) -> list[HotWordText]:
        """Customer messages of the sampled counted tickets created in the period."""
        data = self._data()
        found = created_in(list(data.tickets.values()), query, dict(data.tiers))
        k = sample_every(len(found), sample)
        out: list[HotWordText] = []
        for f in sorted(found, key=lambda x: x.number):
            if f.number % k:
                continue
            ids = self._d.message_ids_by_ticket.get(f.ticket_id, [])
            msgs = sorted((self._d.messages[i] for i in ids), key=lambda m: (m.created_at, m.id))
            out.extend(
                (f.ticket_id, f.number, m.text)
                for m in msgs
                if m.author_kind is AuthorKind.CUSTOMER and m.public and m.text
            )
        return out
