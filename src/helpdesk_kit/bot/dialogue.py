"""The dialogue engine: a customer message in, the answer and the new conversation state out.

The engine is pure: it never touches storage, the clock or the network. What it needs
from outside — the intent of a message, knowledge-base articles, running a bot action,
the customer's known handles — it asks through :class:`BotPorts`, which the desk
implements. A turn returns a :class:`Turn`: the new :class:`Conversation`, the texts the
bot says, the events to record, the article votes, and whether the conversation was
resolved or must go to a person (``handoff`` is the reason).

Order of checks in every turn, so that the customer can always get out:

1. a hand-off phrase ("转人工", "human", ...) or anger → hand-off;
2. more customer messages than ``max_turns`` since the conversation (re)started → hand-off;
3. a cancel phrase while a flow asks for something → the flow stops;
4. then the current stage: a slot answer, a confirmation, feedback on an article, or a
   new request (classified: a flow starts, an article answers, small talk, or a hand-off
   intent; out of scope → the knowledge base, else "I didn't understand").
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol

import attrs

from helpdesk_kit.bot.flows import Flow, FlowSet
from helpdesk_kit.bot.intents import Prediction
from helpdesk_kit.bot.phrases import detect_locale, language_of, pick_text, yes_or_no
from helpdesk_kit.bot.settings import HANDOFF_REASONS, BotSettings
from helpdesk_kit.bot.slots import SlotSpec, extract_value, parse_value
from helpdesk_kit.clock import ensure_aware
from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.tickets import events as ev

__all__ = [
    "ActionOutcome",
    "ArticleAnswer",
    "ArticleTry",
    "BotEvent",
    "BotPorts",
    "Conversation",
    "DialogueEngine",
    "Stage",
    "Turn",
    "handoff_data",
    "handoff_note",
]


class Stage(enum.StrEnum):
    """Where a bot conversation stands."""

    IDLE = "idle"  # waiting for the customer's request
    COLLECTING = "collecting"  # a flow asked for a slot
    CONFIRMING = "confirming"  # a flow asked to confirm its slots
    FEEDBACK = "feedback"  # an article was offered: "did this help?"
    ENDED = "ended"  # resolved by the bot; a new message starts over
    HANDED_OFF = "handed_off"  # a person has it; the bot stays silent


@attrs.frozen
class ArticleTry:
    """An article the bot offered, and what the customer said about it (None: nothing)."""

    article_id: str
    key: str
    title: str
    helpful: bool | None = None


def _opt_aware(_inst: object, attribute: attrs.Attribute[Any], value: datetime | None) -> None:
    if value is not None:
        ensure_aware(value, attribute.name)


def _slot_dict(value: Mapping[str, str]) -> dict[str, str]:
    return {str(k): str(v) for k, v in dict(value).items()}


def _tries(value: Iterable[ArticleTry]) -> tuple[ArticleTry, ...]:
    return tuple(value)


def _texts(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(str(v) for v in value)


@attrs.frozen
class Conversation:
    """The bot's memory of one conversation (one ticket), stored between messages.

    ``intent`` is the current topic, ``predicted_intent`` the first intent the bot
    recognised (what agents' relabels are compared with) and ``topic_message_id`` the
    customer message it was recognised in. ``retries`` counts failed answers to the current
    question, ``action_retries`` the times the flow's action asked for a slot again.
    ``turns`` counts customer messages since the conversation started or was last
    resolved; ``misunderstood`` those in a row the bot could not place. ``offers`` counts
    articles offered for ``question``; ``resolved`` summarises what the bot resolved so
    far (for the agent's note). ``version`` is 0 until the conversation is stored.
    """

    ticket_id: str
    stage: Stage = attrs.field(default=Stage.IDLE, converter=Stage)
    locale: str | None = None
    intent: str | None = None
    confidence: float = 0.0
    predicted_intent: str | None = None
    topic_message_id: str | None = None
    flow: str | None = None
    slots: dict[str, str] = attrs.field(factory=dict, converter=_slot_dict, hash=False)
    pending_slot: str | None = None
    retries: int = 0
    action_retries: int = 0
    turns: int = 0
    total_turns: int = 0
    misunderstood: int = 0
    question: str | None = None
    offers: int = 0
    feedback_article: str | None = None
    articles: tuple[ArticleTry, ...] = attrs.field(default=(), converter=_tries)
    resolutions: int = 0
    resolved: tuple[str, ...] = attrs.field(default=(), converter=_texts)
    handoff_reason: str | None = None
    started_at: datetime | None = attrs.field(default=None, validator=_opt_aware)
    updated_at: datetime | None = attrs.field(default=None, validator=_opt_aware)
    version: int = 0

    @property
    def active(self) -> bool:
        """True while the bot holds the conversation (not handed off)."""
        return self.stage is not Stage.HANDED_OFF

    def to_dict(self) -> dict[str, Any]:
        """The conversation as JSON-serialisable data (see :meth:`from_dict`)."""
        data = attrs.asdict(self, recurse=True)
        data["stage"] = self.stage.value
        for key in ("started_at", "updated_at"):
            value = getattr(self, key)
            data[key] = None if value is None else value.isoformat()
        data.pop("version")
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, version: int = 0) -> Conversation:
        """Rebuild a conversation stored with :meth:`to_dict` (unknown keys are ignored)."""
        try:
            values = {
                f.name: data[f.name]
                for f in attrs.fields(cls)
                if f.name in data and f.name != "version"
            }
            values["articles"] = tuple(ArticleTry(**a) for a in data.get("articles", ()))
            for key in ("started_at", "updated_at"):
                if values.get(key) is not None:
                    values[key] = datetime.fromisoformat(values[key])
            return cls(**values, version=version)
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(f"stored bot conversation is not readable: {exc}") from None


@attrs.frozen
class ArticleAnswer:
    """A knowledge-base article the bot can offer as an answer."""

    article_id: str
    key: str
    title: str
    summary: str
    url: str | None = None
    score: float = 0.0


@attrs.frozen
class ActionOutcome:
    """What a bot action returned: ``ok``, the ``text`` to say, and optionally a slot to ask
    again (``retry``: "no such order") or the ``error`` that made it fail."""

    ok: bool
    text: str = ""
    retry: str | None = None
    error: str | None = None
    data: dict[str, Any] = attrs.field(factory=dict, hash=False)


@attrs.frozen
class BotEvent:
    """An event the turn wants recorded on the ticket (kind and data)."""

    kind: str
    data: dict[str, Any] = attrs.field(factory=dict, hash=False)


@attrs.frozen
class Turn:
    """The outcome of one customer message.

    ``replies``: what the bot says, in order. ``votes``: (article id, helpful) to record.
    ``resolved``: the bot resolved the conversation in this turn. ``handoff``: the reason
    the conversation must go to a person now (None: the bot keeps it).
    """

    conversation: Conversation
    replies: list[str] = attrs.field(factory=list)
    events: list[BotEvent] = attrs.field(factory=list)
    votes: list[tuple[str, bool]] = attrs.field(factory=list)
    resolved: bool = False
    handoff: str | None = None


class BotPorts(Protocol):
    """What the engine needs from the desk during a turn."""

    def classify(self, text: str) -> Prediction:
        """The intent of a message."""
        ...

    def find_articles(
        self, text: str, locale: str | None, *, exclude: Collection[str], limit: int
    ) -> list[ArticleAnswer]:
        """Published articles answering ``text`` well enough, best first, without ``exclude``."""
        ...

    def article_for(self, key: str, locale: str | None) -> ArticleAnswer | None:
        """The published article with ``key`` (in ``locale`` if there is a translation)."""
        ...

    def run_action(self, name: str, slots: Mapping[str, str]) -> ActionOutcome:
        """Run a bot action in the host application; failures come back as ``ok=False``."""
        ...

    def customer_handle(self, kind: str) -> str | None:
        """The customer's known handle of ``kind`` (``"email"``, ``"phone"``), if any."""
        ...


_STARTED = ev.BOT_STARTED
_INTENT = ev.BOT_INTENT
_ANSWERED = ev.BOT_ANSWERED
_ACTION = ev.BOT_ACTION
_CANCELLED = ev.BOT_CANCELLED
_ENDED = ev.BOT_ENDED


class DialogueEngine:
    """Runs turns of conversations over a set of flows with the given settings."""

    def __init__(self, flows: FlowSet, settings: BotSettings) -> None:
        """Keep the flows and settings (both immutable)."""
        self.flows = flows
        self.settings = settings

    def turn(
        self,
        conversation: Conversation,
        text: str,
        ports: BotPorts,
        *,
        now: datetime,
        message_id: str | None = None,
        locale: str | None = None,
    ) -> Turn:
        """Answer one customer message; ``locale`` is the ticket's or customer's, if known."""
        if not isinstance(text, str):
            raise InvalidInput(f"text must be a string, got {type(text).__name__}")
        ensure_aware(now, "now")
        run = _Run(self, conversation, ports, now, message_id)
        if conversation.stage is Stage.HANDED_OFF:
            return run.result()
        run.begin(text, locale)
        run.dispatch(text)
        return run.result()


class _Run:
    """The mutable working state of one turn."""

    def __init__(
        self,
        engine: DialogueEngine,
        conv: Conversation,
        ports: BotPorts,
        now: datetime,
        message_id: str | None,
    ) -> None:
        self.flows = engine.flows
        self.s = engine.settings
        self.ports = ports
        self.now = now
        self.message_id = message_id
        self.state: dict[str, Any] = {
            f.name: getattr(conv, f.name) for f in attrs.fields(Conversation)
        }
        self.state["slots"] = dict(conv.slots)
        self.replies: list[str] = []
        self.events: list[BotEvent] = []
        self.votes: list[tuple[str, bool]] = []
        self.resolved = False
        self.handoff: str | None = None
        self.after_resolution = False

    # -- helpers ---------------------------------------------------------------------------

    @property
    def locale(self) -> str:
        return str(self.state["locale"] or self.s.default_locale)

    def say(self, text: str) -> None:
        if text and text.strip():
            self.replies.append(text.strip())

    def msg(self, key: str, **values: Any) -> str:
        return self.s.text(key, self.locale, **values)

    def event(self, kind: str, **data: Any) -> None:
        self.events.append(BotEvent(kind, data))

    def flow(self) -> Flow:
        name = self.state["flow"]
        assert name is not None
        return self.flows.get(name)

    def result(self) -> Turn:
        conv = Conversation(**{**self.state, "updated_at": self.now})
        return Turn(
            conversation=conv,
            replies=self.replies,
            events=self.events,
            votes=self.votes,
            resolved=self.resolved,
            handoff=self.handoff,
        )

    def clear_flow(self) -> None:
        self.state.update(flow=None, slots={}, pending_slot=None, retries=0, action_retries=0)

    # -- the turn --------------------------------------------------------------------------

    def begin(self, text: str, locale: str | None) -> None:
        st = self.state
        if st["version"] == 0 and st["total_turns"] == 0:
            st["started_at"] = self.now
            self.event(_STARTED)
        start = st["locale"] or language_of(locale) or self.s.default_locale
        st["locale"] = detect_locale(text, start, self.s.default_locale)
        if st["stage"] is Stage.ENDED:
            self.after_resolution = True
            self.clear_flow()
            st.update(
                stage=Stage.IDLE,
                intent=None,  # a new question: its topic is recorded again
                confidence=0.0,
                turns=0,
                misunderstood=0,
                question=None,
                offers=0,
                feedback_article=None,
            )
        st["turns"] += 1
        st["total_turns"] += 1

    def dispatch(self, text: str) -> None:
        st, s = self.state, self.s
        if s.handoff_phrases.matches(text):
            return self.hand_off("requested")
        if s.negative_phrases.matches(text):
            return self.hand_off("negative")
        if st["turns"] > s.max_turns:
            return self.hand_off("max_turns")
        stage = st["stage"]
        if stage in (Stage.COLLECTING, Stage.CONFIRMING) and s.cancel_phrases.matches(text):
            return self.cancel()
        if stage is Stage.COLLECTING:
            return self.answer_slot(text)
        if stage is Stage.CONFIRMING:
            return self.answer_confirm(text)
        if stage is Stage.FEEDBACK:
            return self.answer_feedback(text)
        return self.request(text)

    def request(self, text: str, prediction: Prediction | None = None) -> None:
        """A new request: classify it and act on its intent."""
        p = prediction or self.ports.classify(text)
        intent = p.intent
        s = self.s
        if intent is not None and intent in s.handoff_intents:
            self.set_topic(intent, p.confidence)
            return self.hand_off(s.handoff_intents[intent])
        if intent is not None and intent in s.smalltalk:
            self.state["misunderstood"] = 0
            self.say(self.msg(s.smalltalk[intent]))
            if intent in s.closing_intents and self.after_resolution:
                self.resolve("closing")
            return None
        flow = self.flows.for_intent(intent)
        if intent is not None and flow is not None:
            self.set_topic(intent, p.confidence)
            return self.start_flow(flow, text)
        if intent is not None:
            self.set_topic(intent, p.confidence)
            if not self.answer_from_kb(text, intent):
                return self.hand_off("no_answer")
            return None
        if self.answer_from_kb(text, None):
            return None
        return self.not_understood()

    def set_topic(self, intent: str, confidence: float) -> None:
        st = self.state
        if st["predicted_intent"] is None:
            st["predicted_intent"] = intent
            st["topic_message_id"] = self.message_id
        if st["intent"] != intent:
            self.event(
                _INTENT,
                intent=intent,
                confidence=round(float(confidence), 4),
                message_id=self.message_id,
            )
        st["intent"] = intent
        st["confidence"] = float(confidence)

    def not_understood(self) -> None:
        st = self.state
        st["misunderstood"] += 1
        if st["misunderstood"] >= self.s.max_misunderstood:
            return self.hand_off("misunderstood")
        self.say(self.msg("misunderstood"))
        return None

    # -- flows -----------------------------------------------------------------------------

    def start_flow(self, flow: Flow, text: str) -> None:
        st = self.state
        self.clear_flow()
        st.update(stage=Stage.COLLECTING, flow=flow.name, misunderstood=0)
        slots: dict[str, str] = st["slots"]
        for spec in flow.slots:
            if spec.from_customer:
                known = self.ports.customer_handle(spec.from_customer)
                value = parse_value(spec, known) if known else None
                if value:
                    slots[spec.name] = value
            found = extract_value(spec, text)
            if found:
                slots[spec.name] = found
        self.advance()

    def advance(self) -> None:
        st = self.state
        flow = self.flow()
        for spec in flow.slots:
            if spec.name not in st["slots"]:
                st.update(stage=Stage.COLLECTING, pending_slot=spec.name)
                self.say(spec.question(self.locale, self.s.default_locale))
                return
        st["pending_slot"] = None
        if flow.confirm:
            st["stage"] = Stage.CONFIRMING
            self.say(flow.confirmation(st["slots"], self.locale, self.s.default_locale))
            return
        self.run_action()

    def invalid_text(self, spec: SlotSpec) -> str:
        if spec.invalid:
            return pick_text(spec.invalid, self.locale, self.s.default_locale)
        key = f"invalid_{spec.type.value}"
        return self.msg(key if key in self.s.messages else "invalid")

    def extract_others(self, text: str, skip: str | None) -> dict[str, str]:
        """Values for the flow's other slots found in ``text`` that differ from the current."""
        found = {}
        for spec in self.flow().slots:
            if spec.name == skip:
                continue
            value = extract_value(spec, text)
            if value and self.state["slots"].get(spec.name) != value:
                found[spec.name] = value
        return found

    def switched(self, text: str) -> Prediction | None:
        """The prediction when ``text`` clearly asks about another intent (a new subject)."""
        p = self.ports.classify(text)
        current = self.state["intent"]
        if (
            p.intent is not None
            and p.intent != current
            and p.intent not in self.s.smalltalk
            and p.confidence >= self.s.switch_confidence
        ):
            return p
        return None

    def abandon(self, why: str) -> None:
        flow = self.state["flow"]
        self.event(_CANCELLED, flow=flow, why=why)
        self.clear_flow()
        self.state["stage"] = Stage.IDLE

    def failed_answer(self) -> bool:
        """Count a failed answer; True (and hand-off) when the flow's retries are used up."""
        st = self.state
        st["retries"] += 1
        if st["retries"] > self.flow().max_retries:
            self.hand_off("slot_retries")
            return True
        return False

    def answer_slot(self, text: str) -> None:
        st = self.state
        flow = self.flow()
        spec = flow.slot(st["pending_slot"])
        value = parse_value(spec, text)
        others = self.extract_others(text, spec.name)
        for name, other in others.items():
            if name not in st["slots"]:
                st["slots"][name] = other
        if value is not None:
            st["slots"][spec.name] = value
            st.update(retries=0, misunderstood=0)
            return self.advance()
        switch = self.switched(text)
        if switch is not None:
            self.abandon("new subject")
            return self.request(text, switch)
        if self.failed_answer():
            return None
        self.say(self.invalid_text(spec))
        self.say(spec.question(self.locale, self.s.default_locale))
        return None

    def answer_confirm(self, text: str) -> None:
        st = self.state
        flow = self.flow()
        answer = yes_or_no(text)
        changed = self.extract_others(text, None)
        if answer is True and not changed:
            return self.run_action()
        if changed:
            st["slots"].update(changed)
            if self.failed_answer():
                return None
            self.say(flow.confirmation(st["slots"], self.locale, self.s.default_locale))
            return None
        if answer is False:
            if self.failed_answer():
                return None
            st["slots"] = {}
            self.say(self.msg("try_again"))
            return self.advance()
        switch = self.switched(text)
        if switch is not None:
            self.abandon("new subject")
            return self.request(text, switch)
        if self.failed_answer():
            return None
        self.say(self.msg("yes_or_no"))
        self.say(flow.confirmation(st["slots"], self.locale, self.s.default_locale))
        return None

    def run_action(self) -> None:
        st = self.state
        flow = self.flow()
        outcome = self.ports.run_action(flow.action, dict(st["slots"]))
        data: dict[str, Any] = {"flow": flow.name, "action": flow.action, "ok": outcome.ok}
        if outcome.error:
            data["error"] = outcome.error
        self.event(_ACTION, **data)
        if outcome.ok:
            self.say(outcome.text)
            self.say(self.msg("anything_else"))
            return self.resolve("action")
        if outcome.error is not None:
            self.say(self.msg("action_error"))
            return self.hand_off("action_failed")
        if outcome.retry is not None and outcome.retry in flow.slot_names:
            st["action_retries"] += 1
            if st["action_retries"] > flow.max_retries:
                self.say(outcome.text)
                return self.hand_off("action_failed")
            st["slots"].pop(outcome.retry, None)
            self.say(outcome.text)
            return self.advance()
        self.say(outcome.text)
        return self.hand_off("action_failed")

    def cancel(self) -> None:
        self.abandon("cancelled")
        self.say(self.msg("cancelled"))

    # -- knowledge base --------------------------------------------------------------------

    def tried(self) -> set[str]:
        return {a.article_id for a in self.state["articles"]}

    def answer_from_kb(self, text: str, intent: str | None) -> bool:
        found: ArticleAnswer | None = None
        key = self.s.articles.get(intent) if intent is not None else None
        if key is not None:
            article = self.ports.article_for(key, self.locale)
            if article is not None and article.article_id not in self.tried():
                found = article
        if found is None:
            hits = self.ports.find_articles(text, self.locale, exclude=self.tried(), limit=1)
            found = hits[0] if hits else None
        if found is None:
            return False
        self.state.update(question=text, offers=0)
        self.offer(found, intent)
        return True

    def offer(self, article: ArticleAnswer, intent: str | None) -> None:
        st = self.state
        st.update(
            stage=Stage.FEEDBACK,
            feedback_article=article.article_id,
            offers=st["offers"] + 1,
            misunderstood=0,
        )
        st["articles"] = (
            *st["articles"],
            ArticleTry(article.article_id, article.key, article.title),
        )
        parts = [article.title]
        if article.summary:
            parts.append(article.summary)
        if article.url:
            parts.append(self.msg("read_more", url=article.url))
        self.say("\n".join(parts))
        self.say(self.msg("ask_feedback"))
        self.event(_ANSWERED, article_id=article.article_id, key=article.key, intent=intent)

    def mark(self, article_id: str, helpful: bool) -> None:
        self.state["articles"] = tuple(
            attrs.evolve(a, helpful=helpful) if a.article_id == article_id else a
            for a in self.state["articles"]
        )
        self.votes.append((article_id, helpful))

    def answer_feedback(self, text: str) -> None:
        st = self.state
        article_id = st["feedback_article"]
        answer = yes_or_no(text)
        prediction: Prediction | None = None
        if answer is None:
            prediction = self.ports.classify(text)
            if prediction.intent is not None and prediction.intent in self.s.closing_intents:
                answer = True
        if answer is None:
            st.update(stage=Stage.IDLE, feedback_article=None)
            return self.request(text, prediction)
        self.mark(article_id, answer)
        st["feedback_article"] = None
        if answer:
            self.say(self.msg("feedback_thanks"))
            self.say(self.msg("anything_else"))
            return self.resolve("article")
        st["stage"] = Stage.IDLE
        if st["offers"] >= self.s.kb_max_articles or not st["question"]:
            return self.hand_off("no_answer")
        hits = self.ports.find_articles(st["question"], self.locale, exclude=self.tried(), limit=1)
        if not hits:
            return self.hand_off("no_answer")
        self.offer(hits[0], st["intent"])
        return None

    # -- endings ---------------------------------------------------------------------------

    def resolve(self, via: str) -> None:
        st = self.state
        slots = ", ".join(f"{k} = {v}" for k, v in st["slots"].items())
        summary = f"{st['intent'] or '-'} ({via}{'; ' + slots if slots else ''})"
        st["resolved"] = (*st["resolved"], summary)
        self.clear_flow()
        st.update(
            stage=Stage.ENDED,
            resolutions=st["resolutions"] + 1,
            feedback_article=None,
            misunderstood=0,
        )
        self.resolved = True
        self.event(_ENDED, intent=st["intent"], via=via, outcome="resolved")

    def hand_off(self, reason: str) -> None:
        self.state.update(stage=Stage.HANDED_OFF, handoff_reason=reason, pending_slot=None)
        self.handoff = reason


# ----------------------------------------------------------------------------- hand-off


def handoff_data(conv: Conversation, reason: str) -> dict[str, Any]:
    """The data of the ``bot.handoff`` event: reason, intent, slots, articles tried, turns."""
    return {
        "reason": reason,
        "intent": conv.intent,
        "confidence": round(conv.confidence, 4),
        "flow": conv.flow,
        "slots": dict(conv.slots),
        "articles": [
            {"id": a.article_id, "key": a.key, "title": a.title, "helpful": a.helpful}
            for a in conv.articles
        ],
        "turns": conv.total_turns,
    }


_NOTE = {
    "en": {
        "title": "Bot hand-off",
        "reason": "Reason",
        "intent": "Intent",
        "none": "(not recognised)",
        "flow": "Flow",
        "slots": "Collected",
        "articles": "Articles tried",
        "resolved": "Resolved by the bot before",
        "nothing": "none",
        "helpful": "helpful",
        "not_helpful": "not helpful",
        "no_feedback": "no feedback",
        "turns": "Customer messages to the bot",
        "locale": "Customer's language",
        "where": "Place",
    },
    "zh": {
        "title": "机器人转人工",
        "reason": "原因",
        "intent": "意图",
        "none": "（未识别）",
        "flow": "流程",
        "slots": "已收集",
        "articles": "已推荐文章",
        "resolved": "机器人此前已解决",
        "nothing": "无",
        "helpful": "有帮助",
        "not_helpful": "没帮助",
        "no_feedback": "未反馈",
        "turns": "客户发给机器人的消息数",
        "locale": "客户语言",
        "where": "状态",
    },
}

_REASONS_ZH = {
    "requested": "客户要求转人工",
    "negative": "客户情绪不满",
    "complaint": "客户投诉",
    "intent": "该意图由人工处理",
    "misunderstood": "机器人连续多次没有理解客户",
    "max_turns": "对话轮数过多",
    "slot_retries": "客户多次回答不符合要求",
    "action_failed": "机器人操作失败",
    "no_answer": "机器人没有答案",
    "agent_took_over": "客服接管了对话",
    "bot_error": "机器人出错",
    "manual": "由系统转人工",
}


def handoff_note(
    conv: Conversation, reason: str, *, locale: str = "en", where: str | None = None
) -> str:
    """The internal note that tells the agent what happened with the bot before the hand-off."""
    lang = "zh" if language_of(locale) == "zh" else "en"
    words = _NOTE[lang]
    why = (_REASONS_ZH if lang == "zh" else HANDOFF_REASONS).get(reason, reason)
    lines = [f"{words['title']} — {words['reason']}: {reason} ({why})"]
    intent = conv.intent or words["none"]
    if conv.intent:
        intent += f" ({conv.confidence:.2f})"
    lines.append(f"{words['intent']}: {intent}")
    if conv.flow:
        lines.append(f"{words['flow']}: {conv.flow}")
    if conv.slots:
        lines.append(f"{words['slots']}: " + ", ".join(f"{k} = {v}" for k, v in conv.slots.items()))
    if conv.articles:
        marks = {True: words["helpful"], False: words["not_helpful"], None: words["no_feedback"]}
        lines.append(
            f"{words['articles']}: "
            + "; ".join(f"{a.title} [{marks[a.helpful]}]" for a in conv.articles)
        )
    else:
        lines.append(f"{words['articles']}: {words['nothing']}")
    if conv.resolved:
        lines.append(f"{words['resolved']}: " + "; ".join(conv.resolved))
    lines.append(f"{words['turns']}: {conv.total_turns}")
    if conv.locale:
        lines.append(f"{words['locale']}: {conv.locale}")
    if where:
        lines.append(f"{words['where']}: {where}")
    return "\n".join(lines)
