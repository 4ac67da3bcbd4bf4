"""Shared fixtures for the bot tests."""

from __future__ import annotations

import pytest

from helpdesk_kit.bot import IntentClassifier, load_starter_examples
from helpdesk_kit.plugins import hookimpl
from helpdesk_kit.tickets.model import Identity, InboundMessage


@pytest.fixture(scope="session")
def starter_classifier() -> IntentClassifier:
    """A default classifier trained once on the shipped starter examples."""
    return IntentClassifier().fit(load_starter_examples())


class HostActions:
    """The host application's bot actions, as a plugin: a fake order system and mailer."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, str]]] = []
        self.orders = {"SO20240611": "shipped yesterday with SF Express (SF1234567890)"}
        self.broken = False

    @hookimpl
    def register_bot_actions(self, register):
        register("order_status", self.order_status)
        register("password_reset", self.password_reset)

    def order_status(self, desk, customer, slots):
        self.calls.append(("order_status", customer.id, dict(slots)))
        if self.broken:
            raise ConnectionError("order service unreachable")
        number = slots["order_number"]
        if number not in self.orders:
            return {"ok": False, "text": f"I can't find order {number}.", "retry": "order_number"}
        return {"ok": True, "text": f"Order {number} {self.orders[number]}."}

    def password_reset(self, desk, customer, slots):
        self.calls.append(("password_reset", customer.id, dict(slots)))
        return {"ok": True, "text": f"Done: a reset link is on its way to {slots['account']}."}


@pytest.fixture
def host() -> HostActions:
    """The fake host application (its actions are registered through the plugin hook)."""
    return HostActions()


@pytest.fixture
def helpdesk_plugins(host: HostActions) -> list[object]:
    """The desk fixture gets the host's bot actions."""
    return [host]


@pytest.fixture
def bot(helpdesk, starter_classifier):
    """The desk's bot with the starter flows, the starter FAQ pack and the starter classifier."""
    helpdesk.kb.import_starter()
    return helpdesk.configure_bot(starter_classifier)


def chat_message(text, visitor="v1", session="s1", **fields):
    """A customer's chat message as the chat channel hands it to the desk."""
    return InboundMessage(
        "chat", Identity("chat", visitor), text=text, thread_key=session, **fields
    )
