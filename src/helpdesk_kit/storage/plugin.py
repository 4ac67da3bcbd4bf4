"""The storage backends that ship with helpdesk_kit, registered through the plugin hook."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from helpdesk_kit.plugins import hookimpl
from helpdesk_kit.storage.memory import MemoryStorage

__all__ = ["memory_factory", "register_storage_backends"]


def memory_factory(url: str, **options: Any) -> MemoryStorage:
    """``memory://``: everything in process memory."""
    return MemoryStorage(**options)


@hookimpl(trylast=True)
def register_storage_backends(register: Callable[[str, Callable[..., Any]], None]) -> None:
    """Register ``memory``."""
    register("memory", memory_factory)
