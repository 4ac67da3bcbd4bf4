"""helpdesk_kit: a library for building website customer-service helpdesks.

The names most programs need are importable from here::

    from helpdesk_kit import Helpdesk, FrozenClock, InboundMessage, Identity
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Helpdesk": "helpdesk_kit.desk",
    "DeskSettings": "helpdesk_kit.desk",
    "Clock": "helpdesk_kit.clock",
    "SystemClock": "helpdesk_kit.clock",
    "FrozenClock": "helpdesk_kit.clock",
    "Actor": "helpdesk_kit.tickets",
    "Agent": "helpdesk_kit.tickets",
    "Customer": "helpdesk_kit.tickets",
    "Group": "helpdesk_kit.tickets",
    "Identity": "helpdesk_kit.tickets",
    "InboundMessage": "helpdesk_kit.tickets",
    "Message": "helpdesk_kit.tickets",
    "Priority": "helpdesk_kit.tickets",
    "Ticket": "helpdesk_kit.tickets",
    "TicketEvent": "helpdesk_kit.tickets",
    "Lifecycle": "helpdesk_kit.lifecycle",
    "TicketFilter": "helpdesk_kit.storage",
    "hookimpl": "helpdesk_kit.plugins",
}

__all__ = [
    "Actor",
    "Agent",
    "Clock",
    "Customer",
    "DeskSettings",
    "FrozenClock",
    "Group",
    "Helpdesk",
    "Identity",
    "InboundMessage",
    "Lifecycle",
    "Message",
    "Priority",
    "SystemClock",
    "Ticket",
    "TicketEvent",
    "TicketFilter",
    "__version__",
    "hookimpl",
]

if TYPE_CHECKING:
    from helpdesk_kit.clock import Clock, FrozenClock, SystemClock
    from helpdesk_kit.desk import DeskSettings, Helpdesk
    from helpdesk_kit.lifecycle import Lifecycle
    from helpdesk_kit.plugins import hookimpl
    from helpdesk_kit.storage import TicketFilter
    from helpdesk_kit.tickets import (
        Actor,
        Agent,
        Customer,
        Group,
        Identity,
        InboundMessage,
        Message,
        Priority,
        Ticket,
        TicketEvent,
    )


def __getattr__(name: str) -> Any:
    """Import the public names lazily, so ``import helpdesk_kit`` stays cheap."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'helpdesk_kit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
