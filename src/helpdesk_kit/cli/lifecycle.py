"""``helpdesk-kit lifecycle``: show lifecycles as text or Mermaid, check lifecycle files."""

from __future__ import annotations

import argparse
from typing import Any

from helpdesk_kit.lifecycle.definition import Lifecycle

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    """Add ``lifecycle show`` and ``lifecycle check``."""
    parser = subparsers.add_parser("lifecycle", help="show or check ticket lifecycles")
    sub = parser.add_subparsers(dest="lifecycle_command", metavar="ACTION", required=True)
    show = sub.add_parser("show", help="print a lifecycle")
    show.add_argument("name", help="a registered lifecycle (support, complaint) or a file")
    show.add_argument("--mermaid", action="store_true", help="print a Mermaid state diagram")
    show.set_defaults(handler=_show)
    check = sub.add_parser("check", help="validate a lifecycle file (.toml or .json)")
    check.add_argument("path")
    check.set_defaults(handler=_check)


def _load(name: str) -> Lifecycle:
    if name.endswith((".toml", ".json")):
        return Lifecycle.from_file(name)
    from helpdesk_kit.desk import Helpdesk

    return Helpdesk().lifecycle(name)


def _show(args: argparse.Namespace) -> int:
    lc = _load(args.name)
    if args.mermaid:
        print(lc.to_mermaid(), end="")
        return 0
    print(f"lifecycle {lc.name}: {lc.description}")
    print("states:")
    for s in lc.states.values():
        flags = f"  [{', '.join(sorted(s.flags))}]" if s.flags else ""
        marker = " (initial)" if s.name == lc.initial else ""
        print(f"  {s.name:<14} {s.category.value:<8}{marker}{flags}")
    print("transitions:")
    for t in lc.transitions:
        roles = ", ".join(sorted(t.roles)) if t.roles is not None else "anyone"
        guards = f"  guards: {', '.join(t.guards)}" if t.guards else ""
        print(f"  {t.name:<12} {', '.join(sorted(t.sources))} -> {t.target}  ({roles}){guards}")
    return 0


def _check(args: argparse.Namespace) -> int:
    lc = Lifecycle.from_file(args.path)
    print(
        f"{args.path}: lifecycle {lc.name!r} is valid "
        f"({len(lc.states)} states, {len(lc.transitions)} transitions)"
    )
    return 0
