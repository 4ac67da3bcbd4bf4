"""The e-mail channel end to end: Maildir/IMAP in, a real SMTP server out, replies threading."""

from __future__ import annotations

import sys
from email.message import EmailMessage
from pathlib import Path

import pytest

from helpdesk_kit import DeskSettings, Helpdesk
from helpdesk_kit.channels.base import ChannelPlugin
from helpdesk_kit.channels.email import (
    Address,
    EmailChannel,
    ImapSource,
    MaildirSource,
    SmtpSender,
    parse_email,
)
from helpdesk_kit.channels.email.plugin import from_env, smtp_from_url
from helpdesk_kit.errors import ChannelError, InvalidInput, PluginError

sys.path.insert(0, str(Path(__file__).parent / "email"))
from fake_imap import FakeMailbox, fake_imap_server

BACKENDS = ["memory", "sqlite", "postgresql"]
ACK = "We have your request {ref} and will answer within 4 working hours."


def eml(*headers: str, body: str = "Hello") -> bytes:
    return ("\r\n".join(headers) + "\r\n\r\n" + body + "\r\n").encode()


FIRST = eml(
    "From: Alice Chen <alice@example.org>",
    "To: 客服中心 <support@example.com>",
    "Cc: Bob <bob@example.org>",
    "Subject: Where is my order?",
    "Message-ID: <q1@example.org>",
    "Date: Mon, 2 Nov 2026 10:15:00 +0800",
    "Content-Type: text/plain; charset=utf-8",
    body="My order A123 has not arrived.\r\n\r\n-- \r\nAlice",
)


@pytest.fixture
def mail_desk(smtp_server, helpdesk_storage, helpdesk_clock):
    outbox, port = smtp_server
    channel = EmailChannel(
        "客服中心 <support@example.com>",
        SmtpSender("127.0.0.1", port),
        aliases=["help@example.com"],
        acknowledgement=ACK,
    )
    desk = Helpdesk(
        storage=helpdesk_storage,
        clock=helpdesk_clock,
        plugins=[ChannelPlugin(channel)],
        load_entrypoints=False,
    )
    return desk, channel, outbox


@pytest.mark.parametrize("helpdesk_storage", BACKENDS, indirect=True)
def test_mail_in_reply_out_answer_threads_back(mail_desk, tmp_path, helpdesk_clock):
    desk, channel, outbox = mail_desk
    agent = desk.add_agent("Ann", status="online")
    inbox = MaildirSource(tmp_path / "support", create=True)

    # 1. inbound .eml -> ticket; the automatic acknowledgement goes out
    inbox.add(FIRST)
    report = channel.poll(desk, inbox)
    assert report.created == 1
    assert report.failed == []
    ticket = report.received[0].ticket
    assert ticket.channel == "email"
    assert ticket.subject == "Where is my order?"
    assert ticket.participants == {"email:bob@example.org"}
    customer = desk.get_customer(ticket.customer_id)
    assert customer.name == "Alice Chen"
    assert customer.email == "alice@example.org"
    first_msg = desk.messages(ticket)[0]
    assert first_msg.external_id == "q1@example.org"
    assert first_msg.text == "My order A123 has not arrived.\n\n-- \nAlice"
    assert list(inbox.fetch()) == []  # acknowledged after the commit

    ack = outbox.parsed(0)
    assert ack.subject == f"Re: [#{ticket.number}] Where is my order?"
    assert ack.auto_submitted == "auto-replied"
    assert ack.in_reply_to == "q1@example.org"
    assert ack.to == [Address("Alice Chen", "alice@example.org")]
    assert ack.text.strip() == ACK.format(ref=ticket.ref)

    # 2. the agent replies: an SMTP message with the right headers
    helpdesk_clock.advance(minutes=20)
    desk.reply(ticket, "It left our warehouse today.", author=agent, transition="pend")
    assert len(outbox.envelopes) == 2
    sent = outbox.parsed(1)
    assert outbox.envelopes[1].rcpt_tos == ["alice@example.org", "bob@example.org"]
    assert sent.subject == f"Re: [#{ticket.number}] Where is my order?"
    assert sent.sender == Address("客服中心", "support@example.com")
    assert sent.cc == [Address("", "bob@example.org")]
    assert sent.auto_submitted is None
    assert sent.message_id.endswith(f".t{ticket.number}@example.com")
    assert sent.in_reply_to == "q1@example.org"
    assert sent.references == [ack.message_id, "q1@example.org"]
    assert sent.text.strip() == "It left our warehouse today."
    assert sent.is_loop  # our own mail carries the loop header
    reply_msg = desk.messages(ticket)[-1]
    assert reply_msg.external_id == sent.message_id
    delivered = [e for e in desk.events(ticket) if e.kind == "message.delivered"]
    assert delivered[-1].data["external_id"] == sent.message_id

    # 3. the customer answers; her client dropped the [#N] tag: the Message-ID threads it
    helpdesk_clock.advance(minutes=5)
    answer = eml(
        "From: alice@example.org",
        "To: support@example.com",
        "Subject: Re: Where is my order?",
        "Message-ID: <q2@example.org>",
        f"In-Reply-To: <{sent.message_id}>",
        f"References: <q1@example.org> <{sent.message_id}>",
        body=(
            "Thank you!\r\n\r\nOn Mon, Nov 2, 2026 at 10:35 AM 客服中心 "
            "<support@example.com> wrote:\r\n> It left our warehouse today."
        ),
    )
    inbox.add(answer)
    inbox.add(answer)  # delivered twice by the mail system
    report = channel.poll(desk, inbox)
    assert [r.created for r in report.received] == [False, False]
    assert [r.duplicate for r in report.received] == [False, True]
    assert report.received[0].ticket.id == ticket.id
    assert desk.get_ticket(ticket).status == "open"  # pending -> open on the answer
    assert desk.messages(ticket)[-1].text == "Thank you!"
    assert len(outbox.envelopes) == 2  # no acknowledgement for an answer

    # 4. the next agent reply continues the same thread
    desk.reply(ticket, "You are welcome.", author=agent)
    last = outbox.parsed(2)
    assert last.in_reply_to == "q2@example.org"
    assert last.references[-1] == "q2@example.org"
    assert sent.message_id in last.references


@pytest.mark.parametrize("helpdesk_storage", ["memory", "sqlite"], indirect=True)
def test_automatic_mail_never_opens_tickets_nor_gets_answers(mail_desk, tmp_path):
    desk, channel, outbox = mail_desk
    inbox = MaildirSource(tmp_path / "support", create=True)
    inbox.add(FIRST)
    ticket = channel.poll(desk, inbox).received[0].ticket
    assert len(outbox.envelopes) == 1
    ack_id = outbox.parsed(0).message_id

    out_of_office = eml(
        "From: Alice Chen <alice@example.org>",
        "To: support@example.com",
        f"Subject: Automatic reply: Re: [#{ticket.number}] Where is my order?",
        "Auto-Submitted: auto-replied",
        "Message-ID: <oof1@example.org>",
        f"In-Reply-To: <{ack_id}>",
        body="I am away until Monday.",
    )
    bounce = eml(
        "From: MAILER-DAEMON@mx.example.net",
        "Return-Path: <>",
        "To: support@example.com",
        "Subject: Undelivered Mail Returned to Sender",
        "Message-ID: <bounce1@mx.example.net>",
        body="This is the mail system at host mx.example.net. I'm sorry ...",
    )
    echo = bytes(outbox.raws[0])  # our own acknowledgement comes back: its id is known
    relayed = echo.replace(ack_id.encode(), b"relayed-copy@lists.example.org")  # a loop
    for raw in (out_of_office, bounce, echo, relayed):
        inbox.add(raw)
    report = channel.poll(desk, inbox)
    assert [r.created for r in report.received] == [False, False, False, False]
    assert report.received[0].ticket.id == ticket.id  # kept as an internal note
    assert report.received[0].message.public is False
    assert report.received[1].ignored is not None  # a bounce for no ticket
    assert report.received[2].duplicate
    assert report.received[3].ignored is not None  # from ourselves: joins nothing
    assert desk.count_tickets() == 1
    assert len(outbox.envelopes) == 1  # nothing was answered


@pytest.mark.parametrize("helpdesk_storage", ["memory"], indirect=True)
def test_numbers_participants_and_strangers(mail_desk, tmp_path):
    desk, channel, _ = mail_desk
    inbox = MaildirSource(tmp_path / "support", create=True)
    inbox.add(FIRST)
    ticket = channel.poll(desk, inbox).received[0].ticket
    n = ticket.number

    # Bob (CC'd) answers by subject tag only: he is a participant, so it joins
    inbox.add(
        eml(
            "From: bob@example.org",
            "To: support@example.com",
            f"Subject: Re: [#{n}] Where is my order?",
            "Message-ID: <b1@example.org>",
        )
    )
    # Alice quotes one of our Message-IDs that was never stored: its ticket number counts
    inbox.add(
        eml(
            "From: alice@example.org",
            "To: support@example.com",
            "Subject: still nothing",
            "Message-ID: <q9@example.org>",
            f"References: <01XYZ.t{n}@example.com>",
        )
    )
    # Mallory writes with the tag: a stranger opens a ticket of her own
    inbox.add(
        eml(
            "From: mallory@evil.example",
            "To: support@example.com",
            f"Subject: Re: [#{n}] Where is my order?",
            "Message-ID: <m1@evil.example>",
        )
    )
    # no sender at all: rejected (and acknowledged, it can never be taken in)
    inbox.add(eml("To: support@example.com", "Subject: ghost", "Message-ID: <g@x>"))
    report = channel.poll(desk, inbox)
    assert [r.ticket.id == ticket.id for r in report.received] == [True, True, False]
    assert report.received[2].created
    assert len(report.rejected) == 1
    assert "sender" in report.rejected[0][1]
    assert list(inbox.fetch()) == []


def test_mail_without_message_id_is_still_idempotent(mail_desk, tmp_path):
    desk, channel, _ = mail_desk
    raw = eml("From: zhao@example.cn", "To: support@example.com", "Subject: no id")
    first = channel.receive(desk, raw)
    again = channel.receive(desk, raw)
    assert first.message.external_id.startswith("sha256:")
    assert again.duplicate


def test_imap_intake_acknowledges_after_commit(mail_desk):
    desk, channel, _ = mail_desk
    box = FakeMailbox()
    uid = box.add(FIRST)
    with fake_imap_server(box) as port:
        with ImapSource("127.0.0.1", port, "agent", "secret pass", ssl=False) as source:
            report = channel.poll(desk, source)
        assert report.created == 1
        assert "\\Seen" in box.messages[uid][1]
        with ImapSource("127.0.0.1", port, "agent", "secret pass", ssl=False) as source:
            assert list(source.fetch()) == []


class FlakySource:
    """A source whose desk fails once: the message must not be acknowledged."""

    def __init__(self, raw):
        self.raw = raw
        self.acked = []

    def fetch(self):
        yield "k1", self.raw

    def ack(self, key):
        self.acked.append(key)


def test_a_failed_intake_is_not_acknowledged(mail_desk, monkeypatch):
    desk, channel, _ = mail_desk
    source = FlakySource(FIRST)

    def broken(message):
        raise RuntimeError("database is down")

    monkeypatch.setattr(desk, "receive", broken)
    report = channel.poll(desk, source)
    assert source.acked == []
    assert report.failed == [("k1", "RuntimeError: database is down")]
    monkeypatch.undo()
    report = channel.poll(desk, source)
    assert source.acked == ["k1"]
    assert report.created == 1


class Capture:
    def __init__(self):
        self.sent: list[EmailMessage] = []

    def send(self, msg):
        self.sent.append(msg)


def test_replies_to_tickets_from_other_channels_start_a_tagged_thread(helpdesk_clock):
    capture = Capture()
    channel = EmailChannel("support@example.com", capture)
    desk = Helpdesk(clock=helpdesk_clock, plugins=[ChannelPlugin(channel)], load_entrypoints=False)
    customer = desk.add_customer("Li", email="li@example.cn")
    ticket = desk.open_ticket(customer, "发票", "开票", channel="email")
    agent = desk.add_agent("Ann")
    desk.reply(ticket, "好的", author=agent)
    first = parse_email(capture.sent[0].as_bytes())
    assert first.subject == f"[#{ticket.number}] 发票"
    assert first.in_reply_to is None
    desk.reply(ticket, "已开", author=agent)
    second = parse_email(capture.sent[1].as_bytes())
    assert second.in_reply_to == first.message_id
    assert second.subject == f"Re: [#{ticket.number}] 发票"


def test_customer_without_email_gets_delivery_failed(helpdesk_clock):
    channel = EmailChannel("support@example.com", Capture())
    desk = Helpdesk(clock=helpdesk_clock, plugins=[ChannelPlugin(channel)], load_entrypoints=False)
    customer = desk.add_customer("Li", phone="13900000000")
    ticket = desk.open_ticket(customer, "x", "y", channel="email")
    desk.reply(ticket, "hi", author=desk.add_agent("Ann"))
    failed = [e for e in desk.events(ticket) if e.kind == "message.delivery_failed"]
    assert "no email identity" in failed[0].data["error"]
    with pytest.raises(ChannelError):
        channel.send(desk, ticket, desk.messages(ticket)[-1], customer)


def test_unknown_sender_as_note(smtp_server, tmp_path, helpdesk_clock):
    _, port = smtp_server
    channel = EmailChannel("support@example.com", SmtpSender("127.0.0.1", port))
    desk = Helpdesk(
        clock=helpdesk_clock,
        plugins=[ChannelPlugin(channel)],
        settings=DeskSettings(unknown_sender="note"),
        load_entrypoints=False,
    )
    ticket = channel.receive(desk, FIRST).ticket
    stranger = eml(
        "From: eve@evil.example",
        "To: support@example.com",
        f"Subject: Re: [#{ticket.number}] hi",
        "Message-ID: <e1@evil.example>",
    )
    result = channel.receive(desk, stranger)
    assert result.ticket.id == ticket.id
    assert not result.message.public


def test_configuration_from_the_environment():
    env = {
        "HELPDESK_KIT_EMAIL_ADDRESS": "客服 <support@example.com>",
        "HELPDESK_KIT_SMTP_URL": "smtp://me%40x:p%40ss@mail.example.com:2525?starttls=1",
    }
    channel = from_env(env)
    assert channel.address == Address("客服", "support@example.com")
    assert channel.domain == "example.com"
    sender = channel.sender
    assert (sender.host, sender.port, sender.username, sender.starttls) == (
        "mail.example.com",
        2525,
        "me@x",
        True,
    )
    assert smtp_from_url("smtps://mail.example.com").port == 465
    with pytest.raises(PluginError, match="HELPDESK_KIT_SMTP_URL"):
        from_env({"HELPDESK_KIT_EMAIL_ADDRESS": "a@b.c"})
    with pytest.raises(PluginError):
        smtp_from_url("http://x")
    with pytest.raises(InvalidInput):
        EmailChannel("not an address", Capture())
