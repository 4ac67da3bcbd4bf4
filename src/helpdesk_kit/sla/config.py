"""SLA configuration as plain data: calendars and policies from dicts, TOML or JSON files.

A file holds named calendars and an ordered list of policies::

    [calendars.office]
    timezone = "Asia/Shanghai"
    hours = { "mon-fri" = ["09:00-12:00", "13:00-18:00"] }
    provider = "china"                       # or { name = "country", country = "DE" }
    holidays = [2026-12-24]                  # extra closed days (TOML dates or "YYYY-MM-DD")
    overrides = { "2026-12-31" = "09:00-15:00" }

    [[policies]]
    name = "email"
    calendar = "office"
    conditions = { channel = ["email"] }
    targets = { first_response = "2h", next_response = { target = "24h", calendar = "24x7" } }

Holiday providers are looked up by name in a :class:`~helpdesk_kit.sla.holidays.ProviderRegistry`
(a desk passes its own, which includes the providers plugins register).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from datetime import date, time
from pathlib import Path
from typing import Any

from helpdesk_kit.errors import HelpdeskError, InvalidDefinition, InvalidInput
from helpdesk_kit.sla.calendar import BusinessCalendar
from helpdesk_kit.sla.holidays import HolidayProvider, ProviderRegistry, default_registry
from helpdesk_kit.sla.policy import ALWAYS_OPEN, PolicySet, SlaPolicy

__all__ = ["calendar_from_dict", "load_policies", "parse_ranges", "policy_set_from_dict"]

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = r"(\d{1,2}):(\d{2})(?::(\d{2}))?"
_RANGE = re.compile(rf"^\s*{_TIME}\s*[-–]\s*{_TIME}\s*$")
_CALENDAR_KEYS = {"timezone", "hours", "holidays", "overrides", "provider", "makeup_hours"}


def _time(hour: str, minute: str, second: str | None) -> time:
    h, m, s = int(hour), int(minute), int(second or 0)
    if h == 24 and m == 0 and s == 0:
        return time(0)  # "18:00-24:00" ends at midnight, which BusinessCalendar reads as 00:00
    return time(h, m, s)


def parse_ranges(value: Any, where: str, problems: list[str]) -> list[tuple[time, time]]:
    """Parse ``"09:00-18:00"``, ``"09:00-12:00, 13:00-18:00"`` or a list of them.

    An empty string or list is a closed day. Problems are appended to ``problems``.
    """
    if isinstance(value, str):
        parts = [p for p in value.split(",") if p.strip()]
    elif isinstance(value, list | tuple):
        parts = list(value)
    else:
        problems.append(f"{where}: expected ranges like '09:00-18:00', got {value!r}")
        return []
    out: list[tuple[time, time]] = []
    for part in parts:
        if not isinstance(part, str):
            problems.append(f"{where}: expected a range like '09:00-18:00', got {part!r}")
            continue
        match = _RANGE.match(part)
        if match is None:
            problems.append(f"{where}: {part!r} is not a range like '09:00-18:00'")
            continue
        try:
            start = _time(*match.group(1, 2, 3))
            end = _time(*match.group(4, 5, 6))
        except ValueError as exc:
            problems.append(f"{where}: {part!r}: {exc}")
            continue
        out.append((start, end))
    return out


def _days(key: str) -> list[int] | None:
    text = key.strip().lower()
    if text in ("daily", "all", "*"):
        return list(range(7))
    if "-" in text:
        first, _, last = text.partition("-")
        if first in _DAYS and last in _DAYS:
            a, b = _DAYS.index(first), _DAYS.index(last)
            return list(range(a, b + 1)) if a <= b else [*range(a, 7), *range(0, b + 1)]
        return None
    if text in _DAYS:
        return [_DAYS.index(text)]
    return None


def _date(value: Any) -> date | None:
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _provider(
    spec: Any, registry: ProviderRegistry, where: str, problems: list[str]
) -> HolidayProvider | None:
    if spec is None:
        return None
    if isinstance(spec, str):
        name, options = spec, {}
    elif isinstance(spec, Mapping) and isinstance(spec.get("name"), str):
        name = spec["name"]
        options = {str(k): v for k, v in spec.items() if k != "name"}
    else:
        problems.append(f"{where}: provider must be a name or a table with 'name', got {spec!r}")
        return None
    try:
        return registry.get(name, **options)
    except HelpdeskError as exc:
        problems.append(f"{where}: {exc}")
        return None


def calendar_from_dict(
    data: Mapping[str, Any],
    *,
    providers: ProviderRegistry | None = None,
    name: str = "calendar",
) -> BusinessCalendar:
    """Build a :class:`BusinessCalendar` from plain data (see the module docs for the shape)."""
    what = f"calendar {name!r}"
    problems: list[str] = []
    if not isinstance(data, Mapping):
        raise InvalidDefinition(what, [f"expected a table, got {type(data).__name__}"])
    unknown = set(data) - _CALENDAR_KEYS
    if unknown:
        problems.append(f"unknown key(s): {', '.join(sorted(map(str, unknown)))}")
    timezone = data.get("timezone")
    if not isinstance(timezone, str) or not timezone:
        problems.append("'timezone' is missing (an IANA name such as 'Asia/Shanghai')")
    weekly: dict[int, list[tuple[time, time]]] = {}
    hours = data.get("hours")
    if not isinstance(hours, Mapping):
        problems.append("'hours' must map days ('mon', 'mon-fri', 'daily') to ranges")
    else:
        for key, ranges in hours.items():
            days = _days(str(key))
            if days is None:
                problems.append(f"hours: {key!r} is not a day, a day range or 'daily'")
                continue
            parsed = parse_ranges(ranges, f"hours[{key}]", problems)
            for day in days:
                weekly.setdefault(day, []).extend(parsed)
    holidays: list[date] = []
    raw_holidays = data.get("holidays", [])
    if not isinstance(raw_holidays, list | tuple):
        problems.append("'holidays' must be a list of dates")
    else:
        for value in raw_holidays:
            closed = _date(value)
            if closed is None:
                problems.append(f"holidays: {value!r} is not a date (YYYY-MM-DD)")
            else:
                holidays.append(closed)
    overrides: dict[date, list[tuple[time, time]]] = {}
    raw_overrides = data.get("overrides", {})
    if not isinstance(raw_overrides, Mapping):
        problems.append("'overrides' must map dates to ranges")
    else:
        for key, ranges in raw_overrides.items():
            replaced = _date(key)
            if replaced is None:
                problems.append(f"overrides: {key!r} is not a date (YYYY-MM-DD)")
                continue
            overrides[replaced] = parse_ranges(ranges, f"overrides[{key}]", problems)
    makeup = None
    if "makeup_hours" in data:
        makeup = parse_ranges(data["makeup_hours"], "makeup_hours", problems)
    provider = _provider(
        data.get("provider"), providers or default_registry(), "provider", problems
    )
    if problems:
        raise InvalidDefinition(what, problems)
    try:
        return BusinessCalendar(
            str(timezone), weekly, holidays, overrides, provider=provider, makeup_hours=makeup
        )
    except InvalidInput as exc:
        raise InvalidDefinition(what, exc.problems or [str(exc)]) from None


def policy_set_from_dict(
    data: Mapping[str, Any], *, providers: ProviderRegistry | None = None
) -> PolicySet:
    """Build a :class:`PolicySet` from ``{"calendars": {...}, "policies": [...]}``.

    Every problem of every calendar and policy is listed in one ``InvalidDefinition``.
    Calendar *names* used by policies are checked when the set is bound to a desk
    (:meth:`~helpdesk_kit.desk.Helpdesk.configure_sla`), which may add calendars of its own.
    """
    if not isinstance(data, Mapping):
        raise InvalidDefinition("SLA configuration", [f"expected a table, got {data!r}"])
    problems: list[str] = []
    unknown = set(data) - {"calendars", "policies"}
    if unknown:
        problems.append(f"unknown key(s): {', '.join(sorted(map(str, unknown)))}")
    calendars: dict[str, BusinessCalendar] = {}
    raw_calendars = data.get("calendars", {})
    if not isinstance(raw_calendars, Mapping):
        problems.append("'calendars' must be a table of named calendars")
    else:
        for cname, spec in raw_calendars.items():
            if cname == ALWAYS_OPEN:
                problems.append(f"calendar {ALWAYS_OPEN!r} is built in and cannot be redefined")
                continue
            try:
                calendars[str(cname)] = calendar_from_dict(spec, providers=providers, name=cname)
            except InvalidDefinition as exc:
                problems += [f"calendar {cname!r}: {p}" for p in exc.problems]
    policies: list[SlaPolicy] = []
    raw_policies = data.get("policies")
    if not isinstance(raw_policies, list) or not raw_policies:
        problems.append("'policies' must be a non-empty list ([[policies]] tables in TOML)")
    else:
        for index, spec in enumerate(raw_policies):
            try:
                policies.append(SlaPolicy.from_dict(spec))
            except InvalidDefinition as exc:
                label = spec.get("name") if isinstance(spec, Mapping) else None
                where = f"policy {label!r}" if label else f"policy #{index + 1}"
                problems += [f"{where}: {p}" for p in exc.problems]
    if problems:
        raise InvalidDefinition("SLA configuration", problems)
    try:
        return PolicySet(policies, calendars)
    except InvalidDefinition as exc:
        raise InvalidDefinition("SLA configuration", exc.problems) from None


def load_policies(path: str | Path, *, providers: ProviderRegistry | None = None) -> PolicySet:
    """Read calendars and policies from a ``.toml`` or ``.json`` file."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".toml", ".json"):
        raise InvalidInput(f"SLA policy file {p} must end in .toml or .json")
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read SLA policy file {p}: {exc}") from exc
    try:
        data = tomllib.loads(raw.decode("utf-8")) if suffix == ".toml" else json.loads(raw)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"SLA policy file {p} is not valid {suffix[1:].upper()}: {exc}") from exc
    return policy_set_from_dict(data, providers=providers)
