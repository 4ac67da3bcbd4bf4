"""The storage contract of fired escalation levels as pytest tests (run with storage_suite).

Star-import it into a test module that defines ``storage_factory`` (see
:mod:`helpdesk_kit.testing.storage_suite`)::

    from helpdesk_kit.testing.storage_suite_escalation import *  # noqa: F403
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from helpdesk_kit.errors import NotFound
from helpdesk_kit.storage.base import Storage
from helpdesk_kit.storage.escalation import FiredLevel
from helpdesk_kit.tickets.model import Customer, Ticket

__all__ = [
    "storage",
    "test_escalations_add_once_and_list",
    "test_escalations_lock_count_and_rollback",
]

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def storage(storage_factory: Callable[[], Storage]) -> Iterator[Storage]:
    """A new, empty storage from the ``storage_factory`` fixture the user defines."""
    made = storage_factory()
    try:
        yield made
    finally:
        made.close()


def _ticket(storage: Storage, number: int) -> Ticket:
    with storage.unit_of_work() as uow:
        customer = uow.customers.add(
            Customer(f"C{number}", identities=[("email", f"e{number}@example.com")], created_at=T0)
        )
        ticket = uow.tickets.add(
            Ticket(
                number=number,
                subject="s",
                customer_id=customer.id,
                channel="email",
                status="new",
                created_at=T0,
                updated_at=T0,
            )
        )
        uow.commit()
    return ticket


def test_escalations_add_once_and_list(storage: Storage) -> None:
    """A (ticket, policy, level) key is stored once; lists come oldest first; data round-trips."""
    a, b = _ticket(storage, 1), _ticket(storage, 2)
    first = FiredLevel(a.id, "guide", "team_lead", T0, "ev1", {"why": {"found": ["投诉"]}})
    later = FiredLevel(a.id, "guide", "manager", T0 + timedelta(hours=1), "ev2", {})
    with storage.unit_of_work() as uow:
        assert uow.escalations.add(later) is True
        assert uow.escalations.add(first) is True
        assert uow.escalations.add(FiredLevel(a.id, "guide", "team_lead", T0, "ev3")) is False
        assert uow.escalations.add(FiredLevel(b.id, "guide", "team_lead", T0)) is True
        uow.commit()
    with storage.unit_of_work() as uow:
        got = uow.escalations.list_for_ticket(a.id)
        assert [f.level for f in got] == ["team_lead", "manager"]
        assert got[0] == first
        assert got[0].data == {"why": {"found": ["投诉"]}}
        assert got[0].fired_at == T0
        assert got[0].event_id == "ev1"
        many = uow.escalations.list_for_tickets([a.id, b.id, "missing"])
        assert set(many) == {a.id, b.id}
        assert uow.escalations.list_for_ticket("missing") == []
        uow.escalations.update(FiredLevel(a.id, "guide", "manager", T0, "ev9", {"actions": [1]}))
        uow.commit()
    with storage.unit_of_work() as uow:
        changed = uow.escalations.list_for_ticket(a.id)[1]
        assert (changed.event_id, changed.data) == ("ev9", {"actions": [1]})
        assert changed.fired_at == T0 + timedelta(hours=1)  # only event id and data change
        with pytest.raises(NotFound):
            uow.escalations.update(FiredLevel(a.id, "guide", "nope", T0))
        with pytest.raises(NotFound):
            uow.escalations.add(FiredLevel("missing", "guide", "x", T0))


def test_escalations_lock_count_and_rollback(storage: Storage) -> None:
    """for_update_many maps existing tickets only; counts filter; a rollback stores nothing."""
    a, b = _ticket(storage, 1), _ticket(storage, 2)
    with storage.unit_of_work() as uow:
        uow.escalations.add(FiredLevel(a.id, "p", "l1", T0))
        uow.escalations.add(FiredLevel(a.id, "p", "l2", T0))
        uow.escalations.add(FiredLevel(b.id, "q", "l1", T0))
        uow.commit()
    with storage.unit_of_work() as uow:
        locked = uow.escalations.for_update_many([b.id, a.id, "missing"])
        assert set(locked) == {a.id, b.id}
        assert [f.level for f in locked[a.id]] == ["l1", "l2"]
        uow.escalations.add(FiredLevel(b.id, "q", "l2", T0))
        uow.rollback()
    with storage.unit_of_work() as uow:
        assert uow.escalations.count() == 3
        assert uow.escalations.count(policy="p") == 2
        assert uow.escalations.count(level="l1") == 2
        assert uow.escalations.count(policy="q", level="l2") == 0
        assert uow.escalations.for_update_many([]) == {}
