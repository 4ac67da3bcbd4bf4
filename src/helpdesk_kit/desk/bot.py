"""The bot on a desk: it answers conversations, hands them off, learns from agents.

``desk.configure_bot(...)`` builds a :class:`Bot` and keeps it at ``desk.bot``. The bot is
an object of its own, not a set of desk methods, for the same reasons as ``desk.kb``: it has
state (the trained classifier, the flows, the actions, its settings) and a dozen commands
that belong together. The few entry points the rest of the desk needs are on the desk
itself (:class:`BotCommands`): ``configure_bot``, ``bot_holds``, ``relabel_intent`` and
``bot_metrics``.

How a message reaches the bot: conversations on the bot's channels (``chat`` and
``wechat`` by default) are the bot's from their first customer message until it hands
them off. After :meth:`Helpdesk.receive` commits a customer's message on such a ticket,
the bot runs one turn (a listener on the committed events) and answers with
:meth:`Helpdesk.reply` as ``Actor.bot()`` — so the channel delivers the answer like any
reply (a chat frame, a WeChat passive reply). New tickets it holds are not routed to an
agent; the hand-off routes them. A turn runs the classifier, the knowledge-base search and
the host's action outside any transaction, then stores the new state, the events and the
answer in one unit of work (a concurrent turn on the same conversation retries).
"""

from __future__ import annotations

import copy
import logging
import re
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import attrs

from helpdesk_kit.bot.dialogue import (
    ActionOutcome,
    ArticleAnswer,
    Conversation,
    DialogueEngine,
    Stage,
    Turn,
    handoff_data,
    handoff_note,
)
from helpdesk_kit.bot.flows import FlowSet, load_flows, starter_flows
from helpdesk_kit.bot.intents import OUT_OF_SCOPE, IntentBackend, IntentClassifier, Prediction
from helpdesk_kit.bot.learning import Relabel, examples_to_tsv, latest_examples
from helpdesk_kit.bot.metrics import DEFAULT_WINDOW, BotMetrics, check_window
from helpdesk_kit.bot.phrases import detect_locale, fill, language_of, pick_text
from helpdesk_kit.bot.settings import HANDOFF_REASONS, BotSettings
from helpdesk_kit.bot.starter import load_starter_examples
from helpdesk_kit.clock import ensure_aware, to_utc
from helpdesk_kit.desk.work import Work
from helpdesk_kit.errors import (
    ConcurrencyConflict,
    ConfigurationError,
    HelpdeskError,
    InvalidDefinition,
    InvalidInput,
)
from helpdesk_kit.plugins import collect_named, hookimpl
from helpdesk_kit.tickets import events as ev
from helpdesk_kit.tickets.model import (
    Actor,
    Agent,
    AgentStatus,
    AuthorKind,
    Customer,
    Message,
    Ticket,
    TicketEvent,
)

if TYPE_CHECKING:
    from helpdesk_kit.desk.service import Helpdesk, TicketRef
    from helpdesk_kit.kb.model import Article, ArticleHit

__all__ = [
    "Availability",
    "Bot",
    "BotAction",
    "BotCommands",
    "BotReply",
    "Promise",
]

log = logging.getLogger("helpdesk_kit.bot")

#: ``action(desk, customer, slots) -> {"ok": bool, "text": str, ...}``: a host application's
#: bot action (order lookup, password reset). ``"retry": "<slot>"`` asks that slot again.
BotAction = Callable[["Helpdesk", Customer, dict[str, str]], Mapping[str, Any]]
#: ``promise(desk, ticket, locale) -> text``: what to promise when nobody can answer now.
Promise = Callable[["Helpdesk", Ticket, str], "str | None"]
#: ``available(desk, ticket) -> bool``: can a person answer this ticket now?
Availability = Callable[["Helpdesk", Ticket], bool]
ActorLike = Actor | Agent | Customer | None

_TURN_ATTEMPTS = 3
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_MARKS = re.compile(r"(^|\s)[#>*\-+]+\s|[*_`]+")
_SENTENCE_END = re.compile(r"[。！？.!?](?=\s|$)|[。！？]")


def _desk(obj: object) -> Helpdesk:
    return cast("Helpdesk", obj)


def summarize(body: str, limit: int = 280) -> str:
    """The first paragraph of a Markdown article as plain text, at most ``limit`` characters."""
    for para in re.split(r"\n\s*\n", body):
        text = para.strip()
        if not text or text.startswith("#"):
            continue
        text = _MD_MARKS.sub(r"\1", _MD_LINK.sub(r"\1", text))
        text = " ".join(text.split())
        if len(text) <= limit:
            return text
        cut = text[:limit]
        ends = [m.end() for m in _SENTENCE_END.finditer(cut)]
        if ends and ends[-1] >= limit // 3:
            return cut[: ends[-1]].strip()
        return cut.rstrip() + "…"
    return ""


@attrs.frozen
class BotReply:
    """What one turn did: the bot's answer (``message``: the stored reply, if any), and
    whether it resolved the conversation or handed it off (``handoff``: the reason)."""

    ticket: Ticket
    conversation: Conversation
    text: str = ""
    message: Message | None = None
    resolved: bool = False
    handoff: str | None = None


class _Ports:
    """The desk side of a turn (see :class:`~helpdesk_kit.bot.dialogue.BotPorts`)."""

    def __init__(self, bot: Bot, customer: Customer) -> None:
        self.bot = bot
        self.desk = bot.desk
        self.customer = customer

    def classify(self, text: str) -> Prediction:
        return self.bot.classifier.predict(text)

    def _answer(self, article: Article, score: float) -> ArticleAnswer:
        url = None
        if self.bot.settings.article_url:
            url = fill(
                self.bot.settings.article_url,
                {"key": article.key, "locale": article.locale, "id": article.id},
            )
        return ArticleAnswer(
            article.id, article.key, article.title, summarize(article.body), url, score
        )

    def find_articles(
        self, text: str, locale: str | None, *, exclude: Collection[str], limit: int
    ) -> list[ArticleAnswer]:
        wanted = language_of(locale)
        try:
            hits = self.desk.kb.search(
                text[:1000],
                locale=wanted,
                limit=limit + len(exclude),
                record_unanswered=not exclude,
            )
        except HelpdeskError:
            log.exception("the bot's knowledge-base search failed")
            return []
        good = [
            h
            for h in hits
            if h.score >= self.bot.settings.kb_min_score and h.article.id not in exclude
        ]
        return [self._answer(h.article, h.score) for h in good[:limit]]

    def article_for(self, key: str, locale: str | None) -> ArticleAnswer | None:
        try:
            group = [a for a in self.desk.kb.articles(key=key, limit=100) if a.is_published]
        except HelpdeskError:
            log.exception("the bot could not read knowledge-base article %r", key)
            return None
        if not group:
            return None
        lang = language_of(locale) or ""
        default = language_of(self.bot.settings.default_locale) or ""
        group.sort(
            key=lambda a: (
                a.locale != locale,
                language_of(a.locale) != lang,
                language_of(a.locale) != default,
                a.locale,
            )
        )
        if language_of(group[0].locale) != lang:
            return None  # no translation the customer reads: search instead
        return self._answer(group[0], 0.0)

    def run_action(self, name: str, slots: Mapping[str, str]) -> ActionOutcome:
        return self.bot.run_action(name, self.customer, slots)

    def customer_handle(self, kind: str) -> str | None:
        return self.customer.handle(kind)


class _Listener:
    """Runs the bot's turn after a customer's message on one of its channels is committed."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    @hookimpl
    def on_ticket_event(self, desk: Helpdesk, event: TicketEvent, ticket: Ticket) -> None:
        """Answer a customer's message on a conversation the bot holds."""
        bot = self.bot
        if desk.bot is not bot or bot.paused:
            return
        if event.kind != ev.MESSAGE_RECEIVED or not event.actor.startswith("customer:"):
            return
        if ticket.channel not in bot.settings.channels:
            return
        message_id = event.data.get("message_id")
        bot._answer(ticket.id, message_id if isinstance(message_id, str) else None)


def _takeover_reactor(desk: Helpdesk, work: Work, events: list[TicketEvent]) -> None:
    """An agent assigned to, or answering, a conversation the bot holds takes it over."""
    bot = desk.bot
    if bot is None:
        return
    for event in events:
        if event.kind == ev.ASSIGNED:
            taken = bool(event.data.get("assignee_id"))
        elif event.kind == ev.REPLY_SENT:
            taken = event.data.get("author_kind") == AuthorKind.AGENT.value
        else:
            continue
        if not taken:
            continue
        ticket = work.ticket(event.ticket_id)
        if ticket.channel not in bot.settings.channels:
            continue
        conv = work.uow.bot.get(ticket.id)
        if conv is None or not conv.active:
            continue
        bot._hand_off_in(work, ticket, conv, "agent_took_over", route=False, tell=False)


def _solve_sweeper(desk: Helpdesk, now: datetime) -> list[str]:
    """The ``bot.solve`` sweeper: solve the conversations the bot resolved that stayed quiet."""
    bot = desk.bot
    if bot is None or bot.settings.solve_on_end is None:
        return []
    cutoff = now - bot.settings.solve_after
    with desk.storage.unit_of_work() as uow:
        ids = uow.bot.resolved_before(cutoff, statuses=desk._active_statuses)
    solved: list[str] = []
    for ticket_id in ids:
        try:
            with desk._work(now) as work:
                ticket = work.ticket(ticket_id)
                conv = work.uow.bot.get(ticket_id)
                if conv is not None and conv.stage is Stage.ENDED:
                    after = bot._solve(work, ticket)
                    if after.status != ticket.status:
                        solved.append(ticket.ref)
        except HelpdeskError:
            log.exception("the bot could not solve ticket %s", ticket_id)
    return solved


class Bot:
    """A desk's bot (``desk.bot``): classifier, flows, actions and settings, and its commands."""

    def __init__(
        self,
        desk: Helpdesk,
        classifier: IntentClassifier,
        flows: FlowSet,
        settings: BotSettings,
        actions: Mapping[str, BotAction],
        *,
        examples: Iterable[tuple[str, str]] | None = None,
        promise: Promise | None = None,
        available: Availability | None = None,
    ) -> None:
        """Use :meth:`Helpdesk.configure_bot` rather than this."""
        self.desk = desk
        self.classifier = classifier
        self.flows = flows
        self.settings = settings
        self.actions: dict[str, BotAction] = dict(actions)
        self.promise = promise
        self.available = available
        self.engine = DialogueEngine(flows, settings)
        self.actor = Actor.bot(settings.name)
        self._examples = None if examples is None else list(examples)
        self._paused = 0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"Bot({self.settings.name!r}, channels={sorted(self.settings.channels)}, "
            f"flows={sorted(self.flows.flows)})"
        )

    def check(self) -> None:
        """Raise ``InvalidDefinition`` listing every flow action without a host callable and
        every flow intent the classifier does not know."""
        problems = [
            f"flow {f.name!r} calls the bot action {f.action!r}, which nobody registered "
            "(use the register_bot_actions hook or configure_bot(actions={...}))"
            for f in self.flows
            if f.action not in self.actions
        ]
        if self.classifier.fitted:
            known = set(self.classifier.intents)
            problems += [
                f"flow {f.name!r} is for intent {f.intent!r}, which the classifier does not "
                f"know (known: {', '.join(sorted(known))})"
                for f in self.flows
                if f.intent not in known
            ]
        if problems:
            raise InvalidDefinition("bot configuration", problems)

    # ------------------------------------------------------------------ state

    @property
    def paused(self) -> bool:
        """True inside :meth:`pause` (the bot neither answers nor holds new conversations)."""
        return self._paused > 0

    @contextmanager
    def pause(self) -> Iterator[None]:
        """Keep the bot out of the way (importing a history of chats, say) within the block."""
        with self._lock:
            self._paused += 1
        try:
            yield
        finally:
            with self._lock:
                self._paused -= 1

    def conversation(self, ticket: TicketRef) -> Conversation | None:
        """The bot's conversation state of a ticket, or None."""
        desk = self.desk
        with desk.storage.unit_of_work() as uow:
            t = desk._load_ticket(Work(uow, desk.now()), ticket)
            return uow.bot.get(t.id)

    def holds(self, ticket: TicketRef) -> bool:
        """True when the bot answers this ticket's customer (no person has it yet)."""
        desk = self.desk
        with desk.storage.unit_of_work() as uow:
            work = Work(uow, desk.now())
            return self._holds(work, desk._load_ticket(work, ticket), new=False)

    def _holds(self, work: Work, ticket: Ticket, *, new: bool) -> bool:
        if self.paused or ticket.channel not in self.settings.channels:
            return False
        if ticket.assignee_id is not None or ticket.merged_into is not None:
            return False
        conv = work.uow.bot.get(ticket.id)
        if conv is not None:
            return conv.active
        if not new:
            return False
        # a conversation the customer opened in this unit of work is the bot's from the start
        return any(
            e.ticket_id == ticket.id
            and e.kind == ev.TICKET_CREATED
            and e.actor.startswith("customer:")
            for e in work.events
        )

    # ------------------------------------------------------------------ turns

    def handle(self, ticket: TicketRef, message: Message | str | None = None) -> BotReply | None:
        """Run one turn on the customer's latest message (or ``message``) of a ticket the bot
        holds and return what it did; None when the bot does not hold the ticket.

        The desk calls this by itself for every customer message on the bot's channels; call
        it for a conversation you feed in another way.
        """
        t = self.desk.get_ticket(ticket)
        mid = message.id if isinstance(message, Message) else message
        return self._turn(t.id, mid)

    def _answer(self, ticket_id: str, message_id: str | None) -> None:
        """The listener's turn: failures are logged and hand the conversation to a person."""
        try:
            self._turn(ticket_id, message_id)
        except Exception:
            log.exception("the bot failed on ticket %s; handing it to a person", ticket_id)
            try:
                self.hand_off(ticket_id, "bot_error")
            except Exception:
                log.exception("the bot could not hand ticket %s off either", ticket_id)

    def _snapshot(
        self, ticket_id: str, message_id: str | None
    ) -> tuple[Ticket, Conversation, Customer, Message] | None:
        """The ticket, conversation, customer and message of a turn, or None when the bot
        does not hold the ticket (a person has it, or it is not on the bot's channels)."""
        desk = self.desk
        with desk.storage.unit_of_work() as uow:
            ticket = uow.tickets.get(ticket_id)
            if self.paused or ticket.channel not in self.settings.channels:
                return None
            if ticket.assignee_id is not None or ticket.merged_into is not None:
                return None
            conv = uow.bot.get(ticket_id)
            if conv is None:
                conv = Conversation(ticket_id)  # the bot takes it on this first message
            elif not conv.active:
                return None
            customer = uow.customers.get(ticket.customer_id)
            if message_id is not None:
                message = uow.messages.get(message_id)
                if message.ticket_id != ticket_id or message.author_kind is not AuthorKind.CUSTOMER:
                    raise InvalidInput(
                        f"message {message_id} is not a customer message of {ticket.ref}"
                    )
            else:
                mine = [
                    m
                    for m in uow.messages.list_for_ticket(ticket_id)
                    if m.author_kind is AuthorKind.CUSTOMER
                ]
                if not mine:
                    return None
                message = mine[-1]
        return ticket, conv, customer, message

    def _turn(self, ticket_id: str, message_id: str | None) -> BotReply | None:
        for attempt in range(_TURN_ATTEMPTS):
            snap = self._snapshot(ticket_id, message_id)
            if snap is None:
                return None
            ticket, conv, customer, message = snap
            turn = self.engine.turn(
                conv,
                message.text,
                _Ports(self, customer),
                now=self.desk.now(),
                message_id=message.id,
                locale=ticket.language or customer.locale,
            )
            try:
                return self._apply(ticket, conv, customer, turn)
            except ConcurrencyConflict:
                if attempt == _TURN_ATTEMPTS - 1:
                    raise
                log.info("bot turn on %s raced another; running it again", ticket.ref)
        return None

    def _event(self, work: Work, ticket: Ticket, kind: str, data: Mapping[str, Any]) -> TicketEvent:
        return TicketEvent(ticket.id, kind, work.now, str(self.actor), dict(data))

    def _apply(
        self, ticket: Ticket, before: Conversation, customer: Customer, turn: Turn
    ) -> BotReply:
        desk = self.desk
        with desk._work() as work:
            current = work.ticket(ticket.id)
            conv = work.uow.bot.save(turn.conversation, expected_version=before.version)
            bot_events = []
            for e in turn.events:
                data = dict(e.data)
                if e.kind == ev.BOT_STARTED:
                    data.update(channel=current.channel, locale=conv.locale)
                bot_events.append(self._event(work, current, e.kind, data))
            current = work.save(current, current, bot_events)
            texts = list(turn.replies)
            if turn.handoff is not None:
                current, said = self._hand_off_in(work, current, conv, turn.handoff)
                texts.append(said)
            message = None
            text = "\n\n".join(t for t in texts if t)
            if text:
                message, current = desk._reply_in(work, current, text, self.actor)
            if turn.resolved and self.settings.solve_after == timedelta(0):
                current = self._solve(work, current)
        self._vote(turn.votes, customer)
        return BotReply(
            ticket=current,
            conversation=conv,
            text=text,
            message=message,
            resolved=turn.resolved,
            handoff=turn.handoff,
        )

    def _solve(self, work: Work, ticket: Ticket) -> Ticket:
        name = self.settings.solve_on_end
        if name is None:
            return ticket
        if self.desk._why_not(work, ticket, name, self.actor) is not None:
            return ticket
        return self.desk._fire(work, ticket, name, self.actor)

    def _vote(self, votes: list[tuple[str, bool]], customer: Customer) -> None:
        for article_id, helpful in votes:
            try:
                self.desk.kb.vote(article_id, helpful, voter=customer.id, reason="bot")
            except HelpdeskError:
                log.exception("could not record the customer's vote on article %s", article_id)

    # ------------------------------------------------------------------ hand-off

    def hand_off(self, ticket: TicketRef, reason: str = "manual") -> BotReply:
        """Give a conversation to a person now: summary note, ``bot.handoff``, routing, and the
        customer is told their place in the queue or the promised reply time."""
        if reason not in HANDOFF_REASONS:
            raise InvalidInput(
                f"unknown hand-off reason {reason!r} (known: {', '.join(HANDOFF_REASONS)})"
            )
        desk = self.desk
        with desk._work() as work:
            current = desk._load_ticket(work, ticket)
            conv = work.uow.bot.get(current.id) or Conversation(
                current.id, started_at=work.now, updated_at=work.now
            )
            if not conv.active:
                return BotReply(current, conv)
            current, said = self._hand_off_in(work, current, conv, reason)
            conv = work.uow.bot.get(current.id) or conv
            message = None
            if said:
                message, current = desk._reply_in(work, current, said, self.actor)
        return BotReply(current, conv, said, message, handoff=reason)

    def _hand_off_in(
        self,
        work: Work,
        ticket: Ticket,
        conv: Conversation,
        reason: str,
        *,
        route: bool = True,
        tell: bool = True,
    ) -> tuple[Ticket, str]:
        """Hand off inside ``work``; returns the ticket and what to tell the customer.

        Order matters to the SLA clocks: ``bot.handoff`` is recorded before routing assigns
        the ticket; the summary note (with where the ticket ended up) comes after.
        """
        desk = self.desk
        stored = work.uow.bot.get(ticket.id)
        if stored is None or stored.active:
            base = stored or conv
            handed = attrs.evolve(
                base,
                stage=Stage.HANDED_OFF,
                handoff_reason=reason,
                pending_slot=None,
                started_at=base.started_at or work.now,
                updated_at=work.now,
            )
            conv = work.uow.bot.save(
                handed, expected_version=0 if stored is None else stored.version
            )
        else:
            conv = stored
        ticket = work.save(
            ticket, ticket, [self._event(work, ticket, ev.HANDOFF, handoff_data(conv, reason))]
        )
        if route:
            ticket = desk._auto_route(work, ticket)
        locale = conv.locale or language_of(ticket.language) or self.settings.default_locale
        where, said = self._where(work, ticket, locale, promise=tell)
        note = handoff_note(conv, reason, locale=self.settings.note_locale, where=where)
        ticket = self._note(work, ticket, note)
        if not tell:
            return ticket, ""
        lead = {
            "requested": "handoff_requested",
            "negative": "handoff_negative",
            "complaint": "handoff_negative",
        }.get(reason, "handoff_other")
        return ticket, f"{self.settings.text(lead, locale)} {said}".strip()

    def _where(
        self, work: Work, ticket: Ticket, locale: str, *, promise: bool = True
    ) -> tuple[str, str]:
        """Where the conversation stands after routing: (for the note, for the customer)."""
        s = self.settings
        note = s.note_locale
        if ticket.assignee_id is not None:
            agent = work.uow.agents.get(ticket.assignee_id)
            return (
                s.text("note_assigned", note, agent=agent.name),
                s.text("handoff_assigned", locale, agent=agent.name),
            )
        if self._available(work, ticket):
            ahead = work.uow.bot.queue_ahead(ticket, statuses=self.desk._active_statuses)
            return (
                s.text("note_queued", note, ahead=ahead),
                s.text("handoff_queue", locale, position=ahead + 1, ahead=ahead, ref=ticket.ref),
            )
        if not promise:
            return s.text("note_nobody", note), ""
        return s.text("note_promised", note), self._promise(ticket, locale)

    def _available(self, work: Work, ticket: Ticket) -> bool:
        if self.available is not None:
            return bool(self.available(self.desk, ticket))
        agents = work.uow.agents.list(group_id=ticket.group_id)
        return any(a.status is AgentStatus.ONLINE and a.max_concurrent > 0 for a in agents)

    def _promise(self, ticket: Ticket, locale: str) -> str:
        text: str | None = None
        try:
            if self.promise is not None:
                text = self.promise(self.desk, ticket, locale)
            elif hasattr(self.desk, "sla_promise"):
                text = self.desk.sla_promise(ticket, locale)
        except Exception:
            log.exception("the promise for %s failed; using the fixed sentence", ticket.ref)
            text = None
        if text:
            return str(text)
        return self.settings.text("handoff_offline", locale, ref=ticket.ref)

    def _note(self, work: Work, ticket: Ticket, text: str) -> Ticket:
        message = Message(
            ticket_id=ticket.id,
            author_kind=AuthorKind.BOT,
            author_id=self.actor.id,
            text=text,
            created_at=work.now,
            public=False,
        )
        work.uow.messages.add(message)
        return work.save(
            ticket,
            ticket,
            [self._event(work, ticket, ev.NOTE_ADDED, {"message_id": message.id, "handoff": True})],
        )

    # ------------------------------------------------------------------ actions

    def run_action(self, name: str, customer: Customer, slots: Mapping[str, str]) -> ActionOutcome:
        """Run the host's bot action ``name``; an exception or a malformed result is a failure
        with ``error`` set (logged), never an exception."""
        action = self.actions.get(name)
        if action is None:
            return ActionOutcome(False, error=f"no bot action {name!r} is registered")
        try:
            result = action(self.desk, customer, dict(slots))
        except Exception as exc:
            log.exception("bot action %r failed", name)
            return ActionOutcome(False, error=f"{type(exc).__name__}: {exc}")
        if not isinstance(result, Mapping) or not isinstance(result.get("ok"), bool):
            return ActionOutcome(
                False,
                error=f"bot action {name!r} must return a mapping with 'ok' (bool) and 'text', "
                f"got {result!r}"[:500],
            )
        text = result.get("text", "")
        retry = result.get("retry")
        if not isinstance(text, str) or (retry is not None and not isinstance(retry, str)):
            return ActionOutcome(
                False, error=f"bot action {name!r} returned a non-text 'text' or 'retry'"
            )
        extra = {k: v for k, v in result.items() if k not in ("ok", "text", "retry")}
        return ActionOutcome(result["ok"], text, retry, data=extra)

    # ------------------------------------------------------------------ learning

    def relabels(self) -> list[Relabel]:
        """Every relabel agents made, oldest first."""
        out: list[Relabel] = []
        after: str | None = None
        with self.desk.storage.unit_of_work() as uow:
            while True:
                page = uow.bot.relabels(limit=500, after=after)
                out.extend(page)
                if len(page) < 500:
                    return out
                after = page[-1].id

    def relabelled_examples(self) -> list[tuple[str, str]]:
        """Training examples from agents: the latest relabel of each conversation."""
        return latest_examples(self.relabels())

    def base_examples(self) -> list[tuple[str, str]]:
        """The examples the bot learns from besides relabels (default: the starter set)."""
        if self._examples is None:
            return load_starter_examples()
        return list(self._examples)

    def training_examples(self) -> list[tuple[str, str]]:
        """Base examples followed by relabelled ones (a relabel of the same text wins)."""
        return self.base_examples() + self.relabelled_examples()

    def export_training_tsv(
        self, path: str | Path | None = None, *, include_base: bool = False
    ) -> str:
        """The relabelled examples (with ``include_base``, all training examples) as TSV
        ``intent<TAB>text`` lines; also written to ``path`` when given."""
        examples = self.training_examples() if include_base else self.relabelled_examples()
        text = examples_to_tsv(
            examples, header="Training examples exported by helpdesk_kit (intent<TAB>text)."
        )
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def retrain(self, classifier: IntentClassifier | None = None) -> IntentClassifier:
        """Fit a classifier on :meth:`training_examples` and switch to it.

        Without ``classifier`` a copy of the current one is fitted, so conversations keep
        being answered by the old one until the new one is ready.
        """
        fresh = classifier if classifier is not None else copy.deepcopy(self.classifier)
        fresh.fit(self.training_examples())
        previous = self.classifier
        self.classifier = fresh
        try:
            self.check()
        except InvalidDefinition:
            self.classifier = previous
            raise
        return fresh

    # ------------------------------------------------------------------ channels

    def suggested_articles(
        self, text: str, *, locale: str | None = None, limit: int = 3
    ) -> list[ArticleHit]:
        """Published articles answering ``text`` well (``kb_min_score``), best first."""
        hits = self.desk.kb.suggest_for_text(text, locale=locale, limit=limit)
        return [h for h in hits if h.score >= self.settings.kb_min_score]

    def email_acknowledgement(
        self, text: str | Mapping[str, str] | None = None, *, limit: int = 3
    ) -> Callable[[Helpdesk, Ticket], str]:
        """An ``acknowledgement`` for :class:`~helpdesk_kit.channels.email.EmailChannel`: the
        text (``{ref}``, ``{subject}`` filled in; default: a short receipt in the ticket's
        language) followed by up to ``limit`` suggested articles, when any answers well."""
        texts = {"en": text} if isinstance(text, str) else dict(text or {})

        def acknowledge(desk: Helpdesk, ticket: Ticket) -> str:
            first = next(
                (
                    m.text
                    for m in desk.messages(ticket, include_notes=False)
                    if m.author_kind is AuthorKind.CUSTOMER
                ),
                "",
            )
            body = f"{ticket.subject}\n{first}"
            locale = language_of(ticket.language) or detect_locale(
                body, None, self.settings.default_locale
            )
            values = {"ref": ticket.ref, "subject": ticket.subject, "number": ticket.number}
            if texts:
                lines = [fill(pick_text(texts, locale, self.settings.default_locale), values)]
            else:
                lines = [self.settings.text("email_ack", locale, **values)]
            try:
                hits = self.suggested_articles(body, locale=locale, limit=limit)
            except HelpdeskError:
                log.exception("no article suggestions for %s", ticket.ref)
                hits = []
            if hits:
                lines += ["", self.settings.text("email_suggestions", locale)]
                for hit in hits:
                    url = (
                        fill(
                            self.settings.article_url,
                            {
                                "key": hit.article.key,
                                "locale": hit.article.locale,
                                "id": hit.article.id,
                            },
                        )
                        if self.settings.article_url
                        else None
                    )
                    lines.append(f"- {hit.title}" + (f" ({url})" if url else ""))
            return "\n".join(lines)

        return acknowledge


# ---------------------------------------------------------------------- desk commands


def _builtin_backends() -> dict[str, Callable[..., IntentBackend]]:
    def lexical(**options: Any) -> IntentBackend:
        from helpdesk_kit.bot.lexical import LexicalBackend

        return LexicalBackend(**options)

    def embedding(**options: Any) -> IntentBackend:
        from helpdesk_kit.bot.embedding import EmbeddingBackend

        return EmbeddingBackend(**options)

    return {"lexical": lexical, "embedding": embedding}


class BotCommands:
    """The bot's entry points on the desk: configure it, ask whether it holds a ticket,
    relabel a conversation's intent, and the bot's metrics."""

    bot: Bot | None = None
    _bot_actions: dict[str, BotAction] | None = None
    _intent_backends: dict[str, Callable[..., IntentBackend]] | None = None
    _bot_listener: _Listener | None = None

    def _setup_bot(self) -> None:
        """Collect the plugins' bot actions and intent backends (called when the desk starts)."""
        desk = _desk(self)
        self._bot_actions = collect_named(desk.hook.register_bot_actions, "bot action")
        self._intent_backends = collect_named(desk.hook.register_intent_backends, "intent backend")

    @property
    def bot_actions(self) -> dict[str, BotAction]:
        """Bot actions registered by plugins (``register_bot_actions``), by name."""
        if self._bot_actions is None:
            self._setup_bot()
        assert self._bot_actions is not None
        return dict(self._bot_actions)

    def _intent_backend(self, name: str, options: Mapping[str, Any]) -> IntentBackend:
        if self._intent_backends is None:
            self._setup_bot()
        factories = {**_builtin_backends(), **(self._intent_backends or {})}
        factory = factories.get(name)
        if factory is None:
            raise ConfigurationError(
                f"unknown intent backend {name!r} (available: {', '.join(sorted(factories))})"
            )
        backend = factory(**dict(options))
        if not isinstance(backend, IntentBackend):
            raise ConfigurationError(
                f"intent backend {name!r} must have fit(texts, labels) and predict_scores(text)"
            )
        return backend

    def configure_bot(
        self,
        classifier: IntentClassifier | None = None,
        flows: FlowSet | Mapping[str, Any] | str | None = None,
        *,
        settings: BotSettings | None = None,
        actions: Mapping[str, BotAction] | None = None,
        examples: Iterable[tuple[str, str]] | None = None,
        backend: str = "lexical",
        backend_options: Mapping[str, Any] | None = None,
        promise: Promise | None = None,
        available: Availability | None = None,
        **changes: Any,
    ) -> Bot:
        """Set up the desk's bot (``desk.bot``) and start it on its channels.

        ``classifier``: a fitted :class:`IntentClassifier`; without one, a classifier with
        the ``backend`` (``"lexical"``, ``"embedding"`` or one a plugin registers) is trained
        on the starter examples (or ``examples``) plus agents' relabels. ``flows``: a
        FlowSet, ``{name: definition}`` or TOML text (default: :func:`starter_flows`).
        ``actions``: bot actions by name besides those plugins register. ``settings`` and
        keyword ``changes`` (``max_turns=6``, ``channels={"chat"}``, ...) configure it (see
        :class:`BotSettings`). ``promise(desk, ticket, locale)``: what to promise when
        nobody can answer (default: ``desk.sla_promise(ticket, locale)`` when the desk has
        it, else a fixed sentence). ``available(desk, ticket)``: whether a person can
        answer now (default: an online agent of the ticket's group).
        """
        desk = _desk(self)
        try:
            config = settings if settings is not None else BotSettings()
            if changes:
                config = attrs.evolve(config, **changes)
        except TypeError as exc:
            raise InvalidInput(f"unknown bot setting: {exc}") from None
        flow_set = starter_flows() if flows is None else load_flows(flows)
        all_actions = {**self.bot_actions, **dict(actions or {})}
        bad = [name for name, fn in all_actions.items() if not callable(fn)]
        if bad:
            raise InvalidInput(f"bot action(s) {', '.join(bad)} must be callable")
        if classifier is None:
            classifier = IntentClassifier(self._intent_backend(backend, backend_options or {}))
        elif not isinstance(classifier, IntentClassifier):
            raise InvalidInput(f"classifier must be an IntentClassifier, got {classifier!r}")
        bot = Bot(
            desk,
            classifier,
            flow_set,
            config,
            all_actions,
            examples=examples,
            promise=promise,
            available=available,
        )
        bot.check()  # actions first: fails before a long training
        if not classifier.fitted:
            classifier.fit(bot.training_examples())
            bot.check()
        if self._bot_listener is not None:
            desk.plugin_manager.unregister(self._bot_listener)
        else:
            desk.add_reactor("bot.takeover", _takeover_reactor)
            desk.add_sweeper("bot.solve", _solve_sweeper)
        self._bot_listener = _Listener(bot)
        desk.plugin_manager.register(self._bot_listener, name=f"helpdesk_kit.bot.{id(bot)}")
        self.bot = bot
        return bot

    def bot_holds(self, ticket: TicketRef) -> bool:
        """True when the desk's bot answers this ticket's customer (False without a bot)."""
        return self.bot is not None and self.bot.holds(ticket)

    def _bot_holds(self, work: Work, ticket: Ticket) -> bool:
        """Routing asks this: a conversation the bot holds waits for its hand-off."""
        return self.bot is not None and self.bot._holds(work, ticket, new=True)

    def relabel_intent(
        self,
        ticket: TicketRef,
        intent: str,
        *,
        agent: ActorLike,
        message: Message | str | None = None,
        allow_new: bool = False,
    ) -> Relabel:
        """Record an agent's verdict on a conversation's intent (``bot.relabelled``).

        The customer's message the bot recognised the intent in (else ``message``, else
        the first one) becomes the training example ``(text, intent)``. ``intent`` must be
        one the bot learns (or ``out_of_scope``); ``allow_new=True`` accepts a new one.
        """
        desk = _desk(self)
        who = desk._actor(agent)
        desk._require_staff(who, "relabelling a conversation's intent")
        if not isinstance(intent, str) or not intent.strip():
            raise InvalidInput(f"intent must be a non-empty name, got {intent!r}")
        intent = intent.strip()
        if not allow_new:
            known = {OUT_OF_SCOPE}
            if self.bot is not None:
                known |= set(self.bot.classifier.intents) if self.bot.classifier.fitted else set()
                known |= {label for _, label in self.bot.training_examples()}
            else:
                known |= {label for _, label in load_starter_examples()}
            if intent not in known:
                raise InvalidInput(
                    f"unknown intent {intent!r} (known: {', '.join(sorted(known))}); "
                    "pass allow_new=True to teach the bot a new one"
                )
        wanted = message.id if isinstance(message, Message) else message
        with desk._work() as work:
            t = desk._load_ticket(work, ticket)
            conv = work.uow.bot.get(t.id)
            mine = [
                m
                for m in work.uow.messages.list_for_ticket(t.id)
                if m.author_kind is AuthorKind.CUSTOMER and m.text.strip()
            ]
            chosen: Message | None
            if wanted is not None:
                chosen = next((m for m in mine if m.id == wanted), None)
                if chosen is None:
                    raise InvalidInput(
                        f"message {wanted} is not a customer message with text on {t.ref}"
                    )
            else:
                topic = conv.topic_message_id if conv is not None else None
                chosen = next((m for m in mine if m.id == topic), mine[0] if mine else None)
            if chosen is None:
                raise InvalidInput(f"{t.ref} has no customer message with text to learn from")
            previous = conv.predicted_intent if conv is not None else None
            relabel = Relabel(
                ticket_id=t.id,
                text=chosen.text.strip(),
                intent=intent,
                agent_id=who.id,
                at=work.now,
                previous=previous,
                message_id=chosen.id,
            )
            work.uow.bot.add_relabel(relabel)
            event = TicketEvent(
                t.id,
                ev.BOT_RELABELLED,
                work.now,
                str(who),
                {
                    "intent": intent,
                    "previous": previous,
                    "message_id": chosen.id,
                    "agent_id": who.id,
                },
            )
            work.save(t, t, [event])
        return relabel

    def bot_metrics(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        *,
        window: timedelta = DEFAULT_WINDOW,
    ) -> BotMetrics:
        """Containment, hand-off rate and reasons, and intent accuracy, in total and per
        intent, of the bot conversations created in ``[since, until)``.

        Containment is the ``bot_containment`` KPI's definition (docs/kpis.md): on the same
        history ``containment_rate`` equals ``desk.kpi("bot_containment", ...)``'s rate.
        """
        desk = _desk(self)
        check_window(window)
        start = None if since is None else to_utc(ensure_aware(since, "since"))
        end = None if until is None else to_utc(ensure_aware(until, "until"))
        if start is not None and end is not None and end <= start:
            raise InvalidInput("until must be after since")
        with desk.storage.unit_of_work() as uow:
            uow.analytics.refresh()
            uow.commit()
            return uow.bot.metrics(since=start, until=end, window=window)
