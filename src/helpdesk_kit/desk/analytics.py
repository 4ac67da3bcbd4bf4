"""KPI analytics on the desk: metrics, hot words, scorecards, the leaderboard and reports.

A mixin of :class:`~helpdesk_kit.desk.service.Helpdesk`. Every desk keeps the derived KPI
facts current (a reactor lists each changed ticket in the same transaction); queries refresh
them first and then compute in the storage (SQL on SQLite and PostgreSQL, the plain-Python
reference in memory).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from operator import itemgetter
from typing import TYPE_CHECKING, Any, cast

import attrs

from helpdesk_kit.analytics.appraisal import (
    SCORECARD_METRICS,
    Leaderboard,
    QualityGuard,
    Scorecard,
    leaderboard,
    scorecards,
)
from helpdesk_kit.analytics.hotwords import HotWords, hot_words
from helpdesk_kit.analytics.metrics import METRICS, metric
from helpdesk_kit.analytics.periods import Period, ms_of, parse_period
from helpdesk_kit.analytics.query import KpiContext, KpiQuery, OrderRows
from helpdesk_kit.analytics.report import ReportData
from helpdesk_kit.analytics.rows import MetricRow
from helpdesk_kit.analytics.sla import SlaTimerRecord, SlaTimers
from helpdesk_kit.desk.work import Work
from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.storage.base import TicketFilter, UnitOfWork
from helpdesk_kit.tickets.model import Customer, StateCategory, TicketEvent

if TYPE_CHECKING:
    from helpdesk_kit.desk.service import Helpdesk

__all__ = ["KpiCommands"]

_REACTOR = "kpi_facts"
#: metrics that read the host application's orders (the ``customer_orders`` hook)
ORDER_METRICS = ("conversion_rate", "repeat_rate", "clv")
#: the report's sections after its summary: section -> (metric, query change) asked; a
#: section of one metric holds that metric's rows (the SLA section is the summary's rows)
_REPORT_SECTIONS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "daily": [
        (n, {"grain": "day"})
        for n in ("volume", "first_response", "resolution", "one_touch_rate", "csat")
    ],
    "by_channel": [
        (n, {"by": ("channel",)}) for n in ("volume", "first_response", "one_touch_rate", "csat")
    ],
    "by_agent": [(n, {"by": ("agent",)}) for n in SCORECARD_METRICS],
    "by_category": [("volume", {"by": ("category",)})],
    "by_hour": [("volume", {"by": ("hour",)})],
    "by_weekday": [("volume", {"by": ("weekday",)})],
    "backlog_by_priority": [("backlog", {"by": ("priority",)})],
}


#: summary metrics a report computes apart, with the hot words and the order metrics (beside
#: its other statements where the storage has a reader): they share no pass with the others
_READ_BESIDE = ("bot_containment",)
#: every metric computed apart (see ``KpiCommands._aside``)
_ASIDE = (*ORDER_METRICS, *_READ_BESIDE)
_NO_ORDERS = "needs a plugin implementing the customer_orders hook"


def _as_desk(obj: object) -> Helpdesk:
    """The desk a mixin method runs on (the mixin is only ever a base of ``Helpdesk``)."""
    return cast("Helpdesk", obj)


def _track(desk: Helpdesk, work: Work, events: list[TicketEvent]) -> None:
    work.uow.analytics.mark_dirty({e.ticket_id for e in events})


def _desk_sla_records(uow: UnitOfWork) -> list[SlaTimerRecord]:
    """Every SLA timer of an in-memory desk, as analytics reads them."""
    ids: list[str] = []
    after: str | None = None
    while True:
        page = uow.tickets.list(TicketFilter(include_merged=True), limit=1000, after=after)
        ids.extend(t.id for t in page.items)
        if page.next_cursor is None:
            break
        after = page.next_cursor
    out: list[SlaTimerRecord] = []
    for timers in uow.sla.list_for_tickets(ids).values():
        for timer in timers:
            if timer.due_at is None:
                continue  # no target: nothing was due
            out.append(
                SlaTimerRecord(
                    ticket_id=timer.ticket_id,
                    metric=timer.metric,
                    due_ms=ms_of(timer.due_at),
                    met_ms=None if timer.met_at is None else ms_of(timer.met_at),
                    breached_ms=None if timer.breached_at is None else ms_of(timer.breached_at),
                    status=str(timer.status),
                )
            )
    return out


class KpiCommands:
    """KPI commands (mixed into ``Helpdesk``)."""

    _kpi_sla: SlaTimers | None = None

    def _install_kpi_tracking(self) -> None:
        """Keep the derived KPI facts in step with every change (called by ``Helpdesk``)."""
        _as_desk(self).add_reactor(_REACTOR, _track)

    def configure_kpis(self, *, sla_timers: SlaTimers | None = None) -> None:
        """Say where SLA achievement reads the SLA timers (default: the desk's own)."""
        if sla_timers is not None and not isinstance(sla_timers, SlaTimers):
            raise InvalidInput("sla_timers must be a helpdesk_kit.analytics.sla.SlaTimers")
        self._kpi_sla = sla_timers

    def refresh_kpis(self, *, full: bool = False) -> int:
        """Bring the derived KPI facts up to date now; how many tickets were refreshed.

        ``full=True`` derives them again for every ticket (after importing history that
        bypassed the desk). Queries refresh by themselves; this is for scheduled jobs.
        """
        desk = _as_desk(self)
        with desk.storage.unit_of_work() as uow:
            count = uow.analytics.refresh(full=full)
            uow.commit()
            return count

    def kpi_query(self, period: str | Period, **options: Any) -> KpiQuery:
        """A :class:`KpiQuery` in the desk's time zone unless ``timezone`` is given."""
        desk = _as_desk(self)
        options.setdefault("timezone", desk.settings.timezone)
        if options.get("filters") is None:
            options.pop("filters", None)
        try:
            return KpiQuery(period=parse_period(period), **options)
        except TypeError as exc:
            raise InvalidInput(f"unknown KPI option: {exc}") from None

    def _context(
        self,
        uow: UnitOfWork,
        query: KpiQuery,
        names: Iterable[str],
        *,
        fetch_orders: bool = True,
    ) -> KpiContext:
        desk = _as_desk(self)
        open_statuses = tuple(
            sorted(
                {
                    s.name
                    for lc in desk.lifecycles.values()
                    for s in lc.states.values()
                    if s.category not in (StateCategory.SOLVED, StateCategory.CLOSED)
                }
            )
        )
        orders: OrderRows | None = None
        if fetch_orders:
            plan = desk._order_plan(uow, query, names)
            if plan is not None:
                plan.fetch()
                orders = plan.finish(uow)
        return KpiContext(now=desk.now(), open_statuses=open_statuses, orders=orders)

    def _order_plan(
        self, uow: UnitOfWork, query: KpiQuery, names: Iterable[str]
    ) -> _OrderPlan | None:
        """Who to ask for the orders the metrics ``names`` need (None: no order hook).

        Plugins implementing ``customer_orders_many`` are asked once with every id; plugins
        implementing only ``customer_orders`` once per customer (loaded here, in bulk).
        ``plan.fetch()`` asks the host — Python work a worker thread can do while the
        database computes other metrics — and ``plan.finish(uow)`` asks, per customer,
        the plugins that declined the bulk question.
        """
        desk = _as_desk(self)
        wanted = [n for n in names if n in ORDER_METRICS]
        many = {impl.plugin for impl in desk.hook.customer_orders_many.get_hookimpls()}
        single = {impl.plugin for impl in desk.hook.customer_orders.get_hookimpls()}
        if not wanted or not (many or single):
            return None
        ids = uow.analytics.served_customer_ids(
            query, pre_sale_only="repeat_rate" not in wanted and "clv" not in wanted
        )
        only_single = single - many
        customers = uow.analytics.customers(ids) if only_single else []
        return _OrderPlan(desk, ids, many, single, customers, only_single)

    def _compute(
        self, uow: UnitOfWork, name: str, query: KpiQuery, ctx: KpiContext
    ) -> list[MetricRow]:
        metric(name)
        sla = self._kpi_sla
        records = None
        table = None
        if name == "sla_achievement" and sla is not None:
            table = sla.table
            records = list(sla.records(uow)) if sla.records is not None else None
        elif name == "sla_achievement":
            # the desk's own SLA timers: the sla_timers table on SQL, the repository in memory
            if _as_desk(self).storage.name == "memory":
                records = _desk_sla_records(uow)
            else:
                from helpdesk_kit.storage.sql.tables_sla import sla_timers

                table = sla_timers
        return uow.analytics.compute(name, query, ctx, sla_records=records, sla_table=table)

    def kpi(
        self,
        name: str,
        period: str | Period,
        *,
        grain: str = "period",
        by: Sequence[str] | str = (),
        filters: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> list[MetricRow]:
        """The rows of one metric, e.g. ``desk.kpi("first_response", "2026-11", by="channel")``.

        ``grain``: ``day``, ``week``, ``month`` or ``period``; ``by``: dimensions; ``filters``:
        dimension -> allowed values; other options as :class:`KpiQuery` (``timezone``,
        ``percentiles``, ``bot_return_window``, ``conversion_window``, ``pre_sale_tag``).
        """
        return self.kpis([name], period, grain=grain, by=by, filters=filters, **options)[name]

    def kpis(
        self,
        names: Iterable[str],
        period: str | Period,
        *,
        grain: str = "period",
        by: Sequence[str] | str = (),
        filters: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> dict[str, list[MetricRow]]:
        """Several metrics for one query, computed in one unit of work."""
        desk = _as_desk(self)
        wanted = list(dict.fromkeys(names))
        for n in wanted:
            metric(n)
        query = desk.kpi_query(period, grain=grain, by=by, filters=filters, **options)
        with desk.storage.unit_of_work() as uow:
            uow.analytics.refresh()
            uow.commit()
            try:
                ctx = desk._context(uow, query, wanted)
                uow.analytics.expect((n, query) for n in wanted)
                return {n: desk._compute(uow, n, query, ctx) for n in wanted}
            finally:
                uow.analytics.release()

    def hot_words(
        self,
        period: str | Period,
        *,
        top: int = 20,
        rising: int = 10,
        sample: int = 3000,
        filters: Mapping[str, Any] | None = None,
        min_tickets: int = 3,
        **options: Any,
    ) -> HotWords:
        """Top and rising terms of customers' messages in the period (vs the period before).

        At most about ``sample`` tickets per period are read (see
        :meth:`~helpdesk_kit.storage.analytics.AnalyticsRepository.hot_word_texts`).
        """
        desk = _as_desk(self)
        query = desk.kpi_query(period, filters=filters, **options)
        before = query.evolve(period=query.period.previous())
        with desk.storage.unit_of_work() as uow:
            uow.analytics.refresh()
            uow.commit()
            try:
                now = uow.analytics.hot_word_texts(query, sample=sample)
                old = uow.analytics.hot_word_texts(before, sample=sample)
            finally:
                uow.analytics.release()
        return hot_words(now, old, top=top, rising=rising, min_tickets=min_tickets)

    def _agent_names(self) -> dict[str, str]:
        desk = _as_desk(self)
        return {a.id: a.name for a in desk.agents()}

    def scorecards(
        self,
        period: str | Period,
        *,
        guard: QualityGuard | None = None,
        filters: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> list[Scorecard]:
        """One scorecard per agent for the period (volume, speed, quality, SLA when wired)."""
        desk = _as_desk(self)
        rows = desk.kpis(SCORECARD_METRICS, period, by=["agent"], filters=filters, **options)
        return scorecards(rows, desk._agent_names(), guard)

    def leaderboard(
        self,
        period: str | Period,
        *,
        guard: QualityGuard | None = None,
        filters: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> Leaderboard:
        """Rankings with the quality guard, the computed star and best-resolution award."""
        desk = _as_desk(self)
        g = guard or QualityGuard()
        return leaderboard(desk.scorecards(period, guard=g, filters=filters, **options), g)

    def report_data(
        self,
        period: str | Period,
        *,
        guard: QualityGuard | None = None,
        filters: Mapping[str, Any] | None = None,
        hot_word_sample: int = 3000,
        **options: Any,
    ) -> ReportData:
        """Every number of the period's report, as plain rows (what ``report`` renders)."""
        desk = _as_desk(self)
        g = guard or QualityGuard()
        base = desk.kpi_query(period, filters=filters, **options)
        names = list(METRICS)
        unavailable: dict[str, str] = {}
        with desk.storage.unit_of_work() as uow:
            uow.analytics.refresh()
            uow.commit()
            try:
                ctx = desk._context(uow, base, names, fetch_orders=False)
                before = base.evolve(period=base.period.previous())
                # Where the storage offers a reading unit of work on a connection of its own
                # (SqlStorage.reader), a worker thread computes there what _aside computes
                # (the host's orders and the metrics on them, the hot words, bot
                # containment: Python work and statements that share nothing with the
                # others) while this thread runs the other statements. On SQLite this unit
                # of work holds the write lock, so the reader sees the same state;
                # PostgreSQL reads the last committed state statement by statement, as every
                # report statement does. Without a reader, this thread computes it last.
                reader = getattr(desk.storage, "reader", None)
                beside = reader() if reader is not None else None
                mine = [n for n in names if n not in _ASIDE]
                jobs = _ReportJobs(
                    [("summary", n, base) for n in mine]
                    + [
                        (section, n, base.evolve(**c))
                        for section, asked in _REPORT_SECTIONS.items()
                        for n, c in asked
                    ]
                )
                with ThreadPoolExecutor(1, thread_name_prefix="helpdesk-kit-report") as pool:
                    aside_job = (
                        None
                        if beside is None
                        else pool.submit(
                            desk._read_beside, beside, base, before, hot_word_sample, ctx, jobs
                        )
                    )
                    jobs.work(desk, uow, ctx)
                    if aside_job is None:
                        words, read = desk._aside(uow, base, before, hot_word_sample, ctx)
                    else:
                        words, read = aside_job.result()

                def taken(name: str, found: list[MetricRow] | str) -> list[MetricRow]:
                    if isinstance(found, str):
                        unavailable[name] = found
                        return []
                    return found

                def rows(slot: str, name: str) -> list[MetricRow]:
                    # a metric unavailable in an earlier slot is empty in the later ones
                    if name in unavailable:
                        return []
                    return taken(name, jobs.found[slot, name])

                summary = {n: rows("summary", n) for n in mine}
                results: dict[str, Any] = {
                    section: {n: rows(section, n) for n, _ in asked}
                    for section, asked in _REPORT_SECTIONS.items()
                }
                # sections of one metric hold its rows, not a dict of one entry
                for section, asked in _REPORT_SECTIONS.items():
                    if len(asked) == 1:
                        results[section] = results[section][asked[0][0]]
                results["sla"] = summary["sla_achievement"]
                for n, found in read.items():
                    summary[n] = taken(n, found)
                results["summary"] = {n: summary[n] for n in names}
            finally:
                uow.analytics.release()
        cards = scorecards(results["by_agent"], desk._agent_names(), g)
        return ReportData(
            period=base.period,
            timezone=base.timezone,
            generated_at=ctx.now,
            summary=results["summary"],
            daily=results["daily"],
            by_channel=results["by_channel"],
            by_category=results["by_category"],
            by_hour=results["by_hour"],
            by_weekday=results["by_weekday"],
            sla=results["sla"],
            backlog_by_priority=results["backlog_by_priority"],
            hot_words=words,
            scorecards=cards,
            leaderboard=leaderboard(cards, g),
            # in the metrics' order, however they were computed
            unavailable={n: unavailable[n] for n in names if n in unavailable},
        )

    def _rows_or_reason(
        self, uow: UnitOfWork, name: str, query: KpiQuery, ctx: KpiContext
    ) -> list[MetricRow] | str:
        """A report's rows of one metric, or why they cannot be computed (the message)."""
        try:
            return self._compute(uow, name, query, ctx)
        except InvalidInput as exc:
            return str(exc)

    def _aside(
        self, uow: UnitOfWork, now: KpiQuery, before: KpiQuery, sample: int, ctx: KpiContext
    ) -> tuple[HotWords, dict[str, list[MetricRow] | str]]:
        """What a report computes apart from its other metrics: the hot words and the rows
        (or why unavailable) of the metrics of :data:`_ASIDE` (the host's orders asked here)."""
        desk = _as_desk(self)
        read: dict[str, list[MetricRow] | str] = {}
        plan = desk._order_plan(uow, now, ORDER_METRICS)
        if plan is not None:
            plan.fetch()
            ctx_orders = attrs.evolve(ctx, orders=plan.finish(uow))
        texts_now = uow.analytics.hot_word_texts(now, sample=sample)
        texts_old = uow.analytics.hot_word_texts(before, sample=sample)
        for name in _READ_BESIDE:
            read[name] = desk._rows_or_reason(uow, name, now, ctx)
        for name in ORDER_METRICS:
            if plan is None:
                read[name] = _NO_ORDERS
            else:
                read[name] = desk._rows_or_reason(uow, name, now, ctx_orders)
        return hot_words(texts_now, texts_old), read

    def _read_beside(
        self,
        reader: UnitOfWork,
        now: KpiQuery,
        before: KpiQuery,
        sample: int,
        ctx: KpiContext,
        jobs: _ReportJobs,
    ) -> tuple[HotWords, dict[str, list[MetricRow] | str]]:
        """:meth:`_aside` in a reading unit of work of its own (a report's worker thread),
        then the report's jobs on created tickets that the main thread has not taken."""
        with reader as uow:
            try:
                found = self._aside(uow, now, before, sample, ctx)
                jobs.work(_as_desk(self), uow, ctx, created_only=True)
                return found
            finally:
                uow.analytics.release()

    def report(self, period: str | Period, *, format: str = "html", **options: Any) -> str:
        """The period's report as ``html`` (tables and inline SVG charts), ``csv`` or ``json``."""
        from helpdesk_kit.analytics.report import render

        return render(_as_desk(self).report_data(period, **options), format)


class _ReportJobs:
    """A report's metric requests in jobs: per query, one job of the metrics dated by
    creation and one of the others (metrics sharing a pass share a query and the rows they
    read, so they stay in one job). The main thread takes jobs from the front; a reader's
    thread, done with its own work, from the back while they are dated by creation (it
    copied the period's created tickets for bot containment). Those jobs come last, so the
    two threads meet there."""

    def __init__(self, requests: Iterable[tuple[str, str, KpiQuery]]) -> None:
        groups: dict[tuple[KpiQuery, bool], list[tuple[str, str, KpiQuery]]] = {}
        for slot, name, query in requests:
            created = metric(name).dated_by == "created"
            groups.setdefault((query, created), []).append((slot, name, query))
        # (dated by creation, the job), those dated by creation last
        jobs = [(created, job) for (_, created), job in groups.items()]
        self._jobs = deque(sorted(jobs, key=itemgetter(0)))
        self._lock = threading.Lock()
        #: (slot, metric) -> the rows, or why the metric is unavailable
        self.found: dict[tuple[str, str], list[MetricRow] | str] = {}

    def _take(self, created_only: bool) -> list[tuple[str, str, KpiQuery]] | None:
        with self._lock:
            if not self._jobs:
                return None
            if not created_only:
                return self._jobs.popleft()[1]
            if not self._jobs[-1][0]:
                return None
            return self._jobs.pop()[1]

    def work(
        self, desk: Helpdesk, uow: UnitOfWork, ctx: KpiContext, *, created_only: bool = False
    ) -> None:
        """Compute jobs in ``uow`` until none is left (that this thread takes)."""
        while (job := self._take(created_only)) is not None:
            uow.analytics.expect([(name, query) for _, name, query in job])
            for slot, name, query in job:
                self.found[slot, name] = desk._rows_or_reason(uow, name, query, ctx)


class _OrderPlan:
    """Asking the host application for the orders of the customers a query serves."""

    def __init__(
        self,
        desk: Helpdesk,
        ids: list[str],
        many: set[object],
        single: set[object],
        customers: list[Customer],
        ask_each: set[object],
    ) -> None:
        self.desk, self.ids, self.many, self.single = desk, ids, many, single
        self.customers, self.ask_each = customers, ask_each
        self.orders = OrderRows()
        self.declined: set[object] = set()

    def _caller(self, name: str, plugins: set[object]) -> Any:
        pm = self.desk.plugin_manager
        others = [p for p in pm.get_plugins() if p not in plugins]
        return pm.subset_hook_caller(name, remove_plugins=others)

    def _ask_each(self, customers: Sequence[Customer], plugins: set[object]) -> None:
        ask = self._caller("customer_orders", plugins)
        for customer in customers:
            for found in ask(desk=self.desk, customer=customer):
                if found:
                    self.orders.extend_from_hook(customer.id, found)

    def fetch(self) -> None:
        """Ask the host (no database work): in bulk, and per customer where planned."""
        for plugin in self.many:
            results = self._caller("customer_orders_many", {plugin})(
                desk=self.desk, customer_ids=self.ids
            )
            if not results and plugin in self.single:
                self.declined.add(plugin)
            for found in results:
                self.orders.extend_from_hooks(found)
        if self.customers:
            self._ask_each(self.customers, self.ask_each)

    def finish(self, uow: UnitOfWork) -> OrderRows:
        """Ask per customer the plugins that declined the bulk question; every order."""
        if self.declined:
            self._ask_each(uow.analytics.customers(self.ids), self.declined)
            self.declined = set()
        return self.orders
