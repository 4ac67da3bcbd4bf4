"""Packs of templates and macros as plain data or TOML, checked all at once."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from helpdesk_kit.errors import InvalidDefinition, InvalidInput
from helpdesk_kit.macros.model import Macro, Template

__all__ = ["MacroPack", "load_pack"]


@attrs.frozen
class MacroPack:
    """Templates and macros to save together (a team's set, or the starter pack)."""

    templates: tuple[Template, ...] = ()
    macros: tuple[Macro, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain data that :func:`load_pack` reads back."""
        return {
            "templates": {t.name: t.to_dict() for t in self.templates},
            "macros": {m.name: m.to_dict() for m in self.macros},
        }


def load_pack(source: Mapping[str, Any] | str | Path) -> MacroPack:
    """Read a pack from a mapping, a TOML string or a ``.toml`` file.

    The shape (TOML)::

        [templates.first_reply]
        description = "First reply"
        zh = "您好，{customer.name}！"
        en = "Hi {customer.name},"

        [macros.greet]
        shortcode = "/greet"
        template = "first_reply"
        add_tags = ["greeted"]

    Every problem in every template and macro is listed in one ``InvalidDefinition``.
    Variables, groups and transitions are checked when the desk saves the pack.
    """
    data = _read(source)
    problems: list[str] = []
    unknown = sorted(set(data) - {"templates", "macros"})
    problems += [f"unknown section {k!r} (sections: templates, macros)" for k in unknown]
    templates: list[Template] = []
    macros: list[Macro] = []
    for name, entry in _section(data, "templates", problems).items():
        try:
            templates.append(Template.from_dict(str(name), entry))
        except InvalidDefinition as exc:
            problems += [f"templates.{name}: {p}" for p in exc.problems]
    for name, entry in _section(data, "macros", problems).items():
        try:
            macros.append(Macro.from_dict(str(name), entry))
        except InvalidDefinition as exc:
            problems += [f"macros.{name}: {p}" for p in exc.problems]
    if problems:
        raise InvalidDefinition("macro pack", problems)
    return MacroPack(tuple(templates), tuple(macros))


def _section(data: Mapping[str, Any], section: str, problems: list[str]) -> Mapping[str, Any]:
    entries = data.get(section) or {}
    if not isinstance(entries, Mapping):
        problems.append(f"[{section}] must be a table of named entries")
        return {}
    return entries


def _read(source: Mapping[str, Any] | str | Path) -> Mapping[str, Any]:
    if isinstance(source, Mapping):
        return source
    if isinstance(source, Path) or (isinstance(source, str) and source.endswith(".toml")):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidInput(f"cannot read macro pack {path}: {exc}") from None
    elif isinstance(source, str):
        text = source
    else:
        raise InvalidInput(f"a macro pack is a mapping, TOML text or a .toml path, got {source!r}")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"macro pack is not valid TOML: {exc}") from None
