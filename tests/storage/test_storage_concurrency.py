"""Concurrency and crash safety on SQLite and PostgreSQL, with threads and real processes."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from _storage_workers import claim_worker, crash_worker, intake_worker, make_stream

from helpdesk_kit.desk import Helpdesk
from helpdesk_kit.errors import ConcurrencyConflict
from helpdesk_kit.storage.base import TicketFilter
from helpdesk_kit.storage.sql import SqlStorage
from helpdesk_kit.tickets.model import Customer, Ticket, TicketEvent

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SPAWN = multiprocessing.get_context("spawn")


@pytest.fixture(params=["sqlite", "postgresql"])
def sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated database of each SQL kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'desk.db'}"
        SqlStorage(url).close()
        return url
    return str(request.getfixturevalue("fresh_pg"))


def _ticket(storage: SqlStorage) -> Ticket:
    with storage.unit_of_work() as uow:
        c = uow.customers.add(Customer(name="c", identities=[("email", "c@x.y")]))
        t = uow.tickets.add(Ticket(1, "s", c.id, "email", "new", created_at=T0, updated_at=T0))
        uow.commit()
    return t


def test_concurrent_appends_number_one_trail_without_gaps(sql_url: str) -> None:
    """Many writers appending to one ticket's trail at once: 1..n, nothing lost."""
    storage = SqlStorage(sql_url)
    try:
        ticket = _ticket(storage)
        start = threading.Barrier(6)

        def writer(n: int) -> list[int]:
            start.wait()
            seqs = []
            for k in range(5):
                with storage.unit_of_work() as uow:
                    stored = uow.events.append(
                        [TicketEvent(ticket.id, "note.added", T0, "system", {"w": n, "k": k})]
                    )
                    time.sleep(0.002)  # keep the transaction open while others try
                    uow.commit()
                seqs.append(stored[0].seq)
            return seqs

        with ThreadPoolExecutor(6) as pool:
            results = list(pool.map(writer, range(6)))
        with storage.unit_of_work() as uow:
            trail = uow.events.list_for_ticket(ticket.id)
        assert [e.seq for e in trail] == list(range(1, 31))
        assert sorted(s for r in results for s in r) == list(range(1, 31))
    finally:
        storage.close()


def test_an_appender_waits_for_a_ticket_update_in_flight(sql_url: str) -> None:
    """A delivery event appended while a command holds the ticket is numbered after it."""
    storage = SqlStorage(sql_url)
    try:
        ticket = _ticket(storage)
        holding = threading.Event()
        order: list[str] = []

        def command() -> None:
            with storage.unit_of_work() as uow:
                import attrs

                current = uow.tickets.get(ticket.id)
                uow.tickets.update(
                    attrs.evolve(current, status="open", version=2), expected_version=1
                )
                uow.events.append([TicketEvent(ticket.id, "ticket.transitioned", T0)])
                holding.set()
                time.sleep(0.2)
                order.append("command")
                uow.commit()

        def delivery() -> None:
            holding.wait()
            with storage.unit_of_work() as uow:
                uow.events.append([TicketEvent(ticket.id, "message.delivered", T0)])
                order.append("delivery")
                uow.commit()

        threads = [threading.Thread(target=command), threading.Thread(target=delivery)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with storage.unit_of_work() as uow:
            kinds = [(e.seq, e.kind) for e in uow.events.list_for_ticket(ticket.id)]
        assert kinds == [(1, "ticket.transitioned"), (2, "message.delivered")]
        assert order == ["command", "delivery"]
    finally:
        storage.close()


def test_stale_ticket_write_is_a_conflict_and_retry_wins(sql_url: str) -> None:
    """Two commands on one ticket: the slower one conflicts, and ``Helpdesk.retry`` succeeds."""
    with Helpdesk.from_url(sql_url) as desk:
        agent = desk.add_agent("A", status="offline")
        t = desk.open_ticket(desk.add_customer("c", email="c@x.y"), "s", "t")
        desk.set_priority(t, "high", actor=agent)
        with pytest.raises(ConcurrencyConflict) as info:
            desk.set_priority(t, "urgent", actor=agent, expected_version=t.version)
        assert info.value.actual == t.version + 1
        calls = []

        def bump() -> Ticket:
            calls.append(1)
            current = desk.get_ticket(t.id)
            expected = current.version - (1 if len(calls) == 1 else 0)
            return desk.set_priority(t, "urgent", actor=agent, expected_version=expected)

        assert desk.retry(bump).priority.value == "urgent"
        assert len(calls) == 2


def test_two_worker_processes_never_claim_the_same_item(sql_url: str) -> None:
    storage = SqlStorage(sql_url)
    try:
        with storage.unit_of_work() as uow:
            for n in range(60):
                uow.due.schedule("sweep", f"item{n:03}", T0 + timedelta(seconds=n))
            uow.due.schedule("sweep", "later", T0 + timedelta(days=1))
            uow.commit()
    finally:
        storage.close()
    now = (T0 + timedelta(minutes=5)).isoformat()
    with ProcessPoolExecutor(3, mp_context=SPAWN) as pool:
        futures = [pool.submit(claim_worker, sql_url, f"w{n}", now) for n in range(3)]
        claimed = [f.result(timeout=120) for f in futures]
    everything = [k for keys in claimed for k in keys]
    assert Counter(everything).most_common(1)[0][1] == 1, "an item was claimed twice"
    assert sorted(everything) == [f"item{n:03}" for n in range(60)]


def test_four_processes_take_in_one_stream(sql_url: str) -> None:
    """4 processes, same stream with retried deliveries and replies: one ticket per thread."""
    threads, senders = 24, 9
    with Helpdesk.from_url(sql_url, load_entrypoints=False) as desk:
        agents = [desk.add_agent(f"Agent {n}", status="online", max_concurrent=5) for n in range(3)]
    stream = make_stream(threads, senders)
    with ProcessPoolExecutor(4, mp_context=SPAWN) as pool:
        futures = [pool.submit(intake_worker, sql_url, stream) for _ in range(4)]
        assert [f.result(timeout=300) for f in futures] == [len(stream)] * 4

    with Helpdesk.from_url(sql_url, load_entrypoints=False) as desk:
        tickets = desk.list_tickets(TicketFilter(include_merged=True), limit=1000).items
        assert len(tickets) == threads
        by_subject = {t.subject: t for t in tickets}
        assert len(by_subject) == threads
        stored_ids: list[str] = []
        for t in tickets:
            msgs = desk.messages(t)
            thread = int(t.subject.split()[-1])
            assert [m.external_id for m in msgs] == [f"<t{thread}m{k}@mail>" for k in range(3)]
            stored_ids += [m.external_id or "" for m in msgs]
            seqs = [e.seq for e in desk.events(t)]
            assert seqs == list(range(1, len(seqs) + 1))
        assert len(stored_ids) == len({m["external_id"] for m in stream})
        for n in range(senders):
            assert desk.find_customer("email", f"customer{n}@example.com") is not None
        with desk.storage.unit_of_work() as uow:
            assert len(uow.customers.list(limit=100)) == senders
            counts = uow.tickets.open_counts([a.id for a in agents], statuses=["new", "open"])
        assert all(counts[a.id] <= a.max_concurrent for a in agents), counts
        assert sum(counts.values()) == min(threads, 15)


def test_a_killed_intake_leaves_all_or_nothing(sql_url: str, tmp_path: Path) -> None:
    """SIGKILL in the middle of taking in a message: none of it is stored; retrying works."""
    with Helpdesk.from_url(sql_url, load_entrypoints=False) as desk:
        desk.add_agent("Online", status="online")
    marker = tmp_path / "stalled"
    proc = SPAWN.Process(target=crash_worker, args=(sql_url, str(marker), 3))
    proc.start()
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.is_alive(), "the worker ended before stalling"
            assert time.monotonic() < deadline, "the worker never reached the stall point"
            time.sleep(0.05)
        os.kill(proc.pid or 0, signal.SIGKILL)
        proc.join(30)
        assert proc.exitcode == -signal.SIGKILL
    finally:
        if proc.is_alive():
            proc.kill()
    with Helpdesk.from_url(sql_url, load_entrypoints=False) as desk:
        tickets = desk.list_tickets(TicketFilter(include_merged=True)).items
        assert sorted(t.subject for t in tickets) == ["crash 0", "crash 1", "crash 2"]
        assert desk.find_customer("email", "crash3@example.com") is None
        with desk.storage.unit_of_work() as uow:
            assert uow.messages.find_by_external_id("email", "<crash3@mail>") is None
            for t in tickets:
                assert len(uow.messages.list_for_ticket(t.id)) == 1
                assert [e.seq for e in uow.events.list_for_ticket(t.id)] == [1, 2, 3]
        from helpdesk_kit.tickets.model import Identity, InboundMessage

        again = desk.receive(
            InboundMessage(
                "email",
                Identity("email", "crash3@example.com"),
                "x",
                "crash 3",
                external_id="<crash3@mail>",
            )
        )
        assert again.created
        assert again.ticket is not None
        if sql_url.startswith("sqlite"):
            assert again.ticket.number == 1004  # the killed transaction's number came back
