"""Test support for code built on helpdesk_kit and for plugin authors.

:mod:`helpdesk_kit.testing.storage_suite` is the storage contract as pytest tests: run it
against a storage backend by importing it into a test module and providing a
``storage_factory`` fixture (see ``docs/storage.md``).
"""

from __future__ import annotations

__all__: list[str] = []
