"""Lifecycles as data: states, transitions, guards and roles, validated when built."""

from __future__ import annotations

import json
import tomllib
from collections import deque
from collections.abc import Iterable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs

from helpdesk_kit.duration import parse_duration
from helpdesk_kit.errors import InvalidDefinition, InvalidInput, TransitionNotAllowed
from helpdesk_kit.tickets.model import StateCategory

__all__ = ["KNOWN_ROLES", "Lifecycle", "State", "Transition"]

#: Roles a transition may require. ``system`` (the desk's own sweeps and rules)
#: passes every role check.
KNOWN_ROLES = frozenset({"customer", "agent", "supervisor", "admin", "bot", "system"})

#: Settings every lifecycle understands, with their defaults.
DEFAULT_SETTINGS: dict[str, Any] = {
    "reopen_window": "7d",  # a customer reply to a solved ticket reopens it within this time
    "auto_close_after": "3d",  # solved tickets close automatically after this time
    "on_customer_reply": {},  # state -> transition fired when the customer writes
    "on_agent_reply": {},  # state -> transition fired when an agent replies
}
_REPLY_SETTINGS = ("on_customer_reply", "on_agent_reply")


@attrs.frozen
class State:
    """One state of a lifecycle: its category and flags such as ``sla_paused``."""

    name: str
    category: StateCategory
    flags: frozenset[str] = frozenset()
    label: str = ""

    def has(self, flag: str) -> bool:
        """True when the state carries ``flag``."""
        return flag in self.flags


@attrs.frozen
class Transition:
    """A named move from some states to one state, with guards and the roles allowed."""

    name: str
    sources: frozenset[str]
    target: str
    guards: tuple[str, ...] = ()
    roles: frozenset[str] | None = None  # None: anyone
    label: str = ""

    def allows(self, roles: Iterable[str]) -> bool:
        """True when an actor with ``roles`` may fire this transition."""
        have = frozenset(roles)
        return self.roles is None or "system" in have or bool(self.roles & have)


@attrs.frozen
class Lifecycle:
    """A validated state machine for tickets. Build it with :meth:`from_dict`."""

    name: str
    initial: str
    states: Mapping[str, State]
    transitions: tuple[Transition, ...]
    settings: Mapping[str, Any] = attrs.field(factory=dict)
    description: str = ""

    # -- building -----------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Lifecycle:
        """Build and validate a lifecycle; every problem is reported in one ``InvalidDefinition``.

        The shape::

            {"name": "support", "initial": "new",
             "states": {"new": {"category": "new"},
                        "pending": {"category": "pending", "flags": ["sla_paused"]}, ...},
             "transitions": [{"name": "solve", "from": ["open", "pending"], "to": "solved",
                              "guards": [], "roles": ["agent"]}, ...],
             "settings": {"reopen_window": "7d", "auto_close_after": "3d"}}

        ``"from": "*"`` means every state except the target.
        """
        problems: list[str] = []
        if not isinstance(data, Mapping):
            raise InvalidDefinition("lifecycle", [f"expected a mapping, got {type(data).__name__}"])
        name = data.get("name")
        what = f"lifecycle {name!r}" if name else "lifecycle"
        if not isinstance(name, str) or not name.strip():
            problems.append("'name' is missing or empty")
            name = ""
        unknown_keys = set(data) - {
            "name",
            "initial",
            "states",
            "transitions",
            "settings",
            "description",
        }
        if unknown_keys:
            problems.append(f"unknown key(s): {', '.join(sorted(unknown_keys))}")
        states = _build_states(data.get("states"), problems)
        initial = data.get("initial")
        if not isinstance(initial, str) or not initial:
            problems.append("'initial' state is missing")
            initial = ""
        elif states and initial not in states:
            problems.append(f"initial state {initial!r} is not a state")
        transitions = _build_transitions(data.get("transitions"), states, problems)
        settings = _build_settings(data.get("settings"), problems)
        _check_reply_settings(settings, states, transitions, problems)
        if states and not any(s.category is StateCategory.CLOSED for s in states.values()):
            problems.append("no state has category 'closed' (a lifecycle needs a final state)")
        if states and initial in states:
            reachable = _reachable(initial, transitions)
            unreachable = [s for s in states if s not in reachable]
            if unreachable:
                problems.append(f"state(s) unreachable from {initial!r}: {', '.join(unreachable)}")
        if problems:
            raise InvalidDefinition(what, problems)
        return cls(
            name=name,
            initial=initial,
            states=states,
            transitions=tuple(transitions),
            settings=settings,
            description=str(data.get("description", "")),
        )

    @classmethod
    def from_file(cls, path: str | Path) -> Lifecycle:
        """Build a lifecycle from a ``.toml`` or ``.json`` file."""
        p = Path(path)
        if p.suffix.lower() not in (".toml", ".json"):
            raise InvalidInput(f"lifecycle file {p} must end in .toml or .json")
        try:
            raw = p.read_bytes()
        except OSError as exc:
            raise InvalidInput(f"cannot read lifecycle file {p}: {exc}") from exc
        try:
            if p.suffix.lower() == ".toml":
                data = tomllib.loads(raw.decode("utf-8"))
            else:
                data = json.loads(raw)
        except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"lifecycle file {p} is not valid: {exc}") from exc
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """Return the plain-data form, which :meth:`from_dict` accepts."""
        return {
            "name": self.name,
            "description": self.description,
            "initial": self.initial,
            "states": {
                s.name: {"category": s.category.value, "flags": sorted(s.flags), "label": s.label}
                for s in self.states.values()
            },
            "transitions": [
                {
                    "name": t.name,
                    "from": sorted(t.sources),
                    "to": t.target,
                    "guards": list(t.guards),
                    "roles": None if t.roles is None else sorted(t.roles),
                    "label": t.label,
                }
                for t in self.transitions
            ],
            "settings": dict(self.settings),
        }

    # -- reading ------------------------------------------------------------------

    def state(self, name: str) -> State:
        """Return the state called ``name``."""
        try:
            return self.states[name]
        except KeyError:
            raise InvalidInput(
                f"lifecycle {self.name!r} has no state {name!r} (states: {', '.join(self.states)})"
            ) from None

    def category(self, state: str) -> StateCategory:
        """Return the category of ``state``."""
        return self.state(state).category

    def available(self, state: str, roles: Iterable[str] | None = None) -> list[str]:
        """Names of the transitions possible from ``state`` (for ``roles``, when given)."""
        names: list[str] = []
        for t in self.transitions:
            if state in t.sources and (roles is None or t.allows(roles)) and t.name not in names:
                names.append(t.name)
        return names

    def transition(self, state: str, name: str) -> Transition:
        """Return the transition ``name`` from ``state``; raise ``TransitionNotAllowed`` if none."""
        for t in self.transitions:
            if t.name == name and state in t.sources:
                return t
        raise TransitionNotAllowed(name, state, self.available(state), self.name)

    def find(self, source: str, target: str) -> Transition | None:
        """Return the first transition from ``source`` to ``target``, if any."""
        for t in self.transitions:
            if source in t.sources and t.target == target:
                return t
        return None

    def duration_setting(self, key: str) -> timedelta:
        """Return a duration setting such as ``reopen_window`` as a timedelta."""
        value = self.settings.get(key, DEFAULT_SETTINGS.get(key))
        if value is None:
            raise InvalidInput(f"lifecycle {self.name!r} has no setting {key!r}")
        return parse_duration(value, what=f"setting {key!r}")

    def reply_transition(self, setting: str, state: str) -> str | None:
        """The transition ``on_customer_reply`` or ``on_agent_reply`` fires from ``state``."""
        mapping = self.settings.get(setting) or {}
        name = mapping.get(state)
        return None if name is None else str(name)

    def states_in(self, *categories: StateCategory) -> list[str]:
        """Names of the states whose category is one of ``categories``."""
        return [s.name for s in self.states.values() if s.category in categories]

    def to_mermaid(self) -> str:
        """Draw the lifecycle as a Mermaid ``stateDiagram-v2``."""
        lines = ["stateDiagram-v2", f"    [*] --> {self.initial}"]
        for t in self.transitions:
            for source in sorted(t.sources, key=list(self.states).index):
                label = t.name
                if t.guards:
                    label += " [" + ", ".join(t.guards) + "]"
                lines.append(f"    {source} --> {t.target}: {label}")
        for s in self.states.values():
            if s.category is StateCategory.CLOSED:
                lines.append(f"    {s.name} --> [*]")
        return "\n".join(lines) + "\n"


def _build_states(raw: Any, problems: list[str]) -> dict[str, State]:
    states: dict[str, State] = {}
    if not isinstance(raw, Mapping) or not raw:
        problems.append("'states' must be a non-empty mapping of state name -> definition")
        return states
    for name, spec in raw.items():
        if not isinstance(name, str) or not name.strip():
            problems.append(f"state name {name!r} must be a non-empty string")
            continue
        if isinstance(spec, str):
            spec = {"category": spec}
        if not isinstance(spec, Mapping):
            problems.append(f"state {name!r}: expected a mapping or a category name")
            continue
        category_raw = spec.get("category")
        try:
            category = StateCategory(str(category_raw))
        except ValueError:
            problems.append(
                f"state {name!r}: unknown category {category_raw!r} "
                f"(known: {', '.join(c.value for c in StateCategory)})"
            )
            continue
        flags = spec.get("flags", ())
        if isinstance(flags, str) or not all(isinstance(f, str) for f in flags):
            problems.append(f"state {name!r}: 'flags' must be a list of strings")
            flags = ()
        states[name] = State(name, category, frozenset(flags), str(spec.get("label", "")))
    return states


def _build_transitions(
    raw: Any, states: Mapping[str, State], problems: list[str]
) -> list[Transition]:
    out: list[Transition] = []
    if not isinstance(raw, list | tuple) or not raw:
        problems.append("'transitions' must be a non-empty list")
        return out
    seen: dict[tuple[str, str], int] = {}
    for index, spec in enumerate(raw):
        where = f"transition #{index + 1}"
        if not isinstance(spec, Mapping):
            problems.append(f"{where}: expected a mapping")
            continue
        name = spec.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append(f"{where}: 'name' is missing")
            continue
        where = f"transition {name!r}"
        target = spec.get("to")
        if not isinstance(target, str) or target not in states:
            problems.append(f"{where}: unknown target state {target!r}")
            continue
        sources_raw = spec.get("from")
        if sources_raw == "*":
            sources = frozenset(s for s in states if s != target)
        elif isinstance(sources_raw, str):
            sources = frozenset({sources_raw})
        elif isinstance(sources_raw, list | tuple) and sources_raw:
            sources = frozenset(str(s) for s in sources_raw)
        else:
            problems.append(f"{where}: 'from' must be a state, a list of states or '*'")
            continue
        bad = sorted(s for s in sources if s not in states)
        if bad:
            problems.append(f"{where}: unknown source state(s) {', '.join(map(repr, bad))}")
            continue
        for source in sorted(sources):
            key = (name, source)
            if key in seen:
                problems.append(f"{where}: duplicate transition from {source!r}")
            seen[key] = index
        guards = spec.get("guards", ())
        if isinstance(guards, str) or not all(isinstance(g, str) for g in guards):
            problems.append(f"{where}: 'guards' must be a list of guard names")
            guards = ()
        roles_raw = spec.get("roles")
        roles: frozenset[str] | None = None
        if roles_raw is not None:
            if isinstance(roles_raw, str):
                roles_raw = [roles_raw]
            roles = frozenset(str(r) for r in roles_raw)
            unknown = sorted(roles - KNOWN_ROLES)
            if unknown:
                problems.append(
                    f"{where}: unknown role(s) {', '.join(unknown)} "
                    f"(known: {', '.join(sorted(KNOWN_ROLES))})"
                )
        out.append(
            Transition(name, sources, target, tuple(guards), roles, str(spec.get("label", "")))
        )
    return out


def _build_settings(raw: Any, problems: list[str]) -> dict[str, Any]:
    settings = dict(DEFAULT_SETTINGS)
    if raw is None:
        return settings
    if not isinstance(raw, Mapping):
        problems.append("'settings' must be a mapping")
        return settings
    settings.update(raw)
    for key in ("reopen_window", "auto_close_after"):
        try:
            if parse_duration(settings[key], what=key).total_seconds() < 0:
                problems.append(f"setting {key!r} must not be negative")
        except InvalidInput as exc:
            problems.append(str(exc))
    return settings


def _check_reply_settings(
    settings: Mapping[str, Any],
    states: Mapping[str, State],
    transitions: list[Transition],
    problems: list[str],
) -> None:
    for key in _REPLY_SETTINGS:
        raw = settings.get(key, {})
        if not isinstance(raw, Mapping):
            problems.append(f"setting {key!r} must map states to transition names")
            continue
        for state, name in raw.items():
            if state not in states:
                problems.append(f"setting {key!r}: unknown state {state!r}")
            elif not any(t.name == name and state in t.sources for t in transitions):
                problems.append(f"setting {key!r}: no transition {name!r} from {state!r}")


def _reachable(initial: str, transitions: Iterable[Transition]) -> set[str]:
    edges: dict[str, set[str]] = {}
    for t in transitions:
        for s in t.sources:
            edges.setdefault(s, set()).add(t.target)
    seen = {initial}
    queue = deque([initial])
    while queue:
        for nxt in edges.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen
