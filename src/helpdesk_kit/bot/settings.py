"""What a bot says and when it gives up: its settings and default messages (zh and en)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import attrs

from helpdesk_kit.bot.phrases import CANCEL, HANDOFF, NEGATIVE, PhraseSet, fill, pick_text
from helpdesk_kit.errors import InvalidInput

__all__ = [
    "HANDOFF_REASONS",
    "MESSAGES",
    "STARTER_ARTICLES",
    "BotSettings",
]

#: Why a conversation went to a person (the ``reason`` of a ``bot.handoff`` event).
HANDOFF_REASONS: dict[str, str] = {
    "requested": "the customer asked for a person",
    "negative": "the customer was angry or upset",
    "complaint": "the customer has a complaint",
    "intent": "the intent is handled by people",
    "misunderstood": "the bot did not understand the customer several times in a row",
    "max_turns": "the conversation took too many turns",
    "slot_retries": "the customer's answers did not fit the question too often",
    "action_failed": "the bot action failed",
    "no_answer": "the bot had no answer",
    "agent_took_over": "an agent took the conversation over",
    "bot_error": "the bot failed with an error",
    "manual": "handed off by the host application",
}

#: What the bot says, by message key and locale. ``BotSettings.messages`` overrides entries.
MESSAGES: dict[str, dict[str, str]] = {
    "greeting": {
        "en": "Hello! I'm the shop assistant. How can I help you?",
        "zh": "您好！我是智能客服，请问有什么可以帮您？",
    },
    "thanks": {
        "en": "You're welcome! Is there anything else I can do for you?",
        "zh": "不客气！还有其他可以帮您的吗？",
    },
    "misunderstood": {
        "en": "Sorry, I didn't understand that. Could you say it in another way? "
        'You can also type "agent" to talk to a person.',
        "zh": "抱歉，我没有理解您的意思，能换个说法吗？也可以输入“转人工”联系人工客服。",
    },
    "cancelled": {
        "en": "OK, I've stopped that. Is there anything else I can help with?",
        "zh": "好的，已为您取消。还有其他可以帮您的吗？",
    },
    "anything_else": {
        "en": "Is there anything else I can help with?",
        "zh": "还有其他可以帮您的吗？",
    },
    "ask_feedback": {
        "en": "Did this answer your question? (yes/no)",
        "zh": "这个回答解决您的问题了吗？（是/否）",
    },
    "feedback_thanks": {
        "en": "Great, glad I could help!",
        "zh": "太好了，很高兴能帮到您！",
    },
    "read_more": {"en": "Read more: {url}", "zh": "详情请看：{url}"},
    "try_again": {
        "en": "OK, let's correct that.",
        "zh": "好的，我们重新确认一下。",
    },
    "yes_or_no": {
        "en": "Please answer yes or no.",
        "zh": "请回复“是”或“否”。",
    },
    "action_error": {
        "en": "Sorry, something went wrong on our side.",
        "zh": "抱歉，系统暂时出了点问题。",
    },
    "invalid": {
        "en": "Sorry, that doesn't look right.",
        "zh": "抱歉，格式好像不太对。",
    },
    "invalid_order_number": {
        "en": "That doesn't look like an order number.",
        "zh": "这看起来不像订单号。",
    },
    "invalid_phone": {
        "en": "That doesn't look like a phone number.",
        "zh": "这看起来不像手机号码。",
    },
    "invalid_email": {
        "en": "That doesn't look like an e-mail address.",
        "zh": "这看起来不像邮箱地址。",
    },
    "invalid_contact": {
        "en": "Please give an e-mail address or a phone number.",
        "zh": "请提供邮箱地址或手机号码。",
    },
    "invalid_choice": {
        "en": "Please pick one of the options.",
        "zh": "请从选项中选择一个。",
    },
    "handoff_requested": {
        "en": "Sure, I'll connect you with a colleague.",
        "zh": "好的，正在为您转接人工客服。",
    },
    "handoff_negative": {
        "en": "I'm sorry for the trouble. I'm passing you to a colleague who can help.",
        "zh": "非常抱歉给您带来不便，正在为您转接人工客服。",
    },
    "handoff_other": {
        "en": "Let me pass you to a colleague who can help.",
        "zh": "我为您转接人工客服继续处理。",
    },
    "handoff_assigned": {
        "en": "A colleague will be with you in a moment.",
        "zh": "客服马上为您服务，请稍候。",
    },
    "handoff_queue": {
        "en": "You are number {position} in the queue; a colleague will be with you soon.",
        "zh": "您当前排在第 {position} 位，客服会尽快为您服务，请稍候。",
    },
    "note_assigned": {"en": "assigned to {agent}", "zh": "已分配给 {agent}"},
    "note_queued": {"en": "queued, {ahead} ahead", "zh": "排队中，前面 {ahead} 位"},
    "note_nobody": {"en": "nobody available", "zh": "无人在线"},
    "note_promised": {
        "en": "nobody available: reply promised",
        "zh": "无人在线：已告知客户回复时间",
    },
    "email_ack": {
        "en": "We have received your message and opened ticket {ref}. We will answer you soon.",
        "zh": "我们已收到您的邮件，工单号 {ref}，会尽快回复您。",
    },
    "email_suggestions": {
        "en": "While you wait, these articles may already answer your question:",
        "zh": "在等待回复期间，以下文章也许能解答您的问题：",
    },
    "handoff_offline": {
        "en": "Our agents are not available right now. We have saved your conversation as "
        "ticket {ref} and will reply as soon as we are back.",
        "zh": "当前人工客服不在线，您的问题已记录为工单 {ref}，我们上班后会尽快回复您。",
    },
}

#: Starter intents answered by a starter FAQ (``kb.import_starter()``), by article key.
STARTER_ARTICLES: dict[str, str] = {
    "order_status": "order-status",
    "delivery_time": "delivery-time",
    "change_address": "change-address",
    "cancel_order": "cancel-order",
    "return_refund": "return-policy",
    "refund_status": "refund-time",
    "payment_failed": "payment-failed",
    "invoice": "invoice",
    "coupon": "coupon",
    "password_reset": "reset-password",
    "account_locked": "account-locked",
}


def _phrases(value: Any) -> PhraseSet:
    if isinstance(value, PhraseSet):
        return value
    return PhraseSet.of(value)


def _exact_phrases(value: Any) -> PhraseSet:
    if isinstance(value, PhraseSet):
        return value
    return PhraseSet.of(value, exact=True)


def _positive(_inst: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidInput(f"{attribute.name} must be a whole number >= 1, got {value!r}")


def _messages(value: Mapping[str, Mapping[str, str]] | None) -> dict[str, dict[str, str]]:
    merged = {key: dict(texts) for key, texts in MESSAGES.items()}
    for key, texts in (value or {}).items():
        if isinstance(texts, str):
            texts = {"en": texts}
        if not isinstance(texts, Mapping) or not all(
            isinstance(t, str) and t.strip() for t in texts.values()
        ):
            raise InvalidInput(f"message {key!r} must be {{locale: text}}, got {texts!r}")
        merged.setdefault(key, {}).update(texts)
    return merged


@attrs.frozen
class BotSettings:
    """How the bot behaves: which channels it serves and when it hands off.

    ``channels``: conversations on these channels are the bot's until it hands off.
    ``max_turns``: customer messages per conversation (since its last resolution) before
    it goes to a person. ``max_misunderstood``: misunderstood messages in a row before it
    does. ``handoff_intents``: intents that always go to a person, with the reason recorded.
    ``smalltalk``: intents answered with a fixed message (by message key);
    ``closing_intents``: small talk that closes a resolved conversation again ("thanks")
    and counts as "yes, it helped" after an article.
    ``articles``: intent → knowledge-base article key answering it (for intents without a
    flow; others are answered by searching the knowledge base with the message).
    ``kb_min_score``: a search hit must score this much to be offered as an answer.
    ``kb_max_articles``: articles offered per question before the bot hands off.
    ``switch_confidence``: while a flow asks for something, a message the classifier
    puts in another intent with this confidence changes the subject.
    ``solve_on_end``: the lifecycle transition the bot fires on a conversation it resolved
    once it has been quiet for ``solve_after`` (by the ``bot.solve`` sweeper; a zero
    ``solve_after`` fires it in the same turn). Waiting keeps a customer's "one more
    question" from reopening a solved ticket. None leaves tickets as they are.
    ``article_url``: ``"https://help.example.com/{locale}/{key}"`` makes answers link to
    the help centre. ``note_locale``: language of the summary note for agents.
    ``default_locale``: what the bot speaks before the customer wrote a word it can tell.
    """

    name: str = "bot"
    channels: frozenset[str] = attrs.field(
        default=frozenset({"chat", "wechat"}), converter=frozenset
    )
    default_locale: str = "en"
    max_turns: int = attrs.field(default=12, validator=_positive)
    max_misunderstood: int = attrs.field(default=2, validator=_positive)
    handoff_phrases: PhraseSet = attrs.field(default=HANDOFF, converter=_phrases)
    negative_phrases: PhraseSet = attrs.field(default=NEGATIVE, converter=_phrases)
    cancel_phrases: PhraseSet = attrs.field(default=CANCEL, converter=_exact_phrases)
    handoff_intents: Mapping[str, str] = attrs.field(
        factory=lambda: {"talk_to_human": "requested", "complaint": "complaint"}, hash=False
    )
    smalltalk: Mapping[str, str] = attrs.field(
        factory=lambda: {"greeting": "greeting", "thanks": "thanks"}, hash=False
    )
    closing_intents: frozenset[str] = attrs.field(
        default=frozenset({"thanks"}), converter=frozenset
    )
    articles: Mapping[str, str] = attrs.field(factory=lambda: dict(STARTER_ARTICLES), hash=False)
    kb_min_score: float = 6.0
    kb_max_articles: int = attrs.field(default=2, validator=_positive)
    switch_confidence: float = 0.8
    solve_on_end: str | None = "solve"
    solve_after: timedelta = attrs.field(default=timedelta(minutes=30))
    article_url: str | None = None
    note_locale: str = "en"
    messages: dict[str, dict[str, str]] = attrs.field(factory=dict, converter=_messages, hash=False)

    def __attrs_post_init__(self) -> None:
        problems = []
        if not self.name or not isinstance(self.name, str):
            problems.append("name must be non-empty text")
        if not self.channels:
            problems.append("channels must name at least one channel")
        if not isinstance(self.solve_after, timedelta) or self.solve_after < timedelta(0):
            problems.append(f"solve_after must be a timedelta >= 0, got {self.solve_after!r}")
        if not 0.0 <= self.switch_confidence <= 1.0:
            problems.append(
                f"switch_confidence must be within [0, 1], got {self.switch_confidence}"
            )
        unknown = sorted(r for r in self.handoff_intents.values() if r not in HANDOFF_REASONS)
        if unknown:
            problems.append(
                f"handoff_intents use unknown reason(s) {', '.join(unknown)} "
                f"(known: {', '.join(HANDOFF_REASONS)})"
            )
        missing = sorted(k for k in self.smalltalk.values() if k not in self.messages)
        if missing:
            problems.append(f"smalltalk refers to message(s) without text: {', '.join(missing)}")
        if problems:
            raise InvalidInput("bot settings are not usable:", problems)

    def text(self, key: str, locale: str | None, **values: Any) -> str:
        """The message ``key`` in ``locale`` with ``values`` filled in."""
        texts = self.messages.get(key)
        if not texts:
            raise InvalidInput(f"no bot message {key!r}")
        found = pick_text(texts, locale, self.default_locale)
        return fill(found, values) if values else found
