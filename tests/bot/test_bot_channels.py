"""The same bot on web chat, WeChat and in e-mail acknowledgements."""

from __future__ import annotations

import json

import pytest

from helpdesk_kit import Helpdesk
from helpdesk_kit.channels.base import ChannelPlugin
from helpdesk_kit.channels.email import EmailChannel
from helpdesk_kit.channels.webchat import ChatChannel, SessionStatus
from helpdesk_kit.channels.wechat import WeChatChannel, sign
from helpdesk_kit.tickets import events as ev
from helpdesk_kit.tickets.model import AuthorKind

BACKENDS = ["memory", "sqlite", "postgresql"]


class Widget:
    """The visitor's browser: keeps every frame (each must survive JSON)."""

    def __init__(self):
        self.frames = []

    def __call__(self, frame):
        json.dumps(frame)
        self.frames.append(frame)

    def of(self, kind):
        return [f for f in self.frames if f["type"] == kind]

    def said(self, author="bot"):
        return [f["text"] for f in self.of("message") if f["author"] == author]

    def statuses(self):
        return [f["status"] for f in self.of("status")]


class Workspace:
    def __init__(self):
        self.frames = []

    def __call__(self, session_id, frame):
        self.frames.append((session_id, frame))


@pytest.fixture
def chat_desk(helpdesk_storage, helpdesk_clock, host, starter_classifier):
    workspace = Workspace()
    chat = ChatChannel(agent_sink=workspace)
    desk = Helpdesk(
        helpdesk_storage,
        helpdesk_clock,
        plugins=[ChannelPlugin(chat), host],
        load_entrypoints=False,
    )
    desk.kb.import_starter()
    desk.configure_bot(starter_classifier)
    return desk, chat, workspace


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_scripted_chat_order_status_then_a_person(chat_desk, host):
    """The acceptance script: order status through the host's action, then a person."""
    desk, chat, _workspace = chat_desk
    widget = Widget()
    session = chat.connect(desk, "visitor-7", widget, name="Lily")

    session.handle({"type": "message", "text": "Hi, where is my order?", "id": "c1"})
    assert session.status is SessionStatus.BOT
    assert widget.statuses() == ["bot"]
    assert widget.said() == [
        "Sure, I can check that. What is your order number? You find it in your order "
        "confirmation e-mail."
    ]
    ticket = session.ticket
    assert ticket.channel == "chat"
    assert ticket.thread_key == session.id

    session.handle({"type": "message", "text": "SO20240611", "id": "c2"})
    assert host.calls[-1][0] == "order_status"
    assert host.calls[-1][2] == {"order_number": "SO20240611"}
    assert widget.said()[-1] == (
        "Order SO20240611 shipped yesterday with SF Express (SF1234567890).\n\n"
        "Is there anything else I can help with?"
    )

    session.handle({"type": "message", "text": "Can I talk to a person please?", "id": "c3"})
    assert widget.said()[-1].startswith("Sure, I'll connect you with a colleague. Our agents")
    assert session.status is SessionStatus.OFFLINE  # nobody is online: the chat waits
    assert widget.statuses() == ["bot", "offline"]
    assert widget.of("status")[-1]["ask_contact"] is True
    # the channel's own out-of-hours promise is not said a second time
    assert sum("not available" in t or "offline" in t for t in widget.said()) == 1

    # the ticket is in the queue: active, unassigned, with the whole transcript
    queue = desk.list_tickets(assignee_id="", status=["new", "open"]).items
    assert [t.id for t in queue] == [ticket.id]
    transcript = [(m.author_kind.value, m.text) for m in desk.messages(ticket, include_notes=False)]
    assert [a for a, _ in transcript] == ["customer", "bot"] * 3
    assert transcript[0][1] == "Hi, where is my order?"
    assert transcript[4][1] == "Can I talk to a person please?"
    note = next(m for m in desk.messages(ticket) if not m.public)
    assert "Intent: (not recognised)" in note.text  # "a person please" has no topic
    assert (
        "Resolved by the bot before: order_status (action; order_number = SO20240611)" in note.text
    )
    kinds = [e.kind for e in desk.events(ticket)]
    assert kinds.count(ev.HANDOFF) == 1
    assert ev.ASSIGNED not in kinds

    # an agent comes online and takes the chat: the visitor is served by a person
    ann = desk.add_agent("Ann", status="online")
    chat.join(desk, session.id, ann)
    assert session.status is SessionStatus.ACTIVE
    chat.say(desk, session.id, ann, "Hi Lily, Ann here. How can I help?")
    assert widget.said("agent") == ["Hi Lily, Ann here. How can I help?"]
    assert desk.get_ticket(ticket).first_response_at is not None
    assert [m["text"] for m in session.transcript()][-1].startswith("Hi Lily")


@pytest.mark.parametrize("helpdesk_storage", ["memory", "sqlite"], indirect=True)
def test_chat_hand_off_with_an_agent_online_queues_for_them(chat_desk):
    desk, chat, workspace = chat_desk
    ann = desk.add_agent("Ann", status="online")
    widget = Widget()
    session = chat.connect(desk, "v-9", widget)
    session.handle({"type": "message", "text": "hello"})
    assert desk.get_ticket(session.ticket).assignee_id is None  # the bot holds it
    assert not [f for _, f in workspace.frames if f["type"] == "waiting"]
    session.handle({"type": "message", "text": "转人工"})
    assert desk.get_ticket(session.ticket).assignee_id == ann.id
    assert session.status is SessionStatus.QUEUED
    assert widget.said()[-1] == "好的，正在为您转接人工客服。 客服马上为您服务，请稍候。"
    assert [f for _, f in workspace.frames if f["type"] == "waiting"]


def test_an_agent_joining_a_bot_chat_takes_it_over(chat_desk):
    desk, chat, _ = chat_desk
    ann = desk.add_agent("Ann", status="online")
    widget = Widget()
    session = chat.connect(desk, "v-1", widget)
    session.handle({"type": "message", "text": "how long does delivery take?"})
    chat.join(desk, session.id, ann)
    assert desk.bot.conversation(session.ticket).handoff_reason == "agent_took_over"
    bot_lines = len(widget.said())
    session.handle({"type": "message", "text": "thanks, and one more thing"})
    assert len(widget.said()) == bot_lines  # the bot is quiet; Ann answers


def test_a_resumed_bot_chat_keeps_its_status(chat_desk):
    desk, chat, _ = chat_desk
    widget = Widget()
    session = chat.connect(desk, "v-2", widget)
    session.handle({"type": "message", "text": "hello"})
    chat.disconnect(session.id)
    other = ChatChannel()  # another process: no live sessions
    resumed = other.connect(desk, "v-2", Widget(), session_id=session.id)
    assert resumed.status is SessionStatus.BOT


# ------------------------------------------------------------------ WeChat

TOKEN = "helpdeskToken2026"
OPENID = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"
ACCOUNT = "gh_3f2a1b0c9d8e"


def push(text, msg_id):
    body = (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
        f"<FromUserName><![CDATA[{OPENID}]]></FromUserName><CreateTime>1793581200</CreateTime>"
        f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{text}]]></Content>"
        f"<MsgId>{msg_id}</MsgId></xml>"
    )
    return body.encode()


PARAMS = {"signature": sign(TOKEN, "1793581200", "7"), "timestamp": "1793581200", "nonce": "7"}


class Api:
    """The customer-service message API (what is sent after the passive window)."""

    def __init__(self):
        self.sent = []

    def send_text(self, openid, text):
        self.sent.append((openid, text))
        return {"errcode": 0, "msgid": 100 + len(self.sent)}


class Timer:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def wechat_desk(helpdesk_storage, helpdesk_clock, host, starter_classifier):
    api, timer = Api(), Timer()
    channel = WeChatChannel(TOKEN, api, timer=timer)
    desk = Helpdesk(
        helpdesk_storage,
        helpdesk_clock,
        plugins=[ChannelPlugin(channel), host],
        load_entrypoints=False,
    )
    desk.kb.import_starter()
    desk.configure_bot(starter_classifier)
    return desk, channel, api, timer


@pytest.mark.parametrize("helpdesk_storage", ["memory", "sqlite"], indirect=True)
def test_wechat_bot_answers_in_the_passive_reply(wechat_desk):
    desk, channel, api, _ = wechat_desk
    first = channel.handle(desk, PARAMS, push("我的订单到哪了", "m1"))
    assert (
        first.reply
        == "好的，我来帮您查询。请提供您的订单号（可在下单确认邮件或“我的订单”中找到）。"
    )
    assert "<MsgType><![CDATA[text]]></MsgType>" in first.body
    second = channel.handle(desk, PARAMS, push("SO20240611", "m2"))
    assert second.reply.startswith("Order SO20240611 shipped yesterday")
    assert api.sent == []  # everything went back in the HTTP answers
    assert desk.bot.conversation(first.result.ticket).locale == "zh"


def test_wechat_slow_action_goes_out_through_the_api(wechat_desk, host):
    desk, channel, api, timer = wechat_desk
    slow = host.order_status

    def order_status(desk_, customer, slots):
        timer.now += 6.0  # the host's order system took six seconds
        return slow(desk_, customer, slots)

    desk.bot.actions["order_status"] = order_status
    answer = channel.handle(desk, PARAMS, push("where is order SO20240611", "m1"))
    assert answer.body == "success"
    assert answer.reply is None
    assert api.sent == [(OPENID, api.sent[0][1])]
    assert api.sent[0][1].startswith("Order SO20240611 shipped yesterday")
    delivered = [e for e in desk.events(answer.result.ticket) if e.kind == ev.DELIVERED]
    assert delivered[-1].data["external_id"] == "101"


def test_wechat_hand_off_then_the_agent_answers_through_the_api(wechat_desk):
    desk, channel, api, _ = wechat_desk
    ann = desk.add_agent("Ann", status="online")
    answer = channel.handle(desk, PARAMS, push("人工客服", "m1"))
    assert answer.reply == "好的，正在为您转接人工客服。 客服马上为您服务，请稍候。"
    ticket = desk.get_ticket(answer.result.ticket)
    assert ticket.assignee_id == ann.id
    desk.reply(ticket, "您好，我是客服小安。", author=ann)
    assert api.sent == [(OPENID, "您好，我是客服小安。")]


# ------------------------------------------------------------------ e-mail


class Outbox:
    def __init__(self):
        self.sent = []

    def send(self, msg):
        self.sent.append(msg)


def raw_mail(subject, body, sender="lily@example.org", message_id="<q1@example.org>"):
    return (
        f"From: Lily <{sender}>\r\nTo: support@shop.example\r\nSubject: {subject}\r\n"
        f"Message-ID: {message_id}\r\nDate: Mon, 2 Nov 2026 10:15:00 +0800\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n"
    ).encode("utf-8")


def test_email_acknowledgement_suggests_articles(
    helpdesk_storage, helpdesk_clock, host, starter_classifier
):
    outbox = Outbox()
    email = EmailChannel("support@shop.example", outbox)
    desk = Helpdesk(
        helpdesk_storage,
        helpdesk_clock,
        plugins=[ChannelPlugin(email), host],
        load_entrypoints=False,
    )
    desk.kb.import_starter()
    bot = desk.configure_bot(starter_classifier, article_url="https://help.shop.example/{key}")
    email.acknowledgement = bot.email_acknowledgement()
    r = email.receive(desk, raw_mail("Invoice", "Can I get a VAT invoice for my order?"))
    assert r.created
    assert bot.conversation(r.ticket) is None
    ack = outbox.sent[0].get_body(("plain",)).get_content()
    assert ack.startswith(f"We have received your message and opened ticket {r.ticket.ref}.")
    assert "these articles may already answer your question:" in ack
    assert "https://help.shop.example/invoice" in ack
    assert desk.messages(r.ticket)[-1].author_kind is AuthorKind.SYSTEM

    email.acknowledgement = bot.email_acknowledgement({"en": "Got {subject} ({ref})."})
    r2 = email.receive(desk, raw_mail("Hi", "hello there", message_id="<q2@example.org>"))
    ack2 = outbox.sent[-1].get_body(("plain",)).get_content()
    assert ack2.strip() == f"Got Hi ({r2.ticket.ref})."  # nothing answers "hello there"
