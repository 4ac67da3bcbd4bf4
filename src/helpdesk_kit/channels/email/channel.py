"""The e-mail channel plugin: mail in through a Maildir or IMAP, replies out through SMTP.

Inbound, each message is parsed (:func:`parse_email`) and turned into an
:class:`~helpdesk_kit.tickets.model.InboundMessage`: the sender's address is the customer's
identity, To/Cc people become the ticket's participants, In-Reply-To/References thread it,
a ``[#1042]`` in the subject (or in one of our own Message-IDs it quotes) names the ticket,
and auto-replies, bounces and loops are marked automatic (they never open a ticket and
never get an answer). Outbound, a public reply becomes a message with our Message-ID
(which carries the ticket number), In-Reply-To the customer's last message, References
the thread, and ``Re: [#1042]`` in the subject; the Message-ID is returned to the desk,
which keeps it on the reply so the customer's answer threads back.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any, Protocol

from helpdesk_kit.channels.base import (
    AttachmentStore,
    Capability,
    IntakeReport,
    handle_of,
    store_attachment,
)
from helpdesk_kit.channels.email.compose import (
    DEFAULT_MAX_REFERENCES,
    compose_new,
    compose_reply,
    ticket_number_from_message_ids,
)
from helpdesk_kit.channels.email.detect import may_auto_reply, should_open_ticket
from helpdesk_kit.channels.email.headers import parse_address_list
from helpdesk_kit.channels.email.model import Address, Attachment, ParsedEmail
from helpdesk_kit.channels.email.parse import parse_email
from helpdesk_kit.channels.email.transports import MailSource
from helpdesk_kit.errors import ChannelError, InvalidInput, NotFound
from helpdesk_kit.tickets.model import (
    Actor,
    AuthorKind,
    Customer,
    Identity,
    InboundMessage,
    Message,
    Ticket,
)

if TYPE_CHECKING:
    from helpdesk_kit.desk import Helpdesk, ReceiveResult

__all__ = ["Acknowledgement", "EmailChannel", "MailSender"]

log = logging.getLogger("helpdesk_kit.channels.email")

#: ``acknowledgement(desk, ticket) -> text`` of the automatic answer to a new ticket.
Acknowledgement = Callable[["Helpdesk", Ticket], str]

_MSGID = re.compile(r"^[^\s<>@]+@[^\s<>@]+$")


class MailSender(Protocol):
    """Anything that sends a composed message (:class:`SmtpSender`, a fake in tests)."""

    def send(self, msg: EmailMessage) -> None:
        """Send ``msg`` to its recipients or raise ``ChannelError``."""
        ...


def _address(value: Address | str) -> Address:
    if isinstance(value, Address):
        return value
    found = parse_address_list(value)
    if len(found) != 1 or "@" not in found[0].email:
        raise InvalidInput(f"not one mail address: {value!r} (expected 'Name <box@domain>')")
    return found[0]


class EmailChannel:
    """The ``email`` channel: parse and take in mail; send replies that thread.

    ``address`` is the support mailbox (``"客服中心 <support@example.com>"``), ``sender``
    sends composed mail (an :class:`SmtpSender`). ``domain`` (default: the address's)
    names our Message-IDs; ``aliases`` are further addresses of ours (never customers,
    never CC'd back). ``acknowledgement`` — a text (``{ref}`` and ``{subject}`` are filled
    in) or ``fn(desk, ticket) -> str`` — is sent automatically to a new ticket when RFC 3834
    allows it. ``attachment_store`` keeps the bytes of received files (and provides them for
    replies); without one only their metadata is kept.
    """

    capabilities = frozenset({Capability.HTML, Capability.ATTACHMENTS, Capability.THREADING})

    def __init__(
        self,
        address: Address | str,
        sender: MailSender,
        *,
        domain: str | None = None,
        aliases: Iterable[Address | str] = (),
        acknowledgement: str | Acknowledgement | None = None,
        attachment_store: AttachmentStore | None = None,
        name: str = "email",
        loop_token: str | None = None,
        max_references: int = DEFAULT_MAX_REFERENCES,
    ) -> None:
        self.address = _address(address)
        self.sender = sender
        self.domain = (domain or self.address.domain).lower()
        if not self.domain:
            raise InvalidInput(f"cannot tell the mail domain of {self.address.email!r}")
        self.aliases = [_address(a) for a in aliases]
        self.acknowledgement = acknowledgement
        self.attachment_store = attachment_store
        self.name = name
        self.loop_token = loop_token
        self.max_references = max_references

    def __repr__(self) -> str:
        return f"EmailChannel({str(self.address)!r}, domain={self.domain!r})"

    @property
    def our_addresses(self) -> list[Address]:
        """The support address and its aliases."""
        return [self.address, *self.aliases]

    def _is_ours(self, email: str) -> bool:
        return email.lower() in {a.email.lower() for a in self.our_addresses}

    # ------------------------------------------------------------------ inbound

    def to_inbound(self, m: ParsedEmail, raw: bytes | None = None) -> InboundMessage:
        """The desk's view of a parsed message (``InvalidInput`` when it has no usable sender).

        Text: the new part of a reply (``reply_text``) when the message answers something,
        else the whole text. A message without a Message-ID gets ``sha256:<hash of raw>``
        so a re-delivery is still recognised.
        """
        if m.sender is None or "@" not in m.sender.email:
            raise InvalidInput("the message has no sender address (From)")
        sender = Identity("email", m.sender.email)
        cc: list[Identity] = []
        for addr in [*m.to, *m.cc]:
            if "@" not in addr.email or self._is_ours(addr.email):
                continue
            try:
                ident = Identity("email", addr.email)
            except InvalidInput:
                continue
            if ident != sender:
                cc.append(ident)
        thread_ids = m.thread_ids
        number = m.ticket_number or ticket_number_from_message_ids(thread_ids, self.domain)
        answers = bool(thread_ids or number)
        text = (m.reply_text if answers and m.reply_text.strip() else m.text).rstrip()
        attachments = tuple(
            store_attachment(
                self.attachment_store,
                a.filename,
                a.content_type,
                a.content,
                inline=a.inline,
                content_id=a.content_id,
            )
            for a in m.attachments
        )
        automatic = not should_open_ticket(m, our_addresses=self.our_addresses)
        return InboundMessage(
            channel=self.name,
            sender=sender,
            text=text,
            subject=m.subject,
            sender_name=m.sender.name,
            html=m.html,
            attachments=attachments,
            external_id=m.message_id or _content_id(raw, m),
            received_at=m.date,
            thread_refs=thread_ids,
            ticket_number=number,
            cc=cc,
            is_automatic=automatic,
            metadata={
                "may_auto_reply": may_auto_reply(m, our_addresses=self.our_addresses),
                "is_bounce": m.is_bounce,
                "is_auto_reply": m.is_auto_reply,
                "is_loop": m.is_loop,
                "defects": list(m.defects),
            },
        )

    def receive(self, desk: Helpdesk, raw: bytes) -> ReceiveResult:
        """Parse ``raw`` and take it in; acknowledge a new ticket when that is allowed."""
        parsed = parse_email(raw)
        inbound = self.to_inbound(parsed, raw)
        result = desk.receive(inbound)
        if result.created and result.ticket is not None and inbound.metadata["may_auto_reply"]:
            self._acknowledge(desk, result.ticket)
        return result

    def poll(self, desk: Helpdesk, source: MailSource, *, limit: int | None = None) -> IntakeReport:
        """Take in every waiting message of ``source`` (a Maildir or IMAP folder).

        A message is acknowledged to the source only after the desk committed it, so a crash
        re-delivers it and the Message-ID makes the second delivery a no-op. Mail that can
        never be taken in (no sender) is acknowledged and reported as rejected; other
        failures are reported and left for the next poll.
        """
        report = IntakeReport()
        for count, (key, raw) in enumerate(source.fetch()):
            if limit is not None and count >= limit:
                break
            try:
                result = self.receive(desk, raw)
            except InvalidInput as exc:
                log.warning("mail %s rejected: %s", key, exc)
                report.rejected.append((key, str(exc)))
                source.ack(key)
                continue
            except Exception as exc:
                log.exception("mail %s could not be taken in", key)
                report.failed.append((key, f"{type(exc).__name__}: {exc}"))
                continue
            source.ack(key)
            report.received.append(result)
        return report

    def _acknowledge(self, desk: Helpdesk, ticket: Ticket) -> None:
        ack = self.acknowledgement
        if ack is None:
            return
        if callable(ack):
            text = ack(desk, ticket)
        else:
            text = ack.format(ref=ticket.ref, subject=ticket.subject, number=ticket.number)
        if text:
            desk.reply(ticket, text, author=Actor.system())

    # ------------------------------------------------------------------ outbound

    def send(self, desk: Helpdesk, ticket: Ticket, message: Message, customer: Customer) -> str:
        """Mail a public reply to the customer (participants in Cc); return its Message-ID."""
        to = Address(customer.name, handle_of(customer, "email", self.name))
        history = [m for m in desk.messages(ticket, include_notes=False) if m.id != message.id]
        thread = self._thread_ids(history)
        parent = self._parent(history)
        cc = self._cc(ticket, to)
        attachments = self._attachments(message)
        auto = message.author_kind in (AuthorKind.SYSTEM, AuthorKind.BOT)
        common: dict[str, Any] = {
            "from_addr": self.address,
            "text": message.text,
            "html": message.html,
            "attachments": attachments,
            "domain": self.domain,
            "date": desk.now(),
            "ticket_number": ticket.number,
            "cc": cc,
            "auto": auto,
            "loop_token": self.loop_token,
        }
        if thread:
            in_reply_to = parent or thread[-1]
            synthetic = ParsedEmail(
                subject=ticket.subject,
                sender=to,
                message_id=in_reply_to,
                references=[i for i in thread if i != in_reply_to],
            )
            msg = compose_reply(synthetic, to=[to], max_references=self.max_references, **common)
        else:
            msg = compose_new(to=[to], subject=ticket.subject, **common)
        self.sender.send(msg)
        return str(msg["Message-ID"]).strip().strip("<>")

    def _thread_ids(self, history: Sequence[Message]) -> list[str]:
        """Ids of the mail of this conversation, oldest first: theirs and ours."""
        ours = "@" + self.domain
        out: list[str] = []
        for m in history:
            ext = m.external_id
            if not ext or not _MSGID.match(ext) or ext in out:
                continue
            if m.channel == self.name or (
                m.author_kind is not AuthorKind.CUSTOMER and ext.lower().endswith(ours)
            ):
                out.append(ext)
        return out

    def _parent(self, history: Sequence[Message]) -> str | None:
        """The customer's newest mail: what the reply answers."""
        for m in reversed(history):
            if (
                m.author_kind is AuthorKind.CUSTOMER
                and m.channel == self.name
                and m.external_id
                and _MSGID.match(m.external_id)
            ):
                return m.external_id
        return None

    def _cc(self, ticket: Ticket, to: Address) -> list[Address]:
        out: list[Address] = []
        for ident in sorted(ticket.participants):
            kind, _, value = ident.partition(":")
            if kind != "email" or not value or value == to.email.lower() or self._is_ours(value):
                continue
            out.append(Address("", value))
        return out

    def _attachments(self, message: Message) -> list[Attachment]:
        files: list[Attachment] = []
        for meta in message.attachments:
            if meta.url is None or self.attachment_store is None:
                raise ChannelError(
                    f"attachment {meta.filename!r} cannot be mailed: "
                    + (
                        "it has no URL"
                        if meta.url is None
                        else "the e-mail channel has no attachment_store to read it from"
                    )
                )
            try:
                content = self.attachment_store.load(meta.url)
            except NotFound as exc:
                raise ChannelError(f"attachment {meta.filename!r} is gone: {exc}") from exc
            files.append(
                Attachment(
                    filename=meta.filename,
                    content_type=meta.content_type,
                    content=content,
                    inline=meta.inline,
                    content_id=meta.content_id,
                )
            )
        return files


def _content_id(raw: bytes | None, m: ParsedEmail) -> str:
    """A stable id for a message without Message-ID: the hash of its bytes."""
    if raw is None:
        raw = "\n".join([f"{n}: {v}" for n, v in m.headers] + [m.text]).encode(
            "utf-8", "surrogatepass"
        )
    return "sha256:" + hashlib.sha256(raw).hexdigest()
