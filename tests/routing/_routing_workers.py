"""Code run in child processes by the routing concurrency tests (spawned)."""

from __future__ import annotations

import random
from datetime import UTC, datetime

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def route_worker(url: str, seed: int, rounds: int) -> int:
    """Open tickets and route waiting ones, interleaved; return how many it assigned."""
    from helpdesk_kit.clock import FrozenClock
    from helpdesk_kit.desk import Helpdesk

    rnd = random.Random(seed)
    assigned = 0
    with Helpdesk.from_url(url, clock=FrozenClock(T0), load_entrypoints=False) as desk:
        customer = desk.find_customer("email", "load@example.com")
        assert customer is not None
        for n in range(rounds):
            if rnd.random() < 0.4:
                desk.retry(
                    lambda n=n: desk.open_ticket(customer, f"w{seed}-{n}", "hi", group="G"),
                    attempts=20,
                )
            assigned += desk.route_waiting().assigned
    return assigned


def solve_worker(url: str, ticket_ids: list[str]) -> int:
    """Solve these tickets (each frees capacity, which routes the next waiting ticket)."""
    from helpdesk_kit.clock import FrozenClock
    from helpdesk_kit.desk import Helpdesk

    with Helpdesk.from_url(url, clock=FrozenClock(T0), load_entrypoints=False) as desk:
        for tid in ticket_ids:
            desk.retry(lambda tid=tid: desk.transition(tid, "solve"), attempts=20)
    return len(ticket_ids)
