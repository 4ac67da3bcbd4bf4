"""The phone channel: call records, voicemail and callback requests become tickets.

The phone system reports each call as a :class:`CallRecord`; :meth:`PhoneChannel.record_call`
finds the customer by the caller's number (in any of the forms it may be stored), and takes
the call in as a message: a voicemail or a callback request opens a ticket with a follow-up
"call back", an answered call is logged (and assigned to the agent who took it), a missed
call becomes a callback ticket. Replies go out as SMS through a transport, or by e-mail.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from helpdesk_kit.channels.base import Capability, send_through, text_with_links
from helpdesk_kit.channels.phone.model import CallDirection, CallOutcome, CallRecord
from helpdesk_kit.channels.phone.numbers import is_anonymous, normalize_number, number_candidates
from helpdesk_kit.clock import to_utc
from helpdesk_kit.errors import ChannelError, InvalidInput, NotFound
from helpdesk_kit.tickets.model import (
    Actor,
    AttachmentMeta,
    Customer,
    Identity,
    InboundMessage,
    Message,
    Ticket,
)

if TYPE_CHECKING:
    from helpdesk_kit.desk import Helpdesk, ReceiveResult

__all__ = ["PhoneChannel", "SmsSender"]

_TAGS = {
    CallOutcome.ANSWERED: "call",
    CallOutcome.MISSED: "missed-call",
    CallOutcome.VOICEMAIL: "voicemail",
    CallOutcome.CALLBACK_REQUESTED: "callback",
    CallOutcome.ABANDONED: "abandoned-call",
}
#: Outcomes that leave a "call back" follow-up on the ticket.
_CALL_BACK = frozenset(
    {
        CallOutcome.MISSED,
        CallOutcome.CALLBACK_REQUESTED,
        CallOutcome.ABANDONED,
    }
)
_SUBJECTS = {
    CallOutcome.ANSWERED: "Call from {who}",
    CallOutcome.MISSED: "Missed call from {who}",
    CallOutcome.VOICEMAIL: "Voicemail from {who}",
    CallOutcome.CALLBACK_REQUESTED: "Callback request from {who}",
    CallOutcome.ABANDONED: "Abandoned call from {who}",
}


class SmsSender(Protocol):
    """Sends a text message (an SMS gateway's client; a fake in tests)."""

    def send_sms(self, to: str, text: str) -> str | None:
        """Send ``text`` to the number ``to`` (E.164); return the gateway's message id."""
        ...


def _clock(seconds: float) -> str:
    total = round(seconds)
    minutes, secs = divmod(total, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes} min {secs} s"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


def _when(at: datetime) -> str:
    return to_utc(at).strftime("%Y-%m-%d %H:%M UTC")


class PhoneChannel:
    """The ``phone`` channel.

    ``country_code`` (``"86"``) turns national numbers into E.164 so one caller is one
    customer; ``sms`` sends replies as text messages (else they are relayed through
    ``reply_via``, e-mail by default). ``open_missed`` makes a missed call a callback ticket;
    ``open_abandoned`` does the same for calls hung up in the queue (off by default).
    ``agent_name(desk, agent_id)`` names agents in call logs (default: from the desk).
    """

    capabilities = frozenset({Capability.REALTIME})

    def __init__(
        self,
        *,
        country_code: str | None = None,
        sms: SmsSender | None = None,
        reply_via: str | None = "email",
        open_missed: bool = True,
        open_abandoned: bool = False,
        sms_prefix: str = "[{ref}] ",
        name: str = "phone",
        agent_name: Callable[[Helpdesk, str], str] | None = None,
    ) -> None:
        if country_code is not None:
            normalize_number("13800000000", country_code)  # checks the code
        self.name = name
        self.country_code = country_code
        self.sms = sms
        self.reply_via = reply_via
        self.open_missed = open_missed
        self.open_abandoned = open_abandoned
        self.sms_prefix = sms_prefix
        self.agent_name = agent_name

    def __repr__(self) -> str:
        return f"PhoneChannel(country_code={self.country_code!r}, sms={self.sms!r})"

    # ------------------------------------------------------------------ inbound

    def caller_identity(self, desk: Helpdesk, number: str, call_id: str = "") -> Identity:
        """The identity of a caller: the stored form of a known number, else its E.164 form.

        A withheld number gets an identity of its own per call (``anonymous_call:<id>``).
        """
        if is_anonymous(number):
            if not call_id:
                raise InvalidInput("an anonymous caller needs the call id")
            return Identity("anonymous_call", call_id)
        candidates = number_candidates(number, self.country_code)
        for value in candidates:
            try:
                found = desk.find_customer("phone", value)
            except InvalidInput:
                continue
            if found is not None:
                return Identity("phone", value)
        return Identity("phone", candidates[0])

    def find_caller(self, desk: Helpdesk, number: str) -> Customer | None:
        """The customer a number belongs to, whatever form it was stored in."""
        if is_anonymous(number):
            return None
        ident = self.caller_identity(desk, number)
        return desk.find_customer(ident.kind, ident.value)

    def to_inbound(self, desk: Helpdesk, call: CallRecord) -> InboundMessage:
        """The desk's view of an inbound call record."""
        ident = self.caller_identity(desk, call.caller, call.call_id)
        who = "an anonymous caller" if ident.kind == "anonymous_call" else ident.value
        attachments: list[AttachmentMeta] = []
        if call.recording_url:
            kind = mimetypes.guess_type(call.recording_url.split("?")[0])[0] or "audio/mpeg"
            name = call.recording_url.split("?")[0].rstrip("/").rsplit("/", 1)[-1] or "recording"
            attachments.append(AttachmentMeta(name, kind, 0, url=call.recording_url))
        return InboundMessage(
            channel=self.name,
            sender=ident,
            text=self.describe(desk, call, who),
            subject=_SUBJECTS[call.outcome].format(who=who),
            sender_name=call.caller_name,
            attachments=attachments,
            external_id=call.call_id,
            received_at=call.started_at,
            ticket_number=call.ticket_number,
            metadata={
                "outcome": call.outcome.value,
                "duration_seconds": call.duration.total_seconds(),
                "agent_id": call.agent_id,
                "line": call.line,
            },
        )

    def describe(self, desk: Helpdesk, call: CallRecord, who: str) -> str:
        """The call log text agents read on the ticket."""
        agent = self._agent(desk, call.agent_id)
        length = _clock(call.duration.total_seconds())
        head = {
            CallOutcome.ANSWERED: f"Call from {who} on {_when(call.started_at)}, {length}"
            + (f", answered by {agent}" if agent else ""),
            CallOutcome.MISSED: f"Missed call from {who} on {_when(call.started_at)}",
            CallOutcome.VOICEMAIL: f"Voicemail from {who} on {_when(call.started_at)}, {length}",
            CallOutcome.CALLBACK_REQUESTED: f"{who} asked to be called back"
            + (f" at {_when(call.callback_at)}" if call.callback_at else "")
            + f" (call on {_when(call.started_at)})",
            CallOutcome.ABANDONED: f"{who} hung up before an answer on {_when(call.started_at)}"
            f" after {length}",
        }[call.outcome]
        lines = [head + "."]
        if call.line:
            lines.append(f"Line: {call.line}")
        if call.transcript.strip():
            lines += ["", "Transcript:", call.transcript.strip()]
        if call.summary.strip():
            lines += ["", "Notes:", call.summary.strip()]
        if call.recording_url:
            lines += ["", f"Recording: {call.recording_url}"]
        return "\n".join(lines).replace("\x00", "")

    def _agent(self, desk: Helpdesk, agent_id: str | None) -> str:
        if agent_id is None:
            return ""
        if self.agent_name is not None:
            return self.agent_name(desk, agent_id)
        try:
            return desk.get_agent(agent_id).name
        except NotFound:
            return agent_id

    def record_call(self, desk: Helpdesk, call: CallRecord) -> ReceiveResult:
        """Take a call record in; see the class docs for what each outcome does.

        An outbound call is logged as an internal note on the ticket ``call.ticket_number``.
        A record sent twice (same ``call_id``) changes nothing the second time.
        """
        from helpdesk_kit.desk import ReceiveResult

        if not isinstance(call, CallRecord):
            raise InvalidInput(f"record_call takes a CallRecord, got {type(call).__name__}")
        if call.direction is CallDirection.OUTBOUND:
            return self._outbound(desk, call)
        skip = (call.outcome is CallOutcome.ABANDONED and not self.open_abandoned) or (
            call.outcome is CallOutcome.MISSED and not self.open_missed
        )
        if skip:
            return ReceiveResult(None, None, ignored=f"{call.outcome.value} call, not kept")
        result = desk.receive(self.to_inbound(desk, call))
        if result.duplicate or result.ticket is None:
            return result
        ticket = desk.tag(result.ticket, add=[_TAGS[call.outcome]], actor=Actor.system())
        if result.created and call.outcome is CallOutcome.ANSWERED and call.agent_id:
            ticket = desk.assign(ticket, call.agent_id, actor=Actor.system())
        if call.outcome in _CALL_BACK:
            desk.add_followup(
                ticket,
                f"Call back {self._dial(call)}",
                reason=call.outcome.value,
                due_at=call.callback_at or call.started_at,
                actor=Actor.system(),
            )
        return ReceiveResult(
            ticket,
            result.message,
            result.customer,
            created=result.created,
            reopened=result.reopened,
        )

    def _dial(self, call: CallRecord) -> str:
        if is_anonymous(call.caller):
            return "(number withheld)"
        try:
            return normalize_number(call.caller, self.country_code)
        except InvalidInput:
            return call.caller

    def _outbound(self, desk: Helpdesk, call: CallRecord) -> ReceiveResult:
        from helpdesk_kit.desk import ReceiveResult

        if call.ticket_number is None:
            raise InvalidInput("an outbound call is logged on a ticket: give its ticket_number")
        ticket = desk.get_ticket(call.ticket_number)
        agent = self._agent(desk, call.agent_id)
        text = (
            f"Outbound call to {self._dial(call)} on {_when(call.started_at)}, "
            f"{_clock(call.duration.total_seconds())}, {call.outcome.value}"
            + (f", by {agent}" if agent else "")
            + "."
        )
        if call.summary.strip():
            text += "\n\nNotes:\n" + call.summary.strip()
        if call.recording_url:
            text += f"\n\nRecording: {call.recording_url}"
        author: Actor = (
            Actor.of_agent(desk.get_agent(call.agent_id)) if call.agent_id else Actor.system()
        )
        note = desk.add_note(ticket, text, author=author)
        return ReceiveResult(desk.get_ticket(ticket), note)

    # ------------------------------------------------------------------ outbound

    def send(self, desk: Helpdesk, ticket: Ticket, message: Message, customer: Customer) -> Any:
        """Text the reply to the customer's phone (ticket number first), or relay it."""
        if self.sms is None:
            return send_through(
                desk, self.reply_via, ticket, message, customer, why="no SMS gateway is configured"
            )
        number = customer.handle("phone")
        if number is None:
            if self.reply_via is not None and customer.email is not None:
                return send_through(
                    desk,
                    self.reply_via,
                    ticket,
                    message,
                    customer,
                    why=f"customer {customer.display_name!r} has no phone number",
                )
            raise ChannelError(
                f"customer {customer.display_name!r} has no phone number or e-mail address"
            )
        to = normalize_number(number, self.country_code)
        prefix = self.sms_prefix.format(ref=ticket.ref, number=ticket.number)
        return self.sms.send_sms(to, prefix + text_with_links(message))
