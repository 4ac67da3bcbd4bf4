"""The phone channel: call records, voicemail and callback requests as tickets; SMS replies."""

from __future__ import annotations

from helpdesk_kit.channels.phone.channel import PhoneChannel, SmsSender
from helpdesk_kit.channels.phone.model import CallDirection, CallOutcome, CallRecord
from helpdesk_kit.channels.phone.numbers import (
    is_anonymous,
    normalize_number,
    number_candidates,
)

__all__ = [
    "CallDirection",
    "CallOutcome",
    "CallRecord",
    "PhoneChannel",
    "SmsSender",
    "is_anonymous",
    "normalize_number",
    "number_candidates",
]
