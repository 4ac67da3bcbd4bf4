"""The email channel: parsing, reply extraction, detection, composing, transports, and the
:class:`EmailChannel` plugin that threads mail into tickets."""

from __future__ import annotations

from helpdesk_kit.channels.email.channel import EmailChannel, MailSender
from helpdesk_kit.channels.email.compose import (
    DEFAULT_MAX_REFERENCES,
    build_references,
    compose_new,
    compose_reply,
    make_message_id,
    reply_subject,
    tag_subject,
    ticket_number_from_message_ids,
)
from helpdesk_kit.channels.email.detect import (
    DEFAULT_MAX_RECEIVED,
    LOOP_HEADER,
    Classification,
    classify,
    is_auto_reply_subject,
    is_bounce_subject,
    may_auto_reply,
    should_open_ticket,
)
from helpdesk_kit.channels.email.headers import decode_header, parse_address_list
from helpdesk_kit.channels.email.htmltext import html_to_text
from helpdesk_kit.channels.email.model import Address, Attachment, ParsedEmail
from helpdesk_kit.channels.email.parse import find_ticket_number, parse_email
from helpdesk_kit.channels.email.quotes import extract_reply
from helpdesk_kit.channels.email.transports import (
    ImapSource,
    MaildirSource,
    MailSource,
    SmtpSender,
)

__all__ = [
    "DEFAULT_MAX_RECEIVED",
    "DEFAULT_MAX_REFERENCES",
    "LOOP_HEADER",
    "Address",
    "Attachment",
    "Classification",
    "EmailChannel",
    "ImapSource",
    "MailSender",
    "MailSource",
    "MaildirSource",
    "ParsedEmail",
    "SmtpSender",
    "build_references",
    "classify",
    "compose_new",
    "compose_reply",
    "decode_header",
    "extract_reply",
    "find_ticket_number",
    "html_to_text",
    "is_auto_reply_subject",
    "is_bounce_subject",
    "make_message_id",
    "may_auto_reply",
    "parse_address_list",
    "parse_email",
    "reply_subject",
    "should_open_ticket",
    "tag_subject",
    "ticket_number_from_message_ids",
]
