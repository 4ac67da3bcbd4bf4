"""The ``helpdesk-kit`` command line: each sub-command lives in its own module."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from helpdesk_kit import __version__
from helpdesk_kit.errors import HelpdeskError

__all__ = ["main"]

#: Modules that add sub-commands; each has ``add_parser(subparsers)``.
COMMAND_MODULES = (
    "helpdesk_kit.cli.demo",
    "helpdesk_kit.cli.lifecycle",
    "helpdesk_kit.cli.db",
    "helpdesk_kit.cli.transfer",
    "helpdesk_kit.cli.kb",
    "helpdesk_kit.cli.sweep",
    "helpdesk_kit.cli.report",
    "helpdesk_kit.cli.serve",
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    parser = argparse.ArgumentParser(
        prog="helpdesk-kit", description="Build and run customer-service help desks."
    )
    parser.add_argument("--version", action="version", version=f"helpdesk-kit {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return int(handler(args) or 0)
    except HelpdeskError as exc:
        print(f"helpdesk-kit: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into head & co.
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
