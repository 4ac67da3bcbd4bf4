"""Every extension point of helpdesk_kit, as pluggy hook specifications.

Implement a hook in a plugin (a module or an object) with the marker from
:mod:`helpdesk_kit.plugins`::

    from helpdesk_kit.plugins import hookimpl

    @hookimpl
    def on_ticket_event(desk, event, ticket):
        print(event.kind, ticket.ref)

and either pass the plugin to ``Helpdesk(plugins=[...])`` or publish it through an
entry point in the ``helpdesk_kit`` group. A plugin implements only the hooks it
needs and may leave out trailing arguments it does not use.

``register_*`` hooks are called once when a desk starts; they receive a ``register``
callback. Other hooks are called while the desk works. Where a spec says "first
result wins" (``firstresult=True``), pluggy stops at the first plugin returning
something other than ``None``; plugins registered later are asked first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

from helpdesk_kit.lifecycle.definition import Lifecycle
from helpdesk_kit.lifecycle.guards import Guard
from helpdesk_kit.tickets.model import (
    Actor,
    Agent,
    Customer,
    InboundMessage,
    Ticket,
    TicketEvent,
)

if TYPE_CHECKING:
    from helpdesk_kit.desk import Helpdesk

PROJECT_NAME = "helpdesk_kit"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)

# --------------------------------------------------------------------------------------
# Registration hooks: called once when a desk starts.
# --------------------------------------------------------------------------------------


@hookspec
def register_storage_backends(register: Callable[[str, Callable[..., Any]], None]) -> None:
    """Register storage backends by URL scheme.

    :param register: call ``register(scheme, factory)``; ``factory(url, **options)`` returns an
        object implementing :class:`helpdesk_kit.storage.base.Storage`. ``Helpdesk.from_url``
        picks the factory by the URL's scheme (the part before ``+`` and ``://``).
    """


@hookspec
def register_channels(register: Callable[[Any], None]) -> None:
    """Register channels (email, chat, WeChat, ...).

    :param register: call ``register(channel)`` with an object that has ``name`` (str),
        ``capabilities`` (a set of strings such as ``"html"``, ``"attachments"``,
        ``"threading"``, ``"realtime"``) and ``send(desk, ticket, message, customer)``, which
        delivers a public reply and returns the channel's id for it (or None). A channel
        registered twice under one name is an error.
    """


@hookspec
def register_lifecycles(register: Callable[[Lifecycle | Mapping[str, Any]], None]) -> None:
    """Register ticket lifecycles.

    :param register: call ``register(lifecycle)`` with a :class:`~helpdesk_kit.lifecycle.Lifecycle`
        or the dict :meth:`Lifecycle.from_dict` accepts. A later registration of the same name
        replaces an earlier one (so a plugin can redefine ``support``).
    """


@hookspec
def register_guards(register: Callable[[str, Guard], None]) -> None:
    """Register transition guards by name.

    :param register: call ``register(name, guard)``; ``guard(ctx)`` receives a
        :class:`~helpdesk_kit.lifecycle.GuardContext` and returns None to allow the transition
        or a sentence saying why not.
    """


@hookspec
def register_holiday_providers(register: Callable[[str, Callable[..., Any]], None]) -> None:
    """Register holiday providers for business calendars.

    :param register: call ``register(name, factory)``; ``factory(**options)`` returns a provider
        that knows the holidays and extra working days of the years it covers, and raises for
        years it does not.
    """


@hookspec
def register_escalation_actions(register: Callable[[str, Callable[..., Any]], None]) -> None:
    """Register escalation actions by name (used by escalation levels).

    :param register: call ``register(name, action)``; ``action(desk, ticket, level, params)``
        carries out the action and returns a mapping recorded in the escalation event.
    """


@hookspec
def register_search_backends(register: Callable[[str, Callable[..., Any]], None]) -> None:
    """Register knowledge-base search backends.

    :param register: call ``register(name, factory)``; ``factory(desk, **options)`` returns an
        index with ``add``, ``remove``, ``search`` and ``__len__`` like
        :class:`helpdesk_kit.kb.SearchIndex`.
    """


@hookspec
def register_bot_actions(register: Callable[[str, Callable[..., Any]], None]) -> None:
    """Register actions the bot can run for an intent (order lookup, password reset, ...).

    :param register: call ``register(name, action)``; ``action(desk, customer, slots)`` does the
        work in the host application and returns a mapping with at least ``ok`` (bool) and
        ``text`` (what the bot tells the customer).
    """


@hookspec
def register_intent_backends(register: Callable[[str, Callable[..., Any]], None]) -> None:
    """Register intent-classifier backends for the bot.

    :param register: call ``register(name, factory)``; ``factory(**options)`` returns a backend
        with ``fit(examples)`` and ``predict_scores(text)``.
    """


@hookspec
def register_routing_strategies(register: Callable[[str, Callable[..., Any]], None]) -> None:
    """Register routing strategies that groups can choose by name (``Group.routing``).

    :param register: call ``register(name, strategy)``; ``strategy(context)`` gets a
        :class:`helpdesk_kit.routing.RoutingContext` (the ticket, the candidates with their
        loads, the customer's tier and last agent, the group's round-robin pointer) and
        returns the chosen candidate's agent id, or None to leave the ticket waiting in its
        group's queue. A plugin may replace a built-in strategy of the same name.
    """


# --------------------------------------------------------------------------------------
# Hooks called while the desk works.
# --------------------------------------------------------------------------------------


@hookspec
def customer_context(desk: Helpdesk, customer: Customer) -> Mapping[str, Any] | None:
    """Return facts about ``customer`` from the host application (orders, account, plan).

    Shown to agents beside the conversation and available to templates and the bot.
    Every plugin's mapping is merged; for a key given by several plugins the first
    plugin asked wins.
    """


@hookspec
def customer_orders(desk: Helpdesk, customer: Customer) -> Sequence[Mapping[str, Any]] | None:
    """Return the customer's orders from the host application, for KPIs.

    Each order is a mapping with ``id``, ``amount`` (a ``Decimal`` or a string), ``currency``,
    ``created_at`` (an aware datetime) and optionally ``status`` and ``ticket_id`` (the
    conversation that led to it). Lists from every plugin are concatenated.
    """


@hookspec
def classify_message(
    desk: Helpdesk, message: InboundMessage, customer: Customer
) -> Mapping[str, Any] | None:
    """Classify an inbound message that opens a new ticket.

    Return a mapping with any of ``category``, ``priority``, ``tags``, ``group`` (a group name),
    ``language``, ``lifecycle``; the desk applies them to the new ticket. For a key given by
    several plugins the first plugin asked wins; ``tags`` are united.
    """


@hookspec(firstresult=True)
def route_ticket(desk: Helpdesk, ticket: Ticket, candidates: Sequence[Agent]) -> str | None:
    """Choose the agent for ``ticket`` among ``candidates`` (online, with free capacity).

    Return the agent's id, or None to leave the choice to the group's routing strategy.
    First result wins.
    """


@hookspec(firstresult=True)
def select_sla_policy(desk: Helpdesk, ticket: Ticket, policies: Sequence[Any]) -> Any | None:
    """Choose the SLA policy for ``ticket`` instead of the first matching one.

    Return one of ``policies``, or None to use the normal rule (first matching policy in
    order). First result wins.
    """


@hookspec
def check_transition(desk: Helpdesk, ticket: Ticket, transition: str, actor: Actor) -> str | None:
    """Veto a transition: return a sentence saying why it must not happen, or None to allow.

    Called after the lifecycle's own checks pass, before anything is stored. Any veto stops
    the transition with ``GuardFailed`` (guard ``"check_transition"``).
    """


@hookspec(firstresult=True)
def check_authority(
    desk: Helpdesk, actor: Actor, action: str, amount: Any, ticket: Ticket | None
) -> bool | None:
    """Decide whether ``actor`` may do ``action`` (``"refund"``, ``"coupon"``, ...) for ``amount``.

    Return True to allow, False to require approval, or None to apply the configured
    authority limits. First result wins.
    """


@hookspec(firstresult=True)
def render_message(desk: Helpdesk, ticket: Ticket, text: str, actor: Actor) -> str | None:
    """Rewrite the text of a public reply before it is stored and sent (a signature, a footer).

    Return the new text, or None to keep it. First result wins.
    """


@hookspec
def suggest_articles(desk: Helpdesk, ticket: Ticket, text: str, limit: int) -> Sequence[Any] | None:
    """Suggest knowledge-base articles for a ticket from its subject and latest message.

    Return suggestions (objects with at least ``article_id``, ``title`` and ``score``); the
    desk merges every plugin's list, best score first, and keeps ``limit``.
    """


@hookspec
def on_ticket_event(desk: Helpdesk, event: TicketEvent, ticket: Ticket) -> None:
    """Observe an event of a ticket's audit trail, after it was committed.

    ``ticket`` is the ticket as that command left it. An exception raised here is logged
    and does not undo the command.
    """


@hookspec
def notify(desk: Helpdesk, notification: Mapping[str, Any]) -> None:
    """Deliver a notification to people (an escalation, a bad rating, an approval request).

    ``notification`` has ``kind``, ``ticket_id`` (or None), ``recipients`` (agent ids or group
    names), ``subject`` and ``text``. Every plugin is called.
    """


@hookspec
def register_authority_actions(
    register: Callable[[str, Callable[[Helpdesk, Any], Mapping[str, Any] | None]], None],
) -> None:
    """Register the host application's actions behind authority limits (refund, coupon, ...).

    :param register: call ``register(name, action)``; ``action(desk, request)`` carries out
        the :class:`~helpdesk_kit.authority.AuthorityRequest` (``request.action``,
        ``request.amount``, ``request.params``, ``request.ticket_id``) in the host application
        and returns a mapping recorded with the ``authority.executed`` event (or None). Raise,
        or return a mapping with ``"ok": False``, when it failed: the request is recorded as
        failed and ``request_action``/``approve`` raise ``ActionFailed``. The action runs
        outside the desk's transaction and must be all-or-nothing itself; ``request.id`` is
        an idempotency key. A name registered twice is an error.
    """


@hookspec
def customer_orders_many(
    desk: Helpdesk, customer_ids: Sequence[str]
) -> Mapping[str, Sequence[Mapping[str, Any]]] | None:
    """Return the orders of many customers at once, for KPIs over whole periods.

    A monthly report needs the orders of every customer served that month — tens of
    thousands of them; asking ``customer_orders`` once per customer is the host
    application's "N+1 queries" problem. ``customer_ids`` are the desk's customer ids; return
    a mapping from customer id to that customer's orders (mappings as ``customer_orders``
    describes; customers without orders may be left out), or None to decline — the desk
    then asks this plugin's ``customer_orders`` once per customer. Mappings from every
    plugin are merged (their lists concatenated).
    """
