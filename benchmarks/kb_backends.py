"""The knowledge base's search backends side by side, and the desk's own overhead.

Run from the repository root:

    PYTHONPATH=src /work/venv/bin/python benchmarks/kb_backends.py
    HELPDESK_KIT_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        PYTHONPATH=src /work/venv/bin/python benchmarks/kb_backends.py --docs 20000

Part 1, backends: the same generated corpus as benchmarks/kb.py (half English, half
Chinese) goes into the in-memory BM25F ``SearchIndex`` (the baseline), SQLite FTS5 (an
in-memory database) and, with ``HELPDESK_KIT_TEST_DATABASE_URL``, PostgreSQL full text (in a
schema of its own, dropped at the end). Printed per backend: bulk build time, search
latency percentiles over the same queries, the time to add and to remove one article, and
search p50 as a ratio of the baseline's.

Part 2, the desk (in memory and on a SQLite file): ``desk.search_articles`` (index plus
loading the hit articles from storage) against ``SearchIndex.search`` alone, and publishing
one article into a built index (one ``add``) against rebuilding the index from storage.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from helpdesk_kit import FrozenClock, Helpdesk
from helpdesk_kit.kb import SearchIndex
from helpdesk_kit.kb.backend import SearchDocument


def _load_kb_benchmark() -> Any:
    """benchmarks/kb.py (its corpus and query generators), loaded by path, not by name."""
    path = Path(__file__).resolve().with_name("kb.py")
    spec = importlib.util.spec_from_file_location("_kb_benchmark", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building
    spec.loader.exec_module(module)
    return module


_KB = _load_kb_benchmark()
generate, make_queries, percentile, time_each = (
    _KB.generate,
    _KB.make_queries,
    _KB.percentile,
    _KB.time_each,
)

PG_ENV = "HELPDESK_KIT_TEST_DATABASE_URL"


def _figures(name: str, times: Sequence[float]) -> str:
    return (
        f"{name}: p50 {percentile(times, 50):.2f} ms, p95 {percentile(times, 95):.2f} ms, "
        f"p99 {percentile(times, 99):.2f} ms"
    )


def bench_backend(
    name: str, make: Callable[[], Any], docs: Sequence[SearchDocument], queries: Sequence[str]
) -> float:
    """Build, search, add and remove on one backend; print the figures; return search p50."""
    index = make()
    start = time.perf_counter()
    bulk = getattr(index, "add_many", None)
    if bulk is not None:
        bulk(docs)
    else:
        for d in docs:
            index.add(d.doc_id, d.title, d.body, locale=d.locale, questions=d.questions)
    built = time.perf_counter() - start
    print(f"{name}: build {len(docs):,} articles in {built:.1f} s ({len(docs) / built:,.0f}/s)")
    for q in queries[:20]:  # warm caches
        index.search(q)
    times = time_each(lambda q: index.search(q, limit=10), queries)
    print("  " + _figures("search top 10", times))
    extra = SearchDocument("extra", "Gift wrapping for parcels", "¥5 per parcel", "en")
    adds = time_each(lambda _: index.add(extra.doc_id, extra.title, extra.body), ["x"] * 20)
    removes: list[float] = []
    for _ in range(20):
        index.add(extra.doc_id, extra.title, extra.body)
        start = time.perf_counter()
        index.remove(extra.doc_id)
        removes.append((time.perf_counter() - start) * 1000)
    print(
        f"  add one article {statistics.mean(adds):.2f} ms, "
        f"remove one {statistics.mean(removes):.2f} ms (means of 20); size {len(index):,}"
    )
    return percentile(times, 50)


def bench_desk(label: str, desk: Helpdesk, n_articles: int, queries: Sequence[str]) -> None:
    """Search through the desk vs the bare index; publish one article vs a rebuild."""
    desk.kb.configure(sync_interval=None)
    desk.search_articles("warm up")  # builds the index from storage
    index = desk.kb.index
    bare = time_each(lambda q: index.search(q, limit=10), queries)
    full = time_each(lambda q: desk.search_articles(q, limit=10), queries)
    print(f"desk on {label} ({n_articles:,} published articles):")
    print("  " + _figures("SearchIndex.search", bare))
    print("  " + _figures("desk.search_articles (index + articles from storage)", full))
    draft = desk.kb.create_article("Gift wrapping", "¥5 per parcel.", key="gift-wrap")
    start = time.perf_counter()
    desk.kb.publish_article(draft)
    publish = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    desk.kb.rebuild_index()
    rebuild = (time.perf_counter() - start) * 1000
    print(
        f"  publish one article (unit of work + version + one index add): {publish:.1f} ms; "
        f"rebuilding the index from storage: {rebuild:.0f} ms"
    )


def _fill(desk: Helpdesk, docs: Sequence[SearchDocument]) -> None:
    from helpdesk_kit.kb.model import Article, ArticleStatus

    now = desk.now()
    with desk.storage.unit_of_work() as uow:  # bulk: straight through the repository
        for d in docs:
            uow.kb_articles.add(
                Article(
                    key=d.doc_id,
                    locale=d.locale or "en",
                    title=d.title[:500],
                    body=d.body,
                    questions=d.questions,
                    status=ArticleStatus.PUBLISHED,
                    created_at=now,
                    updated_at=now,
                    published_at=now,
                )
            )
        uow.commit()


def main(argv: Sequence[str] | None = None) -> None:
    """Run both parts and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--desk-docs", type=int, default=5_000)
    args = parser.parse_args(argv)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load:.1f}")

    articles, en, zh = generate(args.docs)
    docs = [SearchDocument(a.doc_id, a.title, a.body, a.locale, a.questions) for a in articles]
    queries = make_queries(articles, en, zh, args.queries)

    from helpdesk_kit.storage.sql.engine import make_engine
    from helpdesk_kit.storage.sql.search import Fts5SearchIndex, PostgresSearchIndex

    base = bench_backend("bm25 (SearchIndex, baseline)", SearchIndex, docs, queries)
    fts = bench_backend(
        "sqlite-fts5 (in-memory SQLite)",
        lambda: Fts5SearchIndex(make_engine("sqlite://")),
        docs,
        queries,
    )
    print(f"  search p50 {fts / base:.1f}x the baseline's")
    url = os.environ.get(PG_ENV)
    if url:
        from helpdesk_kit.storage.sql.isolation import create_schema, drop_schema, new_schema_name

        schema = new_schema_name("helpdesk_kit_bench")
        engine = make_engine(create_schema(url, schema))
        try:
            pg = bench_backend(
                "postgresql-fts", lambda: PostgresSearchIndex(engine), docs, queries
            )
            print(f"  search p50 {pg / base:.1f}x the baseline's")
        finally:
            engine.dispose()
            drop_schema(url, schema)
    else:
        print(f"postgresql-fts: skipped (set {PG_ENV})")

    clock = FrozenClock(datetime(2026, 11, 26, tzinfo=UTC))
    subset = docs[: args.desk_docs]
    desk = Helpdesk(clock=clock, load_entrypoints=False)
    _fill(desk, subset)
    bench_desk("memory", desk, len(subset), queries)
    with tempfile.TemporaryDirectory() as tmp:
        sql_desk = Helpdesk.from_url(
            f"sqlite:///{tmp}/kb.db", clock=clock, load_entrypoints=False, synchronous="normal"
        )
        try:
            _fill(sql_desk, subset)
            bench_desk("SQLite", sql_desk, len(subset), queries)
        finally:
            sql_desk.close()


if __name__ == "__main__":
    main()
