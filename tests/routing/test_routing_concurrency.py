"""Several processes routing one database at once (SQLite file and PostgreSQL).

No agent ever holds more open tickets than their capacity, no ticket is routed twice, and
every open unassigned ticket waits in exactly one queue.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from concurrent.futures import ProcessPoolExecutor

import attrs

from helpdesk_kit.clock import FrozenClock
from helpdesk_kit.desk import Helpdesk
from helpdesk_kit.storage.base import TicketFilter
from helpdesk_kit.tickets import events as ev
from helpdesk_kit.tickets.model import AgentStatus

from ._routing_workers import T0, route_worker, solve_worker

SPAWN = multiprocessing.get_context("spawn")


def _check(url: str) -> tuple[dict[str, int], list[str]]:
    with Helpdesk.from_url(url, clock=FrozenClock(T0), load_entrypoints=False) as desk:
        agents = desk.agents()
        tickets = list(desk._iter_tickets(TicketFilter()))
        open_ = [t for t in tickets if t.status not in ("solved", "closed")]
        held = Counter(t.assignee_id for t in open_ if t.assignee_id)
        for a in agents:
            assert held[a.id] <= a.max_concurrent, (a.name, held[a.id])
            assert desk.agent_load(a) == held[a.id]
        for t in tickets:
            routed = [e for e in desk.events(t) if e.kind == ev.ASSIGNED]
            assert len(routed) <= 1, f"{t.ref} was assigned {len(routed)} times"
        waiting = sorted(t.id for t in open_ if t.assignee_id is None)
        assert sorted(t.id for t in desk.queue("G")) == waiting
        return {a.name: held[a.id] for a in agents}, [t.id for t in open_ if t.assignee_id]


def test_four_processes_route_one_queue(sql_url: str) -> None:
    with Helpdesk.from_url(sql_url, clock=FrozenClock(T0), load_entrypoints=False) as desk:
        desk.add_group("G", routing="round_robin")
        agents = [
            desk.add_agent(f"A{n}", groups=["G"], max_concurrent=3, status="offline")
            for n in range(4)
        ]
        customer = desk.add_customer("load", email="load@example.com")
        for n in range(30):
            desk.open_ticket(customer, f"t{n}", "hi", group="G")
        assert desk.queue_length("G") == 30
        # online behind the desk's back: no trigger routes, the workers race for the queue
        with desk.storage.unit_of_work() as uow:
            for a in agents:
                uow.agents.update(attrs.evolve(a, status=AgentStatus.ONLINE))
            uow.commit()
    with ProcessPoolExecutor(4, mp_context=SPAWN) as pool:
        futures = [pool.submit(route_worker, sql_url, seed, 12) for seed in range(4)]
        assigned = sum(f.result(timeout=300) for f in futures)
    loads, held = _check(sql_url)
    assert assigned <= 12  # the rest went to new tickets routed on arrival
    assert sum(loads.values()) == 12
    assert all(v == 3 for v in loads.values()), loads

    # solving in several processes frees capacity, which routes the next waiting tickets
    with ProcessPoolExecutor(3, mp_context=SPAWN) as pool:
        futures = [pool.submit(solve_worker, sql_url, held[n::3]) for n in range(3)]
        assert sum(f.result(timeout=300) for f in futures) == 12
    loads, _ = _check(sql_url)
    assert all(v == 3 for v in loads.values()), loads
