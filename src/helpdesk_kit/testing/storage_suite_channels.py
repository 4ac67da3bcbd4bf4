"""The channels part of the storage contract as pytest tests (see ``storage_suite``).

Star-import it beside :mod:`helpdesk_kit.testing.storage_suite` into a test module that
defines ``storage_factory``::

    from helpdesk_kit.testing.storage_suite import *  # noqa: F403
    from helpdesk_kit.testing.storage_suite_channels import *  # noqa: F403
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpdesk_kit.errors import AlreadyExists, InvalidInput, NotFound
from helpdesk_kit.storage.base import Storage
from helpdesk_kit.tickets.model import (
    AttachmentMeta,
    AuthorKind,
    Customer,
    Message,
    Ticket,
)

__all__ = [
    "test_channels_customer_messages_follow_ticket_owner",
    "test_channels_customer_messages_match_reference",
    "test_channels_customer_messages_pages_and_notes",
    "test_channels_set_external_id",
    "test_channels_set_external_id_clash_keeps_unit_usable",
    "test_channels_set_external_id_rolls_back",
]

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _customer(n: int) -> Customer:
    return Customer(name=f"C{n}", identities=[("email", f"c{n}@example.com")], created_at=T0)


def _ticket(number: int, customer_id: str, **kw: Any) -> Ticket:
    return Ticket(
        number=number,
        subject=f"Ticket {number}",
        customer_id=customer_id,
        channel=kw.pop("channel", "email"),
        status="new",
        created_at=T0,
        updated_at=T0,
        **kw,
    )


def _message(ticket_id: str, **kw: Any) -> Message:
    kw.setdefault("author_kind", AuthorKind.CUSTOMER)
    kw.setdefault("text", "hello")
    kw.setdefault("created_at", T0)
    return Message(ticket_id=ticket_id, **kw)


def _setup(storage: Storage) -> tuple[Customer, Ticket]:
    with storage.unit_of_work() as uow:
        c = uow.customers.add(_customer(1))
        t = uow.tickets.add(_ticket(1, c.id))
        uow.commit()
    return c, t


def test_channels_set_external_id(storage: Storage) -> None:
    """A reply's channel id, set after delivery, finds the message and threads to its ticket."""
    _, t = _setup(storage)
    files = [AttachmentMeta("a.pdf", "application/pdf", 10, "s3://a")]
    reply = _message(t.id, author_kind="agent", channel="email", attachments=files)
    with storage.unit_of_work() as uow:
        uow.messages.add(reply)
        uow.commit()
    with storage.unit_of_work() as uow:
        updated = uow.channels.set_external_id(reply.id, "01K.t1@support.example.com")
        assert updated == attrs.evolve(reply, external_id="01K.t1@support.example.com")
        assert uow.channels.set_external_id(reply.id, "01K.t1@support.example.com") == updated
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.messages.get(reply.id) == updated
        assert uow.messages.find_by_external_id("email", "01K.t1@support.example.com") == updated
        assert uow.messages.find_ticket_by_external_ids(["x", "01K.t1@support.example.com"]) == (
            t.id
        )
        # a second id replaces the first one
        uow.channels.set_external_id(reply.id, "second@support.example.com")
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.messages.find_by_external_id("email", "01K.t1@support.example.com") is None
        assert uow.messages.get(reply.id).external_id == "second@support.example.com"
        with pytest.raises(NotFound):
            uow.channels.set_external_id("missing", "x@y")
        with pytest.raises(InvalidInput):
            uow.channels.set_external_id(reply.id, "")


def test_channels_set_external_id_clash_keeps_unit_usable(storage: Storage) -> None:
    """An id taken on the same channel is ``AlreadyExists``; another channel may use it."""
    _, t = _setup(storage)
    first = _message(t.id, channel="email", external_id="taken@x")
    reply = _message(t.id, author_kind="agent", channel="email")
    other = _message(t.id, author_kind="agent", channel="chat")
    with storage.unit_of_work() as uow:
        for m in (first, reply, other):
            uow.messages.add(m)
        uow.commit()
    with storage.unit_of_work() as uow:
        with pytest.raises(AlreadyExists) as info:
            uow.channels.set_external_id(reply.id, "taken@x")
        assert info.value.existing_id == first.id
        uow.channels.set_external_id(other.id, "taken@x")
        uow.channels.set_external_id(reply.id, "free@x")
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.messages.find_by_external_id("chat", "taken@x") == attrs.evolve(
            other, external_id="taken@x"
        )
        assert uow.messages.find_by_external_id("email", "free@x") is not None


def test_channels_set_external_id_rolls_back(storage: Storage) -> None:
    """Without a commit the id is not kept."""
    _, t = _setup(storage)
    reply = _message(t.id, author_kind="agent", channel="email")
    with storage.unit_of_work() as uow:
        uow.messages.add(reply)
        uow.commit()
    with storage.unit_of_work() as uow:
        uow.channels.set_external_id(reply.id, "gone@x")
    with storage.unit_of_work() as uow:
        assert uow.messages.get(reply.id).external_id is None
        assert uow.messages.find_by_external_id("email", "gone@x") is None


def test_channels_customer_messages_pages_and_notes(storage: Storage) -> None:
    """A customer's messages across tickets and channels, oldest first, in pages."""
    with storage.unit_of_work() as uow:
        a = uow.customers.add(_customer(1))
        b = uow.customers.add(_customer(2))
        t1 = uow.tickets.add(_ticket(1, a.id, channel="email"))
        t2 = uow.tickets.add(_ticket(2, a.id, channel="wechat"))
        t3 = uow.tickets.add(_ticket(3, b.id, channel="chat"))
        ms = [
            _message(t1.id, created_at=T0 + timedelta(minutes=1), channel="email"),
            _message(t2.id, created_at=T0, channel="wechat"),
            _message(t1.id, created_at=T0 + timedelta(minutes=3), author_kind="agent"),
            _message(t2.id, created_at=T0 + timedelta(minutes=2), public=False, text="note"),
            _message(t3.id, created_at=T0, channel="chat"),
            _message(
                t1.id,
                created_at=T0 + timedelta(minutes=3),
                attachments=[AttachmentMeta("x.png", "image/png", 3)],
            ),
        ]
        for m in ms:
            uow.messages.add(m)
        uow.commit()
    expected = sorted([m for m in ms if m.ticket_id != t3.id], key=lambda m: (m.created_at, m.id))
    with storage.unit_of_work() as uow:
        assert uow.channels.customer_messages(a.id) == expected
        assert uow.channels.customer_messages(a.id, include_notes=False) == [
            m for m in expected if m.public
        ]
        page1 = uow.channels.customer_messages(a.id, limit=2)
        page2 = uow.channels.customer_messages(a.id, limit=2, after=page1[-1].id)
        page3 = uow.channels.customer_messages(a.id, limit=2, after=page2[-1].id)
        assert page1 + page2 + page3 == expected
        assert uow.channels.customer_messages(a.id, after=expected[-1].id) == []
        assert uow.channels.customer_messages("nobody") == []
        with pytest.raises(NotFound):
            uow.channels.customer_messages(a.id, after="missing")
        with pytest.raises(InvalidInput):
            uow.channels.customer_messages(a.id, limit=0)


def test_channels_customer_messages_follow_ticket_owner(storage: Storage) -> None:
    """Moving a ticket to another customer (a customer merge) moves its messages too."""
    with storage.unit_of_work() as uow:
        a = uow.customers.add(_customer(1))
        b = uow.customers.add(_customer(2))
        t = uow.tickets.add(_ticket(1, a.id))
        m = uow.messages.add(_message(t.id))
        uow.commit()
    with storage.unit_of_work() as uow:
        moved = attrs.evolve(t, customer_id=b.id, version=2)
        uow.tickets.update(moved, expected_version=1)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.channels.customer_messages(a.id) == []
        assert uow.channels.customer_messages(b.id) == [m]


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 2),  # customer
            st.integers(0, 3),  # ticket of that customer
            st.integers(0, 5),  # minute
            st.booleans(),  # public
        ),
        max_size=25,
    ),
    st.integers(1, 4),
)
def test_channels_customer_messages_match_reference(
    storage_factory: Any, rows: list[tuple[int, int, int, bool]], page: int
) -> None:
    """Every page walk equals a brute-force filter and sort of all messages."""
    storage = storage_factory()
    try:
        with storage.unit_of_work() as uow:
            customers = [uow.customers.add(_customer(n)) for n in range(3)]
            tickets = {
                (c, k): uow.tickets.add(_ticket(c * 10 + k + 1, customers[c].id))
                for c in range(3)
                for k in range(4)
            }
            stored = []
            for c, k, minute, public in rows:
                m = _message(
                    tickets[(c, k)].id,
                    created_at=T0 + timedelta(minutes=minute),
                    public=public,
                )
                stored.append((c, uow.messages.add(m)))
            uow.commit()
        with storage.unit_of_work() as uow:
            for c, customer in enumerate(customers):
                for notes in (True, False):
                    want = sorted(
                        (m for owner, m in stored if owner == c and (notes or m.public)),
                        key=lambda m: (m.created_at, m.id),
                    )
                    got: list[Message] = []
                    after = None
                    while True:
                        chunk = uow.channels.customer_messages(
                            customer.id, include_notes=notes, limit=page, after=after
                        )
                        got += chunk
                        if len(chunk) < page:
                            break
                        after = chunk[-1].id
                    assert got == want
    finally:
        storage.close()
