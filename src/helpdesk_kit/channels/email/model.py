"""The values the email channel works with: addresses, attachments and parsed messages."""

from __future__ import annotations

from datetime import datetime

import attrs

__all__ = ["Address", "Attachment", "ParsedEmail"]


def _normalize_email(value: str) -> str:
    """Strip an address and lowercase its domain (the local part is case-sensitive)."""
    value = value.strip()
    at = value.rfind("@")
    if at < 0:
        return value
    return value[:at] + "@" + value[at + 1 :].lower()


@attrs.frozen
class Address:
    """A mailbox: display name and address, the domain in lowercase."""

    name: str = attrs.field(converter=str)
    email: str = attrs.field(converter=_normalize_email)

    def __str__(self) -> str:
        if self.name:
            return f"{self.name} <{self.email}>"
        return self.email

    @property
    def local_part(self) -> str:
        """The part before the last ``@`` (the whole address when there is none)."""
        at = self.email.rfind("@")
        return self.email if at < 0 else self.email[:at]

    @property
    def domain(self) -> str:
        """The part after the last ``@``, lowercase ("" when there is none)."""
        at = self.email.rfind("@")
        return "" if at < 0 else self.email[at + 1 :]


@attrs.frozen
class Attachment:
    """A file carried by a message (or to be sent with one)."""

    filename: str
    content_type: str
    content: bytes = attrs.field(repr=False)
    inline: bool = False
    content_id: str | None = None

    @property
    def size(self) -> int:
        """The size of the decoded content in bytes."""
        return len(self.content)


@attrs.frozen
class ParsedEmail:
    """One inbound message, decoded and normalized; built by :func:`parse_email`."""

    subject: str = ""
    sender: Address | None = None
    reply_to: list[Address] = attrs.Factory(list)
    to: list[Address] = attrs.Factory(list)
    cc: list[Address] = attrs.Factory(list)
    message_id: str | None = None
    in_reply_to: str | None = None
    references: list[str] = attrs.Factory(list)
    date: datetime | None = None
    text: str = ""
    html: str | None = None
    reply_text: str = ""
    attachments: list[Attachment] = attrs.Factory(list)
    is_auto_reply: bool = False
    is_bounce: bool = False
    is_loop: bool = False
    is_list: bool = False
    auto_submitted: str | None = None
    bounce_recipients: list[str] = attrs.Factory(list)
    ticket_number: int | None = None
    return_path: str | None = None
    hops: int = 0
    suppress_auto_reply: bool = False
    headers: tuple[tuple[str, str], ...] = ()
    defects: list[str] = attrs.Factory(list)

    @property
    def thread_ids(self) -> list[str]:
        """In-Reply-To then References, without duplicates: the ids to thread by."""
        seen: set[str] = set()
        out: list[str] = []
        for mid in ([self.in_reply_to] if self.in_reply_to else []) + self.references:
            if mid not in seen:
                seen.add(mid)
                out.append(mid)
        return out

    def header(self, name: str) -> str | None:
        """Return the first header called ``name`` (any case), RFC 2047 decoded, or None."""
        from helpdesk_kit.channels.email.headers import decode_header

        key = name.lower()
        for hname, value in self.headers:
            if hname.lower() == key:
                return decode_header(value)
        return None

    def header_all(self, name: str) -> list[str]:
        """Return every header called ``name`` (any case), RFC 2047 decoded, in order."""
        from helpdesk_kit.channels.email.headers import decode_header

        key = name.lower()
        return [decode_header(v) for n, v in self.headers if n.lower() == key]
