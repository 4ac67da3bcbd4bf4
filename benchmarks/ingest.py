"""Intake speed of the SQL backend against raw-driver baselines, on SQLite and PostgreSQL.

For each database, in one run:

- ``receive``: ``Helpdesk.receive`` one message per transaction, against a raw driver loop
  (sqlite3 / psycopg) inserting the same rows — ticket number, ticket, message and the two
  events — one transaction per message. Target: at least 1/3 of the raw rate.
- ``bulk``: ``Helpdesk.import_messages`` against raw ``executemany`` in batches of the same
  size. Target: at least 1/2 of the raw rate.
- ``--million``: import 1,000,000 messages and report the growth of resident memory
  (target: under 200 MB).

Every message opens a new conversation from one of 100 existing customers (so both sides
insert the same rows). Run::

    PYTHONPATH=src python benchmarks/ingest.py [--receive-n 1000] [--bulk-n 20000]
        [--postgres URL] [--synchronous full|normal] [--million]

PostgreSQL runs when ``--postgres`` or ``HELPDESK_KIT_TEST_DATABASE_URL`` is given; the run
uses schemas of its own and drops them.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from helpdesk_kit.desk import DeskSettings, Helpdesk
from helpdesk_kit.ids import new_id
from helpdesk_kit.storage.sql import SqlStorage
from helpdesk_kit.tickets.model import Identity, InboundMessage

CUSTOMERS = 100
BATCH = 1000


def messages(n: int, start: int = 0) -> Iterator[InboundMessage]:
    """``n`` new conversations from the customer pool."""
    for i in range(start, start + n):
        yield InboundMessage(
            channel="email",
            sender=Identity("email", f"customer{i % CUSTOMERS}@example.com"),
            sender_name=f"Customer {i % CUSTOMERS}",
            subject=f"Order SO-{i} has not arrived",
            text=f"Hello, my order SO-{i} has not arrived yet. Can you check? 谢谢",
            external_id=f"<msg{i}@mail.example>",
        )


def rss_mb() -> float:
    """Resident memory of this process in MB (Linux)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


# --------------------------------------------------------------------------- raw baselines


class Raw:
    """Inserts ticket + message + 2 events per message with the plain driver."""

    def __init__(self, storage: SqlStorage, customer_ids: dict[str, str]) -> None:
        self.pg = storage.dialect == "postgresql"
        self.customer_ids = customer_ids
        url = storage.engine.url
        if self.pg:
            import psycopg

            params = url.translate_connect_args(username="user", database="dbname")
            opts = url.query.get("options")
            self.conn: Any = (
                psycopg.connect(**params, options=opts) if opts else psycopg.connect(**params)
            )
            self.mark = "%s"
        else:
            self.conn = sqlite3.connect(url.database or "", isolation_level=None)
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA foreign_keys = ON")
            self.conn.execute(f"PRAGMA synchronous = {storage.synchronous}")
            self.mark = "?"
        m = self.mark
        self.ticket_sql = (
            "INSERT INTO tickets (id, number, subject, customer_id, channel, status, lifecycle, "
            "priority, category, tags, assignee_id, group_id, language, thread_key, participants, "
            "created_at, updated_at, reopen_count, custom_fields, merged_into, version) VALUES ("
            + ", ".join([m] * 21)
            + ")"
        )
        self.message_sql = (
            "INSERT INTO messages (id, ticket_id, author_kind, author_id, text, html, created_at, "
            "public, channel, external_id, subject, attachment_count) VALUES ("
            + ", ".join([m] * 12)
            + ")"
        )
        self.event_sql = (
            "INSERT INTO events (id, ticket_id, seq, kind, at, actor, data) VALUES ("
            + ", ".join([m] * 7)
            + ")"
        )

    def _json(self, value: Any) -> Any:
        if self.pg:
            from psycopg.types.json import Jsonb

            return Jsonb(value)
        return json.dumps(value)

    def _numbers(self, cur: Any, count: int) -> list[int]:
        if self.pg:
            cur.execute("SELECT nextval('ticket_number_seq') FROM generate_series(1, %s)", (count,))
            return [r[0] for r in cur.fetchall()]
        row = cur.execute(
            "UPDATE counters SET value = value + ? WHERE name = 'ticket_number' RETURNING value",
            (count,),
        ).fetchone()
        return list(range(row[0] - count, row[0]))

    def rows(self, m: InboundMessage, number: int) -> tuple[tuple[Any, ...], ...]:
        """The rows one message becomes."""
        now = datetime.now(UTC)
        at: Any = now if self.pg else now.strftime("%Y-%m-%d %H:%M:%S.%f")
        tid, mid = new_id(), new_id()
        cid = self.customer_ids[m.sender.value]
        subject = m.subject
        ticket = (
            tid,
            number,
            subject,
            cid,
            m.channel,
            "new",
            "support",
            "normal",
            None,
            self._json([]),
            None,
            None,
            None,
            None,
            self._json([]),
            at,
            at,
            0,
            self._json({}),
            None,
            1,
        )
        message = (
            mid,
            tid,
            "customer",
            cid,
            m.text,
            None,
            at,
            True,
            m.channel,
            m.external_id,
            m.subject,
            0,
        )
        created = (
            new_id(),
            tid,
            1,
            "ticket.created",
            at,
            f"customer:{cid}",
            self._json({"number": number, "subject": subject, "channel": m.channel}),
        )
        received = (
            new_id(),
            tid,
            2,
            "message.received",
            at,
            f"customer:{cid}",
            self._json({"message_id": mid, "channel": m.channel}),
        )
        return ticket, message, created, received

    def receive(self, m: InboundMessage) -> None:
        """One message, one transaction."""
        cur = self.conn.cursor()
        if not self.pg:
            cur.execute("BEGIN IMMEDIATE")
        (number,) = self._numbers(cur, 1)
        ticket, message, created, received = self.rows(m, number)
        cur.execute(self.ticket_sql, ticket)
        cur.execute(self.message_sql, message)
        cur.executemany(self.event_sql, [created, received])
        self.conn.commit() if self.pg else cur.execute("COMMIT")

    def bulk(self, batch: list[InboundMessage]) -> None:
        """One batch, one transaction, ``executemany`` per table."""
        cur = self.conn.cursor()
        if not self.pg:
            cur.execute("BEGIN IMMEDIATE")
        numbers = self._numbers(cur, len(batch))
        rows = [self.rows(m, n) for m, n in zip(batch, numbers, strict=True)]
        cur.executemany(self.ticket_sql, [r[0] for r in rows])
        cur.executemany(self.message_sql, [r[1] for r in rows])
        cur.executemany(self.event_sql, [e for r in rows for e in r[2:]])
        self.conn.commit() if self.pg else cur.execute("COMMIT")

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


# --------------------------------------------------------------------------- databases


class Databases:
    """Fresh, migrated databases of one kind, each with the customer pool."""

    def __init__(self, kind: str, pg_url: str | None, synchronous: str) -> None:
        self.kind = kind
        self.pg_url = pg_url
        self.synchronous = synchronous
        self.folder = tempfile.mkdtemp(prefix="helpdesk-bench-", dir=os.environ.get("BENCH_DIR"))
        self.schemas: list[str] = []
        self.count = 0

    def fresh(self) -> tuple[str, SqlStorage, dict[str, str]]:
        """A new database: its URL, an open storage, and the customers' ids by email."""
        self.count += 1
        if self.kind == "sqlite":
            url = f"sqlite:///{Path(self.folder) / f'db{self.count}.db'}"
            storage = SqlStorage(url, synchronous=self.synchronous)
        else:
            from helpdesk_kit.storage.sql.isolation import create_schema, new_schema_name

            assert self.pg_url is not None
            schema = new_schema_name("helpdesk_kit_bench")
            url = create_schema(self.pg_url, schema)
            self.schemas.append(schema)
            storage = SqlStorage(url, migrate=True)
        storage.synchronous = self.synchronous  # type: ignore[attr-defined]
        desk = Helpdesk(storage=storage, load_entrypoints=False)
        ids = {}
        for n in range(CUSTOMERS):
            c = desk.add_customer(f"Customer {n}", email=f"customer{n}@example.com")
            ids[f"customer{n}@example.com"] = c.id
        with storage.unit_of_work() as uow:  # the counter row exists on both sides
            uow.tickets.next_numbers(1)
            uow.commit()
        return url, storage, ids

    def drop(self) -> None:
        """Remove what this run made."""
        import shutil

        shutil.rmtree(self.folder, ignore_errors=True)
        if self.pg_url:
            from helpdesk_kit.storage.sql.isolation import drop_schema

            for schema in self.schemas:
                drop_schema(self.pg_url, schema)


def timed(fn: Callable[[], Any]) -> float:
    """Seconds ``fn`` takes."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run_kind(kind: str, args: argparse.Namespace, pg_url: str | None) -> list[str]:
    """Run the comparisons on one kind of database; return the report lines."""
    dbs = Databases(kind, pg_url, args.synchronous)
    out: list[str] = []
    label = kind if kind == "postgresql" else f"sqlite (synchronous={args.synchronous})"
    try:
        settings = DeskSettings(auto_assign=True)
        # receive, one transaction per message
        _, storage, ids = dbs.fresh()
        raw = Raw(storage, ids)
        t_raw = timed(lambda: [raw.receive(m) for m in messages(args.receive_n)])
        raw.close()
        storage.close()
        _, storage, _ = dbs.fresh()
        desk = Helpdesk(storage=storage, settings=settings, load_entrypoints=False)
        t_desk = timed(lambda: [desk.receive(m) for m in messages(args.receive_n)])
        assert desk.count_tickets() == args.receive_n
        storage.close()
        r_raw, r_desk = args.receive_n / t_raw, args.receive_n / t_desk
        out.append(
            f"{label:32} receive  raw {r_raw:9.0f} msg/s  helpdesk {r_desk:9.0f} msg/s  "
            f"ratio {r_desk / r_raw:.2f} (target >= 0.33)"
        )
        # bulk
        _, storage, ids = dbs.fresh()
        raw = Raw(storage, ids)

        def raw_bulk() -> None:
            batch: list[InboundMessage] = []
            for m in messages(args.bulk_n):
                batch.append(m)
                if len(batch) == BATCH:
                    raw.bulk(batch)
                    batch = []
            if batch:
                raw.bulk(batch)

        t_raw = timed(raw_bulk)
        raw.close()
        storage.close()
        _, storage, _ = dbs.fresh()
        desk = Helpdesk(storage=storage, settings=settings, load_entrypoints=False)
        t_desk = timed(lambda: desk.import_messages(messages(args.bulk_n), batch_size=BATCH))
        assert desk.count_tickets() == args.bulk_n
        storage.close()
        r_raw, r_desk = args.bulk_n / t_raw, args.bulk_n / t_desk
        out.append(
            f"{label:32} bulk     raw {r_raw:9.0f} msg/s  helpdesk {r_desk:9.0f} msg/s  "
            f"ratio {r_desk / r_raw:.2f} (target >= 0.50)"
        )
        if args.million:
            _, storage, _ = dbs.fresh()
            desk = Helpdesk(storage=storage, settings=settings, load_entrypoints=False)
            before = peak = rss_mb()
            start = time.perf_counter()
            # one stream of 1,000,000 messages; RSS is sampled after every batch
            def sampled() -> Iterator[InboundMessage]:
                nonlocal peak
                for i, m in enumerate(messages(1_000_000)):
                    if i % BATCH == 0:
                        peak = max(peak, rss_mb())
                    yield m

            desk.import_messages(sampled(), batch_size=BATCH)
            done = desk.count_tickets()
            peak = max(peak, rss_mb())
            took = time.perf_counter() - start
            storage.close()
            out.append(
                f"{label:32} 1,000,000 messages in {took:.0f} s ({done / took:.0f} msg/s), "
                f"RSS {before:.0f} MB before, peak {peak:.0f} MB: growth {peak - before:.0f} MB "
                "(target < 200 MB)"
            )
    finally:
        dbs.drop()
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--receive-n", type=int, default=1000)
    parser.add_argument("--bulk-n", type=int, default=20_000)
    parser.add_argument("--postgres", default=os.environ.get("HELPDESK_KIT_TEST_DATABASE_URL"))
    parser.add_argument("--synchronous", default="full", choices=["full", "normal"])
    parser.add_argument("--million", action="store_true", help="also import 1,000,000 messages")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args(argv)
    kinds = ["sqlite"] + (["postgresql"] if args.postgres else [])
    if args.only:
        kinds = [args.only]
    print(
        f"helpdesk_kit ingest benchmark · Python {sys.version.split()[0]} · "
        f"receive n={args.receive_n} · bulk n={args.bulk_n} in batches of {BATCH}"
    )
    for kind in kinds:
        for line in run_kind(kind, args, args.postgres):
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
