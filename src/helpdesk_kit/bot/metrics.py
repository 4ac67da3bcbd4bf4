"""Bot metrics from the event log: containment, hand-off rate and reasons, intent accuracy.

Containment is defined once, in docs/kpis.md ("bot_containment"), and classified by
:mod:`helpdesk_kit.tickets.containment` — the same classification the ``bot_containment``
KPI uses, so ``desk.bot_metrics`` and ``desk.kpi("bot_containment", ...)`` agree. This module
adds the bot-only figures (docs/bot.md, "Metrics") and is their reference implementation over
plain events (the in-memory storage uses it; the SQL storage's queries are tested against
it). For the bot conversations created in ``[since, until)``:

- each has one outcome: contained, handed off (reason: the first ``bot.handoff``'s, or
  ``agent_replied``), abandoned, or came back;
- its *intent* is the agent's latest relabel, else the first intent the bot recognised;
- it is *reviewed* when an agent relabelled it, and *correct* when the latest relabel
  equals the bot's first recognised intent (``out_of_scope`` when it recognised none).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from helpdesk_kit.bot.intents import OUT_OF_SCOPE
from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.tickets import events as ev
from helpdesk_kit.tickets.containment import (
    BotConversation,
    Contacts,
    Outcome,
    bot_conversation,
    classify,
    intents_asked,
    window_ms,
)
from helpdesk_kit.tickets.model import TicketEvent

__all__ = [
    "DEFAULT_WINDOW",
    "BotMetrics",
    "IntentMetrics",
    "compute_bot_metrics",
]

#: How long a customer who comes back on the same topic undoes the bot's resolution.
DEFAULT_WINDOW = timedelta(hours=72)

#: The hand-off reason of a conversation an agent replied in without a ``bot.handoff``.
AGENT_REPLIED = "agent_replied"
#: The transition that marks a ticket as spam (spam is no conversation and no contact).
SPAM_TRANSITION = "mark_spam"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_INTENT = ev.BOT_INTENT
_HANDOFF = ev.HANDOFF
_RELABELLED = ev.BOT_RELABELLED


def ms_of(value: datetime) -> int:
    """Unix epoch milliseconds of an aware datetime, floored (as the KPIs compare instants)."""
    return (value - _EPOCH) // _MS


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@attrs.frozen
class IntentMetrics:
    """The counts of one intent (``None``: conversations with no recognised intent)."""

    intent: str | None
    conversations: int = 0
    contained: int = 0
    handoffs: int = 0
    reviewed: int = 0
    correct: int = 0
    abandoned: int = 0
    came_back: int = 0

    @property
    def containment_rate(self) -> float | None:
        """Contained / conversations (None without conversations)."""
        return _rate(self.contained, self.conversations)

    @property
    def handoff_rate(self) -> float | None:
        """Handed off / conversations (None without conversations)."""
        return _rate(self.handoffs, self.conversations)

    @property
    def accuracy(self) -> float | None:
        """Correct / reviewed: how often the bot's intent matched the agents' (None unreviewed)."""
        return _rate(self.correct, self.reviewed)


@attrs.frozen
class BotMetrics:
    """Containment, hand-offs and intent accuracy of the bot conversations in a period."""

    since: datetime | None
    until: datetime | None
    window: timedelta
    intents: tuple[IntentMetrics, ...] = ()
    reasons: dict[str, int] = attrs.field(factory=dict, hash=False)

    @property
    def conversations(self) -> int:
        """Bot conversations started in the period."""
        return sum(i.conversations for i in self.intents)

    @property
    def contained(self) -> int:
        """Conversations the bot resolved for good (see the definition)."""
        return sum(i.contained for i in self.intents)

    @property
    def handoffs(self) -> int:
        """Conversations handed off to a person."""
        return sum(i.handoffs for i in self.intents)

    @property
    def abandoned(self) -> int:
        """Conversations the bot never resolved after the customer's last message."""
        return sum(i.abandoned for i in self.intents)

    @property
    def came_back(self) -> int:
        """Resolved conversations whose customer came back on the topic within the window."""
        return sum(i.came_back for i in self.intents)

    @property
    def reviewed(self) -> int:
        """Conversations an agent relabelled."""
        return sum(i.reviewed for i in self.intents)

    @property
    def correct(self) -> int:
        """Relabelled conversations whose label equals the bot's intent."""
        return sum(i.correct for i in self.intents)

    @property
    def containment_rate(self) -> float | None:
        """Contained / conversations."""
        return _rate(self.contained, self.conversations)

    @property
    def handoff_rate(self) -> float | None:
        """Handed off / conversations."""
        return _rate(self.handoffs, self.conversations)

    @property
    def accuracy(self) -> float | None:
        """Correct / reviewed."""
        return _rate(self.correct, self.reviewed)

    def intent(self, name: str | None) -> IntentMetrics:
        """The counts of one intent (zeros when it had no conversation)."""
        for row in self.intents:
            if row.intent == name:
                return row
        return IntentMetrics(name)

    def as_dict(self) -> dict[str, Any]:
        """Plain data (for JSON): totals, rates, reasons and one entry per intent."""

        def row(m: IntentMetrics | BotMetrics) -> dict[str, Any]:
            return {
                "conversations": m.conversations,
                "contained": m.contained,
                "containment_rate": m.containment_rate,
                "handoffs": m.handoffs,
                "handoff_rate": m.handoff_rate,
                "abandoned": m.abandoned,
                "came_back": m.came_back,
                "reviewed": m.reviewed,
                "correct": m.correct,
                "accuracy": m.accuracy,
            }

        return {
            "since": None if self.since is None else self.since.isoformat(),
            "until": None if self.until is None else self.until.isoformat(),
            "window_seconds": self.window.total_seconds(),
            **row(self),
            "reasons": dict(self.reasons),
            "intents": [{"intent": i.intent, **row(i)} for i in self.intents],
        }


def check_window(window: timedelta) -> timedelta:
    """Return ``window`` if it is a positive timedelta, else raise InvalidInput."""
    if not isinstance(window, timedelta) or window <= timedelta(0):
        raise InvalidInput(f"window must be a positive timedelta, got {window!r}")
    return window


def build_metrics(
    since: datetime | None,
    until: datetime | None,
    window: timedelta,
    rows: Iterable[tuple[Any, ...]],
    reasons: Mapping[str, int],
) -> BotMetrics:
    """Assemble a :class:`BotMetrics` from per-intent count rows (sorted, intent None last).

    A row is ``(intent, conversations, contained, handoffs, reviewed, correct, abandoned,
    came_back)``.
    """
    intents = sorted(
        (IntentMetrics(*r) for r in rows if r[1]),
        key=lambda m: (m.intent is None, m.intent or ""),
    )
    return BotMetrics(
        since,
        until,
        window,
        tuple(intents),
        {k: int(v) for k, v in sorted(reasons.items()) if v},
    )


def compute_bot_metrics(
    events: Iterable[TicketEvent],
    customer_of: Mapping[str, str],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    window: timedelta = DEFAULT_WINDOW,
    category_of: Mapping[str, str | None] | None = None,
) -> BotMetrics:
    """The metrics of bot conversations created in ``[since, until)`` from the event log.

    ``events`` are every ticket's events (any order; ``seq`` orders a ticket's own),
    ``customer_of`` maps ticket ids to customer ids and ``category_of`` to their current
    categories (topics of contacts; none known when omitted). Each conversation's outcome
    is :func:`helpdesk_kit.tickets.containment.classify`'s.
    """
    check_window(window)
    by_ticket: dict[str, list[TicketEvent]] = {}
    for e in events:
        by_ticket.setdefault(e.ticket_id, []).append(e)
    categories = category_of or {}
    lo = None if since is None else ms_of(since)
    hi = None if until is None else ms_of(until)
    contacts = Contacts()
    found: list[tuple[BotConversation, list[TicketEvent]]] = []
    for ticket_id, trail in by_ticket.items():
        trail.sort(key=lambda e: e.seq)
        customer = customer_of.get(ticket_id)
        category = categories.get(ticket_id)
        created = next((e.at for e in trail if e.kind == ev.TICKET_CREATED), trail[0].at)
        created_ms = ms_of(created)
        spam = any(
            e.kind == ev.TRANSITIONED and e.data.get("transition") == SPAM_TRANSITION for e in trail
        )
        if spam:
            continue
        contacts.add_ticket(customer, category, created_ms, intents_asked(trail))
        if any(e.kind == ev.MERGED_INTO for e in trail):
            continue
        if (lo is not None and created_ms < lo) or (hi is not None and created_ms >= hi):
            continue
        conv = bot_conversation(ticket_id, customer, category, trail)
        if conv is not None:
            found.append((conv, trail))

    limit = window_ms(window)
    counts: dict[str | None, list[int]] = {}
    reasons: Counter[str] = Counter()
    for conv, trail in found:
        outcome = classify(conv, contacts, limit)
        intents = [e for e in trail if e.kind == _INTENT]
        labels = [e for e in trail if e.kind == _RELABELLED]
        handoffs = [e for e in trail if e.kind == _HANDOFF]
        predicted = _str(intents[0].data.get("intent")) if intents else None
        label = _str(labels[-1].data.get("intent")) if labels else None
        key = label if label is not None else predicted
        reviewed = label is not None
        correct = reviewed and label == (predicted if predicted is not None else OUT_OF_SCOPE)
        row = counts.setdefault(key, [0] * 7)
        row[0] += 1
        row[1] += outcome is Outcome.CONTAINED
        row[2] += outcome is Outcome.HANDED_OFF
        row[3] += reviewed
        row[4] += correct
        row[5] += outcome is Outcome.ABANDONED
        row[6] += outcome is Outcome.CAME_BACK
        if outcome is Outcome.HANDED_OFF:
            why = (_str(handoffs[0].data.get("reason")) or "unknown") if handoffs else AGENT_REPLIED
            reasons[why] += 1
    rows = [(key, *v) for key, v in counts.items()]
    return build_metrics(since, until, window, rows, reasons)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
