"""The one definition of a bot conversation's outcome: contained, handed off, abandoned, came back.

Both the ``bot_containment`` KPI (:mod:`helpdesk_kit.analytics`) and the bot's own metrics
(:func:`helpdesk_kit.bot.compute_bot_metrics`) classify conversations with this module, and
the SQL backends implement exactly these rules; the words are in ``docs/kpis.md``
("bot_containment"). In short, for one ticket and its events (in ``seq`` order):

- it is a **bot conversation** when it has a ``bot.started`` event, a bot reply (a
  ``reply.sent`` by ``bot`` or ``bot:<name>``) or a ``bot.handoff`` event;
- a **resolution** is a ``bot.ended`` event (its topic: the event's ``intent``, else the
  ticket's category) or a transition made by the bot (its topic: the ticket's category);
- a **contact** of a customer on a topic is the creation of one of their non-spam tickets
  whose category is that topic, or a ``bot.intent`` event with that intent on one of their
  non-spam tickets;

and its outcome is, in this order:

1. **handed off** when a person took part: a ``bot.handoff`` event or an agent reply;
2. **abandoned** when no resolution comes after the customer's last message;
3. **came back** when, after one of its resolutions, the customer made a contact on that
   resolution's topic within the return window: ``resolution < contact <= resolution +
   window`` (epoch milliseconds);
4. **contained** otherwise.
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

import attrs

from helpdesk_kit.tickets import events as ev
from helpdesk_kit.tickets.model import TicketEvent

__all__ = [
    "BotConversation",
    "Contacts",
    "Outcome",
    "bot_conversation",
    "classify",
    "intents_asked",
    "is_bot_actor",
    "window_ms",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


class Outcome(enum.StrEnum):
    """What became of one bot conversation."""

    CONTAINED = "contained"
    HANDED_OFF = "handed_off"
    ABANDONED = "abandoned"
    CAME_BACK = "came_back"


def is_bot_actor(actor: str) -> bool:
    """True for the actor strings of the bot: ``bot`` and ``bot:<name>``."""
    return actor == "bot" or actor.startswith("bot:")


def _ms(at: datetime) -> int:
    return (at - _EPOCH) // _MS


def window_ms(window: timedelta) -> int:
    """A return window in whole milliseconds (as every backend compares it)."""
    return window // _MS


@attrs.frozen
class BotConversation:
    """The facts of one bot conversation the classification needs."""

    ticket_id: str
    customer_id: str | None
    #: a person took part: a ``bot.handoff`` event or an agent reply
    person: bool
    #: a resolution comes after the customer's last message
    resolved: bool
    #: ``(epoch ms, topic)`` of each resolution that has a topic
    resolutions: tuple[tuple[int, str], ...] = ()


def _is_resolution(e: TicketEvent) -> bool:
    return e.kind == ev.BOT_ENDED or (e.kind == ev.TRANSITIONED and is_bot_actor(e.actor))


def bot_conversation(
    ticket_id: str,
    customer_id: str | None,
    category: str | None,
    events: Sequence[TicketEvent],
) -> BotConversation | None:
    """The conversation facts of a ticket from its events (``seq`` order), None if no bot one."""
    bot = person = False
    last_customer = last_resolution = 0
    resolutions: list[tuple[int, str]] = []
    for e in events:
        if e.kind == ev.BOT_STARTED:
            bot = True
        elif e.kind == ev.HANDOFF:
            bot = person = True
        elif e.kind == ev.REPLY_SENT:
            if is_bot_actor(e.actor):
                bot = True
            elif e.actor.startswith("agent:"):
                person = True
        elif e.kind == ev.MESSAGE_RECEIVED and e.actor.startswith("customer:"):
            last_customer = max(last_customer, e.seq)
        if _is_resolution(e):
            last_resolution = max(last_resolution, e.seq)
            intent = e.data.get("intent") if e.kind == ev.BOT_ENDED else None
            topic = intent if isinstance(intent, str) else category
            if topic is not None:
                resolutions.append((_ms(e.at), topic))
    if not bot:
        return None
    return BotConversation(
        ticket_id,
        customer_id,
        person=person,
        resolved=last_resolution > last_customer,
        resolutions=tuple(resolutions),
    )


def intents_asked(events: Iterable[TicketEvent]) -> list[tuple[int, str]]:
    """``(epoch ms, intent)`` of each ``bot.intent`` event: contacts on that topic."""
    return [
        (_ms(e.at), e.data["intent"])
        for e in events
        if e.kind == ev.BOT_INTENT and isinstance(e.data.get("intent"), str)
    ]


class Contacts:
    """Every customer's contacts by topic (instants sorted), for "came back" look-ups."""

    def __init__(self) -> None:
        self._at: dict[tuple[str, str], list[int]] = {}
        self._sorted = True

    def add(self, customer_id: str | None, topic: str | None, at_ms: int) -> None:
        """Record a contact (ignored without a customer or a topic)."""
        if customer_id is None or topic is None:
            return
        self._at.setdefault((customer_id, topic), []).append(at_ms)
        self._sorted = False

    def add_ticket(
        self,
        customer_id: str | None,
        category: str | None,
        created_ms: int,
        asked: Iterable[tuple[int, str]],
    ) -> None:
        """Record a non-spam ticket's contacts: its creation (by category) and its intents."""
        self.add(customer_id, category, created_ms)
        for at, intent in asked:
            self.add(customer_id, intent, at)

    def any_within(self, customer_id: str, topic: str, after_ms: int, until_ms: int) -> bool:
        """True when the customer has a contact on ``topic`` in ``(after_ms, until_ms]``."""
        if not self._sorted:
            for values in self._at.values():
                values.sort()
            self._sorted = True
        found = self._at.get((customer_id, topic))
        if not found:
            return False
        i = bisect.bisect_right(found, after_ms)
        return i < len(found) and found[i] <= until_ms


def classify(conversation: BotConversation, contacts: Contacts, window: int) -> Outcome:
    """The outcome of ``conversation`` with a return window of ``window`` milliseconds."""
    if conversation.person:
        return Outcome.HANDED_OFF
    if not conversation.resolved:
        return Outcome.ABANDONED
    customer = conversation.customer_id
    if customer is not None:
        for at, topic in conversation.resolutions:
            if contacts.any_within(customer, topic, at, at + window):
                return Outcome.CAME_BACK
    return Outcome.CONTAINED
