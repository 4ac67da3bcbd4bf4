"""Template variables: named providers that declare their fields and give their values.

A *variable provider* serves one namespace of placeholders: ``customer`` serves
``{customer.name}``, ``order`` serves ``{order.id}``. It declares its fields up front (so a
template is checked when it is saved, not when it is sent) and is called with a
:class:`RenderContext` when a template that uses it is rendered. It returns a mapping (or an
attrs object) in which the fields are looked up, or None when it has nothing for this ticket.

Other features add namespaces to a desk with ``desk.add_template_variables(name, provider,
fields=...)`` (the SLA feature adds ``sla``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs

from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.macros.syntax import MISSING, Placeholder, lookup
from helpdesk_kit.tickets.model import Agent, Customer, Ticket

__all__ = [
    "AGENT_FIELDS",
    "CUSTOMER_FIELDS",
    "ORDER_FIELDS",
    "TICKET_FIELDS",
    "Provider",
    "RenderContext",
    "TemplateVariables",
    "VariableSpec",
    "agent_variables",
    "context_variables",
    "customer_variables",
    "default_variables",
    "order_variables",
    "ticket_variables",
]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FIELD = re.compile(r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$")


class RenderContext:
    """What a provider is given: the ticket, its customer, the agent, locale, time and zone.

    ``customer_context`` is what the host application's ``customer_context`` hooks return
    for the customer (asked at most once per rendering, and only when a template needs it).
    ``desk`` and ``work`` are the desk and the unit of work rendering runs in, for providers
    that read stored state (an SLA provider reads the ticket's timers there).
    """

    def __init__(
        self,
        *,
        ticket: Ticket,
        customer: Customer,
        agent: Agent | None,
        now: datetime,
        locale: str = "en",
        timezone: str = "UTC",
        kind: str = "reply",
        customer_context: Callable[[], Mapping[str, Any] | None] | None = None,
        desk: Any = None,
        work: Any = None,
    ) -> None:
        self.ticket = ticket
        self.customer = customer
        self.agent = agent
        self.now = now
        self.locale = locale
        self.timezone = timezone
        self.kind = kind
        self.desk = desk
        self.work = work
        self._context_loader = customer_context
        self._context: Mapping[str, Any] | None = None

    @property
    def customer_context(self) -> Mapping[str, Any]:
        """The host application's facts about the customer (``{}`` when there are none)."""
        if self._context is None:
            loaded = self._context_loader() if self._context_loader is not None else None
            self._context = dict(loaded or {})
        return self._context


#: ``provider(ctx)`` returns a mapping or attrs object holding the declared fields, or None.
Provider = Callable[[RenderContext], Any]


def _fieldset(values: Iterable[str], where: str) -> frozenset[str]:
    if isinstance(values, str):
        values = [values]
    fields = frozenset(str(v) for v in values)
    bad = sorted(f for f in fields if not _FIELD.match(f))
    if bad:
        raise InvalidInput(f"{where}: not field names: {', '.join(map(repr, bad))}")
    if not fields:
        raise InvalidInput(f"{where}: declare at least one field")
    return fields


@attrs.frozen
class VariableSpec:
    """One namespace: its provider and the fields it declares.

    A declared field also allows the paths below it: declaring ``items`` allows
    ``{order.items.0.name}``. ``kinds`` limits the namespace to templates of those kinds
    (None: every kind).
    """

    name: str
    provider: Provider
    fields: frozenset[str]
    kinds: frozenset[str] | None = None
    description: str = ""

    def allows(self, field: str) -> bool:
        """True when ``field`` (a dotted path in this namespace) is declared or below one."""
        parts = field.split(".")
        return any(".".join(parts[:i]) in self.fields for i in range(1, len(parts) + 1))

    def applies_to(self, kind: str) -> bool:
        """True when templates of ``kind`` may use this namespace."""
        return self.kinds is None or kind in self.kinds


class TemplateVariables:
    """The namespaces a desk offers to templates, by name."""

    def __init__(self, specs: Iterable[VariableSpec] = ()) -> None:
        self._specs: dict[str, VariableSpec] = {}
        for spec in specs:
            self._specs[spec.name] = spec

    def add(
        self,
        name: str,
        provider: Provider,
        *,
        fields: Iterable[str],
        kinds: Iterable[str] | None = None,
        description: str = "",
        replace: bool = False,
    ) -> VariableSpec:
        """Add the namespace ``name``; ``InvalidInput`` if it exists (unless ``replace``)."""
        if not isinstance(name, str) or not _NAME.match(name):
            raise InvalidInput(
                f"a variable namespace needs a name of letters, digits and '_', got {name!r}"
            )
        if not callable(provider):
            raise InvalidInput(f"the provider of {name!r} must be callable, got {provider!r}")
        if name in self._specs and not replace:
            raise InvalidInput(
                f"template variables {name!r} are already provided; pass replace=True to "
                "replace them"
            )
        kind_set = None
        if kinds is not None:
            kind_set = frozenset([kinds] if isinstance(kinds, str) else kinds)
        spec = VariableSpec(
            name,
            provider,
            _fieldset(fields, f"template variables {name!r}"),
            kind_set,
            description,
        )
        self._specs[name] = spec
        return spec

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __getitem__(self, name: str) -> VariableSpec:
        return self._specs[name]

    def names(self, kind: str | None = None) -> list[str]:
        """The namespaces (for templates of ``kind`` when given), sorted."""
        return sorted(n for n, s in self._specs.items() if kind is None or s.applies_to(kind))

    def kinds(self) -> set[str]:
        """Template kinds some namespace is limited to (besides ``reply`` and ``note``)."""
        out = {"reply", "note"}
        for spec in self._specs.values():
            out |= set(spec.kinds or ())
        return out

    def check(self, placeholder: Placeholder, kind: str) -> str | None:
        """Why ``placeholder`` cannot be used in a template of ``kind``, or None."""
        ns = placeholder.namespace
        spec = self._specs.get(ns)
        if spec is not None and spec.applies_to(kind) and placeholder.field in spec.fields:
            return None  # the common case, checked on every rendering
        known = self.names(kind)
        if spec is None or not spec.applies_to(kind):
            close = difflib.get_close_matches(ns, known, n=1)
            hint = f"; did you mean {{{close[0]}.{placeholder.field}}}?" if close else ""
            extra = "" if spec is None else f" (it is not offered to {kind!r} templates)"
            return (
                f"unknown variable {{{placeholder.name}}}{extra}: no namespace {ns!r} "
                f"(known: {', '.join(known) or 'none'}){hint}"
            )
        if not spec.allows(placeholder.field):
            fields = sorted(spec.fields)
            close = difflib.get_close_matches(placeholder.field, fields, n=1)
            hint = f"; did you mean {{{ns}.{close[0]}}}?" if close else ""
            return (
                f"unknown variable {{{placeholder.name}}}: {ns!r} has no field "
                f"{placeholder.field!r} (fields: {', '.join(fields)}){hint}"
            )
        return None

    def resolve(self, placeholder: Placeholder, ctx: RenderContext, cache: dict[str, Any]) -> Any:
        """The raw value of ``placeholder`` (``MISSING`` when absent); providers run once."""
        ns = placeholder.namespace
        if ns not in cache:
            spec = self._specs.get(ns)
            if spec is None:
                cache[ns] = MISSING
            else:
                cache[ns] = spec.provider(ctx)
        root = cache[ns]
        if root is None or root is MISSING:
            return MISSING
        return lookup(root, placeholder.path[1:])


# ------------------------------------------------------------------------ built-in providers

CUSTOMER_FIELDS = ("name", "email", "phone", "tier", "locale", "id")
TICKET_FIELDS = (
    "number",
    "id",
    "subject",
    "status",
    "priority",
    "category",
    "channel",
    "language",
    "created_at",
    "tags",
)
AGENT_FIELDS = ("name", "email", "id")
#: Order fields every template may use; hosts declare more by re-adding ``order``.
ORDER_FIELDS = (
    "id",
    "status",
    "amount",
    "currency",
    "created_at",
    "paid_at",
    "shipped_at",
    "tracking_number",
    "carrier",
    "items",
    "total",
)


def customer_variables(ctx: RenderContext) -> dict[str, Any]:
    """``{customer.name}`` (the display name: name, else a handle), email, phone, tier, ..."""
    c = ctx.customer
    return {
        "name": c.display_name,
        "email": c.email,
        "phone": c.handle("phone"),
        "tier": c.tier,
        "locale": c.locale,
        "id": c.id,
    }


def ticket_variables(ctx: RenderContext) -> dict[str, Any]:
    """``{ticket.number}`` (``#1042``), subject, status, priority, category, channel, ..."""
    t = ctx.ticket
    return {
        "number": t.ref,
        "id": t.id,
        "subject": t.subject,
        "status": t.status,
        "priority": t.priority.value,
        "category": t.category,
        "channel": t.channel,
        "language": t.language,
        "created_at": t.created_at,
        "tags": sorted(t.tags),
    }


def agent_variables(ctx: RenderContext) -> dict[str, Any] | None:
    """``{agent.name}`` and ``{agent.email}`` of the agent replying (None without one)."""
    a = ctx.agent
    if a is None:
        return None
    return {"name": a.name, "email": a.email, "id": a.id}


def order_variables(ctx: RenderContext) -> Mapping[str, Any] | None:
    """The ticket's order from the ``customer_context`` hooks.

    ``context["order"]`` when the host gives one mapping; else, from ``context["orders"]``
    (a list, newest first), the order whose ``id`` is the ticket's ``custom_fields["order_id"]``,
    else the first. None when the customer has no order.
    """
    context = ctx.customer_context
    single = context.get("order")
    if isinstance(single, Mapping):
        return single
    orders = context.get("orders")
    if not isinstance(orders, list | tuple) or not orders:
        return None
    wanted = ctx.ticket.custom_fields.get("order_id")
    if wanted is not None:
        for order in orders:
            if isinstance(order, Mapping) and str(order.get("id")) == str(wanted):
                return order
    first = orders[0]
    return first if isinstance(first, Mapping) else None


def context_variables(key: str) -> Provider:
    """A provider for one key of the ``customer_context`` data (``{account.plan}``)."""

    def provide(ctx: RenderContext) -> Any:
        value = ctx.customer_context.get(key, MISSING)
        return None if value is MISSING else value

    provide.__doc__ = f"The customer_context hooks' {key!r} entry."
    return provide


def default_variables() -> TemplateVariables:
    """The namespaces every desk starts with: customer, ticket, agent and order."""
    reg = TemplateVariables()
    reg.add("customer", customer_variables, fields=CUSTOMER_FIELDS, description="the customer")
    reg.add("ticket", ticket_variables, fields=TICKET_FIELDS, description="the ticket")
    reg.add("agent", agent_variables, fields=AGENT_FIELDS, description="the agent replying")
    reg.add(
        "order",
        order_variables,
        fields=ORDER_FIELDS,
        description="the ticket's order, from the customer_context hooks",
    )
    return reg
