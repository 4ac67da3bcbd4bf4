"""The domain model: customers, agents, groups, tickets, messages and the audit trail."""

from __future__ import annotations

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
    Role,
    StateCategory,
    Ticket,
    TicketEvent,
)

__all__ = [
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
