"""Rule actions as data: what a rule does when it fires.

Each action is a table with ``action`` naming it::

    {"action": "set", "field": "priority", "value": "high"}
    {"action": "assign", "agent": "Li Lei"}  {"action": "assign", "group": "billing"}
    {"action": "assign", "to": "route"}
    {"action": "add_tag", "tags": ["vip"]}  {"action": "remove_tag", "tags": "vip"}
    {"action": "reply", "template": "pending_reminder"}
    {"action": "note", "text": "VIP customer: call back within the hour"}
    {"action": "transition", "name": "solve"}
    {"action": "notify", "recipients": ["Team lead"], "subject": "...", "text": "..."}
    {"action": "macro", "name": "/refund"}

The desk carries them out (``desk/automation.py``); this module parses and checks them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from helpdesk_kit.tickets.model import Priority

__all__ = [
    "ACTIONS",
    "SETTABLE",
    "Action",
    "AddTags",
    "ApplyMacro",
    "Assign",
    "Note",
    "Notify",
    "RemoveTags",
    "Reply",
    "SetField",
    "Transition",
    "parse_action",
]

#: Fields the ``set`` action may change (``custom_fields.<key>`` too).
SETTABLE = ("priority", "category", "group", "language", "subject")


@attrs.frozen
class SetField:
    """Set a ticket field (priority, category, group, language, subject, custom_fields.<key>)."""

    field: str
    value: Any


@attrs.frozen
class Assign:
    """Assign to an agent and/or a group, or let routing choose (``route``)."""

    agent: str | None = None
    group: str | None = None
    route: bool = False


@attrs.frozen
class AddTags:
    """Add tags."""

    tags: tuple[str, ...]


@attrs.frozen
class RemoveTags:
    """Remove tags."""

    tags: tuple[str, ...]


@attrs.frozen
class Reply:
    """Send a reply template (desk templates, in the ticket's language)."""

    template: str
    locale: str | None = None


@attrs.frozen
class Note:
    """Add an internal note; ``text`` may use template variables (``{ticket.number}``)."""

    text: str


@attrs.frozen
class Transition:
    """Fire a lifecycle transition."""

    name: str


@attrs.frozen
class Notify:
    """Notify people through the ``notify`` hook (after the change is committed)."""

    subject: str
    text: str = ""
    recipients: tuple[str, ...] = ()
    kind: str = "automation"


@attrs.frozen
class ApplyMacro:
    """Apply a desk macro (by name or short code) as the desk."""

    name: str


Action = SetField | Assign | AddTags | RemoveTags | Reply | Note | Transition | Notify | ApplyMacro

#: Every action and the keys it takes (required first, then optional).
ACTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "set": (("field", "value"), ()),
    "assign": ((), ("agent", "group", "to")),
    "add_tag": (("tags",), ()),
    "remove_tag": (("tags",), ()),
    "reply": (("template",), ("locale",)),
    "note": (("text",), ()),
    "transition": (("name",), ()),
    "notify": (("subject",), ("text", "recipients", "kind")),
    "macro": (("name",), ()),
}


def _nonempty_str(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _tags(value: Any) -> tuple[str, ...] | None:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list | tuple) or not values:
        return None
    if not all(_nonempty_str(v) for v in values):
        return None
    return tuple(str(v).strip() for v in values)


def parse_action(data: Any, where: str, problems: list[str]) -> Action | None:
    """Build an action from plain data; each problem is appended to ``problems``."""
    if not isinstance(data, Mapping):
        problems.append(f"{where}: an action is a table with 'action' naming it")
        return None
    name = data.get("action")
    if name not in ACTIONS:
        problems.append(f"{where}: unknown action {name!r} (actions: {', '.join(ACTIONS)})")
        return None
    required, optional = ACTIONS[name]
    before = len(problems)
    unknown = sorted(set(map(str, data)) - {"action", *required, *optional})
    if unknown:
        problems.append(
            f"{where}: action {name!r} does not take {', '.join(unknown)} "
            f"(it takes {', '.join([*required, *optional]) or 'nothing'})"
        )
    missing = [k for k in required if k not in data]
    if missing:
        problems.append(f"{where}: action {name!r} needs {', '.join(missing)}")
    if len(problems) > before:
        return None
    return _build(name, data, where, problems)


def _build(name: str, data: Mapping[str, Any], where: str, problems: list[str]) -> Action | None:
    if name == "set":
        return _set(data, where, problems)
    if name == "assign":
        return _assign(data, where, problems)
    if name in ("add_tag", "remove_tag"):
        tags = _tags(data["tags"])
        if tags is None:
            problems.append(f"{where}: tags must be a tag or a list of non-empty tags")
            return None
        return AddTags(tags) if name == "add_tag" else RemoveTags(tags)
    if name == "reply":
        locale = data.get("locale")
        if not _nonempty_str(data["template"]) or not (locale is None or _nonempty_str(locale)):
            problems.append(f"{where}: reply needs a template name (and optionally a locale)")
            return None
        return Reply(data["template"], locale)
    if name == "note":
        if not _nonempty_str(data["text"]):
            problems.append(f"{where}: a note needs text")
            return None
        return Note(data["text"])
    if name == "macro":
        if not _nonempty_str(data["name"]):
            problems.append(f"{where}: macro needs the name or short code of a macro")
            return None
        return ApplyMacro(data["name"].strip())
    if name == "transition":
        if not _nonempty_str(data["name"]):
            problems.append(f"{where}: transition needs the name of a lifecycle transition")
            return None
        return Transition(data["name"])
    return _notify(data, where, problems)


def _set(data: Mapping[str, Any], where: str, problems: list[str]) -> Action | None:
    field, value = data["field"], data["value"]
    custom = isinstance(field, str) and field.startswith("custom_fields.") and len(field) > 14
    if field not in SETTABLE and not custom:
        problems.append(
            f"{where}: cannot set {field!r} (settable: {', '.join(SETTABLE)}, custom_fields.<key>)"
        )
        return None
    if field == "priority" and value not in {p.value for p in Priority}:
        problems.append(
            f"{where}: unknown priority {value!r} "
            f"(priorities: {', '.join(p.value for p in Priority)})"
        )
        return None
    if field in ("group", "subject") and not _nonempty_str(value):
        problems.append(f"{where}: {field} must be a non-empty string")
        return None
    if field in ("category", "language") and not (value is None or isinstance(value, str)):
        problems.append(f"{where}: {field} must be a string")
        return None
    return SetField(field, value)


def _assign(data: Mapping[str, Any], where: str, problems: list[str]) -> Action | None:
    agent, group, to = data.get("agent"), data.get("group"), data.get("to")
    if to is not None and to != "route":
        problems.append(f"{where}: assign 'to' can only be \"route\", got {to!r}")
        return None
    if to is not None and agent is not None:
        problems.append(f'{where}: assign takes an agent or to = "route", not both')
        return None
    if agent is None and group is None and to is None:
        problems.append(f'{where}: assign needs an agent, a group or to = "route"')
        return None
    for key, value in (("agent", agent), ("group", group)):
        if value is not None and not _nonempty_str(value):
            problems.append(f"{where}: assign {key} must be a non-empty name or id")
            return None
    return Assign(agent, group, to == "route")


def _notify(data: Mapping[str, Any], where: str, problems: list[str]) -> Action | None:
    subject, text = data["subject"], data.get("text", "")
    recipients = data.get("recipients", [])
    kind = data.get("kind", "automation")
    ok = _nonempty_str(subject) and isinstance(text, str) and _nonempty_str(kind)
    if isinstance(recipients, str):
        recipients = [recipients]
    if not isinstance(recipients, list | tuple) or not all(_nonempty_str(r) for r in recipients):
        ok = False
    if not ok:
        problems.append(
            f"{where}: notify needs a subject, and text, recipients (a list of agent ids or "
            "group names) and kind must be strings"
        )
        return None
    return Notify(subject, text, tuple(recipients), kind)
