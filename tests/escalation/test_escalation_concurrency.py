"""Several desks on one database (SQLite file, PostgreSQL) fire each level exactly once."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from helpdesk_kit import Helpdesk, Identity, InboundMessage
from helpdesk_kit.clock import FrozenClock
from helpdesk_kit.tickets import events as ev

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
POLICY = {
    "name": "p",
    "levels": [
        {"name": "one", "when": {"waiting": "1h"}, "actions": [{"action": "tag", "tags": ["a"]}]},
        {"name": "two", "when": {"waiting": "2h"}, "actions": ["raise_priority"]},
        {"name": "kw", "when": {"keywords": ["refund"]}, "actions": ["notify"]},
    ],
}
TICKETS = 30


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'esc.db'}"
    from helpdesk_kit.storage.sql import SqlStorage
    from helpdesk_kit.storage.sql.isolation import wipe

    pg_url: str = request.getfixturevalue("helpdesk_postgres_url")
    s = SqlStorage(pg_url)
    wipe(s)
    s.close()
    return pg_url


def _desk(url: str, clock: FrozenClock) -> Helpdesk:
    desk = Helpdesk.from_url(url, clock=clock, load_entrypoints=False)
    desk.configure_escalation(POLICY, batch_size=7, tickets_per_transaction=3)
    return desk


def test_sweepers_and_commands_in_parallel_fire_each_level_once(url: str) -> None:
    clock = FrozenClock(T0)
    setup = _desk(url, clock)
    customer = setup.add_customer("C", email="c@example.com")
    tickets = [setup.open_ticket(customer, f"T{i}", "where is it") for i in range(TICKETS)]
    setup.close()
    later = T0 + timedelta(hours=3)
    desks = [_desk(url, FrozenClock(later)) for _ in range(3)]

    def sweep(desk: Helpdesk) -> int:
        total = 0
        for _ in range(3):
            total += desk.sweep(later).results["escalation"].fired
        return total

    def receive(desk: Helpdesk) -> int:
        for t in tickets[::3]:
            desk.receive(
                InboundMessage(
                    channel="web",
                    sender=Identity("email", "c@example.com"),
                    text="refund please",
                    ticket_number=t.number,
                )
            )
        return 0

    with ThreadPoolExecutor(3) as pool:
        fired = list(pool.map(lambda d: sweep(d) if d is not desks[2] else receive(d), desks))
    # a restart: a new desk sweeping again finds nothing left to do
    again = _desk(url, FrozenClock(later))
    assert again.sweep(later).results["escalation"].fired == 0
    counts: Counter[tuple[str, str]] = Counter()
    for t in tickets:
        for e in again.events(t):
            if e.kind == ev.ESCALATION_FIRED:
                counts[(t.id, e.data["level"])] += 1
        levels = sorted(f.level for f in again.escalations(t))
        assert levels[:2] == ["one", "two"] or levels == ["kw", "one", "two"]
    assert set(counts.values()) == {1}
    # time levels fire in a sweep or in the command that touched the ticket; once either way
    assert sum(1 for (_t, level) in counts if level == "one") == TICKETS
    assert sum(1 for (_t, level) in counts if level == "two") == TICKETS
    assert sum(fired) <= 2 * TICKETS
    assert sum(1 for (_t, level) in counts if level == "kw") == len(tickets[::3])
    for d in [*desks, again]:
        d.close()


def test_two_desks_on_one_file_one_keyword_message_each(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'two.db'}"
    clock = FrozenClock(T0)
    a, b = _desk(url, clock), _desk(url, clock)
    customer = a.add_customer("C", email="c@example.com")
    t = a.open_ticket(customer, "T", "refund")
    inbound: Any = InboundMessage(
        channel="web",
        sender=Identity("email", "c@example.com"),
        text="refund!",
        ticket_number=t.number,
    )
    b.receive(inbound)
    assert [f.level for f in b.escalations(t)] == ["kw"]
    a.close()
    b.close()
