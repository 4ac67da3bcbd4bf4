"""``helpdesk-kit sweep``: do the desk's time-based work in a loop (auto-close, SLA, ...).

Safe to run in several processes against one database: SLA work is claimed through the
storage's ``due`` queue and every notice is recorded exactly once (see ``docs/sla.md``).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO

from helpdesk_kit.errors import HelpdeskError, InvalidInput

__all__ = [
    "ESCALATION_ENV",
    "RULES_ENV",
    "SHIFTS_ENV",
    "SLA_ENV",
    "add_parser",
    "configure_sweeps",
    "run_sweeps",
]

#: Where ``--sla`` is taken from when it is not given.
SLA_ENV = "HELPDESK_KIT_SLA"
#: Where ``--escalation`` is taken from when it is not given.
ESCALATION_ENV = "HELPDESK_KIT_ESCALATION"
#: Where ``--rules`` is taken from when it is not given.
RULES_ENV = "HELPDESK_KIT_RULES"
#: Where ``--shifts`` is taken from when it is not given.
SHIFTS_ENV = "HELPDESK_KIT_SHIFTS"

log = logging.getLogger("helpdesk_kit")


def add_parser(subparsers: Any) -> None:
    """Add ``sweep``."""
    parser = subparsers.add_parser(
        "sweep",
        help="run time-based work (auto-close, SLA warnings and breaches) in a loop",
        description="Run Helpdesk.sweep every --every until stopped (Ctrl-C). Several "
        "processes may sweep one database at once.",
    )
    parser.add_argument(
        "--url", help="database URL (default: $HELPDESK_KIT_URL or the SQLite file)"
    )
    parser.add_argument(
        "--every", default="60s", help="pause between sweeps, e.g. 30s, 5m (default: 60s)"
    )
    parser.add_argument("--once", action="store_true", help="sweep once and exit")
    parser.add_argument("--rounds", type=int, default=None, metavar="N", help="stop after N sweeps")
    parser.add_argument(
        "--sla",
        default=None,
        metavar="FILE|guide",
        help=f"SLA policies: a TOML/JSON file, or 'guide' for the guide's defaults "
        f"(default: ${SLA_ENV}; without either, no SLA timers are swept)",
    )
    parser.add_argument(
        "--escalation",
        default=None,
        metavar="FILE|guide",
        help="escalation policies: a TOML/JSON file, or 'guide' for the guide's path "
        f"(default: ${ESCALATION_ENV}; without either, no escalations are swept)",
    )
    parser.add_argument(
        "--rules",
        default=None,
        metavar="FILE",
        help=f"automation rules (a TOML file, see docs/automation.md) whose time rules are "
        f"swept (default: ${RULES_ENV}; without either, no time rules)",
    )
    parser.add_argument(
        "--shifts",
        default=None,
        metavar="FILE",
        help=f"agents' shift calendars by name, a TOML/JSON file of calendar tables "
        f"(default: ${SHIFTS_ENV}); waiting tickets are routed when a shift starts",
    )
    parser.set_defaults(handler=_run)


def configure_sweeps(
    desk: Any,
    sla: str | None,
    escalation: str | None = None,
    rules: str | None = None,
    *,
    shifts: str | None = None,
) -> None:
    """Configure what ``helpdesk-kit sweep`` sweeps on ``desk``; None leaves a part alone.

    Routing of waiting tickets is always swept; ``shifts`` (a TOML/JSON file mapping shift
    names to calendar tables) registers the agents' shift calendars. ``sla`` and
    ``escalation`` are a file or ``"guide"``; ``rules`` is an automation rules file.
    """
    desk.configure_routing()
    if shifts:
        from helpdesk_kit.desk.routing import load_shifts

        for name, calendar in load_shifts(shifts, providers=desk.holiday_providers).items():
            desk.add_shift(name, calendar)
    if sla == "guide":
        from helpdesk_kit.sla import guide_policies

        desk.configure_sla(guide_policies())
    elif sla:
        desk.configure_sla(sla)
    if escalation == "guide":
        from helpdesk_kit.escalation import guide_policies as guide_escalation

        desk.configure_escalation(guide_escalation())
    elif escalation:
        desk.configure_escalation(escalation)
    if rules:
        desk.configure_automation(Path(rules))


def _describe(result: Any) -> str:
    parts = [f"closed {len(result.closed)}"]
    if result.skipped:
        parts.append(f"could not close {len(result.skipped)}")
    for name, value in result.results.items():
        if name == "sla":
            parts.append(
                f"sla: {value.tickets} ticket(s), {value.warnings} warning(s), "
                f"{value.breaches} breach(es)"
            )
        elif name == "escalation":
            parts.append(f"escalation: {value.tickets} ticket(s), {value.fired} level(s) fired")
        elif name == "routing":
            parts.append(f"routing: {value.assigned} assigned, {value.waiting} waiting")
        else:
            parts.append(f"{name}: {value}")
    return " · ".join(parts)


def run_sweeps(
    desk: Any,
    *,
    every: timedelta,
    rounds: int | None = None,
    out: TextIO | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Sweep ``desk`` every ``every`` (``rounds`` times, or until interrupted); return rounds.

    Each sweep prints one line to ``out`` (standard output by default).

    A sweep that fails with a helpdesk error (a database restart, a conflict) is reported
    and the next one runs as planned.
    """
    stream = out if out is not None else sys.stdout
    done = 0
    while True:
        began = desk.now()
        try:
            line = _describe(desk.sweep(began))
        except HelpdeskError as exc:
            line = f"error: {exc}"
            log.warning("sweep failed: %s", exc)
        print(f"{began:%Y-%m-%d %H:%M:%S}Z {line}", file=stream, flush=True)
        done += 1
        if rounds is not None and done >= rounds:
            return done
        sleep(every.total_seconds())


def _run(args: argparse.Namespace) -> int:
    from helpdesk_kit.desk import Helpdesk
    from helpdesk_kit.duration import parse_duration

    every = parse_duration(args.every, what="--every")
    if every <= timedelta(0):
        raise InvalidInput(f"--every must be positive, got {args.every!r}")
    rounds = 1 if args.once else args.rounds
    if rounds is not None and rounds < 1:
        raise InvalidInput(f"--rounds must be at least 1, got {rounds}")
    with Helpdesk.from_url(args.url) as desk:
        configure_sweeps(
            desk,
            args.sla or os.environ.get(SLA_ENV),
            args.escalation or os.environ.get(ESCALATION_ENV),
            args.rules or os.environ.get(RULES_ENV),
            shifts=args.shifts or os.environ.get(SHIFTS_ENV),
        )
        run_sweeps(desk, every=every, rounds=rounds)
    return 0
