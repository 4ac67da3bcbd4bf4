"""The history generator: seeded, realistic in shape, and refusing misconfigured desks."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from helpdesk_kit import Helpdesk
from helpdesk_kit.errors import ConfigurationError, InvalidInput
from helpdesk_kit.storage.memory import MemoryStorage
from helpdesk_kit.testing.simulate import History, Profile, simulate, simulate_bulk

from .conftest import make_desk

START = datetime(2026, 10, 1, tzinfo=UTC)


def test_same_seed_same_history_other_seed_other_history():
    a = History(start=START, days=30, seed=1, tickets=400).all()
    b = History(start=START, days=30, seed=1, tickets=400).all()
    c = History(start=START, days=30, seed=2, tickets=400).all()
    assert [(t.steps, t.text) for t in a[1]] == [(t.steps, t.text) for t in b[1]]
    assert [t.steps for t in a[1]] != [t.steps for t in c[1]]
    assert len(a[1]) == 400


def test_arrivals_peak_in_office_hours_and_on_weekdays():
    h = History(start=START, days=56, seed=3, tickets=4000, timezone="Asia/Shanghai")
    _, tickets = h.all()
    from helpdesk_kit.analytics.periods import frame

    fr = frame("2026-10-01..2026-11-25", "Asia/Shanghai")
    hours = Counter(fr.hour(t.steps[0][0] // 1000) for t in tickets)
    days = Counter(fr.weekday(t.steps[0][0] // 1000) for t in tickets)
    assert hours[10] > 5 * hours[3]
    assert days[0] > days[6]
    channels = Counter(t.channel for t in tickets)
    assert channels.most_common(1)[0][0] == "chat"
    kinds = Counter(s[1] for t in tickets for s in t.steps)
    assert kinds["bot_reply"]
    assert kinds["handoff"]
    assert kinds["rate"]
    assert kinds["change"]
    assert kinds["spam"]
    assert kinds["duplicate"]
    assert kinds["customer_message"]
    assert sum(1 for t in tickets if "pre-sale" in t.tags) > 200
    assert len(h.customers) < len(tickets)  # customers come back


def test_simulate_drives_the_desk():
    desk = make_desk(MemoryStorage(), "Asia/Shanghai", START)
    sim = simulate(desk, start=START, days=10, seed=4, tickets=60, profile=Profile(agents=3))
    assert sim.tickets == 60
    assert len(sim.agent_ids) == 3
    assert desk.count_tickets() >= 55  # merged duplicates are left out of lists


def test_misconfigured_desks_and_storages_are_refused(tmp_path):
    with pytest.raises(ConfigurationError, match="FrozenClock"):
        simulate(Helpdesk(load_entrypoints=False), start=START, days=1)
    desk = make_desk(MemoryStorage(), "UTC", START)
    object.__setattr__(desk, "settings", desk.settings.__class__(auto_assign=True))
    with pytest.raises(ConfigurationError, match="auto_assign"):
        simulate(desk, start=START, days=1)
    with pytest.raises(ConfigurationError, match="SQL"):
        simulate_bulk(MemoryStorage(), start=START, days=1)
    with pytest.raises(InvalidInput):
        History(start=START, days=0)


def test_the_shop_answers_from_memory_and_sees_new_orders():
    from helpdesk_kit.testing.simulate import SimulatedShop

    shop = SimulatedShop()
    shop.orders["c1"] = [("o1", 1999, "CNY", 1_700_000_000_000_000, "completed", None)]
    first = shop.customer_orders_many(None, ["c1", "nobody"])
    assert [o["id"] for o in first["c1"]] == ["o1"]
    assert str(first["c1"][0]["amount"]) == "19.99"
    assert shop.customer_orders_many(None, ["c1"])["c1"] is first["c1"]  # made once
    shop.orders["c1"].append(("o2", 500, "CNY", 1_700_000_100_000_000, "completed", "t1"))
    again = shop.customer_orders_many(None, ["c1"])["c1"]
    assert [(o["id"], o["ticket_id"]) for o in again] == [("o1", None), ("o2", "t1")]
    shop.orders["c1"] = [("o3", 100, "USD", 1_700_000_200_000_000, "refunded", None)]
    assert [o["currency"] for o in shop.customer_orders_many(None, ["c1"])["c1"]] == ["USD"]
