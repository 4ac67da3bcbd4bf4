"""Authority limits (授权): who may settle how much themselves, and who approves the rest.

A policy has one rule per action (``refund``, ``coupon``, ``compensation``, ...). A rule
gives each role a limit; an actor may do the action without approval while the sum of
their own requests for it within the rule's window, this one included, stays within the
highest limit of their roles. Above that, or with no limit for any of their roles, the
request waits for an approver.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import attrs

from helpdesk_kit.authority.money import Money, to_amount
from helpdesk_kit.duration import parse_duration
from helpdesk_kit.errors import CurrencyMismatch, InvalidDefinition, InvalidInput

__all__ = [
    "KNOWN_ROLES",
    "SCOPES",
    "UNLIMITED",
    "ActionRule",
    "AuthorityPolicy",
    "Decision",
    "decide",
]

#: Roles a limit can be given to: the agent roles, the bot and the desk's own automation.
KNOWN_ROLES = frozenset({"agent", "supervisor", "admin", "bot", "system"})
#: Which of the actor's earlier requests count against the limit.
SCOPES = ("customer", "ticket")
#: Write this instead of an amount for "no limit".
UNLIMITED = "unlimited"

_ACTION = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_POLICY_KEYS = {"currency", "window", "scope", "approvers", "actions"}
_RULE_KEYS = {
    "description",
    "currency",
    "window",
    "scope",
    "limit",
    "limits",
    "approvers",
    "approval_limits",
}

Scope = Literal["customer", "ticket"]


@attrs.frozen
class ActionRule:
    """The limits of one action.

    ``limits`` maps a role to the most it may do within ``window`` (None: no limit); roles
    not listed need approval for any amount. ``scope`` says which earlier requests of the
    same actor count: those for the same ``customer`` (on any of their tickets, so also the
    same ticket) or only those on the same ``ticket``. ``approvers`` are the roles that may
    approve; ``approval_limits`` caps what a role may approve in one request (a role without
    an entry may approve any amount).
    """

    name: str
    currency: str
    limits: Mapping[str, Decimal | None]
    window: timedelta
    scope: Scope
    approvers: frozenset[str]
    approval_limits: Mapping[str, Decimal | None] = attrs.field(factory=dict)
    description: str = ""

    def limit_for(self, roles: Iterable[str]) -> tuple[bool, Money | None]:
        """(has a limit, the highest limit among ``roles``; None means unlimited)."""
        found = [self.limits[r] for r in roles if r in self.limits]
        if not found:
            return False, None
        if any(v is None for v in found):
            return True, None
        return True, Money(max(v for v in found if v is not None), self.currency)

    def approval_problem(self, roles: Iterable[str], amount: Money) -> str | None:
        """Why an actor with ``roles`` may not approve ``amount``, or None."""
        mine = set(roles) & self.approvers
        if not mine:
            return f"approving a {self.name} needs the role {' or '.join(sorted(self.approvers))}"
        caps = [self.approval_limits.get(r, None) for r in mine]
        if any(c is None for c in caps):
            return None
        cap = max(c for c in caps if c is not None)
        if amount.amount > cap:
            return f"approving a {self.name} of {amount} is above your approval limit of " + str(
                Money(cap, self.currency)
            )
        return None

    def to_dict(self) -> dict[str, Any]:
        """Plain data in the shape :meth:`AuthorityPolicy.from_dict` takes."""

        def text(v: Decimal | None) -> str:
            return UNLIMITED if v is None else format(v, "f")

        out: dict[str, Any] = {
            "currency": self.currency,
            "window": f"{int(self.window.total_seconds())}s",
            "scope": self.scope,
            "approvers": sorted(self.approvers),
            "limits": {r: text(v) for r, v in sorted(self.limits.items())},
        }
        if self.approval_limits:
            out["approval_limits"] = {r: text(v) for r, v in sorted(self.approval_limits.items())}
        if self.description:
            out["description"] = self.description
        return out


@attrs.frozen
class Decision:
    """What the limits say about one request.

    ``outcome`` is ``within_limit``, ``unlimited``, ``over_limit`` or ``no_limit_for_role``
    (or, when the ``check_authority`` hook decided, ``hook_allowed`` /
    ``hook_requires_approval``). ``used`` is what already counted in the window.
    """

    allowed: bool
    outcome: str
    used: Money
    limit: Money | None = None
    message: str = ""


def decide(rule: ActionRule, roles: Iterable[str], amount: Money, used: Money) -> Decision:
    """Whether ``amount`` on top of ``used`` is within the limit of the actor's ``roles``."""
    if amount.currency != rule.currency or used.currency != rule.currency:
        raise CurrencyMismatch(
            f"{rule.name} limits are in {rule.currency}; got {amount} "
            "(helpdesk_kit never converts currencies)"
        )
    has, limit = rule.limit_for(roles)
    if not has:
        return Decision(
            False,
            "no_limit_for_role",
            used,
            None,
            f"no {rule.name} limit for these roles; every {rule.name} needs approval",
        )
    if limit is None:
        return Decision(True, "unlimited", used, None, f"no limit on {rule.name}")
    total = used + amount
    if total <= limit:
        return Decision(
            True,
            "within_limit",
            used,
            limit,
            f"{total} of {limit} used within the window",
        )
    return Decision(
        False,
        "over_limit",
        used,
        limit,
        f"{used} already used + {amount} = {total} is over the limit of {limit}",
    )


def _amount(value: Any, currency: str | None, where: str, problems: list[str]) -> Decimal | None:
    """Parse a limit; returns None for unlimited and records problems."""
    if isinstance(value, str) and value.strip().lower() == UNLIMITED:
        return None
    try:
        if isinstance(value, str) and re.search(r"[A-Za-z]", value):
            money = Money.parse(value)
            if currency is not None and money.currency != currency:
                problems.append(f"{where}: {value!r} is not in the rule's currency {currency}")
                return Decimal(0)
            amount = money.amount
        else:
            amount = to_amount(value, where)
    except InvalidInput as exc:
        problems.append(f"{where}: {exc}" if not str(exc).startswith(where) else str(exc))
        return Decimal(0)
    if amount < 0:
        problems.append(f"{where}: a limit cannot be negative, got {value!r}")
    return amount


def _roles(value: Any, where: str, problems: list[str]) -> frozenset[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple | set | frozenset) or not value:
        problems.append(f"{where}: give a list of roles (e.g. ['supervisor'])")
        return frozenset()
    roles = frozenset(str(v) for v in value)
    unknown = sorted(roles - KNOWN_ROLES)
    if unknown:
        problems.append(
            f"{where}: unknown role(s) {', '.join(unknown)} "
            f"(roles: {', '.join(sorted(KNOWN_ROLES))})"
        )
    return roles


def _role_amounts(
    value: Any, currency: str | None, where: str, problems: list[str]
) -> dict[str, Decimal | None]:
    if not isinstance(value, Mapping):
        problems.append(f"{where}: give a table of role = amount")
        return {}
    out: dict[str, Decimal | None] = {}
    for role, amount in value.items():
        if role not in KNOWN_ROLES:
            problems.append(
                f"{where}: unknown role {role!r} (roles: {', '.join(sorted(KNOWN_ROLES))})"
            )
            continue
        out[str(role)] = _amount(amount, currency, f"{where}.{role}", problems)
    return out


@attrs.frozen
class AuthorityPolicy:
    """Authority limits for every action, by name."""

    rules: Mapping[str, ActionRule]

    def rule(self, action: str) -> ActionRule:
        """The rule of ``action``; ``InvalidInput`` naming the known actions otherwise."""
        try:
            return self.rules[action]
        except (KeyError, TypeError):
            raise InvalidInput(
                f"no authority rule for action {action!r} "
                f"(actions: {', '.join(sorted(self.rules))})"
            ) from None

    @property
    def actions(self) -> list[str]:
        """The action names, sorted."""
        return sorted(self.rules)

    def to_dict(self) -> dict[str, Any]:
        """Plain data that :meth:`from_dict` reads back."""
        return {"actions": {name: rule.to_dict() for name, rule in sorted(self.rules.items())}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuthorityPolicy:
        """Build and validate a policy; every problem is listed in one ``InvalidDefinition``.

        The shape (defaults at the top, one table per action)::

            {"currency": "CNY", "window": "24h", "scope": "customer",
             "approvers": ["supervisor"],
             "actions": {
                 "refund": {"limits": {"agent": "200", "supervisor": "2000",
                                       "admin": "unlimited"}},
                 "coupon": {"limits": {"agent": "50"}},
                 "compensation": {"limit": "500", "approval_limits": {"supervisor": "5000"}}}}

        ``limit`` applies to every role not listed in ``limits``. Amounts are text or
        integers (``"200"``, ``"200 CNY"``, ``200``); floats are refused.
        """
        problems: list[str] = []
        if not isinstance(data, Mapping):
            raise InvalidDefinition("authority policy", [f"must be a table, got {data!r}"])
        problems += [
            f"unknown key {k!r} (keys: {', '.join(sorted(_POLICY_KEYS))})"
            for k in sorted(set(data) - _POLICY_KEYS)
        ]
        default_currency = data.get("currency")
        default_window = data.get("window", "24h")
        default_scope = data.get("scope", "customer")
        default_approvers = data.get("approvers", ["supervisor"])
        actions = data.get("actions")
        rules: dict[str, ActionRule] = {}
        if not isinstance(actions, Mapping) or not actions:
            problems.append("no actions: give at least one, e.g. actions.refund.limits.agent")
            actions = {}
        for name, raw in actions.items():
            where = f"actions.{name}"
            if not isinstance(name, str) or not _ACTION.match(name):
                problems.append(f"{where}: an action name is lower-case letters, digits and '_'")
            if not isinstance(raw, Mapping):
                problems.append(f"{where}: must be a table")
                continue
            problems += [
                f"{where}: unknown key {k!r} (keys: {', '.join(sorted(_RULE_KEYS))})"
                for k in sorted(set(raw) - _RULE_KEYS)
            ]
            currency_raw = raw.get("currency", default_currency)
            currency = None
            if currency_raw is None:
                problems.append(f"{where}: no currency (set 'currency' for the policy or action)")
            else:
                try:
                    currency = Money(0, currency_raw).currency
                except InvalidInput as exc:
                    problems.append(f"{where}.currency: {exc}")
            try:
                window = parse_duration(raw.get("window", default_window), what=f"{where}.window")
                if window <= timedelta(0):
                    problems.append(f"{where}.window: must be longer than zero")
            except InvalidInput as exc:
                problems.append(str(exc))
                window = timedelta(days=1)
            scope = raw.get("scope", default_scope)
            if scope not in SCOPES:
                problems.append(f"{where}.scope: {scope!r} is not one of {', '.join(SCOPES)}")
                scope = "customer"
            approvers = _roles(
                raw.get("approvers", default_approvers), f"{where}.approvers", problems
            )
            limits: dict[str, Decimal | None] = {}
            if "limit" in raw:
                every = _amount(raw["limit"], currency, f"{where}.limit", problems)
                limits = dict.fromkeys(KNOWN_ROLES, every)
            if "limits" in raw:
                limits.update(_role_amounts(raw["limits"], currency, f"{where}.limits", problems))
            if "limit" not in raw and "limits" not in raw:
                problems.append(
                    f"{where}: no limits (give 'limits' per role or one 'limit'); "
                    "without them every request would need approval"
                )
            approval_limits = _role_amounts(
                raw.get("approval_limits", {}), currency, f"{where}.approval_limits", problems
            )
            outside = sorted(set(approval_limits) - approvers)
            if outside:
                problems.append(
                    f"{where}.approval_limits: {', '.join(outside)} cannot approve "
                    f"(approvers: {', '.join(sorted(approvers))})"
                )
            description = raw.get("description", "")
            if not isinstance(description, str):
                problems.append(f"{where}.description: must be text")
                description = ""
            rules[str(name)] = ActionRule(
                name=str(name),
                currency=currency or "XXX",
                limits=limits,
                window=window,
                scope=scope,
                approvers=approvers,
                approval_limits=approval_limits,
                description=description,
            )
        if problems:
            raise InvalidDefinition("authority policy", problems)
        return cls(rules)

    @classmethod
    def from_toml(cls, text: str) -> AuthorityPolicy:
        """Build from TOML text (the :meth:`from_dict` shape)."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InvalidInput(f"authority policy is not valid TOML: {exc}") from None
        return cls.from_dict(data)

    @classmethod
    def load(cls, path: str | Path) -> AuthorityPolicy:
        """Read a ``.toml`` file."""
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidInput(f"cannot read authority policy {p}: {exc}") from None
        return cls.from_toml(text)
