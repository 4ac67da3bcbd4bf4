"""Write your own channel: a generic social-messaging platform as a helpdesk_kit plugin.

"Acme Social" stands for any platform with a webhook and a send API — Weibo private
messages, Douyin customer service, WhatsApp Business, Telegram: the platform POSTs a JSON
payload for each message a user sends, and replies go out through an HTTP API. The
adapter below

- turns a webhook payload into ``InboundMessage`` values (``parse``),
- checks the platform's HMAC signature on the raw body,
- sends replies through a transport object (a fake here; ``requests``/``httpx`` in life),
- registers itself through the ``register_channels`` hook.

Run it:  PYTHONPATH=src python examples/custom_channel.py
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from helpdesk_kit import FrozenClock, Helpdesk, Identity, InboundMessage, hookimpl
from helpdesk_kit.channels.base import Capability, handle_of, text_with_links
from helpdesk_kit.errors import ChannelError, InvalidInput


class SocialTransport(Protocol):
    """The platform's send API: whatever makes the HTTP call."""

    def post_message(self, recipient: str, text: str) -> dict[str, Any]:
        """Send ``text`` to the platform user ``recipient``; return the API's answer."""
        ...


class AcmeSocialChannel:
    """The ``acme`` channel: Acme Social direct messages in one inbox."""

    name = "acme"
    capabilities = frozenset({Capability.ATTACHMENTS, Capability.REPLY_WINDOW})

    def __init__(self, transport: SocialTransport, *, webhook_secret: str) -> None:
        self.transport = transport
        self.webhook_secret = webhook_secret.encode()

    # -- inbound: a webhook payload in, messages out

    def verify(self, body: bytes, signature: str) -> None:
        """Refuse a webhook call the platform did not sign (HMAC-SHA256 of the body)."""
        expected = hmac.new(self.webhook_secret, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise InvalidInput("the webhook signature does not match")

    def parse(self, payload: dict[str, Any]) -> Sequence[InboundMessage]:
        """The messages of one webhook payload (``InvalidInput`` when it is not Acme's)."""
        events = payload.get("events")
        if not isinstance(events, list):
            raise InvalidInput("an Acme webhook payload has a list of 'events'")
        messages = []
        for event in events:
            if event.get("type") != "message":
                continue  # read receipts, reactions, ...: not for the desk
            user = event["from"]
            messages.append(
                InboundMessage(
                    channel=self.name,
                    sender=Identity(self.name, user["id"]),  # the platform's user id
                    sender_name=user.get("name", ""),
                    text=event.get("text", ""),
                    external_id=event["id"],  # a re-delivered webhook is taken in once
                    thread_key=event["conversation"],  # one conversation, one ticket
                    locale=user.get("locale"),
                )
            )
        return messages

    def receive_webhook(self, desk: Helpdesk, body: bytes, signature: str) -> list[Any]:
        """What the web handler calls: verify, parse, and hand each message to the desk."""
        self.verify(body, signature)
        return [desk.receive(m) for m in self.parse(json.loads(body))]

    # -- outbound: the desk calls send() for every public reply

    def send(self, desk: Helpdesk, ticket: Any, message: Any, customer: Any) -> str:
        """Deliver a reply; return the platform's id for it (the desk keeps it)."""
        recipient = handle_of(customer, self.name, self.name)
        answer = self.transport.post_message(recipient, text_with_links(message))
        if not answer.get("ok"):
            raise ChannelError(f"Acme refused the message: {answer.get('error', answer)}")
        return str(answer["message_id"])


class AcmePlugin:
    """The pluggy plugin: registers the channel when a desk starts.

    Published in a package's pyproject.toml as
    ``[project.entry-points.helpdesk_kit] acme = "acme_helpdesk:plugin"``.
    """

    def __init__(self, channel: AcmeSocialChannel) -> None:
        self.channel = channel

    @hookimpl
    def register_channels(self, register: Callable[[Any], None]) -> None:
        """Hand the channel to the desk."""
        register(self.channel)


class FakeAcme:
    """A fake of the platform's send API, for tests and this demo."""

    def __init__(self) -> None:
        self.outbox: list[tuple[str, str]] = []

    def post_message(self, recipient: str, text: str) -> dict[str, Any]:
        self.outbox.append((recipient, text))
        return {"ok": True, "message_id": f"acme-out-{len(self.outbox)}"}


def main() -> None:
    api = FakeAcme()
    channel = AcmeSocialChannel(api, webhook_secret="whsec-demo")
    desk = Helpdesk(clock=FrozenClock(), plugins=[AcmePlugin(channel)], load_entrypoints=False)
    ann = desk.add_agent("Ann", status="online")

    body = json.dumps(
        {
            "events": [
                {
                    "type": "message",
                    "id": "evt-1",
                    "conversation": "conv-77",
                    "from": {"id": "u-1001", "name": "Mei", "locale": "zh-CN"},
                    "text": "How do I return a jacket?",
                },
                {"type": "read", "id": "evt-2", "conversation": "conv-77"},
            ]
        }
    ).encode()
    signature = hmac.new(b"whsec-demo", body, hashlib.sha256).hexdigest()
    results = channel.receive_webhook(desk, body, signature)
    ticket = results[0].ticket
    owner = desk.get_agent(ticket.assignee_id).name
    print(f"{ticket.ref} opened on {ticket.channel}, assigned to {owner}")

    desk.reply(ticket, "Open Orders > Return, pick the jacket, print the label.", author=ann)
    print("sent to", api.outbox[-1][0], ":", api.outbox[-1][1])
    assert api.outbox == [("u-1001", "Open Orders > Return, pick the jacket, print the label.")]
    assert desk.messages(ticket)[-1].external_id == "acme-out-1"

    # the webhook is delivered again: nothing new
    again = channel.receive_webhook(desk, body, signature)
    assert again[0].duplicate
    print("re-delivered webhook: duplicate =", again[0].duplicate)


if __name__ == "__main__":
    main()
