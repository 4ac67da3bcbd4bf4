"""Storage: the port every backend implements and the in-memory reference backend."""

from __future__ import annotations

from helpdesk_kit.storage.base import Page, Storage, TicketFilter, UnitOfWork
from helpdesk_kit.storage.memory import MemoryStorage

__all__ = ["MemoryStorage", "Page", "Storage", "TicketFilter", "UnitOfWork"]
