"""Shared helpers of the channel tests: a real local SMTP server and channel plugins."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from helpdesk_kit.channels.email import parse_email


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SmtpOutbox:
    """An aiosmtpd handler keeping every message with its envelope."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted"

    @property
    def raws(self) -> list[bytes]:
        """The raw bytes of every message received, in order."""
        return [bytes(e.original_content or e.content) for e in self.envelopes]

    def parsed(self, index: int = -1) -> Any:
        """A received message, parsed."""
        return parse_email(self.raws[index])


@pytest.fixture
def smtp_server() -> Iterator[tuple[SmtpOutbox, int]]:
    """A real SMTP server (aiosmtpd) on localhost; yields (outbox, port)."""
    from aiosmtpd.controller import Controller

    outbox = SmtpOutbox()
    port = free_port()
    controller = Controller(outbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield outbox, port
    finally:
        controller.stop()
