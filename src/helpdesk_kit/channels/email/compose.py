"""Outbound mail: replies that thread in every client, and new agent-initiated messages."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from email import headerregistry, message_from_bytes
from email.header import Header
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime

from helpdesk_kit.channels.email.detect import LOOP_HEADER
from helpdesk_kit.channels.email.model import Address, Attachment, ParsedEmail
from helpdesk_kit.errors import InvalidInput
from helpdesk_kit.ids import new_id

__all__ = [
    "DEFAULT_MAX_REFERENCES",
    "build_references",
    "compose_new",
    "compose_reply",
    "make_message_id",
    "reply_subject",
    "tag_subject",
    "ticket_number_from_message_ids",
]

#: References keeps the thread's root and the most recent ids, up to this many.
DEFAULT_MAX_REFERENCES = 20

_REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|aw|sv|vs|antw|ynt|回复|回覆|答复|答覆)\s*(?:\[\d+\]|\(\d+\)|\^\d+)?\s*[:：]\s*)+",
    re.IGNORECASE,
)
_DOMAIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.?)*[A-Za-z0-9]$|^[A-Za-z0-9]$")
_OUR_ID = re.compile(r"\.t(\d{1,12})@(.+)$")
_CRLF = re.compile(r"[\r\n\x00]+")


def _tag(number: int) -> str:
    return f"[#{number}]"


def _clean_line(value: str) -> str:
    return _CRLF.sub(" ", value).strip()


def tag_subject(subject: str, ticket_number: int | None) -> str:
    """Put ``[#N]`` in front of a subject unless it already carries that tag."""
    subject = _clean_line(subject)
    if ticket_number is None:
        return subject
    tag = _tag(ticket_number)
    if re.search(r"\[\s*#\s*" + str(ticket_number) + r"\s*\]", subject):
        return subject
    return f"{tag} {subject}".strip()


def reply_subject(subject: str, ticket_number: int | None) -> str:
    """``Re: Re: [#1042] Order`` -> ``Re: [#1042] Order``: one prefix, one tag."""
    base = _clean_line(subject)
    tag_re = re.compile(r"\[\s*#\s*" + str(ticket_number) + r"\s*\]") if ticket_number else None
    while True:
        before = base
        base = _REPLY_PREFIX.sub("", base)
        if tag_re is not None:
            stripped = tag_re.sub("", base, count=1).strip()
            if stripped != base and tag_re.match(base.lstrip()):
                base = stripped
        if base == before:
            break
    if tag_re is not None:
        base = tag_re.sub("", base).strip()
        base = re.sub(r"\s{2,}", " ", base)
    head = f"Re: {_tag(ticket_number)}" if ticket_number is not None else "Re:"
    return f"{head} {base}".rstrip()


def _check_domain(domain: str) -> str:
    domain = domain.strip().lower()
    if not domain or not domain.isascii() or not _DOMAIN.match(domain):
        raise InvalidInput(f"not a mail domain: {domain!r} (expected e.g. 'support.example.com')")
    return domain


def make_message_id(domain: str, *, ticket_number: int | None = None) -> str:
    """Return a new Message-ID (without brackets) in ``domain``; it carries the ticket number.

    ``ticket_number_from_message_ids`` reads the number back, so a reply whose
    subject lost its ``[#N]`` tag still threads into its ticket.
    """
    domain = _check_domain(domain)
    suffix = f".t{ticket_number}" if ticket_number is not None else ""
    return f"{new_id()}{suffix}@{domain}"


def ticket_number_from_message_ids(ids: Iterable[str], domain: str) -> int | None:
    """Return the ticket number from the newest of our own ids among ``ids``, or None."""
    domain = domain.strip().lower()
    for mid in reversed(list(ids)):
        match = _OUR_ID.search(mid)
        if match and match.group(2).lower() == domain:
            return int(match.group(1))
    return None


def build_references(parent: ParsedEmail, *, limit: int = DEFAULT_MAX_REFERENCES) -> list[str]:
    """References for a reply to ``parent``: its References (or In-Reply-To) plus its id.

    Longer chains keep the root and the ``limit - 1`` newest ids (RFC 5322 §3.6.4).
    """
    if limit < 2:
        raise InvalidInput(f"the References limit must be at least 2, got {limit}")
    chain = list(parent.references)
    if not chain and parent.in_reply_to:
        chain = [parent.in_reply_to]
    if parent.message_id:
        chain.append(parent.message_id)
    seen: set[str] = set()
    unique: list[str] = []
    for mid in chain:
        if mid and mid not in seen:
            seen.add(mid)
            unique.append(mid)
    if len(unique) > limit:
        unique = [unique[0], *unique[-(limit - 1) :]]
    return unique


def _mailbox(addr: Address, role: str) -> headerregistry.Address:
    email = addr.email
    if "@" not in email or any(c in email for c in ' \t\r\n<>,;"()'):
        raise InvalidInput(f"{role} address {email!r} is not a valid mail address")
    try:
        return headerregistry.Address(display_name=_clean_line(addr.name), addr_spec=email)
    except (ValueError, IndexError, TypeError) as exc:
        raise InvalidInput(f"{role} address {email!r} is not a valid mail address: {exc}") from exc


def _set_addresses(msg: EmailMessage, header: str, addrs: Sequence[Address], role: str) -> None:
    mailboxes = [_mailbox(a, role) for a in addrs]
    if all(m.display_name.isascii() for m in mailboxes):
        msg[header] = tuple(mailboxes)
        return
    # policy.default's folder drops a space that falls between two encoded words
    # ("李 : )" comes back as "李: )"); the compat32 encoder keeps spaces inside the
    # words, so store each non-ASCII display name encoded that way.
    parts = [str(m) if m.display_name.isascii() else _encoded(m, header) for m in mailboxes]
    msg.set_raw(header, ",\n ".join(parts))


def _encoded(mailbox: headerregistry.Address, header: str) -> str:
    name = Header(mailbox.display_name, "utf-8", header_name=header).encode(linesep="\n")
    return f"{name} <{mailbox.addr_spec}>"


def _text_cte(text: str) -> str:
    lines = text.splitlines()
    longest = max((len(line) for line in lines), default=0)
    if text.isascii():
        return "7bit" if longest <= 78 else "quoted-printable"
    wide = sum(1 for c in text if ord(c) > 127)
    return "base64" if wide * 3 > len(text) else "quoted-printable"


def _split_type(content_type: str) -> tuple[str, str]:
    main, sep, sub = content_type.strip().lower().partition("/")
    if not sep or not main or not sub or " " in content_type.strip():
        return "application", "octet-stream"
    return main, sub.split(";", 1)[0].strip()


def _add_attachments(
    msg: EmailMessage, html_part: EmailMessage | None, attachments: Sequence[Attachment]
) -> None:
    for att in attachments:
        if not isinstance(att, Attachment):
            raise InvalidInput(f"attachments must be Attachment values, got {type(att).__name__}")
        maintype, subtype = _split_type(att.content_type)
        filename = _clean_line(att.filename) or "attachment.bin"
        if (maintype, subtype) == ("message", "rfc822"):
            inner = message_from_bytes(att.content, policy=default_policy)
            cte = "7bit" if att.content.isascii() else "8bit"
            msg.add_attachment(inner, filename=filename, cte=cte)
            continue
        if maintype in ("multipart", "message"):
            # the content manager sets only message/rfc822 from bytes; send others as files
            maintype, subtype = ("application", "octet-stream")
        cid = f"<{att.content_id}>" if att.content_id else None
        if att.inline and cid and html_part is not None:
            html_part.add_related(
                att.content, maintype, subtype, cid=cid, filename=filename, disposition="inline"
            )
        else:
            msg.add_attachment(
                att.content,
                maintype,
                subtype,
                filename=filename,
                cid=cid,
                disposition="inline" if att.inline else "attachment",
            )


def _build(
    *,
    from_addr: Address,
    to: Sequence[Address],
    cc: Sequence[Address],
    reply_to: Sequence[Address],
    subject: str,
    text: str,
    html: str | None,
    attachments: Sequence[Attachment],
    domain: str,
    date: datetime,
    message_id: str | None,
    ticket_number: int | None,
    in_reply_to: str | None,
    references: Sequence[str],
    auto: str | None,
    loop_token: str | None,
    extra_headers: Mapping[str, str],
) -> EmailMessage:
    domain = _check_domain(domain)
    if date.tzinfo is None or date.utcoffset() is None:
        raise InvalidInput("date must be timezone-aware (e.g. clock.now())")
    if not to:
        raise InvalidInput("a message needs at least one To address")
    if not isinstance(text, str):
        raise InvalidInput(f"text must be a str, got {type(text).__name__}")
    msg = EmailMessage(policy=default_policy)
    _set_addresses(msg, "From", [from_addr], "From")
    _set_addresses(msg, "To", to, "To")
    if cc:
        _set_addresses(msg, "Cc", cc, "Cc")
    if reply_to:
        _set_addresses(msg, "Reply-To", reply_to, "Reply-To")
    subject_line = _clean_line(subject)
    if subject_line.isascii():
        msg["Subject"] = subject_line
    else:
        # policy.default's folder drops a space that falls between two encoded
        # words; the compat32 encoder keeps it inside the words, so store that.
        msg.set_raw(
            "Subject", Header(subject_line, "utf-8", header_name="Subject").encode(linesep="\n")
        )
    msg["Date"] = format_datetime(date)
    mid = (
        message_id.strip("<> ")
        if message_id
        else make_message_id(domain, ticket_number=ticket_number)
    )
    if not mid or "@" not in mid or _CRLF.search(mid) or " " in mid:
        raise InvalidInput(f"not a message id: {message_id!r}")
    msg["Message-ID"] = f"<{mid}>"
    if in_reply_to:
        msg["In-Reply-To"] = f"<{in_reply_to}>"
    if references:
        msg["References"] = " ".join(f"<{r}>" for r in references)
    if auto:
        msg["Auto-Submitted"] = auto
        msg["X-Auto-Response-Suppress"] = "All"
    msg[LOOP_HEADER] = _clean_line(loop_token or domain)
    for name, value in extra_headers.items():
        if not re.fullmatch(r"[!-9;-~]+", name) or _CRLF.search(value):
            raise InvalidInput(f"bad extra header {name!r}: names are ASCII, values one line")
        msg[name] = value
    msg.set_content(text.replace("\r\n", "\n"), subtype="plain", cte=_text_cte(text))
    html_part: EmailMessage | None = None
    if html is not None:
        msg.add_alternative(html.replace("\r\n", "\n"), subtype="html", cte=_text_cte(html))
        payload = msg.get_payload()
        if isinstance(payload, list) and isinstance(payload[-1], EmailMessage):
            html_part = payload[-1]
    _add_attachments(msg, html_part, attachments)
    return msg


def compose_reply(
    parent: ParsedEmail,
    *,
    from_addr: Address,
    text: str,
    domain: str,
    date: datetime,
    ticket_number: int | None = None,
    to: Sequence[Address] | None = None,
    cc: Sequence[Address] = (),
    html: str | None = None,
    attachments: Sequence[Attachment] = (),
    auto: bool = False,
    subject: str | None = None,
    message_id: str | None = None,
    loop_token: str | None = None,
    max_references: int = DEFAULT_MAX_REFERENCES,
    extra_headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    """Build the reply to ``parent`` as an :class:`email.message.EmailMessage`.

    To defaults to the parent's Reply-To, else its sender. The subject gets one
    ``Re:`` and one ``[#ticket_number]``; In-Reply-To and References thread it;
    a new Message-ID is made in ``domain`` unless ``message_id`` is given.
    ``auto=True`` marks an automatic answer (``Auto-Submitted: auto-replied``).
    """
    if not isinstance(parent, ParsedEmail):
        raise InvalidInput(f"parent must be a ParsedEmail, got {type(parent).__name__}")
    if ticket_number is None:
        ticket_number = parent.ticket_number
    if to is None:
        to = list(parent.reply_to) or ([parent.sender] if parent.sender else [])
    return _build(
        from_addr=from_addr,
        to=to,
        cc=cc,
        reply_to=(),
        subject=reply_subject(subject if subject is not None else parent.subject, ticket_number),
        text=text,
        html=html,
        attachments=attachments,
        domain=domain,
        date=date,
        message_id=message_id,
        ticket_number=ticket_number,
        in_reply_to=parent.message_id,
        references=build_references(parent, limit=max_references),
        auto="auto-replied" if auto else None,
        loop_token=loop_token,
        extra_headers=extra_headers or {},
    )


def compose_new(
    *,
    from_addr: Address,
    to: Sequence[Address],
    subject: str,
    text: str,
    domain: str,
    date: datetime,
    ticket_number: int | None = None,
    cc: Sequence[Address] = (),
    reply_to: Sequence[Address] = (),
    html: str | None = None,
    attachments: Sequence[Attachment] = (),
    auto: bool = False,
    message_id: str | None = None,
    loop_token: str | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    """Build a new (agent-initiated or notification) message, tagged with ``[#ticket_number]``.

    ``auto=True`` marks a machine-made notice (``Auto-Submitted: auto-generated``).
    """
    return _build(
        from_addr=from_addr,
        to=to,
        cc=cc,
        reply_to=reply_to,
        subject=tag_subject(subject, ticket_number),
        text=text,
        html=html,
        attachments=attachments,
        domain=domain,
        date=date,
        message_id=message_id,
        ticket_number=ticket_number,
        in_reply_to=None,
        references=(),
        auto="auto-generated" if auto else None,
        loop_token=loop_token,
        extra_headers=extra_headers or {},
    )
