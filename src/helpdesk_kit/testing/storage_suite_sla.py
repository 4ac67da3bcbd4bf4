"""The SLA timer storage contract as pytest tests (``uow.sla``); every backend must pass.

Use it like :mod:`helpdesk_kit.testing.storage_suite`: star-import it into a test module
that defines a ``storage_factory`` fixture returning a callable that makes an empty storage.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpdesk_kit.errors import NotFound
from helpdesk_kit.sla.policy import METRICS
from helpdesk_kit.sla.timers import SlaStatus, SlaTimer
from helpdesk_kit.storage.base import Storage
from helpdesk_kit.tickets.model import Customer, Ticket

__all__ = [
    "sla_storage",
    "test_sla_breached_between_is_a_range",
    "test_sla_for_update_many_leaves_out_missing_tickets",
    "test_sla_for_update_reads_and_knows_tickets",
    "test_sla_list_for_tickets",
    "test_sla_rollback_forgets_timers",
    "test_sla_save_replaces_by_ticket_and_metric",
    "test_sla_timer_round_trips",
    "test_sla_upcoming_matches_reference",
]

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def sla_storage(storage_factory: Callable[[], Storage]) -> Iterator[Storage]:
    """A new, empty storage from the ``storage_factory`` fixture the user defines."""
    made = storage_factory()
    try:
        yield made
    finally:
        made.close()


def _tickets(storage: Storage, count: int) -> list[str]:
    with storage.unit_of_work() as uow:
        customer = uow.customers.add(
            Customer(name="c", identities=[("email", "sla@example.com")], created_at=T0)
        )
        ids = []
        for n in range(count):
            ticket = Ticket(
                n + 1, f"t{n}", customer.id, "email", "new", created_at=T0, updated_at=T0
            )
            ids.append(uow.tickets.add(ticket).id)
        uow.commit()
    return ids


def _timer(ticket_id: str, metric: str = "first_response", **kw: object) -> SlaTimer:
    kw.setdefault("started_at", T0)
    return SlaTimer(ticket_id, metric, **kw)  # type: ignore[arg-type]


def test_sla_timer_round_trips(sla_storage: Storage) -> None:
    (tid,) = _tickets(sla_storage, 1)
    shanghai = timezone(timedelta(hours=8))
    full = _timer(
        tid,
        "resolution",
        started_at=datetime(2026, 11, 2, 17, 0, 0, 123456, tzinfo=shanghai),
        cycle=3,
        resumed_at=T0 + timedelta(hours=5, microseconds=7),
        segments=(
            (T0, T0 + timedelta(minutes=30)),
            (T0 + timedelta(hours=1), T0 + timedelta(hours=2)),
        ),
        used=timedelta(minutes=90, microseconds=1),
        policy="vip email",
        calendar="cn-office",
        target=timedelta(hours=8, microseconds=5),
        warn_fraction=0.75,
        warn_at=T0 + timedelta(hours=7),
        due_at=T0 + timedelta(hours=9),
        warned_at=T0 + timedelta(hours=7),
        breached_at=None,
        met_at=None,
        stopped_at=None,
        handoff_at=T0 + timedelta(seconds=1),
    )
    bare = _timer(tid, "first_response")
    stopped = _timer(
        tid, "next_response", stopped_at=T0 + timedelta(days=1), met_at=None, resumed_at=None
    )
    with sla_storage.unit_of_work() as uow:
        uow.sla.save([full, stopped, bare])
        uow.commit()
    with sla_storage.unit_of_work() as uow:
        found = uow.sla.list_for_ticket(tid)
    assert found == [bare, stopped, full]  # metric order
    assert [t.status for t in found] == [SlaStatus.PAUSED, SlaStatus.STOPPED, SlaStatus.ACTIVE]
    for t in found:
        assert t.started_at.utcoffset() is not None


def test_sla_save_replaces_by_ticket_and_metric(sla_storage: Storage) -> None:
    (tid,) = _tickets(sla_storage, 1)
    first = _timer(tid, resumed_at=T0, due_at=T0 + timedelta(hours=2))
    with sla_storage.unit_of_work() as uow:
        uow.sla.save([first])
        uow.commit()
    met = _timer(tid, cycle=1, met_at=T0 + timedelta(minutes=5), due_at=T0 + timedelta(hours=2))
    with sla_storage.unit_of_work() as uow:
        uow.sla.save([met])
        uow.commit()
    with sla_storage.unit_of_work() as uow:
        assert uow.sla.list_for_ticket(tid) == [met]
        assert uow.sla.list_for_ticket("no-such-ticket") == []


def test_sla_rollback_forgets_timers(sla_storage: Storage) -> None:
    (tid,) = _tickets(sla_storage, 1)
    kept = _timer(tid, resumed_at=T0)
    with sla_storage.unit_of_work() as uow:
        uow.sla.save([kept])
        uow.commit()
    with sla_storage.unit_of_work() as uow:
        uow.sla.save([_timer(tid, met_at=T0), _timer(tid, "resolution", resumed_at=T0)])
        assert len(uow.sla.list_for_ticket(tid)) == 2  # the unit sees its own changes
        uow.rollback()
    with sla_storage.unit_of_work() as uow:
        assert uow.sla.list_for_ticket(tid) == [kept]


def test_sla_list_for_tickets(sla_storage: Storage) -> None:
    a, b, c = _tickets(sla_storage, 3)
    with sla_storage.unit_of_work() as uow:
        uow.sla.save([_timer(a), _timer(a, "resolution"), _timer(c, "next_response")])
        uow.commit()
    with sla_storage.unit_of_work() as uow:
        found = uow.sla.list_for_tickets([a, b, c, a])
    assert set(found) == {a, c}
    assert [t.metric for t in found[a]] == ["first_response", "resolution"]
    assert [t.metric for t in found[c]] == ["next_response"]


def test_sla_for_update_reads_and_knows_tickets(sla_storage: Storage) -> None:
    (tid,) = _tickets(sla_storage, 1)
    timer = _timer(tid, resumed_at=T0)
    with sla_storage.unit_of_work() as uow:
        assert uow.sla.for_update(tid) == []
        uow.sla.save([timer])
        assert uow.sla.for_update(tid) == [timer]
        uow.commit()
    with sla_storage.unit_of_work() as uow, pytest.raises(NotFound):
        uow.sla.for_update("no-such-ticket")


def test_sla_for_update_many_leaves_out_missing_tickets(sla_storage: Storage) -> None:
    a, b = _tickets(sla_storage, 2)
    timer = _timer(b, resumed_at=T0)
    with sla_storage.unit_of_work() as uow:
        uow.sla.save([timer])
        uow.commit()
    with sla_storage.unit_of_work() as uow:
        found = uow.sla.for_update_many([b, "no-such-ticket", a, b])
        assert found == {a: [], b: [timer]}
        assert uow.sla.for_update_many([]) == {}


def test_sla_breached_between_is_a_range(sla_storage: Storage) -> None:
    ids = _tickets(sla_storage, 4)
    timers = [
        _timer(
            tid,
            "resolution",
            breached_at=T0 + timedelta(hours=n),
            due_at=T0 + timedelta(hours=n),
        )
        for n, tid in enumerate(ids)
    ]
    with sla_storage.unit_of_work() as uow:
        uow.sla.save([*timers, _timer(ids[0], resumed_at=T0)])
        uow.commit()
    with sla_storage.unit_of_work() as uow:
        found = uow.sla.breached_between(T0 + timedelta(hours=1), T0 + timedelta(hours=3))
        assert found == timers[1:3]
        assert uow.sla.breached_between(T0, T0 + timedelta(days=1), metric="first_response") == []
        assert uow.sla.breached_between(T0, T0 + timedelta(days=1), limit=1) == timers[:1]


_offsets = st.integers(0, 48 * 60)


@st.composite
def _timer_specs(draw: st.DrawFn) -> list[dict[str, object]]:
    specs = []
    for metric in draw(st.sets(st.sampled_from(METRICS), min_size=1)):
        due = draw(st.one_of(st.none(), _offsets))
        specs.append(
            {
                "metric": metric,
                "running": draw(st.booleans()),
                "due": due,
                "breached": due is not None and draw(st.booleans()),
                "met": draw(st.booleans()),
            }
        )
    return specs


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_sla_upcoming_matches_reference(sla_storage: Storage, data: st.DataObject) -> None:
    ids = _tickets_once(sla_storage, 6)
    timers: list[SlaTimer] = []
    for tid in ids:
        for spec in data.draw(_timer_specs()):
            due = None if spec["due"] is None else T0 + timedelta(minutes=int(spec["due"]))  # type: ignore[call-overload]
            timers.append(
                _timer(
                    tid,
                    str(spec["metric"]),
                    resumed_at=T0 if spec["running"] else None,
                    due_at=due,
                    breached_at=due if spec["breached"] else None,
                    met_at=T0 + timedelta(minutes=1) if spec["met"] else None,
                )
            )
    with sla_storage.unit_of_work() as uow:
        uow.sla.save(timers)
        before = T0 + timedelta(minutes=data.draw(_offsets))
        limit = data.draw(st.integers(1, 30))
        metric = data.draw(st.one_of(st.none(), st.sampled_from(METRICS)))
        found = uow.sla.upcoming(before, metric=metric, limit=limit)
        uow.rollback()
    order = {m: i for i, m in enumerate(METRICS)}
    expected = sorted(
        (
            t
            for t in timers
            if t.status is SlaStatus.ACTIVE
            and t.due_at is not None
            and t.due_at < before
            and (metric is None or t.metric == metric)
        ),
        key=lambda t: (t.due_at, t.ticket_id, order[t.metric]),
    )[:limit]
    assert [t.key for t in found] == [t.key for t in expected]


def _tickets_once(storage: Storage, count: int) -> list[str]:
    """The same tickets for every example of a hypothesis test on one storage."""
    ids: list[str] | None = getattr(storage, "_suite_sla_tickets", None)
    if ids is None:
        ids = _tickets(storage, count)
        storage._suite_sla_tickets = ids  # type: ignore[attr-defined]
    return ids
