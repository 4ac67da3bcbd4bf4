"""The bot on a desk: answering, holding, hand-off, takeover, learning, sweeps, configuration."""

from __future__ import annotations

from datetime import timedelta

import pytest

from helpdesk_kit import Helpdesk
from helpdesk_kit.bot import IntentClassifier, Prediction, Stage, examples_from_tsv
from helpdesk_kit.errors import InvalidDefinition, InvalidInput, PermissionDenied
from helpdesk_kit.tickets import events as ev
from helpdesk_kit.tickets.model import AuthorKind, Identity, InboundMessage

from .conftest import chat_message

BACKENDS = ["memory", "sqlite", "postgresql"]


def last_bot_text(desk, ticket):
    public = [m for m in desk.messages(ticket) if m.public and m.author_kind is AuthorKind.BOT]
    return public[-1].text if public else None


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_the_bot_answers_and_holds_the_conversation(helpdesk, bot, host, make_agent):
    make_agent("Ann", status="online")
    r = helpdesk.receive(chat_message("where is my order SO20240611?"))
    ticket = helpdesk.get_ticket(r.ticket)
    assert ticket.assignee_id is None  # held by the bot, not routed
    assert ticket.first_response_at is None  # bot replies are never a first response
    assert helpdesk.bot_holds(ticket)
    assert host.calls == [("order_status", r.customer.id, {"order_number": "SO20240611"})]
    assert last_bot_text(helpdesk, ticket) == (
        "Order SO20240611 shipped yesterday with SF Express (SF1234567890).\n\n"
        "Is there anything else I can help with?"
    )
    kinds = [e.kind for e in helpdesk.events(ticket)]
    assert kinds == [
        "ticket.created",
        "message.received",
        "bot.started",
        "bot.intent",
        "bot.action",
        "bot.ended",
        "reply.sent",
    ]
    started = helpdesk.events(ticket)[2]
    assert started.actor == "bot:bot"
    assert started.data == {"channel": "chat", "locale": "en"}
    conv = bot.conversation(ticket)
    assert conv.stage is Stage.ENDED
    assert conv.version == 1


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_handoff_routes_to_an_online_agent_with_a_summary(helpdesk, bot, make_agent):
    ann = make_agent("Ann", status="online")
    r = helpdesk.receive(chat_message("我想退货"))
    helpdesk.receive(chat_message("我要转人工"))
    ticket = helpdesk.get_ticket(r.ticket)
    assert ticket.assignee_id == ann.id
    trail = helpdesk.events(ticket)
    kinds = [e.kind for e in trail]
    handoff = trail[kinds.index(ev.HANDOFF)]
    assigned = trail[kinds.index(ev.ASSIGNED)]
    assert handoff.seq < assigned.seq  # the SLA clock starts at the hand-off
    assert handoff.data["reason"] == "requested"
    assert handoff.data["intent"] == "return_refund"
    assert handoff.data["articles"][0]["key"] == "return-policy"
    assert assigned.data["reason"] == "routing"
    note = [m for m in helpdesk.messages(ticket) if not m.public]
    assert len(note) == 1
    assert note[0].author_kind is AuthorKind.BOT
    assert "Reason: requested (the customer asked for a person)" in note[0].text
    assert "Intent: return_refund" in note[0].text
    assert "assigned to Ann" in note[0].text
    assert (
        last_bot_text(helpdesk, ticket) == "好的，正在为您转接人工客服。 客服马上为您服务，请稍候。"
    )
    assert not helpdesk.bot_holds(ticket)
    before = len(helpdesk.messages(ticket))
    helpdesk.receive(chat_message("你好？"))
    assert len(helpdesk.messages(ticket)) == before + 1  # the bot stays silent now


def test_handoff_tells_the_place_in_the_queue(helpdesk, bot, make_agent, make_customer):
    busy = make_agent("Busy", status="online", max_concurrent=1)
    first = helpdesk.open_ticket(make_customer(), "Refund?", "where is my refund")
    assert first.assignee_id == busy.id  # the agent is full from now on
    waiting = [helpdesk.open_ticket(make_customer(), f"Q{i}", "hello") for i in range(2)]
    assert all(t.assignee_id is None for t in waiting)
    helpdesk.receive(chat_message("hello", visitor="early", session="early"))  # the bot holds it
    r = helpdesk.receive(chat_message("I want a human"))
    text = last_bot_text(helpdesk, r.ticket)
    assert text == (
        "Sure, I'll connect you with a colleague. You are number 3 in the queue; "
        "a colleague will be with you soon."
    )
    note = next(m for m in helpdesk.messages(r.ticket) if not m.public)
    assert "queued, 2 ahead" in note.text


def test_handoff_out_of_hours_promises_a_reply(helpdesk, bot):
    r = helpdesk.receive(chat_message("human please"))
    assert last_bot_text(helpdesk, r.ticket) == (
        "Sure, I'll connect you with a colleague. Our agents are not available right now. "
        f"We have saved your conversation as ticket {r.ticket.ref} and will reply as soon as "
        "we are back."
    )


def test_handoff_uses_the_desks_sla_promise_when_there_is_one(helpdesk, bot):
    asked = []

    def sla_promise(ticket, locale):
        asked.append((ticket.ref, locale))
        return "我们会在明天 10:00 前回复您。" if locale == "zh" else "We will reply by 10:00."

    helpdesk.sla_promise = sla_promise  # what the SLA feature provides
    r = helpdesk.receive(chat_message("转人工"))
    assert (
        last_bot_text(helpdesk, r.ticket)
        == "好的，正在为您转接人工客服。 我们会在明天 10:00 前回复您。"
    )
    assert asked == [(r.ticket.ref, "zh")]


def test_a_promise_callable_and_availability_rule(helpdesk, starter_classifier):
    helpdesk.configure_bot(
        starter_classifier,
        promise=lambda desk, ticket, locale: f"Expect an answer on Monday ({ticket.ref}).",
        channels={"chat"},
    )
    r = helpdesk.receive(chat_message("agent"))
    assert last_bot_text(helpdesk, r.ticket).endswith(
        f"Expect an answer on Monday ({r.ticket.ref})."
    )
    # a rule saying someone can answer (a callback queue, say) puts the customer in the queue
    helpdesk.configure_bot(starter_classifier, available=lambda desk, ticket: True)
    r = helpdesk.receive(chat_message("agent", visitor="v2", session="s2"))
    assert last_bot_text(helpdesk, r.ticket).endswith(
        "You are number 2 in the queue; a colleague will be with you soon."
    )


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_an_agent_taking_the_chat_over_hands_it_off(helpdesk, bot, make_agent):
    ann = make_agent("Ann", status="offline")
    r = helpdesk.receive(chat_message("hello"))
    assert helpdesk.bot_holds(r.ticket)
    helpdesk.assign(r.ticket, ann, actor=ann)
    trail = helpdesk.events(r.ticket)
    handoff = [e for e in trail if e.kind == ev.HANDOFF]
    assert len(handoff) == 1
    assert handoff[0].data["reason"] == "agent_took_over"
    assert handoff[0].seq > next(e for e in trail if e.kind == ev.ASSIGNED).seq
    assert bot.conversation(r.ticket).stage is Stage.HANDED_OFF
    count = len(helpdesk.messages(r.ticket))
    helpdesk.receive(chat_message("are you there?"))
    assert len(helpdesk.messages(r.ticket)) == count + 1  # no bot answer


def test_an_agent_reply_takes_over_and_is_the_first_response(helpdesk, bot, make_agent):
    ann = make_agent("Ann", status="offline")
    r = helpdesk.receive(chat_message("hello"))
    helpdesk.reply(r.ticket, "Hi, Ann here.", author=ann)
    ticket = helpdesk.get_ticket(r.ticket)
    assert ticket.first_response_at is not None
    assert bot.conversation(ticket).handoff_reason == "agent_took_over"


def test_action_failure_from_the_host_hands_off(helpdesk, bot, host):
    host.broken = True
    r = helpdesk.receive(chat_message("order SO20240611 status?"))
    conv = bot.conversation(r.ticket)
    assert conv.stage is Stage.HANDED_OFF
    assert conv.handoff_reason == "action_failed"
    assert last_bot_text(helpdesk, r.ticket).startswith(
        "Sorry, something went wrong on our side.\n\nLet me pass you to a colleague"
    )
    action = next(e for e in helpdesk.events(r.ticket) if e.kind == ev.BOT_ACTION)
    assert action.data["ok"] is False
    assert "order service unreachable" in action.data["error"]
    note = next(m for m in helpdesk.messages(r.ticket) if not m.public)
    assert "Collected: order_number = SO20240611" in note.text


def test_unknown_order_asks_again_then_succeeds(helpdesk, bot, host):
    r = helpdesk.receive(chat_message("where is order SO99999999"))
    assert last_bot_text(helpdesk, r.ticket).startswith("I can't find order SO99999999.")
    helpdesk.receive(chat_message("sorry, SO20240611"))
    assert last_bot_text(helpdesk, r.ticket).startswith("Order SO20240611 shipped")
    assert [c[2]["order_number"] for c in host.calls] == ["SO99999999", "SO20240611"]


@pytest.mark.parametrize("helpdesk_storage", ["memory", "sqlite"], indirect=True)
def test_knowledge_base_answers_feed_the_articles_votes(helpdesk, bot):
    r = helpdesk.receive(chat_message("how long does delivery take?"))
    text = last_bot_text(helpdesk, r.ticket)
    assert text.startswith("How long does delivery take?\n")
    assert text.endswith("Did this answer your question? (yes/no)")
    article = helpdesk.kb.find_article("delivery-time", "en")
    helpdesk.receive(chat_message("yes"))
    stats = helpdesk.kb.stats(article)
    assert (stats.helpful, stats.not_helpful) == (1, 0)
    assert helpdesk.kb.votes(article)[0].voter == r.customer.id
    assert bot.conversation(r.ticket).stage is Stage.ENDED


def test_article_links_point_to_the_help_centre(helpdesk, starter_classifier):
    helpdesk.kb.import_starter()
    helpdesk.configure_bot(starter_classifier, article_url="https://help.shop.cn/{locale}/{key}")
    r = helpdesk.receive(chat_message("能开发票吗"))
    assert "详情请看：https://help.shop.cn/zh-CN/invoice" in last_bot_text(helpdesk, r.ticket)


def test_the_sweep_solves_resolved_conversations_once_quiet(helpdesk, bot, helpdesk_clock):
    r = helpdesk.receive(chat_message("order SO20240611?"))
    assert helpdesk.get_ticket(r.ticket).status == "new"
    helpdesk_clock.advance(timedelta(minutes=29))
    assert helpdesk.sweep().results["bot.solve"] == []
    helpdesk_clock.advance(timedelta(minutes=2))
    assert helpdesk.sweep().results["bot.solve"] == [r.ticket.ref]
    ticket = helpdesk.get_ticket(r.ticket)
    assert ticket.status == "solved"
    solve = [e for e in helpdesk.events(ticket) if e.kind == ev.TRANSITIONED][-1]
    assert solve.actor == "bot:bot"
    # the customer comes back: the ticket reopens and the bot answers again
    helpdesk.receive(chat_message("hello again"))
    assert helpdesk.get_ticket(ticket).status == "open"
    assert last_bot_text(helpdesk, ticket) == "Hello! I'm the shop assistant. How can I help you?"


def test_solve_at_once_when_asked(helpdesk, starter_classifier):
    helpdesk.configure_bot(starter_classifier, solve_after=timedelta(0))
    r = helpdesk.receive(chat_message("order SO20240611?"))
    assert helpdesk.get_ticket(r.ticket).status == "solved"


def test_other_channels_are_left_alone(helpdesk, bot, make_agent):
    ann = make_agent("Ann", status="online")
    r = helpdesk.receive(
        InboundMessage("email", Identity("email", "a@b.cn"), text="where is my order SO20240611")
    )
    assert r.ticket.assignee_id == ann.id
    assert bot.conversation(r.ticket) is None
    assert not helpdesk.bot_holds(r.ticket)


def test_a_paused_bot_neither_answers_nor_holds(helpdesk, bot, make_agent):
    ann = make_agent("Ann", status="online")
    with bot.pause():
        r = helpdesk.receive(chat_message("old history"))
    assert r.ticket.assignee_id == ann.id
    assert last_bot_text(helpdesk, r.ticket) is None


def test_a_broken_bot_hands_the_customer_to_a_person(helpdesk, bot, make_agent, caplog):
    ann = make_agent("Ann", status="online")

    class Broken:
        def predict(self, text):
            raise RuntimeError("model file corrupted")

    bot.classifier = Broken()
    r = helpdesk.receive(chat_message("hello"))
    ticket = helpdesk.get_ticket(r.ticket)
    assert ticket.assignee_id == ann.id
    assert bot.conversation(ticket).handoff_reason == "bot_error"
    assert "model file corrupted" in caplog.text


def test_manual_hand_off(helpdesk, bot):
    r = helpdesk.receive(chat_message("hello"))
    reply = bot.hand_off(r.ticket)
    assert reply.handoff == "manual"
    assert reply.message is not None
    assert bot.hand_off(r.ticket).message is None  # already with a person
    with pytest.raises(InvalidInput, match="unknown hand-off reason"):
        bot.hand_off(r.ticket, "boredom")


def test_handle_runs_a_turn_on_request(helpdesk, bot):
    r = helpdesk.receive(chat_message("hello"))
    reply = bot.handle(r.ticket, r.message)
    assert reply is not None
    assert reply.text.startswith("Hello!")
    with pytest.raises(InvalidInput, match="not a customer message"):
        bot.handle(r.ticket, helpdesk.messages(r.ticket)[-1])
    bot.hand_off(r.ticket)
    assert bot.handle(r.ticket) is None


# ----------------------------------------------------------------------------- learning


SMALL = [
    (text, intent)
    for intent, texts in {
        "order_status": ["where is my order", "track my parcel", "order status", "我的订单在哪"],
        "password_reset": ["forgot my password", "reset password", "忘记密码", "can't log in"],
        "coupon": ["coupon code", "discount code invalid", "优惠券", "voucher"],
        "invoice": ["need an invoice", "开发票", "tax receipt", "VAT invoice"],
    }.items()
    for text in texts
]


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_relabelled_conversations_become_training_data(helpdesk, make_agent, tmp_path):
    clf = IntentClassifier().fit(SMALL)
    bot = helpdesk.configure_bot(clf, examples=SMALL)
    ann = make_agent("Ann")
    r = helpdesk.receive(chat_message("the promo thing is broken"))
    conv = bot.conversation(r.ticket)
    relabel = helpdesk.relabel_intent(r.ticket, "coupon", agent=ann)
    assert relabel.text == "the promo thing is broken"
    assert relabel.previous == conv.predicted_intent
    event = helpdesk.events(r.ticket)[-1]
    assert event.kind == ev.BOT_RELABELLED
    assert event.actor == f"agent:{ann.id}"
    assert event.data["intent"] == "coupon"
    helpdesk.relabel_intent(r.ticket, "invoice", agent=ann)  # the latest verdict wins
    assert bot.relabelled_examples() == [("the promo thing is broken", "invoice")]
    assert bot.training_examples() == [*SMALL, ("the promo thing is broken", "invoice")]
    path = tmp_path / "relabelled.tsv"
    text = bot.export_training_tsv(path)
    assert path.read_text(encoding="utf-8") == text
    assert examples_from_tsv(text) == [("the promo thing is broken", "invoice")]
    assert len(examples_from_tsv(bot.export_training_tsv(include_base=True))) == len(SMALL) + 1
    old = bot.classifier
    fresh = bot.retrain()
    assert bot.classifier is fresh
    assert fresh is not old
    assert fresh.predict("the promo thing is broken").alternatives[0][0] == "invoice"


def test_relabel_rules(helpdesk, bot, make_agent, make_customer):
    ann = make_agent("Ann")
    r = helpdesk.receive(chat_message("where is my order"))
    with pytest.raises(PermissionDenied):
        helpdesk.relabel_intent(r.ticket, "coupon", agent=r.customer)
    with pytest.raises(InvalidInput, match="unknown intent 'gift_wrap'"):
        helpdesk.relabel_intent(r.ticket, "gift_wrap", agent=ann)
    assert helpdesk.relabel_intent(r.ticket, "gift_wrap", agent=ann, allow_new=True).intent
    assert helpdesk.relabel_intent(r.ticket, "out_of_scope", agent=ann).intent == "out_of_scope"
    with pytest.raises(InvalidInput, match="not a customer message"):
        helpdesk.relabel_intent(r.ticket, "coupon", agent=ann, message="nope")
    empty = helpdesk.open_ticket(make_customer(), "no words", actor=ann)
    with pytest.raises(InvalidInput, match="no customer message"):
        helpdesk.relabel_intent(empty, "coupon", agent=ann)
    with pytest.raises(InvalidInput, match="non-empty"):
        helpdesk.relabel_intent(r.ticket, " ", agent=ann)


def test_relabel_without_a_bot_checks_against_the_starter_intents(helpdesk, make_agent):
    ann = make_agent("Ann")
    r = helpdesk.receive(InboundMessage("email", Identity("email", "a@b.cn"), text="refund?"))
    assert helpdesk.relabel_intent(r.ticket, "refund_status", agent=ann).previous is None
    with pytest.raises(InvalidInput):
        helpdesk.relabel_intent(r.ticket, "nonsense", agent=ann)


# ----------------------------------------------------------------------------- configuration


def test_configuration_problems_are_listed(helpdesk_storage, helpdesk_clock, starter_classifier):
    desk = Helpdesk(helpdesk_storage, helpdesk_clock, load_entrypoints=False)
    with pytest.raises(InvalidDefinition) as info:
        desk.configure_bot(starter_classifier)  # no host actions registered
    assert len(info.value.problems) == 2
    assert "calls the bot action 'order_status', which nobody registered" in str(info.value)
    flows = {"gift": {"intent": "gift_wrap", "action": "wrap", "slots": []}}
    with pytest.raises(InvalidDefinition, match="classifier does not know"):
        desk.configure_bot(starter_classifier, flows, actions={"wrap": lambda d, c, s: {}})
    with pytest.raises(InvalidInput, match="unknown bot setting"):
        desk.configure_bot(starter_classifier, flows={}, colour="blue")
    with pytest.raises(InvalidInput, match="must be callable"):
        desk.configure_bot(starter_classifier, flows={}, actions={"x": "not callable"})
    with pytest.raises(InvalidInput, match="bot settings are not usable"):
        desk.configure_bot(starter_classifier, flows={}, handoff_intents={"x": "whim"})
    with pytest.raises(Exception, match="unknown intent backend 'nope'"):
        desk.configure_bot(flows={}, backend="nope")
    assert desk.bot is None
    assert desk.bot_holds is not None


def test_configure_trains_a_classifier_when_none_is_given(helpdesk, host):
    bot = helpdesk.configure_bot(examples=SMALL, backend="lexical")
    assert bot.classifier.fitted
    assert set(bot.classifier.intents) == {
        "coupon",
        "invoice",
        "order_status",
        "password_reset",
    }
    again = helpdesk.configure_bot(bot.classifier, examples=SMALL)  # reconfigure: one listener
    r = helpdesk.receive(chat_message("where is my order SO20240611"))
    bot_replies = [m for m in helpdesk.messages(r.ticket) if m.author_kind is AuthorKind.BOT]
    assert len(bot_replies) == 1
    assert helpdesk.bot is again


def test_plugins_can_register_intent_backends(helpdesk_storage, helpdesk_clock, host):
    from helpdesk_kit.bot import LexicalBackend
    from helpdesk_kit.plugins import hookimpl

    class Backends:
        @hookimpl
        def register_intent_backends(self, register):
            register("tiny", lambda **options: LexicalBackend(**options))

    desk = Helpdesk(
        helpdesk_storage, helpdesk_clock, plugins=[host, Backends()], load_entrypoints=False
    )
    bot = desk.configure_bot(examples=SMALL, backend="tiny", backend_options={"seed": 3})
    assert isinstance(bot.classifier.backend, LexicalBackend)
    assert bot.classifier.predict("where is my order").intent == "order_status"
    assert isinstance(desk.bot_actions["order_status"], object)


def test_a_handoff_intent_with_a_custom_classifier(helpdesk, bot):
    class Always:
        fitted = True
        intents = bot.classifier.intents

        def predict(self, text):
            return Prediction("complaint", 0.99, [("complaint", 0.99)])

    bot.classifier = Always()
    r = helpdesk.receive(chat_message("the box was the wrong colour"))
    assert bot.conversation(r.ticket).handoff_reason == "complaint"
    assert last_bot_text(helpdesk, r.ticket).startswith("I'm sorry for the trouble.")
