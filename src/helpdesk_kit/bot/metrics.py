"""Bot metrics from the event log: containment, hand-off rate and reasons, intent accuracy.

The written definitions are in docs/bot.md ("Metrics"); this module is their reference
implementation over plain events (the in-memory storage uses it, and the SQL storage's
set-based queries are tested against it). In short, for the bot conversations started in
``[since, until)``:

- a *bot conversation* is a ticket with a ``bot.started`` event;
- its *intent* is the agent's latest relabel, else the first intent the bot recognised;
- it is *handed off* when it has a ``bot.handoff`` event (reason: the first one's);
- it is *contained* when it was not handed off, the bot resolved it (``bot.ended``) after
  the customer's last message, and the customer did not come back on the same topic: no
  ``bot.intent`` event of the same customer with the intent of one of its ``bot.ended``
  events in ``(ended, ended + window]``, on any ticket;
- it is *reviewed* when an agent relabelled it, and *correct* when the latest relabel
  equals the bot's first recognised intent (``out_of_scope`` when it recognised none).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs

from helpdesk_kit.bot.intents import OUT_OF_SCOPE
from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.tickets import events as ev
from helpdesk_kit.tickets.model import TicketEvent

__all__ = [
    "DEFAULT_WINDOW",
    "BotMetrics",
    "IntentMetrics",
    "compute_bot_metrics",
]

#: How long a customer who comes back on the same topic undoes the bot's resolution.
DEFAULT_WINDOW = timedelta(hours=72)

_STARTED = ev.BOT_STARTED
_INTENT = ev.BOT_INTENT
_ENDED = ev.BOT_ENDED
_HANDOFF = ev.HANDOFF
_RELABELLED = ev.BOT_RELABELLED
_RECEIVED = ev.MESSAGE_RECEIVED


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
    rows: Iterable[tuple[str | None, int, int, int, int, int]],
    reasons: Mapping[str, int],
) -> BotMetrics:
    """Assemble a :class:`BotMetrics` from per-intent count rows (sorted, intent None last)."""
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
) -> BotMetrics:
    """The metrics of bot conversations started in ``[since, until)`` from the event log.

    ``events`` are every ticket's events (any order; ``seq`` orders a ticket's own),
    ``customer_of`` maps ticket ids to customer ids.
    """
    check_window(window)
    by_ticket: dict[str, list[TicketEvent]] = {}
    topics: dict[tuple[str, str], list[datetime]] = {}
    for e in events:
        by_ticket.setdefault(e.ticket_id, []).append(e)
        if e.kind == _INTENT and isinstance(e.data.get("intent"), str):
            customer = customer_of.get(e.ticket_id)
            if customer is not None:
                topics.setdefault((customer, e.data["intent"]), []).append(e.at)

    counts: dict[str | None, list[int]] = {}
    reasons: Counter[str] = Counter()
    for ticket_id, trail in by_ticket.items():
        trail.sort(key=lambda e: e.seq)
        started = [e.at for e in trail if e.kind == _STARTED]
        if not started:
            continue
        start = min(started)
        if (since is not None and start < since) or (until is not None and start >= until):
            continue
        intents = [e for e in trail if e.kind == _INTENT]
        labels = [e for e in trail if e.kind == _RELABELLED]
        handoffs = [e for e in trail if e.kind == _HANDOFF]
        ended = [e for e in trail if e.kind == _ENDED]
        predicted = _str(intents[0].data.get("intent")) if intents else None
        label = _str(labels[-1].data.get("intent")) if labels else None
        key = label if label is not None else predicted
        customer_seqs = [
            e.seq for e in trail if e.kind == _RECEIVED and e.actor.startswith("customer:")
        ]
        last_customer = max(customer_seqs, default=0)
        closed = bool(ended) and max(e.seq for e in ended) > last_customer
        customer = customer_of.get(ticket_id)
        came_back = False
        for e in ended:
            topic = _str(e.data.get("intent"))
            if topic is None or customer is None:
                continue
            if any(e.at < t <= e.at + window for t in topics.get((customer, topic), ())):
                came_back = True
                break
        handed_off = bool(handoffs)
        contained = not handed_off and closed and not came_back
        reviewed = label is not None
        correct = reviewed and label == (predicted if predicted is not None else OUT_OF_SCOPE)
        row = counts.setdefault(key, [0, 0, 0, 0, 0])
        row[0] += 1
        row[1] += contained
        row[2] += handed_off
        row[3] += reviewed
        row[4] += correct
        if handed_off:
            reasons[_str(handoffs[0].data.get("reason")) or "unknown"] += 1
    rows = [(key, v[0], v[1], v[2], v[3], v[4]) for key, v in counts.items()]
    return build_metrics(since, until, window, rows, reasons)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
