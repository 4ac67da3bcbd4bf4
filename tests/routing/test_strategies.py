"""Routing strategies and availability as pure functions, against brute-force oracles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpdesk_kit.errors import InvalidDefinition
from helpdesk_kit.routing import (
    Candidate,
    RoutingContext,
    VipRule,
    is_available,
    least_loaded,
    next_change,
    queue_key,
    round_robin,
    skill_match,
    skills,
    sticky,
    vip_first,
)
from helpdesk_kit.sla.calendar import BusinessCalendar
from helpdesk_kit.sla.config import calendar_from_dict
from helpdesk_kit.tickets.model import Agent, Priority, Ticket

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday


def _ticket(**kw: object) -> Ticket:
    return Ticket(1, "s", "c1", "web", "new", created_at=T0, updated_at=T0, **kw)  # type: ignore[arg-type]


def _agent(name: str, n: int, **kw: object) -> Agent:
    return Agent(name, id=f"a{n:02}", status="online", **kw)  # type: ignore[arg-type]


def _ctx(cands: list[Candidate], **kw: object) -> RoutingContext:
    return RoutingContext(_ticket(), cands, **kw)  # type: ignore[arg-type]


def test_least_loaded_uses_load_relative_to_capacity() -> None:
    ann = Candidate(_agent("Ann", 1, max_concurrent=10), 4)  # 40%
    bob = Candidate(_agent("Bob", 2, max_concurrent=2), 1)  # 50%
    assert least_loaded(_ctx([ann, bob])) == "a01"
    assert least_loaded(_ctx([])) is None


@given(st.lists(st.tuples(st.integers(1, 5), st.integers(0, 4)), min_size=1, max_size=8))
def test_least_loaded_matches_oracle(specs: list[tuple[int, int]]) -> None:
    cands = [
        Candidate(_agent(f"A{i}", i, max_concurrent=cap), min(load, cap - 1))
        for i, (cap, load) in enumerate(specs)
    ]
    chosen = least_loaded(_ctx(cands))
    best = min(c.load / c.agent.max_concurrent for c in cands)
    winner = next(c for c in cands if c.agent.id == chosen)
    assert winner.load / winner.agent.max_concurrent == best


def test_round_robin_goes_round_by_agent_id() -> None:
    cands = [Candidate(_agent(n, i, max_concurrent=5), 0) for i, n in enumerate("ABC")]
    order = []
    pointer = None
    for _ in range(7):
        pointer = round_robin(_ctx(cands, pointer=pointer))
        order.append(pointer)
    assert order == ["a00", "a01", "a02", "a00", "a01", "a02", "a00"]
    # an agent missing from the candidates (busy, offline) is passed over
    assert round_robin(_ctx(cands[:1] + cands[2:], pointer="a00")) == "a02"


def test_skill_match_checks_category_and_language() -> None:
    agent = Agent("Ann", skills=["Billing"], languages=["zh", "en"])
    assert skill_match(agent, _ticket(category="billing", language="zh-CN"))
    assert not skill_match(agent, _ticket(category="shipping"))
    assert not skill_match(agent, _ticket(language="ja"))
    assert skill_match(agent, _ticket())
    assert not skill_match(Agent("Bob"), _ticket(language="en"))


def test_skills_strategy_picks_least_loaded_match_or_nobody() -> None:
    ann = Candidate(_agent("Ann", 1, skills=["billing"], languages=["zh"]), 3)
    bob = Candidate(_agent("Bob", 2, skills=["billing"], languages=["zh"]), 1)
    eve = Candidate(_agent("Eve", 3, skills=["shipping"], languages=["zh"]), 0)
    t = _ticket(category="billing", language="zh")
    assert skills(RoutingContext(t, [ann, bob, eve])) == "a02"
    assert skills(RoutingContext(t, [eve])) is None


def test_sticky_prefers_the_last_agent_when_a_candidate() -> None:
    ann = Candidate(_agent("Ann", 1), 5)
    bob = Candidate(_agent("Bob", 2), 0)
    assert sticky(_ctx([ann, bob], last_agent_id="a01")) == "a01"
    assert sticky(_ctx([bob], last_agent_id="a01")) == "a02"
    assert sticky(_ctx([ann, bob])) == "a02"


def test_vip_first_prefers_vip_skilled_agents_for_vips() -> None:
    ann = Candidate(_agent("Ann", 1, skills=["vip"]), 5)
    bob = Candidate(_agent("Bob", 2), 0)
    assert vip_first(_ctx([ann, bob], vip=True)) == "a01"
    assert vip_first(_ctx([ann, bob], vip=False)) == "a02"
    assert vip_first(_ctx([bob], vip=True)) == "a02"


def test_vip_rule_validates_and_matches_tiers() -> None:
    rule = VipRule(["VIP", "gold"], priority="urgent", group="VIP")
    assert rule.applies("vip")
    assert rule.applies("Gold")
    assert not rule.applies("standard")
    assert rule.priority is Priority.URGENT
    with pytest.raises(InvalidDefinition) as info:
        VipRule([], group=" ")
    assert len(info.value.problems) == 2


def test_queue_key_puts_rank_then_due_then_arrival() -> None:
    later = T0 + timedelta(hours=1)
    keys = [
        queue_key(1, None, T0, "a"),
        queue_key(1, later, T0, "b"),
        queue_key(1, T0, later, "c"),
        queue_key(0, None, later, "d"),
    ]
    assert [k[3] for k in sorted(keys)] == ["d", "c", "b", "a"]


def _day_shift() -> BusinessCalendar:
    return calendar_from_dict({"timezone": "Asia/Shanghai", "hours": {"mon-fri": "09:00-18:00"}})


def test_availability_needs_online_and_an_open_shift() -> None:
    shifts = {"day": _day_shift()}
    noon_cn = datetime(2026, 11, 2, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai, Monday
    night_cn = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)  # 22:00
    on = Agent("Ann", status="online", shift="day")
    assert is_available(on, noon_cn, shifts)
    assert not is_available(on, night_cn, shifts)
    assert not is_available(Agent("Bob", status="away"), noon_cn, shifts)
    assert not is_available(Agent("Eve", status="online", shift="night"), noon_cn, shifts)
    assert is_available(Agent("Zed", status="online"), night_cn, shifts)
    assert not is_available(Agent("Cap", status="online", max_concurrent=0), noon_cn, shifts)
    assert next_change([on], night_cn, shifts) == datetime(2026, 11, 3, 1, 0, tzinfo=UTC)
    assert next_change([on], noon_cn, shifts) is None
