"""One bot-containment definition: ``desk.bot_metrics`` and the ``bot_containment`` KPI agree.

Hand-made conversations with each outcome on memory, SQLite and PostgreSQL, and generated
histories (hypothesis) replayed through the desk's commands on memory and SQLite.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpdesk_kit import Actor, Identity, InboundMessage
from helpdesk_kit.errors import HelpdeskError
from helpdesk_kit.storage.memory import MemoryStorage
from helpdesk_kit.tickets import events as ev
from helpdesk_kit.tickets.model import TicketEvent

from .conftest import BACKENDS, make_desk

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SINCE = datetime(2026, 11, 1, tzinfo=UTC)
UNTIL = datetime(2026, 12, 1, tzinfo=UTC)
BOT = Actor.bot("assistant")


def _event(desk, ticket, kind, **data):
    """A bot event on ``ticket`` (as the bot records it)."""
    with desk._work() as work:
        current = work.ticket(ticket.id)
        work.save(
            current, current, [TicketEvent(current.id, kind, work.now, "bot:assistant", data)]
        )


def _write(desk, ticket, customer_email, text="again"):
    desk.receive(
        InboundMessage(
            "chat", Identity("email", customer_email), text=text, ticket_number=ticket.number
        )
    )


def _agree(desk, window=timedelta(days=3)):
    m = desk.bot_metrics(SINCE, UNTIL, window=window)
    rows = desk.kpi("bot_containment", "2026-11", bot_return_window=window)
    kpi = rows[0].values if rows else {"count": 0, "hits": 0}
    assert (kpi["count"], kpi["hits"]) == (m.conversations, m.contained)
    assert m.conversations == m.contained + m.handoffs + m.abandoned + m.came_back
    return m


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_each_outcome_counts_the_same_in_both(helpdesk_storage):
    desk = make_desk(helpdesk_storage, "UTC", START)
    clock = desk.clock
    ann = desk.add_agent("Ann")
    people = [desk.add_customer(f"C{i}", email=f"c{i}@example.cn") for i in range(6)]

    def chat(i, category=None):
        return desk.open_ticket(
            people[i],
            "hi",
            "where is my order",
            channel="chat",
            category=category,
            actor=people[i],
        )

    # contained: the bot resolved it (bot.ended) and nobody came back
    t = chat(0)
    _event(desk, t, ev.BOT_STARTED, channel="chat")
    _event(desk, t, ev.BOT_INTENT, intent="order_status")
    clock.advance(seconds=5)
    _event(desk, t, ev.BOT_ENDED, intent="order_status", via="action")
    # contained too: a bot reply, then the bot solved the ticket (no bot.ended)
    t = chat(1, category="coupon")
    desk.reply(t, "请重新领取", author=BOT)
    clock.advance(seconds=5)
    desk.transition(t, "solve", actor=BOT)
    # handed off: a bot.handoff event
    t = chat(2)
    desk.reply(t, "请稍等", author=BOT)
    _event(desk, t, ev.HANDOFF, reason="requested")
    # handed off: an agent replied in the bot's conversation
    t = chat(3)
    desk.reply(t, "您好", author=BOT)
    desk.reply(t, "我来处理", author=ann)
    # abandoned: the customer wrote after the bot's resolution
    t = chat(4)
    _event(desk, t, ev.BOT_STARTED, channel="chat")
    _event(desk, t, ev.BOT_ENDED, intent="invoice", via="article")
    clock.advance(seconds=5)
    _write(desk, t, "c4@example.cn")
    # came back: resolved, then the same customer asks about the same topic 30 hours later
    t = chat(5)
    _event(desk, t, ev.BOT_STARTED, channel="chat")
    _event(desk, t, ev.BOT_ENDED, intent="refund", via="action")
    clock.advance(hours=30)
    again = chat(5)
    _event(desk, again, ev.BOT_STARTED, channel="chat")
    _event(desk, again, ev.BOT_INTENT, intent="refund")
    m = _agree(desk)
    assert (m.conversations, m.contained, m.handoffs, m.abandoned, m.came_back) == (7, 2, 2, 2, 1)
    assert m.reasons == {"requested": 1, "agent_replied": 1}
    # with a day's window the refund question came too late to count: contained
    m = _agree(desk, timedelta(days=1))
    assert (m.contained, m.came_back) == (3, 0)


# ------------------------------------------------------------------ generated histories

TOPICS = ["order_status", "coupon", None]
STEP = st.one_of(
    st.tuples(st.just("open"), st.integers(0, 2), st.sampled_from(TOPICS)),
    st.tuples(
        st.sampled_from(
            ["started", "bot_reply", "customer", "agent", "handoff", "solve", "ended", "intent"]
        ),
        st.integers(0, 7),
        st.sampled_from(TOPICS),
    ),
    st.tuples(st.just("wait"), st.integers(1, 100), st.none()),
)


def _play(desk, steps):
    clock = desk.clock
    ann = desk.add_agent("Ann")
    people = [desk.add_customer(f"C{i}", email=f"c{i}@example.cn") for i in range(3)]
    tickets = []
    for kind, n, topic in steps:
        if kind == "wait":
            clock.advance(hours=n)
            continue
        if kind == "open":
            tickets.append(
                (
                    desk.open_ticket(
                        people[n], "q", "question", channel="chat", category=topic, actor=people[n]
                    ),
                    n,
                )
            )
            continue
        if not tickets:
            continue
        ticket, who = tickets[n % len(tickets)]
        try:
            if kind == "started":
                _event(desk, ticket, ev.BOT_STARTED, channel="chat")
            elif kind == "bot_reply":
                desk.reply(ticket, "answer", author=BOT)
            elif kind == "customer":
                _write(desk, ticket, f"c{who}@example.cn")
            elif kind == "agent":
                desk.reply(ticket, "agent answer", author=ann)
            elif kind == "handoff":
                _event(desk, ticket, ev.HANDOFF, reason="requested")
            elif kind == "solve":
                desk.transition(ticket, "solve", actor=BOT)
            elif kind == "ended":
                _event(desk, ticket, ev.BOT_ENDED, intent=topic, via="action")
            elif kind == "intent" and topic is not None:
                _event(desk, ticket, ev.BOT_INTENT, intent=topic)
        except HelpdeskError:
            pass  # a step the ticket's state does not allow (every backend refuses it alike)
        clock.advance(minutes=7)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(STEP, max_size=40), hours=st.integers(1, 120))
def test_generated_histories_agree_on_memory_and_sqlite(steps, hours):
    from helpdesk_kit.storage.sql import SqlStorage

    window = timedelta(hours=hours)
    found = []
    for storage in (MemoryStorage(), SqlStorage("sqlite://")):
        desk = make_desk(storage, "UTC", START)
        try:
            _play(desk, steps)
            m = _agree(desk, window)
            found.append(m.as_dict())
        finally:
            desk.close()
    assert found[0] == found[1]
