"""SLA on the desk: every awkward case of docs/sla.md, on memory, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from helpdesk_kit import Helpdesk, Identity, InboundMessage
from helpdesk_kit.desk import DeskSettings
from helpdesk_kit.errors import InvalidDefinition, InvalidInput
from helpdesk_kit.sla import (
    BusinessCalendar,
    SlaPolicy,
    SlaStatus,
    SlaTarget,
    guide_policies,
)
from helpdesk_kit.tickets import events as ev
from helpdesk_kit.tickets.model import Actor, TicketEvent

BACKENDS = pytest.mark.parametrize(
    "helpdesk_storage", ["memory", "sqlite", "postgresql"], indirect=True
)
SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # the helpdesk_clock start, a Monday
H = timedelta(hours=1)
M = timedelta(minutes=1)


def _policies(**targets: SlaTarget) -> list[SlaPolicy]:
    urgent = SlaPolicy(
        "urgent",
        {"priority": {"urgent", "high"}},
        "24x7",
        {"first_response": SlaTarget(1 * H), "resolution": SlaTarget(4 * H)},
    )
    normal = SlaPolicy(
        "normal",
        {},
        "24x7",
        targets
        or {
            "first_response": SlaTarget(4 * H),
            "next_response": SlaTarget(2 * H),
            "periodic_update": SlaTarget(24 * H),
            "resolution": SlaTarget(24 * H, 0.5),
        },
    )
    return [urgent, normal]


@pytest.fixture
def desk(helpdesk_storage, helpdesk_clock) -> Helpdesk:
    """A desk without auto-assignment (so the bot's hand-off is explicit) and with SLA on."""
    made = Helpdesk(
        helpdesk_storage,
        helpdesk_clock,
        settings=DeskSettings(auto_assign=False),
        load_entrypoints=False,
    )
    made.configure_sla(_policies())
    return made


def _timer(desk: Helpdesk, ticket, metric: str):
    return next(t for t in desk.sla_timers(ticket) if t.metric == metric)


def _sla_events(desk: Helpdesk, ticket) -> list[tuple[str, str, int]]:
    return [
        (e.kind, e.data["metric"], e.data["cycle"])
        for e in desk.events(ticket)
        if e.kind in (ev.SLA_WARNING, ev.SLA_BREACHED)
    ]


def _handoff(desk: Helpdesk, ticket) -> None:
    """Record a ``bot.handoff`` event the way the bot will."""
    with desk._work() as work:
        current = work.ticket(ticket.id)
        work.save(current, current, [TicketEvent(current.id, ev.HANDOFF, work.now, "bot:bot")])


@BACKENDS
def test_first_response_counts_public_agent_replies_only(desk, helpdesk_clock) -> None:
    customer = desk.add_customer("c", email="c@example.com")
    agent = desk.add_agent("Ann")
    ticket = desk.open_ticket(customer, "help", "hello", channel="email", assignee=agent)
    first = _timer(desk, ticket, "first_response")
    assert (first.status, first.started_at, first.due_at) == (SlaStatus.ACTIVE, T0, T0 + 4 * H)
    assert first.warn_at == T0 + timedelta(hours=3, minutes=12)  # 80 %
    assert first.handoff_at == T0  # assigned to a person from the start
    helpdesk_clock.advance(minutes=10)
    desk.add_note(ticket, "looking into it", author=agent)  # an internal note is no response
    desk.reply(ticket, "Hi, this is the shop bot", author=Actor.bot())  # nor is the bot
    assert _timer(desk, ticket, "first_response").met_at is None
    helpdesk_clock.advance(minutes=20)
    desk.reply(ticket, "Hi, Ann here", author=agent)
    first = _timer(desk, ticket, "first_response")
    assert first.status is SlaStatus.MET
    assert first.met_at == T0 + 30 * M
    assert first.used == 30 * M
    assert desk.sla_due(ticket, "first_response") is None


@BACKENDS
def test_guide_email_targets_and_the_promise(helpdesk_storage) -> None:
    from helpdesk_kit.clock import FrozenClock

    clock = FrozenClock(datetime(2026, 11, 25, 17, 30, tzinfo=SHANGHAI))  # a Wednesday
    desk = Helpdesk(helpdesk_storage, clock, load_entrypoints=False)
    desk.configure_sla(guide_policies())
    customer = desk.add_customer("王芳", email="wang@example.cn", locale="zh-CN")
    ticket = desk.open_ticket(customer, "订单没收到", "你好", channel="email")
    assert desk.sla_due(ticket) == datetime(2026, 11, 26, 10, 30, tzinfo=SHANGHAI)
    assert desk.sla_promise(ticket) == "我们将在 11月26日 10:30 前回复您"
    assert desk.sla_promise(ticket, "en") == "We will reply by 26 Nov 10:30"
    assert desk.sla_promise(ticket, "en", zone="Europe/London") == "We will reply by 26 Nov 02:30"
    clock.set(datetime(2026, 11, 25, 19, 0, tzinfo=SHANGHAI))
    chat = desk.open_ticket(customer, "在吗", "hi", channel="chat")
    # Out of hours the 30 s start counting at Thursday's opening.
    assert desk.sla_due(chat) == datetime(2026, 11, 26, 9, 0, 30, tzinfo=SHANGHAI)
    assert desk.sla_promise(chat) == "我们将在 11月26日 09:01 前回复您"  # rounded up
    web = desk.open_ticket(customer, "form", "x", channel="web")
    assert desk.sla_policy_for(web) is None
    assert desk.sla_promise(web) is None


@BACKENDS
def test_bot_time_before_the_hand_off_does_not_count(desk, helpdesk_clock) -> None:
    customer = desk.add_customer("c", email="c@example.com")
    agent = desk.add_agent("Ann")
    ticket = desk.open_ticket(customer, "chat", "hi", channel="chat")
    helpdesk_clock.advance(seconds=2)
    desk.reply(ticket, "I am the bot, how can I help?", author=Actor.bot())
    held = _timer(desk, ticket, "first_response")
    assert (held.status, held.due_at, held.cycle) == (SlaStatus.PAUSED, None, 1)
    assert desk.sla_promise(ticket) is None
    helpdesk_clock.advance(minutes=15)
    desk.receive(
        InboundMessage("chat", Identity("email", "c@example.com"), text="人工", thread_key="s1")
    )
    assert _timer(desk, ticket, "first_response").status is SlaStatus.PAUSED
    _handoff(desk, ticket)
    started = _timer(desk, ticket, "first_response")
    hand_off = T0 + timedelta(minutes=15, seconds=2)
    assert (started.status, started.cycle, started.started_at) == (SlaStatus.ACTIVE, 2, hand_off)
    assert started.handoff_at == hand_off
    assert started.due_at == hand_off + 4 * H
    helpdesk_clock.advance(minutes=1)
    desk.reply(ticket, "please wait a moment", author=Actor.bot())  # after the hand-off
    desk.reply(ticket, "Ann here", author=agent)
    met = _timer(desk, ticket, "first_response")
    assert (met.status, met.used) == (SlaStatus.MET, 1 * M)


@BACKENDS
def test_assignment_is_a_hand_off_and_bot_time_can_count(helpdesk_storage, helpdesk_clock) -> None:
    desk = Helpdesk(
        helpdesk_storage,
        helpdesk_clock,
        settings=DeskSettings(auto_assign=False),
        load_entrypoints=False,
    )
    desk.configure_sla(_policies())
    customer = desk.add_customer("c", email="c@example.com")
    agent = desk.add_agent("Ann")
    ticket = desk.open_ticket(customer, "chat", "hi", channel="chat")
    desk.reply(ticket, "bot here", author=Actor.bot())
    helpdesk_clock.advance(minutes=7)
    desk.assign(ticket, agent)
    assert _timer(desk, ticket, "first_response").started_at == T0 + 7 * M
    # The same ticket with bot time counting: nothing is held.
    desk.configure_sla(_policies(), bot_time_counts=True)
    other = desk.open_ticket(customer, "chat 2", "hi", channel="chat")
    desk.reply(other, "bot here", author=Actor.bot())
    running = _timer(desk, other, "first_response")
    assert (running.status, running.started_at) == (SlaStatus.ACTIVE, T0 + 7 * M)


@BACKENDS
def test_next_response_after_an_agent_reply_and_on_reopen(desk, helpdesk_clock) -> None:
    customer = desk.add_customer("c", email="c@example.com")
    agent = desk.add_agent("Ann")
    ticket = desk.open_ticket(customer, "help", "hello", channel="email")
    ident = Identity("email", "c@example.com")

    def customer_writes(text: str) -> None:
        desk.receive(InboundMessage("email", ident, text=text, ticket_number=ticket.number))

    customer_writes("anyone?")  # before any agent reply: first response covers it
    assert all(t.metric != "next_response" for t in desk.sla_timers(ticket))
    helpdesk_clock.advance(minutes=5)
    desk.reply(ticket, "yes", author=agent)
    helpdesk_clock.advance(minutes=5)
    customer_writes("thanks, one more thing")
    helpdesk_clock.advance(minutes=5)
    customer_writes("and another")  # still waiting: the same cycle
    waiting = _timer(desk, ticket, "next_response")
    assert (waiting.cycle, waiting.started_at) == (1, T0 + 10 * M)
    assert waiting.due_at == T0 + 10 * M + 2 * H
    helpdesk_clock.advance(minutes=5)
    desk.reply(ticket, "done", author=agent, transition="solve")
    assert _timer(desk, ticket, "next_response").met_at == T0 + 20 * M
    helpdesk_clock.advance(hours=1)
    desk.transition(ticket, "reopen", actor=agent)  # a reopen: a new next-response target
    again = _timer(desk, ticket, "next_response")
    assert (again.cycle, again.started_at, again.status) == (2, T0 + 80 * M, SlaStatus.ACTIVE)


@BACKENDS
def test_resolution_pauses_while_waiting_and_resumes_after_a_reopen(desk, helpdesk_clock) -> None:
    customer = desk.add_customer("c", email="c@example.com")
    agent = desk.add_agent("Ann")
    ticket = desk.open_ticket(customer, "help", "hello", channel="email")
    helpdesk_clock.advance(hours=1)
    desk.reply(ticket, "which order?", author=agent, transition="pend")
    paused = _timer(desk, ticket, "resolution")
    assert (paused.status, paused.used, paused.due_at) == (SlaStatus.PAUSED, 1 * H, None)
    periodic = _timer(desk, ticket, "periodic_update")
    assert periodic.status is SlaStatus.PAUSED  # started by the reply, stopped by pending
    helpdesk_clock.advance(hours=5)
    desk.receive(
        InboundMessage(
            "email", Identity("email", "c@example.com"), text="SO-1", ticket_number=ticket.number
        )
    )
    resumed = _timer(desk, ticket, "resolution")
    assert resumed.status is SlaStatus.ACTIVE
    assert resumed.due_at == T0 + 6 * H + 23 * H  # 24 h target, 1 h used before the pause
    assert resumed.warn_at == T0 + 6 * H + 11 * H  # warns at 50 %
    helpdesk_clock.advance(hours=2)
    desk.reply(ticket, "refunded", author=agent, transition="solve")
    met = _timer(desk, ticket, "resolution")
    assert (met.status, met.used) == (SlaStatus.MET, 3 * H)
    assert _timer(desk, ticket, "periodic_update").status is SlaStatus.STOPPED
    helpdesk_clock.advance(days=1)
    desk.transition(ticket, "reopen", actor=agent)
    reopened = _timer(desk, ticket, "resolution")
    assert (reopened.status, reopened.cycle, reopened.met_at) == (SlaStatus.ACTIVE, 1, None)
    assert reopened.used == 3 * H  # resumes with the time used before
    assert reopened.due_at == helpdesk_clock.now() + 21 * H


@BACKENDS
def test_priority_change_recomputes_from_the_original_start(desk, helpdesk_clock) -> None:
    customer = desk.add_customer("c", email="c@example.com")
    ticket = desk.open_ticket(customer, "help", "hello", channel="email")
    assert desk.sla_due(ticket) == T0 + 4 * H
    helpdesk_clock.advance(minutes=30)
    desk.set_priority(ticket, "urgent")
    first = _timer(desk, ticket, "first_response")
    assert (first.policy, first.due_at, first.started_at) == ("urgent", T0 + 1 * H, T0)
    helpdesk_clock.advance(minutes=20)
    desk.set_priority(ticket, "normal")
    assert desk.sla_due(ticket) == T0 + 4 * H
    # Raised when the shorter target has already passed: breached in the past, recorded now.
    helpdesk_clock.advance(minutes=40)  # 10:30
    desk.set_priority(ticket, "high")
    late = _timer(desk, ticket, "first_response")
    assert (late.status, late.breached_at, late.warned_at) == (
        SlaStatus.BREACHED,
        T0 + 1 * H,
        T0 + 48 * M,
    )
    recorded = [e for e in desk.events(ticket) if e.kind == ev.SLA_BREACHED]
    assert [(e.at, e.data["breached_at"]) for e in recorded] == [
        (T0 + 90 * M, (T0 + 1 * H).isoformat())
    ]
    # Lowered again: a breach stays a breach.
    desk.set_priority(ticket, "low")
    assert _timer(desk, ticket, "first_response").breached_at == T0 + 1 * H


@BACKENDS
def test_merge_keeps_the_earliest_start(desk, helpdesk_clock) -> None:
    customer = desk.add_customer("c", email="c@example.com")
    agent = desk.add_agent("Ann")
    older = desk.open_ticket(customer, "first mail", "hello", channel="email")
    helpdesk_clock.advance(minutes=30)
    newer = desk.open_ticket(customer, "second mail", "hello again", channel="email")
    helpdesk_clock.advance(minutes=30)
    desk.merge(older, newer, actor=agent)
    kept = _timer(desk, newer, "first_response")
    assert kept.started_at == T0
    assert kept.used == 1 * H  # 09:00–10:00 and 09:30–10:00 overlap: counted once
    assert kept.due_at == T0 + 4 * H
    gone = _timer(desk, older, "first_response")
    assert gone.status is SlaStatus.STOPPED


@BACKENDS
def test_sweep_records_each_warning_and_breach_once(desk, helpdesk_clock) -> None:
    customer = desk.add_customer("c", email="c@example.com")
    agent = desk.add_agent("Ann")
    ticket = desk.open_ticket(customer, "help", "hello", channel="email")
    assert desk.sweep(T0 + 3 * H).results["sla"].warnings == 0
    warned = desk.sweep(T0 + 3 * H + 12 * M)  # exactly the warning instant
    assert (warned.results["sla"].warnings, warned.results["sla"].breaches) == (1, 0)
    assert desk.sweep(T0 + 3 * H + 13 * M).results["sla"].tickets == 0
    breached = desk.sweep(T0 + 5 * H)
    assert breached.results["sla"].breaches == 1
    desk.sweep(T0 + 6 * H)
    assert _sla_events(desk, ticket) == [
        (ev.SLA_WARNING, "first_response", 1),
        (ev.SLA_BREACHED, "first_response", 1),
    ]
    helpdesk_clock.set(T0 + 7 * H)
    desk.reply(ticket, "sorry for the wait", author=agent)
    late = _timer(desk, ticket, "first_response")
    assert (late.status, late.breached_at, late.met_at) == (
        SlaStatus.BREACHED,
        T0 + 4 * H,
        T0 + 7 * H,
    )


@BACKENDS
def test_a_command_records_thresholds_passed_since_the_last_sweep(desk, helpdesk_clock) -> None:
    customer = desk.add_customer("c", email="c@example.com")
    agent = desk.add_agent("Ann")
    ticket = desk.open_ticket(customer, "help", "hello", channel="email")
    helpdesk_clock.advance(hours=4)  # exactly the due instant: a reply now is late
    desk.reply(ticket, "hi", author=agent)
    assert _sla_events(desk, ticket) == [
        (ev.SLA_WARNING, "first_response", 1),
        (ev.SLA_BREACHED, "first_response", 1),
    ]
    assert desk.sweep(T0 + 5 * H).results["sla"].breaches == 0


@BACKENDS
def test_paused_and_closed_timers_do_not_breach(desk, helpdesk_clock) -> None:
    customer = desk.add_customer("c", email="c@example.com")
    agent = desk.add_agent("Ann")
    waiting = desk.open_ticket(customer, "wait", "x", channel="email")
    desk.reply(waiting, "need your order number", author=agent, transition="pend")
    spam = desk.open_ticket(customer, "spam", "buy now", channel="email")
    desk.transition(spam, "mark_spam", actor=agent)
    assert {t.metric: t.status for t in desk.sla_timers(spam)} == {
        "first_response": SlaStatus.STOPPED,
        "resolution": SlaStatus.STOPPED,
    }
    result = desk.sweep(T0 + timedelta(days=30))
    assert result.results["sla"].breaches == 0
    assert _sla_events(desk, waiting) == []
    assert _sla_events(desk, spam) == []


@BACKENDS
def test_policies_with_tier_category_and_group_conditions(desk, helpdesk_clock) -> None:
    vip_email = SlaPolicy(
        "vip refunds",
        {"tier": {"vip"}, "category": {"refund"}, "group": {"after-sales"}, "channel": {"email"}},
        "24x7",
        {"first_response": SlaTarget(15 * M)},
    )
    desk.configure_sla([vip_email, *_policies()])
    desk.add_group("after-sales")
    vip = desk.add_customer("v", email="v@example.com", tier="vip")
    plain = desk.add_customer("p", email="p@example.com")
    kw = {"channel": "email", "category": "refund", "group": "after-sales"}
    assert desk.sla_policy_for(desk.open_ticket(vip, "r", "x", **kw)).name == "vip refunds"
    assert desk.sla_policy_for(desk.open_ticket(plain, "r", "x", **kw)).name == "normal"
    other = desk.open_ticket(vip, "r", "x", channel="email", category="refund")
    assert desk.sla_policy_for(other).name == "normal"
    assert desk.sla_due(other) == T0 + 4 * H
    desk.assign(other, group="after-sales")  # the group change re-selects
    assert desk.sla_due(other) == T0 + 15 * M


@BACKENDS
def test_configuration_lists_every_problem(desk) -> None:
    bad = [
        SlaPolicy("a", {}, "office", {"first_response": SlaTarget(H)}),
        SlaPolicy("b", {}, "24x7", {"resolution": SlaTarget(H, calendar="nights")}),
    ]
    with pytest.raises(InvalidDefinition) as info:
        desk.configure_sla(bad, {"24x7": BusinessCalendar("UTC", {})}, batch_size=0)
    text = "\n".join(info.value.problems)
    for needle in ("'office'", "'nights'", "built in", "batch_size"):
        assert needle in text
    with pytest.raises(InvalidInput, match="not configured"):
        Helpdesk(load_entrypoints=False).sla_config  # noqa: B018


@BACKENDS
def test_tickets_from_before_sla_was_configured_are_replayed(
    helpdesk_storage, helpdesk_clock
) -> None:
    desk = Helpdesk(helpdesk_storage, helpdesk_clock, load_entrypoints=False)
    customer = desk.add_customer("c", email="c@example.com")
    agent = desk.add_agent("Ann", status="offline")
    ticket = desk.open_ticket(customer, "old", "hello", channel="email")
    helpdesk_clock.advance(minutes=20)
    desk.reply(ticket, "hi", author=agent)
    helpdesk_clock.advance(hours=3)
    desk.configure_sla(_policies())
    assert desk.sla_timers(ticket) == []
    desk.receive(
        InboundMessage(
            "email", Identity("email", "c@example.com"), text="?", ticket_number=ticket.number
        )
    )
    timers = {t.metric: t for t in desk.sla_timers(ticket)}
    assert timers["first_response"].met_at == T0 + 20 * M
    assert timers["next_response"].started_at == T0 + 200 * M
    assert timers["periodic_update"].started_at == T0 + 20 * M
    # Replayed from the trail: nothing was due yet, so nothing is recorded late.
    assert _sla_events(desk, ticket) == []


@BACKENDS
def test_rebuild_after_a_calendar_change(helpdesk_storage, helpdesk_clock) -> None:
    desk = Helpdesk(helpdesk_storage, helpdesk_clock, load_entrypoints=False)
    office = BusinessCalendar("UTC", {d: [(time(9), time(17))] for d in range(5)})
    policy = SlaPolicy("p", {}, "office", {"first_response": SlaTarget(4 * H)})
    desk.configure_sla([policy], {"office": office})
    customer = desk.add_customer("c", email="c@example.com")
    ticket = desk.open_ticket(customer, "x", "y", channel="email")
    assert desk.sla_due(ticket) == T0 + 4 * H
    desk.configure_sla([policy], {"office": office.with_holidays([date(2026, 11, 2)])})
    assert desk.sla_due(ticket) == T0 + 4 * H  # stored until recomputed
    desk.sla_rebuild(ticket)
    assert desk.sla_due(ticket) == datetime(2026, 11, 3, 13, 0, tzinfo=UTC)


@BACKENDS
def test_bulk_import_starts_timers(desk) -> None:
    messages = [
        InboundMessage("email", Identity("email", f"b{n}@example.com"), text="hi", subject="s")
        for n in range(7)
    ]
    summary = desk.import_messages(messages, batch_size=3)
    assert summary.created == 7
    for ticket in desk.list_tickets(limit=10).items:
        assert desk.sla_due(ticket) == T0 + 4 * H
    with desk.storage.unit_of_work() as uow:
        assert len(uow.due.list("sla")) == 7
        upcoming = uow.sla.upcoming(T0 + 5 * H)
    assert {t.metric for t in upcoming} == {"first_response"}
    assert len(upcoming) == 7
