"""The routing storage contract as pytest tests (``uow.routing``); every backend must pass.

Use it like :mod:`helpdesk_kit.testing.storage_suite`: star-import it into a test module
that defines a ``storage_factory`` fixture returning a callable that makes an empty storage.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpdesk_kit.storage.base import Storage
from helpdesk_kit.storage.routing import QueueEntry
from helpdesk_kit.tickets.model import Customer, Ticket

__all__ = [
    "routing_storage",
    "test_routing_claim_and_lock_tickets",
    "test_routing_holds_count_against_agents",
    "test_routing_last_agent_and_pointer",
    "test_routing_queue_order_matches_reference",
    "test_routing_queue_round_trips_and_moves",
    "test_routing_rollback_forgets_changes",
]

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
_NUMBERS = itertools.count(1)


@pytest.fixture
def routing_storage(storage_factory: Callable[[], Storage]) -> Iterator[Storage]:
    """A new, empty storage from the ``storage_factory`` fixture the user defines."""
    made = storage_factory()
    try:
        yield made
    finally:
        made.close()


def _tickets(storage: Storage, count: int, start: int = 1) -> list[str]:
    with storage.unit_of_work() as uow:
        customer = Customer(
            name="c", identities=[("email", f"routing{start}@example.com")], created_at=T0
        )
        uow.customers.add(customer)
        ids = []
        for n in range(count):
            ticket = Ticket(
                start + n, f"t{n}", customer.id, "email", "new", created_at=T0, updated_at=T0
            )
            ids.append(uow.tickets.add(ticket).id)
        uow.commit()
    return ids


def _entry(tid: str, group: str | None = "g1", **kw: object) -> QueueEntry:
    kw.setdefault("created_at", T0)
    kw.setdefault("queued_at", T0)
    return QueueEntry(tid, group, **kw)  # type: ignore[arg-type]


def test_routing_queue_round_trips_and_moves(routing_storage: Storage) -> None:
    a, b, c = _tickets(routing_storage, 3)
    shanghai = timezone(timedelta(hours=8))
    due = datetime(2026, 11, 2, 18, 0, 0, 123456, tzinfo=shanghai)
    with routing_storage.unit_of_work() as uow:
        uow.routing.enqueue([_entry(a, due_at=due, rank=0), _entry(b), _entry(c, None)])
        uow.commit()
    with routing_storage.unit_of_work() as uow:
        assert uow.routing.entries([a, b, c, "nope"]) == {
            a: _entry(a, due_at=due, rank=0),
            b: _entry(b),
            c: _entry(c, None),
        }
        assert [e.ticket_id for e in uow.routing.queue("g1")] == [a, b]
        assert [e.ticket_id for e in uow.routing.queue(None)] == [c]
        assert uow.routing.waiting_counts() == {None: 1, "g1": 2}
        assert uow.routing.count("g1") == 2
        # moving a ticket to another group's queue replaces its entry
        uow.routing.enqueue([_entry(b, "g2")])
        assert [e.ticket_id for e in uow.routing.queue("g1")] == [a]
        assert [e.ticket_id for e in uow.routing.queue("g2")] == [b]
        assert uow.routing.dequeue([a, c, "nope"]) == 2
        assert uow.routing.waiting_counts() == {"g2": 1}
        uow.commit()
    with routing_storage.unit_of_work() as uow:
        assert uow.routing.count("g1") == 0
        assert uow.routing.entries([a, b]) == {b: _entry(b, "g2")}


_dues = st.one_of(st.none(), st.integers(0, 5).map(lambda h: T0 + timedelta(hours=h)))


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    specs=st.lists(st.tuples(st.integers(0, 1), _dues, st.integers(0, 3)), min_size=1, max_size=12)
)
def test_routing_queue_order_matches_reference(
    routing_storage: Storage, specs: list[tuple[int, datetime | None, int]]
) -> None:
    start = 100 * next(_NUMBERS)
    ids = _tickets(routing_storage, len(specs), start=start)
    group = f"g{start}"
    entries = [
        _entry(tid, group, rank=rank, due_at=due, created_at=T0 + timedelta(minutes=m))
        for tid, (rank, due, m) in zip(ids, specs, strict=True)
    ]
    with routing_storage.unit_of_work() as uow:
        uow.routing.enqueue(entries)
        uow.commit()
    expected = [e.ticket_id for e in sorted(entries, key=lambda e: e.key)]
    with routing_storage.unit_of_work() as uow:
        assert [e.ticket_id for e in uow.routing.queue(group, limit=100)] == expected
        # keyset pages give the same order
        paged: list[str] = []
        after = None
        while True:
            page = uow.routing.queue(group, limit=5, after=after)
            paged += [e.ticket_id for e in page]
            if len(page) < 5:
                break
            after = page[-1]
        assert paged == expected
        uow.routing.dequeue(ids)
        uow.commit()


def test_routing_claim_and_lock_tickets(routing_storage: Storage) -> None:
    ids = _tickets(routing_storage, 4)
    with routing_storage.unit_of_work() as uow:
        uow.routing.enqueue(
            [_entry(t, created_at=T0 + timedelta(minutes=n)) for n, t in enumerate(ids)]
        )
        uow.commit()
    with routing_storage.unit_of_work() as uow:
        head = uow.routing.claim("g1", 2)
        assert [e.ticket_id for e in head] == ids[:2]
        rest = uow.routing.claim("g1", 10, after=head[-1])
        assert [e.ticket_id for e in rest] == ids[2:]
        locked = uow.routing.lock_tickets([ids[1], ids[0], "nope"])
        assert [t.id for t in locked] == sorted(ids[:2])
        assert [t.subject for t in locked] == [{ids[0]: "t0", ids[1]: "t1"}[t.id] for t in locked]


def test_routing_holds_count_against_agents(routing_storage: Storage) -> None:
    a, b, c = _tickets(routing_storage, 3)
    with routing_storage.unit_of_work() as uow:
        uow.routing.set_holds({a: "ann", b: "ann", c: "bob"})
        uow.commit()
    with routing_storage.unit_of_work() as uow:
        assert uow.routing.loads(["ann", "bob", "eve"]) == {"ann": 2, "bob": 1, "eve": 0}
        uow.routing.set_holds({a: "bob", c: None})
        assert uow.routing.holds([a, b, c]) == {a: "bob", b: "ann"}
        uow.commit()
    with routing_storage.unit_of_work() as uow:
        assert uow.routing.loads(["ann", "bob"]) == {"ann": 1, "bob": 1}


def test_routing_last_agent_and_pointer(routing_storage: Storage) -> None:
    with routing_storage.unit_of_work() as uow:
        uow.routing.set_last_agent("c1", "ann", T0 + timedelta(hours=1))
        uow.routing.set_last_agent("c1", "bob", T0)  # older: ignored
        uow.routing.set_pointer("g1", "ann")
        uow.routing.set_pointer(None, "eve")
        uow.commit()
    with routing_storage.unit_of_work() as uow:
        assert uow.routing.last_agent("c1") == "ann"
        assert uow.routing.last_agent("c2") is None
        assert uow.routing.pointer("g1") == "ann"
        assert uow.routing.pointer(None) == "eve"
        assert uow.routing.pointer("g2") is None
        uow.routing.set_pointer("g1", "bob")
        uow.routing.set_last_agent("c1", "bob", T0 + timedelta(hours=2))
        uow.commit()
    with routing_storage.unit_of_work() as uow:
        assert uow.routing.pointer("g1") == "bob"
        assert uow.routing.last_agent("c1") == "bob"


def test_routing_rollback_forgets_changes(routing_storage: Storage) -> None:
    a, b = _tickets(routing_storage, 2)
    with routing_storage.unit_of_work() as uow:
        uow.routing.enqueue([_entry(a)])
        uow.routing.set_holds({b: "ann"})
        uow.commit()
    with routing_storage.unit_of_work() as uow:
        uow.routing.enqueue([_entry(b), _entry(a, "g2")])
        uow.routing.set_holds({b: None, a: "bob"})
        uow.routing.set_pointer("g1", "ann")
        assert uow.routing.count("g1") == 1
        uow.rollback()
    with routing_storage.unit_of_work() as uow:
        assert [e.ticket_id for e in uow.routing.queue("g1")] == [a]
        assert uow.routing.count("g2") == 0
        assert uow.routing.holds([a, b]) == {b: "ann"}
        assert uow.routing.loads(["ann", "bob"]) == {"ann": 1, "bob": 0}
        assert uow.routing.pointer("g1") is None
