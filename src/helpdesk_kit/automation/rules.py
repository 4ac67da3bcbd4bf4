"""Automation rules as data: event rules, time rules, and the rule set that holds them.

Event rules run when a ticket is created, updated (any field change) or receives a customer
message; time rules fire when their condition has held for a while ("pending for 3 business
days"). Loading lists every problem at once (``InvalidDefinition``).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import attrs

from helpdesk_kit.automation.actions import (
    Action,
    ApplyMacro,
    Assign,
    Note,
    Notify,
    Reply,
    SetField,
    Transition,
    parse_action,
)
from helpdesk_kit.automation.conditions import (
    CalendarLike,
    Condition,
    always,
    parse_condition,
)
from helpdesk_kit.clock import ensure_aware
from helpdesk_kit.duration import parse_duration
from helpdesk_kit.errors import InvalidDefinition, InvalidInput

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "MAX_BUSINESS_DAYS",
    "TRIGGERS",
    "EventRule",
    "Known",
    "RuleSet",
    "TimeRule",
    "Wait",
    "check_rules",
    "load_rules",
    "parse_rules",
    "parse_wait",
    "read_rules",
]

#: What an event rule can run on.
TRIGGERS = ("ticket.created", "ticket.updated", "message.received")
#: How deep rules may trigger rules in one unit of work unless the rule set says otherwise.
DEFAULT_MAX_DEPTH = 5
#: The largest ``max_depth`` a rule set may ask for (the desk's reaction rounds bound it).
MAX_DEPTH_LIMIT = 10
#: The longest wait in business days.
MAX_BUSINESS_DAYS = 366
_NAME = re.compile(r"^[\w][\w.\-]{0,199}$")
_BUSINESS_DAYS = re.compile(r"^\s*(\d+)\s*(bd|business\s*days?|工作日)\s*$", re.IGNORECASE)
_RULE_KEYS = {"name", "description", "on", "when", "actions", "enabled"}
_TIME_KEYS = {"name", "description", "when", "after", "calendar", "actions", "enabled"}


@attrs.frozen
class Wait:
    """How long a time rule's condition must hold: a duration or whole business days.

    With a calendar a duration counts open time only (``BusinessCalendar.add``); business
    days count working days of the calendar and keep the wall-clock time of the start.
    """

    text: str
    duration: timedelta | None = None
    business_days: int | None = None

    def deadline(self, start: datetime, calendar: CalendarLike | None) -> datetime:
        """When a condition that began to hold at ``start`` has held for this long."""
        ensure_aware(start, "start")
        if self.business_days is not None:
            if calendar is None:
                raise InvalidInput(f"{self.text!r} counts business days and needs a calendar")
            zone = calendar.tzinfo
            local = start.astimezone(zone)
            day = local.date()
            for _ in range(self.business_days):
                day += timedelta(days=1)
                while not calendar.is_working_day(day):
                    day += timedelta(days=1)
            wall = datetime.combine(day, local.time().replace(tzinfo=None), tzinfo=zone)
            return wall.astimezone(start.tzinfo)
        assert self.duration is not None
        if calendar is None:
            return start + self.duration
        return calendar.add(start, self.duration)


def parse_wait(value: Any, where: str, problems: list[str]) -> Wait | None:
    """``"3bd"`` (business days), ``"2h"``, ``"1d12h"`` or seconds; problems are appended."""
    if isinstance(value, str):
        match = _BUSINESS_DAYS.match(value)
        if match:
            days = int(match.group(1))
            if not 1 <= days <= MAX_BUSINESS_DAYS:
                problems.append(f"{where}: business days must be 1 to {MAX_BUSINESS_DAYS}")
                return None
            return Wait(value, business_days=days)
    try:
        duration = parse_duration(value, what=where)
    except InvalidInput as exc:
        problems.append(f"{where}: {exc} (or whole business days like '3bd')")
        return None
    if duration < timedelta(0):
        problems.append(f"{where}: a wait cannot be negative, got {value!r}")
        return None
    return Wait(str(value), duration=duration)


@attrs.frozen
class EventRule:
    """On ``on`` (triggers), when ``when`` holds, do ``actions``."""

    name: str
    on: tuple[str, ...]
    when: Condition = attrs.field(factory=always)
    actions: tuple[Action, ...] = ()
    description: str = ""
    enabled: bool = True


@attrs.frozen
class TimeRule:
    """When ``when`` has held for ``after`` (business time by ``calendar``), do ``actions``.

    It fires once each time the condition begins to hold (once per pending period).
    """

    name: str
    after: Wait
    when: Condition = attrs.field(factory=always)
    actions: tuple[Action, ...] = ()
    calendar: str | None = None
    description: str = ""
    enabled: bool = True

    def deadline(self, entered_at: datetime, calendars: Mapping[str, CalendarLike]) -> datetime:
        """When the rule is due for a condition that began to hold at ``entered_at``."""
        cal = None if self.calendar is None else calendars[self.calendar]
        return self.after.deadline(entered_at, cal)


@attrs.frozen
class Known:
    """The names a rule set may refer to, for :meth:`RuleSet.problems`."""

    templates: frozenset[str] | None = None
    calendars: frozenset[str] = frozenset()
    transitions: frozenset[str] | None = None
    groups: frozenset[str] | None = None
    macros: frozenset[str] | None = None


@attrs.frozen
class RuleSet:
    """A desk's automation: event rules, time rules, calendar specs, the cascade bound."""

    event_rules: tuple[EventRule, ...] = ()
    time_rules: tuple[TimeRule, ...] = ()
    max_depth: int = DEFAULT_MAX_DEPTH
    calendars: Mapping[str, Any] = attrs.field(factory=dict)

    def for_trigger(self, trigger: str) -> list[EventRule]:
        """The enabled event rules that run on ``trigger``."""
        return [r for r in self.event_rules if r.enabled and trigger in r.on]

    @property
    def active_time_rules(self) -> list[TimeRule]:
        """The enabled time rules."""
        return [r for r in self.time_rules if r.enabled]

    def problems(self, known: Known) -> list[str]:
        """Every reference to something the desk does not have (templates, calendars, ...)."""
        out: list[str] = []
        rules: list[tuple[str, EventRule | TimeRule]] = [
            *((f"event_rules.{r.name}", r) for r in self.event_rules),
            *((f"time_rules.{r.name}", r) for r in self.time_rules),
        ]
        cal_list = ", ".join(sorted(known.calendars)) or "none"
        for where, rule in rules:
            for cmp in rule.when.comparisons():
                if cmp.calendar is not None and cmp.calendar not in known.calendars:
                    out.append(
                        f"{where}: unknown calendar {cmp.calendar!r} (calendars: {cal_list})"
                    )
            if (
                isinstance(rule, TimeRule)
                and rule.calendar is not None
                and rule.calendar not in known.calendars
            ):
                out.append(f"{where}: unknown calendar {rule.calendar!r} (calendars: {cal_list})")
            for i, action in enumerate(rule.actions):
                out += _action_problems(action, f"{where}.actions[{i}]", known)
        return out


def _action_problems(action: Action, where: str, known: Known) -> list[str]:
    out: list[str] = []
    if (
        isinstance(action, Reply)
        and known.templates is not None
        and action.template not in known.templates
    ):
        names = ", ".join(sorted(known.templates)) or "none"
        out.append(f"{where}: unknown template {action.template!r} (templates: {names})")
    if (
        isinstance(action, Transition)
        and known.transitions is not None
        and action.name not in known.transitions
    ):
        names = ", ".join(sorted(known.transitions))
        out.append(f"{where}: no lifecycle has a transition {action.name!r} ({names})")
    if (
        isinstance(action, ApplyMacro)
        and known.macros is not None
        and action.name not in known.macros
    ):
        names = ", ".join(sorted(known.macros)) or "none"
        out.append(f"{where}: unknown macro {action.name!r} (macros and short codes: {names})")
    groups = known.groups
    if groups is not None:
        wanted = None
        if isinstance(action, Assign):
            wanted = action.group
        elif isinstance(action, SetField) and action.field == "group":
            wanted = str(action.value)
        if wanted is not None and wanted not in groups:
            names = ", ".join(sorted(groups)) or "none"
            out.append(f"{where}: unknown group {wanted!r} (groups: {names})")
    return out


def _check_name(value: Any, where: str, seen: set[str], problems: list[str]) -> str:
    if not isinstance(value, str) or not _NAME.match(value):
        problems.append(
            f"{where}: a rule needs a name (letters, digits, '_', '-', '.'), got {value!r}"
        )
        return str(value)
    if value in seen:
        problems.append(f"{where}: duplicate rule name {value!r}")
    seen.add(value)
    return value


def _actions(data: Any, where: str, problems: list[str]) -> tuple[Action, ...]:
    if not isinstance(data, list | tuple) or not data:
        problems.append(f"{where}.actions: a rule needs a list of actions")
        return ()
    found = [parse_action(a, f"{where}.actions[{i}]", problems) for i, a in enumerate(data)]
    return tuple(a for a in found if a is not None)


def _common(
    data: Mapping[str, Any], where: str, keys: set[str], problems: list[str]
) -> tuple[str, bool]:
    unknown = sorted(set(map(str, data)) - keys)
    if unknown:
        problems.append(
            f"{where}: unknown key(s) {', '.join(unknown)} (keys: {', '.join(sorted(keys))})"
        )
    description = data.get("description", "")
    if not isinstance(description, str):
        problems.append(f"{where}.description: must be a string")
        description = ""
    enabled = data.get("enabled", True)
    if not isinstance(enabled, bool):
        problems.append(f"{where}.enabled: must be true or false")
        enabled = True
    return description, enabled


def _event_rule(data: Any, where: str, seen: set[str], problems: list[str]) -> EventRule | None:
    if not isinstance(data, Mapping):
        problems.append(f"{where}: a rule is a table")
        return None
    name = _check_name(data.get("name"), where, seen, problems)
    where = f"event_rules.{name}"
    description, enabled = _common(data, where, _RULE_KEYS, problems)
    on = data.get("on", [])
    on_list = [on] if isinstance(on, str) else on
    if not isinstance(on_list, list | tuple) or not on_list:
        problems.append(f"{where}.on: list the triggers ({', '.join(TRIGGERS)})")
        on_list = []
    bad = [t for t in on_list if t not in TRIGGERS]
    if bad:
        problems.append(
            f"{where}.on: unknown trigger(s) {', '.join(map(repr, bad))} "
            f"(triggers: {', '.join(TRIGGERS)})"
        )
    when = parse_condition(data.get("when"), f"{where}.when", problems)
    actions = _actions(data.get("actions"), where, problems)
    return EventRule(
        name, tuple(t for t in on_list if t in TRIGGERS), when, actions, description, enabled
    )


def _time_rule(data: Any, where: str, seen: set[str], problems: list[str]) -> TimeRule | None:
    if not isinstance(data, Mapping):
        problems.append(f"{where}: a rule is a table")
        return None
    name = _check_name(data.get("name"), where, seen, problems)
    where = f"time_rules.{name}"
    description, enabled = _common(data, where, _TIME_KEYS, problems)
    when = parse_condition(data.get("when"), f"{where}.when", problems)
    for cmp in when.comparisons():
        if cmp.field.split(".")[0] in ("time", "message", "event"):
            problems.append(
                f"{where}.when: a time rule cannot test {cmp.field} (it is evaluated between "
                "events; use 'calendar' to count business time)"
            )
    calendar = data.get("calendar")
    if calendar is not None and (not isinstance(calendar, str) or not calendar):
        problems.append(f"{where}.calendar: must be the name of a calendar")
        calendar = None
    wait = None
    if "after" not in data:
        problems.append(f"{where}: a time rule needs 'after' (e.g. '1h', '3bd')")
    else:
        wait = parse_wait(data["after"], f"{where}.after", problems)
        if wait is not None and wait.business_days is not None and calendar is None:
            problems.append(f"{where}: {data['after']!r} counts business days and needs 'calendar'")
    actions = _actions(data.get("actions"), where, problems)
    if wait is None:
        return None
    return TimeRule(name, wait, when, actions, calendar, description, enabled)


def parse_rules(data: Mapping[str, Any]) -> RuleSet:
    """Build a rule set from plain data; ``InvalidDefinition`` lists every problem.

    Keys: ``event_rules`` and ``time_rules`` (lists of tables), ``max_depth`` (how deep
    rules may trigger rules in one unit of work) and ``calendars`` (plain-data business
    calendars by name, built by the desk).
    """
    rules, problems = check_rules(data)
    if problems:
        raise InvalidDefinition("automation rules", problems)
    return rules


def check_rules(data: Mapping[str, Any]) -> tuple[RuleSet, list[str]]:
    """The rule set built from the parts of ``data`` that are valid, and every problem."""
    if isinstance(data, RuleSet):
        return data, []
    if not isinstance(data, Mapping):
        return RuleSet(), [f"expected a table of rules, got {type(data).__name__}"]
    problems: list[str] = []
    unknown = sorted(set(map(str, data)) - {"event_rules", "time_rules", "max_depth", "calendars"})
    if unknown:
        problems.append(
            f"unknown key(s) {', '.join(unknown)} "
            "(keys: event_rules, time_rules, max_depth, calendars)"
        )
    seen: set[str] = set()
    event_rules = [
        _event_rule(d, f"event_rules[{i}]", seen, problems)
        for i, d in enumerate(_list(data, "event_rules", problems))
    ]
    time_rules = [
        _time_rule(d, f"time_rules[{i}]", seen, problems)
        for i, d in enumerate(_list(data, "time_rules", problems))
    ]
    depth = data.get("max_depth", DEFAULT_MAX_DEPTH)
    if isinstance(depth, bool) or not isinstance(depth, int) or not 1 <= depth <= MAX_DEPTH_LIMIT:
        problems.append(
            f"max_depth: must be a whole number from 1 to {MAX_DEPTH_LIMIT}, got {depth!r}"
        )
        depth = DEFAULT_MAX_DEPTH
    calendars = data.get("calendars", {})
    if not isinstance(calendars, Mapping):
        problems.append("calendars: a table of calendars by name")
        calendars = {}
    rules = RuleSet(
        tuple(r for r in event_rules if r is not None),
        tuple(r for r in time_rules if r is not None),
        depth,
        dict(calendars),
    )
    return rules, problems


def _list(data: Mapping[str, Any], key: str, problems: list[str]) -> Sequence[Any]:
    value = data.get(key, [])
    if not isinstance(value, list | tuple):
        problems.append(f"{key}: a list of rule tables")
        return []
    return value


def read_rules(source: str | Path | Mapping[str, Any]) -> Mapping[str, Any]:
    """The plain data of rules given as a mapping, a TOML file path or TOML text."""
    if isinstance(source, Mapping):
        return source
    is_path = isinstance(source, Path) or (
        isinstance(source, str) and "\n" not in source and source.strip().endswith(".toml")
    )
    if is_path:
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidInput(f"cannot read automation rules {str(path)!r}: {exc}") from None
    elif isinstance(source, str):
        text = source
    else:
        raise InvalidInput(
            f"automation rules are a mapping, a TOML file or TOML text, got {source!r}"
        )
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidDefinition("automation rules", [f"not valid TOML: {exc}"]) from None


def load_rules(source: str | Path | Mapping[str, Any]) -> RuleSet:
    """A rule set from a mapping, a TOML file path, or TOML text (every problem listed)."""
    return parse_rules(read_rules(source))


def names(rules: Iterable[EventRule | TimeRule]) -> list[str]:
    """The rules' names."""
    return [r.name for r in rules]


def uses_text(action: Action) -> str | None:
    """The template text an action renders (notes and notifications), if any."""
    if isinstance(action, Note):
        return action.text
    if isinstance(action, Notify):
        return action.subject + "\n" + action.text
    return None
