"""The WeChat Official Account channel: pushes in, passive replies, customer-service messages.

WeChat calls the account's server URL: ``GET`` to check it (answer :meth:`WeChatChannel.verify`),
``POST`` with each message or event (answer :meth:`WeChatChannel.handle` within five seconds,
or WeChat retries and finally tells the user the account cannot serve them). A message
becomes an :class:`~helpdesk_kit.tickets.model.InboundMessage` from ``Identity("wechat",
openid)`` on a conversation keyed by the openid. The first reply made while a push is being
handled (an acknowledgement, a bot's answer) goes back as the passive reply in the HTTP
response; every later reply — an agent's answer an hour later — goes through the
customer-service message API.
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from helpdesk_kit.channels.base import Capability, text_with_links
from helpdesk_kit.channels.wechat.api import WeChatApi
from helpdesk_kit.channels.wechat.signature import check_signature, verify_url
from helpdesk_kit.channels.wechat.xml import MsgType, WeChatPush, parse_push, text_reply_xml
from helpdesk_kit.errors import ChannelError, InvalidInput
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

__all__ = ["PASSIVE_LIMIT", "WeChatChannel", "WeChatResponse"]

log = logging.getLogger("helpdesk_kit.channels.wechat")

#: WeChat waits this many seconds for the answer to a push.
PASSIVE_LIMIT = 5.0
#: The answer telling WeChat "received, no passive reply" (it then neither retries nor
#: shows the user an error).
SUCCESS = "success"

_MEDIA_TYPES = {
    MsgType.IMAGE: ("image/jpeg", "jpg"),
    MsgType.VOICE: ("audio/amr", "amr"),
    MsgType.VIDEO: ("video/mp4", "mp4"),
    MsgType.SHORTVIDEO: ("video/mp4", "mp4"),
}


@attrs.frozen
class WeChatResponse:
    """The HTTP answer to a push: status 200 with ``body`` of ``content_type``."""

    body: str
    content_type: str = "text/plain; charset=utf-8"
    result: ReceiveResult | None = None
    #: the passive reply's text, when there was one
    reply: str | None = None


@attrs.define
class _Passive:
    openid: str
    deadline: float
    text: str | None = None


_PASSIVE: contextvars.ContextVar[_Passive | None] = contextvars.ContextVar(
    "helpdesk_kit_wechat_passive", default=None
)

Responder = Callable[["Helpdesk", Ticket], str]


class WeChatChannel:
    """The ``wechat`` channel of one Official Account.

    ``token`` is the server-URL token of the account's settings; ``api`` the
    :class:`WeChatApi` for customer-service messages (without it later replies fail with a
    clear ``ChannelError``). ``welcome`` answers a new follower; ``acknowledgement`` — a
    text (``{ref}`` filled in) or ``fn(desk, ticket) -> str`` — answers a message that opened
    a ticket; ``on_event(desk, push) -> str | None`` handles other events (menu clicks, QR
    scans) and may return a passive reply. ``reply_deadline`` (seconds, under WeChat's 5)
    bounds the wait for a passive reply; a reply made later goes through the API. ``timer``
    is the monotonic clock that deadline is measured on.
    """

    capabilities = frozenset({Capability.REPLY_WINDOW, Capability.ATTACHMENTS})

    def __init__(
        self,
        token: str,
        api: WeChatApi | None = None,
        *,
        welcome: str | None = None,
        acknowledgement: str | Responder | None = None,
        on_event: Callable[[Helpdesk, WeChatPush], str | None] | None = None,
        reply_deadline: float = 4.5,
        timer: Callable[[], float] = time.monotonic,
        name: str = "wechat",
    ) -> None:
        if not token:
            raise InvalidInput("the WeChat channel needs the server-URL token")
        if not 0 < reply_deadline < PASSIVE_LIMIT:
            raise InvalidInput(f"reply_deadline must be between 0 and {PASSIVE_LIMIT} seconds")
        self.token = token
        self.api = api
        self.welcome = welcome
        self.acknowledgement = acknowledgement
        self.on_event = on_event
        self.reply_deadline = reply_deadline
        self.timer = timer
        self.name = name

    def __repr__(self) -> str:
        return f"WeChatChannel(api={self.api!r})"

    # ------------------------------------------------------------------ the server URL

    def verify(self, params: Mapping[str, str]) -> str:
        """Answer the server-URL check (``GET``): the ``echostr``; ``InvalidInput`` if unsigned."""
        return verify_url(self.token, params)

    def handle(
        self, desk: Helpdesk, params: Mapping[str, str], body: bytes | str
    ) -> WeChatResponse:
        """Answer a push (``POST``): check the signature, take the message in, reply.

        ``params`` are the query parameters (``signature``, ``timestamp``, ``nonce``, ...).
        ``InvalidInput`` for a bad signature (answer 403), an encrypted push (the account
        must use plaintext mode) or a malformed body (answer 400). A retried push (same
        MsgId) is taken in once and answered ``success``.
        """
        started = self.timer()
        if not check_signature(
            self.token, params.get("signature"), params.get("timestamp"), params.get("nonce")
        ):
            raise InvalidInput("the WeChat signature does not match: check the account's token")
        if params.get("encrypt_type", "raw") not in ("", "raw"):
            raise InvalidInput(
                "encrypted (safe-mode) pushes are not supported: set the account's message "
                "encryption to plaintext mode"
            )
        push = parse_push(body)
        context = _Passive(push.from_user, started + self.reply_deadline)
        reset = _PASSIVE.set(context)
        result: ReceiveResult | None = None
        try:
            if push.is_event:
                text = self._event(desk, push)
                if text and context.text is None:
                    context.text = text
            else:
                result = desk.receive(self.to_inbound(push))
                if result.created and result.ticket is not None:
                    self._acknowledge(desk, result.ticket)
        finally:
            _PASSIVE.reset(reset)
        if context.text is None:
            return WeChatResponse(SUCCESS, result=result)
        if self.timer() > context.deadline:
            # too late for the HTTP answer: WeChat has given up on it; send it as a message
            self._send_later(push.from_user, context.text)
            return WeChatResponse(SUCCESS, result=result)
        xml = text_reply_xml(push.from_user, push.to_user, context.text, desk.now())
        return WeChatResponse(
            xml, "application/xml; charset=utf-8", result=result, reply=context.text
        )

    def _send_later(self, openid: str, text: str) -> None:
        if self.api is None:
            log.warning("passive reply to %s missed the deadline and there is no API", openid)
            return
        try:
            self.api.send_text(openid, text)
        except ChannelError:
            log.exception("passive reply to %s missed the deadline and could not be sent", openid)

    def _event(self, desk: Helpdesk, push: WeChatPush) -> str | None:
        event = (push.event or "").lower()
        if event == "subscribe":
            answer = self.welcome
            if self.on_event is not None:
                answer = self.on_event(desk, push) or answer
            return answer
        if self.on_event is not None:
            return self.on_event(desk, push)
        return None

    def _acknowledge(self, desk: Helpdesk, ticket: Ticket) -> None:
        ack = self.acknowledgement
        if ack is None:
            return
        if callable(ack):
            text = ack(desk, ticket)
        else:
            text = ack.format(ref=ticket.ref, number=ticket.number)
        if text:
            desk.reply(ticket, text, author=Actor.bot(self.name))

    # ------------------------------------------------------------------ inbound

    def to_inbound(self, push: WeChatPush) -> InboundMessage:
        """The desk's view of a message push (events are not messages)."""
        if push.is_event:
            raise InvalidInput(f"a {push.event} event is not a message")
        attachments: list[AttachmentMeta] = []
        kind = push.msg_type
        if kind == MsgType.TEXT:
            text = push.content
        elif kind == MsgType.VOICE:
            text = push.recognition or "[voice message]"
        elif kind == MsgType.IMAGE:
            text = "[image]"
        elif kind in (MsgType.VIDEO, MsgType.SHORTVIDEO):
            text = "[video]"
        elif kind == MsgType.LOCATION:
            text = f"[location] {push.label or ''} ({push.latitude}, {push.longitude})".replace(
                "  ", " "
            )
        elif kind == MsgType.LINK:
            text = "\n".join(x for x in (push.title, push.description, push.url) if x)
        else:
            text = f"[{kind} message]"
        if kind in _MEDIA_TYPES and push.media_id:
            content_type, ext = _MEDIA_TYPES[MsgType(kind)]
            if kind == MsgType.VOICE and push.format:
                ext = push.format.lower()
                content_type = f"audio/{ext}"
            url = push.pic_url if kind == MsgType.IMAGE and push.pic_url else None
            attachments.append(
                AttachmentMeta(
                    filename=f"{push.media_id}.{ext}",
                    content_type=content_type,
                    url=url or f"wechat-media:{push.media_id}",
                )
            )
        return InboundMessage(
            channel=self.name,
            sender=Identity(self.name, push.from_user),
            text=text,
            attachments=attachments,
            external_id=push.dedupe_key,
            received_at=push.create_time,
            thread_key=push.from_user,
            metadata={
                "msg_type": kind,
                "account": push.to_user,
                "media_id": push.media_id,
                "recognition": push.recognition,
            },
        )

    # ------------------------------------------------------------------ outbound

    def send(self, desk: Helpdesk, ticket: Ticket, message: Message, customer: Customer) -> Any:
        """The passive reply while a push is answered, else a customer-service message."""
        openid = customer.handle(self.name)
        if openid is None:
            raise ChannelError(
                f"customer {customer.display_name!r} has no WeChat openid; "
                "the wechat channel cannot reach them"
            )
        text = text_with_links(message)
        context = _PASSIVE.get()
        if (
            context is not None
            and context.openid == openid
            and context.text is None
            and self.timer() <= context.deadline
        ):
            context.text = text
            return None
        if self.api is None:
            raise ChannelError(
                "the wechat channel has no API client (AppID/AppSecret) for replies after "
                "the passive window"
            )
        data = self.api.send_text(openid, text)
        msgid = data.get("msgid")
        return None if msgid is None else str(msgid)
