"""``helpdesk-kit db upgrade`` and ``helpdesk-kit db current``: the database schema."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    """Add ``db`` with ``upgrade`` and ``current``."""
    parser = subparsers.add_parser("db", help="create or upgrade the database schema")
    sub = parser.add_subparsers(dest="db_command", metavar="ACTION")
    up = sub.add_parser("upgrade", help="migrate the database to the newest schema")
    up.add_argument("--url", help="database URL (default: $HELPDESK_KIT_URL or the SQLite file)")
    up.add_argument("--revision", default="head", help="target revision (default: head)")
    up.set_defaults(handler=_upgrade)
    cur = sub.add_parser("current", help="show the schema revision of the database")
    cur.add_argument("--url", help="database URL (default: $HELPDESK_KIT_URL or the SQLite file)")
    cur.set_defaults(handler=_current)
    parser.set_defaults(handler=lambda _args: parser.print_help() or 2)


def _url(args: argparse.Namespace) -> str:
    from helpdesk_kit.desk.service import default_url
    from helpdesk_kit.errors import ConfigurationError

    url = str(args.url or default_url())
    if url.startswith("memory:"):
        raise ConfigurationError("memory:// has no schema to migrate; give a --url")
    return url


def _upgrade(args: argparse.Namespace) -> int:
    from helpdesk_kit.storage.sql import SqlStorage
    from helpdesk_kit.storage.sql.migrate import current_revision, upgrade
    from helpdesk_kit.storage.urls import redact_url

    url = _url(args)
    storage = SqlStorage(url, migrate=False, check_schema=False)
    try:
        upgrade(storage.engine, args.revision)
        with storage.engine.connect() as conn:
            now = current_revision(conn)
    finally:
        storage.close()
    print(f"{redact_url(url)}: schema at revision {now}")
    return 0


def _current(args: argparse.Namespace) -> int:
    from helpdesk_kit.storage.sql import SqlStorage
    from helpdesk_kit.storage.sql.migrate import current_revision, head_revision, schema_state
    from helpdesk_kit.storage.urls import redact_url

    url = _url(args)
    storage = SqlStorage(url, migrate=False, check_schema=False)
    try:
        with storage.engine.connect() as conn:
            rev, state = current_revision(conn), schema_state(conn)
    finally:
        storage.close()
    print(f"{redact_url(url)}: revision {rev or '(none)'} · newest {head_revision()} · {state}")
    return 0 if state == "current" else 1
