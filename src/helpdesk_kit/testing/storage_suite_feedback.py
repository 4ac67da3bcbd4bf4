"""The storage contract of surveys and KPI facts as pytest tests (run with storage_suite).

Star-import it into a test module that defines ``storage_factory`` (see
:mod:`helpdesk_kit.testing.storage_suite`)::

    from helpdesk_kit.testing.storage_suite_feedback import *  # noqa: F403
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import attrs
import pytest

from helpdesk_kit.analytics.query import KpiContext, KpiQuery
from helpdesk_kit.errors import AlreadyExists, NotFound
from helpdesk_kit.feedback.model import Survey
from helpdesk_kit.storage.base import Storage
from helpdesk_kit.tickets.model import Customer, Ticket, TicketEvent

__all__ = [
    "storage",
    "test_kpi_facts_follow_the_event_log",
    "test_surveys_add_get_update_list",
    "test_surveys_bulk_and_rollback",
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


def _ticket(storage: Storage, number: int = 1) -> Ticket:
    with storage.unit_of_work() as uow:
        customer = uow.customers.add(
            Customer(f"C{number}", identities=[("email", f"c{number}@example.com")], created_at=T0)
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


def _survey(ticket: Ticket, **kw: object) -> Survey:
    kw.setdefault("round", 1)
    return Survey(
        ticket_id=ticket.id,
        customer_id=ticket.customer_id,
        channel=ticket.channel,
        kind="csat",
        sent_at=T0,
        expires_at=T0 + timedelta(days=7),
        **kw,  # type: ignore[arg-type]
    )


def test_surveys_add_get_update_list(storage: Storage) -> None:
    """A survey comes back equal; updates replace it; a ticket's surveys come oldest first."""
    ticket = _ticket(storage)
    first = _survey(ticket, agent_id="a1", message_id="m1")
    second = attrs.evolve(_survey(ticket, round=2), sent_at=T0 + timedelta(hours=1))
    with storage.unit_of_work() as uow:
        uow.surveys.add(second)
        uow.surveys.add(first)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.surveys.get(first.id) == first
        assert [s.id for s in uow.surveys.list_for_ticket(ticket.id)] == [first.id, second.id]
        rated = attrs.evolve(
            first,
            score=2,
            comment="慢 / slow",
            reason="process",
            rated_at=T0 + timedelta(minutes=5),
            updated_at=T0 + timedelta(minutes=6),
            changes=1,
            followup_id="f1",
        )
        uow.surveys.update(rated)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.surveys.get(first.id) == rated
        with pytest.raises(NotFound):
            uow.surveys.get("nope")
        with pytest.raises(NotFound):
            uow.surveys.update(_survey(ticket))
        with pytest.raises(AlreadyExists):
            uow.surveys.add(first)


def test_surveys_bulk_and_rollback(storage: Storage) -> None:
    """``add_many`` stores several; an uncommitted unit of work leaves nothing behind."""
    ticket = _ticket(storage)
    many = [_survey(ticket, round=i) for i in range(1, 4)]
    with storage.unit_of_work() as uow:
        uow.surveys.add_many(many)
    with storage.unit_of_work() as uow:
        assert uow.surveys.list_for_ticket(ticket.id) == []
        uow.surveys.add_many(many)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert sorted(s.round for s in uow.surveys.list_for_ticket(ticket.id)) == [1, 2, 3]


def test_kpi_facts_follow_the_event_log(storage: Storage) -> None:
    """KPIs read what the event log says once the tickets are marked and refreshed."""
    ticket = _ticket(storage)
    reply = TicketEvent(ticket.id, "reply.sent", T0 + timedelta(minutes=3), "agent:a1", {})
    with storage.unit_of_work() as uow:
        current = uow.tickets.get(ticket.id)
        uow.tickets.update(
            attrs.evolve(current, first_response_at=reply.at, version=2), expected_version=1
        )
        uow.events.append([reply])
        uow.analytics.mark_dirty([ticket.id])
        uow.commit()
    query = KpiQuery("2026-11", timezone="Asia/Shanghai")
    ctx = KpiContext(now=T0 + timedelta(days=1), open_statuses=("new", "open"))
    with storage.unit_of_work() as uow:
        uow.analytics.refresh()
        uow.commit()
        rows = uow.analytics.compute("first_response", query, ctx)
        uow.analytics.release()
    assert [(r.values["count"], r.values["p50_s"]) for r in rows] == [(1, 180.0)]
