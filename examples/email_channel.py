"""The email channel end to end, on this machine only.

Mail arrives in a Maildir; each message is parsed, classified, acknowledged,
and answered through a local SMTP server (aiosmtpd) when RFC 3834 allows it.

    PYTHONPATH=src python examples/email_channel.py
"""

from __future__ import annotations

import socket
import tempfile
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from helpdesk_kit.channels.email import (
    Address,
    MaildirSource,
    SmtpSender,
    compose_reply,
    may_auto_reply,
    parse_email,
    should_open_ticket,
)

DESK = Address("客服中心", "support@example.com")

CUSTOMER_MAIL = b"""\
From: Alice Chen <alice@example.org>
To: support@example.com
Subject: Where is my order?
Message-ID: <q1@example.org>
Date: Mon, 2 Nov 2026 10:15:00 +0800
Content-Type: text/plain; charset=utf-8

My order A123 has not arrived yet.

--\x20
Alice
"""

OUT_OF_OFFICE = b"""\
From: Bob <bob@example.org>
To: support@example.com
Subject: Automatic reply: [#7] Your refund
Auto-Submitted: auto-replied
Message-ID: <oof@example.org>

I am away until Monday.
"""


class Outbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def acknowledgement(m: Any, number: int) -> EmailMessage:
    """The automatic first answer to a new ticket."""
    return compose_reply(
        m,
        from_addr=DESK,
        text=f"We have your request (ticket #{number}) and will answer within 4 working hours.",
        domain="example.com",
        date=datetime.now(UTC),
        ticket_number=number,
        auto=True,
    )


def main() -> None:
    from aiosmtpd.controller import Controller

    outbox = Outbox()
    port = free_port()
    controller = Controller(outbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            inbox = MaildirSource(Path(tmp) / "support", create=True)
            inbox.add(CUSTOMER_MAIL)
            inbox.add(OUT_OF_OFFICE)
            sender = SmtpSender("127.0.0.1", port)
            next_ticket = 1042
            for key, raw in inbox.fetch():
                m = parse_email(raw)
                opens = should_open_ticket(m, our_addresses=[DESK])
                print(f"{m.subject!r}: open ticket={opens}, reply text={m.reply_text!r}")
                if opens and may_auto_reply(m, our_addresses=[DESK]):
                    sender.send(acknowledgement(m, next_ticket))
                    next_ticket += 1
                inbox.ack(key)
            assert list(inbox.fetch()) == []
    finally:
        controller.stop()
    for raw in outbox.messages:
        sent = parse_email(raw)
        print(f"sent {sent.subject!r} to {sent.to[0].email}, in reply to {sent.in_reply_to}")


if __name__ == "__main__":
    main()
