"""Call records: what the phone system tells the desk about a call."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any

import attrs

from helpdesk_kit.clock import ensure_aware
from helpdesk_kit.errors import InvalidInput

__all__ = ["CallDirection", "CallOutcome", "CallRecord"]


class CallOutcome(enum.StrEnum):
    """How a call ended."""

    ANSWERED = "answered"
    MISSED = "missed"
    VOICEMAIL = "voicemail"
    CALLBACK_REQUESTED = "callback_requested"
    ABANDONED = "abandoned"


class CallDirection(enum.StrEnum):
    """Who called whom."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


def _duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=value)
    raise InvalidInput(f"a call duration is a timedelta or seconds, got {value!r}")


def _aware(_inst: object, attribute: attrs.Attribute[Any], value: datetime | None) -> None:
    if value is not None:
        ensure_aware(value, attribute.name)


def _not_negative(_inst: object, _attribute: attrs.Attribute[Any], value: timedelta) -> None:
    if value < timedelta(0):
        raise InvalidInput(f"a call duration cannot be negative, got {value}")


def _non_empty(_inst: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{attribute.name} must be a non-empty string, got {value!r}")


@attrs.frozen
class CallRecord:
    """One call as the phone system (PBX, cloud contact centre) reports it.

    ``call_id`` is the phone system's id (a re-sent record is taken in once); ``caller`` the
    calling number as sent (``anonymous`` when withheld); ``agent_id`` the desk agent who
    took it; ``recording_url`` where the recording is; ``transcript`` a voicemail's
    transcription; ``summary`` the agent's notes; ``callback_at`` when the caller wants to be
    called back; ``ticket_number`` a ticket the caller named (entered in the IVR, or linked
    by the agent); ``line`` the number that was dialled.
    """

    call_id: str = attrs.field(validator=_non_empty)
    caller: str
    started_at: datetime = attrs.field(validator=_aware)
    outcome: CallOutcome = attrs.field(converter=CallOutcome)
    duration: timedelta = attrs.field(
        default=timedelta(0), converter=_duration, validator=_not_negative
    )
    agent_id: str | None = None
    recording_url: str | None = None
    direction: CallDirection = attrs.field(default=CallDirection.INBOUND, converter=CallDirection)
    line: str | None = None
    caller_name: str = ""
    transcript: str = ""
    summary: str = ""
    callback_at: datetime | None = attrs.field(default=None, validator=_aware)
    ticket_number: int | None = None
