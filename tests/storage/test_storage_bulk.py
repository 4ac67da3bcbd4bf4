"""``Helpdesk.import_messages`` ends where ``receive`` one by one ends, on every backend."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpdesk_kit.clock import FrozenClock
from helpdesk_kit.desk import Helpdesk
from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.storage.base import Storage, TicketFilter
from helpdesk_kit.tickets.model import AttachmentMeta, Identity, InboundMessage


def _desk_state(desk: Helpdesk) -> list[Any]:
    """Everything observable, without ids: tickets, their messages and event kinds."""
    names = {a.id: a.name for a in desk.agents()}
    out = []
    for t in desk.list_tickets(TicketFilter(include_merged=True), limit=10_000).items:
        customer = desk.get_customer(t.customer_id)
        out.append(
            (
                t.number,
                t.subject,
                t.status,
                names.get(t.assignee_id or ""),
                [str(i) for i in customer.identities],
                [(m.external_id, m.text, m.public, len(m.attachments)) for m in desk.messages(t)],
                [(e.seq, e.kind) for e in desk.events(t)],
            )
        )
    return sorted(out, key=lambda row: row[0])


@st.composite
def streams(draw: st.DrawFn) -> list[InboundMessage]:
    n = draw(st.integers(1, 25))
    out: list[InboundMessage] = []
    for i in range(n):
        sender = Identity("email", f"c{draw(st.integers(0, 4))}@example.com")
        refs: list[str] = []
        if out and draw(st.booleans()):
            refs = [draw(st.sampled_from([m.external_id or "" for m in out]))]
        ext = f"<m{i}@x>" if draw(st.integers(0, 5)) else None
        if out and draw(st.integers(0, 6)) == 0:
            out.append(draw(st.sampled_from(out)))  # a retried delivery
            continue
        out.append(
            InboundMessage(
                "email",
                sender,
                f"text {i}",
                f"subject {i}" if draw(st.booleans()) else "",
                external_id=ext,
                thread_refs=refs,
                is_automatic=draw(st.integers(0, 9)) == 0,
                attachments=[AttachmentMeta(f"{i}.png")] if i % 4 == 0 else (),
            )
        )
    return out


@pytest.fixture
def two_desks(storage_factory: Callable[[], Storage]) -> Callable[[], tuple[Helpdesk, Helpdesk]]:
    made: list[Storage] = []

    def make() -> tuple[Helpdesk, Helpdesk]:
        for s in made:
            s.close()
        made.clear()
        desks = []
        for _ in range(2):
            storage = storage_factory()
            made.append(storage)
            desk = Helpdesk(storage=storage, clock=FrozenClock(), load_entrypoints=False)
            desk.add_agent("Lin", status="online", max_concurrent=4)
            desk.add_agent("Sam", status="online", max_concurrent=2)
            desks.append(desk)
        return desks[0], desks[1]

    yield make  # type: ignore[misc]
    for s in made:
        s.close()


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(stream=streams(), batch_size=st.integers(1, 8))
def test_import_equals_receiving_one_by_one(
    backend: str,
    two_desks: Callable[[], tuple[Helpdesk, Helpdesk]],
    stream: list[InboundMessage],
    batch_size: int,
) -> None:
    one, bulk = two_desks()
    results = [one.receive(m) for m in stream]
    summary = bulk.import_messages(iter(stream), batch_size=batch_size)
    assert _desk_state(bulk) == _desk_state(one)
    assert summary.created == sum(r.created for r in results)
    assert summary.duplicates == sum(r.duplicate for r in results)
    assert summary.ignored == sum(r.ignored is not None for r in results)
    assert summary.total == len(stream)


def test_import_on_postgresql_dedupes_against_stored(fresh_pg: str) -> None:
    with Helpdesk.from_url(fresh_pg, clock=FrozenClock(), load_entrypoints=False) as desk:
        msgs = [
            InboundMessage(
                "email", Identity("email", f"c{i % 3}@x.y"), f"t{i}", external_id=f"e{i}"
            )
            for i in range(50)
        ]
        first = desk.import_messages(msgs[:30], batch_size=7)
        second = desk.import_messages(msgs, batch_size=11)
        assert (first.created, second.created, second.duplicates) == (30, 20, 30)
        assert desk.count_tickets() == 50
        with desk.storage.unit_of_work() as uow:
            assert len(uow.customers.list()) == 3
        with pytest.raises(InvalidInput):
            desk.import_messages(["not a message"])  # type: ignore[list-item]
        with pytest.raises(InvalidInput):
            desk.import_messages(msgs, batch_size=0)
