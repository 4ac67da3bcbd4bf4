"""Live chat: the session protocol, agents joining, the out-of-hours promise, resuming."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from helpdesk_kit import Helpdesk
from helpdesk_kit.channels.base import ChannelPlugin
from helpdesk_kit.channels.email import EmailChannel, parse_email
from helpdesk_kit.channels.webchat import (
    DEFAULT_PROMISE,
    ChatChannel,
    SessionStatus,
    parse_client_frame,
)
from helpdesk_kit.channels.webchat.plugin import from_env
from helpdesk_kit.errors import InvalidInput, NotFound


class Widget:
    """The visitor's side of the transport: keeps the frames it receives."""

    def __init__(self):
        self.frames = []

    def __call__(self, frame):
        json.dumps(frame)  # every frame must survive the wire
        self.frames.append(frame)

    def of(self, kind):
        return [f for f in self.frames if f["type"] == kind]


class Workspace:
    def __init__(self):
        self.frames = []

    def __call__(self, session_id, frame):
        self.frames.append((session_id, frame))


class Capture:
    def __init__(self):
        self.sent = []

    def send(self, msg):
        self.sent.append(msg)


def make_desk(storage, clock, **chat_options):
    workspace = Workspace()
    chat = ChatChannel(agent_sink=workspace, **chat_options)
    mail = Capture()
    email = EmailChannel("support@shop.example", mail)
    desk = Helpdesk(
        storage=storage, clock=clock, plugins=[ChannelPlugin(chat, email)], load_entrypoints=False
    )
    return desk, chat, workspace, mail


@pytest.mark.parametrize("helpdesk_storage", ["memory", "sqlite", "postgresql"], indirect=True)
def test_chat_with_an_agent_online(helpdesk_storage, helpdesk_clock):
    desk, chat, workspace, _ = make_desk(helpdesk_storage, helpdesk_clock)
    ann = desk.add_agent("Ann", status="online")
    widget = Widget()

    session = chat.connect(desk, "v-42", widget, name="Lily")
    assert widget.frames == [
        {"type": "welcome", "session": session.id, "status": "new", "ticket": None}
    ]
    session.handle({"type": "message", "text": "Do you ship to Macau?", "id": "c1"})
    ticket = session.ticket
    assert ticket.channel == "chat"
    assert ticket.thread_key == session.id
    assert widget.of("ack") == [
        {"type": "ack", "id": "c1", "message": desk.messages(ticket)[0].id, "ticket": ticket.ref}
    ]
    assert widget.of("status")[-1]["status"] == "queued"
    assert session.status is SessionStatus.QUEUED
    assert [f["type"] for _, f in workspace.frames] == ["message", "waiting"]
    assert workspace.frames[0][1]["text"] == "Do you ship to Macau?"

    # typing both ways
    session.handle(json.dumps({"type": "typing", "typing": True}))
    assert workspace.frames[-1] == (session.id, {"type": "typing", "typing": True, "name": "Lily"})
    chat.join(desk, session.id, ann)
    chat.typing(session.id, ann)
    assert widget.of("agent_joined") == [{"type": "agent_joined", "name": "Ann"}]
    assert widget.of("typing") == [{"type": "typing", "name": "Ann", "typing": True}]
    assert session.status is SessionStatus.ACTIVE
    assert desk.get_ticket(ticket).assignee_id == ann.id

    # the agent answers within seconds: a normal reply, pushed to the widget
    helpdesk_clock.advance(seconds=20)
    chat.say(desk, session.id, ann, "Yes, in 2-3 days.")
    pushed = widget.of("message")[-1]
    assert pushed["author"] == "agent"
    assert pushed["name"] == "Ann"
    assert pushed["text"] == "Yes, in 2-3 days."
    stored = desk.get_ticket(ticket)
    assert stored.first_response_at - stored.created_at == timedelta(seconds=20)
    assert [e.kind for e in desk.events(ticket)].count("message.delivered") == 1

    # more from the visitor joins the same ticket; a re-sent frame is taken once
    session.handle({"type": "message", "text": "Great, thanks", "id": "c2"})
    session.handle({"type": "message", "text": "Great, thanks", "id": "c2"})
    assert len(desk.messages(ticket)) == 3
    assert len(widget.of("ack")) == 3
    assert desk.count_tickets() == 1

    # the transcript, then the end
    session.handle({"type": "transcript"})
    transcript = widget.of("transcript")[-1]["messages"]
    assert [(m["author"], m["name"], m["text"]) for m in transcript] == [
        ("visitor", "Lily", "Do you ship to Macau?"),
        ("agent", "Ann", "Yes, in 2-3 days."),
        ("visitor", "Lily", "Great, thanks"),
    ]
    session.handle({"type": "end"})
    assert widget.frames[-1] == {"type": "ended", "by": "visitor"}
    assert workspace.frames[-1] == (session.id, {"type": "ended", "by": "visitor"})
    assert chat.sessions() == []
    assert desk.messages(ticket)[-1].text == "Chat ended by the visitor."
    assert not desk.messages(ticket)[-1].public


@pytest.mark.parametrize("helpdesk_storage", ["memory", "sqlite"], indirect=True)
def test_no_agent_online_becomes_a_ticket_with_the_promise(helpdesk_storage, helpdesk_clock):
    desk, chat, _, mail = make_desk(helpdesk_storage, helpdesk_clock)
    desk.add_agent("Ann", status="offline")
    widget = Widget()
    session = chat.connect(desk, "v-7", widget)
    session.handle({"type": "message", "text": "我的订单还没到", "id": "1"})
    ticket = session.ticket
    assert session.status is SessionStatus.OFFLINE
    status = widget.of("status")[-1]
    assert status == {
        "type": "status",
        "status": "offline",
        "ticket": ticket.ref,
        "ask_contact": True,
    }
    promise = widget.of("message")[-1]
    assert promise["author"] == "bot"
    assert promise["text"] == DEFAULT_PROMISE.format(ref=ticket.ref)
    assert desk.get_ticket(ticket).assignee_id is None
    assert desk.get_ticket(ticket).first_response_at is None  # a promise is not an answer

    # the visitor leaves an address, then goes away
    session.handle({"type": "contact", "email": "Lin@Example.CN", "name": "林"})
    customer = desk.find_customer("chat", "v-7")
    assert customer.email == "lin@example.cn"
    assert customer.name == "林"
    assert widget.of("status")[-1]["ask_contact"] is False
    chat.disconnect(session.id)

    # next morning the agent answers: it goes out by e-mail, tagged with the ticket
    helpdesk_clock.advance(hours=12)
    desk.reply(ticket, "您的包裹今天送达。", author=desk.add_agent("Bo", status="online"))
    sent = parse_email(mail.sent[-1].as_bytes())
    assert sent.to[0].email == "lin@example.cn"
    assert sent.subject.startswith(f"[#{ticket.number}]")
    assert sent.text.strip() == "您的包裹今天送达。"
    assert len(widget.of("message")) == 1  # nothing more was pushed to the closed widget


def test_the_promise_can_come_from_elsewhere(helpdesk, helpdesk_clock):
    calls = []

    def promise(desk, ticket):
        calls.append(ticket.ref)
        return f"We answer {ticket.ref} by Monday 09:00."

    chat = ChatChannel(promise=promise, available=lambda desk, ticket: False)
    desk = Helpdesk(clock=helpdesk_clock, plugins=[ChannelPlugin(chat)], load_entrypoints=False)
    desk.add_agent("Ann", status="online")  # online, but `available` says no (out of hours)
    widget = Widget()
    session = chat.connect(desk, "v-1", widget)
    session.handle({"type": "message", "text": "hi"})
    assert widget.of("message")[-1]["text"] == f"We answer {session.ticket.ref} by Monday 09:00."
    assert calls == [session.ticket.ref]


def test_offline_without_an_address_fails_delivery_clearly(helpdesk_clock):
    chat = ChatChannel(promise=None)
    desk = Helpdesk(clock=helpdesk_clock, plugins=[ChannelPlugin(chat)], load_entrypoints=False)
    widget = Widget()
    session = chat.connect(desk, "v-1", widget)
    session.handle({"type": "message", "text": "hi"})
    assert widget.of("message") == []  # no promise configured
    chat.end(desk, session.id, by="agent")
    desk.reply(session.ticket, "hello?", author=desk.add_agent("Ann"))
    failed = [e for e in desk.events(session.ticket) if e.kind == "message.delivery_failed"]
    assert "not connected and left no e-mail address" in failed[0].data["error"]


def test_bad_frames_get_error_frames(helpdesk):
    chat = ChatChannel()
    widget = Widget()
    session = chat.connect(helpdesk, "v-1", widget)
    for frame in [
        "not json",
        [1, 2],
        {"type": "shout"},
        {"type": "message"},
        {"type": "message", "text": "   "},
        {"type": "message", "text": "x" * 5001},
        {"type": "message", "text": "ok", "id": True},
        {"type": "typing", "typing": "yes"},
        {"type": "contact"},
    ]:
        session.handle(frame)
    errors = widget.of("error")
    assert len(errors) == 9
    assert all(e["code"] == "bad_frame" for e in errors)
    assert "unknown frame type 'shout'" in errors[2]["message"]
    session.handle({"type": "contact", "email": "no-at-sign"})
    assert widget.of("error")[-1]["code"] == "bad_contact"
    session.handle({"type": "ping"})
    assert widget.frames[-1] == {"type": "pong"}
    assert helpdesk.count_tickets() == 0
    with pytest.raises(InvalidInput):
        parse_client_frame({"type": "message", "text": "a\x00b"})
    with pytest.raises(InvalidInput):
        chat.connect(helpdesk, "has space", widget)


def test_resume_after_a_restart_and_refuse_strangers(helpdesk):
    widget = Widget()
    first = ChatChannel(promise=None)
    session = first.connect(helpdesk, "v-9", widget)
    session.handle({"type": "message", "text": "hello"})
    ticket = session.ticket

    restarted = ChatChannel(promise=None)  # a new process: no live sessions
    again = Widget()
    resumed = restarted.connect(helpdesk, "v-9", again, session_id=session.id)
    assert resumed.id == session.id
    assert again.frames[0] == {
        "type": "welcome",
        "session": session.id,
        "status": "queued",
        "ticket": ticket.ref,
    }
    assert [m["text"] for m in again.frames[1]["messages"]] == ["hello"]
    resumed.handle({"type": "message", "text": "still there?"})
    assert resumed.ticket.id == ticket.id
    with pytest.raises(InvalidInput, match="another visitor"):
        restarted.connect(helpdesk, "v-other", Widget(), session_id=session.id)
    with pytest.raises(InvalidInput, match="another visitor"):
        ChatChannel().connect(helpdesk, "v-other", Widget(), session_id=session.id)
    # an unknown session id just starts a new session
    fresh = restarted.connect(helpdesk, "v-9", Widget(), session_id="no-such-session")
    assert fresh.id != "no-such-session"


def test_idle_sessions_end_and_ended_sessions_refuse_messages(helpdesk, helpdesk_clock):
    chat = ChatChannel(idle_timeout=timedelta(minutes=10))
    widget = Widget()
    quiet = chat.connect(helpdesk, "v-1", widget)
    helpdesk_clock.advance(minutes=5)
    busy = chat.connect(helpdesk, "v-2", Widget())
    helpdesk_clock.advance(minutes=6)
    assert chat.end_idle(helpdesk) == [quiet.id]
    assert [s.id for s in chat.sessions()] == [busy.id]
    assert widget.frames[-1] == {"type": "ended", "by": "system"}
    quiet.connected = True  # a stale transport still holding the session
    quiet.handle({"type": "message", "text": "hello?"})
    assert widget.frames[-1]["code"] == "ended"
    with pytest.raises(NotFound):
        chat.session(quiet.id)
    with pytest.raises(NotFound):
        chat.end(helpdesk, quiet.id)


def test_a_claimed_address_of_someone_else_is_left_to_the_agents(helpdesk):
    known = helpdesk.add_customer("Wang", email="wang@example.cn")
    chat = ChatChannel(promise=None)
    session = chat.connect(helpdesk, "v-5", Widget())
    session.handle({"type": "message", "text": "hi"})
    session.handle({"type": "contact", "email": "wang@example.cn"})
    visitor = helpdesk.find_customer("chat", "v-5")
    assert visitor.email is None  # not attached: anyone can type any address
    note = helpdesk.messages(session.ticket)[-1]
    assert not note.public
    assert known.id in note.text
    assert "Merge the customers" in note.text


def test_agents_can_join_before_the_first_message_and_leave(helpdesk):
    chat = ChatChannel()
    ann = helpdesk.add_agent("Ann", status="online")
    widget = Widget()
    session = chat.connect(helpdesk, "v-3", widget)
    chat.join(helpdesk, session.id, ann)
    assert session.status is SessionStatus.NEW
    with pytest.raises(InvalidInput, match="not written yet"):
        chat.say(helpdesk, session.id, ann, "hi")
    session.handle({"type": "message", "text": "hello"})
    assert session.status is SessionStatus.ACTIVE
    assert helpdesk.get_ticket(session.ticket).assignee_id == ann.id
    chat.leave(helpdesk, session.id, ann)
    assert widget.of("agent_left") == [{"type": "agent_left", "name": "Ann"}]
    assert session.status is SessionStatus.QUEUED


def test_environment():
    assert from_env({}).promise == DEFAULT_PROMISE
    assert from_env({"HELPDESK_KIT_CHAT_PROMISE": "明天见 {ref}"}).promise == "明天见 {ref}"
