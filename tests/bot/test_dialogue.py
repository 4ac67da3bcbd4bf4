"""The dialogue engine on its own (fake ports): every flow path, hand-off trigger and answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest

from helpdesk_kit.bot import (
    ActionOutcome,
    ArticleAnswer,
    BotSettings,
    Conversation,
    DialogueEngine,
    Prediction,
    Stage,
    load_flows,
    starter_flows,
)
from helpdesk_kit.bot.dialogue import handoff_data, handoff_note
from helpdesk_kit.errors import InvalidInput

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

RETURN = load_flows(
    """
[return_request]
intent = "return_refund"
action = "start_return"
max_retries = 1
confirm.en = "Return order {order_number} ({reason}), we call {phone}. OK?"
confirm.zh = "退回订单 {order_number}（{reason}），联系电话 {phone}，确认吗？"

[[return_request.slots]]
name = "order_number"
type = "order_number"
ask = { en = "Which order?", zh = "哪个订单？" }

[[return_request.slots]]
name = "reason"
type = "choice"
ask = { en = "Why? {choices}", zh = "原因？{choices}" }
choices = [
  { value = "damaged", labels = { en = "Damaged", zh = "损坏" }, synonyms = ["broken"] },
  { value = "wrong_item", labels = { en = "Wrong item", zh = "发错货" } },
]

[[return_request.slots]]
name = "phone"
type = "phone"
ask = { en = "A phone number for the courier?", zh = "快递员联系您的电话？" }
invalid = { en = "Please give a mobile number.", zh = "请提供手机号。" }
"""
)
FLOWS = starter_flows().merged(RETURN)

INTENTS = {
    "return": ("return_refund", 0.9),
    "order": ("order_status", 0.97),
    "订单": ("order_status", 0.97),
    "password": ("password_reset", 0.95),
    "密码": ("password_reset", 0.95),
    "deliver": ("delivery_time", 0.93),
    "coupon": ("coupon", 0.92),
    "hello": ("greeting", 0.99),
    "thanks": ("thanks", 0.99),
    "grievance": ("complaint", 0.9),
    "sofa": ("product_question", 0.85),
    "maybe invoice": ("invoice", 0.5),  # recognised, but not confident enough to switch
}

DELIVERY = ArticleAnswer("a-del", "delivery-time", "How long does delivery take?", "1-3 days.")
SHIPPING = ArticleAnswer(
    "a-fee", "shipping-fees", "Shipping fees", "Free above 99.", "https://h/fee"
)
MOON = ArticleAnswer("a-moon", "moon", "Do you ship to the moon?", "Not yet.")


class Ports:
    """Fake desk: keyword intents, a tiny knowledge base, scripted actions."""

    def __init__(self, action=None, handles=None):
        self.action = action or (lambda name, slots: ActionOutcome(True, f"{name} done"))
        self.handles = handles or {}
        self.actions: list[tuple[str, dict[str, str]]] = []
        self.searches: list[tuple[str, frozenset[str]]] = []

    def classify(self, text):
        low = text.lower()
        for word, (intent, confidence) in INTENTS.items():
            if word in low:
                return Prediction(intent, confidence, [(intent, confidence)])
        return Prediction(None, 0.05, [("order_status", 0.05)])

    def find_articles(self, text, locale, *, exclude, limit):
        self.searches.append((text, frozenset(exclude)))
        low = text.lower()
        found = []
        if "deliver" in low or "ship" in low:
            found += [DELIVERY, SHIPPING]
        if "moon" in low:
            found.append(MOON)
        return [a for a in found if a.article_id not in exclude][:limit]

    def article_for(self, key, locale):
        return {"delivery-time": DELIVERY}.get(key)

    def run_action(self, name, slots):
        self.actions.append((name, dict(slots)))
        return self.action(name, slots)

    def customer_handle(self, kind):
        return self.handles.get(kind)


class Chat:
    """Drives one conversation through the engine, like the desk does."""

    def __init__(self, ports=None, settings=None, flows=FLOWS, locale=None):
        self.engine = DialogueEngine(flows, settings or BotSettings())
        self.ports = ports or Ports()
        self.conv = Conversation("T1")
        self.now = T0
        self.turns = []
        self.locale = locale

    def say(self, text):
        turn = self.engine.turn(
            self.conv,
            text,
            self.ports,
            now=self.now,
            message_id=f"m{len(self.turns)}",
            locale=self.locale,
        )
        self.conv = attrs.evolve(turn.conversation, version=self.conv.version + 1)
        self.now += timedelta(seconds=20)
        self.turns.append(turn)
        return turn

    @property
    def kinds(self):
        return [e.kind for t in self.turns for e in t.events]


def text(turn):
    return "\n".join(turn.replies)


# ----------------------------------------------------------------------------- flows


def test_order_status_happy_path_with_the_number_in_the_first_message():
    chat = Chat()
    turn = chat.say("where is my order SO20240611?")
    assert chat.ports.actions == [("order_status", {"order_number": "SO20240611"})]
    assert turn.resolved
    assert turn.handoff is None
    assert turn.replies == ["order_status done", "Is there anything else I can help with?"]
    assert chat.conv.stage is Stage.ENDED
    assert chat.conv.resolutions == 1
    assert chat.kinds == ["bot.started", "bot.intent", "bot.action", "bot.ended"]
    ended = turn.events[-1]
    assert ended.data == {"intent": "order_status", "via": "action", "outcome": "resolved"}
    assert chat.conv.predicted_intent == "order_status"
    assert chat.conv.topic_message_id == "m0"


def test_order_status_asks_for_the_number_in_chinese():
    chat = Chat()
    first = chat.say("我的订单到哪了")
    assert chat.conv.locale == "zh"
    assert chat.conv.stage is Stage.COLLECTING
    assert text(first).startswith("好的，我来帮您查询。请提供您的订单号")
    second = chat.say("订单号是 2024061100123")
    assert second.resolved
    assert chat.ports.actions[-1] == ("order_status", {"order_number": "2024061100123"})
    assert second.replies[-1] == "还有其他可以帮您的吗？"


def test_slot_errors_reask_then_hand_off_after_the_retries():
    chat = Chat()
    chat.say("where is my order")
    bad = chat.say("I don't know, last Tuesday")
    assert bad.handoff is None
    assert chat.conv.retries == 1
    assert bad.replies[0].startswith("That doesn't look like an order number")
    assert bad.replies[1].startswith("Sure, I can check that")
    chat.say("it was blue")
    assert chat.conv.retries == 2
    assert chat.conv.stage is Stage.COLLECTING
    last = chat.say("no idea sorry")
    assert last.handoff == "slot_retries"
    assert last.replies == []
    assert chat.conv.stage is Stage.HANDED_OFF
    assert chat.conv.handoff_reason == "slot_retries"
    assert chat.ports.actions == []
    silent = chat.say("hello?")  # a person has it now
    assert silent.replies == []
    assert silent.events == []


def test_a_good_answer_resets_the_retries():
    chat = Chat()
    chat.say("I want to return something")
    chat.say("dunno")
    assert chat.conv.retries == 1
    chat.say("SO12345678")
    assert chat.conv.retries == 0
    assert chat.conv.pending_slot == "reason"


def test_flow_with_choice_phone_and_confirmation_in_chinese():
    chat = Chat()
    chat.say("I want to return order SO12345678")
    ask_reason = chat.turns[-1]
    assert text(ask_reason) == "Why? 1. Damaged  2. Wrong item"
    ask_phone = chat.say("it arrived broken")
    assert chat.conv.slots == {"order_number": "SO12345678", "reason": "damaged"}
    assert text(ask_phone) == "A phone number for the courier?"
    bad = chat.say("call me")
    assert bad.replies[0] == "Please give a mobile number."  # the flow's own wording
    confirm = chat.say("13800138000")
    assert chat.conv.stage is Stage.CONFIRMING
    assert text(confirm) == "Return order SO12345678 (damaged), we call 13800138000. OK?"
    done = chat.say("yes")
    assert done.resolved
    assert chat.ports.actions == [
        (
            "start_return",
            {"order_number": "SO12345678", "reason": "damaged", "phone": "13800138000"},
        )
    ]


def test_confirmation_no_starts_over_and_a_correction_reconfirms():
    chat = Chat(ports=Ports(handles={"email": "old@shop.cn"}))
    asked = chat.say("I forgot my password")
    # the account slot is prefilled from the customer's e-mail, so it goes to the confirmation
    assert chat.conv.stage is Stage.CONFIRMING
    assert chat.conv.slots == {"account": "old@shop.cn"}
    assert "old@shop.cn" in text(asked)
    corrected = chat.say("no, it's new@shop.cn")
    assert chat.conv.slots == {"account": "new@shop.cn"}
    assert chat.conv.stage is Stage.CONFIRMING
    assert "new@shop.cn" in text(corrected)
    again = chat.say("no")
    assert chat.conv.stage is Stage.COLLECTING
    assert chat.conv.slots == {}
    assert again.replies[0] == "OK, let's correct that."
    assert again.replies[1].startswith("I can send you a link to reset your password")
    chat.say("13800138000")  # a good answer: the count starts again
    huh = chat.say("what?")
    assert huh.replies[0] == "Please answer yes or no."
    assert chat.say("hmm").handoff is None
    # the third failed answer in a row, with max_retries 2: the bot gives up
    assert chat.say("eh").handoff == "slot_retries"
    assert chat.ports.actions == []


def test_cancel_stops_the_flow_but_only_while_it_asks():
    chat = Chat()
    chat.say("where is my order")
    cancelled = chat.say("取消")
    assert cancelled.replies == ["好的，已为您取消。还有其他可以帮您的吗？"]
    assert chat.conv.stage is Stage.IDLE
    assert chat.conv.flow is None
    assert chat.kinds[-1] == "bot.cancelled"
    assert chat.turns[-1].events[-1].data == {"flow": "order_status", "why": "cancelled"}
    # outside a flow "cancel" is just a message (the classifier decides: not understood here)
    idle = chat.say("cancel")
    assert idle.replies[0].startswith("抱歉") or idle.replies[0].startswith("Sorry")


def test_a_new_subject_while_a_flow_asks_switches_flows():
    chat = Chat()
    chat.say("where is my order")
    switched = chat.say("actually I forgot my password")
    assert chat.conv.flow == "password_reset"
    assert chat.conv.intent == "password_reset"
    assert "bot.cancelled" in [e.kind for e in switched.events]
    assert switched.replies[0].startswith("I can send you a link")
    # a weak prediction is not a new subject: it is a bad answer
    chat.say("maybe invoice")
    assert chat.conv.flow == "password_reset"
    assert chat.conv.retries == 1


# ----------------------------------------------------------------------------- actions


def test_action_failure_from_the_host_hands_off():
    ports = Ports(action=lambda name, slots: ActionOutcome(False, "Our order system is down."))
    chat = Chat(ports)
    turn = chat.say("order SO12345678 status")
    assert turn.handoff == "action_failed"
    assert turn.replies == ["Our order system is down."]
    action = next(e for e in turn.events if e.kind == "bot.action")
    assert action.data == {"flow": "order_status", "action": "order_status", "ok": False}


def test_action_error_says_sorry_and_hands_off():
    ports = Ports(action=lambda name, slots: ActionOutcome(False, error="TimeoutError: slow"))
    turn = Chat(ports).say("order SO12345678 status")
    assert turn.handoff == "action_failed"
    assert turn.replies == ["Sorry, something went wrong on our side."]
    assert (
        next(e for e in turn.events if e.kind == "bot.action")
        .data["error"]
        .startswith("TimeoutError")
    )


def test_action_asking_for_a_slot_again():
    results = iter(
        [
            ActionOutcome(False, "No order SO12345678 on your account.", retry="order_number"),
            ActionOutcome(True, "Order SO87654321 is on its way."),
        ]
    )
    chat = Chat(Ports(action=lambda name, slots: next(results)))
    retry = chat.say("order SO12345678?")
    assert retry.handoff is None
    assert chat.conv.stage is Stage.COLLECTING
    assert retry.replies[0] == "No order SO12345678 on your account."
    assert retry.replies[1].startswith("Sure, I can check that")
    assert chat.say("SO87654321").resolved


def test_action_retries_are_limited():
    ports = Ports(
        action=lambda name, slots: ActionOutcome(False, "Not found.", retry="order_number")
    )
    chat = Chat(ports, settings=BotSettings())
    chat.say("order SO12345678")
    chat.say("SO12345679")
    last = chat.say("SO12345670")
    assert last.handoff == "action_failed"
    assert last.replies == ["Not found."]
    assert len(ports.actions) == 3


# ----------------------------------------------------------------------------- hand-off


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("转人工", "requested"),
        ("can I talk to a human", "requested"),
        ("this is ridiculous", "negative"),
        ("你们太差劲了", "negative"),
        ("I have a grievance about the courier", "complaint"),
    ],
)
def test_hand_off_triggers_at_the_start(message, reason):
    chat = Chat()
    turn = chat.say(message)
    assert turn.handoff == reason
    assert turn.replies == []


def test_hand_off_request_in_the_middle_of_a_flow_keeps_what_was_collected():
    chat = Chat()
    chat.say("I want to return order SO12345678")
    turn = chat.say("just give me an agent")
    assert turn.handoff == "requested"
    data = handoff_data(chat.conv, "requested")
    assert data["intent"] == "return_refund"
    assert data["flow"] == "return_request"
    assert data["slots"] == {"order_number": "SO12345678"}
    assert data["turns"] == 2
    assert data["articles"] == []


def test_misunderstood_twice_in_a_row_hands_off():
    chat = Chat()
    first = chat.say("blorp")
    assert first.replies[0].startswith("Sorry, I didn't understand")
    assert chat.conv.misunderstood == 1
    chat.say("hello")  # understood: the count starts again
    assert chat.conv.misunderstood == 0
    chat.say("zzz")
    assert chat.say("qqq").handoff == "misunderstood"


def test_too_many_turns_hand_off():
    chat = Chat(settings=BotSettings(max_turns=3))
    for _ in range(3):
        assert chat.say("hello").handoff is None
    assert chat.say("hello").handoff == "max_turns"


def test_turns_count_again_after_a_resolution():
    chat = Chat(settings=BotSettings(max_turns=2))
    chat.say("hello")
    assert chat.say("order SO12345678").resolved
    assert chat.say("hello").handoff is None  # a new question: the count restarted
    assert chat.conv.total_turns == 3


def test_a_recognised_intent_without_an_answer_hands_off():
    turn = Chat().say("is this sofa waterproof?")
    assert turn.handoff == "no_answer"
    assert turn.events[-1].data["intent"] == "product_question"


# ----------------------------------------------------------------------------- knowledge base


def test_intent_answered_by_its_article_then_helpful():
    chat = Chat()
    answer = chat.say("when will it be delivered")
    assert chat.conv.stage is Stage.FEEDBACK
    assert chat.conv.feedback_article == "a-del"
    assert answer.replies == [
        "How long does delivery take?\n1-3 days.",
        "Did this answer your question? (yes/no)",
    ]
    assert [e.kind for e in answer.events] == ["bot.started", "bot.intent", "bot.answered"]
    done = chat.say("yes, thanks")
    assert done.votes == [("a-del", True)]
    assert done.resolved
    assert done.events[-1].data["via"] == "article"
    assert chat.conv.articles[0].helpful is True


def test_not_helpful_offers_the_next_article_then_hands_off():
    chat = Chat()
    chat.say("when will it be delivered")
    second = chat.say("no")
    assert second.votes == [("a-del", False)]
    assert second.replies[0] == "Shipping fees\nFree above 99.\nRead more: https://h/fee"
    assert chat.ports.searches[-1][1] == {"a-del"}
    last = chat.say("不是")
    assert last.votes == [("a-fee", False)]
    assert last.handoff == "no_answer"
    note = handoff_note(chat.conv, "no_answer")
    assert "How long does delivery take? [not helpful]" in note
    assert "Shipping fees [not helpful]" in note


def test_out_of_scope_question_answered_by_the_knowledge_base():
    chat = Chat()
    turn = chat.say("do you ship to the moon?")
    assert chat.conv.feedback_article == "a-del"  # the best hit for "ship"
    assert chat.conv.intent is None
    assert "bot.intent" not in [e.kind for e in turn.events]
    thanks = chat.say("thanks")  # a closing word counts as "it helped"
    assert thanks.votes == [("a-del", True)]
    assert thanks.resolved


def test_other_text_after_an_article_is_a_new_request_without_a_vote():
    chat = Chat()
    chat.say("when will it be delivered")
    turn = chat.say("where is my order SO12345678")
    assert turn.votes == []
    assert turn.resolved
    assert chat.conv.articles[0].helpful is None


def test_thanks_after_a_resolution_closes_again():
    chat = Chat()
    chat.say("order SO12345678")
    turn = chat.say("thanks")
    assert turn.resolved
    assert turn.events[-1].data["via"] == "closing"
    assert turn.replies == ["You're welcome! Is there anything else I can do for you?"]
    hello = Chat().say("thanks")  # without a resolution it is only small talk
    assert not hello.resolved


# ----------------------------------------------------------------------------- state


def test_conversation_round_trips_through_its_dict():
    chat = Chat()
    chat.say("when will it be delivered")
    chat.say("no")
    data = chat.conv.to_dict()
    assert "version" not in data
    again = Conversation.from_dict(data, version=7)
    assert again == attrs.evolve(chat.conv, version=7)
    with pytest.raises(InvalidInput):
        Conversation.from_dict({"stage": "idle"})
    with pytest.raises(InvalidInput):
        Conversation.from_dict({"ticket_id": "T", "stage": "dreaming"})


def test_engine_checks_its_input():
    chat = Chat()
    with pytest.raises(InvalidInput):
        chat.engine.turn(chat.conv, 42, chat.ports, now=T0)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        chat.engine.turn(chat.conv, "hi", chat.ports, now=datetime(2026, 1, 1))


def test_the_customer_language_comes_from_the_ticket_until_they_write_words():
    chat = Chat(locale="zh-CN")
    turn = chat.say("SO12345678")  # no words: the ticket's language
    assert chat.conv.locale == "zh"
    assert turn.replies[0].startswith("抱歉") or chat.conv.stage is not Stage.IDLE


def test_handoff_note_in_chinese():
    chat = Chat()
    chat.say("我的订单到哪了")
    chat.say("转人工")
    note = handoff_note(chat.conv, "requested", locale="zh", where="排队")
    assert note.splitlines()[0] == "机器人转人工 — 原因: requested (客户要求转人工)"
    assert "意图: order_status (0.97)" in note
    assert "状态: 排队" in note
