"""The storage contract as pytest tests: every backend must pass all of them.

Run the suite against a backend by star-importing it into a test module and defining a
``storage_factory`` fixture that returns a callable making a new, *empty* storage::

    # tests/test_my_backend.py
    import pytest
    from helpdesk_kit.testing.storage_suite import *  # noqa: F403

    @pytest.fixture
    def storage_factory(tmp_path):
        return lambda: MyStorage(tmp_path / "db")

The reference is :class:`helpdesk_kit.storage.memory.MemoryStorage`; where a behaviour is
described as "or" (text a database cannot hold may be rejected with ``InvalidInput``), both
outcomes pass.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpdesk_kit.errors import AlreadyExists, ConcurrencyConflict, InvalidInput, NotFound
from helpdesk_kit.storage.base import Storage, TicketFilter
from helpdesk_kit.storage.cursor import ticket_sort_key
from helpdesk_kit.tickets.model import (
    Agent,
    AttachmentMeta,
    AuthorKind,
    Customer,
    FollowUp,
    Group,
    Identity,
    Message,
    Priority,
    Ticket,
    TicketEvent,
)

__all__ = [
    "storage",
    "test_agents_add_get_update_list",
    "test_agents_lock_is_harmless",
    "test_customers_add_get_and_identities",
    "test_customers_bulk",
    "test_customers_list_pages_by_id",
    "test_customers_taken_identity_keeps_unit_usable",
    "test_customers_update_replaces_identities",
    "test_datetimes_come_back_aware_and_equal",
    "test_due_claim_complete_release",
    "test_due_claim_respects_lease_and_limit",
    "test_due_schedule_get_cancel_list",
    "test_events_numbered_per_ticket_and_streamed",
    "test_followups",
    "test_groups_add_get_rename_list",
    "test_messages_add_get_attachments",
    "test_messages_bulk_and_existing_ids",
    "test_messages_external_id_is_unique_per_channel",
    "test_messages_list_move_and_thread_lookup",
    "test_nested_unit_of_work_sees_the_outer_one",
    "test_text_round_trips_or_is_rejected",
    "test_ticket_filter_matches_reference",
    "test_ticket_pages_walk_every_match",
    "test_tickets_add_get_numbers",
    "test_tickets_find_by_thread_and_open_counts",
    "test_tickets_solved_before_in_solve_order",
    "test_tickets_update_checks_version",
    "test_unit_of_work_commit_and_rollback",
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


def _customer(n: int = 1, **kw: Any) -> Customer:
    kw.setdefault("identities", [("email", f"c{n}@example.com")])
    kw.setdefault("created_at", T0)
    return Customer(name=f"Customer {n}", **kw)


def _ticket(number: int, customer_id: str, **kw: Any) -> Ticket:
    kw.setdefault("created_at", T0)
    kw.setdefault("updated_at", kw["created_at"])
    kw.setdefault("subject", f"Ticket {number}")
    kw.setdefault("channel", "email")
    kw.setdefault("status", "new")
    return Ticket(number=number, customer_id=customer_id, **kw)


def _message(ticket_id: str, **kw: Any) -> Message:
    kw.setdefault("author_kind", AuthorKind.CUSTOMER)
    kw.setdefault("text", "hello")
    kw.setdefault("created_at", T0)
    return Message(ticket_id=ticket_id, **kw)


def _with_ticket(storage: Storage, number: int = 1, **kw: Any) -> tuple[Customer, Ticket]:
    with storage.unit_of_work() as uow:
        customer = uow.customers.add(_customer(number))
        ticket = uow.tickets.add(_ticket(number, customer.id, **kw))
        uow.commit()
    return customer, ticket


# --------------------------------------------------------------------- unit of work


def test_unit_of_work_commit_and_rollback(storage: Storage) -> None:
    """Committed changes stay; uncommitted ones (or after an exception) disappear."""
    kept, dropped, later = _customer(1), _customer(2), _customer(3)
    with storage.unit_of_work() as uow:
        uow.customers.add(kept)
        uow.commit()
        uow.customers.add(later)  # after commit, not committed again: rolled back
    with storage.unit_of_work() as uow:
        uow.customers.add(dropped)

    def fail_after_commit() -> None:
        with storage.unit_of_work() as uow:
            uow.customers.add(_customer(4))
            uow.commit()
            uow.customers.add(_customer(5))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fail_after_commit()
    with storage.unit_of_work() as uow:
        assert uow.customers.get(kept.id) == kept
        for gone in (dropped, later):
            with pytest.raises(NotFound):
                uow.customers.get(gone.id)
        assert uow.customers.find_by_identity("email", "c4@example.com") is not None
        assert uow.customers.find_by_identity("email", "c5@example.com") is None
        uow.rollback()  # harmless when nothing changed


def test_nested_unit_of_work_sees_the_outer_one(storage: Storage) -> None:
    """A unit of work opened inside another (a hook reading mid-command) sees its changes."""
    outer_customer, inner_customer, dropped = _customer(1), _customer(2), _customer(3)
    with storage.unit_of_work() as outer:
        outer.customers.add(outer_customer)
        with storage.unit_of_work() as inner:
            assert inner.customers.get(outer_customer.id) == outer_customer
            inner.customers.add(inner_customer)
            inner.commit()
        with storage.unit_of_work() as inner:
            inner.customers.add(dropped)  # not committed: rolled back alone
        assert outer.customers.get(inner_customer.id) == inner_customer
        with pytest.raises(NotFound):
            outer.customers.get(dropped.id)
        outer.commit()
    with storage.unit_of_work() as uow:
        assert uow.customers.get(outer_customer.id) == outer_customer
        assert uow.customers.get(inner_customer.id) == inner_customer
        with pytest.raises(NotFound):
            uow.customers.get(dropped.id)


# --------------------------------------------------------------------- customers


def test_customers_add_get_and_identities(storage: Storage) -> None:
    """A customer round-trips with identities in order, tags and nested attributes."""
    c = Customer(
        name="王芳",
        identities=[("email", "Wang.Fang@Example.CN"), ("phone", "+86 138-0000-0000")],
        tier="vip",
        locale="zh-CN",
        tags=["vip", "repeat"],
        attributes={"orders": [1, 2, {"sku": "A-1"}], "score": 4.5, "ok": True, "none": None},
        created_at=datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=timezone(timedelta(hours=8))),
    )
    with storage.unit_of_work() as uow:
        assert uow.customers.add(c) == c
        uow.commit()
    with storage.unit_of_work() as uow:
        got = uow.customers.get(c.id)
        assert got == c
        assert [str(i) for i in got.identities] == [
            "email:wang.fang@example.cn",
            "phone:+8613800000000",
        ]
        assert uow.customers.find_by_identity("EMAIL", " wang.fang@EXAMPLE.cn ") == c
        assert uow.customers.find_by_identity("phone", "+86 13800000000") == c
        assert uow.customers.find_by_identity("email", "nobody@example.com") is None
        with pytest.raises(NotFound):
            uow.customers.get("missing")
        with pytest.raises(AlreadyExists):
            uow.customers.add(c)


def test_customers_taken_identity_keeps_unit_usable(storage: Storage) -> None:
    """A taken identity is ``AlreadyExists`` naming the owner; the unit of work goes on."""
    first = _customer(1)
    with storage.unit_of_work() as uow:
        uow.customers.add(first)
        uow.commit()
    clash = Customer(name="other", identities=[("email", "C1@example.com")])
    with storage.unit_of_work() as uow:
        with pytest.raises(AlreadyExists) as info:
            uow.customers.add(clash)
        assert info.value.existing_id == first.id
        second = uow.customers.add(_customer(2))
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.customers.get(second.id) == second
        with pytest.raises(NotFound):
            uow.customers.get(clash.id)
        assert uow.customers.find_by_identity("email", "c1@example.com") == first


def test_customers_update_replaces_identities(storage: Storage) -> None:
    """Update replaces fields and identities; someone else's identity is refused."""
    a, b = _customer(1), _customer(2)
    with storage.unit_of_work() as uow:
        uow.customers.add(a)
        uow.customers.add(b)
        uow.commit()
    changed = attrs.evolve(a, name="A", identities=[("wechat", "openid-1")], tags=["x"])
    with storage.unit_of_work() as uow:
        assert uow.customers.update(changed) == changed
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.customers.get(a.id) == changed
        assert uow.customers.find_by_identity("email", "c1@example.com") is None
        assert uow.customers.find_by_identity("wechat", "openid-1") == changed
        with pytest.raises(AlreadyExists):
            uow.customers.update(attrs.evolve(changed, identities=[("email", "c2@example.com")]))
    with storage.unit_of_work() as uow:
        assert uow.customers.get(a.id) == changed
        with pytest.raises(NotFound):
            uow.customers.update(_customer(9))


def test_customers_list_pages_by_id(storage: Storage) -> None:
    """``list`` walks customers in id order."""
    made = [_customer(n) for n in range(7)]
    with storage.unit_of_work() as uow:
        for c in reversed(made):
            uow.customers.add(c)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.customers.list(limit=3) == sorted(made, key=lambda c: c.id)[:3]
        seen: list[Customer] = []
        after = None
        while True:
            page = uow.customers.list(limit=2, after=after)
            if not page:
                break
            seen += page
            after = page[-1].id
    assert seen == sorted(made, key=lambda c: c.id)


def test_customers_bulk(storage: Storage) -> None:
    """``add_many`` and ``find_by_identities`` work on many at once."""
    made = [_customer(n) for n in range(5)]
    with storage.unit_of_work() as uow:
        uow.customers.add_many(made)
        uow.customers.add_many([])
        uow.commit()
    wanted = [Identity("email", f"c{n}@example.com") for n in (0, 3, 9)]
    with storage.unit_of_work() as uow:
        found = uow.customers.find_by_identities(wanted)
        assert found == {wanted[0]: made[0], wanted[1]: made[3]}
        assert uow.customers.find_by_identities([]) == {}


# --------------------------------------------------------------------- agents, groups


def test_groups_add_get_rename_list(storage: Storage) -> None:
    """Groups have unique names."""
    sales, support = (
        Group("sales", description="pre-sale"),
        Group("after-sales", routing="round_robin"),
    )
    with storage.unit_of_work() as uow:
        uow.groups.add(sales)
        uow.groups.add(support)
        with pytest.raises(AlreadyExists):
            uow.groups.add(Group("sales"))
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.groups.get(sales.id) == sales
        assert uow.groups.get_by_name("after-sales") == support
        assert uow.groups.get_by_name("nope") is None
        assert uow.groups.list() == [support, sales]
        with pytest.raises(AlreadyExists):
            uow.groups.update(attrs.evolve(sales, name="after-sales"))
        renamed = uow.groups.update(attrs.evolve(sales, name="presales", supervisor_id="s1"))
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.groups.get_by_name("presales") == renamed
        assert uow.groups.get_by_name("sales") is None
        with pytest.raises(NotFound):
            uow.groups.get("missing")


def test_agents_add_get_update_list(storage: Storage) -> None:
    """Agents round-trip with groups, skills and languages; lists sort by name then id."""
    g1, g2 = Group("g1"), Group("g2")
    lin = Agent(
        "Lin",
        email="lin@x",
        role="supervisor",
        groups=[g1.id, g2.id],
        skills=["refund"],
        languages=["zh", "en"],
        max_concurrent=3,
        status="online",
        shift="day",
    )
    sam = Agent("Sam", groups=[g2.id])
    amy = Agent("Amy")
    with storage.unit_of_work() as uow:
        uow.groups.add(g1)
        uow.groups.add(g2)
        for a in (lin, sam, amy):
            uow.agents.add(a)
        with pytest.raises(AlreadyExists):
            uow.agents.add(amy)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.agents.get(lin.id) == lin
        assert uow.agents.list() == [amy, lin, sam]
        assert uow.agents.list(group_id=g2.id) == [lin, sam]
        assert uow.agents.list(group_id=g1.id) == [lin]
        assert uow.agents.list(group_id="none") == []
        moved = uow.agents.update(
            attrs.evolve(lin, groups=[g1.id], status="away", max_concurrent=0)
        )
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.agents.get(lin.id) == moved
        assert uow.agents.list(group_id=g2.id) == [sam]
        with pytest.raises(NotFound):
            uow.agents.get("missing")
        with pytest.raises(NotFound):
            uow.agents.update(Agent("Ghost"))


def test_agents_lock_is_harmless(storage: Storage) -> None:
    """``lock`` holds agents for the unit of work and changes nothing."""
    a = Agent("A", status="online")
    with storage.unit_of_work() as uow:
        uow.agents.add(a)
        uow.commit()
    with storage.unit_of_work() as uow:
        uow.agents.lock([a.id, a.id, "missing"])
        uow.agents.lock([])
        assert uow.agents.get(a.id) == a


# --------------------------------------------------------------------- tickets


def test_tickets_add_get_numbers(storage: Storage) -> None:
    """Numbers are unique and increasing; a ticket numbered elsewhere is never reused."""
    with storage.unit_of_work() as uow:
        first = uow.tickets.next_number()
        second = uow.tickets.next_number()
        more = uow.tickets.next_numbers(3)
        assert uow.tickets.next_numbers(0) == []
        assert first < second < more[0] < more[1] < more[2]
        c = uow.customers.add(_customer())
        t = _ticket(
            first,
            c.id,
            tags=["b", "a"],
            participants=["email:x@y"],
            custom_fields={"order": "SO-1", "n": [1, 2]},
            priority="high",
            category="billing",
            language="zh",
            thread_key="chat-1",
            group_id="g",
        )
        assert uow.tickets.add(t) == t
        imported = uow.tickets.add(_ticket(more[2] + 50, c.id))
        with pytest.raises(AlreadyExists):
            uow.tickets.add(t)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.tickets.get(t.id) == t
        assert uow.tickets.get_by_number(first) == t
        assert uow.tickets.get_by_number(imported.number) == imported
        assert uow.tickets.next_number() > imported.number
        with pytest.raises(NotFound):
            uow.tickets.get("missing")
        with pytest.raises(NotFound):
            uow.tickets.get_by_number(999_999)


def test_tickets_update_checks_version(storage: Storage) -> None:
    """A stale write is ``ConcurrencyConflict`` with the stored version."""
    _, t = _with_ticket(storage)
    v2 = attrs.evolve(t, status="open", version=2, solved_at=T0, reopen_count=1)
    with storage.unit_of_work() as uow:
        assert uow.tickets.update(v2, expected_version=1) == v2
        uow.commit()
    with storage.unit_of_work() as uow:
        with pytest.raises(ConcurrencyConflict) as info:
            uow.tickets.update(attrs.evolve(t, status="closed", version=2), expected_version=1)
        assert (info.value.expected, info.value.actual) == (1, 2)
        with pytest.raises(InvalidInput):
            uow.tickets.update(attrs.evolve(v2, version=5), expected_version=2)
        with pytest.raises(InvalidInput):
            uow.tickets.update(
                attrs.evolve(v2, number=v2.number + 1, version=3), expected_version=2
            )
        with pytest.raises(NotFound):
            uow.tickets.update(attrs.evolve(v2, id="missing", version=3), expected_version=2)
        assert uow.tickets.get(t.id) == v2


def test_tickets_find_by_thread_and_open_counts(storage: Storage) -> None:
    """Thread lookup returns the newest unmerged ticket; open counts per agent."""
    with storage.unit_of_work() as uow:
        c = uow.customers.add(_customer())
        old = uow.tickets.add(_ticket(1, c.id, thread_key="s1", channel="chat", assignee_id="a"))
        new = uow.tickets.add(
            _ticket(
                2,
                c.id,
                thread_key="s1",
                channel="chat",
                assignee_id="a",
                created_at=T0 + timedelta(minutes=1),
            )
        )
        uow.tickets.add(
            _ticket(
                3,
                c.id,
                thread_key="s1",
                channel="chat",
                assignee_id="a",
                created_at=T0 + timedelta(minutes=2),
                merged_into=old.id,
            )
        )
        uow.tickets.add(_ticket(4, c.id, status="closed", assignee_id="a"))
        uow.tickets.add(_ticket(5, c.id, status="open", assignee_id="b"))
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.tickets.find_by_thread("chat", "s1") == new
        assert uow.tickets.find_by_thread("email", "s1") is None
        assert uow.tickets.find_by_thread("chat", "s2") is None
        counts = uow.tickets.open_counts(["a", "b", "c"], statuses=["new", "open"])
        assert counts == {"a": 2, "b": 1, "c": 0}
        assert uow.tickets.open_counts([], statuses=["new"]) == {}


def test_tickets_solved_before_in_solve_order(storage: Storage) -> None:
    """solved_before: unmerged tickets in the statuses solved before the bound, keyset paged."""
    with storage.unit_of_work() as uow:
        c = uow.customers.add(_customer())
        solved = [
            uow.tickets.add(_ticket(n, c.id, status="solved", solved_at=T0 + timedelta(hours=h)))
            for n, h in ((1, 3), (2, 1), (3, 2), (4, 2))
        ]
        uow.tickets.add(_ticket(5, c.id, status="solved", solved_at=T0 + timedelta(hours=9)))
        uow.tickets.add(_ticket(6, c.id, status="open", solved_at=T0))
        uow.tickets.add(_ticket(7, c.id, status="solved", solved_at=T0, merged_into=solved[0].id))
        uow.tickets.add(_ticket(8, c.id, status="solved"))
        uow.commit()
    expected = sorted(solved, key=lambda t: (t.solved_at, t.id))
    with storage.unit_of_work() as uow:
        bound = T0 + timedelta(hours=5)
        assert uow.tickets.solved_before(["solved"], bound) == expected
        first = uow.tickets.solved_before(["solved"], bound, limit=2)
        assert first == expected[:2]
        last = first[-1]
        assert last.solved_at is not None
        rest = uow.tickets.solved_before(["solved"], bound, after=(last.solved_at, last.id))
        assert rest == expected[2:]
        assert uow.tickets.solved_before(["solved"], T0 + timedelta(hours=1)) == []
        assert uow.tickets.solved_before([], bound) == []


_STATUSES = ["new", "open", "pending", "solved", "closed"]
_CHANNELS = ["email", "chat", "web"]
_TAGS = ["vip", "refund", "bug"]


def _ticket_set(storage: Storage) -> list[Ticket]:
    """A varied set of tickets (same-instant ties included) stored in ``storage``."""
    rnd = random.Random(20261102)
    made: list[Ticket] = []
    with storage.unit_of_work() as uow:
        customers = [uow.customers.add(_customer(n)) for n in range(3)]
        instants = [T0 + timedelta(hours=rnd.randrange(0, 200)) for _ in range(25)]
        for n in range(1, 81):
            created = rnd.choice(instants)
            t = _ticket(
                n,
                rnd.choice(customers).id,
                status=rnd.choice(_STATUSES),
                channel=rnd.choice(_CHANNELS),
                tags=rnd.sample(_TAGS, rnd.randrange(0, 3)),
                priority=rnd.choice(list(Priority)),
                assignee_id=rnd.choice([None, "a1", "a2"]),
                group_id=rnd.choice([None, "g1", "g2"]),
                category=rnd.choice([None, "billing", "shipping"]),
                lifecycle=rnd.choice(["support", "complaint"]),
                created_at=created,
                updated_at=created + timedelta(minutes=rnd.randrange(0, 5000)),
                merged_into=rnd.choice([None] * 6 + ["x"]),
            )
            made.append(uow.tickets.add(t))
        uow.commit()
    return made


def _instants(tickets: list[Ticket]) -> list[datetime]:
    return sorted({t.created_at for t in tickets} | {t.updated_at for t in tickets})


def _filters(instants: list[datetime]) -> st.SearchStrategy[TicketFilter]:
    when = (
        st.none()
        | st.sampled_from(instants)
        | st.sampled_from(instants).map(lambda d: d + timedelta(microseconds=1))
    )

    def some(values: list[str]) -> st.SearchStrategy[Any]:
        return st.none() | st.lists(st.sampled_from(values), max_size=3).map(tuple)

    return st.builds(
        TicketFilter,
        status=some(_STATUSES),
        assignee_id=st.sampled_from([None, "", "a1", "a2", "zz"]),
        group_id=st.sampled_from([None, "g1", "g2"]),
        tag=st.sampled_from([None, *_TAGS]),
        priority=some([p.value for p in Priority]),
        channel=some(_CHANNELS),
        customer_id=st.none(),
        category=st.sampled_from([None, "billing", "shipping"]),
        lifecycle=st.sampled_from([None, "support", "complaint"]),
        created_after=when,
        created_before=when,
        updated_after=when,
        updated_before=when,
        include_merged=st.booleans(),
    )


_PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_PROPERTY
@given(data=st.data())
def test_ticket_filter_matches_reference(storage: Storage, data: st.DataObject) -> None:
    """list/count select exactly the tickets ``TicketFilter.matches`` selects, in order."""
    tickets = getattr(storage, "_suite_tickets", None)
    if tickets is None:
        tickets = _ticket_set(storage)
        storage._suite_tickets = tickets  # type: ignore[attr-defined]
    flt = data.draw(_filters(_instants(tickets)))
    if data.draw(st.booleans()):
        customer_ids = sorted({t.customer_id for t in tickets})
        flt = attrs.evolve(flt, customer_id=data.draw(st.sampled_from(customer_ids)))
    expected = sorted((t for t in tickets if flt.matches(t)), key=ticket_sort_key)
    with storage.unit_of_work() as uow:
        assert uow.tickets.count(flt) == len(expected)
        page = uow.tickets.list(flt, limit=1000)
        assert page.items == expected
        assert page.next_cursor is None
        newest = uow.tickets.list(flt, limit=1000, newest_first=True)
        assert newest.items == expected[::-1]


@_PROPERTY
@given(data=st.data())
def test_ticket_pages_walk_every_match(storage: Storage, data: st.DataObject) -> None:
    """Following ``next_cursor`` visits every match once, in order, both directions."""
    tickets = getattr(storage, "_suite_tickets", None)
    if tickets is None:
        tickets = _ticket_set(storage)
        storage._suite_tickets = tickets  # type: ignore[attr-defined]
    flt = data.draw(
        st.sampled_from(
            [
                TicketFilter(),
                TicketFilter(include_merged=True),
                TicketFilter(status=("new", "open")),
                TicketFilter(tag="vip"),
                TicketFilter(assignee_id=""),
            ]
        )
    )
    limit = data.draw(st.integers(1, 12))
    newest_first = data.draw(st.booleans())
    expected = sorted(
        (t for t in tickets if flt.matches(t)), key=ticket_sort_key, reverse=newest_first
    )
    seen: list[Ticket] = []
    after = None
    with storage.unit_of_work() as uow:
        for _ in range(len(expected) + 2):
            page = uow.tickets.list(flt, limit=limit, after=after, newest_first=newest_first)
            assert len(page.items) <= limit
            seen += page.items
            if page.next_cursor is None:
                break
            after = page.next_cursor
        with pytest.raises(InvalidInput):
            uow.tickets.list(flt, limit=0)
        with pytest.raises(InvalidInput):
            uow.tickets.list(flt, after="not-a-cursor")
    assert seen == expected


# --------------------------------------------------------------------- messages


def test_messages_add_get_attachments(storage: Storage) -> None:
    """Messages round-trip with attachments in order, html, subject and flags."""
    _, t = _with_ticket(storage)
    files = [
        AttachmentMeta("a.png", "image/png", 1234, "s3://a", "<cid1>", True),
        AttachmentMeta("b.pdf"),
    ]
    m = _message(
        t.id,
        html="<p>hi</p>",
        attachments=files,
        channel="email",
        external_id="<m1@x>",
        subject="Hi",
        author_id="c1",
    )
    note = _message(t.id, author_kind="agent", public=False, text="internal")
    with storage.unit_of_work() as uow:
        assert uow.messages.add(m) == m
        uow.messages.add(note)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.messages.get(m.id) == m
        assert uow.messages.get(note.id) == note
        assert uow.messages.find_by_external_id("email", "<m1@x>") == m
        assert uow.messages.find_by_external_id("chat", "<m1@x>") is None
        with pytest.raises(NotFound):
            uow.messages.get("missing")


def test_messages_external_id_is_unique_per_channel(storage: Storage) -> None:
    """(channel, external_id) is unique; the unit of work stays usable after a clash."""
    _, t = _with_ticket(storage)
    first = _message(t.id, channel="email", external_id="e1")
    with storage.unit_of_work() as uow:
        uow.messages.add(first)
        uow.commit()
    with storage.unit_of_work() as uow:
        with pytest.raises(AlreadyExists) as info:
            uow.messages.add(_message(t.id, channel="email", external_id="e1"))
        assert info.value.existing_id == first.id
        uow.messages.add(_message(t.id, channel="chat", external_id="e1"))
        uow.messages.add(_message(t.id, channel="email"))
        uow.messages.add(_message(t.id, channel="email"))
        uow.commit()
    with storage.unit_of_work() as uow:
        assert len(uow.messages.list_for_ticket(t.id)) == 4


def test_messages_list_move_and_thread_lookup(storage: Storage) -> None:
    """Messages list oldest first; ``move`` re-homes them; thread references find tickets."""
    _, a = _with_ticket(storage, 1)
    _, b = _with_ticket(storage, 2)
    ms = [
        _message(a.id, external_id="x1", channel="email", created_at=T0 + timedelta(minutes=2)),
        _message(a.id, external_id="x2", channel="email", created_at=T0),
        _message(b.id, external_id="y1", channel="email", created_at=T0 + timedelta(minutes=5)),
    ]
    with storage.unit_of_work() as uow:
        for m in ms:
            uow.messages.add(m)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.messages.list_for_ticket(a.id) == [ms[1], ms[0]]
        assert uow.messages.find_ticket_by_external_ids(["x1", "nope"]) == a.id
        assert uow.messages.find_ticket_by_external_ids(["x1", "y1"]) == b.id
        assert uow.messages.find_ticket_by_external_ids(["nope"]) is None
        assert uow.messages.find_ticket_by_external_ids([]) is None
        assert uow.messages.move(a.id, b.id) == 2
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.messages.list_for_ticket(a.id) == []
        assert [m.id for m in uow.messages.list_for_ticket(b.id)] == [ms[1].id, ms[0].id, ms[2].id]
        assert uow.messages.get(ms[0].id).ticket_id == b.id


def test_messages_bulk_and_existing_ids(storage: Storage) -> None:
    """``add_many`` stores many; ``existing_external_ids`` tells which ids are taken."""
    _, t = _with_ticket(storage)
    ms = [
        _message(
            t.id,
            channel="email",
            external_id=f"e{n}",
            attachments=[AttachmentMeta(f"{n}.txt")] if n % 2 else (),
        )
        for n in range(6)
    ]
    with storage.unit_of_work() as uow:
        uow.messages.add_many(ms)
        uow.messages.add_many([])
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.messages.existing_external_ids("email", ["e1", "e5", "e9"]) == {"e1", "e5"}
        assert uow.messages.existing_external_ids("chat", ["e1"]) == set()
        assert uow.messages.existing_external_ids("email", []) == set()
        assert sorted(uow.messages.list_for_ticket(t.id), key=lambda m: m.id) == sorted(
            ms, key=lambda m: m.id
        )


# --------------------------------------------------------------------- events, follow-ups


def test_events_numbered_per_ticket_and_streamed(storage: Storage) -> None:
    """Each ticket's events are numbered 1, 2, 3 ... across units of work."""
    _, a = _with_ticket(storage, 1)
    _, b = _with_ticket(storage, 2)
    data = {"from": "new", "to": "open", "nested": {"list": [1, "二", None]}}
    with storage.unit_of_work() as uow:
        first = uow.events.append(
            [
                TicketEvent(a.id, "ticket.created", T0),
                TicketEvent(b.id, "ticket.created", T0),
                TicketEvent(a.id, "ticket.transitioned", T0, "agent:1", data),
            ]
        )
        assert [(e.ticket_id, e.seq) for e in first] == [(a.id, 1), (b.id, 1), (a.id, 2)]
        assert uow.events.append([]) == []
        uow.commit()
    with storage.unit_of_work() as uow:
        more = uow.events.append([TicketEvent(a.id, "note.added", T0 + timedelta(seconds=1))])
        assert more[0].seq == 3
        uow.commit()
    with storage.unit_of_work() as uow:
        trail = uow.events.list_for_ticket(a.id)
        assert [e.seq for e in trail] == [1, 2, 3]
        assert trail[1] == first[2]
        everything = first + more
        assert uow.events.stream() == sorted(everything, key=lambda e: e.id)
        ids = sorted(e.id for e in everything)
        assert [e.id for e in uow.events.stream(after=ids[1], limit=1)] == [ids[2]]
        assert uow.events.stream(after=ids[-1]) == []
        assert uow.events.list_for_ticket("missing") == []


def test_followups(storage: Storage) -> None:
    """Follow-ups round-trip, list in creation order and count the open ones."""
    _, t = _with_ticket(storage)
    f1 = FollowUp(
        t.id, "Call back", T0, reason="bad rating", assignee_id="a", due_at=T0 + timedelta(days=1)
    )
    f2 = FollowUp(t.id, "Refund", T0 + timedelta(minutes=1))
    with storage.unit_of_work() as uow:
        uow.followups.add(f2)
        uow.followups.add(f1)
        with pytest.raises(AlreadyExists):
            uow.followups.add(f1)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.followups.get(f1.id) == f1
        assert uow.followups.list_for_ticket(t.id) == [f1, f2]
        assert uow.followups.count_open(t.id) == 2
        done = uow.followups.update(attrs.evolve(f1, done_at=T0 + timedelta(hours=2)))
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.followups.get(f1.id) == done
        assert uow.followups.count_open(t.id) == 1
        assert uow.followups.count_open("missing") == 0
        with pytest.raises(NotFound):
            uow.followups.get("missing")
        with pytest.raises(NotFound):
            uow.followups.update(FollowUp(t.id, "ghost", T0))


# --------------------------------------------------------------------- due items


def test_due_schedule_get_cancel_list(storage: Storage) -> None:
    """Scheduling is an upsert that resets claims; cancel removes."""
    with storage.unit_of_work() as uow:
        item = uow.due.schedule("sla.breach", "t1", T0, {"target": "first_response"})
        assert item.due_at == T0
        assert item.data == {"target": "first_response"}
        uow.due.schedule("sla.breach", "t2", T0 - timedelta(minutes=1))
        uow.due.schedule("sla.warning", "t1", T0)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.due.get("sla.breach", "t1") == item
        assert uow.due.get("sla.breach", "zz") is None
        assert [i.key for i in uow.due.list("sla.breach")] == ["t2", "t1"]
        uow.due.claim_due("sla.breach", T0, 10, worker="w1")
        moved = uow.due.schedule("sla.breach", "t1", T0 + timedelta(hours=1))
        assert moved.claimed_by is None
        assert moved.attempts == 0
        assert uow.due.cancel("sla.warning", "t1") is True
        assert uow.due.cancel("sla.warning", "t1") is False
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.due.get("sla.breach", "t1") == moved
        assert uow.due.list("sla.warning") == []


def test_due_claim_complete_release(storage: Storage) -> None:
    """A claimed item belongs to its worker; done items are never claimed again."""
    with storage.unit_of_work() as uow:
        for n in range(5):
            uow.due.schedule("esc", f"k{n}", T0 + timedelta(minutes=n))
        uow.commit()
    now = T0 + timedelta(minutes=3)
    with storage.unit_of_work() as uow:
        got = uow.due.claim_due("esc", now, 2, worker="w1")
        assert [i.key for i in got] == ["k0", "k1"]
        assert all(i.claimed_by == "w1" and i.attempts == 1 for i in got)
        assert [i.key for i in uow.due.claim_due("esc", now, 10, worker="w2")] == ["k2", "k3"]
        assert uow.due.claim_due("esc", now, 10, worker="w3") == []
        assert uow.due.complete("esc", "k0", worker="w2", now=now) is False
        assert uow.due.complete("esc", "k0", worker="w1", now=now) is True
        assert uow.due.complete("esc", "k0", worker="w1", now=now) is False
        assert uow.due.release("esc", "k1", worker="w2") is False
        assert uow.due.release("esc", "k1", worker="w1") is True
        assert uow.due.release("esc", "k0", worker="w1") is False
        uow.commit()
    with storage.unit_of_work() as uow:
        again = uow.due.claim_due("esc", now, 10, worker="w3")
        assert [(i.key, i.attempts) for i in again] == [("k1", 2)]
        assert [i.key for i in uow.due.list("esc")] == ["k1", "k2", "k3", "k4"]
        assert next(i.key for i in uow.due.list("esc", include_done=True)) == "k0"
        assert uow.due.get("esc", "k0").done_at == now  # type: ignore[union-attr]
        with pytest.raises(InvalidInput):
            uow.due.claim_due("esc", now, 0, worker="w")


def test_due_claim_respects_lease_and_limit(storage: Storage) -> None:
    """A lease that ran out lets another worker take the item."""
    with storage.unit_of_work() as uow:
        uow.due.schedule("rule", "r1", T0)
        first = uow.due.claim_due("rule", T0, 5, worker="w1", lease=timedelta(minutes=1))
        assert first[0].claimed_until == T0 + timedelta(minutes=1)
        assert uow.due.claim_due("rule", T0 + timedelta(seconds=59), 5, worker="w2") == []
        taken = uow.due.claim_due("rule", T0 + timedelta(minutes=1), 5, worker="w2")
        assert [(i.key, i.claimed_by, i.attempts) for i in taken] == [("r1", "w2", 2)]
        uow.commit()


# --------------------------------------------------------------------- text and time


_TEXTS = {
    "nul": "before\x00after",
    "emoji": "order 📦 arrived 👍🏽 👨‍👩‍👧 𝄞",
    "rtl": "שלום، مرحبا بكم \u202eevil\u202c",
    "cjk": "你好，订单 SO-42 还没有收到",
    "long": "长" * 200_000,
    "control": "tab\tnew\nline\rbell\x07",
}


@pytest.mark.parametrize("kind", sorted(_TEXTS))
def test_text_round_trips_or_is_rejected(storage: Storage, kind: str) -> None:
    """Text comes back unchanged, or (a database limit) is refused with ``InvalidInput``."""
    value = _TEXTS[kind]
    _, t = _with_ticket(storage)
    m = _message(t.id, text=value, html=value, subject=value)
    refused: InvalidInput | None = None
    try:
        with storage.unit_of_work() as uow:
            uow.messages.add(m)
            uow.events.append([TicketEvent(t.id, "note.added", T0, "system", {"text": value})])
            uow.customers.add(Customer(name=value, attributes={"k": value}))
            uow.commit()
    except InvalidInput as exc:
        refused = exc
    if refused is not None:
        assert kind == "nul", f"only NUL may be refused, got {refused}"
        with storage.unit_of_work() as uow, pytest.raises(NotFound):
            uow.messages.get(m.id)
        return
    with storage.unit_of_work() as uow:
        got = uow.messages.get(m.id)
        assert (got.text, got.html, got.subject) == (value, value, value)
        assert uow.events.list_for_ticket(t.id)[-1].data == {"text": value}
    subject = value[:1000]
    with storage.unit_of_work() as uow:
        c = uow.customers.add(_customer(7))
        ticket = uow.tickets.add(_ticket(77, c.id, subject=subject))
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.tickets.get(ticket.id).subject == subject


def test_datetimes_come_back_aware_and_equal(storage: Storage) -> None:
    """Datetimes in any zone come back aware, in UTC, and equal to what was stored."""
    shanghai = timezone(timedelta(hours=8))
    created = datetime(2026, 3, 29, 1, 30, 0, 123456, tzinfo=shanghai)
    with storage.unit_of_work() as uow:
        c = uow.customers.add(_customer(created_at=created))
        t = uow.tickets.add(
            _ticket(
                1,
                c.id,
                created_at=created,
                updated_at=created,
                solved_at=datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC),
            )
        )
        uow.commit()
    with storage.unit_of_work() as uow:
        got = uow.tickets.get(t.id)
        assert got == t
        assert got.created_at.tzinfo is not None
        assert got.created_at == created
        assert uow.customers.get(c.id).created_at == created
