"""Domain entities and values as attrs classes; no I/O, no clock of their own."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from helpdesk_kit.clock import ensure_aware
from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.ids import format_ticket_number, new_id

__all__ = [
    "MAX_SUBJECT_LENGTH",
    "Actor",
    "Agent",
    "AgentStatus",
    "AttachmentMeta",
    "AuthorKind",
    "Customer",
    "FollowUp",
    "Group",
    "Identity",
    "InboundMessage",
    "Message",
    "Priority",
    "Role",
    "StateCategory",
    "Ticket",
    "TicketEvent",
]

#: Longest subject stored, in characters. Intake shortens longer ones; the API rejects them.
MAX_SUBJECT_LENGTH = 1000


class Priority(enum.StrEnum):
    """How urgent a ticket is; compare with ``.rank``."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"

    @property
    def rank(self) -> int:
        """Return 0 for low up to 3 for urgent."""
        return _PRIORITY_RANK[self]

    def raised(self) -> Priority:
        """Return the next higher priority (urgent stays urgent)."""
        order = list(Priority)
        return order[min(self.rank + 1, len(order) - 1)]


_PRIORITY_RANK = {p: i for i, p in enumerate(Priority)}


class StateCategory(enum.StrEnum):
    """The meaning of a lifecycle state, shared by every lifecycle."""

    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    SOLVED = "solved"
    CLOSED = "closed"


class AuthorKind(enum.StrEnum):
    """Who wrote a message or did an action."""

    CUSTOMER = "customer"
    AGENT = "agent"
    BOT = "bot"
    SYSTEM = "system"


class Role(enum.StrEnum):
    """An agent's role; each role includes the rights of those before it."""

    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"

    def implied(self) -> frozenset[str]:
        """Return this role and every role it includes."""
        order = list(Role)
        return frozenset(r.value for r in order[: order.index(self) + 1])


class AgentStatus(enum.StrEnum):
    """An agent's manual presence."""

    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"


def _aware(_inst: object, attribute: attrs.Attribute[Any], value: datetime | None) -> None:
    if value is not None:
        ensure_aware(value, attribute.name)


def _non_empty(_inst: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{attribute.name} must be a non-empty string, got {value!r}")


def _lower(value: Any) -> str:
    return str(value).strip().lower()


_PHONE_STRIP = re.compile(r"[\s\-().]")


@attrs.frozen
class Identity:
    """One way to reach a customer on a channel: an email, a phone, a WeChat openid, ..."""

    kind: str = attrs.field(converter=_lower, validator=_non_empty)
    value: str = attrs.field(validator=_non_empty)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "value", normalize_handle(self.kind, self.value))

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


def normalize_handle(kind: str, value: str) -> str:
    """Return the canonical form of a customer handle (lower-case email, digits-only phone)."""
    value = value.strip()
    if kind == "email":
        if value.count("@") != 1 or value.startswith("@") or value.endswith("@"):
            raise InvalidInput(f"not an email address: {value!r}")
        return value.lower()
    if kind == "phone":
        digits = _PHONE_STRIP.sub("", value)
        body = digits[1:] if digits.startswith("+") else digits
        if not body.isdigit() or not body.isascii() or len(body) < 3:
            raise InvalidInput(f"not a phone number: {value!r}")
        return digits
    return value


def _to_identities(values: Any) -> tuple[Identity, ...]:
    out: list[Identity] = []
    for item in values or ():
        if isinstance(item, Identity):
            out.append(item)
        elif isinstance(item, tuple | list) and len(item) == 2:
            out.append(Identity(item[0], item[1]))
        else:
            raise InvalidInput(f"identity must be Identity or (kind, value), got {item!r}")
    seen: set[tuple[str, str]] = set()
    unique = []
    for ident in out:
        if (ident.kind, ident.value) not in seen:
            seen.add((ident.kind, ident.value))
            unique.append(ident)
    return tuple(unique)


def _frozenset_of_str(values: Any) -> frozenset[str]:
    if isinstance(values, str):
        raise InvalidInput(f"expected a collection of strings, got the string {values!r}")
    return frozenset(str(v) for v in values or ())


def _str_tuple(values: Any) -> tuple[str, ...]:
    if isinstance(values, str):
        return (values,)
    return tuple(str(v) for v in values or ())


def _dict(values: Mapping[str, Any] | None) -> dict[str, Any]:
    return dict(values or {})


@attrs.frozen(eq=True)
class Customer:
    """The person asking for help, with every identity they have used."""

    name: str = ""
    identities: tuple[Identity, ...] = attrs.field(default=(), converter=_to_identities)
    tier: str = "standard"
    locale: str | None = None
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=_frozenset_of_str)
    attributes: dict[str, Any] = attrs.field(factory=dict, converter=_dict, hash=False)
    created_at: datetime | None = attrs.field(default=None, validator=_aware)
    id: str = attrs.field(factory=new_id)
    merged_into: str | None = None

    def handle(self, kind: str) -> str | None:
        """Return the first handle of ``kind`` (e.g. ``"email"``), or None."""
        for ident in self.identities:
            if ident.kind == kind:
                return ident.value
        return None

    @property
    def email(self) -> str | None:
        """The customer's first email address, if any."""
        return self.handle("email")

    @property
    def display_name(self) -> str:
        """A name to show: the name, else the first handle, else the id."""
        if self.name:
            return self.name
        return self.identities[0].value if self.identities else self.id


@attrs.frozen
class Group:
    """A team of agents (客服组 / 技能组) that owns a queue."""

    name: str = attrs.field(validator=_non_empty)
    routing: str = "least_loaded"
    supervisor_id: str | None = None
    description: str = ""
    id: str = attrs.field(factory=new_id)


@attrs.frozen
class Agent:
    """A person who answers customers."""

    name: str = attrs.field(validator=_non_empty)
    email: str | None = None
    role: Role = attrs.field(default=Role.AGENT, converter=Role)
    groups: frozenset[str] = attrs.field(default=frozenset(), converter=_frozenset_of_str)
    skills: frozenset[str] = attrs.field(default=frozenset(), converter=_frozenset_of_str)
    languages: frozenset[str] = attrs.field(default=frozenset(), converter=_frozenset_of_str)
    max_concurrent: int = attrs.field(default=10)
    status: AgentStatus = attrs.field(default=AgentStatus.OFFLINE, converter=AgentStatus)
    shift: str | None = None
    id: str = attrs.field(factory=new_id)

    @max_concurrent.validator
    def _check_capacity(self, _attribute: attrs.Attribute[int], value: int) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise InvalidInput(f"max_concurrent must be an integer >= 0, got {value!r}")

    @property
    def roles(self) -> frozenset[str]:
        """The agent's role and every role it includes."""
        return self.role.implied()


@attrs.frozen
class Actor:
    """Who does something: a customer, an agent, the bot or the desk itself."""

    kind: AuthorKind = attrs.field(converter=AuthorKind)
    id: str | None = None
    roles: frozenset[str] = attrs.field(default=frozenset(), converter=_frozenset_of_str)

    @classmethod
    def system(cls) -> Actor:
        """The desk itself (sweeps, rules); passes every role check."""
        return cls(AuthorKind.SYSTEM, None, frozenset({"system"}))

    @classmethod
    def customer(cls, customer_id: str) -> Actor:
        """A customer."""
        return cls(AuthorKind.CUSTOMER, customer_id, frozenset({"customer"}))

    @classmethod
    def bot(cls, name: str = "bot") -> Actor:
        """The bot."""
        return cls(AuthorKind.BOT, name, frozenset({"bot"}))

    @classmethod
    def of_agent(cls, agent: Agent) -> Actor:
        """An agent, with the roles their role implies."""
        return cls(AuthorKind.AGENT, agent.id, agent.roles)

    @property
    def is_system(self) -> bool:
        """True for the desk itself."""
        return self.kind is AuthorKind.SYSTEM

    def __str__(self) -> str:
        return self.kind.value if self.id is None else f"{self.kind.value}:{self.id}"

    @classmethod
    def parse(cls, text: str) -> Actor:
        """Rebuild an actor from its string form (roles are not kept in the string)."""
        kind, _, ident = text.partition(":")
        return cls(AuthorKind(kind), ident or None)


@attrs.frozen
class AttachmentMeta:
    """What the desk stores about an attachment; the bytes live elsewhere."""

    filename: str
    content_type: str = "application/octet-stream"
    size: int = 0
    url: str | None = None
    content_id: str | None = None
    inline: bool = False


def _to_attachments(values: Any) -> tuple[AttachmentMeta, ...]:
    return tuple(values or ())


def _check_subject(_inst: object, _attribute: attrs.Attribute[str], value: str) -> None:
    if len(value) > MAX_SUBJECT_LENGTH:
        raise InvalidInput(f"subject is {len(value)} characters; the limit is {MAX_SUBJECT_LENGTH}")


@attrs.frozen
class Ticket:
    """A customer's request, tracked from arrival to close."""

    number: int
    subject: str = attrs.field(validator=_check_subject)
    customer_id: str
    channel: str
    status: str
    lifecycle: str = "support"
    priority: Priority = attrs.field(default=Priority.NORMAL, converter=Priority)
    category: str | None = None
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=_frozenset_of_str)
    assignee_id: str | None = None
    group_id: str | None = None
    language: str | None = None
    thread_key: str | None = None
    participants: frozenset[str] = attrs.field(
        default=frozenset(), converter=_frozenset_of_str, kw_only=True
    )
    created_at: datetime = attrs.field(validator=_aware, kw_only=True)
    updated_at: datetime = attrs.field(validator=_aware, kw_only=True)
    first_response_at: datetime | None = attrs.field(default=None, validator=_aware, kw_only=True)
    solved_at: datetime | None = attrs.field(default=None, validator=_aware, kw_only=True)
    closed_at: datetime | None = attrs.field(default=None, validator=_aware, kw_only=True)
    confirmed_at: datetime | None = attrs.field(default=None, validator=_aware, kw_only=True)
    reopen_count: int = attrs.field(default=0, kw_only=True)
    custom_fields: dict[str, Any] = attrs.field(
        factory=dict, converter=_dict, hash=False, kw_only=True
    )
    merged_into: str | None = attrs.field(default=None, kw_only=True)
    version: int = attrs.field(default=1, kw_only=True)
    id: str = attrs.field(factory=new_id, kw_only=True)

    @property
    def ref(self) -> str:
        """The human ticket number, e.g. ``"#1042"``."""
        return format_ticket_number(self.number)


@attrs.frozen
class Message:
    """One message on a ticket: a customer's words, an agent's reply, a note."""

    ticket_id: str
    author_kind: AuthorKind = attrs.field(converter=AuthorKind)
    text: str
    created_at: datetime = attrs.field(validator=_aware)
    author_id: str | None = None
    public: bool = True
    html: str | None = None
    attachments: tuple[AttachmentMeta, ...] = attrs.field(default=(), converter=_to_attachments)
    channel: str | None = None
    external_id: str | None = None
    subject: str | None = None
    id: str = attrs.field(factory=new_id)

    @property
    def is_note(self) -> bool:
        """True for an internal note, which the customer never sees."""
        return not self.public


@attrs.frozen
class TicketEvent:
    """One entry of a ticket's append-only audit trail.

    ``seq`` numbers a ticket's events 1, 2, 3, ...; it is 0 until storage assigns it.
    """

    ticket_id: str
    kind: str
    at: datetime = attrs.field(validator=_aware)
    actor: str = "system"
    data: dict[str, Any] = attrs.field(factory=dict, converter=_dict, hash=False)
    seq: int = 0
    id: str = attrs.field(factory=new_id)


@attrs.frozen
class FollowUp:
    """An internal to-do on a ticket; a ticket cannot close while one is open."""

    ticket_id: str
    title: str = attrs.field(validator=_non_empty)
    created_at: datetime = attrs.field(validator=_aware)
    reason: str | None = None
    assignee_id: str | None = None
    due_at: datetime | None = attrs.field(default=None, validator=_aware)
    done_at: datetime | None = attrs.field(default=None, validator=_aware)
    id: str = attrs.field(factory=new_id)

    @property
    def is_open(self) -> bool:
        """True until the follow-up is done."""
        return self.done_at is None


@attrs.frozen
class InboundMessage:
    """A message from any channel, normalized: what the desk takes in.

    ``external_id`` is the channel's own id for it (an email's Message-ID); the
    desk never stores two messages with one (channel, external_id).
    ``thread_refs`` are external ids it answers (In-Reply-To, References);
    ``ticket_number`` a ticket number the customer quoted (``[#1042]``);
    ``thread_key`` a channel conversation id (a chat session) that keeps its
    messages on one ticket while it is open.
    """

    channel: str = attrs.field(validator=_non_empty)
    sender: Identity
    text: str = ""
    subject: str = ""
    sender_name: str = ""
    html: str | None = None
    attachments: tuple[AttachmentMeta, ...] = attrs.field(default=(), converter=_to_attachments)
    external_id: str | None = None
    received_at: datetime | None = attrs.field(default=None, validator=_aware)
    thread_refs: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    ticket_number: int | None = None
    thread_key: str | None = None
    cc: tuple[Identity, ...] = attrs.field(default=(), converter=_to_identities)
    locale: str | None = None
    is_automatic: bool = False
    metadata: dict[str, Any] = attrs.field(factory=dict, converter=_dict, hash=False)
