"""SLA policies: which tickets they cover, the calendar they run on and their targets.

A :class:`SlaPolicy` has conditions over a ticket's channel, priority, customer tier,
category and group (each a set of allowed values; a missing field allows anything), the
name of the business calendar its targets are counted on, and a :class:`SlaTarget` per
metric. A :class:`PolicySet` is an ordered list: the first policy whose conditions match
applies (the ``select_sla_policy`` hook may choose instead).

Pure data and validation; see ``docs/sla.md`` for the semantics of each metric.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import time, timedelta
from typing import Any

import attrs

from helpdesk_kit.duration import format_duration, parse_duration
from helpdesk_kit.errors import InvalidDefinition, InvalidInput
from helpdesk_kit.sla.calendar import BusinessCalendar
from helpdesk_kit.tickets.model import Priority

__all__ = [
    "ALWAYS_OPEN",
    "CONDITION_FIELDS",
    "METRICS",
    "PolicySet",
    "SlaPolicy",
    "SlaTarget",
    "always_open_calendar",
]

#: The metrics a policy can set targets for, in the order they usually happen.
METRICS: tuple[str, ...] = ("first_response", "next_response", "periodic_update", "resolution")
#: The ticket facts a policy's conditions can test.
CONDITION_FIELDS: tuple[str, ...] = ("channel", "priority", "tier", "category", "group")
#: The name of the built-in calendar that is always open (targets in wall-clock time).
ALWAYS_OPEN = "24x7"

_ALWAYS_OPEN_CALENDAR = BusinessCalendar("UTC", {day: [(time(0), time(0))] for day in range(7)})


def always_open_calendar() -> BusinessCalendar:
    """Return the built-in ``"24x7"`` calendar: open every second (wall-clock targets)."""
    return _ALWAYS_OPEN_CALENDAR


def _fraction_problem(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"warn_at must be a number between 0 and 1 (exclusive), got {value!r}"
    if not 0 < float(value) < 1:
        return f"warn_at must be between 0 and 1 (exclusive), got {value!r}"
    return ""


def _target_problem(value: object) -> str:
    if not isinstance(value, timedelta):
        return f"target must be a timedelta, got {value!r}"
    if value <= timedelta(0):
        return f"target must be positive, got {format_duration(value)}"
    return ""


def _check_target(_inst: object, _attr: attrs.Attribute[timedelta], value: object) -> None:
    problem = _target_problem(value)
    if problem:
        raise InvalidInput(f"SlaTarget: {problem}")


def _check_fraction(_inst: object, _attr: attrs.Attribute[float], value: object) -> None:
    problem = _fraction_problem(value)
    if problem:
        raise InvalidInput(f"SlaTarget: {problem}")


def _check_calendar_name(_inst: object, _attr: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise InvalidInput(f"SlaTarget: calendar must be a calendar name, got {value!r}")


@attrs.frozen
class SlaTarget:
    """How long a metric may take (``target``) and when to warn (a fraction of it).

    ``calendar`` names the calendar this target is counted on when it differs from the
    policy's (``"24x7"`` for a wall-clock promise such as "within 24 hours").
    """

    target: timedelta = attrs.field(validator=_check_target)
    warn_at: float = attrs.field(default=0.8, validator=_check_fraction)
    calendar: str | None = attrs.field(default=None, validator=_check_calendar_name)

    @property
    def warning_after(self) -> timedelta:
        """The open time after which the warning is due (``target * warn_at``, to the µs)."""
        return self.target * self.warn_at

    def to_dict(self) -> dict[str, Any]:
        """Return the plain-data form that :meth:`SlaPolicy.from_dict` accepts."""
        out: dict[str, Any] = {"target": format_duration(self.target), "warn_at": self.warn_at}
        if self.calendar is not None:
            out["calendar"] = self.calendar
        return out


def _conditions(value: Any) -> dict[str, frozenset[str]]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidInput(
            f"conditions must be a mapping of field to allowed values, got {value!r}"
        )
    out: dict[str, frozenset[str]] = {}
    for key, allowed in value.items():
        if isinstance(allowed, str):
            allowed = [allowed]
        out[str(key)] = frozenset(str(v) for v in allowed)
    return out


def _targets(value: Any) -> dict[str, SlaTarget]:
    if not isinstance(value, Mapping):
        raise InvalidInput(f"targets must be a mapping of metric to SlaTarget, got {value!r}")
    return dict(value)


@attrs.frozen
class SlaPolicy:
    """A named set of targets for the tickets its conditions match.

    ``SlaPolicy("vip email", {"channel": {"email"}, "tier": {"vip"}}, "office",
    {"first_response": SlaTarget(timedelta(hours=1))})``. Every problem is reported at once
    in an ``InvalidDefinition``; :meth:`from_dict` reads the plain-data (TOML) form.
    """

    name: str
    conditions: Mapping[str, frozenset[str]] = attrs.field(converter=_conditions, hash=False)
    calendar: str = ALWAYS_OPEN
    targets: Mapping[str, SlaTarget] = attrs.field(factory=dict, converter=_targets, hash=False)
    description: str = ""

    def __attrs_post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise InvalidDefinition(f"SLA policy {self.name!r}", problems)

    def problems(self, calendars: Iterable[str] | None = None) -> list[str]:
        """Every problem of this policy; with ``calendars`` also unknown calendar names."""
        return _policy_problems(self.name, self.conditions, self.calendar, self.targets, calendars)

    def calendar_names(self) -> set[str]:
        """Return the names of every calendar this policy's targets are counted on."""
        names = {self.calendar} if isinstance(self.calendar, str) else set()
        for target in self.targets.values():
            if isinstance(target, SlaTarget) and target.calendar is not None:
                names.add(target.calendar)
        return names

    def matches(self, facts: Mapping[str, str | None]) -> bool:
        """Say whether a ticket with these facts (channel, priority, tier, ...) is covered."""
        for key, allowed in self.conditions.items():
            value = facts.get(key)
            if value is None or str(value) not in allowed:
                return False
        return True

    def target_for(self, metric: str) -> SlaTarget | None:
        """Return the target of ``metric``, or None when this policy sets none."""
        return self.targets.get(metric)

    def calendar_for(self, metric: str) -> str:
        """Return the name of the calendar ``metric`` is counted on."""
        target = self.targets.get(metric)
        if target is not None and target.calendar is not None:
            return target.calendar
        return self.calendar

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SlaPolicy:
        """Build a policy from plain data; every problem is listed in one ``InvalidDefinition``.

        The shape::

            {"name": "email", "calendar": "office",
             "conditions": {"channel": ["email"], "priority": ["normal", "low"]},
             "targets": {"first_response": "2h",
                         "next_response": {"target": "24h", "warn_at": 0.75,
                                           "calendar": "24x7"}}}
        """
        if not isinstance(data, Mapping):
            raise InvalidDefinition(
                "SLA policy", [f"expected a mapping, got {type(data).__name__}"]
            )
        name = data.get("name")
        what = f"SLA policy {name!r}" if isinstance(name, str) and name else "SLA policy"
        problems: list[str] = []
        unknown = set(data) - {"name", "conditions", "calendar", "targets", "description"}
        if unknown:
            problems.append(f"unknown key(s): {', '.join(sorted(map(str, unknown)))}")
        if not isinstance(name, str) or not name.strip():
            problems.append("'name' is missing or empty")
            name = ""
        conditions: dict[str, frozenset[str]] = {}
        raw_conditions = data.get("conditions", {})
        if not isinstance(raw_conditions, Mapping):
            problems.append("'conditions' must be a mapping of field to a list of values")
        else:
            for key, allowed in raw_conditions.items():
                if isinstance(allowed, str):
                    allowed = [allowed]
                if not isinstance(allowed, list | tuple | set | frozenset) or not all(
                    isinstance(v, str) for v in allowed
                ):
                    problems.append(f"condition {key!r} must be a string or a list of strings")
                    continue
                conditions[str(key)] = frozenset(allowed)
        calendar = data.get("calendar", ALWAYS_OPEN)
        if not isinstance(calendar, str) or not calendar.strip():
            problems.append(f"'calendar' must be a calendar name, got {calendar!r}")
            calendar = ALWAYS_OPEN
        targets: dict[str, SlaTarget] = {}
        raw_targets = data.get("targets")
        if not isinstance(raw_targets, Mapping):
            problems.append("'targets' must be a mapping of metric to a duration or a table")
        else:
            for metric, spec in raw_targets.items():
                target = _target_from(str(metric), spec, problems)
                if target is not None:
                    targets[str(metric)] = target
        description = data.get("description", "")
        if not isinstance(description, str):
            problems.append("'description' must be a string")
            description = ""
        problems += [
            p
            for p in _policy_problems(name or "?", conditions, calendar, targets)
            if p not in problems and not (p.startswith("no targets") and raw_targets)
        ]
        if problems:
            raise InvalidDefinition(what, problems)
        return cls(name, conditions, calendar, targets, description)

    def to_dict(self) -> dict[str, Any]:
        """Return the plain-data form, which :meth:`from_dict` accepts."""
        out: dict[str, Any] = {
            "name": self.name,
            "calendar": self.calendar,
            "conditions": {k: sorted(v) for k, v in self.conditions.items()},
            "targets": {m: t.to_dict() for m, t in self.targets.items()},
        }
        if self.description:
            out["description"] = self.description
        return out


def _policy_problems(
    name: object,
    conditions: Mapping[str, frozenset[str]],
    calendar: object,
    targets: Mapping[str, object],
    calendars: Iterable[str] | None = None,
) -> list[str]:
    problems: list[str] = []
    if not isinstance(name, str) or not name.strip():
        problems.append("'name' is missing or empty")
    for key, allowed in conditions.items():
        if key not in CONDITION_FIELDS:
            problems.append(
                f"unknown condition field {key!r} (known: {', '.join(CONDITION_FIELDS)})"
            )
        elif not allowed:
            problems.append(f"condition {key!r} allows no value; leave it out to allow any")
        elif key == "priority":
            bad = sorted(allowed - {p.value for p in Priority})
            if bad:
                problems.append(
                    f"condition 'priority': unknown priority {', '.join(map(repr, bad))} "
                    f"(known: {', '.join(p.value for p in Priority)})"
                )
    if not isinstance(calendar, str) or not calendar.strip():
        problems.append(f"'calendar' must be a calendar name, got {calendar!r}")
    if not targets:
        problems.append("no targets (set at least one of " + ", ".join(METRICS) + ")")
    names: set[str] = {calendar} if isinstance(calendar, str) else set()
    for metric, target in targets.items():
        if metric not in METRICS:
            problems.append(f"unknown metric {metric!r} (known: {', '.join(METRICS)})")
        if not isinstance(target, SlaTarget):
            problems.append(f"target for {metric!r} must be an SlaTarget, got {target!r}")
        elif target.calendar is not None:
            names.add(target.calendar)
    if calendars is not None:
        known = set(calendars)
        for missing in sorted(names - known):
            problems.append(f"unknown calendar {missing!r} (known: {', '.join(sorted(known))})")
    return problems


def _target_from(metric: str, spec: Any, problems: list[str]) -> SlaTarget | None:
    where = f"target {metric!r}"
    if metric not in METRICS:
        problems.append(f"unknown metric {metric!r} (known: {', '.join(METRICS)})")
        return None
    if isinstance(spec, SlaTarget):
        return spec
    options: Mapping[str, Any]
    if isinstance(spec, Mapping):
        options = spec
        unknown = set(options) - {"target", "warn_at", "calendar"}
        if unknown:
            problems.append(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    else:
        options = {"target": spec}
    raw = options.get("target")
    ok = True
    if raw is None:
        problems.append(f"{where}: 'target' is missing (a duration such as '2h')")
        return None
    try:
        duration = parse_duration(raw, what=f"{where} duration")
    except InvalidInput as exc:
        problems.append(str(exc))
        return None
    problem = _target_problem(duration)
    if problem:
        problems.append(f"{where}: {problem}")
        ok = False
    warn = options.get("warn_at", 0.8)
    problem = _fraction_problem(warn)
    if problem:
        problems.append(f"{where}: {problem}")
        ok = False
    calendar = options.get("calendar")
    if calendar is not None and (not isinstance(calendar, str) or not calendar.strip()):
        problems.append(f"{where}: 'calendar' must be a calendar name, got {calendar!r}")
        ok = False
    if not ok:
        return None
    return SlaTarget(duration, float(warn), calendar)


def _policies(value: Any) -> tuple[SlaPolicy, ...]:
    if isinstance(value, SlaPolicy):
        return (value,)
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise InvalidInput(f"policies must be a sequence of SlaPolicy, got {value!r}")
    return tuple(value)


def _calendars(value: Any) -> dict[str, BusinessCalendar]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidInput(
            f"calendars must be a mapping of name to BusinessCalendar, got {value!r}"
        )
    return dict(value)


@attrs.frozen
class PolicySet:
    """An ordered list of policies (first match wins) and the calendars defined with them.

    ``calendars`` are calendars that came with the policies (a TOML file's ``[calendars]``);
    a desk adds its own and the built-in ``"24x7"``.
    """

    policies: tuple[SlaPolicy, ...] = attrs.field(converter=_policies)
    calendars: Mapping[str, BusinessCalendar] = attrs.field(
        factory=dict, converter=_calendars, hash=False
    )

    def __attrs_post_init__(self) -> None:
        problems: list[str] = []
        seen: set[str] = set()
        for index, policy in enumerate(self.policies):
            if not isinstance(policy, SlaPolicy):
                problems.append(f"policy #{index + 1} is not an SlaPolicy: {policy!r}")
                continue
            if policy.name in seen:
                problems.append(f"two policies are called {policy.name!r}")
            seen.add(policy.name)
        for name, calendar in self.calendars.items():
            if not isinstance(calendar, BusinessCalendar):
                problems.append(f"calendar {name!r} is not a BusinessCalendar: {calendar!r}")
        if problems:
            raise InvalidDefinition("SLA policy set", problems)

    def __iter__(self) -> Iterator[SlaPolicy]:
        return iter(self.policies)

    def __len__(self) -> int:
        return len(self.policies)

    def __getitem__(self, name: str) -> SlaPolicy:
        for policy in self.policies:
            if policy.name == name:
                return policy
        raise InvalidInput(
            f"no SLA policy {name!r} (policies: {', '.join(p.name for p in self.policies)})"
        )

    @property
    def names(self) -> list[str]:
        """Return the policy names in order."""
        return [p.name for p in self.policies]

    def select(self, facts: Mapping[str, str | None]) -> SlaPolicy | None:
        """Return the first policy whose conditions match ``facts``, or None."""
        for policy in self.policies:
            if policy.matches(facts):
                return policy
        return None

    def needs(self, field: str) -> bool:
        """Say whether any policy has a condition on ``field`` (e.g. ``"tier"``)."""
        return any(field in p.conditions for p in self.policies)

    def problems(self, calendars: Iterable[str]) -> list[str]:
        """Every policy's problems given the calendar names that exist."""
        known = list(calendars)
        out: list[str] = []
        for policy in self.policies:
            out += [f"policy {policy.name!r}: {p}" for p in policy.problems(known)]
        return out

    def with_calendars(self, calendars: Mapping[str, BusinessCalendar]) -> PolicySet:
        """Return a copy with more calendars (replacing same-named ones)."""
        return PolicySet(self.policies, {**self.calendars, **calendars})

    @classmethod
    def of(cls, policies: PolicySet | SlaPolicy | Sequence[SlaPolicy]) -> PolicySet:
        """Return ``policies`` as a PolicySet."""
        if isinstance(policies, PolicySet):
            return policies
        return cls(policies)
