"""The plain-Python reference implementation of every metric.

It reads the facts of :mod:`helpdesk_kit.analytics.facts` (derived from tickets and their
events), the surveys, customer tiers, agents and the host's orders, and groups them with
ordinary loops. The in-memory storage answers KPI queries with it, and the tests hold the
SQL backends to it: for the same history every backend returns the same rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import timedelta
from typing import Any

import attrs

from helpdesk_kit.analytics.facts import ReplyFact, TicketFacts, reply_facts, ticket_facts
from helpdesk_kit.analytics.metrics import metric
from helpdesk_kit.analytics.periods import Frame, ms_of
from helpdesk_kit.analytics.query import KpiContext, KpiQuery
from helpdesk_kit.analytics.rows import GroupKey, MetricRow, Raw, assemble, order_stats
from helpdesk_kit.analytics.sla import SlaTimerRecord
from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.feedback.model import Survey
from helpdesk_kit.tickets.containment import Contacts, Outcome, classify, window_ms
from helpdesk_kit.tickets.model import Agent, Ticket, TicketEvent

__all__ = ["KpiData", "check_query", "compute", "kpi_data"]


@attrs.frozen
class KpiData:
    """Everything the reference reads: facts per ticket, responses, surveys, tiers, agents."""

    tickets: Mapping[str, TicketFacts]
    replies: Sequence[ReplyFact]
    tiers: Mapping[str, str]
    surveys: Sequence[Survey] = ()
    agents: Sequence[Agent] = ()
    sla_timers: Sequence[SlaTimerRecord] | None = None


def kpi_data(
    tickets: Iterable[Ticket],
    events_of: Callable[[str], Sequence[TicketEvent]],
    *,
    tiers: Mapping[str, str],
    surveys: Sequence[Survey] = (),
    agents: Sequence[Agent] = (),
    sla_timers: Sequence[SlaTimerRecord] | None = None,
) -> KpiData:
    """Derive the facts of ``tickets`` (``events_of(ticket_id)`` gives a ticket's trail)."""
    facts: dict[str, TicketFacts] = {}
    replies: list[ReplyFact] = []
    for t in tickets:
        trail = events_of(t.id)
        facts[t.id] = ticket_facts(t, trail)
        replies.extend(reply_facts(t, trail))
    return KpiData(facts, replies, tiers, surveys, agents, sla_timers)


SNAPSHOT = ("backlog", "utilisation")
_MS = timedelta(milliseconds=1)


def check_query(name: str, query: KpiQuery) -> None:
    """``InvalidInput`` when ``query`` groups ``name`` by a dimension it does not have."""
    d = metric(name)
    bad = [b for b in query.by if b not in d.dimensions]
    if bad:
        raise InvalidInput(
            f"metric {name!r} cannot be grouped by {bad[0]!r} "
            f"(it can by: {', '.join(d.dimensions)})"
        )
    if name in SNAPSHOT and ({"hour", "weekday"} & set(query.filters)):
        raise InvalidInput(
            f"metric {name!r} is a snapshot; it cannot be filtered by hour or weekday"
        )


Record = tuple[int, dict[str, Any], Any]


def _dims(f: TicketFacts, agent: str | None, tiers: Mapping[str, str]) -> dict[str, Any]:
    return {
        "channel": f.channel,
        "group": f.group_id,
        "agent": agent,
        "category": f.category,
        "priority": f.priority,
        "tier": tiers.get(f.customer_id),
    }


def _keyed(
    records: Iterable[Record], q: KpiQuery, fr: Frame, *, dated: bool = True
) -> Iterator[tuple[GroupKey, Any]]:
    for t, dims, payload in records:
        if dated and not fr.contains(t):
            continue
        full = dict(dims)
        if dated:
            full["hour"] = fr.hour(t)
            full["weekday"] = fr.weekday(t)
        if not all(full.get(k) in vals for k, vals in q.filters.items()):
            continue
        bucket = fr.bucket(fr.day(t), q.grain) if dated else 0
        yield (bucket, *(full[d] for d in q.by)), payload


def _durations(pairs: Iterable[tuple[GroupKey, int]], q: KpiQuery) -> dict[GroupKey, Raw]:
    values: dict[GroupKey, list[int]] = defaultdict(list)
    for key, v in pairs:
        values[key].append(v)
    out: dict[GroupKey, Raw] = {}
    for key, vs in values.items():
        vs.sort()
        out[key] = {"n": len(vs), "sum": sum(vs), **order_stats(vs, q.percentiles)}
    return out


def _rates(pairs: Iterable[tuple[GroupKey, bool]]) -> dict[GroupKey, Raw]:
    out: dict[GroupKey, Raw] = {}
    for key, hit in pairs:
        raw = out.setdefault(key, {"n": 0, "hits": 0})
        raw["n"] += 1
        raw["hits"] += 1 if hit else 0
    return out


def compute(name: str, data: KpiData, query: KpiQuery, ctx: KpiContext) -> list[MetricRow]:
    """The rows of metric ``name`` for ``query`` (see ``docs/kpis.md`` for each definition)."""
    check_query(name, query)
    q, fr = query, query.frame
    if name in SNAPSHOT:
        q = query.evolve(grain="period")
    groups, extra = _GROUPS[name](data, q, fr, ctx)
    return assemble(
        name,
        groups,
        by=q.by,
        grain=q.grain,
        period=q.period,
        percentiles=q.percentiles,
        extra_keys=extra,
    )


Groups = tuple[dict[GroupKey, Raw], tuple[str, ...]]


def _scope(data: KpiData) -> list[TicketFacts]:
    return [f for f in data.tickets.values() if f.in_scope]


def _volume(data: KpiData, q: KpiQuery, fr: Frame, ctx: KpiContext) -> Groups:
    out: dict[GroupKey, Raw] = {}
    recs = ((f.created_ms, _dims(f, f.assignee_id, data.tiers), None) for f in _scope(data))
    for key, _ in _keyed(recs, q, fr):
        out.setdefault(key, {"n": 0})["n"] += 1
    return out, ()


def _first_response(data: KpiData, q: KpiQuery, fr: Frame, ctx: KpiContext) -> Groups:
    recs = (
        (f.created_ms, _dims(f, f.first_responder, data.tiers), f.first_response_ms - f.created_ms)
        for f in _scope(data)
        if f.first_response_ms is not None
    )
    return _durations(_keyed(recs, q, fr), q), ()


def _next_response(data: KpiData, q: KpiQuery, fr: Frame, ctx: KpiContext) -> Groups:
    recs = (
        (r.at_ms, _dims(f, r.agent_id, data.tiers), r.at_ms - r.wait_start_ms)
        for r in data.replies
        if not r.first and (f := data.tickets[r.ticket_id]).in_scope
    )
    return _durations(_keyed(recs, q, fr), q), ()


def _resolution(data: KpiData, q: KpiQuery, fr: Frame, ctx: KpiContext) -> Groups:
    recs = (
        (f.solved_ms, _dims(f, f.assignee_id, data.tiers), f.solved_ms - f.created_ms)
        for f in _scope(data)
        if f.solved_ms is not None
    )
    return _durations(_keyed(recs, q, fr), q), ()


def _one_touch(data: KpiData, q: KpiQuery, fr: Frame, ctx: KpiContext) -> Groups:
    recs = (
        (
            f.solved_ms,
            _dims(f, f.assignee_id, data.tiers),
            f.agent_replies == 1 and f.reopen_count == 0,
        )
        for f in _scope(data)
        if f.solved_ms is not None and f.agent_replies >= 1
    )
    return _rates(_keyed(recs, q, fr)), ()


def _reopen(data: KpiData, q: KpiQuery, fr: Frame, ctx: KpiContext) -> Groups:
    recs = (
        (f.created_ms, _dims(f, f.assignee_id, data.tiers), f.reopen_count > 0)
        for f in _scope(data)
        if f.solved_ms is not None or f.reopen_count > 0
    )
    return _rates(_keyed(recs, q, fr)), ()


def _survey_records(data: KpiData, want: Callable[[Survey], bool]) -> Iterator[Record]:
    for s in data.surveys:
        if s.rated_at is None or not want(s):
            continue
        f = data.tickets.get(s.ticket_id)
        if f is None:
            continue
        yield ms_of(s.rated_at), _dims(f, s.agent_id, data.tiers), s


def _csat(data: KpiData, q: KpiQuery, fr: Frame, ctx: KpiContext) -> Groups:
    out: dict[GroupKey, Raw] = {}
    for key, s in _keyed(_survey_records(data, lambda s: s.score is not None), q, fr):
        raw = out.setdefault(key, {"n": 0, "sum": 0, **{f"s{k}": 0 for k in range(1, 6)}})
        raw["n"] += 1
        raw["sum"] += s.score
        raw[f"s{s.score}"] += 1
    return out, ()


def _nps(data: KpiData, q: KpiQuery, fr: Frame, ctx: KpiContext) -> Groups:
    out: dict[GroupKey, Raw] = {}
    for key, s in _keyed(_survey_records(data, lambda s: s.nps is not None), q, fr):
        raw = out.setdefault(key, {"n": 0, "promoters": 0, "detractors": 0})
        raw["n"] += 1
        raw["promoters"] += 1 if s.nps >= 9 else 0
        raw["detractors"] += 1 if s.nps <= 6 else 0
    return out, ()


def _backlog(data: KpiData, q: KpiQuery, fr: Frame, ctx: KpiContext) -> Groups:
    now, open_ = ctx.now_ms, set(ctx.open_statuses)
    recs = (
        (f.created_ms, _dims(f, f.assignee_id, data.tiers), now - f.created_ms)
        for f in _scope(data)
        if f.status in open_
    )
    return _durations(_keyed(recs, q, fr, dated=False), q), ()


def _utilisation(data: KpiData, q: KpiQuery, fr: Frame, ctx: KpiContext) -> Groups:
    open_ = set(ctx.open_statuses)
    counts: dict[str | None, int] = defaultdict(int)
    recs = (
        (f.created_ms, _dims(f, f.assignee_id, data.tiers), None)
        for f in _scope(data)
        if f.status in open_ and f.assignee_id is not None
    )
    for key, _ in _keyed(recs, q.evolve(by=("agent",)), fr, dated=False):
        counts[key[1]] += 1
    out: dict[GroupKey, Raw] = {}
    wanted = q.filters.get("agent")
    for a in data.agents:
        if wanted is not None and a.id not in wanted:
            continue
        key = (0, a.id) if q.by else (0,)
        raw = out.setdefault(key, {"open": 0, "capacity": 0})
        raw["open"] += counts.get(a.id, 0)
        raw["capacity"] += a.max_concurrent
    return out, ()


def _activity(data: KpiData, q: KpiQuery, fr: Frame, ctx: KpiContext) -> Groups:
    out: dict[GroupKey, Raw] = {}
    touched: dict[GroupKey, set[str]] = defaultdict(set)
    hours: dict[GroupKey, set[tuple[int, int]]] = defaultdict(set)

    def raw(key: GroupKey) -> Raw:
        return out.setdefault(key, {"handled": 0, "responses": 0, "touched": 0, "active_hours": 0})

    solved = (
        (f.solved_ms, _dims(f, f.assignee_id, data.tiers), None)
        for f in _scope(data)
        if f.solved_ms is not None
    )
    for key, _ in _keyed(solved, q, fr):
        raw(key)["handled"] += 1
    responses = (
        (r.at_ms, _dims(f, r.agent_id, data.tiers), r)
        for r in data.replies
        if (f := data.tickets[r.ticket_id]).in_scope
    )
    for key, r in _keyed(responses, q, fr):
        raw(key)["responses"] += 1
        touched[key].add(r.ticket_id)
        hours[key].add((fr.day(r.at_ms), fr.hour(r.at_ms)))
    for key, value in out.items():
        value["touched"] = len(touched.get(key, ()))
        value["active_hours"] = len(hours.get(key, ()))
    return out, ()


def _bot_containment(data: KpiData, q: KpiQuery, fr: Frame, ctx: KpiContext) -> Groups:
    window = window_ms(q.bot_return_window)
    contacts = Contacts()
    for f in data.tickets.values():
        if not f.spam:
            contacts.add_ticket(f.customer_id, f.category, f.created_ms, f.asked)
    recs = (
        (f.created_ms, _dims(f, None, data.tiers), f.bot) for f in _scope(data) if f.bot is not None
    )
    return _rates(
        (key, classify(conv, contacts, window) is Outcome.CONTAINED)
        for key, conv in _keyed(recs, q, fr)
    ), ()


def _valid_orders(q: KpiQuery, ctx: KpiContext) -> list[Any]:
    if ctx.orders is None:
        raise InvalidInput("this metric needs the host's orders (the customer_orders hook)")
    excluded = set(q.excluded_order_statuses)
    return [o for o in ctx.orders if o.status not in excluded]


def _conversion(data: KpiData, q: KpiQuery, fr: Frame, ctx: KpiContext) -> Groups:
    orders = _valid_orders(q, ctx)
    window = q.conversion_window // _MS
    by_ticket = {o.ticket_id for o in orders if o.ticket_id is not None}
    by_customer: dict[str, list[int]] = defaultdict(list)
    for o in orders:
        by_customer[o.customer_id].append(o.created_ms)

    def converted(f: TicketFacts) -> bool:
        if f.ticket_id in by_ticket:
            return True
        end = f.created_ms + window
        return any(f.created_ms <= at < end for at in by_customer.get(f.customer_id, ()))

    recs = (
        (f.created_ms, _dims(f, f.assignee_id, data.tiers), f)
        for f in _scope(data)
        if q.pre_sale_tag in f.tags
    )
    return _rates((key, converted(f)) for key, f in _keyed(recs, q, fr)), ()


def _served(data: KpiData, q: KpiQuery, fr: Frame) -> dict[GroupKey, set[str]]:
    served: dict[GroupKey, set[str]] = defaultdict(set)
    recs = ((f.created_ms, _dims(f, f.assignee_id, data.tiers), f) for f in _scope(data))
    for key, f in _keyed(recs, q, fr):
        served[key].add(f.customer_id)
    return served


def _repeat(data: KpiData, q: KpiQuery, fr: Frame, ctx: KpiContext) -> Groups:
    counts: dict[str, int] = defaultdict(int)
    for o in _valid_orders(q, ctx):
        counts[o.customer_id] += 1
    out = {
        key: {"n": len(cs), "hits": sum(1 for c in cs if counts.get(c, 0) >= 2)}
        for key, cs in _served(data, q, fr).items()
    }
    return out, ()


def _clv(data: KpiData, q: KpiQuery, fr: Frame, ctx: KpiContext) -> Groups:
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for o in _valid_orders(q, ctx):
        totals[(o.customer_id, o.currency)] += o.units
    currencies = sorted({cur for _, cur in totals})
    pairs: list[tuple[GroupKey, int]] = []
    for key, customers in _served(data, q, fr).items():
        for c in customers:
            for cur in currencies:
                if (c, cur) in totals:
                    pairs.append(((*key, cur), totals[(c, cur)]))
    return _durations(pairs, q), ("currency",)


def _sla(data: KpiData, q: KpiQuery, fr: Frame, ctx: KpiContext) -> Groups:
    if data.sla_timers is None:
        return {}, ("sla_metric",)
    pairs: list[tuple[GroupKey, bool]] = []
    recs = []
    for timer in data.sla_timers:
        end = timer.ended_ms
        f = data.tickets.get(timer.ticket_id)
        if end is None or f is None or not f.in_scope:
            continue
        recs.append((end, _dims(f, f.assignee_id, data.tiers), timer))
    for key, timer in _keyed(recs, q, fr):
        pairs.append(((*key, timer.metric), timer.achieved))
    return _rates(pairs), ("sla_metric",)


_GROUPS: dict[str, Callable[[KpiData, KpiQuery, Frame, KpiContext], Groups]] = {
    "volume": _volume,
    "first_response": _first_response,
    "next_response": _next_response,
    "resolution": _resolution,
    "one_touch_rate": _one_touch,
    "reopen_rate": _reopen,
    "csat": _csat,
    "nps": _nps,
    "backlog": _backlog,
    "utilisation": _utilisation,
    "agent_activity": _activity,
    "bot_containment": _bot_containment,
    "conversion_rate": _conversion,
    "repeat_rate": _repeat,
    "clv": _clv,
    "sla_achievement": _sla,
}
