"""The period report: every number as plain rows, rendered as HTML (with SVG charts), CSV or JSON.

:class:`ReportData` holds the rows the desk computed (see
:meth:`~helpdesk_kit.desk.analytics.KpiCommands.report_data`); :func:`render` turns it into
a page a manager opens in a browser (self-contained: inline CSS and SVG, no scripts, no
network), a long-format CSV for spreadsheets, or JSON.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from html import escape
from typing import Any

import attrs

from helpdesk_kit.analytics.appraisal import Leaderboard, Scorecard
from helpdesk_kit.analytics.charts import (
    PALETTE,
    bar_chart,
    column_chart,
    donut_chart,
    line_chart,
)
from helpdesk_kit.analytics.hotwords import HotWords, Term
from helpdesk_kit.analytics.metrics import METRICS
from helpdesk_kit.analytics.periods import Period
from helpdesk_kit.analytics.rows import MetricRow
from helpdesk_kit.errors import InvalidInput

__all__ = ["FORMATS", "TARGETS", "ReportData", "duration_text", "render"]

FORMATS = ("html", "csv", "json")

#: The guide's KPI targets: first response under 30 s on chat and 2 h by e-mail, one-touch
#: resolution above 80 %, CSAT above 4.5 of 5.
TARGETS: dict[str, Any] = {
    "first_response_s": {"chat": 30.0, "email": 7200.0},
    "one_touch_rate": 0.8,
    "csat_mean": 4.5,
}

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def duration_text(seconds: float | None) -> str:
    """``"28 s"``, ``"14 min"``, ``"1 h 52 min"``, ``"2.3 d"`` (``"–"`` for none)."""
    if seconds is None:
        return "–"
    s = float(seconds)
    if s < 90:
        return f"{s:.0f} s"
    if s < 3600:
        return f"{s / 60:.0f} min"
    if s < 86400:
        h, m = divmod(round(s / 60), 60)
        return f"{h} h {m} min" if m else f"{h} h"
    return f"{s / 86400:.1f} d"


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{v:.1%}"


def _num(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.2f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


@attrs.frozen
class ReportData:
    """Every number of one period's report (rows as the KPI API returns them)."""

    period: Period
    timezone: str
    generated_at: datetime
    summary: Mapping[str, list[MetricRow]]
    daily: Mapping[str, list[MetricRow]]
    by_channel: Mapping[str, list[MetricRow]]
    by_category: list[MetricRow]
    by_hour: list[MetricRow]
    by_weekday: list[MetricRow]
    sla: list[MetricRow]
    backlog_by_priority: list[MetricRow]
    hot_words: HotWords
    scorecards: list[Scorecard]
    leaderboard: Leaderboard
    unavailable: Mapping[str, str] = attrs.field(factory=dict)

    def one(self, name: str) -> dict[str, Any]:
        """The whole-period values of metric ``name`` (empty when it has no rows)."""
        rows = self.summary.get(name) or []
        return dict(rows[0].values) if rows else {}

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain JSON-ready data (dates as ISO text, money as text)."""

        def rows(items: Sequence[MetricRow]) -> list[dict[str, Any]]:
            return [_plain(r.as_dict()) for r in items]

        def term(t: Term) -> dict[str, Any]:
            out: dict[str, Any] = _plain(attrs.asdict(t) | {"growth": t.growth})
            return out

        lb = self.leaderboard
        return {
            "period": self.period.label,
            "start": self.period.start.isoformat(),
            "end": self.period.end.isoformat(),
            "timezone": self.timezone,
            "generated_at": self.generated_at.isoformat(),
            "summary": {k: rows(v) for k, v in self.summary.items()},
            "daily": {k: rows(v) for k, v in self.daily.items()},
            "by_channel": {k: rows(v) for k, v in self.by_channel.items()},
            "by_category": rows(self.by_category),
            "by_hour": rows(self.by_hour),
            "by_weekday": rows(self.by_weekday),
            "sla": rows(self.sla),
            "backlog_by_priority": rows(self.backlog_by_priority),
            "hot_words": {
                "tickets": self.hot_words.tickets,
                "previous_tickets": self.hot_words.previous_tickets,
                "top": [term(t) for t in self.hot_words.top],
                "phrases": [term(t) for t in self.hot_words.phrases],
                "rising": [term(t) for t in self.hot_words.rising],
            },
            "agents": [_plain(c.as_dict()) for c in self.scorecards],
            "leaderboard": {
                "by_volume": [c.agent_id for c in lb.by_volume],
                "by_speed": [c.agent_id for c in lb.by_speed],
                "by_quality": [c.agent_id for c in lb.by_quality],
                "star": None if lb.star is None else _plain(lb.star.as_dict()),
                "star_reason": lb.star_reason,
                "best_resolution": None
                if lb.best_resolution is None
                else lb.best_resolution.agent_id,
            },
            "unavailable": dict(self.unavailable),
        }


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def render(data: ReportData, format: str = "html") -> str:
    """The report as ``html``, ``csv`` or ``json`` text."""
    if format == "json":
        return json.dumps(data.to_dict(), ensure_ascii=False, indent=2) + "\n"
    if format == "csv":
        return _csv(data)
    if format == "html":
        return _html(data)
    raise InvalidInput(f"report format must be one of {', '.join(FORMATS)}, not {format!r}")


# ---------------------------------------------------------------------------------- CSV


def _csv(data: ReportData) -> str:
    """Long format: one line per number (section, metric, bucket, group, field, value)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["section", "metric", "bucket", "group", "field", "value"])

    def put(section: str, rows: Sequence[MetricRow]) -> None:
        for r in rows:
            group = ";".join(f"{k}={'' if v is None else v}" for k, v in r.keys.items())
            for field, value in r.values.items():
                w.writerow([section, r.metric, r.bucket, group, field, _cell(value)])

    for rows in data.summary.values():
        put("summary", rows)
    for rows in data.daily.values():
        put("daily", rows)
    for rows in data.by_channel.values():
        put("by_channel", rows)
    put("by_category", data.by_category)
    put("by_hour", data.by_hour)
    put("by_weekday", data.by_weekday)
    put("sla", data.sla)
    put("backlog_by_priority", data.backlog_by_priority)
    for kind, terms in (
        ("top", data.hot_words.top),
        ("phrases", data.hot_words.phrases),
        ("rising", data.hot_words.rising),
    ):
        for t in terms:
            w.writerow(
                ["hot_words", kind, data.period.label, f"term={t.term}", "tickets", t.tickets]
            )
            w.writerow(
                ["hot_words", kind, data.period.label, f"term={t.term}", "previous", t.previous]
            )
            w.writerow(
                [
                    "hot_words",
                    kind,
                    data.period.label,
                    f"term={t.term}",
                    "examples",
                    " ".join(f"#{n}" for n in t.examples),
                ]
            )
    for c in data.scorecards:
        for field, value in c.as_dict().items():
            if field in ("agent_id", "name"):
                continue
            w.writerow(
                [
                    "agents",
                    "scorecard",
                    data.period.label,
                    f"agent={c.agent_id}",
                    field,
                    _cell(value),
                ]
            )
    star = data.leaderboard.star
    w.writerow(
        [
            "leaderboard",
            "star",
            data.period.label,
            "",
            "agent",
            "" if star is None else star.agent_id,
        ]
    )
    for name, reason in data.unavailable.items():
        w.writerow(["unavailable", name, data.period.label, "", "reason", reason])
    return buf.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, tuple | list):
        return " ".join(str(v) for v in value)
    return str(value)


# ---------------------------------------------------------------------------------- HTML

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;
margin:24px auto;max-width:980px;color:#1d232b;padding:0 16px}
h1{font-size:24px;margin-bottom:2px}h2{font-size:18px;margin-top:34px;border-bottom:1px solid
#dde1e6;padding-bottom:4px}.muted{color:#68707c;font-size:13px}
table{border-collapse:collapse;width:100%;font-size:13px;margin:8px 0}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eceef1}th{background:#f5f6f8}
td.n{text-align:right;font-variant-numeric:tabular-nums}.ok{color:#2e9e6a}.bad{color:#c9463d}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:10px}
.card{border:1px solid #e3e6ea;border-radius:6px;padding:10px}.card b{font-size:20px;display:block}
.note{background:#fff7e6;border:1px solid #f0d9a8;padding:8px 10px;border-radius:6px;font-size:13px}
.star{background:#f0f6ff;border:1px solid #c6dafc;padding:10px;border-radius:6px}
svg{margin:6px 0}
"""


def _table(head: Sequence[str], body: Sequence[Sequence[Any]], numeric: Sequence[int] = ()) -> str:
    out = ["<table><tr>", *(f"<th>{escape(h)}</th>" for h in head), "</tr>"]
    for row in body:
        out.append("<tr>")
        for i, cell in enumerate(row):
            cls = ' class="n"' if i in numeric else ""
            out.append(f"<td{cls}>{cell if str(cell).startswith('<') else escape(str(cell))}</td>")
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def _mark(ok: bool | None) -> str:
    if ok is None:
        return ""
    return ' <span class="ok">✓</span>' if ok else ' <span class="bad">✗</span>'


def _cards(data: ReportData) -> str:
    vol = data.one("volume")
    frt = data.one("first_response")
    nrt = data.one("next_response")
    res = data.one("resolution")
    one = data.one("one_touch_rate")
    reo = data.one("reopen_rate")
    csat = data.one("csat")
    nps = data.one("nps")
    bot = data.one("bot_containment")
    conv = data.one("conversion_rate")
    rep = data.one("repeat_rate")
    back = data.one("backlog")
    items = [
        ("Tickets", _num(vol.get("tickets", 0)), None),
        ("First response (median)", duration_text(frt.get("p50_s")), None),
        ("Next response (median)", duration_text(nrt.get("p50_s")), None),
        ("Resolution (median)", duration_text(res.get("p50_s")), None),
        (
            "One-touch resolution",
            _pct(one.get("rate")),
            None if one.get("rate") is None else one["rate"] >= TARGETS["one_touch_rate"],
        ),
        ("Reopen rate", _pct(reo.get("rate")), None),
        (
            "CSAT (mean / 4–5)",
            f"{_num(csat.get('mean'))} / {_pct(csat.get('csat'))}",
            None if csat.get("mean") is None else csat["mean"] >= TARGETS["csat_mean"],
        ),
        ("NPS", _num(nps.get("nps")), None),
        ("Bot containment", _pct(bot.get("rate")), None),
        ("Pre-sale conversion", _pct(conv.get("rate")), None),
        ("Repeat purchase", _pct(rep.get("rate")), None),
        (
            "Backlog now (median age)",
            f"{_num(back.get('count', 0))} ({duration_text(back.get('p50_s'))})",
            None,
        ),
    ]
    cells = "".join(
        f'<div class="card"><span class="muted">{escape(t)}</span>'
        f"<b>{escape(v)}{_mark(ok)}</b></div>"
        for t, v, ok in items
    )
    return f'<div class="cards">{cells}</div>'


def _series(rows: Sequence[MetricRow], field: str, scale: float = 1.0) -> dict[str, float | None]:
    return {
        r.bucket: (None if r.values.get(field) is None else r.values[field] / scale) for r in rows
    }


def _trends(data: ReportData) -> str:
    days = [r.bucket for r in data.daily.get("volume", [])]
    labels_all = sorted({r.bucket for rows in data.daily.values() for r in rows} | set(days))
    short = [b[5:] if len(b) == 10 else b for b in labels_all]
    vol = _series(data.daily.get("volume", []), "tickets")
    frt = _series(data.daily.get("first_response", []), "p50_s", 60)
    res = _series(data.daily.get("resolution", []), "p50_s", 3600)
    one = _series(data.daily.get("one_touch_rate", []), "rate", 0.01)
    csat = _series(data.daily.get("csat", []), "mean")
    parts = [
        line_chart("Tickets per day", short, [("tickets", [vol.get(b, 0) for b in labels_all])]),
        line_chart(
            "Median first response (min) and resolution (h) per day",
            short,
            [
                ("first response, min", [frt.get(b) for b in labels_all]),
                ("resolution, h", [res.get(b) for b in labels_all]),
            ],
        ),
        line_chart(
            "One-touch resolution (%) and CSAT × 20 per day",
            short,
            [
                ("one-touch %", [one.get(b) for b in labels_all]),
                ("CSAT ×20", [None if (v := csat.get(b)) is None else v * 20 for b in labels_all]),
            ],
        ),
    ]
    return "".join(parts)


def _channels(data: ReportData) -> str:
    vol = {r.keys.get("channel"): r.values["tickets"] for r in data.by_channel.get("volume", [])}
    frt = {r.keys.get("channel"): r.values for r in data.by_channel.get("first_response", [])}
    one = {r.keys.get("channel"): r.values for r in data.by_channel.get("one_touch_rate", [])}
    csat = {r.keys.get("channel"): r.values for r in data.by_channel.get("csat", [])}
    channels = sorted(vol, key=lambda c: (-vol[c], str(c)))
    body = []
    for c in channels:
        target = TARGETS["first_response_s"].get(c)
        median = frt.get(c, {}).get("p50_s")
        ok = None if target is None or median is None else median <= target
        body.append(
            [
                c or "(none)",
                _num(vol[c]),
                duration_text(median)
                + ("" if target is None else f" (target {duration_text(target)})"),
                _pct(one.get(c, {}).get("rate")),
                _num(csat.get(c, {}).get("mean")),
                _pct(csat.get(c, {}).get("csat")),
            ]
        )
        if ok is not None:
            body[-1][2] = escape(body[-1][2]) + _mark(ok)
    chart = donut_chart("Channel mix", [(str(c or "(none)"), float(vol[c])) for c in channels])
    table = _table(
        ["channel", "tickets", "first response (median)", "one-touch", "CSAT mean", "CSAT 4–5"],
        body,
        numeric=(1,),
    )
    return chart + table


def _sla(data: ReportData) -> str:
    if "sla_achievement" in data.unavailable:
        return f'<p class="note">SLA achievement: {escape(data.unavailable["sla_achievement"])}</p>'
    if not data.sla:
        return '<p class="muted">No SLA timer was decided in this period.</p>'
    items = [(str(r.keys.get("sla_metric")), (r.values["rate"] or 0) * 100) for r in data.sla]
    return bar_chart("SLA achievement per metric (%)", items, fmt=lambda v: f"{v:.1f}%") + _table(
        ["SLA metric", "decided", "achieved", "rate"],
        [
            [r.keys.get("sla_metric"), r.values["count"], r.values["hits"], _pct(r.values["rate"])]
            for r in data.sla
        ],
        numeric=(1, 2),
    )


def _csat(data: ReportData) -> str:
    c = data.one("csat")
    if not c.get("responses"):
        return '<p class="muted">No rating in this period.</p>'
    colors = ["#c9463d", "#e8833a", "#d6a91c", "#7fbf7f", "#2e9e6a"]
    items = [(f"{k}★", float(c[f"score_{k}"])) for k in range(1, 6)]
    chart = column_chart("CSAT distribution (answers per score)", items, colors=colors)
    nps = data.one("nps")
    extra = ""
    if nps.get("responses"):
        extra = (
            f"<p>NPS {_num(nps['nps'])} from {nps['responses']} answers: "
            f"{nps['promoters']} promoters, {nps['passives']} passives, "
            f"{nps['detractors']} detractors.</p>"
        )
    return (
        chart
        + (
            f"<p>{c['responses']} answers, mean {c['mean']:.2f}, {c['csat']:.1%} rated 4–5 "
            f"(target mean above {TARGETS['csat_mean']}).</p>"
        )
        + extra
    )


def _volume(data: ReportData) -> str:
    hours = {r.keys.get("hour"): r.values["tickets"] for r in data.by_hour}
    days = {r.keys.get("weekday"): r.values["tickets"] for r in data.by_weekday}
    cats = sorted(
        ((r.keys.get("category") or "(none)", r.values["tickets"]) for r in data.by_category),
        key=lambda x: (-x[1], x[0]),
    )
    return (
        column_chart(
            f"Tickets by hour of day ({data.timezone})",
            [(str(h), float(hours.get(h, 0))) for h in range(24)],
        )
        + column_chart(
            "Tickets by weekday", [(_WEEKDAYS[d], float(days.get(d, 0))) for d in range(7)]
        )
        + bar_chart("Tickets by category", [(str(k), float(v)) for k, v in cats[:15]])
    )


def _backlog(data: ReportData) -> str:
    b = data.one("backlog")
    rows = [
        [
            r.keys.get("priority"),
            r.values["count"],
            duration_text(r.values.get("mean_s")),
            duration_text(r.values.get("p50_s")),
            duration_text(r.values.get("p90_s")),
        ]
        for r in data.backlog_by_priority
    ]
    head = (
        f"<p>{_num(b.get('count', 0))} open tickets as of "
        f"{escape(data.generated_at.isoformat(timespec='minutes'))}; "
        f"median age {duration_text(b.get('p50_s'))}.</p>"
    )
    return head + _table(["priority", "open", "mean age", "median age", "p90 age"], rows, (1,))


def _hot(data: ReportData) -> str:
    hw = data.hot_words
    if not hw.tickets:
        return '<p class="muted">No customer messages in this period.</p>'

    def ex(t: Term) -> str:
        return " ".join(f"#{n}" for n in t.examples)

    top = bar_chart(
        "Top words (tickets mentioning them)", [(t.term, float(t.tickets)) for t in hw.top[:15]]
    )
    phrases = _table(
        ["phrase", "tickets", "share", "examples"],
        [[t.term, t.tickets, _pct(t.share), ex(t)] for t in hw.phrases[:10]],
        (1,),
    )
    rising = _table(
        ["rising term", "tickets", "share now", "share before", "examples"],
        [
            [
                t.term,
                t.tickets,
                _pct(t.share),
                _pct(t.previous_share) if t.previous else "new",
                ex(t),
            ]
            for t in hw.rising
        ],
        (1,),
    )
    note = (
        f'<p class="muted">From {hw.tickets} sampled tickets '
        f"({hw.previous_tickets} in the period before).</p>"
    )
    return note + top + "<h3>Phrases</h3>" + phrases + "<h3>Rising</h3>" + rising


def _agents(data: ReportData) -> str:
    lb = data.leaderboard
    if lb.star is not None:
        s = lb.star
        star = (
            f'<div class="star">🏆 <b>Star of {escape(data.period.label)}: {escape(s.name)}</b> — '
            f"{escape(lb.star_reason)}. Handled {s.handled}, median first response "
            f"{duration_text(s.first_response_median_s)}, one-touch {_pct(s.one_touch_rate)}, "
            f"CSAT {_num(s.csat_mean)}."
        )
        if lb.best_resolution is not None:
            star += f" Best resolution award: {escape(lb.best_resolution.name)}."
        star += "</div>"
    else:
        star = f'<p class="note">No star this period: {escape(lb.star_reason)}.</p>'
    body = []
    for rank, c in enumerate(lb.by_volume, 1):
        guard = "✓" if c.passes_guard else "✗ " + "; ".join(c.guard_reasons)
        body.append(
            [
                rank,
                c.name,
                c.handled,
                c.responses,
                duration_text(c.first_response_median_s),
                duration_text(c.resolution_median_s),
                _pct(c.one_touch_rate),
                _num(c.csat_mean),
                c.ratings,
                _pct(c.reopen_rate),
                _pct(c.sla_achievement) if c.sla_achievement is not None else "—",
                guard,
            ]
        )
    chart = bar_chart(
        "Handled tickets (agents below the quality guard in grey)",
        [(c.name, float(c.handled)) for c in lb.by_volume[:15]],
        colors=[PALETTE[2] if c.passes_guard else "#b7bec8" for c in lb.by_volume[:15]],
    )
    table = _table(
        [
            "#",
            "agent",
            "handled",
            "responses",
            "FRT median",
            "resolution median",
            "one-touch",
            "CSAT",
            "ratings",
            "reopen",
            "SLA",
            "quality guard",
        ],
        body,
        numeric=(0, 2, 3, 8),
    )
    return star + chart + table


def _html(data: ReportData) -> str:
    title = f"Customer service report {data.period.label}"
    missing = "".join(
        f"<li><b>{escape(METRICS[n].title if n in METRICS else n)}</b>: {escape(why)}</li>"
        for n, why in data.unavailable.items()
    )
    sections = [
        ("Summary", _cards(data)),
        ("Trends", _trends(data)),
        ("Channels", _channels(data)),
        ("Volume", _volume(data)),
        ("SLA achievement", _sla(data)),
        ("Satisfaction", _csat(data)),
        ("Backlog", _backlog(data)),
        ("Hot words", _hot(data)),
        ("Agents", _agents(data)),
    ]
    body = "".join(f"<h2>{escape(t)}</h2>{html}" for t, html in sections)
    notes = f'<h2>Not available</h2><ul class="note">{missing}</ul>' if missing else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{escape(title)}</h1>"
        f'<p class="muted">{escape(data.period.start.isoformat())} – '
        f"{escape(data.period.end.isoformat())} (end excluded), {escape(data.timezone)}; "
        f"generated {escape(data.generated_at.isoformat(timespec='seconds'))}. "
        "Definitions: docs/kpis.md.</p>"
        f"{body}{notes}</body></html>\n"
    )
