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


def _came_back(desk):
    """A bot-solved coupon chat and, two hours later, the customer's bot.intent on coupons."""
    ann = desk.add_agent("Ann")
    c = desk.add_customer("C", email="c@example.cn")
    first = desk.open_ticket(c, "hi", "coupon?", channel="chat", category="coupon", actor=c)
    desk.reply(first, "请重新领取", author=BOT)
    desk.clock.advance(seconds=5)
    desk.transition(first, "solve", actor=BOT)  # a resolution on the category: coupon
    desk.clock.advance(hours=2)
    other = desk.open_ticket(c, "hi", "again", channel="chat", actor=c)
    _event(desk, other, ev.BOT_INTENT, intent="coupon")
    return ann, first, other


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_later_changes_to_either_ticket_change_the_outcome(helpdesk_storage):
    """The topic facts follow the tickets: a contact ticket marked spam no longer counts, and
    a resolution's topic follows its ticket's category when the bot gave no intent."""
    desk = make_desk(helpdesk_storage, "UTC", START)
    ann, first, other = _came_back(desk)
    m = _agree(desk)
    assert (m.conversations, m.contained, m.came_back) == (1, 0, 1)
    desk.update_fields(first, category="invoice", actor=ann)  # the resolution's topic moves
    assert _agree(desk).contained == 1
    desk.update_fields(first, category="coupon", actor=ann)
    assert _agree(desk).came_back == 1
    desk.transition(other, "mark_spam", actor=ann)  # a spam ticket is no contact
    m = _agree(desk)
    assert (m.conversations, m.contained, m.came_back) == (1, 1, 0)


def test_upgrading_a_database_of_the_revision_before_derives_the_topic_facts(tmp_path):
    """Migration 0014 lists the tickets with resolutions or intents for a refresh."""
    from alembic import command
    from sqlalchemy import func, select

    from helpdesk_kit.storage.sql import SqlStorage
    from helpdesk_kit.storage.sql.migrate import alembic_config, upgrade
    from helpdesk_kit.storage.sql.tables_analytics import kpi_bot_topics, kpi_dirty

    url = f"sqlite:///{tmp_path / 'desk.db'}"
    desk = make_desk(SqlStorage(url), "UTC", START)
    _, first, other = _came_back(desk)
    assert _agree(desk).came_back == 1
    desk.close()
    storage = SqlStorage(url)
    with storage.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0013_inbox_indexes")
    upgrade(storage.engine)
    with storage.engine.connect() as conn:
        dirty = set(conn.execute(select(kpi_dirty.c.ticket_id)).scalars())
        assert dirty == {first.id, other.id}
        assert conn.execute(select(func.count()).select_from(kpi_bot_topics)).scalar() == 0
    desk = make_desk(storage, "UTC", START)
    try:
        m = _agree(desk)
        assert (m.conversations, m.contained, m.came_back) == (1, 0, 1)
    finally:
        desk.close()


# ------------------------------------------------------------------ generated histories

TOPICS = ["order_status", "coupon", None]
STEP = st.one_of(
    st.tuples(st.just("open"), st.integers(0, 2), st.sampled_from(TOPICS)),
    st.tuples(
        st.sampled_from(
            [
                "started",
                "bot_reply",
                "customer",
                "agent",
                "handoff",
                "solve",
                "ended",
                "intent",
                "spam",
                "category",
            ]
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
            elif kind == "spam":
                desk.transition(ticket, "mark_spam", actor=ann)
            elif kind == "category":
                desk.update_fields(ticket, category=topic, actor=ann)
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
