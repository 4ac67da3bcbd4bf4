"""Every metric on small hand-made histories whose answers are worked out by hand.

Each history runs through the desk's commands on memory, SQLite and PostgreSQL; the
expected numbers are written out below (seconds for durations, shares from 0 to 1).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal

import pytest
from sqlalchemy import Column, DateTime, MetaData, String, Table

from helpdesk_kit import Actor, Identity, InboundMessage
from helpdesk_kit.analytics.sla import SlaTimerRecord, SlaTimers
from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.plugins import hookimpl
from helpdesk_kit.tickets import events as ev

from .conftest import BACKENDS, make_desk

SH = "Asia/Shanghai"  # UTC+8, no DST


def local(y, mo, d, h, mi=0, s=0):
    """An instant given in Shanghai wall-clock time."""
    return datetime(y, mo, d, h, mi, s, tzinfo=UTC) - timedelta(hours=8)


class Shop:
    def __init__(self):
        self.orders = {}

    @hookimpl
    def customer_orders(self, desk, customer):
        return self.orders.get(customer.id, [])


def _handoff(desk, ticket, agent):
    from helpdesk_kit.testing.simulate import _handoff as handoff

    handoff(desk, ticket, agent)


@pytest.fixture
def story(helpdesk_storage):
    """The November 2026 history of a small shop (see the comments for each ticket)."""
    shop = Shop()
    desk = make_desk(helpdesk_storage, SH, local(2026, 11, 1, 8), plugins=[shop])
    clock = desk.clock
    ann = desk.add_agent("Ann", max_concurrent=4)
    bob = desk.add_agent("Bob", max_concurrent=2)
    c1 = desk.add_customer("One", email="one@example.cn", tier="vip")
    c2 = desk.add_customer("Two", email="two@example.cn")
    c3 = desk.add_customer("Three", email="three@example.cn")
    bot = Actor.bot("assistant")
    t = {}

    def at(*args):
        clock.set(local(*args))

    # T1: e-mail at 23:50 on Nov 2; answered 20 min later, after midnight; solved at 00:30.
    at(2026, 11, 2, 23, 50)
    t[1] = desk.open_ticket(
        c1, "发票", "发票抬头错了", channel="email", category="invoice", assignee=ann, actor=c1
    )
    at(2026, 11, 3, 0, 10)
    desk.reply(t[1], "已重开", author=ann)
    at(2026, 11, 3, 0, 30)
    desk.transition(t[1], "solve", actor=ann)
    # T2: chat, pre-sale; two customer messages before Bob's second reply (next response 90 s)
    at(2026, 11, 3, 10, 0)
    t[2] = desk.open_ticket(
        c2,
        "降噪",
        "这款耳机支持降噪吗",
        channel="chat",
        category="pre-sale",
        tags=["pre-sale"],
        assignee=bob,
        actor=c2,
    )
    clock.advance(seconds=30)
    desk.reply(t[2], "支持", author=bob)
    clock.advance(seconds=30)
    desk.receive(
        InboundMessage(
            "chat", Identity("email", "two@example.cn"), text="续航呢", ticket_number=t[2].number
        )
    )
    clock.advance(seconds=30)
    desk.receive(
        InboundMessage(
            "chat", Identity("email", "two@example.cn"), text="还有颜色", ticket_number=t[2].number
        )
    )
    clock.advance(seconds=60)
    desk.reply(t[2], "30 小时，三种颜色", author=bob)
    clock.advance(seconds=50)
    desk.transition(t[2], "solve", actor=bob)
    # ... rated 2, then changed to 4 two hours later (CSAT counts the 4, once)
    clock.advance(minutes=10)
    token = desk.survey_token(desk.surveys(t[2])[0])
    desk.rate_survey(token, 2)
    clock.advance(hours=2)
    desk.rate_survey(token, 4)
    # T3: chat answered and solved by the bot alone (contained)
    at(2026, 11, 4, 9, 0)
    t[3] = desk.open_ticket(c1, "物流", "快递到哪了", channel="chat", category="order", actor=c1)
    clock.advance(seconds=2)
    desk.reply(t[3], "已发货", author=bot)
    clock.advance(seconds=40)
    desk.transition(t[3], "solve", actor=bot)
    # T4: chat; the bot hands off to Ann (not contained)
    at(2026, 11, 4, 11, 0)
    t[4] = desk.open_ticket(c2, "退款", "退款呢", channel="chat", category="refund", actor=c2)
    clock.advance(seconds=3)
    desk.reply(t[4], "请稍等", author=bot)
    clock.advance(seconds=20)
    _handoff(desk, t[4], ann)
    clock.advance(seconds=40)
    desk.reply(t[4], "已退款", author=ann)
    clock.advance(seconds=60)
    desk.transition(t[4], "solve", actor=ann)
    # T5: the bot solves c3's coupon question, but c3 comes back a day later on the same
    # topic (T6): not contained
    at(2026, 11, 5, 9, 0)
    t[5] = desk.open_ticket(
        c3, "优惠券", "优惠券不能用", channel="chat", category="coupon", actor=c3
    )
    clock.advance(seconds=1)
    desk.reply(t[5], "请重新领取", author=bot)
    clock.advance(seconds=59)
    desk.transition(t[5], "solve", actor=bot)
    at(2026, 11, 6, 9, 0)
    t[6] = desk.open_ticket(
        c3,
        "优惠券",
        "还是不能用",
        channel="email",
        category="coupon",
        tags=["pre-sale"],
        assignee=ann,
        actor=c3,
    )
    at(2026, 11, 6, 10, 0)
    desk.reply(t[6], "已补发", author=ann)
    desk.transition(t[6], "solve", actor=ann)
    # T7: solved, reopened by the customer, answered and solved again
    at(2026, 11, 7, 14, 0)
    t[7] = desk.open_ticket(
        c1, "退货", "想退货", channel="form", category="return", assignee=bob, actor=c1
    )
    at(2026, 11, 7, 15, 0)
    desk.reply(t[7], "可以", author=bob)
    at(2026, 11, 7, 15, 30)
    desk.transition(t[7], "solve", actor=bob)
    at(2026, 11, 8, 9, 0)
    desk.receive(
        InboundMessage(
            "form", Identity("email", "one@example.cn"), text="运费谁出", ticket_number=t[7].number
        )
    )
    at(2026, 11, 8, 10, 0)
    desk.reply(t[7], "我们承担", author=bob)
    at(2026, 11, 8, 10, 30)
    desk.transition(t[7], "solve", actor=bob)
    # T8: spam; T9: a duplicate merged into T2; T10: still waiting (backlog)
    at(2026, 11, 9, 9, 0)
    t[8] = desk.open_ticket(c2, "buy now", "cheap watches", channel="email", assignee=ann, actor=c2)
    desk.transition(t[8], "mark_spam", actor=ann)
    t[9] = desk.open_ticket(c2, "降噪", "同上", channel="chat", actor=c2)
    desk.merge(t[9], t[2], actor=bob)
    at(2026, 11, 10, 9, 0)
    t[10] = desk.open_ticket(
        c1,
        "账号",
        "登录不了",
        channel="email",
        category="account",
        priority="high",
        assignee=ann,
        actor=c1,
    )
    # orders: T2 led to an order; c3 bought 10 days after T6 (outside the 7-day window);
    # c1 has two orders (a repeat buyer), c2 one more refunded (not counted)
    shop.orders[c2.id] = [
        {
            "id": "o1",
            "amount": Decimal("399.00"),
            "currency": "CNY",
            "created_at": local(2026, 11, 3, 11),
            "ticket_id": t[2].id,
        },
        {
            "id": "o2",
            "amount": "99.50",
            "currency": "CNY",
            "created_at": local(2026, 11, 20, 11),
            "status": "refunded",
        },
    ]
    shop.orders[c3.id] = [
        {"id": "o3", "amount": "50", "currency": "CNY", "created_at": local(2026, 11, 16, 9)},
    ]
    shop.orders[c1.id] = [
        {"id": "o4", "amount": "10.25", "currency": "CNY", "created_at": local(2026, 1, 1, 9)},
        {"id": "o5", "amount": "20.75", "currency": "CNY", "created_at": local(2026, 11, 1, 9)},
        {"id": "o6", "amount": "5", "currency": "USD", "created_at": local(2026, 11, 1, 9)},
    ]
    at(2026, 11, 30, 12, 0)
    return desk, t, ann, bob


def one(rows):
    assert len(rows) == 1, rows
    return rows[0].values


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_volume_excludes_spam_and_merged_and_buckets_by_local_day(story):
    desk, _t, _ann, _bob = story
    assert one(desk.kpi("volume", "2026-11")) == {"tickets": 8}
    by_day = {r.bucket: r["tickets"] for r in desk.kpi("volume", "2026-11", grain="day")}
    # T1 was created at 23:50 on Nov 2 local time (15:50 UTC): it belongs to Nov 2
    assert by_day == {
        "2026-11-02": 1,
        "2026-11-03": 1,
        "2026-11-04": 2,
        "2026-11-05": 1,
        "2026-11-06": 1,
        "2026-11-07": 1,
        "2026-11-10": 1,
    }
    by_hour = {r["hour"]: r["tickets"] for r in desk.kpi("volume", "2026-11", by="hour")}
    assert by_hour == {23: 1, 10: 1, 9: 4, 11: 1, 14: 1}
    by_channel = {r["channel"]: r["tickets"] for r in desk.kpi("volume", "2026-11", by="channel")}
    assert by_channel == {"chat": 4, "email": 3, "form": 1}


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_response_and_resolution_times(story):
    desk, _t, _ann, _bob = story
    frt = {r["agent"]: r.values for r in plain_rows(desk, "first_response", by="agent")}
    # Ann: T1 1200 s, T4 63 s, T6 3600 s; Bob: T2 30 s, T7 3600 s
    assert frt["Ann"]["count"] == 3
    assert frt["Ann"]["mean_s"] == pytest.approx(4863 / 3)
    assert frt["Ann"]["p50_s"] == 1200.0
    assert frt["Ann"]["p90_s"] == pytest.approx(1200 + (3600 - 1200) * 0.8)
    assert frt["Bob"] == {"count": 2, "mean_s": 1815.0, "p50_s": 1815.0, "p90_s": 3600 - 3570 * 0.1}
    nrt = one(desk.kpi("next_response", "2026-11"))
    # T2: the wait starts at the first of the two customer messages (90 s); T7: 3600 s
    assert (nrt["count"], nrt["mean_s"], nrt["p50_s"]) == (2, 1845.0, 1845.0)
    res = {r["channel"]: r.values for r in desk.kpi("resolution", "2026-11", by="channel")}
    # T7 counts from creation to the final solve: 20.5 h
    assert res["form"]["p50_s"] == 20.5 * 3600
    assert res["email"]["count"] == 2  # T1 (2400 s) and T6 (3600 s); T10 is open
    assert res["email"]["mean_s"] == 3000.0
    # T2: 200 s, T3 (bot): 42 s, T4: 123 s, T5 (bot): 60 s
    assert res["chat"]["count"] == 4
    assert res["chat"]["p50_s"] == pytest.approx((60 + 123) / 2)


def plain_rows(desk, name, **kw):
    rows = desk.kpi(name, "2026-11", **kw)
    names = {a.id: a.name for a in desk.agents()}
    for r in rows:
        if r.keys.get("agent"):
            r.keys["agent"] = names[r.keys["agent"]]
    return rows


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_one_touch_and_reopen_rates(story):
    desk, _t, _ann, _bob = story
    # solved with at least one agent reply: T1 T2 T4 T6 T7; one touch: T1 T4 T6
    assert one(desk.kpi("one_touch_rate", "2026-11")) == {"count": 5, "hits": 3, "rate": 0.6}
    # created and solved at least once: T1-T7 (7); reopened: T7
    reopen = one(desk.kpi("reopen_rate", "2026-11"))
    assert (reopen["count"], reopen["hits"]) == (7, 1)
    by_agent = {r["agent"]: r.values for r in plain_rows(desk, "one_touch_rate", by="agent")}
    assert by_agent["Bob"] == {"count": 2, "hits": 0, "rate": 0.0}


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_csat_counts_the_changed_rating_once(story):
    desk, _t, _ann, _bob = story
    csat = one(desk.kpi("csat", "2026-11"))
    assert csat["responses"] == 1
    assert csat["mean"] == 4.0
    assert csat["csat"] == 1.0
    assert (csat["score_2"], csat["score_4"]) == (0, 1)
    assert desk.kpi("nps", "2026-11") == []


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_bot_containment(story):
    desk, _t, _ann, _bob = story
    # bot conversations: T3 (contained), T4 (handed off), T5 (customer came back: T6)
    assert one(desk.kpi("bot_containment", "2026-11")) == {"count": 3, "hits": 1, "rate": 1 / 3}
    # with a return window of 12 hours T6 (a day later) no longer counts as coming back
    loose = one(desk.kpi("bot_containment", "2026-11", bot_return_window=timedelta(hours=12)))
    assert loose["hits"] == 2


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_conversion_repeat_purchase_and_clv(story):
    desk, _t, _ann, _bob = story
    # pre-sale: T2 (its order names the ticket) and T6 (c3 bought 10 days later): 1 of 2
    assert one(desk.kpi("conversion_rate", "2026-11")) == {"count": 2, "hits": 1, "rate": 0.5}
    assert (
        one(desk.kpi("conversion_rate", "2026-11", conversion_window=timedelta(days=11)))["hits"]
        == 2
    )
    # served: c1, c2, c3; repeat buyers (2+ valid orders): c1 (c2's second order was refunded)
    assert one(desk.kpi("repeat_rate", "2026-11"))["hits"] == 1
    clv = {r["currency"]: r.values for r in desk.kpi("clv", "2026-11")}
    assert clv["CNY"]["customers"] == 3
    assert clv["CNY"]["total"] == Decimal("480")
    assert clv["CNY"]["p50"] == Decimal("50.00")
    assert clv["USD"] == {
        "customers": 1,
        "total": Decimal("5"),
        "mean": Decimal("5.00"),
        "p50": Decimal("5.00"),
        "p90": Decimal("5.00"),
    }
    by_tier = {r["tier"]: r["count"] for r in desk.kpi("repeat_rate", "2026-11", by="tier")}
    assert by_tier == {"standard": 2, "vip": 1}


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_backlog_activity_and_utilisation(story):
    desk, _t, _ann, _bob = story
    backlog = one(desk.kpi("backlog", "2026-11"))
    # T10 waits since Nov 10 09:00; now is Nov 30 12:00
    assert backlog["count"] == 1
    assert backlog["p50_s"] == (20 * 24 + 3) * 3600
    act = {r["agent"]: r.values for r in plain_rows(desk, "agent_activity", by="agent")}
    assert act["Ann"] == {"handled": 3, "responses": 3, "tickets_touched": 3, "active_hours": 3}
    assert act["Bob"] == {"handled": 2, "responses": 4, "tickets_touched": 2, "active_hours": 3}
    load = {r["agent"]: r.values for r in plain_rows(desk, "utilisation", by="agent")}
    assert load["Ann"] == {"open": 1, "capacity": 4, "utilisation": 0.25}
    assert load["Bob"]["open"] == 0
    assert one(desk.kpi("utilisation", "2026-11"))["capacity"] == 6


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_filters(story):
    desk, _t, ann, _bob = story
    assert one(desk.kpi("volume", "2026-11", filters={"channel": "chat"}))["tickets"] == 4
    assert one(desk.kpi("volume", "2026-11", filters={"tier": ["vip"]}))["tickets"] == 4
    assert one(desk.kpi("volume", "2026-11", filters={"agent": [None]}))["tickets"] == 2
    frt = one(desk.kpi("first_response", "2026-11", filters={"agent": ann.id, "hour": [23]}))
    assert frt["count"] == 1
    assert frt["p50_s"] == 1200.0
    assert desk.kpi("volume", "2026-11", filters={"priority": "urgent"}) == []
    with pytest.raises(InvalidInput, match="cannot be grouped"):
        desk.kpi("agent_activity", "2026-11", by="channel")
    with pytest.raises(InvalidInput, match="unknown metric"):
        desk.kpi("happiness", "2026-11")
    with pytest.raises(InvalidInput, match="dimension"):
        desk.kpi("volume", "2026-11", by="colour")


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_sla_achievement_without_sla_has_no_rows(story):
    desk, _t, _ann, _bob = story
    assert desk.kpi("sla_achievement", "2026-11") == []
    assert "sla_achievement" not in desk.report_data("2026-11").unavailable


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_sla_achievement_reads_the_desks_own_timers(helpdesk_storage):
    """One chat met its 30 s first reply, one missed it; the e-mail met its 2 h target."""
    from helpdesk_kit.sla import guide_policies

    desk = make_desk(helpdesk_storage, SH, local(2026, 11, 2, 9), plugins=[])
    desk.configure_sla(guide_policies())
    ann = desk.add_agent("Ann")
    customer = desk.add_customer("C", email="c@example.cn")
    fast = desk.open_ticket(customer, "chat 1", "hi", channel="chat")
    slow = desk.open_ticket(customer, "chat 2", "hi", channel="chat")
    mail = desk.open_ticket(customer, "mail", "hi", channel="email")
    desk.clock.advance(seconds=20)
    desk.reply(fast, "hello", author=ann)
    desk.clock.advance(seconds=40)
    desk.sweep()
    desk.reply(slow, "sorry for the wait", author=ann)
    desk.clock.advance(minutes=30)
    desk.reply(mail, "answer", author=ann)
    got = {r["sla_metric"]: r.values for r in desk.kpi("sla_achievement", "2026-11")}
    assert got["first_response"] == {"count": 3, "hits": 2, "rate": 2 / 3}
    assert "sla_achievement" not in desk.report_data("2026-11").unavailable


def _timer_table():
    meta = MetaData()
    return Table(
        "sla_timers_test",
        meta,
        Column("ticket_id", String(64)),
        Column("metric", String(32)),
        Column("status", String(16)),
        Column("due_at", DateTime(timezone=True)),
        Column("met_at", DateTime(timezone=True)),
        Column("breached_at", DateTime(timezone=True)),
    )


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_sla_achievement_reads_timers_through_the_interface(story, helpdesk_storage):
    """The computation, on a stand-in for the SLA feature's table (not the real one yet)."""
    desk, t, _ann, _bob = story
    day = local(2026, 11, 12, 9)
    rows = [  # (ticket, metric, due, met, breached)
        (t[1], "first_response", day, day - timedelta(minutes=5), None),  # met in time
        (t[2], "first_response", day, day + timedelta(minutes=5), None),  # met late
        (t[4], "resolution", day, None, day),  # breached
        (t[6], "resolution", day, None, None),  # still running: not counted
        (t[8], "resolution", day, day, None),  # spam: not counted
    ]
    if hasattr(helpdesk_storage, "engine"):
        from helpdesk_kit.storage.sql.tables import UTCDateTime

        table = _timer_table()
        for c in ("due_at", "met_at", "breached_at"):
            table.c[c].type = UTCDateTime()
        table.create(helpdesk_storage.engine)
        with helpdesk_storage.engine.begin() as conn:
            conn.execute(
                table.insert(),
                [
                    {
                        "ticket_id": tk.id,
                        "metric": m,
                        "status": "x",
                        "due_at": due,
                        "met_at": met,
                        "breached_at": br,
                    }
                    for tk, m, due, met, br in rows
                ],
            )
        desk.configure_kpis(sla_timers=SlaTimers(table=table))
    else:
        from helpdesk_kit.analytics.periods import ms_of

        records = [
            SlaTimerRecord(
                tk.id,
                m,
                ms_of(due),
                None if met is None else ms_of(met),
                None if br is None else ms_of(br),
            )
            for tk, m, due, met, br in rows
        ]
        desk.configure_kpis(sla_timers=SlaTimers(records=lambda uow: records))
    try:
        got = {r["sla_metric"]: r.values for r in desk.kpi("sla_achievement", "2026-11")}
        assert got == {
            "first_response": {"count": 2, "hits": 1, "rate": 0.5},
            "resolution": {"count": 1, "hits": 0, "rate": 0.0},
        }
    finally:
        if hasattr(helpdesk_storage, "engine"):
            table.drop(helpdesk_storage.engine)


@pytest.mark.parametrize("helpdesk_storage", ["memory", "sqlite"], indirect=True)
def test_report_data_and_scorecards(story):
    desk, _t, _ann, _bob = story
    cards = {c.name: c for c in desk.scorecards("2026-11")}
    assert cards["Ann"].handled == 3
    assert cards["Bob"].handled == 2
    assert cards["Bob"].csat_mean == 4.0
    assert cards["Bob"].ratings == 1
    assert not cards["Bob"].passes_guard  # too few ratings and no one-touch
    board = desk.leaderboard("2026-11")
    assert board.star is None  # nobody has five ratings: no star is typed in
    data = desk.report_data("2026-11")
    assert data.one("volume") == {"tickets": 8}
    assert data.sla == []  # no SLA policies on this desk: nothing was due
    assert "sla_achievement" not in data.unavailable
    assert next(r.bucket for r in data.daily["volume"]) == "2026-11-02"


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_events_of_the_history(story):
    """The history recorded what the metrics read (guards the hand-made story itself)."""
    desk, t, _ann, _bob = story
    kinds = [e.kind for e in desk.events(t[4])]
    assert ev.HANDOFF in kinds
    assert desk.get_ticket(t[9]).merged_into == t[2].id
    assert desk.get_ticket(t[7]).reopen_count == 1


def test_an_order_works_out_its_units_and_instant_once():
    import attrs

    from helpdesk_kit.analytics.query import Order, orders_from_hook

    at = datetime(2026, 11, 3, 1, 2, 3, 4567, tzinfo=UTC)
    order = Order("o1", "c1", Decimal("19.99"), "CNY", at)
    assert (order.units, order.created_ms) == (199_900, 1_793_667_723_004)
    assert attrs.evolve(order, amount=Decimal("0.5")).units == 5_000
    with pytest.raises(InvalidInput, match="naive"):
        Order("o2", "c1", Decimal(1), "CNY", datetime(2026, 11, 3))
    with pytest.raises(InvalidInput, match="created_at"):
        orders_from_hook("c1", [{"id": "o3", "amount": "1", "created_at": datetime(2026, 1, 1)}])


def test_order_rows_hold_the_hook_orders_by_column():
    from helpdesk_kit.analytics import OrderRows
    from helpdesk_kit.analytics.query import order_facts, orders_from_hook

    at = datetime(2026, 11, 3, 1, 2, 3, 4567, tzinfo=UTC)
    found = [
        {"id": 1, "amount": "19.99", "created_at": at, "ticket_id": "t1"},
        {
            "id": "o2",
            "amount": Decimal("5"),
            "currency": "USD",
            "created_at": at,
            "status": "refunded",
        },
    ]
    rows = OrderRows()
    rows.extend_from_hook("c1", found)
    expected = orders_from_hook("c1", found)
    assert len(rows) == 2
    assert list(rows) == expected
    assert (rows[0], rows[-1], rows[1:]) == (expected[0], expected[1], expected[1:])
    assert OrderRows(expected)[1] == expected[1]
    with pytest.raises(IndexError):
        rows[2]
    # what SQL reads, without the refunded order; the same off Order values
    assert list(rows.facts({"refunded"})) == [("c1", "t1", 1_793_667_723_004, 199_900, "CNY")]
    assert list(order_facts(rows, {"refunded"})) == list(order_facts(expected, {"refunded"}))
    # a bulk answer may leave customers without orders (an empty list or None)
    rows.extend_from_hooks({"c3": [], "c4": None, "c5": found[:1]})
    assert len(rows) == 3
    assert rows[2].customer_id == "c5"
    rows = OrderRows(expected)
    # a bad order adds none of its batch
    with pytest.raises(InvalidInput, match="amount"):
        rows.extend_from_hook("c2", [{"id": "o3", "amount": "1", "created_at": at}, {"id": "o4"}])
    assert len(rows) == 2


class _NoOffset(tzinfo):
    """A time zone whose offset is unknown (``utcoffset`` is None)."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, dt: datetime | None) -> str | None:
        return None


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        ({"amount": Decimal("NaN")}, "amount"),
        ({"amount": "Infinity"}, "amount"),
        ({"amount": "12 yuan"}, "valid 'amount'"),
        ({"created_at": "2026-11-03"}, "created_at"),
        ({"created_at": datetime(2026, 11, 3)}, "naive"),
        # a time zone that does not know its offset: as naive as no zone
        ({"created_at": datetime(2026, 11, 3, tzinfo=_NoOffset())}, "naive"),
    ],
)
def test_order_rows_refuse_a_bad_order_before_adding_any(bad, match):
    """An order whose amount or instant cannot be read is refused (``InvalidInput``) before
    any column takes a value of its batch: the rows stay whole and as they were."""
    from helpdesk_kit.analytics import OrderRows

    at = datetime(2026, 11, 3, 1, 2, 3, tzinfo=UTC)
    good = {"id": "o1", "amount": "19.99", "created_at": at}
    rows = OrderRows()
    rows.extend_from_hook("c1", [good])
    before = list(rows)
    with pytest.raises(InvalidInput, match=match):
        rows.extend_from_hooks({"c2": [good, {**good, "id": "o2", **bad}]})
    with pytest.raises(InvalidInput, match=match):
        rows.extend_from_hook("c3", [{**good, "id": "o3", **bad}])
    assert len(rows) == 1
    assert list(rows) == before
    assert list(rows.facts()) == [("c1", None, 1_793_667_723_000, 199_900, "CNY")]


def test_an_order_of_no_finite_amount_is_refused():
    from helpdesk_kit.analytics.query import Order

    at = datetime(2026, 11, 3, tzinfo=UTC)
    for amount in ("NaN", "-Infinity"):
        with pytest.raises(InvalidInput, match="finite"):
            Order("o1", "c1", Decimal(amount), "CNY", at)


def test_order_rows_leave_the_garbage_collector_no_object_per_order():
    """Adding a report's many orders keeps no per-order object alive across collections
    (they would be promoted to the oldest generation and bring full collections sooner)."""
    import gc

    from helpdesk_kit.analytics import OrderRows

    at = datetime(2026, 11, 3, 1, 2, 3, tzinfo=UTC)
    found = {
        f"c{i}": [{"id": f"o{i}-{j}", "amount": "9.5", "created_at": at} for j in range(2)]
        for i in range(10_000)
    }
    rows = OrderRows()
    promoted: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "stop":  # what outlived a collection, frozen objects left out
            promoted.append(len(gc.get_objects(1)) + len(gc.get_objects(2)))

    gc.collect()
    gc.freeze()
    gc.callbacks.append(count)
    try:
        rows.extend_from_hooks(found)
    finally:
        gc.callbacks.remove(count)
        gc.unfreeze()
    assert len(rows) == 20_000
    assert promoted, "no collection ran while 20,000 orders were added"
    assert max(promoted) < 1_000
