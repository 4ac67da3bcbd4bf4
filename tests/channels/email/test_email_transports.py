"""Maildir and IMAP sources, SMTP sender: against a real Maildir, a fake IMAP server, aiosmtpd."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from helpdesk_kit.channels.email import Address, parse_email
from helpdesk_kit.channels.email.compose import compose_new, compose_reply
from helpdesk_kit.channels.email.transports import ImapSource, MaildirSource, SmtpSender
from helpdesk_kit.errors import ChannelError, ConfigurationError, InvalidInput

sys.path.insert(0, str(Path(__file__).parent))
from fake_imap import FakeMailbox, fake_imap_server

CORPUS = Path(__file__).parent / "corpus"
US = Address("客服中心", "support@example.com")
WHEN = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


# ----------------------------------------------------------------- Maildir


def test_maildir_redelivers_until_acknowledged(tmp_path: Path) -> None:
    source = MaildirSource(tmp_path / "inbox", create=True)
    raws = [(CORPUS / f"{n}.eml").read_bytes() for n in ("gmail_en_reply", "foxmail_qq_reply")]
    keys = [source.add(raw) for raw in raws]

    first = list(source.fetch())
    assert sorted(k for k, _ in first) == sorted(keys)
    assert sorted(r for _, r in first) == sorted(raws)

    # a crash before acknowledging: a fresh source sees both again
    again = MaildirSource(tmp_path / "inbox")
    fetched = dict(again.fetch())
    assert set(fetched) == set(keys)
    again.ack(keys[0])
    assert [k for k, _ in MaildirSource(tmp_path / "inbox").fetch()] == [keys[1]]
    assert next(iter((tmp_path / "inbox" / "cur").iterdir())).name.endswith(":2,S")
    with pytest.raises(InvalidInput):
        again.ack(keys[0])


def test_maildir_must_exist_unless_created(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        MaildirSource(tmp_path / "missing")


# ----------------------------------------------------------------- IMAP


@pytest.fixture
def imap() -> Iterator[tuple[FakeMailbox, int]]:
    box = FakeMailbox()
    with fake_imap_server(box) as port:
        yield box, port


def test_imap_fetches_unseen_and_flags_after_ack(imap: tuple[FakeMailbox, int]) -> None:
    box, port = imap
    raw1 = (CORPUS / "gmail_zh_reply.eml").read_bytes()
    raw2 = (CORPUS / "attachments_rfc2231.eml").read_bytes()
    u1 = box.add(raw1)
    box.add(b"Subject: old\r\n\r\nalready read\r\n", seen=True)
    u2 = box.add(raw2)

    with ImapSource("127.0.0.1", port, "agent", "secret pass", ssl=False) as source:
        got = list(source.fetch())
        assert [k for k, _ in got] == [str(u1), str(u2)]
        assert got[0][1] == raw1
        assert got[1][1] == raw2
        assert parse_email(got[0][1]).subject == "回复：[#2001] 发票抬头"
        source.ack(str(u1))
    assert "\\Seen" in box.messages[u1][1]
    assert "\\Seen" not in box.messages[u2][1]
    assert any(c.startswith("UID FETCH") and "BODY.PEEK[]" in c for c in box.commands)

    # not acknowledged: delivered again on the next connection
    with ImapSource("127.0.0.1", port, "agent", "secret pass", ssl=False) as source:
        assert [k for k, _ in source.fetch()] == [str(u2)]


def test_imap_bad_login_and_folder(imap: tuple[FakeMailbox, int]) -> None:
    _box, port = imap
    with pytest.raises(ConfigurationError, match="refused"):
        ImapSource("127.0.0.1", port, "agent", "wrong", ssl=False).connect()
    with pytest.raises(ConfigurationError, match="folder"):
        ImapSource("127.0.0.1", port, "agent", "secret pass", ssl=False, folder="Nope").connect()
    with (
        ImapSource("127.0.0.1", port, "agent", "secret pass", ssl=False) as source,
        pytest.raises(InvalidInput),
    ):
        source.ack("not-a-uid")


def test_imap_unreachable_server() -> None:
    with pytest.raises(ConfigurationError):
        ImapSource("127.0.0.1", _free_port(), "a", "b", ssl=False, timeout=2).connect()


# ----------------------------------------------------------------- SMTP


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Handler:
    def __init__(self) -> None:
        self.received: list[Any] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.startswith("refuse"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(envelope)
        return "250 Message accepted"


@pytest.fixture
def smtpd() -> Iterator[tuple[_Handler, int]]:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    def authenticator(
        server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == b"desk"
            and auth_data.password == b"pw"
        )
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535

    handler = _Handler()
    port = _free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def test_smtp_sends_threaded_reply(smtpd: tuple[_Handler, int]) -> None:
    handler, port = smtpd
    parent = parse_email((CORPUS / "gmail_en_reply.eml").read_bytes())
    msg = compose_reply(
        parent,
        from_addr=US,
        text="您好，包裹明天到。\nThanks for waiting.",
        domain="example.com",
        date=WHEN,
        cc=[Address("", "team@example.com")],
    )
    SmtpSender("127.0.0.1", port).send(msg)

    assert len(handler.received) == 1
    envelope = handler.received[0]
    assert envelope.mail_from == "support@example.com"
    assert sorted(envelope.rcpt_tos) == ["alice.chen@gmail.com", "team@example.com"]
    got = parse_email(envelope.original_content or envelope.content)
    assert got.subject == "Re: [#1042] Where is my order?"
    assert got.ticket_number == 1042
    assert got.message_id == msg["Message-ID"].strip("<>")
    assert got.message_id is not None
    assert got.message_id.endswith(".t1042@example.com")
    assert got.in_reply_to == "CAH+w=7Yx1QbB3@mail.gmail.com"
    assert got.references == [
        "CAH+w=7Ya0@mail.gmail.com",
        "01J9ZKQ8.t1042@example.com",
        "CAH+w=7Yx1QbB3@mail.gmail.com",
    ]
    assert got.text == "您好，包裹明天到。\nThanks for waiting.\n"
    assert got.is_loop  # our own loop header is on it


def test_smtp_login_and_refusals(smtpd: tuple[_Handler, int]) -> None:
    handler, port = smtpd
    msg = compose_new(
        from_addr=US,
        to=[Address("", "cust@example.org")],
        subject="Hi",
        text="x",
        domain="example.com",
        date=WHEN,
    )
    SmtpSender("127.0.0.1", port, username="desk", password="pw").send(msg)
    assert len(handler.received) == 1
    with pytest.raises(ConfigurationError, match="refused"):
        SmtpSender("127.0.0.1", port, username="desk", password="bad").send(msg)

    nobody = compose_new(
        from_addr=US,
        to=[Address("", "refuse@example.org")],
        subject="Hi",
        text="x",
        domain="example.com",
        date=WHEN,
    )
    with pytest.raises(ChannelError, match="refused every recipient"):
        SmtpSender("127.0.0.1", port).send(nobody)
    some = compose_new(
        from_addr=US,
        to=[Address("", "refuse@example.org"), Address("", "ok@example.org")],
        subject="Hi",
        text="x",
        domain="example.com",
        date=WHEN,
    )
    with pytest.raises(ChannelError, match="refused some"):
        SmtpSender("127.0.0.1", port).send(some)
    assert handler.received[-1].rcpt_tos == ["ok@example.org"]


def test_smtp_bad_settings() -> None:
    with pytest.raises(InvalidInput):
        SmtpSender("h", 25, starttls=True, ssl=True)
    with pytest.raises(InvalidInput):
        SmtpSender("h", 25, username="u")
    with pytest.raises(ConfigurationError):
        SmtpSender("127.0.0.1", _free_port(), timeout=2).send(
            compose_new(
                from_addr=US, to=[US], subject="s", text="t", domain="example.com", date=WHEN
            )
        )


def test_maildir_create_on_an_existing_empty_folder(tmp_path):
    from helpdesk_kit.channels.email import MaildirSource

    folder = tmp_path / "support"
    folder.mkdir()
    source = MaildirSource(folder, create=True)
    assert list(source.fetch()) == []
    assert all((folder / sub).is_dir() for sub in ("tmp", "new", "cur"))
