"""Several sweepers in separate processes on one database: every time rule fires once."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest

from helpdesk_kit.clock import FrozenClock
from helpdesk_kit.desk import DeskSettings, Helpdesk
from helpdesk_kit.tickets import events as ev

from ._automation_workers import RULES, T0, sweep_worker

SPAWN = multiprocessing.get_context("spawn")
TICKETS = 40


@pytest.fixture(params=["sqlite", "postgresql"])
def rules_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database with TICKETS unassigned tickets opened at T0 under the rules."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'rules.db'}"
    else:
        from helpdesk_kit.storage.sql import SqlStorage
        from helpdesk_kit.storage.sql.isolation import wipe

        url = request.getfixturevalue("helpdesk_postgres_url")
        storage = SqlStorage(url)
        wipe(storage)
        storage.close()
    settings = DeskSettings(auto_assign=False)
    with Helpdesk.from_url(
        url, clock=FrozenClock(T0), settings=settings, load_entrypoints=False
    ) as desk:
        desk.configure_automation(RULES)
        for n in range(TICKETS):
            customer = desk.add_customer(f"c{n}", email=f"c{n}@example.com")
            desk.open_ticket(customer, f"ticket {n}", "hello")
    return url


def _fired(url: str) -> Counter[tuple[str, str]]:
    seen: Counter[tuple[str, str]] = Counter()
    with Helpdesk.from_url(url, load_entrypoints=False) as desk:
        for t in desk.list_tickets(limit=1000).items:
            for e in desk.events(t):
                if e.kind == ev.AUTOMATION_FIRED:
                    seen[(t.id, e.data["rule"])] += 1
    return seen


def test_sweepers_in_processes_fire_each_rule_once(rules_url: str) -> None:
    first = (T0 + timedelta(hours=1)).isoformat()
    with ProcessPoolExecutor(3, mp_context=SPAWN) as pool:
        futures = [pool.submit(sweep_worker, rules_url, first, 300, 4) for _ in range(3)]
        results = [f.result(timeout=300) for f in futures]
    seen = _fired(rules_url)
    assert max(seen.values()) == 1
    assert {rule for _, rule in seen} == {"unassigned-1h"}
    assert len(seen) == TICKETS
    assert sum(fired for _, fired in results) == TICKETS


def test_sweepers_stealing_expired_claims_fire_each_rule_once(rules_url: str) -> None:
    """Claims expire at once (a 1 s lease, later sweeps): workers fight over the same tickets."""
    times = [T0 + timedelta(hours=5, seconds=n) for n in range(4)]
    with ProcessPoolExecutor(4, mp_context=SPAWN) as pool:
        futures = [pool.submit(sweep_worker, rules_url, t.isoformat(), 1, 3) for t in times]
        results = [f.result(timeout=300) for f in futures]
    seen = _fired(rules_url)
    assert max(seen.values()) == 1
    assert len(seen) == 2 * TICKETS
    assert sum(fired for _, fired in results) == 2 * TICKETS
