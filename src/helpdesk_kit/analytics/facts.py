"""Per-ticket and per-response facts derived from a ticket and its audit trail.

These are the plain-Python definitions of the facts the SQL backend keeps in
``kpi_tickets`` and ``kpi_replies`` (derived there by set-based SQL from the same events):

- an **agent reply** is a ``reply.sent`` event whose actor is ``agent:<id>``; a **bot
  reply** one whose actor is ``bot`` or ``bot:<name>``; a **customer message** a
  ``message.received`` event whose actor is ``customer:<id>``. Internal notes
  (``note.added``) and system messages (surveys) are none of these.
- the **first responder** is the agent of the ticket's first agent reply.
- a ticket is **spam** when a transition named ``mark_spam`` fired on it, **merged** when it
  was merged into another ticket, **handed off** when a ``bot.handoff`` event exists; its
  bot conversation (if any) as :mod:`helpdesk_kit.tickets.containment` defines it.
- a **response** is an agent reply that ends a wait: the first agent reply (waiting since the
  ticket was created) and every later agent reply that follows at least one customer message
  received after the previous agent reply (waiting since the earliest of those messages).
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from helpdesk_kit.analytics.periods import ms_of
from helpdesk_kit.tickets import events as ev
from helpdesk_kit.tickets.containment import BotConversation, bot_conversation, intents_asked
from helpdesk_kit.tickets.model import Ticket, TicketEvent

__all__ = [
    "ReplyFact",
    "TicketFacts",
    "actor_kind",
    "agent_of",
    "reply_facts",
    "ticket_facts",
]

SPAM_TRANSITION = "mark_spam"


def actor_kind(actor: str) -> str:
    """``"agent"``, ``"bot"``, ``"customer"`` or ``"system"`` of an event's actor string."""
    return actor.split(":", 1)[0]


def agent_of(actor: str) -> str | None:
    """The agent id of an ``agent:<id>`` actor, else None."""
    return actor[6:] if actor.startswith("agent:") else None


def _is_agent_reply(e: TicketEvent) -> bool:
    return e.kind == ev.REPLY_SENT and e.actor.startswith("agent:")


def _is_bot_reply(e: TicketEvent) -> bool:
    return e.kind == ev.REPLY_SENT and (e.actor == "bot" or e.actor.startswith("bot:"))


def _is_customer_message(e: TicketEvent) -> bool:
    return e.kind == ev.MESSAGE_RECEIVED and e.actor.startswith("customer:")


@attrs.frozen
class TicketFacts:
    """What the KPIs need to know about one ticket (one ``kpi_tickets`` row)."""

    ticket_id: str
    number: int
    customer_id: str
    channel: str
    group_id: str | None
    assignee_id: str | None
    category: str | None
    priority: str
    status: str
    created_ms: int
    first_response_ms: int | None
    first_responder: str | None
    solved_ms: int | None
    closed_ms: int | None
    reopen_count: int
    agent_replies: int
    bot_replies: int
    customer_messages: int
    handoff: bool
    spam: bool
    merged: bool
    tags: frozenset[str] = frozenset()
    #: the bot conversation's facts (None: not one), see :mod:`helpdesk_kit.tickets.containment`
    bot: BotConversation | None = None
    #: ``(epoch ms, intent)`` of the ``bot.intent`` events: the customer's contacts by topic
    asked: tuple[tuple[int, str], ...] = ()

    @property
    def in_scope(self) -> bool:
        """False for spam and for tickets merged into another one."""
        return not (self.spam or self.merged)


@attrs.frozen
class ReplyFact:
    """One response (one ``kpi_replies`` row): who answered, when, after waiting since when."""

    ticket_id: str
    seq: int
    agent_id: str | None
    at_ms: int
    wait_start_ms: int
    first: bool


def ticket_facts(ticket: Ticket, events: Sequence[TicketEvent]) -> TicketFacts:
    """The facts of ``ticket`` from its events (in ``seq`` order)."""
    agent_replies = [e for e in events if _is_agent_reply(e)]
    return TicketFacts(
        ticket_id=ticket.id,
        number=ticket.number,
        customer_id=ticket.customer_id,
        channel=ticket.channel,
        group_id=ticket.group_id,
        assignee_id=ticket.assignee_id,
        category=ticket.category,
        priority=ticket.priority.value,
        status=ticket.status,
        created_ms=ms_of(ticket.created_at),
        first_response_ms=(
            None if ticket.first_response_at is None else ms_of(ticket.first_response_at)
        ),
        first_responder=agent_of(agent_replies[0].actor) if agent_replies else None,
        solved_ms=None if ticket.solved_at is None else ms_of(ticket.solved_at),
        closed_ms=None if ticket.closed_at is None else ms_of(ticket.closed_at),
        reopen_count=ticket.reopen_count,
        agent_replies=len(agent_replies),
        bot_replies=sum(1 for e in events if _is_bot_reply(e)),
        customer_messages=sum(1 for e in events if _is_customer_message(e)),
        handoff=any(e.kind == ev.HANDOFF for e in events),
        spam=any(
            e.kind == ev.TRANSITIONED and e.data.get("transition") == SPAM_TRANSITION
            for e in events
        ),
        merged=ticket.merged_into is not None,
        tags=ticket.tags,
        bot=bot_conversation(ticket.id, ticket.customer_id, ticket.category, events),
        asked=tuple(intents_asked(events)),
    )


def reply_facts(ticket: Ticket, events: Sequence[TicketEvent]) -> list[ReplyFact]:
    """The responses of ``ticket`` (see the module docstring), in ``seq`` order."""
    created = ms_of(ticket.created_at)
    replies = 0
    earliest: dict[int, int] = {}  # agent replies so far -> earliest customer message after
    out: list[ReplyFact] = []
    for e in sorted(events, key=lambda x: x.seq):
        if _is_customer_message(e):
            at = ms_of(e.at)
            earliest[replies] = min(at, earliest.get(replies, at))
        elif _is_agent_reply(e):
            replies += 1
            at = ms_of(e.at)
            if replies == 1:
                out.append(ReplyFact(ticket.id, e.seq, agent_of(e.actor), at, created, True))
            elif replies - 1 in earliest:
                out.append(
                    ReplyFact(ticket.id, e.seq, agent_of(e.actor), at, earliest[replies - 1], False)
                )
    return out
