"""Several sweepers (and a replying agent) in separate processes: every notice exactly once."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from _sla_workers import T0, policies, reply_worker, sweep_worker

from helpdesk_kit.clock import FrozenClock
from helpdesk_kit.desk import DeskSettings, Helpdesk
from helpdesk_kit.tickets import events as ev

SPAWN = multiprocessing.get_context("spawn")
TICKETS = 60


@pytest.fixture(params=["sqlite", "postgresql"])
def sla_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database with TICKETS tickets opened at T0 under SLA."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'sla.db'}"
    else:
        from helpdesk_kit.storage.sql import SqlStorage
        from helpdesk_kit.storage.sql.isolation import wipe

        url = request.getfixturevalue("helpdesk_postgres_url")
        storage = SqlStorage(url)
        wipe(storage)
        storage.close()
    clock = FrozenClock(T0)
    settings = DeskSettings(auto_assign=False)
    with Helpdesk.from_url(url, clock=clock, settings=settings, load_entrypoints=False) as desk:
        desk.configure_sla(policies())
        desk.add_agent("Ann", status="offline")
        for n in range(TICKETS):
            customer = desk.add_customer(f"c{n}", email=f"c{n}@example.com")
            desk.open_ticket(customer, f"ticket {n}", "hello", channel="email")
    return url


def _notices(url: str) -> tuple[Counter[tuple[str, str, str, int]], list[str], str]:
    with Helpdesk.from_url(url, load_entrypoints=False) as desk:
        tickets = desk.list_tickets(limit=1000).items
        seen: Counter[tuple[str, str, str, int]] = Counter()
        for t in tickets:
            for e in desk.events(t):
                if e.kind in (ev.SLA_WARNING, ev.SLA_BREACHED):
                    seen[(t.id, e.kind, e.data["metric"], e.data["cycle"])] += 1
        agent = desk.agents()[0].id
    return seen, [t.id for t in tickets], agent


def test_sweepers_in_parallel_record_each_notice_once(sla_url: str) -> None:
    now = (T0 + timedelta(hours=2)).isoformat()
    with ProcessPoolExecutor(3, mp_context=SPAWN) as pool:
        futures = [pool.submit(sweep_worker, sla_url, now, 300, 4) for _ in range(3)]
        results = [f.result(timeout=300) for f in futures]
    seen, ids, _ = _notices(sla_url)
    assert max(seen.values()) == 1, "a notice was recorded twice"
    expected = {
        (tid, kind, "first_response", 1)
        for tid in ids
        for kind in (ev.SLA_WARNING, ev.SLA_BREACHED)
    }
    assert set(seen) == expected
    assert sum(r[1] + r[2] for r in results) == len(expected)
    assert sum(r[0] for r in results) >= TICKETS


def test_sweepers_stealing_expired_claims_and_an_agent_replying(sla_url: str) -> None:
    """Claims expire at once (a 1 s lease, later sweeps): workers fight over the same tickets."""
    _, ids, agent = _notices(sla_url)
    times = [T0 + timedelta(hours=9, seconds=n) for n in range(3)]  # every threshold passed
    with ProcessPoolExecutor(4, mp_context=SPAWN) as pool:
        futures = [pool.submit(sweep_worker, sla_url, t.isoformat(), 1, 3) for t in times]
        replier = pool.submit(reply_worker, sla_url, times[0].isoformat(), ids[::2], agent)
        for f in futures:
            f.result(timeout=300)
        assert replier.result(timeout=300) == len(ids[::2])
    seen, ids, _ = _notices(sla_url)
    assert max(seen.values()) == 1, "a notice was recorded twice"
    expected = {
        (tid, kind, metric, 1)
        for tid in ids
        for kind in (ev.SLA_WARNING, ev.SLA_BREACHED)
        for metric in ("first_response", "resolution")
    }
    assert set(seen) == expected
