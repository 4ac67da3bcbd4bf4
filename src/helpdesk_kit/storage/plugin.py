"""The storage backends that ship with helpdesk_kit, registered through the plugin hook."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from helpdesk_kit.plugins import hookimpl
from helpdesk_kit.storage.memory import MemoryStorage

__all__ = ["memory_factory", "register_storage_backends", "sql_factory"]


def memory_factory(url: str, **options: Any) -> MemoryStorage:
    """``memory://``: everything in process memory."""
    return MemoryStorage(**options)


def sql_factory(url: str, **options: Any) -> Any:
    """``sqlite:///file.db`` and ``postgresql+psycopg://...``: the SQL backend (loaded lazily)."""
    from helpdesk_kit.storage.sql import SqlStorage

    return SqlStorage(url, **options)


@hookimpl(trylast=True)
def register_storage_backends(register: Callable[[str, Callable[..., Any]], None]) -> None:
    """Register ``memory``, ``sqlite`` and ``postgresql``."""
    register("memory", memory_factory)
    register("sqlite", sql_factory)
    register("postgresql", sql_factory)
