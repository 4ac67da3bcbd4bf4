"""Bot metrics: the written definitions on hand-made logs, and a desk's real conversations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from helpdesk_kit.bot import compute_bot_metrics
from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.tickets import events as ev
from helpdesk_kit.tickets.model import TicketEvent

from .conftest import chat_message

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)


class Log:
    """Builds an event log: one ``conversation(...)`` per ticket."""

    def __init__(self):
        self.events: list[TicketEvent] = []
        self.customer_of: dict[str, str] = {}

    def conversation(self, ticket, customer, start, *steps):
        self.customer_of[ticket] = customer
        seq = 0

        def add(kind, at, actor="bot:bot", **data):
            nonlocal seq
            seq += 1
            self.events.append(TicketEvent(ticket, kind, at, actor, data, seq=seq))

        add(ev.MESSAGE_RECEIVED, start, "customer:" + customer)
        add(ev.BOT_STARTED, start)
        for step in steps:
            kind, offset, *rest = step
            at = start + offset
            if kind == "intent":
                add(ev.BOT_INTENT, at, intent=rest[0])
            elif kind == "ended":
                add(ev.BOT_ENDED, at, intent=rest[0], via="action")
            elif kind == "handoff":
                add(ev.HANDOFF, at, reason=rest[0])
            elif kind == "customer":
                add(ev.MESSAGE_RECEIVED, at, "customer:" + customer)
            elif kind == "relabel":
                add(ev.BOT_RELABELLED, at, "agent:A", intent=rest[0])
        return self

    def metrics(self, **kw):
        return compute_bot_metrics(self.events, self.customer_of, **kw)


def test_containment_needs_the_bot_to_end_it_without_a_hand_off_or_a_return():
    log = Log()
    minute = timedelta(minutes=1)
    log.conversation(
        "t1", "c1", T0, ("intent", minute, "order_status"), ("ended", 2 * minute, "order_status")
    )
    # handed off after the resolution: not contained
    log.conversation(
        "t2",
        "c2",
        T0,
        ("intent", minute, "order_status"),
        ("ended", 2 * minute, "order_status"),
        ("customer", 3 * minute),
        ("handoff", 3 * minute, "requested"),
    )
    # the customer left after the bot's question: nobody ended it
    log.conversation("t3", "c3", T0, ("intent", minute, "coupon"))
    # the customer wrote again after the resolution and the bot did not end it again
    log.conversation(
        "t4",
        "c4",
        T0,
        ("intent", minute, "coupon"),
        ("ended", 2 * minute, "coupon"),
        ("customer", 3 * minute),
    )
    m = log.metrics()
    assert (m.conversations, m.contained, m.handoffs) == (4, 1, 1)
    assert m.containment_rate == 0.25
    assert m.handoff_rate == 0.25
    assert m.reasons == {"requested": 1}
    order = m.intent("order_status")
    assert (order.conversations, order.contained, order.handoffs) == (2, 1, 1)
    assert m.intent("coupon").containment_rate == 0.0
    assert m.intent("refund_status").conversations == 0


def test_coming_back_on_the_same_topic_within_the_window():
    log = Log()
    log.conversation("t1", "c1", T0, ("intent", H, "order_status"), ("ended", H, "order_status"))
    # the same customer asks about their order again 70 hours later (another ticket)
    log.conversation("t2", "c1", T0 + 71 * H, ("intent", timedelta(0), "order_status"))
    # ... and about a coupon (another topic: does not count against t1)
    log.conversation("t3", "c1", T0 + 2 * H, ("intent", timedelta(0), "coupon"))
    # someone else asking the same does not count either
    log.conversation("t4", "c2", T0 + 3 * H, ("intent", timedelta(0), "order_status"))
    first = log.metrics(until=T0 + timedelta(minutes=1))
    assert (first.conversations, first.contained) == (1, 0)
    shorter = log.metrics(until=T0 + timedelta(minutes=1), window=timedelta(hours=69))
    assert shorter.contained == 1


def test_intent_accuracy_from_relabels():
    log = Log()
    m5 = timedelta(minutes=5)
    log.conversation("t1", "c1", T0, ("intent", m5, "coupon"), ("relabel", H, "coupon"))
    log.conversation(
        "t2",
        "c2",
        T0,
        ("intent", m5, "coupon"),
        ("relabel", H, "coupon"),
        ("relabel", 2 * H, "invoice"),
    )
    log.conversation("t3", "c3", T0, ("relabel", H, "out_of_scope"))  # it was indeed nothing
    log.conversation("t4", "c4", T0, ("intent", m5, "invoice"))  # nobody reviewed it
    m = log.metrics()
    assert (m.reviewed, m.correct) == (3, 2)
    assert m.accuracy == pytest.approx(2 / 3)
    # grouped by the agents' label: t2 counts for invoice, where the bot said coupon
    invoice = m.intent("invoice")
    assert (invoice.conversations, invoice.reviewed, invoice.correct) == (2, 1, 0)
    assert invoice.accuracy == 0.0
    assert m.intent("coupon").accuracy == 1.0
    assert m.intent("out_of_scope").accuracy == 1.0
    assert m.intent("invoice").containment_rate == 0.0


def test_the_period_is_by_the_conversations_start_and_empty_is_none():
    log = Log()
    log.conversation("t1", "c1", T0, ("intent", H, "coupon"), ("ended", H, "coupon"))
    log.conversation("t2", "c2", T0 + 24 * H, ("handoff", H, "misunderstood"))
    day1 = log.metrics(since=T0, until=T0 + 24 * H)
    assert day1.conversations == 1
    assert day1.reasons == {}
    day2 = log.metrics(since=T0 + 24 * H)
    assert day2.conversations == 1
    assert day2.reasons == {"misunderstood": 1}
    assert day2.intents[0].intent is None
    empty = log.metrics(since=T0 + 48 * H)
    assert empty.conversations == 0
    assert empty.containment_rate is None
    assert empty.accuracy is None
    assert empty.as_dict()["intents"] == []
    data = log.metrics().as_dict()
    assert data["conversations"] == 2
    assert data["window_seconds"] == 72 * 3600
    assert [row["intent"] for row in data["intents"]] == ["coupon", None]
    with pytest.raises(InvalidInput):
        log.metrics(window=timedelta(seconds=-1))


def test_a_desks_conversations(helpdesk, bot, helpdesk_clock, make_agent):
    """Real conversations through the bot, measured with the written definitions."""
    ann = make_agent("Ann", status="offline")

    def talk(visitor, *texts):
        result = None
        for text in texts:
            result = helpdesk.receive(chat_message(text, visitor=visitor, session=visitor))
            helpdesk_clock.advance(timedelta(seconds=30))
        return result.ticket

    talk("a", "where is my order SO20240611", "thanks")  # contained
    talk("b", "how long does delivery take?", "yes")  # contained
    talk("c", "how long does delivery take?")  # left without feedback: not ended
    human = talk("d", "hello", "human please")  # handed off
    helpdesk.relabel_intent(human, "talk_to_human", agent=ann)
    talk("e", "where is my order SO20240611")
    helpdesk_clock.advance(timedelta(hours=1))
    talk("e", "order status SO20240611 again")  # came back on the same topic
    m = helpdesk.bot_metrics(since=T0, until=helpdesk.now())
    assert m.conversations == 5  # e's two messages are one chat (one ticket)
    assert m.contained == 2
    assert m.handoffs == 1
    assert m.reasons == {"requested": 1}
    assert (m.reviewed, m.correct) == (1, 0)  # the bot saw a greeting, the agent a person
    assert m.intent("order_status").conversations == 2
    assert m.intent("order_status").contained == 1
    assert m.intent("delivery_time").conversations == 2
    with pytest.raises(InvalidInput):
        helpdesk.bot_metrics(since=T0 + H, until=T0)
    with pytest.raises(InvalidInput):
        helpdesk.bot_metrics(since=datetime(2026, 1, 1))
