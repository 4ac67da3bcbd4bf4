"""``helpdesk-kit report``: the period's KPI report as HTML (with charts), CSV or JSON."""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["add_parser", "run_report"]


def add_parser(subparsers: Any) -> None:
    """Add ``report``."""
    parser = subparsers.add_parser(
        "report", help="write the KPI report of a period (html with charts, csv or json)"
    )
    parser.add_argument(
        "--period",
        required=True,
        help="2026-11 (a month), 2026-W48, 2026-11-26, 2026-Q4, 2026 or 2026-11-01..2026-11-15",
    )
    parser.add_argument("--format", choices=["html", "csv", "json"], default="html")
    parser.add_argument(
        "--url", help="database URL (default: $HELPDESK_KIT_URL or the SQLite file)"
    )
    parser.add_argument("--timezone", help="IANA zone of days, weeks and months (default: UTC)")
    parser.add_argument("--output", "-o", help="file to write (default: standard output)")
    parser.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="DIMENSION=VALUE",
        help="keep only tickets with this channel, group, agent, category, priority or tier "
        "(repeatable)",
    )
    parser.set_defaults(handler=_run)


def _filters(items: list[str]) -> dict[str, list[str]]:
    from helpdesk_kit.errors import InvalidInput

    out: dict[str, list[str]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InvalidInput(f"--filter takes DIMENSION=VALUE, got {item!r}")
        out.setdefault(key.strip(), []).append(value.strip())
    return out


def run_report(
    *,
    period: str,
    format: str = "html",
    url: str | None = None,
    timezone: str | None = None,
    filters: dict[str, list[str]] | None = None,
    plugins: Any = (),
) -> str:
    """The report text for ``period`` on the desk at ``url`` (what the command prints)."""
    from helpdesk_kit.analytics.report import render
    from helpdesk_kit.desk import DeskSettings, Helpdesk

    settings = DeskSettings(timezone=timezone) if timezone else None
    with Helpdesk.from_url(url, settings=settings, plugins=plugins) as desk:
        data = desk.report_data(period, filters=filters or None)
    return render(data, format)


def _run(args: argparse.Namespace) -> int:
    text = run_report(
        period=args.period,
        format=args.format,
        url=args.url,
        timezone=args.timezone,
        filters=_filters(args.filter),
    )
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
