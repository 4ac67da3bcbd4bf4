"""The manager dashboard: today's KPIs, SLA at risk, queues, agent status, trends, reports.

Pages (role ``manager``, ``supervisor`` or ``admin``):

* ``/dashboard``: today's numbers in the desk's time zone (the KPI definitions of
  ``docs/kpis.md``, computed by :meth:`Helpdesk.kpis`), the tickets whose SLA runs out
  within the hour, the open queue by channel and by group, each agent's status and load,
  and 14-day trend charts (inline SVG); ``?part=1`` returns only the numbers, which
  ``dashboard.js`` refreshes every 30 seconds;
* ``/dashboard/report?period=2026-11&format=html|csv|json``: the full period report
  (:meth:`Helpdesk.report`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import attrs
from markupsafe import Markup
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from helpdesk_kit.analytics.charts import line_chart
from helpdesk_kit.analytics.rows import MetricRow
from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.tickets.model import Agent
from helpdesk_kit.web.auth import require_user
from helpdesk_kit.web.inbox import InboxPage, active_statuses, inbox_page
from helpdesk_kit.web.workspace import duration_text, local_time, strip_inline_styles

if TYPE_CHECKING:
    from helpdesk_kit.desk import Helpdesk
    from helpdesk_kit.web.context import WebContext

__all__ = ["DASHBOARD_TEXTS", "AgentLine", "Card", "dashboard_data", "routes"]

MANAGER_ROLES = ("manager", "supervisor", "admin")
TREND_DAYS = 14
TODAY_METRICS = (
    "volume",
    "first_response",
    "resolution",
    "csat",
    "sla_achievement",
    "one_touch_rate",
    "backlog",
    "bot_containment",
    "utilisation",
)
#: The report's own page carries inline styles and no script: its own, stricter CSP.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'"

DASHBOARD_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "dash.title": "Dashboard",
        "dash.today": "Today, {day}",
        "dash.kpi.volume": "New tickets",
        "dash.kpi.first_response": "First response (median)",
        "dash.kpi.resolution": "Resolution (median)",
        "dash.kpi.csat": "CSAT",
        "dash.kpi.sla_achievement": "SLA achievement",
        "dash.kpi.one_touch_rate": "One-touch resolution",
        "dash.kpi.backlog": "Open backlog",
        "dash.kpi.bot_containment": "Bot containment",
        "dash.kpi.utilisation": "Agent utilisation",
        "dash.sub.count": "{n} counted",
        "dash.sub.responses": "{n} answers",
        "dash.sub.age": "median age {age}",
        "dash.none": "–",
        "dash.at_risk": "SLA at risk (next hour)",
        "dash.at_risk.none": "No SLA runs out in the next hour.",
        "dash.queue.channel": "Open queue by channel",
        "dash.queue.group": "Open queue by group",
        "dash.queue.none": "No open tickets.",
        "dash.agents": "Agents",
        "dash.agent.name": "Agent",
        "dash.agent.status": "Status",
        "dash.agent.open": "Open / capacity",
        "dash.agent.responses": "Replies today",
        "dash.status.online": "online",
        "dash.status.away": "away",
        "dash.status.offline": "offline",
        "dash.trends": "Last 14 days",
        "dash.trend.volume": "New tickets per day",
        "dash.trend.first_response": "First response median (minutes)",
        "dash.trend.csat": "CSAT per day (%)",
        "dash.reports": "Full reports",
        "dash.report.month": "This month",
        "dash.report.last_month": "Last month",
        "dash.report.week": "This week",
        "dash.no_group": "(no group)",
    },
    "zh": {
        "dash.title": "数据看板",
        "dash.today": "今天，{day}",
        "dash.kpi.volume": "新工单",
        "dash.kpi.first_response": "首次回复（中位数）",
        "dash.kpi.resolution": "解决时间（中位数）",
        "dash.kpi.csat": "满意度",
        "dash.kpi.sla_achievement": "SLA 达成率",
        "dash.kpi.one_touch_rate": "一次性解决率",
        "dash.kpi.backlog": "未结工单",
        "dash.kpi.bot_containment": "机器人拦截率",
        "dash.kpi.utilisation": "坐席负载率",
        "dash.sub.count": "共 {n} 个",
        "dash.sub.responses": "{n} 份评价",
        "dash.sub.age": "中位等待 {age}",
        "dash.none": "–",
        "dash.at_risk": "SLA 即将超时（一小时内）",
        "dash.at_risk.none": "一小时内没有即将超时的工单。",
        "dash.queue.channel": "各渠道排队",
        "dash.queue.group": "各组排队",
        "dash.queue.none": "没有未结工单。",
        "dash.agents": "坐席状态",
        "dash.agent.name": "坐席",
        "dash.agent.status": "状态",
        "dash.agent.open": "处理中 / 上限",
        "dash.agent.responses": "今日回复",
        "dash.status.online": "在线",
        "dash.status.away": "离开",
        "dash.status.offline": "离线",
        "dash.trends": "近 14 天趋势",
        "dash.trend.volume": "每日新工单",
        "dash.trend.first_response": "首次回复中位数（分钟）",
        "dash.trend.csat": "每日满意度（%）",
        "dash.reports": "完整报表",
        "dash.report.month": "本月",
        "dash.report.last_month": "上月",
        "dash.report.week": "本周",
        "dash.no_group": "（无组）",
    },
}


@attrs.frozen
class Card:
    """One KPI tile: its key (for the label), the value shown and the note under it.

    ``note`` names a text (``dash.sub.<note>``) filled in with ``values``.
    """

    key: str
    value: str
    note: str = ""
    values: dict[str, Any] = attrs.field(factory=dict, hash=False)


@attrs.frozen
class AgentLine:
    """One agent's line of the status table."""

    agent: Agent
    open: int
    responses: int


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def _secs(value: float | None) -> str:
    return "" if value is None else duration_text(timedelta(seconds=round(value)))


def _first(rows: Sequence[MetricRow]) -> MetricRow | None:
    return rows[0] if rows else None


def _counted(name: str, value: str, row: MetricRow | None, field: str = "count") -> Card:
    if row is None:
        return Card(name, "")
    note = "responses" if field == "responses" else "count"
    return Card(name, value, note, {"n": int(row[field])})


def _cards(found: dict[str, list[MetricRow]]) -> list[Card]:
    """Tiles for today's metrics (an empty metric shows a dash)."""
    vol = _first(found["volume"])
    cards = [Card("volume", str(vol["tickets"] if vol else 0))]
    for name in ("first_response", "resolution"):
        row = _first(found[name])
        cards.append(_counted(name, _secs(row["p50_s"]) if row else "", row))
    csat = _first(found["csat"])
    cards.append(_counted("csat", _pct(csat["csat"]) if csat else "", csat, "responses"))
    sla = found["sla_achievement"]
    count = sum(int(r["count"]) for r in sla)
    hits = sum(int(r["hits"]) for r in sla)
    cards.append(
        Card("sla_achievement", _pct(hits / count), "count", {"n": count})
        if count
        else Card("sla_achievement", "")
    )
    for name in ("one_touch_rate", "bot_containment"):
        row = _first(found[name])
        cards.append(_counted(name, _pct(row["rate"]) if row else "", row))
    backlog = _first(found["backlog"])
    if backlog is None or backlog["p50_s"] is None:
        cards.append(Card("backlog", str(backlog["count"]) if backlog else "0"))
    else:
        age = _secs(backlog["p50_s"])
        cards.append(Card("backlog", str(backlog["count"]), "age", {"age": age}))
    util = _first(found["utilisation"])
    cards.append(Card("utilisation", _pct(util["utilisation"]) if util else ""))
    return cards


def _days(end: date, count: int) -> list[date]:
    return [end - timedelta(days=count - 1 - i) for i in range(count)]


def _trend_charts(desk: Helpdesk, today: date, titles: dict[str, str]) -> list[Markup]:
    """Inline SVG line charts of the last :data:`TREND_DAYS` days.

    Marked safe for the templates: :mod:`helpdesk_kit.analytics.charts` escapes every
    label and title it writes, and numbers are all the rest.
    """
    days = _days(today, TREND_DAYS)
    period = f"{days[0].isoformat()}..{today.isoformat()}"
    found = desk.kpis(["volume", "first_response", "csat"], period, grain="day")
    labels = [d.strftime("%m-%d") for d in days]

    def series(name: str, field: str, scale: float = 1.0) -> list[float | None]:
        by_day = {r.bucket_start: r[field] for r in found[name]}
        out: list[float | None] = []
        for d in days:
            v = by_day.get(d)
            out.append(None if v is None else float(v) * scale)
        return out

    volume = [v or 0.0 for v in series("volume", "tickets")]
    charts = [
        line_chart(titles["volume"], labels, [("tickets", volume)]),
        line_chart(
            titles["first_response"], labels, [("p50", series("first_response", "p50_s", 1 / 60))]
        ),
        line_chart(titles["csat"], labels, [("CSAT", series("csat", "csat", 100))]),
    ]
    return [Markup(strip_inline_styles(svg)) for svg in charts]


def _queue(rows: Sequence[MetricRow], key: str, names: dict[str, str]) -> list[tuple[str, int]]:
    out = []
    for r in rows:
        label = r.keys.get(key)
        text = names.get(str(label), str(label)) if label is not None else ""
        out.append((text, int(r["count"])))
    return sorted(out, key=lambda item: (-item[1], item[0]))


def dashboard_data(desk: Helpdesk, *, titles: dict[str, str] | None = None) -> dict[str, Any]:
    """Everything the dashboard shows (blocking: run it in a worker thread)."""
    zone = ZoneInfo(desk.settings.timezone)
    today = desk.now().astimezone(zone).date()
    day = today.isoformat()
    found = desk.kpis(TODAY_METRICS, day)
    by_channel = desk.kpi("backlog", day, by="channel")
    by_group = desk.kpi("backlog", day, by="group")
    groups = {g.id: g.name for g in desk.groups()}
    agents = desk.agents()
    activity = {
        str(r.keys.get("agent")): int(r["responses"])
        for r in desk.kpi("agent_activity", day, by="agent")
    }
    with desk.storage.unit_of_work() as uow:
        open_counts = uow.tickets.open_counts(
            [a.id for a in agents], statuses=active_statuses(desk)
        )
    lines = [AgentLine(a, open_counts.get(a.id, 0), activity.get(a.id, 0)) for a in agents]
    order = {"online": 0, "away": 1, "offline": 2}
    lines.sort(key=lambda line: (order.get(line.agent.status.value, 3), line.agent.name))
    at_risk: InboxPage = inbox_page(desk, "at_risk", agent=None, limit=10)
    month = today.strftime("%Y-%m")
    last_month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    iso = today.isocalendar()
    week = f"{iso.year}-W{iso.week:02d}"
    return {
        "today": today,
        "cards": _cards(found),
        "by_channel": _queue(by_channel, "channel", {}),
        "by_group": _queue(by_group, "group", groups),
        "agents": lines,
        "at_risk": at_risk,
        "charts": _trend_charts(desk, today, titles or {}) if titles is not None else [],
        "reports": [("month", month), ("last_month", last_month), ("week", week)],
    }


def routes(ctx: WebContext) -> list[BaseRoute]:
    """The dashboard page and the report download."""
    ctx.i18n.add(DASHBOARD_TEXTS)
    desk = ctx.desk

    async def dashboard(request: Request) -> Response:
        require_user(ctx, request, *MANAGER_ROLES)
        lang = ctx.language(request)
        t = ctx.translator(lang)
        part = bool(request.query_params.get("part"))
        titles = (
            None
            if part
            else {k: t(f"dash.trend.{k}") for k in ("volume", "first_response", "csat")}
        )
        data = await ctx.run(dashboard_data, desk, titles=titles)
        template = "dashboard/_numbers.html" if part else "dashboard/index.html"
        return ctx.render(request, template, when=local_time(desk), **data)

    async def report(request: Request) -> Response:
        require_user(ctx, request, *MANAGER_ROLES)
        period = request.query_params.get("period", "")
        fmt = request.query_params.get("format", "html")
        if fmt not in ("html", "csv", "json"):
            raise HTTPException(400, "format must be html, csv or json")
        try:
            text = await ctx.run(desk.report, period, format=fmt)
        except InvalidInput as exc:
            raise HTTPException(400, str(exc)) from None
        if fmt == "html":
            return HTMLResponse(text, headers={"Content-Security-Policy": REPORT_CSP})
        name = f"helpdesk-report-{period.replace('..', '_')}.{fmt}"
        media = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
        disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
        if fmt == "json":
            return JSONResponse(_loads(text), headers=disposition)
        return Response(text, media_type=media, headers=disposition)

    return [
        Route("/dashboard", dashboard, name="dashboard"),
        Route("/dashboard/report", report, name="dashboard_report"),
    ]


def _loads(text: str) -> Any:
    import json

    return json.loads(text)
