"""``helpdesk-kit kb ...``: the knowledge base from the command line.

- ``kb import-starter [--url URL] [--status S]``: the starter FAQ pack (26 FAQs, English and
  Chinese), published by default; running it again changes nothing.
- ``kb import DIR [--status S] [--locale L]``: Markdown with front matter, Confluence or
  Notion exports (HTML is converted to clean, sanitized Markdown).
- ``kb export DIR [--status S]``: every article as Markdown with front matter.
- ``kb search QUERY [--locale L] [--limit N]`` and ``kb unanswered [--days N]``.
"""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

__all__ = ["add_parser", "run_export", "run_import", "run_import_starter"]

_URL_HELP = "database URL (default: $HELPDESK_KIT_URL or the SQLite file)"
_STATUSES = ["draft", "in_review", "published", "archived"]


def add_parser(subparsers: Any) -> None:
    """Add ``kb`` with ``import-starter``, ``import``, ``export``, ``search``, ``unanswered``."""
    parser = subparsers.add_parser("kb", help="the knowledge base: import, export, search")
    sub = parser.add_subparsers(dest="kb_command", metavar="ACTION")

    starter = sub.add_parser("import-starter", help="import the starter FAQ pack (zh + en)")
    starter.add_argument("--url", help=_URL_HELP)
    starter.add_argument("--status", choices=_STATUSES, default="published")
    starter.set_defaults(handler=run_import_starter)

    imp = sub.add_parser("import", help="import a folder of Markdown or HTML articles")
    imp.add_argument("directory", help="the folder to read (recursively)")
    imp.add_argument("--url", help=_URL_HELP)
    imp.add_argument(
        "--status",
        choices=_STATUSES,
        default="draft",
        help="status of articles whose front matter has none (default: draft)",
    )
    imp.add_argument("--locale", help="locale of articles whose file does not say (e.g. zh-CN)")
    imp.set_defaults(handler=run_import)

    exp = sub.add_parser("export", help="write every article as Markdown with front matter")
    exp.add_argument("directory", help="the folder to write into (created if needed)")
    exp.add_argument("--url", help=_URL_HELP)
    exp.add_argument("--status", choices=_STATUSES, help="only articles with this status")
    exp.set_defaults(handler=run_export)

    search = sub.add_parser("search", help="search the published articles")
    search.add_argument("query")
    search.add_argument("--url", help=_URL_HELP)
    search.add_argument("--locale", help="only articles in this locale (e.g. zh)")
    search.add_argument("--limit", type=int, default=5)
    search.set_defaults(handler=_search)

    gaps = sub.add_parser("unanswered", help="the most frequent searches without an answer")
    gaps.add_argument("--url", help=_URL_HELP)
    gaps.add_argument("--days", type=int, default=30, help="look back this many days")
    gaps.add_argument("--limit", type=int, default=20)
    gaps.set_defaults(handler=_unanswered)

    parser.set_defaults(handler=lambda _args: parser.print_help() or 2)


def _desk(url: str | None) -> Any:
    from helpdesk_kit.desk.service import Helpdesk

    return Helpdesk.from_url(url)


def run_import_starter(args: argparse.Namespace) -> int:
    """``kb import-starter``."""
    desk = _desk(args.url)
    try:
        report = desk.kb.import_starter(status=args.status)
    finally:
        desk.close()
    print(f"starter pack: {report}")
    return 0


def run_import(args: argparse.Namespace) -> int:
    """``kb import DIR``."""
    from helpdesk_kit.desk.kb_files import import_directory

    desk = _desk(args.url)
    try:
        report = import_directory(desk, args.directory, status=args.status, locale=args.locale)
    finally:
        desk.close()
    print(f"{args.directory}: {report}")
    for problem in report.problems:
        print(f"  - {problem}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    """``kb export DIR``."""
    from helpdesk_kit.desk.kb_files import export_directory
    from helpdesk_kit.kb.model import ArticleFilter

    desk = _desk(args.url)
    try:
        flt = ArticleFilter(status=args.status) if args.status else None
        count = export_directory(desk, args.directory, filter=flt)
    finally:
        desk.close()
    print(f"{args.directory}: {count} article(s) exported")
    return 0


def _search(args: argparse.Namespace) -> int:
    desk = _desk(args.url)
    try:
        hits = desk.search_articles(args.query, locale=args.locale, limit=args.limit)
    finally:
        desk.close()
    if not hits:
        print("no article found")
        return 1
    for hit in hits:
        print(f"{hit.score:7.2f}  {hit.key} ({hit.locale})  {hit.title}")
    return 0


def _unanswered(args: argparse.Namespace) -> int:
    desk = _desk(args.url)
    try:
        since = desk.now() - timedelta(days=args.days)
        rows = desk.unanswered_queries(since=since, limit=args.limit)
    finally:
        desk.close()
    for row in rows:
        locale = f" ({row.locale})" if row.locale else ""
        print(f"{row.count:5d}  {row.query}{locale}")
    if not rows:
        print("no unanswered searches")
    return 0
