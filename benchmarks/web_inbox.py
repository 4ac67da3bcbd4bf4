"""Inbox page render times of the agent workspace with 100,000 tickets on SQLite.

The desk is loaded in bulk (``Helpdesk.import_messages``, as ``benchmarks/ingest.py``
does), then a fixed share of the tickets is assigned to the benchmark agent, put in its
group or left unassigned, and some get SLA timers that run out within the hour (one SQL
``UPDATE`` each: the set-up is not what is measured). Each view is then requested through
the whole app (routing, session check, queries, Jinja2 rendering) with Starlette's test
client: the first page and pages further down the keyset cursors. Baseline, measured in
the same run: the bare storage query behind each view's page (``Helpdesk.list_tickets`` with
the view's filter and ``limit=25``; for ``at_risk`` the SLA timers' ``upcoming``).

    PYTHONPATH=src python benchmarks/web_inbox.py [--tickets 100000] [--pages 20] [--db PATH]
        [--suggested-indexes]

``--suggested-indexes`` first adds two indexes the schema does not have yet,
``tickets (assignee_id, created_at, id)`` and ``tickets (group_id, created_at, id)``, and
runs ``ANALYZE``: the views' keyset order then comes straight from an index instead of a
sort of every open ticket of the view (see the report of the web branch).

``run(...)`` returns the figures as a dict, for ``benchmarks/web.py`` to call.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from helpdesk_kit.desk import DeskSettings, Helpdesk
from helpdesk_kit.sla import SlaPolicy, SlaTarget
from helpdesk_kit.storage.base import TicketFilter
from helpdesk_kit.storage.sql import SqlStorage
from helpdesk_kit.tickets.model import Identity, InboundMessage
from helpdesk_kit.web.inbox import active_statuses

CUSTOMERS = 2000
PASSWORD = "bench-pass"
_NEXT = re.compile(r'rel="next" href="\?after=([^"&]+)')
_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def _messages(n: int) -> Iterator[InboundMessage]:
    for i in range(n):
        yield InboundMessage(
            channel=("chat", "email", "web", "phone")[i % 4],
            sender=Identity("email", f"customer{i % CUSTOMERS}@example.com"),
            sender_name=f"Customer {i % CUSTOMERS}",
            subject=f"Order SO-{i} has not arrived",
            text=f"Hello, my order SO-{i} has not arrived yet. 谢谢",
            external_id=f"<bench{i}@mail.example>",
        )


def build(path: Path, tickets: int) -> tuple[Helpdesk, dict[str, str]]:
    """A SQLite desk with ``tickets`` tickets spread over the inbox views."""
    desk = Helpdesk(
        SqlStorage(f"sqlite:///{path}"),
        settings=DeskSettings(auto_assign=False),
        load_entrypoints=False,
    )
    desk.configure_sla(
        [SlaPolicy("all", {}, "24x7", {"first_response": SlaTarget(timedelta(hours=4))})]
    )
    group = desk.add_group("sales")
    agent = desk.add_agent("Bench Agent", groups=["sales"])
    desk.import_messages(_messages(tickets), batch_size=5000)
    storage = desk.storage
    assert isinstance(storage, SqlStorage)
    now = desk.now()
    soon = (now + timedelta(minutes=30)).isoformat()
    with storage.engine.begin() as conn:
        from sqlalchemy import text

        # 1 in 10 mine, 3 in 10 the group's (unassigned), the rest unassigned, no group
        conn.execute(
            text("UPDATE tickets SET assignee_id = :a, group_id = :g WHERE number % 10 = 0"),
            {"a": agent.id, "g": group.id},
        )
        conn.execute(
            text("UPDATE tickets SET group_id = :g WHERE number % 10 IN (1, 2, 3)"),
            {"g": group.id},
        )
    # SLA timers: a set of tickets with a first response due within the hour
    _at_risk_timers(desk, soon)
    return desk, {"agent": agent.id, "group": group.id}


def _at_risk_timers(desk: Helpdesk, due_iso: str) -> None:
    from datetime import datetime

    from helpdesk_kit.sla.timers import SlaTimer

    due = datetime.fromisoformat(due_iso)
    page = desk.list_tickets(TicketFilter(assignee_id=""), limit=200)
    timers = [
        SlaTimer(
            ticket_id=t.id,
            metric="first_response",
            started_at=t.created_at,
            resumed_at=t.created_at,
            target=timedelta(hours=4),
            due_at=due + timedelta(seconds=i),
            warn_at=due,
        )
        for i, t in enumerate(page.items)
    ]
    with desk.storage.unit_of_work() as uow:
        uow.sla.save(timers)
        uow.commit()


def _client(desk: Helpdesk, agent_id: str) -> Any:
    from starlette.testclient import TestClient

    from helpdesk_kit.web import SimpleAuth, SimpleUser, WebSettings, create_app, hash_password

    auth = SimpleAuth({"bench": SimpleUser(hash_password(PASSWORD), {"agent"}, agent_id)})
    app = create_app(desk, auth, settings=WebSettings(secret_key="b" * 32, rate_burst=10**6))
    client = TestClient(app, follow_redirects=False)
    token = _CSRF.search(client.get("/login").text)
    assert token
    r = client.post(
        "/login",
        data={"login": "bench", "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert r.status_code == 303, r.text
    return client


def _upcoming(desk: Helpdesk) -> Any:
    with desk.storage.unit_of_work() as uow:
        return uow.sla.upcoming(desk.now() + timedelta(hours=1), limit=104)


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return {
        "n": len(samples),
        "median_ms": round(statistics.median(samples), 2),
        "p95_ms": round(p95, 2),
    }


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return (time.perf_counter() - start) * 1000, out


SUGGESTED_INDEXES = (
    "CREATE INDEX IF NOT EXISTS ix_tickets_assignee_id_created_at_id"
    " ON tickets (assignee_id, created_at, id)",
    "CREATE INDEX IF NOT EXISTS ix_tickets_group_id_created_at_id"
    " ON tickets (group_id, created_at, id)",
    "ANALYZE",
)


def run(
    tickets: int = 100_000,
    pages: int = 20,
    db: Path | None = None,
    *,
    suggested_indexes: bool = False,
) -> dict[str, Any]:
    """Build (or reuse) the desk and time the inbox views; the figures as a dict."""
    tmp = None
    if db is None:
        tmp = tempfile.TemporaryDirectory()
        db = Path(tmp.name) / "inbox.db"
    fresh = not db.exists()
    t0 = time.perf_counter()
    if fresh:
        desk, ids = build(db, tickets)
    else:
        desk = Helpdesk(SqlStorage(f"sqlite:///{db}"), load_entrypoints=False)
        agent = next(a for a in desk.agents() if a.name == "Bench Agent")
        ids = {"agent": agent.id, "group": next(iter(agent.groups))}
    load_s = time.perf_counter() - t0
    if suggested_indexes:
        from sqlalchemy import text

        storage = desk.storage
        assert isinstance(storage, SqlStorage)
        with storage.engine.begin() as conn:
            for statement in SUGGESTED_INDEXES:
                conn.execute(text(statement))
    total = desk.count_tickets()
    client = _client(desk, ids["agent"])
    results: dict[str, Any] = {
        "tickets": total,
        "load_s": round(load_s, 1),
        "suggested_indexes": suggested_indexes,
        "views": {},
    }
    for view in ("mine", "group", "unassigned", "at_risk"):
        client.get(f"/desk/inbox/{view}")  # warm up
        first: list[float] = []
        for _ in range(pages):
            ms, r = _timed(lambda v=view: client.get(f"/desk/inbox/{v}"))
            assert r.status_code == 200, r.text[:300]
            first.append(ms)
        deep: list[float] = []
        cursor = _NEXT.search(r.text)
        while cursor and len(deep) < pages:
            url = f"/desk/inbox/{view}?after={cursor.group(1)}"
            ms, r = _timed(lambda u=url: client.get(u))
            assert r.status_code == 200, r.text[:300]
            deep.append(ms)
            cursor = _NEXT.search(r.text)
        rows = len(re.findall(r'<td class="subject">', r.text))
        results["views"][view] = {
            "first_page": _stats(first),
            "next_pages": _stats(deep) if deep else None,
            "rows_per_page": rows,
        }
    # baseline: the bare storage query behind each view's first page, in the same run
    statuses = active_statuses(desk)
    agent = desk.get_agent(ids["agent"])
    filters = {
        "mine": TicketFilter(status=statuses, assignee_id=agent.id),
        "group": TicketFilter(status=statuses, group_id=ids["group"]),
        "unassigned": TicketFilter(status=statuses, assignee_id=""),
    }
    for view, figures in results["views"].items():
        base: list[float] = []
        for _ in range(pages):
            if view == "at_risk":
                ms, _found = _timed(lambda: _upcoming(desk))
            else:
                ms, _found = _timed(lambda f=filters[view]: desk.list_tickets(f, limit=25))
            base.append(ms)
        figures["bare_query"] = _stats(base)
        figures["ratio_to_bare_query"] = round(
            figures["first_page"]["median_ms"] / figures["bare_query"]["median_ms"], 1
        )
    desk.close()
    if tmp is not None:
        tmp.cleanup()
    return results


def main() -> None:
    """Command line: print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--db", type=Path, default=None, help="keep (or reuse) the SQLite file")
    parser.add_argument("--suggested-indexes", action="store_true")
    args = parser.parse_args()
    figures = run(args.tickets, args.pages, args.db, suggested_indexes=args.suggested_indexes)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
