"""Concurrent requests never slip under a limit together (SQLite and PostgreSQL)."""

import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from helpdesk_kit import FrozenClock, Helpdesk
from helpdesk_kit.authority import Money
from helpdesk_kit.plugins import hookimpl
from helpdesk_kit.storage.sql import SqlStorage
from helpdesk_kit.storage.sql.authority import SqlAuthority

from ._authority_workers import POLICY, T0, SlowPayments, request_worker


@pytest.fixture(params=["sqlite", "postgresql"])
def sql_url(request, tmp_path: Path) -> str:
    """An empty, migrated database of each SQL kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'desk.db'}"
        SqlStorage(url).close()
        return url
    from helpdesk_kit.storage.sql.isolation import wipe

    url = request.getfixturevalue("helpdesk_postgres_url")
    storage = SqlStorage(url)
    wipe(storage)
    storage.close()
    return url


def _setup(url):
    with Helpdesk.from_url(url, clock=FrozenClock(T0), load_entrypoints=False) as desk:
        agent = desk.add_agent("Ann", status="offline")
        ticket = desk.open_ticket(desk.add_customer("c", email="c@x.cn"), "refund")
    return agent, ticket


def _race(url, agent, ticket, amount, plugin):
    """Two desks (as two app processes would have) request at the same moment."""
    start = threading.Barrier(2)
    results = []

    def request():
        with Helpdesk.from_url(
            url, clock=FrozenClock(T0), plugins=[plugin], load_entrypoints=False
        ) as desk:
            desk.configure_authority(POLICY)
            start.wait()
            req = desk.request_action(ticket, "refund", amount=Money(amount, "CNY"), actor=agent)
            results.append(req.status.value)

    threads = [threading.Thread(target=request) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(results)


def test_two_requests_at_once_do_not_both_pass(sql_url):
    agent, ticket = _setup(sql_url)
    assert _race(sql_url, agent, ticket, 150, SlowPayments(delay=0.3)) == [
        "executed",
        "pending",
    ]


def test_without_the_lock_postgresql_would_let_both_pass(request, monkeypatch):
    """The control: without SqlAuthority.lock both checks read the window before either
    stores its request (they meet inside the check), and 300 CNY get through."""
    from helpdesk_kit.storage.sql.isolation import wipe

    url = request.getfixturevalue("helpdesk_postgres_url")
    storage = SqlStorage(url)
    wipe(storage)
    storage.close()
    monkeypatch.setattr(SqlAuthority, "lock", lambda self, requested_by, action: None)
    agent, ticket = _setup(url)
    meet = threading.Barrier(2)
    assert _race(url, agent, ticket, 150, SlowPayments(delay=0, meet=meet)) == [
        "executed",
        "executed",
    ]


def test_several_processes_stay_within_the_limit(request):
    """Three processes, three 40 CNY refunds each: exactly five fit under 200 CNY."""
    from helpdesk_kit.storage.sql.isolation import wipe

    url = request.getfixturevalue("helpdesk_postgres_url")
    storage = SqlStorage(url)
    wipe(storage)
    storage.close()
    agent, ticket = _setup(url)
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(3, mp_context=spawn) as pool:
        runs = [pool.submit(request_worker, url, ticket.id, agent.id, 3, 40) for _ in range(3)]
        statuses = [s for run in runs for s in run.result(timeout=120)]
    assert sorted(statuses) == ["executed"] * 5 + ["pending"] * 4
    with Helpdesk.from_url(url, load_entrypoints=False) as desk:
        executed = desk.authority_requests(status="executed")
        assert sum(r.amount.amount for r in executed) == 200


class CountingMeet(SlowPayments):
    def __init__(self, meet):
        super().__init__(delay=0, meet=meet)
        self.checks = 0

    @hookimpl
    def check_authority(self, desk, actor, action, amount, ticket):
        self.checks += 1
        return super().check_authority(desk, actor, action, amount, ticket)


def test_two_actors_on_one_ticket_at_once_neither_waits_nor_retries(sql_url):
    """Different actors are not serialized; their requests on one ticket both go through
    without a deadlock (no retry: the limit check ran exactly twice)."""
    agent, ticket = _setup(sql_url)
    with Helpdesk.from_url(sql_url, clock=FrozenClock(T0), load_entrypoints=False) as desk:
        other = desk.add_agent("Bo", status="offline")
    if sql_url.startswith("sqlite"):
        plugin = SlowPayments(delay=0)  # SQLite runs one writer at a time: no meeting
    else:
        plugin = CountingMeet(threading.Barrier(2))
    start = threading.Barrier(2)
    results = []

    def request(actor):
        with Helpdesk.from_url(
            sql_url, clock=FrozenClock(T0), plugins=[plugin], load_entrypoints=False
        ) as desk:
            desk.configure_authority(POLICY)
            start.wait()
            req = desk.request_action(ticket, "refund", amount=Money(150, "CNY"), actor=actor)
            results.append(req.status.value)

    threads = [threading.Thread(target=request, args=(a,)) for a in (agent, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["executed", "executed"]
    if isinstance(plugin, CountingMeet):
        assert plugin.checks == 2
