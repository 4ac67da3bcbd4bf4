"""Routing on the desk: strategies per group, availability, queues and their triggers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import pytest

from helpdesk_kit.clock import FrozenClock
from helpdesk_kit.desk import Helpdesk
from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.plugins import hookimpl
from helpdesk_kit.routing import VipRule
from helpdesk_kit.sla import guide_policies
from helpdesk_kit.sla.config import calendar_from_dict
from helpdesk_kit.tickets import events as ev
from helpdesk_kit.tickets.model import AgentStatus, Priority

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai


@pytest.fixture(params=["memory", "sqlite"])
def desk(request: pytest.FixtureRequest, tmp_path: Path) -> Helpdesk:
    clock = FrozenClock(T0)
    if request.param == "memory":
        return Helpdesk(clock=clock, load_entrypoints=False)
    return Helpdesk.from_url(f"sqlite:///{tmp_path / 'd.db'}", clock=clock, load_entrypoints=False)


def _customer(desk: Helpdesk, n: int = 0, **kw: object):
    return desk.add_customer(f"C{n}", email=f"c{n}@example.com", **kw)  # type: ignore[arg-type]


def test_least_loaded_spreads_and_never_exceeds_capacity(desk: Helpdesk) -> None:
    desk.add_group("Support")
    ann = desk.add_agent("Ann", groups=["Support"], max_concurrent=2)
    bob = desk.add_agent("Bob", groups=["Support"], max_concurrent=1)
    c = _customer(desk)
    tickets = [desk.open_ticket(c, f"t{n}", "hi", group="Support") for n in range(5)]
    owners = [t.assignee_id for t in tickets]
    assert owners[:3].count(ann.id) == 2
    assert owners[:3].count(bob.id) == 1
    assert owners[3:] == [None, None]
    assert desk.agent_load(ann) == 2
    assert desk.agent_load(bob) == 1
    assert [t.id for t in desk.queue("Support")] == [t.id for t in tickets[3:]]
    assert desk.queue_length("Support") == 2


def test_round_robin_takes_turns_and_the_pointer_is_stored(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'rr.db'}"
    clock = FrozenClock(T0)
    with Helpdesk.from_url(url, clock=clock, load_entrypoints=False) as desk:
        desk.add_group("Sales", routing="round_robin")
        agents = [desk.add_agent(n, groups=["Sales"], max_concurrent=9) for n in "ABC"]
        c = _customer(desk)
        first = [desk.open_ticket(c, "x", group="Sales").assignee_id for _ in range(2)]
    order = sorted(a.id for a in agents)
    assert first == order[:2]
    # a new process (another desk on the same database) continues where the pointer is
    with Helpdesk.from_url(url, clock=clock, load_entrypoints=False) as desk:
        more = [desk.open_ticket(c.id, "x", group="Sales").assignee_id for _ in range(4)]
    assert more == [order[2], order[0], order[1], order[2]]


def test_skills_route_by_category_and_language_or_wait(desk: Helpdesk) -> None:
    desk.add_group("Billing", routing="skills")
    zh = desk.add_agent("Li", groups=["Billing"], skills=["refund"], languages=["zh"])
    en = desk.add_agent("Al", groups=["Billing"], skills=["refund"], languages=["en"])
    c = _customer(desk)
    t1 = desk.open_ticket(c, "退款", group="Billing", category="refund", language="zh-CN")
    t2 = desk.open_ticket(c, "refund", group="Billing", category="refund", language="en")
    t3 = desk.open_ticket(c, "invoice", group="Billing", category="invoice", language="en")
    assert (t1.assignee_id, t2.assignee_id, t3.assignee_id) == (zh.id, en.id, None)
    assert [t.id for t in desk.queue("Billing")] == [t3.id]
    desk.update_agent(en, skills=["refund", "invoice"])  # a skill change alone routes nothing
    assert desk.route_waiting().assigned == 1
    assert desk.get_ticket(t3).assignee_id == en.id


def test_sticky_returns_a_customer_to_their_last_agent(desk: Helpdesk) -> None:
    desk.add_group("Care", routing="sticky")
    ann = desk.add_agent("Ann", groups=["Care"])
    bob = desk.add_agent("Bob", groups=["Care"])
    c = _customer(desk)
    first = desk.open_ticket(c, "one", group="Care")
    assert first.assignee_id == ann.id  # least loaded, by name
    desk.open_ticket(_customer(desk, 1), "other", group="Care")  # Bob gets it
    again = desk.open_ticket(c, "two", group="Care")
    assert again.assignee_id == ann.id  # not least loaded: sticky
    desk.set_agent_status(ann, "away")
    third = desk.open_ticket(c, "three", group="Care")
    assert third.assignee_id == bob.id  # the last agent is not available


def test_vip_customers_get_priority_a_dedicated_group_and_go_first(desk: Helpdesk) -> None:
    desk.add_group("Support")
    desk.add_group("VIP", routing="vip_first")
    desk.configure_routing(vip=VipRule(["vip"], priority="high", group="VIP"))
    agent = desk.add_agent("Zoe", groups=["VIP"], status="offline", max_concurrent=1)
    plain, vip = _customer(desk, 1), _customer(desk, 2, tier="vip")
    t_plain = desk.open_ticket(plain, "plain", group="VIP")
    t_vip = desk.open_ticket(vip, "vip", group="Support")
    assert t_vip.priority is Priority.HIGH
    assert t_vip.group_id == desk.get_group("VIP").id
    assert t_plain.priority is Priority.NORMAL
    assert [t.id for t in desk.queue("VIP")] == [t_vip.id, t_plain.id]  # VIP first
    desk.set_agent_status(agent, "online")
    assert desk.get_ticket(t_vip).assignee_id == agent.id
    assert desk.get_ticket(t_plain).assignee_id is None


def test_queue_is_ordered_by_sla_due_time_then_arrival(desk: Helpdesk) -> None:
    desk.configure_sla(guide_policies())
    desk.add_group("Support")
    agent = desk.add_agent("Ann", groups=["Support"], status="offline", max_concurrent=10)
    c = _customer(desk)
    email = desk.open_ticket(c, "email", channel="email", group="Support")
    desk.clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
    chat = desk.open_ticket(c, "chat", channel="chat", group="Support")
    desk.update_fields(chat, custom_fields={"x": 1})
    ordered = desk.queue("Support")
    due = {t.id: desk.sla_due(t) for t in ordered}
    assert [t.id for t in ordered] == sorted(
        [email.id, chat.id], key=lambda tid: (due[tid] is None, due[tid], tid)
    )
    assert due[chat.id] is not None
    assert due[email.id] is not None
    assert due[chat.id] < due[email.id]  # the chat promise is shorter: it goes first
    assert [t.id for t in ordered] == [chat.id, email.id]
    desk.set_agent_status(agent, "online")
    assert desk.queue("Support") == []


def test_tickets_without_sla_wait_behind_those_with_one(desk: Helpdesk) -> None:
    desk.configure_sla(
        {
            "policies": [
                {
                    "name": "chat",
                    "conditions": {"channel": ["chat"]},
                    "targets": {"first_response": "1h"},
                }
            ]
        }
    )
    c = _customer(desk)
    desk.add_agent("Ann", status="offline")
    web = desk.open_ticket(c, "web")
    desk.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
    chat = desk.open_ticket(c, "chat", channel="chat")
    assert [t.id for t in desk.queue()] == [chat.id, web.id]


def test_capacity_freed_by_solving_routes_the_next_waiting_ticket(desk: Helpdesk) -> None:
    ann = desk.add_agent("Ann", max_concurrent=1)
    c = _customer(desk)
    first = desk.open_ticket(c, "one")
    second = desk.open_ticket(c, "two")
    assert (first.assignee_id, second.assignee_id) == (ann.id, None)
    desk.reply(first, "done", author=ann, transition="solve")
    assert desk.get_ticket(second).assignee_id == ann.id
    assert desk.queue() == []
    kinds = [e.kind for e in desk.events(second)]
    assert kinds.count(ev.ASSIGNED) == 1
    assert kinds[-1] == ev.ASSIGNED


def test_unassigning_or_reopening_puts_a_ticket_back_in_its_queue(desk: Helpdesk) -> None:
    ann = desk.add_agent("Ann", max_concurrent=1)
    c = _customer(desk)
    t = desk.open_ticket(c, "one")
    desk.set_agent_status(ann, "away")
    desk.assign(t, None)
    assert [x.id for x in desk.queue()] == [t.id]
    assert desk.agent_load(ann) == 0
    desk.set_agent_status(ann, "online")
    assert desk.get_ticket(t).assignee_id == ann.id
    assert desk.queue() == []


def test_shift_start_is_routed_by_the_sweep() -> None:
    clock = FrozenClock(datetime(2026, 11, 2, 0, 30, tzinfo=UTC))  # 08:30 in Shanghai
    desk = Helpdesk(clock=clock, load_entrypoints=False)
    desk.add_shift(
        "day",
        calendar_from_dict({"timezone": "Asia/Shanghai", "hours": {"mon-fri": "09:00-18:00"}}),
    )
    ann = desk.add_agent("Ann", shift="day")
    t = desk.open_ticket(_customer(desk), "early bird")
    assert t.assignee_id is None
    assert not desk.is_available(ann)
    result = desk.sweep().results["routing"]
    assert result.assigned == 0
    assert result.waiting == 1
    assert result.next_shift_start == datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    clock.advance(timedelta(minutes=30))
    assert desk.is_available(ann)
    assert desk.sweep().results["routing"].assigned == 1
    assert desk.get_ticket(t).assignee_id == ann.id


def test_unknown_shift_means_unavailable(desk: Helpdesk) -> None:
    ann = desk.add_agent("Ann", shift="nights")
    assert not desk.is_available(ann)
    assert desk.open_ticket(_customer(desk), "x").assignee_id is None
    with pytest.raises(InvalidInput):
        desk.add_shift("", object())  # type: ignore[arg-type]


def test_bot_held_and_manual_desks_do_not_queue(tmp_path: Path) -> None:
    from helpdesk_kit.desk.settings import DeskSettings

    desk = Helpdesk(
        clock=FrozenClock(T0), load_entrypoints=False, settings=DeskSettings(auto_assign=False)
    )
    desk.add_agent("Ann")
    t = desk.open_ticket(_customer(desk), "x")
    assert t.assignee_id is None
    assert desk.queue() == []


class _Plugin:
    @hookimpl
    def register_routing_strategies(self, register):
        def most_free(context):
            best = max(context.candidates, key=lambda c: (c.free, c.agent.name), default=None)
            return None if best is None else best.agent.id

        register("most_free", most_free)


def test_plugins_register_strategies_that_groups_choose(desk: Helpdesk) -> None:
    plugged = Helpdesk(clock=FrozenClock(T0), plugins=[_Plugin()], load_entrypoints=False)
    assert "most_free" in plugged.routing_strategies
    plugged.add_group("G", routing="most_free")
    plugged.add_agent("Ann", groups=["G"], max_concurrent=2)
    bob = plugged.add_agent("Bob", groups=["G"], max_concurrent=5)
    assert plugged.open_ticket(_customer(plugged), "x", group="G").assignee_id == bob.id


def test_unknown_strategy_falls_back_to_least_loaded(desk: Helpdesk) -> None:
    desk.add_group("G", routing="no_such")
    ann = desk.add_agent("Ann", groups=["G"])
    assert desk.open_ticket(_customer(desk), "x", group="G").assignee_id == ann.id


def test_configure_routing_validates(desk: Helpdesk) -> None:
    with pytest.raises(InvalidInput):
        desk.configure_routing(batch_size=0)
    with pytest.raises(InvalidInput):
        desk.configure_routing(vip={"tiers": ["vip"], "colour": "gold"})
    cfg = desk.configure_routing(vip={"tiers": ["vip"], "group": "VIP"})
    assert cfg.vip is not None
    assert cfg.vip.group == "VIP"
    assert "routing" in desk.sweep().results


def test_route_waiting_for_one_group(desk: Helpdesk) -> None:
    desk.add_group("A")
    desk.add_group("B")
    a = desk.add_agent("Ann", groups=["A", "B"], status="offline")
    c = _customer(desk)
    ta = desk.open_ticket(c, "a", group="A")
    tb = desk.open_ticket(c, "b", group="B")
    with desk.storage.unit_of_work() as uow:  # online without the command: no trigger ran
        uow.agents.update(attrs.evolve(uow.agents.get(a.id), status=AgentStatus.ONLINE))
        uow.commit()
    result = desk.route_waiting(group="A")
    assert result.assigned == 1
    assert result.groups == {"A": 1}
    assert desk.get_ticket(ta).assignee_id == a.id
    assert desk.get_ticket(tb).assignee_id is None
    assert desk.route_waiting().assigned == 1


def test_routing_rebuild_requeues_open_unassigned_tickets(desk: Helpdesk) -> None:
    c = _customer(desk)
    t = desk.open_ticket(c, "x")
    with desk.storage.unit_of_work() as uow:
        uow.routing.dequeue([t.id])
        uow.commit()
    assert desk.queue() == []
    assert desk.routing_rebuild() == 1
    assert [x.id for x in desk.queue()] == [t.id]


def test_moving_a_waiting_ticket_to_another_group_routes_it_there(desk: Helpdesk) -> None:
    desk.add_group("A")
    desk.add_group("B")
    bob = desk.add_agent("Bob", groups=["B"])
    t = desk.open_ticket(_customer(desk), "x", group="A")
    assert t.assignee_id is None
    assert desk.queue_length("A") == 1
    desk.assign(t, None, group="B")
    assert desk.get_ticket(t).assignee_id == bob.id  # routed in the same command
    assert desk.queue_length("A") == 0
    assert desk.queue_length("B") == 0
