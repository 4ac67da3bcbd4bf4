"""``helpdesk-kit serve``: run the web app (extra ``web``) on the embedded default desk."""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    """Add ``serve``."""
    parser = subparsers.add_parser(
        "serve", help="run the chat widget, help centre and workspace for trying them out"
    )
    parser.add_argument("--url", help="storage URL (default: the SQLite file of default_url())")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on")
    parser.add_argument(
        "--password", help="password of the demo logins 'admin' and 'agent' (default: random)"
    )
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    try:
        from helpdesk_kit.web import serve
    except ImportError as exc:
        print(
            f"helpdesk-kit: serve needs the 'web' extra ({exc}); "
            "install it with: pip install 'helpdesk_kit[web]'",
            file=sys.stderr,
        )
        return 1
    serve.run(args.url, args.host, args.port, args.password)
    return 0
