"""``helpdesk-kit export`` and ``helpdesk-kit import``: move a desk between databases."""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    """Add ``export`` and ``import``."""
    exp = subparsers.add_parser("export", help="write every record of a desk as JSON Lines")
    exp.add_argument("--format", choices=["jsonl"], default="jsonl", help="output format")
    exp.add_argument("--url", help="database URL (default: $HELPDESK_KIT_URL or the SQLite file)")
    exp.add_argument("--output", "-o", help="file to write (default: standard output)")
    exp.set_defaults(handler=_export)
    imp = subparsers.add_parser(
        "import", help="load a JSON Lines export into a desk (all or nothing)"
    )
    imp.add_argument("file", help="the export file ('-' for standard input)")
    imp.add_argument("--url", help="database URL (default: $HELPDESK_KIT_URL or the SQLite file)")
    imp.set_defaults(handler=_import)


def _open(url: str | None) -> Any:
    from helpdesk_kit.desk.service import BUILTIN_PLUGINS, default_url
    from helpdesk_kit.plugins import collect_named, create_plugin_manager
    from helpdesk_kit.storage.urls import open_storage

    pm = create_plugin_manager(builtins=BUILTIN_PLUGINS)
    factories = collect_named(pm.hook.register_storage_backends, "storage backend", replace=True)
    return open_storage(url or default_url(), factories)


def _export(args: argparse.Namespace) -> int:
    from helpdesk_kit.storage.transfer import export_jsonl

    storage = _open(args.url)
    try:
        if args.output:
            with open(args.output, "w", encoding="utf-8") as out:
                counts = export_jsonl(storage, out)
        else:
            counts = export_jsonl(storage, sys.stdout)
    finally:
        storage.close()
    print(f"exported {counts}", file=sys.stderr)
    return 0


def _import(args: argparse.Namespace) -> int:
    from helpdesk_kit.storage.transfer import import_jsonl

    storage = _open(args.url)
    try:
        if args.file == "-":
            counts = import_jsonl(storage, sys.stdin)
        else:
            with open(args.file, encoding="utf-8") as lines:
                counts = import_jsonl(storage, lines)
    finally:
        storage.close()
    print(f"imported {counts}", file=sys.stderr)
    return 0
