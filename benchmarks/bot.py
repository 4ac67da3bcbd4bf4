"""Benchmark: the bot's cost per customer message, and its metrics query.

1. Turns: chat messages through ``desk.receive`` with the bot answering (classifier,
   flow or knowledge base, its state and events, the reply) against the baseline of the
   same messages answered by a fixed ``desk.reply`` (a canned auto-answer, no bot), on
   memory and SQLite. The difference is what the bot adds per message.
2. Metrics: ``desk.bot_metrics()`` as set-based SQL over N generated conversations on
   SQLite (and PostgreSQL when ``HELPDESK_KIT_TEST_DATABASE_URL`` is set), against the
   baseline of the reference implementation in Python (``compute_bot_metrics``) over the
   same events read out of the same database.

Run: PYTHONPATH=src python benchmarks/bot.py [--messages 300] [--conversations 20000]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

# benchmarks/email.py would shadow the standard library's email package (which SQLAlchemy
# imports): keep this folder off sys.path.
_here = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if str(Path(p or ".").resolve()) != _here]

from helpdesk_kit import FrozenClock, Helpdesk  # noqa: E402
from helpdesk_kit.bot import (  # noqa: E402
    IntentClassifier,
    compute_bot_metrics,
    load_starter_examples,
)
from helpdesk_kit.storage.sql import SqlStorage  # noqa: E402
from helpdesk_kit.tickets import events as ev  # noqa: E402
from helpdesk_kit.tickets.model import (  # noqa: E402
    Actor,
    Customer,
    Identity,
    InboundMessage,
    Ticket,
    TicketEvent,
)

SCRIPT = [
    "where is my order?",
    "SO20240611",
    "how long does delivery take?",
    "yes",
    "我的优惠券用不了",
    "没用",
    "thanks",
]
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def actions() -> dict[str, object]:
    return {
        "order_status": lambda desk, customer, slots: {"ok": True, "text": "Shipped."},
        "password_reset": lambda desk, customer, slots: {"ok": True, "text": "Sent."},
    }


def make_desk(url: str | None) -> Helpdesk:
    clock = FrozenClock(T0)
    if url is None:
        return Helpdesk(clock=clock, load_entrypoints=False)
    return Helpdesk(SqlStorage(url, migrate=True), clock, load_entrypoints=False)


def turns(
    url: str | None, classifier: IntentClassifier, messages: int, *, bot: bool
) -> list[float]:
    """Seconds per message: receive (+ the bot's turn, or a fixed reply)."""
    desk = make_desk(url)
    desk.kb.import_starter()
    if bot:
        desk.configure_bot(classifier, actions=actions())
    times: list[float] = []
    for i in range(messages):
        visitor = f"v{i // len(SCRIPT)}"
        text = SCRIPT[i % len(SCRIPT)]
        inbound = InboundMessage("chat", Identity("chat", visitor), text=text, thread_key=visitor)
        start = time.perf_counter()
        result = desk.receive(inbound)
        if not bot:
            assert result.ticket is not None
            desk.reply(result.ticket, "Thanks, we will answer soon.", author=Actor.bot())
        times.append(time.perf_counter() - start)
    desk.close()
    return times


def fill(url: str, conversations: int, seed: int = 1) -> dict[str, str]:
    """Generated bot conversations straight into storage; returns ticket → customer."""
    rng = random.Random(seed)
    storage = SqlStorage(url, migrate=True)
    customer_of: dict[str, str] = {}
    intents = ["order_status", "delivery_time", "coupon", "invoice", "password_reset"]
    with storage.unit_of_work() as uow:
        customers = [
            Customer(name=f"c{i}", identities=[Identity("chat", f"c{i}")], created_at=T0)
            for i in range(conversations // 3 + 1)
        ]
        uow.customers.add_many(customers)
        tickets = []
        all_events: list[TicketEvent] = []
        numbers = uow.tickets.next_numbers(conversations)
        for n in range(conversations):
            customer = rng.choice(customers)
            start = T0 + timedelta(minutes=rng.randrange(60 * 24 * 30))
            ticket = Ticket(
                numbers[n], "chat", customer.id, "chat", "new", created_at=start, updated_at=start
            )
            tickets.append(ticket)
            customer_of[ticket.id] = customer.id
            intent = rng.choice(intents)
            steps: list[tuple[str, datetime, str, dict[str, object]]] = [
                (ev.MESSAGE_RECEIVED, start, f"customer:{customer.id}", {}),
                (ev.BOT_STARTED, start, "bot:bot", {}),
                (ev.BOT_INTENT, start, "bot:bot", {"intent": intent}),
            ]
            later = start + timedelta(minutes=1)
            roll = rng.random()
            if roll < 0.55:
                steps.append((ev.BOT_ENDED, later, "bot:bot", {"intent": intent}))
            elif roll < 0.8:
                steps.append((ev.HANDOFF, later, "bot:bot", {"reason": "requested"}))
            if rng.random() < 0.05:
                steps.append((ev.BOT_RELABELLED, later, "agent:A", {"intent": intent}))
            all_events += [
                TicketEvent(ticket.id, kind, at, actor, data, seq=i)
                for i, (kind, at, actor, data) in enumerate(steps, start=1)
            ]
        uow.tickets.add_many(tickets)
        for ticket in tickets:
            uow.created_ticket(ticket.id)  # type: ignore[attr-defined]
        uow.events.append(all_events)
        uow.commit()
    storage.close()
    return customer_of


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=280)
    parser.add_argument("--conversations", type=int, default=20_000)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}")
    classifier = IntentClassifier().fit(load_starter_examples())
    folder = Path(tempfile.mkdtemp())

    print(f"\n1. {args.messages} chat messages ({len(SCRIPT)}-message conversations)")
    for name, url_of in (("memory", None), ("sqlite", "file")):
        results = {}
        for bot in (False, True):
            url = None if url_of is None else f"sqlite:///{folder / f't{int(bot)}.db'}"
            results[bot] = turns(url, classifier, args.messages, bot=bot)
        base, with_bot = results[False], results[True]
        b50, w50 = statistics.median(base), statistics.median(with_bot)
        b95 = statistics.quantiles(base, n=20)[18]
        w95 = statistics.quantiles(with_bot, n=20)[18]
        print(
            f"  {name:6}  fixed reply (baseline): p50 {b50 * 1e3:6.2f} ms, p95 {b95 * 1e3:6.2f} ms"
            f" | bot turn: p50 {w50 * 1e3:6.2f} ms, p95 {w95 * 1e3:6.2f} ms"
            f" | ratio p50 {w50 / b50:.2f}x"
        )

    print(f"\n2. metrics over {args.conversations} conversations")
    metrics_on("sqlite", f"sqlite:///{folder / 'metrics.db'}", args.conversations)
    pg = os.environ.get("HELPDESK_KIT_TEST_DATABASE_URL")
    if pg:
        from helpdesk_kit.storage.sql.isolation import create_schema, drop_schema, new_schema_name

        schema = new_schema_name("helpdesk_kit_bench_bot")
        try:
            metrics_on("postgresql", create_schema(pg, schema), args.conversations)
        finally:
            drop_schema(pg, schema)
    else:
        print("  (set HELPDESK_KIT_TEST_DATABASE_URL to measure PostgreSQL too)")


def metrics_on(name: str, url: str, conversations: int) -> None:
    """Time the SQL metrics against the reference in Python on one database."""
    customer_of = fill(url, conversations)
    desk = Helpdesk(SqlStorage(url), FrozenClock(T0), load_entrypoints=False)
    start = time.perf_counter()
    sql = desk.bot_metrics()
    sql_s = time.perf_counter() - start
    start = time.perf_counter()
    events: list[TicketEvent] = []
    with desk.storage.unit_of_work() as uow:
        after = None
        while True:
            page = uow.events.stream(after=after, limit=10_000)
            events.extend(page)
            if len(page) < 10_000:
                break
            after = page[-1].id
    reference = compute_bot_metrics(events, customer_of)
    ref_s = time.perf_counter() - start
    desk.close()
    assert sql == reference, "SQL and the reference disagree"
    print(
        f"  {name:10}  SQL: {sql_s:.2f} s | reference in Python (read {len(events)} events + "
        f"compute): {ref_s:.2f} s | ratio {sql_s / ref_s:.2f}x | containment "
        f"{sql.containment_rate:.3f}"
    )


if __name__ == "__main__":
    main()
