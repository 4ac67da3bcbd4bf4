"""The Helpdesk service: every command runs in one unit of work, records events, calls hooks."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, TypeVar

import attrs
import pluggy

from helpdesk_kit.clock import Clock, SystemClock, ensure_aware, to_utc
from helpdesk_kit.desk import kb_plugin
from helpdesk_kit.desk.analytics import KpiCommands
from helpdesk_kit.desk.authority import AuthorityCommands
from helpdesk_kit.desk.automation import AutomationCommands
from helpdesk_kit.desk.bot import BotCommands
from helpdesk_kit.desk.bulk import ImportSummary
from helpdesk_kit.desk.channels import ChannelCommands
from helpdesk_kit.desk.escalation import EscalationCommands
from helpdesk_kit.desk.feedback import SurveyCommands
from helpdesk_kit.desk.kb import KnowledgeBase, KnowledgeBaseCommands
from helpdesk_kit.desk.macros import MacroCommands
from helpdesk_kit.desk.results import ReceiveResult, SweepResult
from helpdesk_kit.desk.retry import retry_on_conflict
from helpdesk_kit.desk.routing import RoutingCommands
from helpdesk_kit.desk.settings import DeskSettings
from helpdesk_kit.desk.sla import SlaCommands, holiday_registry
from helpdesk_kit.desk.work import Work
from helpdesk_kit.errors import (
    AlreadyExists,
    GuardFailed,
    InvalidDefinition,
    InvalidInput,
    NotFound,
    PermissionDenied,
    StorageError,
    TransitionNotAllowed,
)
from helpdesk_kit.ids import parse_ticket_number
from helpdesk_kit.lifecycle.definition import Lifecycle
from helpdesk_kit.lifecycle.engine import check_guards, fire, missing_guards
from helpdesk_kit.plugins import (
    collect_lifecycles,
    collect_named,
    collect_objects,
    create_plugin_manager,
)
from helpdesk_kit.storage import plugin as storage_plugin
from helpdesk_kit.storage.base import Page, Storage, TicketFilter
from helpdesk_kit.storage.memory import MemoryStorage
from helpdesk_kit.storage.urls import open_storage
from helpdesk_kit.tickets import events as ev
from helpdesk_kit.tickets.model import (
    Actor,
    Agent,
    AgentStatus,
    AttachmentMeta,
    AuthorKind,
    Customer,
    FollowUp,
    Group,
    Identity,
    InboundMessage,
    Message,
    Priority,
    StateCategory,
    Ticket,
    TicketEvent,
)

__all__ = ["Helpdesk", "default_url"]

log = logging.getLogger("helpdesk_kit")

T = TypeVar("T")
#: ``reactor(desk, work, events)``: runs inside a unit of work after a command's events.
Reactor = Callable[["Helpdesk", Work, list[TicketEvent]], None]
#: ``sweeper(desk, now)``: time-based work run by :meth:`Helpdesk.sweep`.
Sweeper = Callable[["Helpdesk", datetime], Any]
#: How many solved tickets the auto-close sweep loads at a time.
AUTO_CLOSE_BATCH = 500
#: How many rounds of reactions one unit of work may take.
MAX_REACTION_ROUNDS = 20
TicketRef = Ticket | str | int
ActorLike = Actor | Agent | Customer | None

_DONE = (StateCategory.SOLVED, StateCategory.CLOSED)
BUILTIN_PLUGINS: list[tuple[str, object]] = [
    ("helpdesk_kit.storage", storage_plugin),
    ("helpdesk_kit.kb", kb_plugin),
]
_STAFF_ROLES = frozenset({"agent", "supervisor", "admin", "system"})


class Helpdesk(
    ChannelCommands,
    MacroCommands,
    AuthorityCommands,
    KnowledgeBaseCommands,
    SlaCommands,
    EscalationCommands,
    BotCommands,
    SurveyCommands,
    KpiCommands,
    AutomationCommands,
    RoutingCommands,
):
    """A help desk: tickets, customers, agents and the commands that change them.

    ``Helpdesk()`` keeps everything in memory on the system clock;
    ``Helpdesk(storage=..., clock=FrozenClock(...), plugins=[...])`` chooses each part.
    """

    def __init__(
        self,
        storage: Storage | None = None,
        clock: Clock | None = None,
        plugins: Iterable[object] = (),
        *,
        settings: DeskSettings | None = None,
        load_entrypoints: bool = True,
        disable_plugins: Iterable[str] = (),
        plugin_manager: pluggy.PluginManager | None = None,
    ) -> None:
        self.storage: Storage = storage if storage is not None else MemoryStorage()
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.settings = settings if settings is not None else DeskSettings()
        self.plugin_manager = plugin_manager or create_plugin_manager(
            plugins,
            builtins=BUILTIN_PLUGINS,
            load_entrypoints=load_entrypoints,
            disable=disable_plugins,
        )
        if plugin_manager is not None:
            for plugin in plugins:
                if not plugin_manager.is_registered(plugin):
                    plugin_manager.register(plugin)
            plugin_manager.check_pending()
        self.hook = self.plugin_manager.hook
        self.lifecycles: dict[str, Lifecycle] = collect_lifecycles(self.hook.register_lifecycles)
        self.guards = collect_named(self.hook.register_guards, "guard", replace=True)
        self.channels: dict[str, Any] = collect_objects(self.hook.register_channels, "channel")
        self._authority_actions = collect_named(
            self.hook.register_authority_actions, "authority action"
        )
        self.holiday_providers = holiday_registry(self.hook)
        self._reactors: list[tuple[str, Reactor]] = []
        self._sweepers: dict[str, Sweeper] = {}
        self.kb = KnowledgeBase(self)
        self._setup_bot()
        self._install_kpi_tracking()
        self._setup_routing()
        self._check_definitions()
        self._active_statuses = sorted(
            {
                s.name
                for lc in self.lifecycles.values()
                for s in lc.states.values()
                if s.category not in _DONE
            }
        )

    @classmethod
    def from_url(
        cls,
        url: str | None = None,
        *,
        clock: Clock | None = None,
        plugins: Iterable[object] = (),
        settings: DeskSettings | None = None,
        load_entrypoints: bool = True,
        disable_plugins: Iterable[str] = (),
        **storage_options: Any,
    ) -> Helpdesk:
        """Open a desk on the storage a URL names (``memory://``, ``sqlite:///file.db``, ...).

        With no URL the desk uses the default SQLite file (see ``default_url()``).
        """
        pm = create_plugin_manager(
            plugins,
            builtins=BUILTIN_PLUGINS,
            load_entrypoints=load_entrypoints,
            disable=disable_plugins,
        )
        factories = collect_named(
            pm.hook.register_storage_backends, "storage backend", replace=True
        )
        storage = open_storage(url or default_url(), factories, **storage_options)
        return cls(storage, clock, settings=settings, plugin_manager=pm)

    def _check_definitions(self) -> None:
        problems: list[str] = []
        for lc in self.lifecycles.values():
            problems += [f"lifecycle {lc.name!r}: {p}" for p in missing_guards(lc, self.guards)]
        if self.settings.default_lifecycle not in self.lifecycles:
            problems.append(
                f"default lifecycle {self.settings.default_lifecycle!r} is not "
                f"registered (registered: {', '.join(self.lifecycles)})"
            )
        if problems:
            raise InvalidDefinition("desk configuration", problems)

    # ------------------------------------------------------------------ plumbing

    def now(self) -> datetime:
        """The desk clock's current instant (UTC)."""
        return to_utc(self.clock.now())

    @contextmanager
    def _work(self, now: datetime | None = None) -> Iterator[Work]:
        with self.storage.unit_of_work() as uow:
            work = Work(uow, self.now() if now is None else now)
            yield work
            self._react(work)
            uow.commit()
        self._after_commit(work)

    def add_reactor(self, name: str, reactor: Reactor) -> None:
        """Run ``reactor(desk, work, events)`` inside every unit of work that recorded events.

        Reactors keep derived state in step in the same transaction (SLA timers, escalation
        checks, automation rules). Events a reactor records are shown to every reactor in a
        further round, up to ``MAX_REACTION_ROUNDS`` rounds.
        """
        if any(existing == name for existing, _ in self._reactors):
            raise InvalidInput(f"a reactor named {name!r} is already installed")
        self._reactors.append((name, reactor))

    def _react(self, work: Work) -> None:
        done = 0
        rounds = 0
        while done < len(work.events) and self._reactors:
            rounds += 1
            if rounds > MAX_REACTION_ROUNDS:
                raise StorageError(
                    f"reactors kept recording events for {MAX_REACTION_ROUNDS} rounds; "
                    "a rule probably triggers itself"
                )
            batch = work.events[done:]
            done = len(work.events)
            for _name, reactor in self._reactors:
                reactor(self, work, batch)

    def add_sweeper(self, name: str, sweeper: Sweeper) -> None:
        """Run ``sweeper(desk, now)`` on every :meth:`sweep`; its result is kept under ``name``."""
        if name in self._sweepers:
            raise InvalidInput(f"a sweeper named {name!r} is already installed")
        self._sweepers[name] = sweeper

    def _after_commit(self, work: Work) -> None:
        for event in work.events:
            try:
                self.hook.on_ticket_event(
                    desk=self, event=event, ticket=work.tickets[event.ticket_id]
                )
            except Exception:
                log.exception("on_ticket_event hook failed for %s (%s)", event.kind, event.id)
        for ticket, message, customer in work.outbox:
            self._deliver(ticket, message, customer)

    def _deliver(self, ticket: Ticket, message: Message, customer: Customer) -> None:
        channel = self.channels.get(ticket.channel)
        if channel is None:
            return  # read in the host application (portal, API); nothing to send
        data: dict[str, Any] = {"message_id": message.id, "channel": ticket.channel}
        try:
            external_id = channel.send(self, ticket, message, customer)
            kind = ev.DELIVERED
            data["external_id"] = external_id
        except Exception as exc:
            log.exception("channel %s failed to deliver message %s", ticket.channel, message.id)
            kind = ev.DELIVERY_FAILED
            data["error"] = f"{type(exc).__name__}: {exc}"
        with self._work() as work:
            if kind == ev.DELIVERED:
                self._keep_channel_id(work, message, data.get("external_id"))
            work.record([TicketEvent(ticket.id, kind, work.now, "system", data)])
            work.tickets[ticket.id] = work.ticket(ticket.id)

    def lifecycle(self, name: str) -> Lifecycle:
        """The registered lifecycle called ``name``."""
        try:
            return self.lifecycles[name]
        except KeyError:
            raise InvalidInput(
                f"no lifecycle {name!r} (registered: {', '.join(self.lifecycles)})"
            ) from None

    @staticmethod
    def _actor(actor: ActorLike) -> Actor:
        if actor is None:
            return Actor.system()
        if isinstance(actor, Actor):
            return actor
        if isinstance(actor, Agent):
            return Actor.of_agent(actor)
        if isinstance(actor, Customer):
            return Actor.customer(actor.id)
        raise InvalidInput(f"actor must be an Actor, Agent or Customer, got {actor!r}")

    @staticmethod
    def _require_staff(actor: Actor, what: str) -> None:
        if not (actor.roles & _STAFF_ROLES):
            raise PermissionDenied(
                f"{what} needs an agent, a supervisor or the system; {actor} may not"
            )

    @staticmethod
    def _load_ticket(work: Work, ref: TicketRef) -> Ticket:
        if isinstance(ref, Ticket):
            return work.ticket(ref.id)
        if isinstance(ref, int) or (isinstance(ref, str) and ref.lstrip("#").isdigit()):
            found = work.uow.tickets.get_by_number(parse_ticket_number(ref))
            work.tickets[found.id] = found
            return found
        if isinstance(ref, str):
            return work.ticket(ref)
        raise InvalidInput(f"not a ticket reference: {ref!r} (use a Ticket, an id or '#1042')")

    @staticmethod
    def _customer_id(ref: Customer | str) -> str:
        if isinstance(ref, Customer):
            return ref.id
        if isinstance(ref, str) and ref:
            return ref
        raise InvalidInput(f"not a customer reference: {ref!r}")

    @staticmethod
    def _agent_id(ref: Agent | str) -> str:
        if isinstance(ref, Agent):
            return ref.id
        if isinstance(ref, str) and ref:
            return ref
        raise InvalidInput(f"not an agent reference: {ref!r}")

    def _group(self, work: Work, ref: Group | str | None) -> Group | None:
        if ref is None:
            return None
        if isinstance(ref, Group):
            return work.uow.groups.get(ref.id)
        found = work.uow.groups.get_by_name(ref)
        if found is not None:
            return found
        try:
            return work.uow.groups.get(ref)
        except NotFound:
            raise NotFound("group", ref) from None

    # ------------------------------------------------------------------ set-up

    def add_group(
        self,
        name: str,
        *,
        routing: str = "least_loaded",
        supervisor: Agent | str | None = None,
        description: str = "",
    ) -> Group:
        """Create a group (team) with its routing strategy."""
        group = Group(
            name=name,
            routing=routing,
            description=description,
            supervisor_id=None if supervisor is None else self._agent_id(supervisor),
        )
        with self._work() as work:
            return work.uow.groups.add(group)

    def add_agent(
        self,
        name: str,
        *,
        email: str | None = None,
        role: str = "agent",
        groups: Iterable[Group | str] = (),
        skills: Iterable[str] = (),
        languages: Iterable[str] = (),
        max_concurrent: int = 10,
        status: str = "online",
        shift: str | None = None,
    ) -> Agent:
        """Create an agent; ``groups`` are Group objects or group names."""
        with self._work() as work:
            group_ids = []
            for ref in groups:
                group = self._group(work, ref)
                assert group is not None
                group_ids.append(group.id)
            agent = Agent(
                name=name,
                email=email,
                role=role,
                groups=group_ids,
                skills=skills,
                languages=languages,
                max_concurrent=max_concurrent,
                status=status,
                shift=shift,
            )
            return work.uow.agents.add(agent)

    def update_agent(self, agent: Agent | str, **changes: Any) -> Agent:
        """Change an agent's fields (``status``, ``skills``, ``max_concurrent``, ...)."""
        with self._work() as work:
            current = work.uow.agents.get(self._agent_id(agent))
            try:
                updated = attrs.evolve(current, **changes)
            except TypeError as exc:
                raise InvalidInput(f"cannot change agent: {exc}") from None
            stored = work.uow.agents.update(updated)
        self._agent_updated(current, stored)  # routing: waiting tickets may go to them now
        return stored

    def set_agent_status(self, agent: Agent | str, status: str | AgentStatus) -> Agent:
        """Set an agent's presence (online, away, offline)."""
        try:
            value = AgentStatus(status)
        except ValueError:
            raise InvalidInput(
                f"unknown agent status {status!r} (use online, away or offline)"
            ) from None
        return self.update_agent(agent, status=value)

    def add_customer(
        self,
        name: str = "",
        *,
        identities: Iterable[Identity | tuple[str, str]] = (),
        email: str | None = None,
        phone: str | None = None,
        tier: str = "standard",
        locale: str | None = None,
        tags: Iterable[str] = (),
        attributes: Mapping[str, Any] | None = None,
    ) -> Customer:
        """Create a customer; ``AlreadyExists`` if one of the identities belongs to someone."""
        idents: list[Identity | tuple[str, str]] = list(identities)
        if email:
            idents.append(("email", email))
        if phone:
            idents.append(("phone", phone))
        with self._work() as work:
            customer = Customer(
                name=name,
                identities=idents,
                tier=tier,
                locale=locale,
                tags=tags,
                attributes=attributes or {},
                created_at=work.now,
            )
            return work.uow.customers.add(customer)

    def update_customer(self, customer: Customer | str, **changes: Any) -> Customer:
        """Change a customer's fields (name, tier, tags, identities, ...)."""
        with self._work() as work:
            current = work.uow.customers.get(self._customer_id(customer))
            try:
                updated = attrs.evolve(current, **changes)
            except TypeError as exc:
                raise InvalidInput(f"cannot change customer: {exc}") from None
            return work.uow.customers.update(updated)

    # ------------------------------------------------------------------ commands

    def open_ticket(
        self,
        customer: Customer | str,
        subject: str,
        text: str = "",
        *,
        channel: str = "web",
        priority: str | Priority = Priority.NORMAL,
        category: str | None = None,
        tags: Iterable[str] = (),
        group: Group | str | None = None,
        assignee: Agent | str | None = None,
        lifecycle: str | None = None,
        language: str | None = None,
        custom_fields: Mapping[str, Any] | None = None,
        html: str | None = None,
        attachments: Sequence[AttachmentMeta] = (),
        external_id: str | None = None,
        thread_key: str | None = None,
        actor: ActorLike = None,
    ) -> Ticket:
        """Open a ticket for ``customer``; ``text`` becomes its first (customer) message."""
        who = self._actor(actor)
        if not isinstance(subject, str):
            raise InvalidInput(f"subject must be a string, got {type(subject).__name__}")
        try:
            prio = Priority(priority)
        except ValueError:
            raise InvalidInput(
                f"unknown priority {priority!r} (use {', '.join(p.value for p in Priority)})"
            ) from None
        with self._work() as work:
            cust = work.uow.customers.get(self._customer_id(customer))
            ticket = self._create_ticket(
                work,
                cust,
                subject=subject,
                channel=channel,
                priority=prio,
                category=category,
                tags=frozenset(tags),
                group=self._group(work, group),
                lifecycle=lifecycle or self.settings.default_lifecycle,
                language=language,
                custom_fields=dict(custom_fields or {}),
                thread_key=thread_key,
                actor=who,
            )
            if text or html or attachments:
                message = Message(
                    ticket_id=ticket.id,
                    author_kind=AuthorKind.CUSTOMER,
                    author_id=cust.id,
                    text=text,
                    html=html,
                    attachments=attachments,
                    created_at=work.now,
                    channel=channel,
                    external_id=external_id,
                    subject=subject,
                )
                work.uow.messages.add(message)
                work.record(
                    [
                        self._event(
                            work,
                            ticket,
                            ev.MESSAGE_RECEIVED,
                            who,
                            message_id=message.id,
                            channel=channel,
                        )
                    ]
                )
            if assignee is not None:
                ticket = self._assign(
                    work, ticket, work.uow.agents.get(self._agent_id(assignee)), None, who
                )
            else:
                ticket = self._auto_route(work, ticket)
            return ticket

    def _event(
        self, work: Work, ticket: Ticket, kind: str, actor: Actor, **data: Any
    ) -> TicketEvent:
        return TicketEvent(ticket.id, kind, work.now, str(actor), data)

    def _create_ticket(
        self,
        work: Work,
        customer: Customer,
        *,
        subject: str,
        channel: str,
        priority: Priority,
        category: str | None,
        tags: frozenset[str],
        group: Group | None,
        lifecycle: str,
        language: str | None,
        custom_fields: dict[str, Any],
        thread_key: str | None,
        actor: Actor,
        participants: frozenset[str] = frozenset(),
    ) -> Ticket:
        if group is None and self.settings.default_group:
            group = self._group(work, self.settings.default_group)
        ticket, created = self._new_ticket(
            work,
            customer,
            number=work.uow.tickets.next_number(),
            subject=subject,
            channel=channel,
            priority=priority,
            category=category,
            tags=tags,
            group=group,
            lifecycle=lifecycle,
            language=language,
            custom_fields=custom_fields,
            thread_key=thread_key,
            actor=actor,
            participants=participants,
        )
        return work.add_ticket(ticket, [created])

    def _new_ticket(
        self,
        work: Work,
        customer: Customer,
        *,
        number: int,
        subject: str,
        channel: str,
        priority: Priority,
        category: str | None,
        tags: frozenset[str],
        group: Group | None,
        lifecycle: str,
        language: str | None,
        custom_fields: dict[str, Any],
        thread_key: str | None,
        actor: Actor,
        participants: frozenset[str] = frozenset(),
    ) -> tuple[Ticket, TicketEvent]:
        """A new ticket and its ``ticket.created`` event, not stored yet (bulk intake)."""
        lc = self.lifecycle(lifecycle)
        ticket = Ticket(
            number=number,
            subject=subject,
            customer_id=customer.id,
            channel=channel,
            status=lc.initial,
            lifecycle=lc.name,
            priority=priority,
            category=category,
            tags=tags,
            group_id=None if group is None else group.id,
            language=language or customer.locale,
            thread_key=thread_key,
            participants=participants,
            created_at=work.now,
            updated_at=work.now,
            custom_fields=custom_fields,
        )
        created = self._event(
            work,
            ticket,
            ev.TICKET_CREATED,
            actor,
            number=ticket.number,
            subject=subject,
            channel=channel,
            priority=priority.value,
            lifecycle=lc.name,
            status=lc.initial,
            customer_id=customer.id,
            group_id=ticket.group_id,
            category=category,
            tags=sorted(tags),
        )
        return ticket, created

    def reply(
        self,
        ticket: TicketRef,
        text: str,
        *,
        author: ActorLike,
        html: str | None = None,
        attachments: Sequence[AttachmentMeta] = (),
        transition: str | None = None,
        expected_version: int | None = None,
    ) -> Message:
        """Send a public reply (agent or bot); the first agent reply sets the first response time.

        ``transition`` fires in the same unit of work (e.g. ``"pend"`` to wait on the customer).
        """
        who = self._actor(author)
        if who.kind not in (AuthorKind.AGENT, AuthorKind.BOT, AuthorKind.SYSTEM):
            raise PermissionDenied(f"{who} cannot reply; customers write through receive()")
        if not isinstance(text, str) or not (text.strip() or html):
            raise InvalidInput("a reply needs text")
        with self._work() as work:
            old = self._load_ticket(work, ticket)
            self._check_not_merged(old)
            message, _ = self._reply_in(
                work,
                old,
                text,
                who,
                html=html,
                attachments=attachments,
                transition=transition,
                expected_version=expected_version,
            )
            return message

    def _reply_in(
        self,
        work: Work,
        old: Ticket,
        text: str,
        who: Actor,
        *,
        html: str | None = None,
        attachments: Sequence[AttachmentMeta] = (),
        transition: str | None = None,
        expected_version: int | None = None,
        event_data: Mapping[str, Any] | None = None,
    ) -> tuple[Message, Ticket]:
        """A public reply inside ``work``: message, first response, events, auto-transition.

        ``event_data`` is added to the ``reply.sent`` event (a template's name and version).
        """
        if who.kind not in (AuthorKind.AGENT, AuthorKind.BOT, AuthorKind.SYSTEM):
            raise PermissionDenied(f"{who} cannot reply; customers write through receive()")
        rendered = self.hook.render_message(desk=self, ticket=old, text=text, actor=who)
        if rendered is not None:
            text = rendered
        message = Message(
            ticket_id=old.id,
            author_kind=who.kind,
            author_id=who.id,
            text=text,
            html=html,
            attachments=attachments,
            created_at=work.now,
            channel=old.channel,
            public=True,
        )
        work.uow.messages.add(message)
        new = old
        first = who.kind is AuthorKind.AGENT and old.first_response_at is None
        if first:
            new = attrs.evolve(new, first_response_at=work.now)
        event = self._event(
            work,
            old,
            ev.REPLY_SENT,
            who,
            message_id=message.id,
            first_response=first,
            author_kind=who.kind.value,
            **dict(event_data or {}),
        )
        lc = self.lifecycle(old.lifecycle)
        auto = (
            lc.reply_transition("on_agent_reply", old.status)
            if who.kind is AuthorKind.AGENT
            else None
        )
        saved = work.save(old, new, [event], expected_version=expected_version)
        if auto and transition is None:
            saved = self._fire(work, saved, auto, Actor.system())
        if transition is not None:
            saved = self._fire(work, saved, transition, who)
        customer = work.uow.customers.get(saved.customer_id)
        work.outbox.append((saved, message, customer))
        return message, saved

    def add_note(
        self,
        ticket: TicketRef,
        text: str,
        *,
        author: ActorLike,
        attachments: Sequence[AttachmentMeta] = (),
    ) -> Message:
        """Add an internal note that the customer never sees (not a response)."""
        who = self._actor(author)
        if who.kind is not AuthorKind.BOT:
            self._require_staff(who, "an internal note")
        if not isinstance(text, str) or not text.strip():
            raise InvalidInput("a note needs text")
        with self._work() as work:
            old = self._load_ticket(work, ticket)
            message = Message(
                ticket_id=old.id,
                author_kind=who.kind,
                author_id=who.id,
                text=text,
                attachments=attachments,
                created_at=work.now,
                channel=None,
                public=False,
            )
            work.uow.messages.add(message)
            work.save(old, old, [self._event(work, old, ev.NOTE_ADDED, who, message_id=message.id)])
            return message

    def transition(
        self,
        ticket: TicketRef,
        name: str,
        *,
        actor: ActorLike = None,
        expected_version: int | None = None,
    ) -> Ticket:
        """Fire the lifecycle transition ``name`` on a ticket."""
        who = self._actor(actor)
        with self._work() as work:
            old = self._load_ticket(work, ticket)
            return self._fire(work, old, name, who, expected_version=expected_version)

    def _fire(
        self,
        work: Work,
        ticket: Ticket,
        name: str,
        actor: Actor,
        *,
        expected_version: int | None = None,
    ) -> Ticket:
        self._check_not_merged(ticket)
        lc = self.lifecycle(ticket.lifecycle)
        facts = {"open_followups": work.uow.followups.count_open(ticket.id)}
        new, events = fire(lc, ticket, name, actor, work.now, guards=self.guards, facts=facts)
        vetoes = [
            v
            for v in self.hook.check_transition(
                desk=self, ticket=ticket, transition=name, actor=actor
            )
            if v
        ]
        if vetoes:
            raise GuardFailed(name, "check_transition", "; ".join(vetoes))
        return work.save(ticket, new, events, expected_version=expected_version)

    def can_transition(
        self, ticket: TicketRef, name: str, *, actor: ActorLike = None
    ) -> str | None:
        """None when ``name`` could fire now, else the reason it cannot (nothing is changed)."""
        who = self._actor(actor)
        with self.storage.unit_of_work() as uow:
            work = Work(uow, self.now())
            return self._why_not(work, self._load_ticket(work, ticket), name, who)

    def _why_not(self, work: Work, ticket: Ticket, name: str, actor: Actor) -> str | None:
        lc = self.lifecycle(ticket.lifecycle)
        try:
            t = lc.transition(ticket.status, name)
            if not t.allows(actor.roles):
                return f"{actor} lacks the role for {name!r}"
            check_guards(
                lc,
                ticket,
                name,
                actor,
                work.now,
                guards=self.guards,
                facts={"open_followups": work.uow.followups.count_open(ticket.id)},
            )
        except (TransitionNotAllowed, GuardFailed) as exc:
            return str(exc)
        vetoes = [
            v
            for v in self.hook.check_transition(
                desk=self, ticket=ticket, transition=name, actor=actor
            )
            if v
        ]
        return "; ".join(vetoes) if vetoes else None

    def available_transitions(self, ticket: TicketRef, *, actor: ActorLike = None) -> list[str]:
        """Transitions the lifecycle offers from the ticket's state (to ``actor``'s roles)."""
        who = self._actor(actor)
        current = self.get_ticket(ticket)
        return self.lifecycle(current.lifecycle).available(current.status, who.roles)

    def assign(
        self,
        ticket: TicketRef,
        agent: Agent | str | None = None,
        *,
        group: Group | str | None = None,
        actor: ActorLike = None,
        expected_version: int | None = None,
    ) -> Ticket:
        """Assign a ticket to an agent and/or a group (``agent=None`` unassigns)."""
        who = self._actor(actor)
        self._require_staff(who, "assigning")
        with self._work() as work:
            old = self._load_ticket(work, ticket)
            self._check_not_merged(old)
            target = None if agent is None else work.uow.agents.get(self._agent_id(agent))
            grp = self._group(work, group)
            return self._assign(work, old, target, grp, who, expected_version=expected_version)

    def _assign(
        self,
        work: Work,
        ticket: Ticket,
        agent: Agent | None,
        group: Group | None,
        actor: Actor,
        *,
        expected_version: int | None = None,
        reason: str | None = None,
    ) -> Ticket:
        group_id = group.id if group is not None else ticket.group_id
        assignee_id = None if agent is None else agent.id
        if assignee_id == ticket.assignee_id and group_id == ticket.group_id:
            return ticket
        new = attrs.evolve(ticket, assignee_id=assignee_id, group_id=group_id)
        data: dict[str, Any] = {
            "assignee_id": assignee_id,
            "group_id": group_id,
            "previous_assignee_id": ticket.assignee_id,
            "previous_group_id": ticket.group_id,
        }
        if reason:
            data["reason"] = reason
        event = self._event(work, ticket, ev.ASSIGNED, actor, **data)
        return work.save(ticket, new, [event], expected_version=expected_version)

    def set_priority(
        self,
        ticket: TicketRef,
        priority: str | Priority,
        *,
        actor: ActorLike = None,
        expected_version: int | None = None,
    ) -> Ticket:
        """Change a ticket's priority."""
        who = self._actor(actor)
        self._require_staff(who, "changing priority")
        try:
            prio = Priority(priority)
        except ValueError:
            raise InvalidInput(f"unknown priority {priority!r}") from None
        with self._work() as work:
            old = self._load_ticket(work, ticket)
            if old.priority is prio:
                return old
            event = self._event(
                work,
                old,
                ev.PRIORITY_CHANGED,
                who,
                **{"from": old.priority.value, "to": prio.value},
            )
            return work.save(
                old, attrs.evolve(old, priority=prio), [event], expected_version=expected_version
            )

    def tag(
        self,
        ticket: TicketRef,
        add: Iterable[str] = (),
        remove: Iterable[str] = (),
        *,
        actor: ActorLike = None,
    ) -> Ticket:
        """Add and remove tags."""
        who = self._actor(actor)
        self._require_staff(who, "tagging")
        add_set, remove_set = _tag_set(add), _tag_set(remove)
        with self._work() as work:
            old = self._load_ticket(work, ticket)
            tags = (old.tags | add_set) - remove_set
            if tags == old.tags:
                return old
            event = self._event(
                work,
                old,
                ev.TAGS_CHANGED,
                who,
                added=sorted(tags - old.tags),
                removed=sorted(old.tags - tags),
            )
            return work.save(old, attrs.evolve(old, tags=tags), [event])

    def update_fields(
        self,
        ticket: TicketRef,
        *,
        actor: ActorLike = None,
        expected_version: int | None = None,
        **changes: Any,
    ) -> Ticket:
        """Change ``subject``, ``category``, ``language`` or ``custom_fields`` (merged in)."""
        who = self._actor(actor)
        self._require_staff(who, "changing fields")
        allowed = {"subject", "category", "language", "custom_fields"}
        unknown = sorted(set(changes) - allowed)
        if unknown:
            raise InvalidInput(
                f"cannot change {', '.join(unknown)} here "
                f"(changeable: {', '.join(sorted(allowed))})"
            )
        with self._work() as work:
            old = self._load_ticket(work, ticket)
            values = dict(changes)
            if "custom_fields" in values:
                values["custom_fields"] = {**old.custom_fields, **dict(values["custom_fields"])}
            diff = {
                k: [_plain(getattr(old, k)), _plain(v)]
                for k, v in values.items()
                if getattr(old, k) != v
            }
            if not diff:
                return old
            event = self._event(work, old, ev.FIELDS_CHANGED, who, changes=diff)
            return work.save(
                old, attrs.evolve(old, **values), [event], expected_version=expected_version
            )

    def merge(self, source: TicketRef, into: TicketRef, *, actor: ActorLike = None) -> Ticket:
        """Merge ``source`` into ``into``: its messages move over and it closes as merged."""
        who = self._actor(actor)
        self._require_staff(who, "merging")
        with self._work() as work:
            src = self._load_ticket(work, source)
            dst = self._load_ticket(work, into)
            if src.id == dst.id:
                raise InvalidInput(f"cannot merge {src.ref} into itself")
            self._check_not_merged(src)
            self._check_not_merged(dst)
            lc = self.lifecycle(src.lifecycle)
            closed = lc.states_in(StateCategory.CLOSED)[0]
            moved = work.uow.messages.move(src.id, dst.id)
            src_new = attrs.evolve(src, merged_into=dst.id, status=closed, closed_at=work.now)
            work.save(
                src,
                src_new,
                [
                    self._event(
                        work,
                        src,
                        ev.MERGED_INTO,
                        who,
                        into=dst.id,
                        into_number=dst.number,
                        **{"from": src.status, "to": closed},
                    )
                ],
            )
            dst_new = attrs.evolve(dst, tags=dst.tags | src.tags)
            return work.save(
                dst,
                dst_new,
                [
                    self._event(
                        work,
                        dst,
                        ev.MERGED_FROM,
                        who,
                        source=src.id,
                        source_number=src.number,
                        messages=moved,
                        source_created_at=src.created_at.isoformat(),
                    )
                ],
            )

    def confirm_solution(self, ticket: TicketRef, *, actor: ActorLike = None) -> Ticket:
        """Record that the customer confirmed the problem is solved (a close criterion)."""
        who = self._actor(actor)
        with self._work() as work:
            old = self._load_ticket(work, ticket)
            lc = self.lifecycle(old.lifecycle)
            if lc.category(old.status) is not StateCategory.SOLVED:
                raise InvalidInput(
                    f"ticket {old.ref} is {old.status!r}; only a solved ticket can be confirmed"
                )
            event = self._event(work, old, ev.CONFIRMED, who)
            return work.save(old, attrs.evolve(old, confirmed_at=work.now), [event])

    def add_followup(
        self,
        ticket: TicketRef,
        title: str,
        *,
        reason: str | None = None,
        due_at: datetime | None = None,
        assignee: Agent | str | None = None,
        actor: ActorLike = None,
    ) -> FollowUp:
        """Add an internal follow-up; the ticket cannot close until it is done."""
        who = self._actor(actor)
        with self._work() as work:
            old = self._load_ticket(work, ticket)
            followup = FollowUp(
                ticket_id=old.id,
                title=title,
                created_at=work.now,
                reason=reason,
                assignee_id=None if assignee is None else self._agent_id(assignee),
                due_at=None if due_at is None else to_utc(ensure_aware(due_at, "due_at")),
            )
            work.uow.followups.add(followup)
            work.save(
                old,
                old,
                [
                    self._event(
                        work,
                        old,
                        ev.FOLLOWUP_ADDED,
                        who,
                        followup_id=followup.id,
                        title=title,
                        reason=reason,
                    )
                ],
            )
            return followup

    def complete_followup(self, followup: FollowUp | str, *, actor: ActorLike = None) -> FollowUp:
        """Mark a follow-up done."""
        who = self._actor(actor)
        fid = followup.id if isinstance(followup, FollowUp) else followup
        with self._work() as work:
            current = work.uow.followups.get(fid)
            if not current.is_open:
                return current
            done = work.uow.followups.update(attrs.evolve(current, done_at=work.now))
            old = work.ticket(current.ticket_id)
            work.save(old, old, [self._event(work, old, ev.FOLLOWUP_DONE, who, followup_id=fid)])
            return done

    # ------------------------------------------------------------------ intake

    def receive(self, message: InboundMessage) -> ReceiveResult:
        """Take in a customer's message from any channel.

        It joins its ticket (through the channel's thread references, a quoted ticket number
        or the conversation key) or opens a new one; a reply to a solved ticket reopens it
        within the reopen window. A retried delivery (same channel and external id) returns
        the stored message and ticket with ``duplicate=True`` and changes nothing.
        """
        if not isinstance(message, InboundMessage):
            raise InvalidInput(f"receive() takes an InboundMessage, got {type(message).__name__}")
        return retry_on_conflict(
            lambda: self._receive_once(message), attempts=8, retry_on=(AlreadyExists,)
        )

    def import_messages(
        self, messages: Iterable[InboundMessage], *, batch_size: int = 1000
    ) -> ImportSummary:
        """Take in many messages (a history import, a backlog) with set-based SQL.

        Same outcome as calling :meth:`receive` for each in order — retried deliveries are
        skipped, one customer per identity, replies join their tickets — but new
        conversations are stored a batch at a time (one unit of work per batch). Streams:
        only one batch is in memory.
        """
        from helpdesk_kit.desk.bulk import import_messages

        return import_messages(self, messages, batch_size=batch_size)

    def _receive_once(self, inbound: InboundMessage) -> ReceiveResult:
        from helpdesk_kit.desk.intake import receive_into

        with self._work() as work:
            return receive_into(self, work, inbound)

    # ------------------------------------------------------------------ sweep

    def sweep(self, now: datetime | None = None) -> SweepResult:
        """Do the time-based work due at ``now``: auto-close, then every installed sweeper."""
        at = self.now() if now is None else to_utc(ensure_aware(now, "now"))
        closed, skipped = self._auto_close(at)
        results = {name: sweeper(self, at) for name, sweeper in self._sweepers.items()}
        return SweepResult(closed=closed, skipped=skipped, results=results)

    def _auto_close(self, at: datetime) -> tuple[list[str], dict[str, str]]:
        closed: list[str] = []
        skipped: dict[str, str] = {}
        for lc in self.lifecycles.values():
            window = lc.duration_setting("auto_close_after")
            solved_states = [
                s
                for s in lc.states_in(StateCategory.SOLVED)
                if any(t.name == "close" and s in t.sources for t in lc.transitions)
            ]
            if not solved_states:
                continue
            # due once ``at - solved_at >= window``, i.e. solved_at <= at - window
            due_before = at - window + timedelta(microseconds=1)
            after: tuple[datetime, str] | None = None
            while True:
                with self.storage.unit_of_work() as uow:
                    batch = uow.tickets.solved_before(
                        solved_states, due_before, limit=AUTO_CLOSE_BATCH, after=after
                    )
                for ticket in batch:
                    if ticket.lifecycle != lc.name:
                        continue
                    try:
                        with self._work(at) as work:
                            self._fire(work, work.ticket(ticket.id), "close", Actor.system())
                        closed.append(ticket.ref)
                    except (GuardFailed, TransitionNotAllowed) as exc:
                        skipped[ticket.ref] = str(exc)
                if len(batch) < AUTO_CLOSE_BATCH:
                    break
                last = batch[-1]
                assert last.solved_at is not None
                after = (last.solved_at, last.id)
        return closed, skipped

    def _iter_tickets(self, filter: TicketFilter, page_size: int = 500) -> Iterator[Ticket]:
        after: str | None = None
        while True:
            page = self.list_tickets(filter, limit=page_size, after=after)
            yield from page.items
            if page.next_cursor is None:
                return
            after = page.next_cursor

    # ------------------------------------------------------------------ queries

    def get_ticket(self, ref: TicketRef) -> Ticket:
        """A ticket by object, id, number or ``"#1042"``."""
        with self.storage.unit_of_work() as uow:
            return self._load_ticket(Work(uow, self.now()), ref)

    def get_customer(self, customer_id: str) -> Customer:
        """A customer by id."""
        with self.storage.unit_of_work() as uow:
            return uow.customers.get(customer_id)

    def find_customer(self, kind: str, value: str) -> Customer | None:
        """The customer with this identity (``"email"``, ``"a@b.cn"``), or None."""
        with self.storage.unit_of_work() as uow:
            return uow.customers.find_by_identity(kind, value)

    def get_agent(self, agent_id: str) -> Agent:
        """An agent by id."""
        with self.storage.unit_of_work() as uow:
            return uow.agents.get(agent_id)

    def agents(self, *, group: Group | str | None = None) -> list[Agent]:
        """All agents, or a group's."""
        with self.storage.unit_of_work() as uow:
            grp = self._group(Work(uow, self.now()), group)
            return uow.agents.list(group_id=None if grp is None else grp.id)

    def groups(self) -> list[Group]:
        """All groups."""
        with self.storage.unit_of_work() as uow:
            return uow.groups.list()

    def get_group(self, ref: str) -> Group:
        """A group by name or id."""
        with self.storage.unit_of_work() as uow:
            group = self._group(Work(uow, self.now()), ref)
            assert group is not None
            return group

    def list_tickets(
        self,
        filter: TicketFilter | None = None,
        *,
        limit: int = 50,
        after: str | None = None,
        newest_first: bool = False,
        **criteria: Any,
    ) -> Page:
        """A page of tickets matching ``filter`` or keyword criteria (see ``TicketFilter``)."""
        flt = _filter(filter, criteria)
        with self.storage.unit_of_work() as uow:
            return uow.tickets.list(flt, limit=limit, after=after, newest_first=newest_first)

    def count_tickets(self, filter: TicketFilter | None = None, **criteria: Any) -> int:
        """How many tickets match."""
        flt = _filter(filter, criteria)
        with self.storage.unit_of_work() as uow:
            return uow.tickets.count(flt)

    def messages(self, ticket: TicketRef, *, include_notes: bool = True) -> list[Message]:
        """A ticket's messages, oldest first (without internal notes if asked)."""
        with self.storage.unit_of_work() as uow:
            t = self._load_ticket(Work(uow, self.now()), ticket)
            msgs = uow.messages.list_for_ticket(t.id)
        return msgs if include_notes else [m for m in msgs if m.public]

    def events(self, ticket: TicketRef) -> list[TicketEvent]:
        """A ticket's audit trail in order."""
        with self.storage.unit_of_work() as uow:
            t = self._load_ticket(Work(uow, self.now()), ticket)
            return uow.events.list_for_ticket(t.id)

    def followups(self, ticket: TicketRef) -> list[FollowUp]:
        """A ticket's follow-ups."""
        with self.storage.unit_of_work() as uow:
            t = self._load_ticket(Work(uow, self.now()), ticket)
            return uow.followups.list_for_ticket(t.id)

    def customer_history(self, customer: Customer | str, *, limit: int = 100) -> list[Ticket]:
        """A customer's tickets, newest first (merged tickets left out)."""
        cid = self._customer_id(customer)
        page = self.list_tickets(TicketFilter(customer_id=cid), limit=limit, newest_first=True)
        return page.items

    def customer_context(self, customer: Customer | str) -> dict[str, Any]:
        """What the host application knows about the customer (orders, account), merged."""
        cust = customer if isinstance(customer, Customer) else self.get_customer(customer)
        merged: dict[str, Any] = {}
        for result in self.hook.customer_context(desk=self, customer=cust):
            if result:
                for key, value in result.items():
                    merged.setdefault(key, value)
        return merged

    def suggest_articles(self, ticket: TicketRef, *, limit: int = 5) -> list[Any]:
        """Knowledge-base suggestions for a ticket from every plugin, best first."""
        current = self.get_ticket(ticket)
        msgs = [m for m in self.messages(current) if m.author_kind is AuthorKind.CUSTOMER]
        text = current.subject + "\n" + (msgs[-1].text if msgs else "")
        found: list[Any] = []
        for result in self.hook.suggest_articles(desk=self, ticket=current, text=text, limit=limit):
            found.extend(result or ())
        found.sort(key=lambda s: -float(getattr(s, "score", 0.0)))
        return found[:limit]

    def notify(
        self,
        kind: str,
        *,
        subject: str,
        text: str,
        ticket: Ticket | None = None,
        recipients: Sequence[str] = (),
    ) -> None:
        """Send a notification through every ``notify`` plugin."""
        self.hook.notify(
            desk=self,
            notification={
                "kind": kind,
                "ticket_id": None if ticket is None else ticket.id,
                "recipients": list(recipients),
                "subject": subject,
                "text": text,
            },
        )

    @staticmethod
    def _check_not_merged(ticket: Ticket) -> None:
        if ticket.merged_into is not None:
            raise InvalidInput(
                f"ticket {ticket.ref} was merged into another ticket "
                f"({ticket.merged_into}); work on that one"
            )

    def retry(self, fn: Callable[[], T], *, attempts: int = 5) -> T:
        """Run ``fn`` again when it raises ``ConcurrencyConflict`` (up to ``attempts`` times)."""
        return retry_on_conflict(fn, attempts=attempts)

    def close(self) -> None:
        """Release the storage."""
        self.storage.close()

    def __enter__(self) -> Helpdesk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Helpdesk(storage={self.storage!r}, clock={self.clock!r})"


def default_url() -> str:
    """The storage URL used when none is given.

    ``$HELPDESK_KIT_URL`` when set, else the SQLite file
    ``$XDG_DATA_HOME/helpdesk_kit/helpdesk.db`` (``~/.local/share/helpdesk_kit/helpdesk.db``
    when ``XDG_DATA_HOME`` is unset); its folder is created.
    """
    url = os.environ.get("HELPDESK_KIT_URL")
    if url:
        return url
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    folder = os.path.join(base, "helpdesk_kit")
    os.makedirs(folder, exist_ok=True)
    return "sqlite:///" + os.path.join(folder, "helpdesk.db")


def _tag_set(values: Iterable[str]) -> frozenset[str]:
    if isinstance(values, str):
        values = [values]
    out = set()
    for v in values:
        tag = str(v).strip()
        if not tag:
            raise InvalidInput("tags must be non-empty")
        out.add(tag)
    return frozenset(out)


def _plain(value: Any) -> Any:
    if isinstance(value, frozenset | set):
        return sorted(value)
    return value


def _filter(filter: TicketFilter | None, criteria: Mapping[str, Any]) -> TicketFilter:
    if filter is not None and criteria:
        raise InvalidInput("give a TicketFilter or keyword criteria, not both")
    if filter is not None:
        return filter
    try:
        return TicketFilter(**criteria)
    except TypeError as exc:
        raise InvalidInput(f"unknown ticket filter: {exc}") from None
