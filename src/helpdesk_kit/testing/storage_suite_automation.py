"""The storage contract of automation rule states as pytest tests (run with storage_suite).

Star-import it into a test module that defines ``storage_factory`` (see
:mod:`helpdesk_kit.testing.storage_suite`)::

    from helpdesk_kit.testing.storage_suite_automation import *  # noqa: F403
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import attrs
import pytest

from helpdesk_kit.automation.state import RuleState
from helpdesk_kit.storage.base import Storage
from helpdesk_kit.tickets.model import Customer, Ticket

__all__ = [
    "storage",
    "test_automation_mark_fired_once",
    "test_automation_rollback_keeps_states",
    "test_automation_states_save_read_drop",
]

T0 = datetime(2026, 11, 2, 9, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture
def storage(storage_factory: Callable[[], Storage]) -> Iterator[Storage]:
    """A new, empty storage from the ``storage_factory`` fixture the user defines."""
    made = storage_factory()
    try:
        yield made
    finally:
        made.close()


def _tickets(storage: Storage, count: int) -> list[Ticket]:
    out = []
    with storage.unit_of_work() as uow:
        customer = uow.customers.add(
            Customer("C", identities=[("email", "c@example.com")], created_at=T0)
        )
        for number in range(1, count + 1):
            out.append(
                uow.tickets.add(
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
            )
        uow.commit()
    return out


def test_automation_states_save_read_drop(storage: Storage) -> None:
    """States come back equal (aware UTC), by ticket then rule; save replaces; drop removes."""
    a, b = _tickets(storage, 2)
    shanghai = T0.astimezone(ZoneInfo("Asia/Shanghai"))
    s1 = RuleState(a.id, "remind", shanghai)
    s2 = RuleState(a.id, "close", T0, T0 + timedelta(hours=1))
    s3 = RuleState(b.id, "remind", T0 + timedelta(days=1))
    with storage.unit_of_work() as uow:
        uow.automation.save([s1, s2, s3])
        uow.commit()
    with storage.unit_of_work() as uow:
        found = uow.automation.states_for([a.id, b.id, "missing"])
        assert set(found) == {a.id, b.id}
        assert found[a.id] == {"close": s2, "remind": s1}
        assert found[a.id]["remind"].entered_at == T0
        assert found[b.id] == {"remind": s3}
        moved = attrs.evolve(s1, entered_at=T0 + timedelta(days=2))
        uow.automation.save([moved])
        assert uow.automation.drop(b.id, ["remind", "other"]) == 1
        assert uow.automation.drop(b.id, []) == 0
        uow.commit()
    with storage.unit_of_work() as uow:
        found = uow.automation.states_for([a.id, b.id])
        assert found == {a.id: {"close": s2, "remind": moved}}


def test_automation_mark_fired_once(storage: Storage) -> None:
    """Only the first mark of an entry wins; a stale entry or a missing state is refused."""
    (a,) = _tickets(storage, 1)
    with storage.unit_of_work() as uow:
        uow.automation.save([RuleState(a.id, "remind", T0)])
        uow.commit()
    later = T0 + timedelta(days=3)
    with storage.unit_of_work() as uow:
        assert not uow.automation.mark_fired(a.id, "remind", T0 + timedelta(seconds=1), later)
        assert not uow.automation.mark_fired(a.id, "other", T0, later)
        assert uow.automation.mark_fired(a.id, "remind", T0, later)
        assert not uow.automation.mark_fired(a.id, "remind", T0, later)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert not uow.automation.mark_fired(a.id, "remind", T0, later)
        assert uow.automation.states_for([a.id])[a.id]["remind"].fired_at == later


def test_automation_rollback_keeps_states(storage: Storage) -> None:
    """A unit of work that is not committed changes nothing."""
    (a,) = _tickets(storage, 1)
    state = RuleState(a.id, "remind", T0)
    with storage.unit_of_work() as uow:
        uow.automation.save([state])
        uow.commit()
    with storage.unit_of_work() as uow:
        uow.automation.mark_fired(a.id, "remind", T0, T0 + timedelta(hours=1))
        uow.automation.drop(a.id, ["remind"])
        uow.automation.save([RuleState(a.id, "other", T0)])
        uow.rollback()
    with storage.unit_of_work() as uow:
        assert uow.automation.states_for([a.id]) == {a.id: {"remind": state}}
