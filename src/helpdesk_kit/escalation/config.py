"""Escalation policies as data (dict, TOML, JSON), validated with every problem listed.

The data form of one policy::

    {
        "name": "guide",
        "applies_to": {"channels": ["email", "chat"]},          # optional
        "levels": [
            {"name": "team_lead",
             "when": {"waiting": "2h", "since": "customer_message"},
             "actions": [{"action": "assign_supervisor"},
                         {"action": "notify", "recipients": ["supervisor"]}]},
        ],
    }

Conditions (``when``, exactly one key): ``{"sla": METRIC, "percent": 80}``,
``{"breach": METRIC | "any"}``, ``{"waiting": "4h", "since": "created" | "customer_message"}``,
``{"keywords": "default" | [words]}``, ``{"sentiment": "default" | [words]}``,
``{"rating_at_most": 2}``, ``{"complaint": true | {"lifecycles": [...], "categories": [...]}}``.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from helpdesk_kit.duration import parse_duration
from helpdesk_kit.errors import HelpdeskError, InvalidDefinition, InvalidInput
from helpdesk_kit.escalation.keywords import DEFAULT_KEYWORDS, DEFAULT_SENTIMENT_WORDS
from helpdesk_kit.escalation.policy import (
    BUILTIN_ACTIONS,
    WAIT_SINCE,
    Action,
    AppliesTo,
    BadRating,
    ComplaintTicket,
    Condition,
    EscalationPolicy,
    Keywords,
    Level,
    SlaBreached,
    SlaUsed,
    Waiting,
)
from helpdesk_kit.tickets.model import Priority

__all__ = [
    "check_policies",
    "condition_from_dict",
    "load_policies",
    "policies_from_data",
    "policy_from_dict",
]

_CONDITION_KEYS = (
    "sla",
    "breach",
    "waiting",
    "keywords",
    "sentiment",
    "rating_at_most",
    "complaint",
)
_EXTRA_KEYS = {"sla": {"percent"}, "waiting": {"since"}}


def _words(
    value: Any, default: tuple[str, ...], where: str, problems: list[str]
) -> tuple[str, ...]:
    if value == "default" or value is True:
        return default
    if isinstance(value, str):
        value = [value]
    if (
        not isinstance(value, Sequence)
        or not value
        or not all(isinstance(w, str) and w.strip() for w in value)
    ):
        problems.append(f"{where}: give 'default' or a non-empty list of words, got {value!r}")
        return ()
    return tuple(value)


def _condition(data: Any, where: str, problems: list[str]) -> Condition | None:
    if not isinstance(data, Mapping):
        problems.append(f"{where}: a condition is a table such as {{waiting = '2h'}}, got {data!r}")
        return None
    keys = [k for k in _CONDITION_KEYS if k in data]
    if len(keys) != 1:
        problems.append(
            f"{where}: give exactly one of {', '.join(_CONDITION_KEYS)} "
            f"(got {', '.join(map(str, data)) or 'none'})"
        )
        return None
    kind = keys[0]
    unknown = sorted(set(map(str, data)) - {kind} - _EXTRA_KEYS.get(kind, set()))
    if unknown:
        problems.append(f"{where}: unknown key(s) {', '.join(unknown)} for a {kind!r} condition")
    value = data[kind]
    count = len(problems)
    if kind == "sla":
        percent = data.get("percent")
        if not isinstance(value, str) or not value:
            problems.append(f"{where}: sla must name a metric, got {value!r}")
        if isinstance(percent, bool) or not isinstance(percent, int | float) or percent <= 0:
            problems.append(f"{where}: percent must be a number above 0, got {percent!r}")
        return SlaUsed(value, float(percent)) if len(problems) == count and percent else None
    if kind == "breach":
        if not isinstance(value, str) or not value:
            problems.append(f"{where}: breach must name a metric or 'any', got {value!r}")
            return None
        return SlaBreached(None if value == "any" else value)
    if kind == "waiting":
        since = data.get("since", "created")
        after = None
        try:
            after = parse_duration(value, what=f"{where} waiting")
            if after.total_seconds() <= 0:
                problems.append(f"{where}: waiting must be positive, got {value!r}")
        except HelpdeskError as exc:
            problems.append(f"{where}: {exc}")
        if since not in WAIT_SINCE:
            problems.append(f"{where}: since must be one of {', '.join(WAIT_SINCE)}, got {since!r}")
        return Waiting(after, since) if len(problems) == count and after is not None else None
    if kind in ("keywords", "sentiment"):
        default = DEFAULT_KEYWORDS if kind == "keywords" else DEFAULT_SENTIMENT_WORDS
        words = _words(value, default, f"{where} {kind}", problems)
        return Keywords(words, kind) if words else None
    if kind == "rating_at_most":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            problems.append(f"{where}: rating_at_most must be a score from 1 to 5, got {value!r}")
            return None
        return BadRating(value)
    # complaint
    if value is True:
        return ComplaintTicket()
    if isinstance(value, Mapping):
        bad = sorted(set(map(str, value)) - {"lifecycles", "categories"})
        if bad:
            problems.append(f"{where}: unknown complaint key(s) {', '.join(bad)}")
        sets = {}
        for key in ("lifecycles", "categories"):
            got = value.get(key, ["complaint"])
            if not isinstance(got, Sequence) or isinstance(got, str):
                problems.append(f"{where}: complaint {key} must be a list, got {got!r}")
                got = []
            sets[key] = frozenset(str(x) for x in got)
        return ComplaintTicket(sets["lifecycles"], sets["categories"])
    problems.append(f"{where}: complaint must be true or a table, got {value!r}")
    return None


def condition_from_dict(data: Mapping[str, Any]) -> Condition:
    """One condition from its data form; ``InvalidDefinition`` lists what is wrong."""
    problems: list[str] = []
    found = _condition(data, "condition", problems)
    if problems or found is None:
        raise InvalidDefinition("escalation condition", problems or ["no condition"])
    return found


def _str_list(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence) and all(isinstance(v, str) and v for v in value):
        return list(value)
    return None


def _action(
    data: Any, where: str, problems: list[str], known: Collection[str] | None
) -> Action | None:
    if isinstance(data, str):
        data = {"action": data}
    if not isinstance(data, Mapping) or not isinstance(data.get("action"), str):
        problems.append(f"{where}: an action is a table with 'action' (a name), got {data!r}")
        return None
    name = str(data["action"])
    params = {str(k): v for k, v in data.items() if k != "action"}
    allowed: set[str] | None = None
    if name == "assign_group":
        allowed = {"group"}
        if not isinstance(params.get("group"), str) or not params["group"]:
            problems.append(f"{where}: assign_group needs group (a group name)")
    elif name == "assign_supervisor":
        allowed = {"group"}
        if "group" in params and (not isinstance(params["group"], str) or not params["group"]):
            problems.append(f"{where}: assign_supervisor's group must be a group name")
    elif name == "raise_priority":
        allowed = {"to"}
        if "to" in params and params["to"] not in {p.value for p in Priority}:
            problems.append(
                f"{where}: raise_priority to must be one of "
                f"{', '.join(p.value for p in Priority)}, got {params['to']!r}"
            )
    elif name == "notify":
        allowed = {"recipients", "subject", "text", "kind"}
        if "recipients" in params:
            rec = _str_list(params["recipients"])
            if not rec:
                problems.append(f"{where}: notify recipients must be a list of names")
            else:
                params["recipients"] = rec
        for key in ("subject", "text", "kind"):
            if key in params and not isinstance(params[key], str):
                problems.append(f"{where}: notify {key} must be a string")
    elif name == "tag":
        allowed = {"tags"}
        tags = _str_list(params.get("tags"))
        if not tags or not all(t.strip() for t in tags):
            problems.append(f"{where}: tag needs tags (a non-empty list of tags)")
        else:
            params["tags"] = tags
    elif name == "complaint":
        allowed = {"status", "lifecycle"}
        for key in ("status", "lifecycle"):
            if key in params and (not isinstance(params[key], str) or not params[key]):
                problems.append(f"{where}: complaint {key} must be a name")
    elif known is not None and name not in known:
        problems.append(
            f"{where}: unknown action {name!r} (known: {', '.join(sorted(known))}); "
            "plugins add actions through register_escalation_actions"
        )
    if allowed is not None:
        extra = sorted(set(params) - allowed)
        if extra:
            problems.append(f"{where}: unknown key(s) {', '.join(extra)} for action {name!r}")
    return Action(name, params)


def _applies_to(data: Any, where: str, problems: list[str]) -> AppliesTo:
    if data is None:
        return AppliesTo()
    if not isinstance(data, Mapping):
        problems.append(f"{where}: applies_to must be a table, got {data!r}")
        return AppliesTo()
    unknown = sorted(set(map(str, data)) - set(AppliesTo.FIELDS))
    if unknown:
        problems.append(
            f"{where}: unknown applies_to key(s) {', '.join(unknown)} "
            f"(known: {', '.join(AppliesTo.FIELDS)})"
        )
    values: dict[str, frozenset[str]] = {}
    for key in AppliesTo.FIELDS:
        if key in data:
            got = _str_list(data[key])
            if got is None:
                problems.append(f"{where}: applies_to {key} must be a list of names")
            else:
                values[key] = frozenset(got)
    prios = values.get("priorities", frozenset()) - {p.value for p in Priority}
    if prios:
        problems.append(f"{where}: unknown priorities {', '.join(sorted(prios))}")
    return AppliesTo(**values)


def _policy(
    data: Any, where: str, problems: list[str], known: Collection[str] | None
) -> EscalationPolicy | None:
    if not isinstance(data, Mapping):
        problems.append(f"{where}: a policy is a table, got {data!r}")
        return None
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(f"{where}: a policy needs a name")
        name = "?"
    else:
        where = f"policy {name!r}"
    unknown = sorted(set(map(str, data)) - {"name", "levels", "applies_to", "description"})
    if unknown:
        problems.append(f"{where}: unknown key(s) {', '.join(unknown)}")
    raw_levels = data.get("levels")
    levels: list[Level] = []
    if not isinstance(raw_levels, Sequence) or isinstance(raw_levels, str) or not raw_levels:
        problems.append(f"{where}: levels must be a non-empty list")
        raw_levels = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_levels, 1):
        at = f"{where} level {i}"
        if not isinstance(raw, Mapping):
            problems.append(f"{at}: a level is a table, got {raw!r}")
            continue
        lname = raw.get("name")
        if not isinstance(lname, str) or not lname.strip():
            problems.append(f"{at}: a level needs a name")
            lname = f"level{i}"
        else:
            at = f"{where} level {lname!r}"
            if lname in seen:
                problems.append(f"{at}: the level name is used twice")
            seen.add(lname)
        extra = sorted(set(map(str, raw)) - {"name", "when", "actions", "description"})
        if extra:
            problems.append(f"{at}: unknown key(s) {', '.join(extra)}")
        condition = _condition(raw.get("when"), f"{at} when", problems)
        raw_actions = raw.get("actions")
        actions: list[Action] = []
        if not isinstance(raw_actions, Sequence) or isinstance(raw_actions, str) or not raw_actions:
            problems.append(f"{at}: actions must be a non-empty list")
        else:
            for j, act in enumerate(raw_actions, 1):
                found = _action(act, f"{at} action {j}", problems, known)
                if found is not None:
                    actions.append(found)
        description = raw.get("description", "")
        if condition is not None and actions:
            levels.append(Level(lname, condition, actions, str(description)))
    applies = _applies_to(data.get("applies_to"), where, problems)
    return EscalationPolicy(name, levels, applies, str(data.get("description", "")))


def policy_from_dict(
    data: Mapping[str, Any], *, actions: Collection[str] | None = None
) -> EscalationPolicy:
    """One policy from its data form; ``InvalidDefinition`` lists every problem.

    ``actions``: the action names allowed besides the built-ins (None: any name).
    """
    return policies_from_data([data], actions=actions)[0]


def policies_from_data(
    data: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    *,
    actions: Collection[str] | None = None,
) -> list[EscalationPolicy]:
    """Policies from ``{"policies": [...]}``, a list of policies or one policy (a dict).

    ``InvalidDefinition`` lists every problem of every policy. ``actions``: plugin action
    names allowed besides the built-ins (None: accept any name).
    """
    known = None if actions is None else {*BUILTIN_ACTIONS, *actions}
    if isinstance(data, Mapping):
        if "levels" in data:
            raw: Any = [data]
        else:
            extra = sorted(set(map(str, data)) - {"policies"})
            if extra:
                raise InvalidDefinition(
                    "escalation policies", [f"unknown top-level key(s) {', '.join(extra)}"]
                )
            raw = data.get("policies", [])
    else:
        raw = data
    problems: list[str] = []
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise InvalidDefinition("escalation policies", [f"policies must be a list, got {raw!r}"])
    out: list[EscalationPolicy] = []
    names: set[str] = set()
    for i, item in enumerate(raw, 1):
        policy = _policy(item, f"policy {i}", problems, known)
        if policy is None:
            continue
        if policy.name in names:
            problems.append(f"policy {policy.name!r}: the name is used twice")
        names.add(policy.name)
        out.append(policy)
    if problems:
        raise InvalidDefinition("escalation policies", problems)
    return out


def check_policies(
    policies: Sequence[EscalationPolicy], *, actions: Collection[str] | None = None
) -> list[str]:
    """Problems of policies built in code: duplicate names, unknown actions."""
    problems: list[str] = []
    known = None if actions is None else {*BUILTIN_ACTIONS, *actions}
    names: set[str] = set()
    for policy in policies:
        if not isinstance(policy, EscalationPolicy):
            problems.append(f"not an EscalationPolicy: {policy!r}")
            continue
        if policy.name in names:
            problems.append(f"policy {policy.name!r}: the name is used twice")
        names.add(policy.name)
        if not policy.levels:
            problems.append(f"policy {policy.name!r}: it has no levels")
        seen: set[str] = set()
        for level in policy.levels:
            if level.name in seen:
                problems.append(f"policy {policy.name!r} level {level.name!r}: name used twice")
            seen.add(level.name)
            if not level.actions:
                problems.append(f"policy {policy.name!r} level {level.name!r}: no actions")
            for action in level.actions:
                if known is not None and action.name not in known:
                    problems.append(
                        f"policy {policy.name!r} level {level.name!r}: unknown action "
                        f"{action.name!r} (known: {', '.join(sorted(known))})"
                    )
    return problems


def load_policies(
    path: str | Path, *, actions: Collection[str] | None = None
) -> list[EscalationPolicy]:
    """Read policies from a ``.toml`` or ``.json`` file (``[[policies]]`` tables)."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".toml", ".json"):
        raise InvalidInput(f"escalation policy file {p} must end in .toml or .json")
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read escalation policy file {p}: {exc}") from exc
    try:
        data = tomllib.loads(raw.decode("utf-8")) if suffix == ".toml" else json.loads(raw)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            f"escalation policy file {p} is not valid {suffix[1:].upper()}: {exc}"
        ) from exc
    return policies_from_data(data, actions=actions)
