"""The storage contract of authority requests, as pytest tests.

Run it against a backend like :mod:`helpdesk_kit.testing.storage_suite`: star-import it into
a test module that defines a ``storage_factory`` fixture returning a callable that makes a
new, empty storage.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest

from helpdesk_kit.authority.money import Money
from helpdesk_kit.authority.request import COUNTED, AuthorityRequest, RequestStatus
from helpdesk_kit.errors import AlreadyExists, ConcurrencyConflict, NotFound
from helpdesk_kit.storage.base import Storage
from helpdesk_kit.tickets.model import Customer, Ticket

__all__ = [
    "authority_storage",
    "test_authority_add_get_round_trip",
    "test_authority_counted_matches_reference",
    "test_authority_list_filters_and_pages",
    "test_authority_lock_and_rollback",
    "test_authority_update_checks_version",
]

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def authority_storage(storage_factory: Callable[[], Storage]) -> Iterator[Storage]:
    """A new, empty storage from the user's ``storage_factory`` fixture."""
    made = storage_factory()
    try:
        yield made
    finally:
        made.close()


def _tickets(storage: Storage, n: int = 2) -> list[Ticket]:
    out = []
    with storage.unit_of_work() as uow:
        for i in range(n):
            c = uow.customers.add(Customer(name=f"c{i}", identities=[("email", f"c{i}@x.cn")]))
            out.append(
                uow.tickets.add(
                    Ticket(1001 + i, "s", c.id, "email", "new", created_at=T0, updated_at=T0)
                )
            )
        uow.commit()
    return out


def _request(ticket: Ticket, **kw: Any) -> AuthorityRequest:
    kw.setdefault("action", "refund")
    kw.setdefault("amount", Money("150.00", "CNY"))
    kw.setdefault("requested_by", "agent:A1")
    kw.setdefault("requested_at", T0)
    kw.setdefault("status", RequestStatus.EXECUTING)
    kw.setdefault("decision", "within_limit")
    return AuthorityRequest(ticket_id=ticket.id, customer_id=ticket.customer_id, **kw)


def test_authority_add_get_round_trip(authority_storage: Storage) -> None:
    """Exact amounts, money fields, params and results come back as stored."""
    t, _ = _tickets(authority_storage)
    full = _request(
        t,
        amount=Money(Decimal("0.10"), "CNY"),
        reason="屏幕碎了",
        params={"order_id": "SO9", "lines": [1, 2], "note": "整单"},
        limit=Money("200", "CNY"),
        used=Money("99.90", "CNY"),
        decided_by="agent:S1",
        decided_at=T0 + timedelta(minutes=5),
        decision_note="ok",
        executed_at=T0 + timedelta(minutes=6),
        result={"refund_id": "RF1"},
        error=None,
        status=RequestStatus.EXECUTED,
    )
    with authority_storage.unit_of_work() as uow:
        uow.authority.add(full)
        with pytest.raises(AlreadyExists):
            uow.authority.add(full)
        uow.commit()
    with authority_storage.unit_of_work() as uow:
        got = uow.authority.get(full.id)
        assert got == full
        assert got.amount.amount == Decimal("0.10")
        assert str(got.amount) in ("0.10 CNY", "0.1 CNY")
        assert got.decided_at == T0 + timedelta(minutes=5)
        with pytest.raises(NotFound):
            uow.authority.get("nope")


def test_authority_update_checks_version(authority_storage: Storage) -> None:
    """Of two decisions on one request, the second one's version is stale."""
    t, _ = _tickets(authority_storage)
    pending = _request(t, status=RequestStatus.PENDING, decision="over_limit")
    with authority_storage.unit_of_work() as uow:
        uow.authority.add(pending)
        uow.commit()
    approved = attrs.evolve(pending, status=RequestStatus.EXECUTING, version=2)
    with authority_storage.unit_of_work() as uow:
        uow.authority.update(approved, expected_version=1)
        uow.commit()
    with authority_storage.unit_of_work() as uow:
        rejected = attrs.evolve(pending, status=RequestStatus.REJECTED, version=2)
        with pytest.raises(ConcurrencyConflict):
            uow.authority.update(rejected, expected_version=1)
        with pytest.raises(NotFound):
            uow.authority.update(_request(t, version=2), expected_version=1)
        assert uow.authority.get(pending.id).status is RequestStatus.EXECUTING


def test_authority_list_filters_and_pages(authority_storage: Storage) -> None:
    """list() filters by status, ticket and actor, ordered by id, keyset-paged."""
    t1, t2 = _tickets(authority_storage)
    made = []
    with authority_storage.unit_of_work() as uow:
        for i, status in enumerate(RequestStatus):
            for t in (t1, t2):
                made.append(
                    uow.authority.add(_request(t, status=status, requested_by=f"agent:A{i % 2}"))
                )
        uow.commit()
    with authority_storage.unit_of_work() as uow:
        everything = uow.authority.list()
        assert [r.id for r in everything] == sorted(r.id for r in made)
        pending = uow.authority.list(status=["pending"])
        assert {r.status for r in pending} == {RequestStatus.PENDING}
        assert len(pending) == 2
        mine = uow.authority.list(ticket_id=t1.id, requested_by="agent:A0")
        assert {(r.ticket_id, r.requested_by) for r in mine} == {(t1.id, "agent:A0")}
        first = uow.authority.list(limit=3)
        rest = uow.authority.list(after=first[-1].id, limit=100)
        assert [r.id for r in first + rest] == [r.id for r in everything]


def test_authority_counted_matches_reference(authority_storage: Storage) -> None:
    """counted() selects exactly the actor's counted requests for the action since a time."""
    tickets = _tickets(authority_storage, 3)
    rnd = random.Random(11)
    made = []
    with authority_storage.unit_of_work() as uow:
        for _ in range(60):
            t = rnd.choice(tickets)
            made.append(
                uow.authority.add(
                    _request(
                        t,
                        action=rnd.choice(["refund", "coupon"]),
                        requested_by=rnd.choice(["agent:A1", "agent:A2"]),
                        requested_at=T0 + timedelta(hours=rnd.randint(0, 48)),
                        status=rnd.choice(list(RequestStatus)),
                        amount=Money(rnd.randint(1, 300), "CNY"),
                    )
                )
            )
        uow.commit()
    since = T0 + timedelta(hours=24)
    with authority_storage.unit_of_work() as uow:
        for actor in ("agent:A1", "agent:A2"):
            for action in ("refund", "coupon"):
                for t in tickets:
                    for kw in ({}, {"customer_id": t.customer_id}, {"ticket_id": t.id}):
                        got = uow.authority.counted(actor, action, since, **kw)
                        want = [
                            r
                            for r in made
                            if r.requested_by == actor
                            and r.action == action
                            and r.requested_at >= since
                            and r.status in COUNTED
                            and r.customer_id == kw.get("customer_id", r.customer_id)
                            and r.ticket_id == kw.get("ticket_id", r.ticket_id)
                        ]
                        assert sorted(r.id for r in got) == sorted(r.id for r in want)


def test_authority_lock_and_rollback(authority_storage: Storage) -> None:
    """lock() can be taken (twice, too) and a rolled-back request is gone."""
    t, _ = _tickets(authority_storage)
    with authority_storage.unit_of_work() as uow:
        uow.authority.lock("agent:A1", "refund")
        uow.authority.lock("agent:A1", "refund")
        uow.authority.add(_request(t))
    with authority_storage.unit_of_work() as uow:
        assert uow.authority.list() == []
        uow.authority.lock("agent:A1", "refund")
        uow.commit()
