"""Converting between table rows and the domain's attrs objects (both directions)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.storage.base import DueItem
from helpdesk_kit.storage.sql.tables import LIMITS
from helpdesk_kit.tickets.model import (
    Agent,
    AttachmentMeta,
    Customer,
    FollowUp,
    Group,
    Identity,
    Message,
    Ticket,
    TicketEvent,
)

__all__ = [
    "agent_from_row",
    "agent_row",
    "attachment_rows",
    "check_length",
    "customer_from_row",
    "customer_row",
    "due_from_row",
    "event_from_row",
    "event_row",
    "followup_from_row",
    "followup_row",
    "group_from_row",
    "group_row",
    "identity_rows",
    "message_from_row",
    "message_row",
    "ticket_from_row",
    "ticket_row",
]


def check_length(value: str | None, limit_name: str, field: str) -> None:
    """``InvalidInput`` when ``value`` is longer than the documented column limit."""
    if value is not None and len(value) > LIMITS[limit_name]:
        raise InvalidInput(
            f"{field} is {len(value)} characters long; the storage limit is {LIMITS[limit_name]}"
        )


def customer_row(c: Customer) -> dict[str, Any]:
    """The ``customers`` row of a customer."""
    return {
        "id": c.id,
        "name": c.name,
        "tier": c.tier,
        "locale": c.locale,
        "tags": sorted(c.tags),
        "attributes": c.attributes,
        "created_at": c.created_at,
        "merged_into": c.merged_into,
    }


def identity_rows(c: Customer) -> list[dict[str, Any]]:
    """The ``customer_identities`` rows of a customer, in order."""
    rows = []
    for position, ident in enumerate(c.identities):
        check_length(ident.kind, "kind", "identity kind")
        check_length(ident.value, "identity", f"identity {ident.kind}")
        rows.append(
            {"kind": ident.kind, "value": ident.value, "customer_id": c.id, "position": position}
        )
    return rows


def customer_from_row(row: Mapping[Any, Any], identities: Sequence[Identity]) -> Customer:
    """A customer from its row and identities."""
    return Customer(
        name=row["name"],
        identities=identities,
        tier=row["tier"],
        locale=row["locale"],
        tags=row["tags"],
        attributes=row["attributes"],
        created_at=row["created_at"],
        id=row["id"],
        merged_into=row["merged_into"],
    )


def agent_row(a: Agent) -> dict[str, Any]:
    """The ``agents`` row of an agent (groups go to ``agent_groups``)."""
    return {
        "id": a.id,
        "name": a.name,
        "email": a.email,
        "role": a.role.value,
        "skills": sorted(a.skills),
        "languages": sorted(a.languages),
        "max_concurrent": a.max_concurrent,
        "status": a.status.value,
        "shift": a.shift,
    }


def agent_from_row(row: Mapping[Any, Any], groups: Sequence[str]) -> Agent:
    """An agent from its row and group ids."""
    return Agent(
        name=row["name"],
        email=row["email"],
        role=row["role"],
        groups=groups,
        skills=row["skills"],
        languages=row["languages"],
        max_concurrent=row["max_concurrent"],
        status=row["status"],
        shift=row["shift"],
        id=row["id"],
    )


def group_row(g: Group) -> dict[str, Any]:
    """The ``groups`` row of a group."""
    check_length(g.name, "name", "group name")
    return {
        "id": g.id,
        "name": g.name,
        "routing": g.routing,
        "supervisor_id": g.supervisor_id,
        "description": g.description,
    }


def group_from_row(row: Mapping[Any, Any]) -> Group:
    """A group from its row."""
    return Group(
        name=row["name"],
        routing=row["routing"],
        supervisor_id=row["supervisor_id"],
        description=row["description"],
        id=row["id"],
    )


def ticket_row(t: Ticket) -> dict[str, Any]:
    """The ``tickets`` row of a ticket."""
    check_length(t.channel, "channel", "channel")
    check_length(t.thread_key, "thread_key", "thread key")
    check_length(t.category, "name", "category")
    check_length(t.status, "status", "status")
    return {
        "id": t.id,
        "number": t.number,
        "subject": t.subject,
        "customer_id": t.customer_id,
        "channel": t.channel,
        "status": t.status,
        "lifecycle": t.lifecycle,
        "priority": t.priority.value,
        "category": t.category,
        "tags": sorted(t.tags),
        "assignee_id": t.assignee_id,
        "group_id": t.group_id,
        "language": t.language,
        "thread_key": t.thread_key,
        "participants": sorted(t.participants),
        "created_at": t.created_at,
        "updated_at": t.updated_at,
        "first_response_at": t.first_response_at,
        "solved_at": t.solved_at,
        "closed_at": t.closed_at,
        "confirmed_at": t.confirmed_at,
        "reopen_count": t.reopen_count,
        "custom_fields": t.custom_fields,
        "merged_into": t.merged_into,
        "version": t.version,
    }


def ticket_from_row(row: Mapping[Any, Any]) -> Ticket:
    """A ticket from its row."""
    return Ticket(
        number=row["number"],
        subject=row["subject"],
        customer_id=row["customer_id"],
        channel=row["channel"],
        status=row["status"],
        lifecycle=row["lifecycle"],
        priority=row["priority"],
        category=row["category"],
        tags=row["tags"],
        assignee_id=row["assignee_id"],
        group_id=row["group_id"],
        language=row["language"],
        thread_key=row["thread_key"],
        participants=row["participants"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        first_response_at=row["first_response_at"],
        solved_at=row["solved_at"],
        closed_at=row["closed_at"],
        confirmed_at=row["confirmed_at"],
        reopen_count=row["reopen_count"],
        custom_fields=row["custom_fields"],
        merged_into=row["merged_into"],
        version=row["version"],
        id=row["id"],
    )


def message_row(m: Message) -> dict[str, Any]:
    """The ``messages`` row of a message (attachments go to ``attachments``)."""
    check_length(m.channel, "channel", "channel")
    check_length(m.external_id, "external_id", "external message id")
    return {
        "id": m.id,
        "ticket_id": m.ticket_id,
        "author_kind": m.author_kind.value,
        "author_id": m.author_id,
        "text": m.text,
        "html": m.html,
        "created_at": m.created_at,
        "public": m.public,
        "channel": m.channel,
        "external_id": m.external_id,
        "subject": m.subject,
        "attachment_count": len(m.attachments),
    }


def attachment_rows(m: Message) -> list[dict[str, Any]]:
    """The ``attachments`` rows of a message, in order."""
    return [
        {
            "message_id": m.id,
            "position": i,
            "filename": a.filename,
            "content_type": a.content_type,
            "size": a.size,
            "url": a.url,
            "content_id": a.content_id,
            "inline": a.inline,
        }
        for i, a in enumerate(m.attachments)
    ]


def attachment_from_row(row: Mapping[Any, Any]) -> AttachmentMeta:
    """An attachment's metadata from its row."""
    return AttachmentMeta(
        filename=row["filename"],
        content_type=row["content_type"],
        size=row["size"],
        url=row["url"],
        content_id=row["content_id"],
        inline=row["inline"],
    )


def message_from_row(row: Mapping[Any, Any], attachments: Sequence[AttachmentMeta]) -> Message:
    """A message from its row and attachments."""
    return Message(
        ticket_id=row["ticket_id"],
        author_kind=row["author_kind"],
        text=row["text"],
        created_at=row["created_at"],
        author_id=row["author_id"],
        public=row["public"],
        html=row["html"],
        attachments=attachments,
        channel=row["channel"],
        external_id=row["external_id"],
        subject=row["subject"],
        id=row["id"],
    )


def event_row(e: TicketEvent) -> dict[str, Any]:
    """The ``events`` row of a numbered event."""
    check_length(e.kind, "kind", "event kind")
    check_length(e.actor, "actor", "event actor")
    return {
        "id": e.id,
        "ticket_id": e.ticket_id,
        "seq": e.seq,
        "kind": e.kind,
        "at": e.at,
        "actor": e.actor,
        "data": e.data,
    }


def event_from_row(row: Mapping[Any, Any]) -> TicketEvent:
    """An event from its row."""
    return TicketEvent(
        ticket_id=row["ticket_id"],
        kind=row["kind"],
        at=row["at"],
        actor=row["actor"],
        data=row["data"],
        seq=row["seq"],
        id=row["id"],
    )


def followup_row(f: FollowUp) -> dict[str, Any]:
    """The ``followups`` row of a follow-up."""
    return {
        "id": f.id,
        "ticket_id": f.ticket_id,
        "title": f.title,
        "created_at": f.created_at,
        "reason": f.reason,
        "assignee_id": f.assignee_id,
        "due_at": f.due_at,
        "done_at": f.done_at,
    }


def followup_from_row(row: Mapping[Any, Any]) -> FollowUp:
    """A follow-up from its row."""
    return FollowUp(
        ticket_id=row["ticket_id"],
        title=row["title"],
        created_at=row["created_at"],
        reason=row["reason"],
        assignee_id=row["assignee_id"],
        due_at=row["due_at"],
        done_at=row["done_at"],
        id=row["id"],
    )


def due_from_row(row: Mapping[Any, Any]) -> DueItem:
    """A due item from its row."""
    return DueItem(
        kind=row["kind"],
        key=row["key"],
        due_at=row["due_at"],
        data=row["data"],
        claimed_by=row["claimed_by"],
        claimed_until=row["claimed_until"],
        attempts=row["attempts"],
        done_at=row["done_at"],
    )
