"""Reports: HTML with inline SVG charts (no scripts, no network), CSV and JSON; the CLI."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest

from helpdesk_kit.analytics.report import duration_text, render
from helpdesk_kit.cli import main
from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.storage.memory import MemoryStorage
from helpdesk_kit.testing.simulate import simulate, simulate_bulk

from .conftest import make_desk

START = datetime(2026, 10, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def data():
    desk = make_desk(MemoryStorage(), "Asia/Shanghai", START)
    sim = simulate(desk, start=START, days=61, seed=5, tickets=700)
    desk.plugin_manager.register(sim.shop)
    desk.clock.set(datetime(2026, 12, 1, 2, tzinfo=UTC))
    return desk.report_data("2026-11")


def test_html_is_self_contained_with_charts(data):
    html = render(data, "html")
    assert html.startswith("<!DOCTYPE html>")
    assert html.count("<svg") >= 8
    assert "<script" not in html
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in html
    for section in ("Trends", "Channels", "SLA achievement", "Satisfaction", "Hot words", "Agents"):
        assert f"<h2>{section}</h2>" in html


def test_json_and_csv_carry_the_same_numbers(data):
    doc = json.loads(render(data, "json"))
    volume = doc["summary"]["volume"][0]["tickets"]
    assert volume == data.one("volume")["tickets"] > 0
    assert len(doc["daily"]["volume"]) == 30
    assert doc["hot_words"]["top"]
    assert doc["agents"]
    rows = list(csv.DictReader(io.StringIO(render(data, "csv"))))
    found = [r for r in rows if r["section"] == "summary" and r["metric"] == "volume"]
    assert found == [
        {
            "section": "summary",
            "metric": "volume",
            "bucket": "2026-11",
            "group": "",
            "field": "tickets",
            "value": str(volume),
        }
    ]
    assert any(r["section"] == "agents" for r in rows)
    with pytest.raises(InvalidInput):
        render(data, "pdf")


def test_hot_words_see_the_coupon_surge(data):
    assert any("优惠" in t.term for t in data.hot_words.top[:10])


def test_duration_text():
    assert [duration_text(x) for x in (None, 28, 840, 6720, 7200, 200_000)] == [
        "–",
        "28 s",
        "14 min",
        "1 h 52 min",
        "2 h",
        "2.3 d",
    ]


def test_report_command(tmp_path, capsys):
    from helpdesk_kit.storage.sql import SqlStorage

    url = f"sqlite:///{tmp_path / 'shop.db'}"
    simulate_bulk(SqlStorage(url), start=START, days=61, seed=2, tickets=300)
    out = tmp_path / "report.html"
    assert (
        main(
            [
                "report",
                "--period",
                "2026-11",
                "--url",
                url,
                "--timezone",
                "Asia/Shanghai",
                "--output",
                str(out),
            ]
        )
        == 0
    )
    assert "<svg" in out.read_text(encoding="utf-8")
    assert (
        main(
            [
                "report",
                "--period",
                "2026-11",
                "--url",
                url,
                "--format",
                "json",
                "--filter",
                "channel=chat",
            ]
        )
        == 0
    )
    doc = json.loads(capsys.readouterr().out)
    assert doc["unavailable"]["conversion_rate"].startswith("needs a plugin")
    assert {r["channel"] for r in doc["by_channel"]["volume"]} == {"chat"}
    assert main(["report", "--period", "2026-13", "--url", url]) == 1
    assert main(["report", "--period", "2026-11", "--url", url, "--filter", "oops"]) == 1


@pytest.mark.parametrize("helpdesk_storage", ["sqlite", "postgresql"], indirect=True)
def test_a_report_keeps_its_statements_out_of_the_statement_cache(helpdesk_storage):
    """Statements over the report's temporary tables are built afresh each time: none goes
    into SQLAlchemy's statement cache (they would push out the entries of statements that
    repeat and keep thousands of objects alive)."""
    from sqlalchemy import event
    from sqlalchemy.engine.interfaces import CacheStats

    desk = make_desk(helpdesk_storage, "UTC", START)
    sim = simulate(desk, start=START, days=40, seed=3, tickets=80)
    desk.plugin_manager.register(sim.shop)
    desk.clock.set(datetime(2026, 12, 1, 2, tzinfo=UTC))
    stats: list[tuple[str, object]] = []

    def seen(conn, cursor, statement, params, context, many):
        # the refresh's statements over its batch of changed tickets repeat: cached
        refresh = "kpi_dirty" in statement or "kpi_tmp_batch" in statement
        ddl = statement.lstrip().upper().startswith(("CREATE", "DROP"))
        if "kpi_tmp_" in statement and not refresh and not ddl:
            stats.append((statement, context.cache_hit))

    engine = helpdesk_storage.engine
    event.listen(engine, "after_cursor_execute", seen)
    try:
        desk.report_data("2026-11")
    finally:
        event.remove(engine, "after_cursor_execute", seen)
    assert len(stats) > 20
    cached = [s for s, hit in stats if hit in (CacheStats.CACHE_MISS, CacheStats.CACHE_HIT)]
    assert not cached, cached[0]
    assert {hit for _, hit in stats} == {CacheStats.CACHING_DISABLED}
    desk.close()


def test_a_report_leaves_the_sqlite_connections_as_it_found_them(tmp_path):
    """The report's connections (its own and the hot words' reader) get their settings
    back and keep no temporary table."""
    from contextlib import ExitStack

    from helpdesk_kit.storage.sql import SqlStorage

    storage = SqlStorage(f"sqlite:///{tmp_path / 'r.db'}")
    desk = make_desk(storage, "Asia/Shanghai", START)
    simulate(desk, start=START, days=3, seed=2, tickets=30)
    desk.clock.set(datetime(2026, 10, 5, tzinfo=UTC))

    def pooled(change: bool = False) -> list[tuple[int, int, int, int]]:
        # two connections at once: the pool's two (the report uses two at a time)
        # (driver connections: no transaction, so neither waits for the other's lock)
        with ExitStack() as stack:
            conns = [storage.engine.raw_connection() for _ in range(2)]
            for conn in conns:
                stack.callback(conn.close)
            found = []
            for conn in conns:

                def one(sql: str, conn=conn) -> int:
                    return int(conn.cursor().execute(sql).fetchone()[0])

                if change:
                    # a setting the report changes, and that is not the build's default
                    conn.cursor().execute("PRAGMA temp.secure_delete = FAST")
                found.append(
                    (
                        one("PRAGMA main.cache_size"),
                        one("PRAGMA temp.cache_size"),
                        one("PRAGMA temp.secure_delete"),
                        one("SELECT count(*) FROM sqlite_temp_master"),
                    )
                )
            return sorted(found)

    before = pooled(change=True)
    assert [b[2] for b in before] == [2, 2]
    assert desk.report_data("2026-10").one("volume")["tickets"] > 0
    desk.kpi("first_response", "2026-10", by="channel")
    # the report's page caches and secure_delete are given back, its temporary tables
    # dropped (SQLite reports a temp cache size of 0 or its default depending on whether
    # the temporary schema was opened yet: either is a value the connection had)
    after = pooled()
    for i, name in enumerate(["main cache", "temp cache", "secure_delete", "temp tables"]):
        assert {a[i] for a in after} <= {b[i] for b in before}, name
    assert [a[2:] for a in after] == [(2, 0), (2, 0)]
    desk.close()


@pytest.mark.parametrize("setting", ["on", "off"])
@pytest.mark.parametrize("helpdesk_storage", ["postgresql"], indirect=True)
def test_clv_gives_postgresql_its_merge_join_setting_back(helpdesk_storage, setting):
    """CLV plans its join without merge joins, then gives the transaction its setting back."""
    from decimal import Decimal

    from sqlalchemy import text

    from helpdesk_kit.analytics.query import KpiContext, KpiQuery, Order

    desk = make_desk(helpdesk_storage, "UTC", START)
    customer = desk.add_customer("C", email="c@example.com")
    desk.open_ticket(customer, "hi", "a question", channel="chat", actor=customer)
    orders = [Order("o1", customer.id, Decimal("12.50"), "CNY", START)]
    query = KpiQuery(period=f"{START:%Y-%m}")
    with helpdesk_storage.unit_of_work() as uow:
        uow.analytics.refresh()
        uow.execute(text(f"SET LOCAL enable_mergejoin = {setting}"))
        rows = uow.analytics.compute("clv", query, KpiContext(START, ("new", "open"), orders))
        assert [(r.keys, r.values["customers"]) for r in rows] == [({"currency": "CNY"}, 1)]
        assert uow.execute(text("SHOW enable_mergejoin")).scalar_one() == setting
    desk.close()


@pytest.mark.parametrize("helpdesk_storage", ["sqlite", "postgresql"], indirect=True)
def test_order_metrics_read_every_order_of_a_large_answer(helpdesk_storage):
    """Hundreds of orders (more than one block of rows per SQLite INSERT, and a partial
    last block) all reach SQL: totals and repeat purchases count each of them."""
    from datetime import timedelta
    from decimal import Decimal

    from helpdesk_kit.analytics.query import KpiContext, KpiQuery, Order

    desk = make_desk(helpdesk_storage, "UTC", START)
    people = [desk.add_customer(f"C{i}", email=f"c{i}@example.com") for i in range(3)]
    for c in people:
        desk.open_ticket(c, "hi", "a question", channel="chat", actor=c)
    counts, prices = [200, 249, 1], [Decimal("1.00"), Decimal("2.00"), Decimal("7.00")]
    orders = [
        Order(f"o{i}-{j}", c.id, price, "CNY", START + timedelta(minutes=j))
        for i, (c, n, price) in enumerate(zip(people, counts, prices, strict=True))
        for j in range(n)
    ]
    assert len(orders) == 450  # 5 columns: blocks of 199, 199 and 52 rows on SQLite
    query = KpiQuery(period=f"{START:%Y-%m}")
    ctx = KpiContext(START, ("new", "open"), orders)
    with helpdesk_storage.unit_of_work() as uow:
        uow.analytics.refresh()
        clv = uow.analytics.compute("clv", query, ctx)
        repeat = uow.analytics.compute("repeat_rate", query, ctx)
    assert [(r.values["customers"], r.values["total"], r.values["p50"]) for r in clv] == [
        (3, 200 + 498 + 7, 200)
    ]
    assert [(r.values["count"], r.values["hits"]) for r in repeat] == [(3, 2)]
    desk.close()


@pytest.mark.parametrize("helpdesk_storage", ["sqlite", "postgresql"], indirect=True)
def test_report_computes_on_a_reader_beside_the_other_metrics(helpdesk_storage, monkeypatch):
    """Where the storage offers a reading unit of work, the worker thread computes there the
    host's orders and the metrics on them, the hot words, bot containment and then the jobs
    dated by creation that the main thread has not taken; the report is the same as one
    computed on one connection."""
    import threading

    from helpdesk_kit import Helpdesk
    from helpdesk_kit.analytics.metrics import metric
    from helpdesk_kit.desk.analytics import _ReportJobs

    desk = make_desk(helpdesk_storage, "Asia/Shanghai", START)
    sim = simulate(desk, start=START, days=61, seed=5, tickets=300)
    desk.plugin_manager.register(sim.shop)
    desk.clock.set(datetime(2026, 12, 1, 2, tzinfo=UTC))
    calls = []
    real_beside = Helpdesk._read_beside

    def spy(self, *args):
        calls.append(args)
        return real_beside(self, *args)

    # the main thread waits until the reader has taken its jobs: every job dated by creation
    real_work = _ReportJobs.work
    reader_done = threading.Event()
    on_reader: list[set[tuple[str, str]]] = []

    def work(self, desk, uow, ctx, *, created_only=False):
        if not created_only:
            assert reader_done.wait(60)
            return real_work(self, desk, uow, ctx)
        before = set(self.found)
        real_work(self, desk, uow, ctx, created_only=True)
        on_reader.append(set(self.found) - before)
        reader_done.set()
        return None

    monkeypatch.setattr(Helpdesk, "_read_beside", spy)
    monkeypatch.setattr(_ReportJobs, "work", work)
    beside = desk.report_data("2026-11").to_dict()
    assert len(calls) == 1
    (taken,) = on_reader
    assert {name for _, name in taken} == {"volume", "first_response", "reopen_rate"}
    assert all(metric(name).dated_by == "created" for _, name in taken)
    assert len(taken) == 12  # summary 3, daily 2, by channel 2, by agent 2, three volumes
    monkeypatch.setattr(_ReportJobs, "work", real_work)
    monkeypatch.setattr(helpdesk_storage, "reader", lambda: None)
    one = desk.report_data("2026-11").to_dict()
    assert len(calls) == 1
    assert beside == one
    assert beside["hot_words"]["top"]
    assert beside["unavailable"] == {}
    for name in ("bot_containment", "conversion_rate", "repeat_rate"):
        assert beside["summary"][name][0]["count"] > 0, name
    assert beside["summary"]["clv"][0]["customers"] > 0
    desk.close()


@pytest.mark.parametrize("helpdesk_storage", ["memory", "sqlite", "postgresql"], indirect=True)
def test_report_lists_unavailable_metrics_in_the_metrics_order(helpdesk_storage, monkeypatch):
    """Without an order hook the order metrics are unavailable, listed in the catalogue's
    order whichever thread computed them (with or without a reader)."""
    from helpdesk_kit.analytics.metrics import METRICS

    desk = make_desk(helpdesk_storage, "UTC", START)
    simulate(desk, start=START, days=40, seed=3, tickets=60)
    desk.clock.set(datetime(2026, 12, 1, 2, tzinfo=UTC))
    data = desk.report_data("2026-11")
    expected = [n for n in METRICS if n in ("conversion_rate", "repeat_rate", "clv")]
    assert list(data.unavailable) == expected
    assert all(why.startswith("needs a plugin") for why in data.unavailable.values())
    assert all(data.summary[n] == [] for n in expected)
    if hasattr(helpdesk_storage, "reader"):
        monkeypatch.setattr(helpdesk_storage, "reader", lambda: None)
        assert desk.report_data("2026-11").to_dict() == data.to_dict()
    desk.close()


@pytest.mark.parametrize("helpdesk_storage", ["sqlite", "postgresql"], indirect=True)
def test_a_reader_reads_while_a_writer_holds_its_transaction(helpdesk_storage):
    """A reading unit of work in another thread is not queued behind a writing one (SQLite:
    it does not ask for the write lock) and sees what was committed."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import func, select

    from helpdesk_kit.storage.sql.tables import customers

    desk = make_desk(helpdesk_storage, "UTC", START)
    desk.add_customer("C", email="c@example.com")

    def count() -> int:
        reader = helpdesk_storage.reader()
        with reader as uow:
            return int(uow.execute(select(func.count()).select_from(customers)).scalar_one())

    with helpdesk_storage.unit_of_work() as writer:
        writer.execute(customers.delete())  # holds the write lock, not committed
        with ThreadPoolExecutor(1) as pool:
            assert pool.submit(count).result(timeout=10) == 1
    desk.close()


def test_an_in_memory_sqlite_database_has_no_reader_of_its_own():
    from helpdesk_kit.storage.sql import SqlStorage

    storage = SqlStorage("sqlite://")
    try:
        assert storage.reader() is None
    finally:
        storage.close()
