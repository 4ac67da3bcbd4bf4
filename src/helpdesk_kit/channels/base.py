"""The channel contract: what a channel object provides, and helpers every channel uses.

A channel is any object with

- ``name`` — the channel's name, stored on tickets and messages (``"email"``, ``"wechat"``);
- ``capabilities`` — a frozenset of :class:`Capability` values (plain strings);
- ``send(desk, ticket, message, customer) -> str | None`` — deliver a public reply and return
  the channel's id for it (the desk keeps it on the message, so a customer's answer that
  quotes it threads back), or None. Raise :class:`~helpdesk_kit.errors.ChannelError` when it
  cannot be delivered; the desk records ``message.delivery_failed`` with the reason.

Inbound, a channel turns its raw input (a MIME message, a webhook payload, a chat frame) into
:class:`~helpdesk_kit.tickets.model.InboundMessage` values and hands them to
:meth:`Helpdesk.receive <helpdesk_kit.desk.Helpdesk.receive>`; how it gets its input (a
poll loop, a web handler) is its own business. Channels are registered through the
``register_channels`` hook; :class:`ChannelPlugin` wraps channel objects into a plugin.
"""

from __future__ import annotations

import enum
import hashlib
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs

from helpdesk_kit.errors import ChannelError, InvalidInput, NotFound, PluginError
from helpdesk_kit.plugins import hookimpl
from helpdesk_kit.tickets.model import AttachmentMeta, Customer, InboundMessage, Message, Ticket

if TYPE_CHECKING:
    from helpdesk_kit.desk import Helpdesk, ReceiveResult

__all__ = [
    "CHANNELS_ENV",
    "AttachmentStore",
    "Capability",
    "Channel",
    "ChannelPlugin",
    "DirectoryAttachmentStore",
    "InboundAdapter",
    "IntakeReport",
    "channel_enabled",
    "check_text",
    "env_settings",
    "handle_of",
    "send_through",
    "store_attachment",
    "text_with_links",
]

#: Comma-separated names of the channels the built-in entry-point plugins register
#: (``email,form,chat,phone,wechat`` or ``all``); unset, they register nothing.
CHANNELS_ENV = "HELPDESK_KIT_CHANNELS"


class Capability(enum.StrEnum):
    """What a channel can do; the desk and the agent's tools adapt to it."""

    #: replies may carry HTML
    HTML = "html"
    #: replies may carry files
    ATTACHMENTS = "attachments"
    #: the customer's side threads replies (subject tag, In-Reply-To); the channel keeps ids
    THREADING = "threading"
    #: a live connection: messages arrive within seconds (chat)
    REALTIME = "realtime"
    #: typing indicators both ways
    TYPING = "typing"
    #: replies are only allowed for a while after the customer's last message (WeChat: 48 h)
    REPLY_WINDOW = "reply_window"
    #: replies go out through another channel (a web form answered by e-mail)
    RELAYED = "relayed"


@runtime_checkable
class Channel(Protocol):
    """What the desk needs from a channel: a name, capabilities and ``send``."""

    name: str
    capabilities: frozenset[str]

    def send(self, desk: Helpdesk, ticket: Ticket, message: Message, customer: Customer) -> Any:
        """Deliver a public reply; return the channel's id for it (or None)."""
        ...


class InboundAdapter(Protocol):
    """The inbound half of a webhook-style channel: a payload in, messages out."""

    name: str

    def parse(self, payload: Any) -> Sequence[InboundMessage]:
        """Turn one webhook payload into the messages it carries (maybe none).

        Raise :class:`~helpdesk_kit.errors.InvalidInput` for a payload that is not what the
        platform sends, saying what is wrong.
        """
        ...


class ChannelPlugin:
    """A pluggy plugin that registers the given channel objects.

    ``Helpdesk(plugins=[ChannelPlugin(EmailChannel(...), ChatChannel())])``.
    """

    def __init__(self, *channels: Any) -> None:
        problems = [
            f"{c!r} lacks {attr}"
            for c in channels
            for attr in ("name", "capabilities", "send")
            if not hasattr(c, attr)
        ]
        if problems:
            raise PluginError("not a channel: " + "; ".join(problems))
        self.channels = list(channels)
        self.__name__ = "channels:" + ",".join(str(c.name) for c in channels)

    @hookimpl
    def register_channels(self, register: Callable[[Any], None]) -> None:
        """Register each channel."""
        for channel in self.channels:
            register(channel)

    def __repr__(self) -> str:
        return f"ChannelPlugin({', '.join(repr(c) for c in self.channels)})"


@attrs.frozen
class IntakeReport:
    """What one pass of an intake loop did.

    ``received``: the desk's answer for each message taken in (duplicates included);
    ``rejected``: ``(key, reason)`` of input that can never be taken in (acknowledged and
    skipped); ``failed``: ``(key, error)`` of input that failed for another reason (not
    acknowledged: the next pass tries it again).
    """

    received: list[ReceiveResult] = attrs.Factory(list)
    rejected: list[tuple[str, str]] = attrs.Factory(list)
    failed: list[tuple[str, str]] = attrs.Factory(list)

    @property
    def created(self) -> int:
        """How many new tickets were opened."""
        return sum(1 for r in self.received if r.created)


def handle_of(customer: Customer, kind: str, channel: str) -> str:
    """The customer's first handle of ``kind`` (an email address, a phone number), or a
    :class:`~helpdesk_kit.errors.ChannelError` saying the channel cannot reach them."""
    value = customer.handle(kind)
    if value is None:
        raise ChannelError(
            f"customer {customer.display_name!r} has no {kind} identity; "
            f"the {channel} channel cannot reach them"
        )
    return value


def send_through(
    desk: Helpdesk,
    via: str | None,
    ticket: Ticket,
    message: Message,
    customer: Customer,
    *,
    why: str,
) -> Any:
    """Hand a reply to another registered channel (``via``), or raise ``ChannelError``.

    Channels that cannot answer by themselves (a web form, a chat the visitor left) relay
    through e-mail or SMS this way.
    """
    if via is None:
        raise ChannelError(f"{why}, and no channel to relay replies through is configured")
    channel = desk.channels.get(via)
    if channel is None:
        raise ChannelError(f"{why}, and the relay channel {via!r} is not registered")
    return channel.send(desk, ticket, message, customer)


def text_with_links(message: Message) -> str:
    """The reply's text for a text-only channel: attachments become name + link lines."""
    lines = [message.text.rstrip()]
    files = [a for a in message.attachments if not a.inline]
    if files:
        lines.append("")
        for a in files:
            if a.url is None:
                raise ChannelError(
                    f"attachment {a.filename!r} has no URL; a text-only channel cannot send it"
                )
            lines.append(f"{a.filename}: {a.url}")
    return "\n".join(lines).strip()


class AttachmentStore(Protocol):
    """Where a channel keeps the bytes of files customers send (the desk keeps metadata)."""

    def save(self, filename: str, content_type: str, content: bytes) -> str:
        """Keep the bytes; return a URL (or key) that :meth:`load` understands."""
        ...

    def load(self, url: str) -> bytes:
        """The bytes saved under ``url``; ``NotFound`` if there are none."""
        ...


_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class DirectoryAttachmentStore:
    """Files in a local folder, named by their SHA-256 (the same file is kept once).

    URLs are ``file://`` URLs of the stored files. For a cloud bucket implement
    :class:`AttachmentStore` with your storage client.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)

    def save(self, filename: str, content_type: str, content: bytes) -> str:
        """Write the file (once per content) and return its ``file://`` URL."""
        digest = hashlib.sha256(content).hexdigest()
        suffix = Path(_SAFE_NAME.sub("_", filename or "")).suffix[:16]
        target = self.path / f"{digest}{suffix}"
        if not target.exists():
            tmp = target.with_name(target.name + ".part")
            tmp.write_bytes(content)
            os.replace(tmp, target)
        return target.resolve().as_uri()

    def load(self, url: str) -> bytes:
        """Read a file saved here."""
        prefix = self.path.resolve().as_uri() + "/"
        if not url.startswith(prefix) or "/" in url[len(prefix) :]:
            raise NotFound("attachment", url)
        target = self.path / url[len(prefix) :]
        try:
            return target.read_bytes()
        except FileNotFoundError:
            raise NotFound("attachment", url) from None

    def __repr__(self) -> str:
        return f"DirectoryAttachmentStore({str(self.path)!r})"


def store_attachment(
    store: AttachmentStore | None,
    filename: str,
    content_type: str,
    content: bytes,
    *,
    inline: bool = False,
    content_id: str | None = None,
) -> AttachmentMeta:
    """The desk's metadata for a file, its bytes saved in ``store`` when one is given."""
    url = store.save(filename, content_type, content) if store is not None else None
    return AttachmentMeta(
        filename=filename,
        content_type=content_type,
        size=len(content),
        url=url,
        content_id=content_id,
        inline=inline,
    )


def channel_enabled(name: str, environ: Mapping[str, str] | None = None) -> bool:
    """True when ``HELPDESK_KIT_CHANNELS`` lists ``name`` (or says ``all``)."""
    env = os.environ if environ is None else environ
    names = {n.strip().lower() for n in env.get(CHANNELS_ENV, "").split(",") if n.strip()}
    return name in names or "all" in names


def env_settings(
    channel: str,
    required: Iterable[str],
    optional: Iterable[str] = (),
    environ: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Read a channel's settings from environment variables; ``PluginError`` names the missing."""
    env = os.environ if environ is None else environ
    missing = [n for n in required if not env.get(n, "").strip()]
    if missing:
        raise PluginError(
            f"the {channel} channel is enabled in {CHANNELS_ENV} but "
            f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set"
        )
    found = {n: env[n].strip() for n in required}
    found.update({n: env[n].strip() for n in optional if env.get(n, "").strip()})
    return found


def check_text(value: Any, what: str, *, limit: int) -> str:
    """A non-empty string of at most ``limit`` characters, or ``InvalidInput``."""
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be a string, got {type(value).__name__}")
    if not value.strip():
        raise InvalidInput(f"{what} is empty")
    if len(value) > limit:
        raise InvalidInput(f"{what} is {len(value)} characters long; the limit is {limit}")
    return value
