"""Test support for code built on helpdesk_kit and for plugin authors.

:mod:`helpdesk_kit.testing.storage_suite` is the storage contract as pytest tests: run it
against a storage backend by importing it into a test module and providing a
``storage_factory`` fixture (see ``docs/storage.md``);
:mod:`helpdesk_kit.testing.storage_suite_feedback` adds the surveys and KPI facts.
:mod:`helpdesk_kit.testing.simulate` generates seeded, realistic history (see
``docs/reports.md``).
"""

from __future__ import annotations

__all__: list[str] = []
