"""The full monthly KPI report over a million tickets, on SQLite and PostgreSQL.

Builds (once, then reuses) a seeded history of ``--tickets`` tickets with their events over
the twelve months up to ``--period`` (``helpdesk_kit.testing.simulate.simulate_bulk``), then
times ``desk.report_data(period)`` — every metric of the report (summary, daily trends,
channels, categories, hours, weekdays, backlog, agents' scorecards and leaderboard, hot
words, the orders of served customers through the ``customer_orders`` hook) — and the HTML
rendering. The baseline computes the same numbers with the plain-Python reference over the
rows loaded from the database (loading is timed apart).

    PYTHONPATH=src python benchmarks/analytics.py                       # SQLite (+ PostgreSQL)
    PYTHONPATH=src python benchmarks/analytics.py --tickets 100000      # a quicker run
    PYTHONPATH=src python benchmarks/analytics.py --tickets 100000 --profile --no-baseline
                                                  # + where one report's time goes

``--profile`` times one more report with each storage step and each metric timed (inclusive:
a metric's time includes the copy of the period's rows it was the first to need) and the
slowest SQL statements.

PostgreSQL runs when ``HELPDESK_KIT_TEST_DATABASE_URL`` is set; the dataset lives in a
schema of its own that is kept for later runs (``--fresh`` rebuilds both datasets).
"""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/email.py would shadow the standard library's email package (SQLAlchemy needs it)
_here = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if str(Path(p or ".").resolve()) != _here]

import argparse  # noqa: E402
import os  # noqa: E402
import pickle  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from typing import Any  # noqa: E402

from helpdesk_kit import DeskSettings, FrozenClock, Helpdesk  # noqa: E402
from helpdesk_kit.analytics.periods import parse_period  # noqa: E402
from helpdesk_kit.storage.sql import SqlStorage  # noqa: E402

ZONE = "Asia/Shanghai"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "helpdesk_kit" / "bench"


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _pg_url(base: str, schema: str) -> str:
    from helpdesk_kit.storage.sql.isolation import schema_url

    return schema_url(base, schema)


def _pg_ready(base: str, schema: str, tickets: int) -> bool:
    import psycopg

    from helpdesk_kit.storage.sql.engine import parse_url

    plain = parse_url(base).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain) as conn:
        found = conn.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = %s "
            "AND table_name = 'kpi_tickets'",
            (schema,),
        ).fetchone()
        if not found:
            return False
        n = conn.execute(f'SELECT count(*) FROM "{schema}".tickets').fetchone()
        return bool(n and n[0] >= tickets)


def build(args: argparse.Namespace, pg_base: str | None) -> dict[str, Any]:
    """Make sure the datasets exist; return where they are and the shop's orders."""
    from helpdesk_kit.storage.sql.isolation import create_schema, drop_schema
    from helpdesk_kit.testing.simulate import simulate_bulk

    CACHE.mkdir(parents=True, exist_ok=True)
    stem = f"analytics-{args.tickets}-s{args.seed}-{args.period}"
    db = CACHE / f"{stem}.db"
    shop_file = CACHE / f"{stem}.orders.pickle"
    schema = f"hk_bench_{args.tickets}_s{args.seed}_{args.period.replace('-', '_')}"
    period = parse_period(args.period)
    start_day = period.end - timedelta(days=365)
    start = datetime(start_day.year, start_day.month, start_day.day, tzinfo=UTC) - timedelta(
        hours=8
    )
    need_sqlite = args.fresh or not db.exists() or not shop_file.exists()
    need_pg = pg_base is not None and (args.fresh or not _pg_ready(pg_base, schema, args.tickets))
    targets: list[SqlStorage] = []
    if need_sqlite:
        if db.exists():
            db.unlink()
        targets.append(SqlStorage(f"sqlite:///{db}", synchronous="off"))
    if need_pg:
        assert pg_base is not None
        drop_schema(pg_base, schema)
        url = create_schema(pg_base, schema)
        targets.append(SqlStorage(url, migrate=True))
    if targets:
        print(
            f"building {args.tickets:,} tickets over 365 days into "
            f"{', '.join(t.dialect for t in targets)} (once; later runs reuse it) ...",
            flush=True,
        )
        t0 = time.perf_counter()
        sim = simulate_bulk(
            targets[0],
            also=targets[1:],
            start=start,
            days=365,
            seed=args.seed,
            timezone=ZONE,
            tickets=args.tickets,
            refresh=False,
            batch=20_000,
        )
        print(f"  rows written in {time.perf_counter() - t0:.0f} s", flush=True)
        for t in targets:
            t1 = time.perf_counter()
            with t.unit_of_work() as uow:
                uow.analytics.refresh(full=True)
                uow.commit()
            if t.dialect == "postgresql":
                with t.engine.connect() as conn:
                    conn.exec_driver_sql("ANALYZE")
                    conn.commit()
            print(
                f"  {t.dialect}: KPI facts derived from the event log in "
                f"{time.perf_counter() - t1:.0f} s",
                flush=True,
            )
            t.close()
        with open(shop_file, "wb") as f:
            pickle.dump(sim.shop.orders, f)
    with open(shop_file, "rb") as f:
        orders = pickle.load(f)
    return {
        "sqlite": f"sqlite:///{db}",
        "postgresql": None if pg_base is None else _pg_url(pg_base, schema),
        "orders": orders,
    }


def _desk(url: str, orders: Any, now: datetime) -> Helpdesk:
    from helpdesk_kit.testing.simulate import SimulatedShop

    shop = SimulatedShop()
    shop.orders = orders
    # migrate=True: a dataset built before a newer schema revision (e.g. more indexes) is
    # upgraded in place on PostgreSQL as SQLite files are
    return Helpdesk.from_url(
        url,
        clock=FrozenClock(now),
        plugins=[shop],
        settings=DeskSettings(timezone=ZONE, auto_assign=False),
        load_entrypoints=False,
        migrate=True,
    )


def time_report(desk: Helpdesk, period: str, repeat: int) -> tuple[float, list[float], Any]:
    """Seconds of the first report (cold: jieba's dictionary loads) and of later ones.

    A report is ``report_data`` (every number) plus rendering it as HTML with its charts.
    """
    from helpdesk_kit.analytics.report import render

    t0 = time.perf_counter()
    data = desk.report_data(period)
    render(data, "html")
    cold = time.perf_counter() - t0
    warm = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        data = desk.report_data(period)
        render(data, "html")
        warm.append(time.perf_counter() - t0)
    return cold, warm, data


def profile(desk: Helpdesk, period: str) -> None:
    """Time one report step by step: each metric query, each storage step, the slowest SQL."""
    from sqlalchemy import event

    from helpdesk_kit.analytics.report import render
    from helpdesk_kit.storage.sql.analytics import SqlAnalytics

    spent: dict[str, list[float]] = {}
    patched: list[tuple[str, Any]] = []

    def wrap(attr: str, label: Any) -> None:
        original = getattr(SqlAnalytics, attr)
        patched.append((attr, original))

        def timed(self: Any, *a: Any, **kw: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return original(self, *a, **kw)
            finally:
                spent.setdefault(label(*a, **kw), []).append(time.perf_counter() - t0)

        setattr(SqlAnalytics, attr, timed)

    def metric_label(name: str, query: Any, *_: Any, **__: Any) -> str:
        parts = [name]
        if query.grain != "period":
            parts.append(f"grain={query.grain}")
        if query.by:
            parts.append(f"by={','.join(query.by)}")
        return "metric " + " ".join(parts)

    wrap("compute", metric_label)
    wrap("_base", lambda kind, query: f"  (copy of the period's {kind} rows)")
    for attr in ("refresh", "hot_word_texts", "served_customer_ids", "customers", "_order_table"):
        wrap(attr, lambda *a, _n=attr, **kw: f"step {_n}")
    statements: dict[str, list[float]] = {}
    started: list[float] = []
    storage = desk.storage
    assert isinstance(storage, SqlStorage)

    def before(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        started.append(time.perf_counter())

    def after(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        took = time.perf_counter() - started.pop()
        statements.setdefault(" ".join(statement.split()), []).append(took)

    event.listen(storage.engine, "before_cursor_execute", before)
    event.listen(storage.engine, "after_cursor_execute", after)
    try:
        t0 = time.perf_counter()
        data = desk.report_data(period)
        t1 = time.perf_counter()
        render(data, "html")
        t2 = time.perf_counter()
    finally:
        event.remove(storage.engine, "before_cursor_execute", before)
        event.remove(storage.engine, "after_cursor_execute", after)
        for attr, original in patched:
            setattr(SqlAnalytics, attr, original)
    print(f"  profile: report_data {t1 - t0:.3f} s, render {t2 - t1:.3f} s")
    for label, times in sorted(spent.items(), key=lambda kv: -sum(kv[1])):
        print(f"    {sum(times) * 1000:8.1f} ms  x{len(times):<3} {label}")
    total_sql = sum(sum(v) for v in statements.values())
    print(f"  SQL: {sum(len(v) for v in statements.values())} statements, {total_sql:.3f} s")
    for text, times in sorted(statements.items(), key=lambda kv: -sum(kv[1]))[:12]:
        print(f"    {sum(times) * 1000:8.1f} ms  x{len(times):<3} {text[:150]}")


def baseline(storage: SqlStorage, desk: Helpdesk, period: str) -> tuple[float, float, Any]:
    """Load the month's rows into Python and compute the report's metrics with the reference."""
    from sqlalchemy import select

    from helpdesk_kit.analytics.reference import KpiData, compute, kpi_data
    from helpdesk_kit.storage.sql import rows as R
    from helpdesk_kit.storage.sql.feedback import survey_from_row
    from helpdesk_kit.storage.sql.tables import agents, customers, events, tickets
    from helpdesk_kit.storage.sql.tables_feedback import surveys

    q = desk.kpi_query(period)
    fr = q.frame
    lo, hi = fr.start_ms - 7 * 86_400_000, fr.end_ms + 7 * 86_400_000
    t0 = time.perf_counter()
    with storage.unit_of_work() as uow:
        edge = datetime(1970, 1, 1, tzinfo=UTC)
        touched = (
            select(events.c.ticket_id)
            .where(
                events.c.at >= edge + timedelta(milliseconds=lo),
                events.c.at < edge + timedelta(milliseconds=hi),
            )
            .distinct()
        )
        open_now = select(tickets.c.id).where(
            tickets.c.status.in_(["new", "open", "pending", "on_hold"])
        )
        ids = {r[0] for r in uow.execute(touched)} | {r[0] for r in uow.execute(open_now)}
        id_list = sorted(ids)
        found_t: list[Any] = []
        trail: dict[str, list[Any]] = {}
        for i in range(0, len(id_list), 5000):
            chunk = id_list[i : i + 5000]
            found_t += [
                R.ticket_from_row(r)
                for r in uow.execute(select(tickets).where(tickets.c.id.in_(chunk))).mappings()
            ]
            q_ev = (
                select(events)
                .where(events.c.ticket_id.in_(chunk))
                .order_by(events.c.ticket_id, events.c.seq)
            )
            for r in uow.execute(q_ev).mappings():
                trail.setdefault(r["ticket_id"], []).append(R.event_from_row(r))
        tiers = dict(uow.execute(select(customers.c.id, customers.c.tier)).all())
        rated = select(surveys).where(surveys.c.rated_at.is_not(None))
        svs = [survey_from_row(r) for r in uow.execute(rated).mappings()]
        agent_rows = [R.agent_from_row(r, []) for r in uow.execute(select(agents)).mappings()]
    load = time.perf_counter() - t0
    t0 = time.perf_counter()
    data: KpiData = kpi_data(
        found_t, lambda tid: trail.get(tid, []), tiers=tiers, surveys=svs, agents=agent_rows
    )
    with storage.unit_of_work() as uow:
        ctx = desk._context(uow, q, ["conversion_rate", "repeat_rate", "clv"])
    results: dict[str, Any] = {}
    for name, change in _REPORT_CALLS:
        try:
            results[(name, tuple(sorted(change.items())))] = compute(
                name, data, q.evolve(**change), ctx
            )
        except Exception as exc:  # a metric that needs what is not loaded
            results[(name, tuple(sorted(change.items())))] = repr(exc)
    compute_s = time.perf_counter() - t0
    return load, compute_s, results


def _text(ms: int) -> str:
    from helpdesk_kit.storage.sql.analytics import us_text

    return us_text(ms * 1000)


#: the metric calls ``report_data`` makes (metric, query changes)
_REPORT_CALLS: list[tuple[str, dict[str, Any]]] = []


def _report_calls() -> None:
    from helpdesk_kit.analytics.appraisal import SCORECARD_METRICS
    from helpdesk_kit.analytics.metrics import METRICS

    calls = [(n, {}) for n in METRICS]
    calls += [
        (n, {"grain": "day"})
        for n in ("volume", "first_response", "resolution", "one_touch_rate", "csat")
    ]
    calls += [
        (n, {"by": ("channel",)}) for n in ("volume", "first_response", "one_touch_rate", "csat")
    ]
    calls += [(n, {"by": ("agent",)}) for n in SCORECARD_METRICS]
    calls += [("volume", {"by": (d,)}) for d in ("category", "hour", "weekday")]
    calls += [("backlog", {"by": ("priority",)})]
    _REPORT_CALLS.extend(calls)


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--period", default="2026-11")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fresh", action="store_true", help="rebuild the datasets")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument(
        "--profile", action="store_true", help="time each metric and the slowest SQL"
    )
    args = parser.parse_args()
    pg_base = os.environ.get("HELPDESK_KIT_TEST_DATABASE_URL")
    where = build(args, pg_base)
    if args.build_only:
        return 0
    _report_calls()
    period = parse_period(args.period)
    now = datetime(period.end.year, period.end.month, period.end.day, 9, tzinfo=UTC)
    print(f"\nmonthly report {args.period} ({ZONE}) over {args.tickets:,} tickets and their events")
    for backend in ("sqlite", "postgresql"):
        url = where[backend]
        if url is None:
            print(f"\n{backend}: skipped (set HELPDESK_KIT_TEST_DATABASE_URL)")
            continue
        desk = _desk(url, where["orders"], now)
        storage = desk.storage
        assert isinstance(storage, SqlStorage)
        with storage.engine.connect() as conn:
            n_t = conn.exec_driver_sql("SELECT count(*) FROM tickets").scalar()
            n_e = conn.exec_driver_sql("SELECT count(*) FROM events").scalar()
        cold, warm, data = time_report(desk, args.period, args.repeat)
        month = data.one("volume").get("tickets", 0)
        print(
            f"\n{backend}: {n_t:,} tickets, {n_e:,} events; {month:,} tickets created in the month"
        )
        print(f"  full report, first in the process (jieba loads): {cold:.2f} s")
        print(
            f"  full report, median of {len(warm)}: {statistics.median(warm):.2f} s "
            f"(min {min(warm):.2f}, max {max(warm):.2f}); target <= 2 s"
        )
        if args.profile:
            profile(desk, args.period)
        if not args.no_baseline:
            load, compute_s, results = baseline(storage, desk, args.period)
            same = _compare(desk, args.period, results)
            print(
                f"  plain Python over loaded rows: loading {load:.1f} s, computing "
                f"{compute_s:.2f} s -> the SQL report is "
                f"{compute_s / statistics.median(warm):.1f}x the speed of computing alone ({same})"
            )
        desk.close()
    print(f"\npeak RSS {_rss_mb():.0f} MB")
    return 0


def _compare(desk: Helpdesk, period: str, results: dict[Any, Any]) -> str:
    """How many of the reference's results equal the SQL ones."""
    same = total = 0
    for (name, change), ref in results.items():
        if isinstance(ref, str):
            continue
        kw = dict(change)
        sql = desk.kpi(
            name, period, **{k: (list(v) if isinstance(v, tuple) else v) for k, v in kw.items()}
        )
        total += 1
        same += int([r.as_dict() for r in sql] == [r.as_dict() for r in ref])
    return f"{same}/{total} results identical to SQL"


if __name__ == "__main__":
    sys.exit(main())
