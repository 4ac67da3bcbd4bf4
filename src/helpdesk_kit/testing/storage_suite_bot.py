"""The storage contract of the bot (conversations, relabels, queue position, metrics) as tests.

Run it against a backend like :mod:`helpdesk_kit.testing.storage_suite`: star-import it into
a test module that defines a ``storage_factory`` fixture returning a callable that makes a
new, empty storage. The metrics and the queue position are checked against the reference
implementation on random data (fixed seeds), window edges to the microsecond included.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from helpdesk_kit.bot.dialogue import Conversation, Stage
from helpdesk_kit.bot.learning import Relabel
from helpdesk_kit.bot.metrics import compute_bot_metrics
from helpdesk_kit.errors import AlreadyExists, ConcurrencyConflict, InvalidInput, NotFound
from helpdesk_kit.storage.base import Storage
from helpdesk_kit.tickets import events as ev
from helpdesk_kit.tickets.model import Customer, Ticket, TicketEvent

__all__ = [
    "bot_storage",
    "test_bot_conversation_versions",
    "test_bot_metrics_match_reference",
    "test_bot_metrics_window_edges",
    "test_bot_queue_ahead_matches_reference",
    "test_bot_relabels_page_in_time_order",
    "test_bot_resolved_before",
]

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def bot_storage(storage_factory: Callable[[], Storage]) -> Iterator[Storage]:
    """A new, empty storage from the user's ``storage_factory`` fixture."""
    made = storage_factory()
    try:
        yield made
    finally:
        made.close()


def _customers(uow: Any, n: int) -> list[Customer]:
    return [
        uow.customers.add(Customer(name=f"c{i}", identities=[("email", f"c{i}@bot.cn")]))
        for i in range(n)
    ]


def _ticket(number: int, customer: Customer, **kw: Any) -> Ticket:
    kw.setdefault("created_at", T0)
    kw.setdefault("updated_at", kw["created_at"])
    return Ticket(number, f"t{number}", customer.id, kw.pop("channel", "chat"), **kw)


def test_bot_conversation_versions(bot_storage: Storage) -> None:
    """Saving checks the version; a missing ticket is NotFound; rollback forgets."""
    with bot_storage.unit_of_work() as uow:
        (c,) = _customers(uow, 1)
        t = uow.tickets.add(_ticket(1001, c, status="new"))
        uow.commit()
    conv = Conversation(t.id, locale="zh", slots={"order_number": "SO1"}, updated_at=T0)
    with bot_storage.unit_of_work() as uow:
        assert uow.bot.get(t.id) is None
        first = uow.bot.save(conv, expected_version=0)
        assert first.version == 1
        uow.commit()
    with bot_storage.unit_of_work() as uow:
        stored = uow.bot.get(t.id)
        assert stored == first
        with pytest.raises(ConcurrencyConflict):
            uow.bot.save(conv, expected_version=0)
        with pytest.raises(ConcurrencyConflict):
            uow.bot.save(conv, expected_version=5)
        second = uow.bot.save(attrs.evolve(stored, stage=Stage.ENDED), expected_version=1)
        assert second.version == 2
        with pytest.raises(NotFound):
            uow.bot.save(Conversation("nope", updated_at=T0), expected_version=0)
        uow.commit()
    with bot_storage.unit_of_work() as uow:
        uow.bot.save(attrs.evolve(second, stage=Stage.IDLE), expected_version=2)
        # leaving without commit
    with bot_storage.unit_of_work() as uow:
        found = uow.bot.get(t.id)
        assert found is not None
        assert found.stage is Stage.ENDED
        assert found.version == 2


def test_bot_relabels_page_in_time_order(bot_storage: Storage) -> None:
    """Relabels come back by (at, id), page after page; ids are unique; tickets must exist."""
    rng = random.Random(7)
    with bot_storage.unit_of_work() as uow:
        (c,) = _customers(uow, 1)
        t = uow.tickets.add(_ticket(1001, c, status="new"))
        made = []
        for i in range(23):
            at = T0 + timedelta(minutes=rng.randrange(5))
            made.append(
                uow.bot.add_relabel(
                    Relabel(t.id, f"text {i}", "coupon", "A1", at, previous=None, message_id=None)
                )
            )
        with pytest.raises(AlreadyExists):
            uow.bot.add_relabel(made[0])
        with pytest.raises(NotFound):
            uow.bot.add_relabel(Relabel("nope", "x", "coupon", None, T0))
        uow.commit()
    expected = sorted(made, key=lambda r: (r.at, r.id))
    with bot_storage.unit_of_work() as uow:
        got: list[Relabel] = []
        after = None
        while True:
            page = uow.bot.relabels(limit=5, after=after)
            got.extend(page)
            if len(page) < 5:
                break
            after = page[-1].id
        assert got == expected
        with pytest.raises(NotFound):
            uow.bot.relabels(after="missing")
        with pytest.raises(InvalidInput):
            uow.bot.relabels(limit=0)


def test_bot_resolved_before(bot_storage: Storage) -> None:
    """Resolved, quiet conversations of active tickets, oldest first."""
    with bot_storage.unit_of_work() as uow:
        (c,) = _customers(uow, 1)
        tickets = [uow.tickets.add(_ticket(1001 + i, c, status="new")) for i in range(4)]
        solved = uow.tickets.get(tickets[3].id)
        uow.tickets.update(attrs.evolve(solved, status="solved", version=2), expected_version=1)
        stages = [Stage.ENDED, Stage.ENDED, Stage.IDLE, Stage.ENDED]
        for i, (t, stage) in enumerate(zip(tickets, stages, strict=True)):
            conv = Conversation(t.id, stage=stage, updated_at=T0 + timedelta(minutes=10 - i))
            uow.bot.save(conv, expected_version=0)
        uow.commit()
    with bot_storage.unit_of_work() as uow:
        cutoff = T0 + timedelta(minutes=10)
        found = uow.bot.resolved_before(cutoff, statuses=["new", "open"])
        assert found == [tickets[1].id, tickets[0].id]
        assert uow.bot.resolved_before(T0 + timedelta(minutes=9), statuses=["new"]) == [
            tickets[1].id
        ]
        assert uow.bot.resolved_before(cutoff, statuses=["new"], limit=1) == [tickets[1].id]


def _queue_reference(tickets: list[Ticket], held: set[str], me: Ticket, statuses: set[str]) -> int:
    return sum(
        1
        for t in tickets
        if t.merged_into is None
        and t.assignee_id is None
        and t.status in statuses
        and t.group_id == me.group_id
        and (t.created_at, t.id) < (me.created_at, me.id)
        and t.id not in held
    )


def test_bot_queue_ahead_matches_reference(bot_storage: Storage) -> None:
    """The place in the queue equals a brute-force count on random tickets."""
    rng = random.Random(11)
    statuses = {"new", "open"}
    with bot_storage.unit_of_work() as uow:
        groups = [None, uow.groups.add(_group("g1")).id, uow.groups.add(_group("g2")).id]
        customers = _customers(uow, 3)
        tickets: list[Ticket] = []
        held: set[str] = set()
        for i in range(40):
            t = _ticket(
                1001 + i,
                rng.choice(customers),
                status=rng.choice(["new", "open", "pending", "solved"]),
                group_id=rng.choice(groups),
                assignee_id=rng.choice([None, None, "agent-1"]),
                created_at=T0 + timedelta(seconds=rng.randrange(6)),
                merged_into=rng.choice([None] * 9 + ["x"]),
            )
            tickets.append(uow.tickets.add(t))
            roll = rng.random()
            if roll < 0.4:
                stage = Stage.HANDED_OFF if roll < 0.15 else Stage.COLLECTING
                uow.bot.save(Conversation(t.id, stage=stage, updated_at=T0), expected_version=0)
                if stage is not Stage.HANDED_OFF:
                    held.add(t.id)
        uow.commit()
    with bot_storage.unit_of_work() as uow:
        for me in tickets:
            expected = _queue_reference(tickets, held, me, statuses)
            assert uow.bot.queue_ahead(me, statuses=sorted(statuses)) == expected, me.number


def _group(name: str) -> Any:
    from helpdesk_kit.tickets.model import Group

    return Group(name=name)


_INTENTS = ["order_status", "coupon", None]
_REASONS = ["requested", "misunderstood", None]


def _random_log(rng: random.Random, window: timedelta) -> list[tuple[int, list[TicketEvent]]]:
    """Per ticket (by index): events in order; times cluster on window edges."""
    offsets = [
        timedelta(0),
        timedelta(microseconds=1),
        window - timedelta(microseconds=1),
        window,
        window + timedelta(microseconds=1),
        timedelta(minutes=1),
        timedelta(minutes=1) + window,
        2 * window,
    ]
    plan: list[tuple[int, list[TicketEvent]]] = []
    for index in range(rng.randrange(3, 9)):
        events: list[TicketEvent] = []
        start = T0 + rng.choice(offsets)
        at = start
        kinds = ([ev.BOT_STARTED] if rng.random() < 0.85 else []) + [
            rng.choice(
                [
                    ev.BOT_INTENT,
                    ev.BOT_INTENT,
                    ev.BOT_ENDED,
                    ev.BOT_ENDED,
                    ev.HANDOFF,
                    ev.BOT_RELABELLED,
                    ev.MESSAGE_RECEIVED,
                    ev.MESSAGE_RECEIVED,
                    ev.REPLY_SENT,
                ]
            )
            for _ in range(rng.randrange(0, 7))
        ]
        for kind in kinds:
            at = max(at, T0 + rng.choice(offsets))
            actor = "bot:bot"
            data: dict[str, Any] = {}
            if kind in (ev.BOT_INTENT, ev.BOT_ENDED, ev.BOT_RELABELLED):
                intent = rng.choice(_INTENTS)
                if kind == ev.BOT_RELABELLED:
                    intent = rng.choice(["order_status", "coupon", "out_of_scope"])
                    actor = "agent:A1"
                data = {} if intent is None else {"intent": intent}
            elif kind == ev.HANDOFF:
                reason = rng.choice(_REASONS)
                data = {} if reason is None else {"reason": reason}
            elif kind == ev.MESSAGE_RECEIVED:
                actor = rng.choice(["customer:x", "customer:x", "agent:A1"])
            events.append(TicketEvent("?", kind, at, actor, data))
        plan.append((index, events))
    return plan


@pytest.mark.parametrize("seed", range(12))
def test_bot_metrics_match_reference(bot_storage: Storage, seed: int) -> None:
    """Containment, hand-offs and accuracy equal the reference on a random event log."""
    rng = random.Random(seed)
    window = rng.choice([timedelta(minutes=30), timedelta(hours=2), timedelta(seconds=1)])
    plan = _random_log(rng, window)
    with bot_storage.unit_of_work() as uow:
        customers = _customers(uow, 2)
        customer_of: dict[str, str] = {}
        for index, events in plan:
            customer = rng.choice(customers)
            # a ticket is created with its first event, as the desk records it
            created = events[0].at if events else T0
            t = uow.tickets.add(_ticket(1001 + index, customer, status="new", created_at=created))
            customer_of[t.id] = customer.id
            uow.events.append([attrs.evolve(e, ticket_id=t.id) for e in events])
        uow.commit()
    with bot_storage.unit_of_work() as uow:
        stored = uow.events.stream(limit=100_000)
        periods: list[tuple[datetime | None, datetime | None]] = [
            (None, None),
            (T0 + timedelta(microseconds=1), None),
            (None, T0 + window),
            (T0, T0 + timedelta(minutes=1)),
        ]
        for since, until in periods:
            expected = compute_bot_metrics(
                stored, customer_of, since=since, until=until, window=window
            )
            got = uow.bot.metrics(since=since, until=until, window=window)
            assert got == expected, (seed, since, until)


def test_bot_metrics_window_edges(bot_storage: Storage) -> None:
    """Coming back exactly at the window's end undoes containment; a microsecond later not."""
    window = timedelta(hours=72)
    with bot_storage.unit_of_work() as uow:
        (c,) = _customers(uow, 1)
        ended_at = T0 + timedelta(minutes=1, microseconds=999_999)
        # each ticket is created with its first event, as the desk records it
        first = uow.tickets.add(_ticket(1001, c, status="new"))
        edge = uow.tickets.add(_ticket(1002, c, status="new", created_at=ended_at + window))
        late = uow.tickets.add(
            _ticket(1003, c, status="new", created_at=ended_at + window + timedelta(microseconds=1))
        )

        def trail(ticket: Ticket, start: datetime, end: datetime | None) -> list[TicketEvent]:
            out = [
                TicketEvent(ticket.id, ev.MESSAGE_RECEIVED, start, "customer:x"),
                TicketEvent(ticket.id, ev.BOT_STARTED, start, "bot:bot"),
                TicketEvent(ticket.id, ev.BOT_INTENT, start, "bot:bot", {"intent": "coupon"}),
            ]
            if end is not None:
                out.append(
                    TicketEvent(ticket.id, ev.BOT_ENDED, end, "bot:bot", {"intent": "coupon"})
                )
            return out

        uow.events.append(trail(first, T0, ended_at))
        uow.events.append(trail(edge, ended_at + window, None))
        uow.events.append(trail(late, ended_at + window + timedelta(microseconds=1), None))
        uow.commit()
    with bot_storage.unit_of_work() as uow:
        first_only = uow.bot.metrics(since=None, until=T0 + timedelta(hours=1), window=window)
        assert (first_only.conversations, first_only.contained) == (1, 0)
        longer = uow.bot.metrics(
            since=None, until=T0 + timedelta(hours=1), window=window - timedelta(microseconds=1)
        )
        assert longer.contained == 1
        everything = uow.bot.metrics(since=None, until=None, window=window)
        assert everything.conversations == 3
        assert everything.intent("coupon").conversations == 3
        with pytest.raises(InvalidInput):
            uow.bot.metrics(since=None, until=None, window=timedelta(0))
