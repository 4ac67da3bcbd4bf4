"""Automation benchmarks.

Section ``event``: the cost of event rules on intake. Opens ``--tickets`` tickets (each with
a customer message) on a desk without automation (the baseline, same run) and on one with
``--rules`` event rules (text, tier and tag conditions; a tenth of them match and act), on
memory and on SQLite. Prints milliseconds per ticket and the ratio to the baseline.

Section ``sweep``: ``--tickets`` tickets of which 1 % enter a time rule's condition; times
one sweep after the deadline (it claims only the due tickets) and a sweep when nothing is
due, on SQLite, and prints how many tickets each claimed.

Run::

    PYTHONPATH=src python benchmarks/automation.py                       # every section
    PYTHONPATH=src python benchmarks/automation.py --only event --tickets 500 --rules 50
    PYTHONPATH=src python benchmarks/automation.py --only sweep --tickets 5000
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time as timer
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

try:
    import helpdesk_kit  # noqa: F401
except ImportError:  # running from a checkout without PYTHONPATH=src
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from helpdesk_kit.clock import FrozenClock
from helpdesk_kit.desk import Helpdesk
from helpdesk_kit.storage.memory import MemoryStorage
from helpdesk_kit.storage.sql import SqlStorage

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
WORDS = ["投诉", "律师", "12315", "refund", "lawyer", "发票", "退款", "invoice", "broken", "快递"]


def _event_rules(count: int, *, acting_share: bool = True) -> dict[str, Any]:
    rules = []
    for i in range(count):
        acting = acting_share and i % 10 == 0
        when: Any = (
            {"field": "message.text", "op": "any_of", "value": [WORDS[i % len(WORDS)]]}
            if acting
            else {
                "all": [
                    {"field": "customer.tier", "op": "eq", "value": f"tier{i}"},
                    {"field": "ticket.tags", "op": "contains", "value": f"tag{i}"},
                ]
            }
        )
        rules.append(
            {
                "name": f"rule-{i}",
                "on": ["ticket.created", "message.received", "ticket.updated"],
                "when": when,
                "actions": [{"action": "add_tag", "tags": f"hit-{i}"}],
            }
        )
    return {"event_rules": rules}


def _open_many(desk: Helpdesk, count: int) -> float:
    customer = desk.add_customer("Bench", email="bench@example.cn")
    start = timer.perf_counter()
    for n in range(count):
        desk.open_ticket(customer, f"订单 {n}", f"我的快递坏了，要退款 {WORDS[n % len(WORDS)]}")
    return timer.perf_counter() - start


def _storage(kind: str, folder: Path, name: str) -> Any:
    if kind == "memory":
        return MemoryStorage()
    return SqlStorage(f"sqlite:///{folder / name}.db")


def bench_event(args: argparse.Namespace) -> None:
    """Intake with and without event rules."""
    print(f"== event rules: {args.tickets} tickets, {args.rules} rules")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for kind in ("memory", "sqlite"):
            base = Helpdesk(_storage(kind, folder, "base"), FrozenClock(T0), load_entrypoints=False)
            baseline = _open_many(base, args.tickets)
            base.close()
            for label, acting in (("no rule matches", False), ("1 in 10 acts", True)):
                desk = Helpdesk(
                    _storage(kind, folder, f"rules{acting}"),
                    FrozenClock(T0),
                    load_entrypoints=False,
                )
                desk.configure_automation(_event_rules(args.rules, acting_share=acting))
                with_rules = _open_many(desk, args.tickets)
                desk.close()
                per_base = baseline / args.tickets * 1000
                per_rules = with_rules / args.tickets * 1000
                print(
                    f"{kind:7s} baseline {per_base:7.3f} ms/ticket · {label:15s} "
                    f"{per_rules:7.3f} ms/ticket · ratio {with_rules / baseline:5.2f}"
                )


def bench_sweep(args: argparse.Namespace) -> None:
    """One sweep over many tickets with 1 % due."""
    print(f"== time-rule sweep: {args.tickets} tickets, 1 % due (SQLite)")
    with tempfile.TemporaryDirectory() as tmp:
        clock = FrozenClock(T0)
        desk = Helpdesk(
            SqlStorage(f"sqlite:///{Path(tmp) / 'sweep.db'}"), clock, load_entrypoints=False
        )
        desk.configure_automation(
            {
                "time_rules": [
                    {
                        "name": "flagged-1h",
                        "when": {"field": "ticket.tags", "op": "contains", "value": "flag"},
                        "after": "1h",
                        "actions": [{"action": "add_tag", "tags": "late"}],
                    }
                ]
            }
        )
        customer = desk.add_customer("Bench", email="bench@example.cn")
        start = timer.perf_counter()
        for n in range(args.tickets):
            tags = ["flag"] if n % 100 == 0 else []
            desk.open_ticket(customer, f"t{n}", "x", tags=tags)
        setup = timer.perf_counter() - start
        print(f"set-up: {setup:.1f} s ({setup / args.tickets * 1000:.2f} ms/ticket)")

        def timed(label: str, fn: Callable[[], Any]) -> None:
            begin = timer.perf_counter()
            result = fn()
            took = (timer.perf_counter() - begin) * 1000
            auto = result.results["automation"]
            print(f"{label:28s} {took:9.1f} ms · claimed {auto.tickets} · fired {auto.fired}")

        timed("sweep, nothing due", desk.sweep)
        clock.advance(timedelta(hours=2))
        timed("sweep, 1 % due", desk.sweep)
        timed("sweep again (nothing due)", desk.sweep)
        desk.close()


SECTIONS: dict[str, Callable[[argparse.Namespace], None]] = {
    "event": bench_event,
    "sweep": bench_sweep,
}


def main(argv: list[str] | None = None) -> int:
    """Run the chosen sections."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(SECTIONS), action="append")
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--rules", type=int, default=20)
    args = parser.parse_args(argv)
    print(f"python {platform.python_version()} on {platform.machine()}")
    for name in args.only or list(SECTIONS):
        SECTIONS[name](args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
